// Streaming mode on a ~115 s generated clip, against a real dev server and real worker processes: a full run
// (manifest, live playlist, stitch, frame-exact pictures) and cancelling. Failure and resume: streamingRecovery.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import type { StreamProgress } from '../../lib/streamProgress.js';
import { progressQuery } from '../../workflows/messages.js';
import { checkStreamPicture } from '../../scripts/pictureCheck.js';
import type { SpeechClip } from '../../scripts/speechClip.js';
import type { StreamDubResult } from '../../workflows/streamDub.js';
import { streamClip } from '../fixtures/media.js';
import { closeTestClient, testClient } from '../support/jobs.js';
import { decodes, probe } from '../support/media.js';
import { processesMentioning, waitFor } from '../support/processes.js';
import { readManifest, startStream } from '../support/streaming.js';
import { queuesFor, startWorker, type WorkerProcess } from '../support/workers.js';

describe('streaming mode (real dev server and workers, ~115 s clip)', () => {
  let clip: SpeechClip;
  // One worker for both tests (neither kills it): each job is told apart by its own folder and workflow id.
  const queues = queuesFor('st-main');
  let worker: WorkerProcess | undefined;
  afterAll(async () => {
    await worker?.stop().catch(() => {});
    await closeTestClient();
  });
  beforeAll(async () => {
    clip = await streamClip();
    worker = await startWorker('all', queues);
  }, 300_000);

  it('publishes the manifest and a live playlist after each chunk, and stitches to the source duration', async () => {
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
  }, 600_000); // a 115 s clip through the real engines: minutes on 2 loaded cores

  it('cancelling the parent stops every child and kills their subprocesses', async () => {
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
});
