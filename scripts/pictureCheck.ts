// Is the picture where the sound says it is? Decodes small grayscale frames of a source and of an output made
// from it, and for chosen instants finds which source frame the output shows (the one with the least absolute
// difference, searched over the whole source): the offset between that frame and the one the source shows at
// the same instant is how far picture and sound have drifted apart. Used by the streaming tests and by
// scripts/verify-streaming-mode. Every program runs from an argv array, never through a shell.
import { execa } from 'execa';

export interface DecodedVideo {
  /** Presentation time of each frame, seconds, as stored in the file (-copyts: nothing subtracted). */
  pts: number[];
  /** One gray frame per entry, width × height bytes. */
  pixels: Buffer[];
  /** Typical distance between frames (the median), seconds. */
  frameSec: number;
}

const WIDTH = 64;
const HEIGHT = 36;

export function decodeFramesArgv(file: string, width = WIDTH, height = HEIGHT): string[] {
  return [
    'ffmpeg', '-nostdin', '-hide_banner', '-loglevel', 'info', '-copyts', '-i', file, '-map', '0:v:0',
    '-vf', `scale=${width}:${height}:flags=area,format=gray,showinfo`, '-fps_mode', 'passthrough', '-f', 'rawvideo', 'pipe:1',
  ];
}

/** Every frame of the file's first video stream, decoded small and gray, with its own timestamp. */
export async function decodeFrames(file: string, width = WIDTH, height = HEIGHT): Promise<DecodedVideo> {
  const [cmd, ...args] = decodeFramesArgv(file, width, height);
  const r = await execa(cmd, args, { encoding: 'buffer', stripFinalNewline: false, maxBuffer: 1 << 30, timeout: 10 * 60_000 });
  const stderr = Buffer.from(r.stderr).toString('utf8');
  // showinfo's pts_time has six significant digits; the integer pts over the time base is exact.
  const lines = stderr.split('\n').filter((l) => l.includes('Parsed_showinfo'));
  const tb = /config in time_base:\s*(\d+)\/(\d+)/.exec(lines.find((l) => l.includes('config in')) ?? '');
  const [num, den] = tb ? [Number(tb[1]), Number(tb[2])] : [NaN, NaN];
  const pts = lines.filter((l) => /\bn:\s*\d+/.test(l)).map((l) => (Number(/\bpts:\s*(-?\d+)/.exec(l)?.[1]) * num) / den);
  const out = Buffer.from(r.stdout);
  const size = width * height;
  const pixels = Array.from({ length: Math.floor(out.length / size) }, (_, i) => out.subarray(i * size, (i + 1) * size));
  if (pixels.length !== pts.length || pts.some((t) => !Number.isFinite(t))) {
    throw new Error(`${file}: decoded ${pixels.length} frames but read ${pts.length} timestamps`);
  }
  const gaps = pts.slice(1).map((t, i) => t - pts[i]).filter((d) => d > 0).sort((a, b) => a - b);
  return { pts, pixels, frameSec: gaps[gaps.length >> 1] ?? 0 };
}

/** Where the sound starts: the start time of the first audio stream (edit lists and encoder delay applied). */
export async function audioStart(file: string, stream = 'a:0'): Promise<number> {
  const r = await execa('ffprobe', ['-v', 'error', '-select_streams', stream, '-show_entries', 'stream=start_time', '-of', 'csv=p=0', file]);
  return parseFloat(r.stdout.trim().split('\n')[0]);
}

