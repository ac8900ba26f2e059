// scripts/verify-streaming-mode: a fast end-to-end check of streaming on this machine (dry run: real cuts,
// muxes, manifest, playlist and stitch; no recognition or synthesis). Exit 0 when all is well, 1 otherwise.
// It uses its own embedded Temporal server (temporary state dir, port 17633) and stops it afterwards.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import type { StreamManifest } from '../lib/streamManifest.js';
import { checkStreamPicture } from './pictureCheck.js';
import { makeSpeechClip } from './speechClip.js';
import { verify } from './verifyKit.js';

const duration = async (file: string) => Number((await execa('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file], { reject: false })).stdout);

await verify('verify-streaming', 17633, 'streaming mode verified', async ({ dir, check, cli }) => {
  const speech = await makeSpeechClip(path.join(dir, 'speech.mp4'), { loops: 2 });
  // Encoded like an ordinary input: B-frames and a keyframe every 83 frames (3.32 s, a non-round time), so a cut
  // that lands a frame off, or a copy that starts at the wrong keyframe, shows.
  const clip = { ...speech, video: path.join(dir, 'clip.mp4') };
  await execa('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-i', speech.video, '-map', '0', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18',
    '-x264-params', 'keyint=83:min-keyint=83:scenecut=0:bframes=3', '-pix_fmt', 'yuv420p', '-c:a', 'copy', clip.video]);
  const r = await cli(['run', clip.video, '--stream', 'on', '--dry-run', '--chunk-seconds', '10', '--stream-concurrency', '2', '--output', path.join(dir, 'out')]);
  check(r.exitCode === 0, `dry-run streaming job succeeds${r.exitCode ? `: ${String(r.stderr).trim()}` : ''}`);
  const stream = path.join(dir, 'out', 'clip.es', 'stream');
  const m: StreamManifest | undefined = await readFile(path.join(stream, 'manifest.json'), 'utf8').then(JSON.parse, () => undefined);
  check(m?.version === 1 && m.status === 'done', 'manifest.json is version 1 and done');
  check(!!m && m.chunks.length >= 4 && m.chunks.every((c) => c.status === 'done'), `every chunk done (${m?.chunks.length ?? 0} chunks)`);
  check(!!m && m.chunks.every((c, i) => i === 0 || c.start === m.chunks[i - 1].end), 'chunks tile the input (no gap, no repeat)');
  const list = await readFile(path.join(stream, 'index.m3u8'), 'utf8').catch(() => '');
  check(list.includes('#EXT-X-ENDLIST') && (list.match(/\.ts\n/g) ?? []).length === m?.chunks.length, 'index.m3u8 lists every segment and ends');
  const d = await duration(path.join(stream, 'stream.final.mp4'));
  check(Math.abs(d - clip.durationSec) <= 0.1, `stream.final.mp4 lasts ${d.toFixed(3)} s (source ${clip.durationSec.toFixed(3)} s, ±0.1)`);
  if (!m) return;
  // The picture: decoded frames of every chunk, segment and the stitched file against the source's.
  const checks = await checkStreamPicture(clip.video, stream, m.chunks, 'stream.final.mp4');
  const worst = checks.reduce((w, c) => (c.worstFrames > w.worstFrames ? c : w), checks[0]);
  const kinds = m.chunks.map((c) => c.video).join(', ');
  check(checks.length === 2 * m.chunks.length + 1 && checks.every((c) => c.worstFrames <= 1),
    `picture matches sound within one frame in ${checks.length} files (chunks: ${kinds}; worst ${worst.file}: ${worst.worstFrames.toFixed(2)} frames)`);
  const miscounted = checks.filter((c) => c.timing.outputFrames !== c.timing.sourceFrames);
  check(miscounted.length === 0, `every file has the source's frames for its stretch${miscounted.length ? ` (not: ${miscounted.map((c) => `${c.file} ${c.timing.outputFrames}/${c.timing.sourceFrames}`).join(', ')})` : ''}`);
});
