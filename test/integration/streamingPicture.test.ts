// Streaming keeps picture and sound together: over a matrix of ordinary inputs (frame rates, keyframe intervals
// that fall on non-round times, B-frames, open GOP; chunks copied and re-encoded), every chunk's MP4, every HLS
// segment and the stitched file are decoded and compared with the source frame by frame. Dry runs (real cuts,
// muxes, segments and stitch; a silent dub) against a real dev server and a real worker process.
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { StreamManifest } from '../../lib/streamManifest.js';
import type { DubJobResult } from '../../lib/job.js';
import { audioStart, checkFile, checkStreamPicture, decodeFrames, instantsIn, soundStartLike, type FileCheck } from '../../scripts/pictureCheck.js';
import type { StreamDubResult } from '../../workflows/streamDub.js';
import { patternClip, writeSrt, type PatternClipSpec } from '../fixtures/media.js';
import { jobInput, startJob, tempDir, testClient } from '../support/jobs.js';
import { TEST_CACHE } from '../support/env.js';
import { withWorker } from '../support/workers.js';

interface MatrixEntry { what: string; clip: PatternClipSpec; chunkSeconds: number }

/** Keyframe times are gop / fps: 100/23.976 = 4.171 s, 250/24 = 10.417 s (x264's default), 93/25 = 3.72 s, ... */
const MATRIX: MatrixEntry[] = [
  { what: '23.976 fps, keyframes every 4.171 s, B-frames (copied)', clip: { rate: '24000/1001', durationSec: 12, gop: 100, bframes: 3 }, chunkSeconds: 4 },
  { what: '24 fps, keyframes every 10.417 s (x264 default 250), B-frames (re-encoded, then copied)', clip: { rate: '24', durationSec: 16, gop: 250, bframes: 3 }, chunkSeconds: 5 },
  { what: '25 fps, keyframes every 3.72 s, B-frames (copied)', clip: { rate: '25', durationSec: 12, gop: 93, bframes: 3 }, chunkSeconds: 4 },
  { what: '29.97 fps, open GOP every 3.67 s, B-frames (re-encoded: an open-GOP keyframe is no clean cut)', clip: { rate: '30000/1001', durationSec: 12, gop: 110, bframes: 3, openGop: true }, chunkSeconds: 4 },
  { what: '30 fps, one keyframe at 4.367 s (frame 131), no B-frames (copied, then re-encoded)', clip: { rate: '30', durationSec: 12, gop: 900, bframes: 0, forceKeyframes: [4.366] }, chunkSeconds: 4 },
];

const rateOf = (r: string) => { const [n, d = '1'] = r.split('/'); return (Number(n) / Number(d)).toFixed(3).replace(/\.?0+$/, ''); };
const measured: Record<string, { fps: string; files: number; worstFrames: number; worstMs: number; video: string[] }> = {};

