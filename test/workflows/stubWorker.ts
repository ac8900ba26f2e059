// Workflow code against the real dev server, with the activities stubbed: a Worker in this process runs the
// real workflow bundle on its own task queue (workflows, cpu and gpu all one queue), so a scenario takes
// seconds and needs no engine. Each scenario's stubs are chosen by the input's video name.
import { afterAll, beforeAll } from '@jest/globals';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { prebundledWorkflows } from '../../workers/startWorkers.js';
import * as realActivities from '../../activities/index.js';
import { jobOptionsSchema, type JobOptionsInput } from '../../config/schema.js';
import type { PreparedJob } from '../../lib/job.js';
import { closeTestClient, testClient } from '../support/jobs.js';
import { TEST_ADDRESS } from '../support/env.js';

export type Activities = typeof realActivities;
export type Stubs = Partial<{ [K in keyof Activities]: (...args: Parameters<Activities[K]>) => Promise<unknown> }>;

const WORKFLOWS_PATH = fileURLToPath(new URL('../../workflows/index.js', import.meta.url));

/** A prepared job as prepareJob would settle it, from the options alone (no probe, no folder). */
export function preparedFrom(input: JobOptionsInput): PreparedJob {
  return {
    job: { root: '/nonexistent/output', name: `${input.video}.en` },
    options: jobOptionsSchema.parse(input),
    media: { path: input.video, durationSec: 60, video: { codec: 'h264', width: 64, height: 48, fps: 25 }, audio: { codec: 'aac', sampleRate: 48000, channels: 2 } },
    ttsEngine: 'espeak-ng',
  };
}

/** What a stub answers when the scenario does not say otherwise: a job that goes through every stage. */
const happyPath: Stubs = {
  prepareJob: async (input) => preparedFrom(input as JobOptionsInput),
  releaseJob: async () => undefined,
  extractAudio: async () => ({ mix: 'audio/mix.wav', analysis: 'audio/analysis.wav' }),
  transcribe: async () => ({ ref: 'tmp/lines/heard.json', count: 3 }),
  importSubtitles: async () => ({ ref: 'tmp/lines/subs.json', count: 3 }),
  translateLines: async (_prep, lines) => ({ ref: 'tmp/lines/translated.json', count: (lines as { count: number }).count }),
  applyEdits: async () => ({ ref: 'tmp/lines/edited.json', count: 3 }),
  prepareVoices: async () => undefined,
  condenseLines: async (_prep, lines) => ({ ref: 'tmp/lines/spoken.json', count: (lines as { count: number }).count }),
  dubLines: async (_prep, batch) => Array.from({ length: batch.count }, (_, i) => ({ index: batch.first + i, ttsReused: false })),
  assembleDub: async () => 'tmp/dub.wav',
  mixDub: async () => 'tmp/mix.wav',
  muxOutputs: async () => ({ mp4: 'x.dub.mp4', mkv: 'x.dub.mkv', sourceSrt: 'x.src.srt', targetSrt: 'x.srt' }),
  lipsync: async () => ({ status: 'done', plugin: 'wav2lip', output: 'x.lipsync.mp4' }),
  writeReport: async () => 'report.json',
  saveReview: async () => undefined,
};

/** Stubs that record every call: `calls` lists [activity, workflow id, args] in the order they ran. */
export interface StubWorker {
  taskQueue: string;
  calls: { name: string; workflowId: string; args: unknown[] }[];
  callsOf(name: string, workflowId?: string): unknown[][];
}

/**
 * A suite's worker: `scenarios` maps a video name to the stubs that differ from the happy path. Started
 * before the suite, stopped after; the shared client is closed too.
 */
export function withStubWorker(prefix: string, scenarios: Record<string, Stubs>, base: Stubs = {}): StubWorker {
  const taskQueue = `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
  const calls: StubWorker['calls'] = [];
  const names = new Set([...Object.keys(realActivities), ...Object.keys(happyPath), ...Object.keys(base)]);
  const activities: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const name of names) {
    activities[name] = async (...args: unknown[]) => {
      const workflowId = Context.current().info.workflowExecution?.workflowId ?? '';
      calls.push({ name, workflowId, args });
      const video = videoOf(args[0]);
      const stub = (scenarios[video ?? ''] as Record<string, unknown> | undefined)?.[name] ?? (base as Record<string, unknown>)[name] ?? (happyPath as Record<string, unknown>)[name];
      if (!stub) throw ApplicationFailure.nonRetryable(`no stub for ${name} in scenario ${video}`, 'StubMissing');
      return (stub as (...a: unknown[]) => Promise<unknown>)(...args);
    };
  }
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  let connection: NativeConnection | undefined;
  beforeAll(async () => {
    try {
      Runtime.install({ logger: new DefaultLogger('ERROR') }); // the stubs' planned failures are not news
    } catch {
      // Installed already by an earlier suite in this process.
    }
    connection = await NativeConnection.connect({ address: TEST_ADDRESS });
    // The workers' own cached bundle (made once per build): webpack does not run again for every suite.
    const workflowBundle = await prebundledWorkflows();
    worker = await Worker.create({ connection, namespace: 'default', taskQueue, ...(workflowBundle ? { workflowBundle } : { workflowsPath: WORKFLOWS_PATH }), activities });
    running = worker.run();
  }, 120_000);
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await connection?.close();
    await closeTestClient();
  });
  return {
    taskQueue,
    calls,
    callsOf: (name, workflowId) => calls.filter((c) => c.name === name && (!workflowId || c.workflowId === workflowId)).map((c) => c.args),
  };
}

/** The scenario key: the video of a job input or of a prepared job (the first argument of every activity). */
function videoOf(first: unknown): string | undefined {
  const x = first as { video?: string; media?: { path?: string } } | undefined;
  return x?.video ?? x?.media?.path;
}

/** Job input on the stub worker's queue (all three queues are the one queue). */
export function stubInput(w: StubWorker, video: string, extra: Partial<JobOptionsInput> = {}): JobOptionsInput {
  return { video, src: 'ja', tgt: 'en', outputDir: 'wf-test', queues: { workflows: w.taskQueue, cpu: w.taskQueue, gpu: w.taskQueue }, timeouts: { heartbeatSec: 2 }, searchAttributes: false, ...extra } as JobOptionsInput;
}

export { testClient };
