// streamDub's own logic (a failed chunk replaced by its fallback, continue-as-new, cancelling the parent)
// against a real dev server, with stubbed activities: no engine runs.
import { describe, expect, it } from '@jest/globals';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import type { Chunk } from '../../lib/chunkPlan.js';
import type { ChunkEntry } from '../../lib/streamManifest.js';
import { chunkWorkflowId } from '../../workflows/ids.js';
import type { StreamDubResult } from '../../workflows/streamDub.js';
import { stubInput, testClient, withStubWorker, type Stubs } from './stubWorker.js';

const chunksOf = (n: number): Chunk[] =>
  Array.from({ length: n }, (_, i) => ({ index: i, start: 10 * i, end: 10 * (i + 1), contextStart: 10 * i, contextEnd: 10 * (i + 1), keyframeAligned: true }));

const pad3 = (n: number) => String(n).padStart(3, '0');

/** Stream stubs: every chunk cuts, transcribes and muxes at once (tests override what they need). */
const streamBase: Stubs = {
  planStream: async () => chunksOf(3),
  publishStream: async () => undefined,
  cutChunk: async (prep) => ({ chunkPrep: prep, audio: { mix: 'a.wav', analysis: 'b.wav' }, video: 'copy', startedAt: new Date().toISOString() }),
  transcribeChunk: async () => [{ index: 0, start: 0, end: 1, text: 'はい' }] as never,
  muxChunk: async (_prep, chunk) => ({ mp4: `chunks/${pad3(chunk.index)}.mp4`, ts: `stream/${pad3(chunk.index)}.ts`, finishedAt: new Date().toISOString() }),
  fallbackChunk: async (_prep, chunk) => ({ mp4: `chunks/${pad3(chunk.index)}.orig.mp4`, ts: `stream/${pad3(chunk.index)}.ts`, finishedAt: new Date().toISOString() }),
  stitchStream: async () => 'x.stream.mp4',
};

const w = withStubWorker('wf-stream', {
  'chunk-fails.mp4': {
    transcribeChunk: async (_prep, _audio, chunk) => {
      if (chunk.index === 1) throw ApplicationFailure.nonRetryable('recognizer crashed on chunk 1', 'EngineFailed');
      return [{ index: 0, start: 0, end: 1, text: 'はい' }] as never;
    },
  },
  'long.mp4': { planStream: async () => chunksOf(7) },
  'cancel-stream.mp4': {
    transcribeChunk: async () => {
      const ctx = Context.current();
      for (;;) {
        ctx.heartbeat();
        await Promise.race([ctx.sleep(200), ctx.cancelled]);
      }
    },
  },
}, streamBase);

async function start(video: string, extra = {}) {
  const client = await testClient();
  return client.workflow.start('streamDub', { taskQueue: w.taskQueue, workflowId: `wf-${video}-${Date.now()}`, args: [stubInput(w, video, extra)] });
}

/** Calls made by the parent run(s) and by its chunk children. */
const ofRun = (name: string, id: string) => w.calls.filter((c) => c.name === name && (c.workflowId === id || c.workflowId.startsWith(`${id}-chunk-`)));

describe('streamDub with stubbed activities (against a real dev server)', () => {
  it('a chunk whose child fails gets the fallback chunk (original audio); the run goes on and says why', async () => {
    const handle = await start('chunk-fails.mp4');
    const result = (await handle.result()) as StreamDubResult;
    expect(result).toMatchObject({ chunks: 3, failed: 1, final: 'x.stream.mp4' });
    expect(ofRun('fallbackChunk', handle.workflowId).map((a) => (a.args[1] as Chunk).index)).toEqual([1]);
    const last = ofRun('publishStream', handle.workflowId).at(-1)!.args[1] as { entries: ChunkEntry[]; done: boolean };
    expect(last.done).toBe(true);
    expect(last.entries.map((e) => e.status)).toEqual(['done', 'failed', 'done']);
    expect(last.entries[1].error).toBe('EngineFailed: recognizer crashed on chunk 1');
    expect(last.entries[1].files).toEqual({ mp4: 'chunks/001.orig.mp4', ts: 'stream/001.ts' });
  });

  it('continues as new once its history is long, carrying finished chunks: none is rendered twice', async () => {
    const handle = await start('long.mp4', { stream: { continueAsNewEvents: 50 } });
    const result = (await handle.result()) as StreamDubResult;
    expect(result).toMatchObject({ chunks: 7, failed: 0 });
    const client = await testClient();
    const first = await client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId).describe();
    expect(first.status.name).toBe('CONTINUED_AS_NEW');
    expect(ofRun('prepareJob', handle.workflowId)).toHaveLength(1);
    expect(ofRun('cutChunk', handle.workflowId).map((c) => (c.args[1] as Chunk).index)).toEqual([...Array(7).keys()]);
  });

  it('cancelling the parent cancels the running chunk and its activity', async () => {
    const handle = await start('cancel-stream.mp4');
    const child = chunkWorkflowId(handle.workflowId, 0);
    for (const end = Date.now() + 20_000; !ofRun('transcribeChunk', handle.workflowId).length && Date.now() < end;) await new Promise((r) => setTimeout(r, 100));
    await handle.cancel();
    const err = await handle.result().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    const client = await testClient();
    expect((await client.workflow.getHandle(child).describe()).status.name).toBe('CANCELLED');
    expect(ofRun('fallbackChunk', handle.workflowId)).toHaveLength(0);
  });
});