describe('streaming keeps picture and sound together (decoded frames, real dev server and worker)', () => {
  const queues = withWorker('st-picture', { prepare: () => Promise.all(MATRIX.map((m) => patternClip(m.clip))) });
  afterAll(async () => {
    // The numbers behind the assertions, for people reading CI logs.
    const file = path.join(TEST_CACHE, 'streaming-picture.json');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify(measured, null, 2));
    console.log(Object.values(measured).map((m) => `${m.fps} fps: ${m.files} files, max offset ${m.worstFrames.toFixed(2)} frames (${m.worstMs.toFixed(1)} ms), chunks ${m.video.join(',')}`).join('\n'));
  });

  for (const entry of MATRIX) {
    it(`${entry.what}: every chunk, segment and the stitched file show the source frame of their instant (±1 frame)`, async () => {
      const video = await patternClip(entry.clip);
      const out = await tempDir('st-picture');
      const client = await testClient();
      const handle = await client.workflow.start('streamDub', {
        taskQueue: queues.workflows,
        workflowId: `st-picture-${Math.random().toString(36).slice(2, 8)}`,
        args: [jobInput(video, queues, out, { stream: { enabled: true, chunkSeconds: entry.chunkSeconds, dryRun: true, concurrency: 2 } })],
      });
      const result: StreamDubResult = await handle.result();
      const streamDir = path.join(result.outputDir, 'stream');
      const m: StreamManifest = JSON.parse(await readFile(path.join(streamDir, 'manifest.json'), 'utf8'));
      expect(m.chunks.length).toBeGreaterThanOrEqual(3);
      expect(m.chunks.every((c) => c.status === 'done')).toBe(true);

      const checks: FileCheck[] = await checkStreamPicture(video, streamDir, m.chunks, path.basename(result.final!));
      measured[entry.what] = {
        fps: rateOf(entry.clip.rate),
        files: checks.length,
        worstFrames: Math.max(...checks.map((c) => c.worstFrames)),
        worstMs: 1000 * Math.max(...checks.map((c) => c.worstSec)),
        video: m.chunks.map((c) => c.video ?? '?'),
      };
      expect(checks.length).toBe(2 * m.chunks.length + 1);
      for (const c of checks) {
        // Which file and instant, when it fails.
        const bad = c.samples.filter((s) => !(Math.abs(s.offsetFrames) <= 1));
        expect({ file: c.file, bad }).toEqual({ file: c.file, bad: [] });
        // The frames themselves: as many as the source has in that stretch, each at a source frame's own time.
        expect({ file: c.file, frames: c.timing.outputFrames }).toEqual({ file: c.file, frames: c.timing.sourceFrames });
        expect({ file: c.file, late: c.timing.maxTimeErrorSec <= 0.001 }).toEqual({ file: c.file, late: true });
      }
    }, 120_000);
  }

  it('the main dub (MP4 and MKV, video copied) of an open-GOP B-frame input shows the source frame of every instant', async () => {
    const video = await patternClip(MATRIX[3].clip);
    const dir = await tempDir('picture-main');
    const subs = await writeSrt(path.join(dir, 'in', 'lines.srt'), [{ start: 1, end: 2.5, text: 'Good morning everyone.' }, { start: 6, end: 7.5, text: 'Thank you very much.' }]);
    const result: DubJobResult = await (await startJob(jobInput(video, queues, path.join(dir, 'out'), { subs, translate: false }), queues)).result();
    const mp4 = path.join(result.outputDir, result.outputs.mp4);
    const mkv = path.join(result.outputDir, result.outputs.mkv);
    const source = await decodeFrames(video);
    const sourceOrigin = await audioStart(video);
    const length = MATRIX[3].clip.durationSec;
    const at = instantsIn(0, length, source.frameSec, 8);
    const checks = [
      await checkFile(source, sourceOrigin, mp4, path.basename(mp4), await audioStart(mp4), 0, length, at),
      // Matroska cannot state the AAC encoder delay: the sound starts where the MP4 says, after the first packet.
      await checkFile(source, sourceOrigin, mkv, path.basename(mkv), await soundStartLike(mkv, mp4), 0, length, at),
    ];
    measured['main dub (29.97 fps, open GOP, B-frames)'] = { fps: '29.97', files: 2, worstFrames: Math.max(...checks.map((c) => c.worstFrames)), worstMs: 1000 * Math.max(...checks.map((c) => c.worstSec)), video: ['main'] };
    for (const c of checks) {
      expect({ file: c.file, bad: c.samples.filter((s) => !(Math.abs(s.offsetFrames) <= 1)) }).toEqual({ file: c.file, bad: [] });
      expect({ file: c.file, frames: c.timing.outputFrames }).toEqual({ file: c.file, frames: c.timing.sourceFrames });
    }
  }, 120_000);

  it('the matrix covers copied and re-encoded chunks, and a run that has both', () => {
    const runs = Object.values(measured).map((m) => m.video);
    expect(runs.flat()).toEqual(expect.arrayContaining(['copy', 'reencode']));
    expect(runs.some((v) => v.includes('copy') && v.includes('reencode'))).toBe(true);
  });
});
