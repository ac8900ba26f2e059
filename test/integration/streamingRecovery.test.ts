// Streaming mode on a ~115 s generated clip: a chunk that keeps failing, resume after the worker is killed, and
// a long dry run continuing as new (real dev server and worker processes). The full run: streaming.test.ts.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { SpeechClip } from '../../scripts/speechClip.js';
import type { StreamDubResult } from '../../workflows/streamDub.js';
import { streamClip } from '../fixtures/media.js';
import { closeTestClient, testClient } from '../support/jobs.js';
import { probe } from '../support/media.js';
import { waitFor } from '../support/processes.js';
import { readManifest, renders, startStream } from '../support/streaming.js';
import { queuesFor, startWorker, type WorkerProcess } from '../support/workers.js';

describe('streaming mode: failures, resume, continue-as-new (real dev server and workers, ~115 s clip)', () => {
  let clip: SpeechClip;
  const workers: WorkerProcess[] = [];
  let restarted: WorkerProcess | undefined;
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop().catch(() => {})));
    await closeTestClient();
  });
  beforeAll(async () => { clip = await streamClip(); }, 180_000);

  it('a chunk that keeps failing is marked failed with its error, keeps the original audio, and the run completes', async () => {
    const queues = queuesFor('st-fail');
    workers.push(await startWorker('all', queues, { DUB_INJECT_FAILURE: 'cutChunk:1' }));
    const { handle, jobDir } = await startStream(queues, { chunkSeconds: 30, dryRun: true });
    const result: StreamDubResult = await handle.result();
    expect(result.failed).toBe(1);
    const m = (await readManifest(jobDir))!;
    expect(m.chunks[1]).toMatchObject({ status: 'failed', error: expect.stringMatching(/injected failure \(DUB_INJECT_FAILURE\) in cutChunk for chunk 1/) });
    expect(m.chunks.filter((c) => c.status === 'done').length).toBe(m.chunks.length - 1);
    const failedChunk = await probe(path.join(jobDir, 'stream', m.chunks[1].files!.mp4));
    expect(failedChunk.streams.filter((s) => s.codec_type === 'audio').length).toBe(2);
    expect(Math.abs((await probe(path.join(jobDir, result.final!))).durationSec - clip.durationSec)).toBeLessThanOrEqual(0.1);
  }, 300_000);

  it('resumes after the worker is killed mid-run without redoing finished chunks', async () => {
    const queues = queuesFor('st-crash');
    const first = await startWorker('all', queues);
    const { handle, jobDir } = await startStream(queues, { chunkSeconds: 20, concurrency: 1 });
    const before = await waitFor('two chunks done', async () => {
      const m = await readManifest(jobDir);
      return m && m.chunks.filter((c) => c.status === 'done').length >= 2 && m;
    }, 180_000, 100);
    process.kill(first.pid, 'SIGKILL');
    const doneBefore = before.chunks.filter((c) => c.status === 'done').map((c) => c.index);

    workers.push((restarted = await startWorker('all', queues)));
    const result: StreamDubResult = await handle.result();
    expect(result.failed).toBe(0);
    const counts = await renders(jobDir);
    for (const i of doneBefore) expect({ chunk: i, muxed: counts.get(i) }).toEqual({ chunk: i, muxed: 1 });
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: result.chunks }, (_, i) => i));
  }, 300_000);

  it('a dry run cuts, muxes, publishes and stitches without ASR/MT/TTS, and a long run continues as new', async () => {
    // The worker the resume test started (a fresh one if that test failed before it): this test kills nothing.
    const queues = queuesFor('st-crash');
    if (!restarted) workers.push((restarted = await startWorker('all', queues)));
    const { handle, jobDir } = await startStream(queues, { chunkSeconds: 5, dryRun: true, concurrency: 2, continueAsNewEvents: 60 } as never);
    const result: StreamDubResult = await handle.result();
    expect(result.chunks).toBeGreaterThanOrEqual(15);
    const log = await readFile(path.join(jobDir, 'tmp', 'commands.jsonl'), 'utf8');
    expect(log).not.toMatch(/pocketsphinx|apertium|espeak|text2wave/);
    expect(existsSync(path.join(jobDir, result.final!))).toBe(true);
    // the parent's history was cut: its first run ended by continuing as new
    const client = await testClient();
    const runs = [];
    for await (const wf of client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` })) runs.push(wf.status.name);
    expect(runs).toContain('CONTINUED_AS_NEW');
    expect(runs).toContain('COMPLETED');
  }, 300_000);
});
