// ffmpeg argv for --fit-video auto: the sound slowed along the time map (atempo on each span, the rest as it is),
// the picture rebuilt from copied parts (cut on clean keyframes, as streaming cuts) and re-encoded slowed parts,
// joined by stream copy.
import { setptsExpr, type TimeMap, type VideoPart } from '../lib/timeMap.js';
import { atempoChain } from '../lib/timingFit.js';
import { sec } from './ffmpegStream.js';

const base = ['ffmpeg', '-nostdin', '-v', 'error', '-y'];

/** Sound read on each side of a slowed span: atempo drops the last few tens of ms of a piece, so it loses context, not the span. */
export const STRETCH_CONTEXT_SEC = 0.25;

/**
 * The filter graph that plays a sound along the time map: the stretches between spans as they are, each span
 * slowed by its factor (atempo keeps the pitch), all joined in order. Each span is slowed with some sound on
 * either side (and silence after the end of the file), then cut back to exactly its slowed length, so the
 * pieces add up to the map's duration to the sample.
 */
export function stretchAudioFilter(map: TimeMap, rate: number): string {
  const pieces: { start: number; end: number; factor: number }[] = [];
  let at = 0;
  for (const s of map.spans) {
    if (s.srcStart > at) pieces.push({ start: at, end: s.srcStart, factor: 1 });
    pieces.push({ start: s.srcStart, end: s.srcEnd, factor: s.factor });
    at = s.srcEnd;
  }
  pieces.push({ start: at, end: Infinity, factor: 1 });
  const sample = (t: number) => Math.round(t * rate);
  const lines = [`[0:a]asplit=${pieces.length}${pieces.map((_, i) => `[s${i}]`).join('')}`];
  pieces.forEach((p, i) => {
    if (p.factor === 1) {
      const trim = Number.isFinite(p.end) ? `atrim=start_sample=${sample(p.start)}:end_sample=${sample(p.end)}` : `atrim=start_sample=${sample(p.start)}`;
      lines.push(`[s${i}]${trim},asetpts=PTS-STARTPTS[p${i}]`);
      return;
    }
    const before = Math.min(STRETCH_CONTEXT_SEC, p.start);
    const from = sample(p.start - before);
    const to = sample(p.end + STRETCH_CONTEXT_SEC);
    const skip = Math.round((sample(p.start) - from) * p.factor);
    const keep = Math.round((sample(p.end) - sample(p.start)) * p.factor);
    lines.push(`[s${i}]${[
      `atrim=start_sample=${from}:end_sample=${to}`, 'asetpts=PTS-STARTPTS', `apad=pad_dur=${(2 * STRETCH_CONTEXT_SEC).toFixed(3)}`,
      ...atempoChain(1 / p.factor), `atrim=start_sample=${skip}:end_sample=${skip + keep}`, 'asetpts=PTS-STARTPTS',
    ].join(',')}[p${i}]`);
  });
  lines.push(`${pieces.map((_, i) => `[p${i}]`).join('')}concat=n=${pieces.length}:v=0:a=1[out]`);
  return lines.join(';\n');
}

/** A WAV (the bed, or the original) played along the time map, as 48 kHz 16-bit PCM of the same channels. */
export function stretchAudioArgv(input: string, filterScript: string, output: string, rate: number): string[] {
  return [...base, '-i', input, '-filter_complex_script', filterScript, '-map', '[out]', '-ar', String(rate), '-c:a', 'pcm_s16le', '-f', 'wav', output];
}

/** The original track, stretched, for the containers: AAC (the MKV can no longer copy the source's bit-exact). */
export function encodeOriginalArgv(inputWav: string, output: string): string[] {
  return [...base, '-i', inputWav, '-vn', '-c:a', 'aac', '-b:a', '192k', '-f', 'mp4', output];
}

/**
 * A copied part of the picture: from the clean keyframe at `part.start`, reading `readSec` of decode time (up to
 * the next clean keyframe's packet; undefined = to the end). MPEG-TS, so each part carries its own parameter sets
 * in-band and the joined stream decodes across copied and re-encoded parts.
 */
export function copyPartArgv(input: string, part: VideoPart, readSec: number | undefined, output: string): string[] {
  const seek = part.start > 0 ? ['-ss', sec(part.start)] : [];
  const read = readSec === undefined ? [] : ['-t', sec(readSec)];
  return [...base, ...seek, ...read, '-i', input, '-map', '0:v:0', '-an', '-sn', '-dn', '-c:v', 'copy', '-f', 'mpegts', output];
}

/**
 * A slowed part: decoded from the keyframe at `part.start`, every frame moved where the time map puts it
 * (setpts), then back to the source's frame rate (frames repeated), encoded as H.264 like the source.
 */
export function encodePartArgv(input: string, part: VideoPart, fps: number, output: string): string[] {
  const seek = part.start > 0 ? ['-ss', sec(part.start)] : [];
  const rate = fps > 0 ? `,fps=fps=${fps.toFixed(6)}` : '';
  return [
    ...base, ...seek, '-t', sec(part.end - part.start), '-i', input, '-map', '0:v:0', '-an', '-sn', '-dn',
    '-vf', `setpts='${setptsExpr(part)}'${rate}`,
    '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', '-pix_fmt', 'yuv420p', '-f', 'mpegts', output,
  ];
}

/** The pixel format of the first video stream (one word on stdout, e.g. yuv420p). */
export function pixelFormatArgv(input: string): string[] {
  return ['ffprobe', '-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=pix_fmt', '-of', 'csv=p=0', input];
}

/** The parts joined by stream copy at the offsets the ffconcat list gives (each part's own output length). */
export function joinPartsArgv(listFile: string, output: string): string[] {
  return [...base, '-f', 'concat', '-safe', '0', '-i', listFile, '-map', '0:v:0', '-c', 'copy', '-f', 'mp4', output];
}