/** Time of the first packet of an audio stream (a copied AAC stream keeps its priming packet before the start). */
export async function firstAudioPacket(file: string, stream = 'a:0'): Promise<number> {
  const r = await execa('ffprobe', ['-v', 'error', '-select_streams', stream, '-read_intervals', '%+#1', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', file]);
  return parseFloat(r.stdout.trim().split('\n')[0]);
}

/**
 * Where the sound starts in a file that carries the same audio packets as `reference` (an MP4, which states the
 * AAC encoder delay in its edit list). MPEG-TS and Matroska cannot state it: their first packet is the priming
 * one, played before the sound proper, so the sound starts as far after the first packet as in the reference.
 */
export async function soundStartLike(file: string, reference: string, stream = 'a:0'): Promise<number> {
  return (await firstAudioPacket(file, stream)) - (await firstAudioPacket(reference, stream)) + (await audioStart(reference, stream));
}

/** Index of the frame on screen at `t`: the last one whose time is ≤ t (−1 before the first). */
export function frameShownAt(video: DecodedVideo, t: number): number {
  let lo = 0;
  let hi = video.pts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (video.pts[mid] <= t + 1e-6) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

// The hot loops below (every output frame against every source frame) name no global (Math.abs, Infinity):
// under jest each global lookup goes through the test context's interceptor, and Math.abs here made the
// streaming suite's picture check cost ~20× more CPU (the whole suite: ~80 CPU-s in the jest process).
function difference(a: Buffer, b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    sum += d < 0 ? -d : d;
  }
  return sum;
}

/** The source frame most like `frame`, and how much better it is than the second best (ambiguity shows as ~1). */
export function bestSourceFrame(source: DecodedVideo, frame: Buffer): { index: number; margin: number } {
  let best = -1;
  let bestD = Infinity;
  let second = Infinity;
  source.pixels.forEach((p, i) => {
    const d = difference(p, frame);
    if (d < bestD) {
      second = bestD;
      bestD = d;
      best = i;
    } else if (d < second) second = d;
  });
  return { index: best, margin: (second + 1) / (bestD + 1) };
}

export interface PictureSample {
  /** The instant, in source seconds (from the source's sound start). */
  sourceSec: number;
  /** Source frame that should be on screen at that instant, and the one the output shows. */
  expectedFrame: number;
  shownFrame: number;
  /** shown − expected, in frames and in seconds (positive: the picture runs ahead of the sound). */
  offsetFrames: number;
  offsetSec: number;
}

/**
 * For each instant `at` (seconds of the output's timeline from `outputOrigin`, its sound start), the source frame
 * the output shows then against the one the source shows at `sourceOffset + at` (from `sourceOrigin`).
 */
export function comparePicture(source: DecodedVideo, sourceOrigin: number, output: DecodedVideo, outputOrigin: number, sourceOffset: number, instants: readonly number[]): PictureSample[] {
  return instants.map((at) => {
    const sourceSec = sourceOffset + at;
    const expectedFrame = frameShownAt(source, sourceOrigin + sourceSec);
    const i = frameShownAt(output, outputOrigin + at);
    const shownFrame = i < 0 ? -1 : bestSourceFrame(source, output.pixels[i]).index;
    const offsetFrames = shownFrame < 0 ? Number.POSITIVE_INFINITY : shownFrame - expectedFrame;
    const offsetSec = shownFrame < 0 ? Number.POSITIVE_INFINITY : source.pts[shownFrame] - source.pts[expectedFrame];
    return { sourceSec, expectedFrame, shownFrame, offsetFrames, offsetSec };
  });
}

/**
 * Instants worth looking at in [from, to) of a timeline whose frames last `frameSec`: the first and last frame
 * and a few between, each in the middle of its frame (so one tick of drift is not read as a whole frame).
 */
export function instantsIn(from: number, to: number, frameSec: number, between = 3): number[] {
  const half = frameSec / 2;
  const first = from + half;
  const last = to - half;
  const inner = Array.from({ length: between }, (_, k) => from + ((k + 1) * (to - from)) / (between + 1));
  return [first, ...inner.map((t) => Math.floor((t - from) / frameSec) * frameSec + from + half), last].filter((t) => t >= from && t < to);
}

/** How the output's frame times line up with the source's over [from, to): counts and the largest gap. */
export function frameTiming(source: DecodedVideo, sourceOrigin: number, output: DecodedVideo, outputOrigin: number, sourceOffset: number, from: number, to: number): { sourceFrames: number; outputFrames: number; maxTimeErrorSec: number } {
  // Half a frame of slack at the edges: Matroska keeps milliseconds, so a frame may sit a fraction of one off.
  const slack = source.frameSec / 2;
  const inRange = (v: DecodedVideo, origin: number, shift: number) => v.pts.map((t) => t - origin + shift).filter((t) => t >= from - slack && t < to - slack);
  const src = inRange(source, sourceOrigin, 0);
  const out = inRange(output, outputOrigin, sourceOffset);
  let maxTimeErrorSec = 0;
  for (const t of out) {
    let nearest = Number.POSITIVE_INFINITY;
    for (const s of src) {
      const d = s < t ? t - s : s - t;
      if (d < nearest) nearest = d;
    }
    if (nearest > maxTimeErrorSec) maxTimeErrorSec = nearest;
  }
  return { sourceFrames: src.length, outputFrames: out.length, maxTimeErrorSec };
}

export interface FileCheck {
  /** Path relative to the stream folder (or the file name). */
  file: string;
  samples: PictureSample[];
  timing: ReturnType<typeof frameTiming>;
  /** Where the file's sound starts, seconds of its own timeline (0 for an MP4 that starts with its sound). */
  soundStartSec: number;
  /** The largest offset, in frames and seconds, over the samples (Infinity when no frame was on screen). */
  worstFrames: number;
  worstSec: number;
}

function summarize(file: string, samples: PictureSample[], timing: FileCheck['timing'], soundStartSec: number): FileCheck {
  const worst = samples.reduce((w, s) => (Math.abs(s.offsetFrames) > Math.abs(w.offsetFrames) ? s : w), samples[0]);
  return { file, samples, timing, soundStartSec, worstFrames: Math.abs(worst?.offsetFrames ?? 0), worstSec: Math.abs(worst?.offsetSec ?? 0) };
}

/** One output against the source: its timeline from `origin` shows source time `sourceOffset + t` over [0, length). */
export async function checkFile(source: DecodedVideo, sourceOrigin: number, file: string, label: string, origin: number, sourceOffset: number, length: number, instants?: number[]): Promise<FileCheck> {
  const output = await decodeFrames(file);
  const at = instants ?? instantsIn(0, length, source.frameSec);
  const samples = comparePicture(source, sourceOrigin, output, origin, sourceOffset, at);
  return summarize(label, samples, frameTiming(source, sourceOrigin, output, origin, sourceOffset, sourceOffset, sourceOffset + length), origin);
}

export interface StreamChunkRef {
  index: number;
  start: number;
  end: number;
  files?: { mp4: string; ts: string };
}

/**
 * Every chunk's MP4 and HLS segment and the stitched file of a streaming run, against the source they were cut
 * from. A segment's timeline starts where its chunk's MP4 puts the sound: the copied AAC priming packet sits
 * before it in both, so the offset of the first audio packet carries over. Across segments those starts must
 * be the chunks' own start times apart (what a player of the playlist relies on).
 */
export async function checkStreamPicture(sourceFile: string, streamDir: string, chunks: readonly StreamChunkRef[], stitched?: string): Promise<FileCheck[]> {
  const source = await decodeFrames(sourceFile);
  const sourceOrigin = await audioStart(sourceFile);
  const checks: FileCheck[] = [];
  let segmentZero: number | undefined;
  for (const c of chunks) {
    if (!c.files) continue;
    const mp4 = `${streamDir}/${c.files.mp4}`;
    const ts = `${streamDir}/${c.files.ts}`;
    const mp4Origin = await audioStart(mp4);
    checks.push(await checkFile(source, sourceOrigin, mp4, c.files.mp4, mp4Origin, c.start, c.end - c.start));
    const tsOrigin = await soundStartLike(ts, mp4);
    segmentZero ??= tsOrigin - c.start;
    const check = await checkFile(source, sourceOrigin, ts, c.files.ts, tsOrigin, c.start, c.end - c.start);
    // The segment's place on the playlist's timeline, as a frame offset of its own.
    const drift = tsOrigin - segmentZero - c.start;
    check.samples.push({ sourceSec: c.start, expectedFrame: 0, shownFrame: -1, offsetFrames: drift / source.frameSec, offsetSec: drift });
    checks.push(summarize(check.file, check.samples, check.timing, check.soundStartSec));
  }
  if (stitched) {
    const end = chunks[chunks.length - 1].end;
    const instants = chunks.flatMap((c) => instantsIn(c.start, c.end, source.frameSec));
    checks.push(await checkFile(source, sourceOrigin, `${streamDir}/${stitched}`, stitched, await audioStart(`${streamDir}/${stitched}`), 0, end, instants));
  }
  return checks;
}
