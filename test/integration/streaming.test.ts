// Streaming mode on a ~115 s generated clip, against a real dev server and real worker processes.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import type { JobOptionsInput } from '../../config/schema.js';
import type { StreamManifest } from '../../lib/streamManifest.js';
import type { StreamProgress } from '../../lib/streamProgress.js';
import { progressQuery } from '../../workflows/messages.js';
import { checkStreamPicture } from '../../scripts/pictureCheck.js';
import type { SpeechClip } from '../../scripts/speechClip.js';
import type { StreamDubResult } from '../../workflows/streamDub.js';
import { streamClip } from '../fixtures/media.js';
import { closeTestClient, jobInput, tempDir, testClient } from '../support/jobs.js';
import { decodes, probe } from '../support/media.js';
import { processesMentioning, waitFor } from '../support/processes.js';
import { queuesFor, startWorker, type Queues, type WorkerProcess } from '../support/workers.js';

const readManifest = (dir: string): Promise<StreamManifest | undefined> =>
  readFile(path.join(dir, 'stream', 'manifest.json'), 'utf8').then(JSON.parse, () => undefined);

async function startStream(queues: Queues, stream: JobOptionsInput['stream'], id = `stream-${Math.random().toString(36).slice(2, 8)}`) {
  const clip = await streamClip();
  const out = await tempDir('stream');
  const client = await testClient();
  const handle = await client.workflow.start('streamDub', {
    taskQueue: queues.workflows,
    workflowId: id,
    // espeak-ng: these tests are about chunks, manifests and resume; a Kokoro voice per chunk (es's default) costs
    // ~1 CPU-s per second of speech and pushed the 115 s clip past the test's time on 2 cores.
    args: [jobInput(clip.video, queues, out, { stream: { enabled: true, ...stream }, tts: { engine: 'espeak-ng' } })],
  });
  return { handle, jobDir: path.join(out, 'stream.es'), clip };
}

/** How many times each chunk was cut and muxed, from the job's engine command log. */
async function renders(jobDir: string): Promise<Map<number, number>> {
  const log = await readFile(path.join(jobDir, 'tmp', 'commands.jsonl'), 'utf8').catch(() => '');
  const counts = new Map<number, number>();
  for (const row of log.split('\n').filter(Boolean)) {
    const m = JSON.parse(row).argv.join(' ').match(/stream\/\.chunk_(\d{3})\.[\w-]+\.part\.mp4/);
    if (m) counts.set(Number(m[1]), (counts.get(Number(m[1])) ?? 0) + 1);
  }
  return counts;
}

describe('streaming mode (real dev server and workers, ~115 s clip)', () => {
  let clip: SpeechClip;
  const workers: WorkerProcess[] = [];
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop().catch(() => {})));
    await closeTestClient();
  });
  beforeAll(async () => { clip = await streamClip(); }, 180_000);

  it('publishes the manifest and a live playlist after each chunk, and stitches to the source duration', async () => {
    const queues = queuesFor('st-main');
    workers.push(await startWorker('all', queues));
    const { handle, jobDir } = await startStream(queues, { chunkSeconds: 20, concurrency: 2 });
    expect(clip.durationSec).toBeGreaterThanOrEqual(90);

    // read it while the run is going
    const midway = await waitFor('a manifest with some chunks done and the run still going', async () => {
      const m = await readManifest(jobDir);
      return m && m.status === 'running' && m.chunks.some((c) => c.status === 'done') && m.chunks.some((c) => c.status !== 'done') && m;
    }, 120_000, 100);
    const liveList = await readFile(path.join(jobDir, 'stream', 'index.m3u8'), 'utf8');
    expect(liveList).toMatch(/#EXT-X-PLAYLIST-TYPE:EVENT/);
    expect(liveList).not.toMatch(/ENDLIST/);
    expect(midway.version).toBe(1);

    const result: StreamDubResult = await handle.result();
    const m = (await readManifest(jobDir))!;
    expect(m.status).toBe('done');
    expect(m.chunks.length).toBe(result.chunks);
    expect(m.chunks.length).toBeGreaterThanOrEqual(4);
    for (const [i, c] of m.chunks.entries()) {
      expect(c.status).toBe('done');
      expect(c.start).toBe(i === 0 ? 0 : m.chunks[i - 1].end); // output chunks never repeat time
      expect(['copy', 'reencode']).toContain(c.video);
      expect(await decodes(path.join(jobDir, 'stream', c.files!.mp4))).toBe(true);
    }
    expect(m.chunks.filter((c) => c.video === 'copy').length).toBeGreaterThan(0);
    expect(m.chunks.reduce((n, c) => n + (c.lines ?? 0), 0)).toBeGreaterThanOrEqual(20);
    expect((await readFile(path.join(jobDir, 'stream', 'index.m3u8'), 'utf8')).trim().endsWith('#EXT-X-ENDLIST')).toBe(true);

    const final = await probe(path.join(jobDir, result.final!));
    expect(Math.abs(final.durationSec - clip.durationSec)).toBeLessThanOrEqual(0.1);
    expect(final.streams.filter((s) => s.codec_type === 'audio').map((s) => s.tags?.language)).toEqual(['spa', 'eng']);
    // with a real dub: every chunk, segment and the stitched file show the source frame of each instant
    const pictures = await checkStreamPicture(clip.video, path.join(jobDir, 'stream'), m.chunks, path.basename(result.final!));
    expect(pictures.length).toBe(2 * m.chunks.length + 1);
    for (const p of pictures) expect({ file: p.file, withinOneFrame: p.worstFrames <= 1 }).toEqual({ file: p.file, withinOneFrame: true });
    expect(result.timeToFirstChunkSec).toBeGreaterThan(0);
    const progress = (await handle.query(progressQuery)) as unknown as StreamProgress;
    expect(progress).toMatchObject({ kind: 'stream', stage: 'done', chunksDone: m.chunks.length, chunksTotal: m.chunks.length, chunksFailed: 0 });
  }, 360_000);

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

    workers.push(await startWorker('all', queues));
    const result: StreamDubResult = await handle.result();
    expect(result.failed).toBe(0);
    const counts = await renders(jobDir);
    for (const i of doneBefore) expect({ chunk: i, muxed: counts.get(i) }).toEqual({ chunk: i, muxed: 1 });
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: result.chunks }, (_, i) => i));
  }, 300_000);

  it('cancelling the parent stops every child and kills their subprocesses', async () => {
    const queues = queuesFor('st-cancel');
    workers.push(await startWorker('all', queues));
    const { handle, jobDir } = await startStream(queues, { chunkSeconds: 20, concurrency: 2 });
    await waitFor('a chunk rendering', async () => ((await handle.query(progressQuery)) as unknown as StreamProgress).running.length > 0, 120_000, 100);
    await handle.cancel();
    const err = await handle.result().then(() => undefined, (e) => e);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    const client = await testClient();
    const children = [];
    for await (const wf of client.workflow.list({ query: `WorkflowType = 'streamChunk' AND WorkflowId STARTS_WITH '${handle.workflowId}-chunk-'` })) children.push(wf);
    expect(children.length).toBeGreaterThan(0);
    for (const c of children) expect(['COMPLETED', 'CANCELLED']).toContain((await client.workflow.getHandle(c.workflowId).describe()).status.name);
    expect(await processesMentioning(jobDir)).toEqual([]);
  }, 300_000);

  it('a dry run cuts, muxes, publishes and stitches without ASR/MT/TTS, and a long run continues as new', async () => {
    const queues = queuesFor('st-dry');
    workers.push(await startWorker('all', queues));
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
