// Chaos: kill -9 the worker at seeded points spread over every stage of a dub job, restart it, and check the job
// completes with the same result as an undisturbed run, redoing at most the activity that was interrupted.
// Also: restart the Temporal dev server (persistent database) in the middle of a job.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { devServerArgv, portOpen, spawnDetached, temporalCliPath, waitForServer } from '../../client/devServer.js';
import { loadSettings } from '../../config/load.js';
import type { DubJobResult } from '../../lib/job.js';
import { STAGES as ORDER, type Stage } from '../../lib/progress.js';
import { progressQuery } from '../../workflows/messages.js';
import { dialogueClip } from '../fixtures/media.js';
import { workerPort } from '../support/env.js';
import { closeTestClient, jobInput, startJob, tempDir } from '../support/jobs.js';
import { probe } from '../support/media.js';
import { waitFor } from '../support/processes.js';
import { queuesFor, startWorker, type WorkerProcess } from '../support/workers.js';

/** A small seeded generator (mulberry32): the same trials on every run. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STAGES: Stage[] = ['prepare', 'extract', 'transcribe', 'translate', 'synthesize', 'synthesize', 'assemble', 'mix', 'mux', 'report'];
// espeak-ng: the trials are about durability, not voices, and a neural cast would make each one minutes long.
const OPTIONS = { synthesisConcurrency: 1, timeouts: { heartbeatSec: 4 }, tts: { engine: 'espeak-ng' as const } };

async function summary(result: DubJobResult) {
  const read = (f: string) => readFile(path.join(result.outputDir, f), 'utf8').then(JSON.parse);
  const mkv = await probe(path.join(result.outputDir, result.outputs.mkv));
  return {
    transcript: (await read('transcript.json')).lines.map((l: { text: string }) => l.text),
    translation: (await read('translated.json')).lines.map((l: { target: string }) => l.target),
    streams: mkv.streams.map((s) => `${s.codec_type}:${s.codec_name}:${s.tags?.language ?? ''}`),
    durationSec: mkv.durationSec,
  };
}

/** Activities that ran more than once (attempt > 1) in a workflow's history. */
async function redone(handle: { fetchHistory(): Promise<{ events?: { activityTaskStartedEventAttributes?: { attempt?: number | null } | null }[] | null }> }): Promise<number> {
  const events = (await handle.fetchHistory()).events ?? [];
  return events.filter((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1).length;
}

describe('chaos: worker killed with SIGKILL at seeded points (real dev server)', () => {
  const queues = queuesFor('chaos');
  let reference: Awaited<ReturnType<typeof summary>>;
  let worker: WorkerProcess;
  beforeAll(async () => {
    const clip = await dialogueClip();
    worker = await startWorker('all', queues);
    reference = await summary(await (await startJob(jobInput(clip.video, queues, await tempDir('chaos-ref'), OPTIONS), queues)).result());
  }, 180_000);
  afterAll(async () => {
    await worker?.stop().catch(() => {});
    await closeTestClient();
  });

  const random = seeded(20261124);
  STAGES.forEach((stage, trial) => {
    const delayMs = Math.floor(random() * 400);
    it(`trial ${trial + 1}: killed during ${stage} (+${delayMs} ms) → completes, same output, at most the interrupted activity redone`, async () => {
      const clip = await dialogueClip();
      const handle = await startJob(jobInput(clip.video, queues, await tempDir('chaos'), OPTIONS), queues);
      await waitFor(`stage ${stage}`, async () => {
        const p = await handle.query(progressQuery).catch(() => undefined);
        // A short stage (report) can finish between two polls: having reached it or anything after it counts.
        return p && p.stage !== 'failed' && ORDER.indexOf(p.stage) >= ORDER.indexOf(stage);
      }, 120_000, 20);
      await new Promise((r) => setTimeout(r, delayMs));
      process.kill(worker.pid, 'SIGKILL');
      worker = await startWorker('all', queues);

      const result: DubJobResult = await handle.result();
      const got = await summary(result);
      expect(got.transcript).toEqual(reference.transcript);
      expect(got.translation).toEqual(reference.translation);
      expect(got.streams).toEqual(reference.streams);
      expect(Math.abs(got.durationSec - reference.durationSec)).toBeLessThanOrEqual(0.04); // one frame at 25 fps
      const again = await redone(handle);
      console.log(`chaos trial ${trial + 1} (${stage}): completed, ${again} activity attempt(s) redone`);
      expect(again).toBeLessThanOrEqual(1);
    }, 300_000);
  });
});

describe('chaos: the Temporal dev server restarted mid-run (persistent database)', () => {
  const port = workerPort(7); // its own server (restarted by the test), on this worker's ports
  const queues = queuesFor('chaos-server');
  let serverPid: number | undefined;
  let worker: WorkerProcess | undefined;
  let dir: string;
  let startServer: () => Promise<void>;
  beforeAll(async () => {
    dir = await tempDir('chaos-server');
    const argv = devServerArgv(temporalCliPath(loadSettings({})), { port, uiPort: port + 1000, dbFile: path.join(dir, 'temporal.db'), headless: true });
    startServer = async () => {
      serverPid = await spawnDetached(argv, path.join(dir, 'server.log'));
      await waitForServer(`127.0.0.1:${port}`, 'default', 120);
    };
    await startServer();
    worker = await startWorker('all', queues, { TEMPORAL_ADDRESS: `127.0.0.1:${port}` });
  }, 180_000);
  afterAll(async () => {
    await worker?.stop().catch(() => {});
    if (serverPid) try { process.kill(-serverPid, 'SIGTERM'); } catch { /* gone */ }
  });

  /** Starts a run, restarts the server once `ready` says so, and returns the run's result. */
  async function acrossRestart<T>(type: 'dubJob' | 'streamDub', input: object, ready: (handle: { query: (q: typeof progressQuery) => Promise<unknown> }) => Promise<boolean>): Promise<T> {
    let connection = await Connection.connect({ address: `127.0.0.1:${port}` });
    const handle = await new Client({ connection }).workflow.start(type, { taskQueue: queues.workflows, workflowId: `${type}-restart-${Date.now()}`, args: [input] });
    await waitFor('the point to restart at', () => ready(handle as never), 120_000, 50);
    process.kill(-serverPid!, 'SIGTERM');
    await waitFor('the server to stop', async () => !(await portOpen(port)), 30_000);
    // It holds the SQLite database until it exits (a new server on it fails with SQLITE_BUSY): wait for the exit too.
    await waitFor('the server process to exit', async () => {
      try { process.kill(serverPid!, 0); return false; } catch { return true; }
    }, 60_000);
    await connection.close();
    await new Promise((r) => setTimeout(r, 2000));
    await startServer();
    connection = await Connection.connect({ address: `127.0.0.1:${port}` });
    try {
      return await new Client({ connection }).workflow.getHandle(handle.workflowId).result();
    } finally {
      await connection.close();
    }
  }

  it('a dub job completes after the server comes back', async () => {
    const clip = await dialogueClip();
    const result = await acrossRestart<DubJobResult>('dubJob', jobInput(clip.video, queues, dir, OPTIONS),
      async (h) => ((await h.query(progressQuery)) as { stage: string }).stage === 'synthesize');
    expect(result.lines).toBe(clip.script.length);
    expect((await probe(path.join(result.outputDir, result.outputs.mkv))).streams.filter((s) => s.codec_type === 'audio')).toHaveLength(2);
  }, 240_000);

  it('a streaming run completes after the server comes back, every chunk done', async () => {
    const clip = await dialogueClip();
    const input = jobInput(clip.video, queues, path.join(dir, 'stream'), { ...OPTIONS, stream: { enabled: true, chunkSeconds: 6, dryRun: true } });
    const result = await acrossRestart<{ chunks: number; failed: number; outputDir: string; final?: string }>('streamDub', input,
      async (h) => ((await h.query(progressQuery)) as { chunksDone?: number }).chunksDone! >= 1);
    expect(result.chunks).toBeGreaterThanOrEqual(3);
    expect(result.failed).toBe(0);
    expect(Math.abs((await probe(path.join(result.outputDir, result.final!))).durationSec - clip.durationSec)).toBeLessThanOrEqual(0.1);
  }, 240_000);
});
