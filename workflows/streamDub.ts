// A streaming run: prepare → extract → plan chunks → one child workflow per chunk (bounded window), publishing
// the manifest and playlist after each → [stitch]. Long runs continue as new, carrying what is finished.
import {
  ApplicationFailure, ActivityFailure, ChildWorkflowFailure, continueAsNew, executeChild, isCancellation, setHandler,
  upsertMemo, upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import { DEFAULT_PLACEMENT, DEFAULT_QUEUES } from '../config/placement.js';
import type { Queues } from '../config/schema.js';
import type { Chunk } from '../lib/chunkPlan.js';
import { jobFolderOf, type DubJobInput, type JobRef, type PreparedJob } from '../lib/job.js';
import { progressQuery } from './messages.js';
import { DubStageKey } from '../lib/searchAttributes.js';
import { initialEntries, type ChunkEntry } from '../lib/streamManifest.js';
import type { StreamProgress, StreamStage } from '../lib/streamProgress.js';
import { mapWithWindow } from '../lib/window.js';
import { chunkWorkflowId } from './ids.js';
import { activitiesOn } from './activitiesOn.js';
import { streamChunk } from './streamChunk.js';
import { resumeOriginProblem } from './entryPoints.js';
import { stageRunner } from './stage.js';
import { STREAM_MANIFEST, STREAM_PLAYLIST } from '../lib/artifactNames.js';

/** What a continued run carries over: the plan and every chunk's state. */
export interface StreamResume {
  prep: PreparedJob;
  chunks: Chunk[];
  entries: ChunkEntry[];
  startedAtMs: number;
  timeToFirstChunkSec?: number;
}

export type StreamDubInput = DubJobInput & { resume?: StreamResume };

export interface StreamDubResult {
  job: JobRef;
  outputDir: string;
  manifest: string;
  playlist: string;
  final?: string;
  chunks: number;
  failed: number;
  timeToFirstChunkSec?: number;
}

function reason(err: unknown): string {
  let e: unknown = err;
  while ((e instanceof ChildWorkflowFailure || e instanceof ActivityFailure) && e.cause) e = e.cause;
  return e instanceof ApplicationFailure ? `${e.type ?? 'Error'}: ${e.message}` : e instanceof Error ? e.message : String(e);
}

export async function streamDub(input: StreamDubInput): Promise<StreamDubResult> {
  const info = workflowInfo();
  const progress: StreamProgress = { kind: 'stream', stage: 'queued', chunksTotal: 0, chunksDone: 0, chunksFailed: 0, running: [], percent: 0, outputs: {} };
  setHandler(progressQuery, () => ({ ...progress, running: [...progress.running] }) as never);
  const tagged = input?.searchAttributes !== false;
  // Every step as dubJob's stages (a failed one's DubStage stays where it was, as in 1.0).
  const stage = stageRunner<StreamStage>({ enter: (name) => (progress.stage = name), tagFailed: false }, tagged);

  // A continued run's plan (with its PreparedJob) is trusted only from the run that continued as new.
  const refused = resumeOriginProblem(info, input?.resume !== undefined);
  if (refused) throw ApplicationFailure.create({ type: 'InvalidConfig', message: refused, nonRetryable: true });
  const queues: Queues = { ...DEFAULT_QUEUES, ...input?.queues };
  let resume = input.resume;
  if (!resume) {
    const prep = await stage('prepare', () => activitiesOn(queues, DEFAULT_PLACEMENT).prepareJob(input));
    upsertMemo({ input: prep.media.path, src: prep.options.src, tgt: prep.options.tgt, outputDir: jobFolderOf(prep.job), stream: true, queues: prep.options.queues });
    const act = activitiesOn(prep.options.queues, prep.options.placement, prep.options.timeouts?.heartbeatSec);
    const audio = await stage('extract', () => act.extractAudio(prep));
    resume = await stage('plan', async () => {
      const chunks = await act.planStream(prep, audio);
      const planned: StreamResume = { prep, chunks, entries: initialEntries(chunks), startedAtMs: info.startTime.getTime() };
      await act.publishStream(prep, { workflowId: info.workflowId, entries: planned.entries, done: false });
      return planned;
    });
  }
  const state = resume;
  const { prep, chunks, entries } = state;
  const act = activitiesOn(prep.options.queues, prep.options.placement, prep.options.timeouts?.heartbeatSec);
  const count = () => {
    progress.chunksTotal = entries.length;
    progress.chunksDone = entries.filter((e) => e.status === 'done' || e.status === 'failed').length;
    progress.chunksFailed = entries.filter((e) => e.status === 'failed').length;
    progress.percent = Math.round((100 * progress.chunksDone) / Math.max(1, entries.length));
    progress.timeToFirstChunkSec = state.timeToFirstChunkSec;
  };
  count();
  progress.outputs = { manifest: STREAM_MANIFEST, playlist: STREAM_PLAYLIST };

  // Publishing is chained so an older snapshot never overwrites a newer one.
  let publishing: Promise<void> = Promise.resolve();
  const publish = (done: boolean, final?: string) => {
    const snapshot = entries.map((e) => ({ ...e }));
    publishing = publishing.then(() => act.publishStream(prep, { workflowId: info.workflowId, entries: snapshot, done, final }));
    return publishing;
  };

  const todo = chunks.filter((c) => entries[c.index].status !== 'done' && entries[c.index].status !== 'failed');
  const historyFull = () => workflowInfo().historyLength > prep.options.stream.continueAsNewEvents;
  await stage('chunks', () => mapWithWindow(todo, prep.options.stream.concurrency, async (chunk) => {
    const entry = entries[chunk.index];
    progress.running.push(chunk.index);
    entry.status = 'running';
    try {
      const r = await executeChild(streamChunk, {
        workflowId: chunkWorkflowId(info.workflowId, chunk.index),
        taskQueue: prep.options.queues.workflows,
        args: [{ prep, chunk }],
      });
      Object.assign(entry, { status: 'done', video: r.video, files: r.files, lines: r.lines, timings: r.timings });
    } catch (err) {
      if (isCancellation(err)) throw err;
      // Failed after its retries: keep the original audio for this stretch so playback goes on.
      try {
        const files = await act.fallbackChunk(prep, chunk);
        Object.assign(entry, { status: 'failed', error: reason(err), files: { mp4: files.mp4, ts: files.ts }, timings: { finishedAt: files.finishedAt } });
      } catch (fallbackErr) {
        if (isCancellation(fallbackErr)) throw fallbackErr;
        // Not even the original could be cut: the chunk is a hole, the manifest says why, and the run goes on.
        Object.assign(entry, { status: 'failed', error: `${reason(err)}; its fallback (the original audio) failed too: ${reason(fallbackErr)}`, timings: {} });
      }
    } finally {
      progress.running = progress.running.filter((i) => i !== chunk.index);
    }
    if (state.timeToFirstChunkSec === undefined && entries[0].files && entry.index === 0) {
      state.timeToFirstChunkSec = (Date.parse(entry.timings.finishedAt!) - state.startedAtMs) / 1000;
    }
    count();
    await publish(false);
  }, () => !historyFull()).then(() => publishing));

  if (entries.some((e) => e.status === 'pending' || e.status === 'running')) {
    await continueAsNew<typeof streamDub>({ ...input, resume: state });
  }

  let final: string | undefined;
  // A chunk with no file at all (its fallback failed too) leaves a hole a stitched file cannot have.
  if (prep.options.stream.stitch && entries.every((e) => e.files)) {
    final = await stage('stitch', () => act.stitchStream(prep, entries));
    progress.outputs.final = final;
  }
  await publish(true, final);
  // The folder is free for the next job (a run that failed or was cancelled leaves a lock the next one takes over).
  await act.releaseJob(prep);
  progress.stage = 'done';
  if (tagged) upsertSearchAttributes([{ key: DubStageKey, value: 'done' }]);
  count();
  return {
    job: prep.job,
    outputDir: jobFolderOf(prep.job),
    manifest: STREAM_MANIFEST,
    playlist: STREAM_PLAYLIST,
    final,
    chunks: entries.length,
    failed: progress.chunksFailed,
    timeToFirstChunkSec: state.timeToFirstChunkSec,
  };
}
