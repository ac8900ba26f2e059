// --fit-video auto inside the existing stages (no step of its own in the workflow): assembleDub plans the slowed
// spans from the fitted lines and writes the time map (timemap.json); mixDub slows the bed along it; muxOutputs
// slows the original track, shifts the subtitles and rebuilds the picture (copied parts, re-encoded slowed
// parts); writeReport shows the spans. Off, none of this runs.
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { copyPartArgv, encodeOriginalArgv, encodePartArgv, joinPartsArgv, pixelFormatArgv, stretchAudioArgv, stretchAudioFilter } from '../engines/ffmpegFitVideo.js';
import { MIX_RATE } from '../engines/ffmpeg.js';
import { concatEntry, parseVideoPackets, videoPacketsArgv } from '../engines/ffmpegStream.js';
import { run } from '../engines/run.js';
import { videoTimeline } from '../lib/chunkPlan.js';
import type { Clip, FittedLine, PreparedJob } from '../lib/job.js';
import { makeTimeMap, placedSpans, planSpans, toOutput, videoParts, type PlacedSpan, type TimeMap } from '../lib/timeMap.js';
import { commandLog, commit, hashOf, inJob, isFresh, tmpOf, writeAtomic } from '../storage/artifacts.js';
import { fitLine } from './fit.js';
import { ORIGINAL_FITVIDEO_WAV, ORIGINAL_MIX_WAV } from '../lib/artifactNames.js';

/** The time map and the lines placed on it (output time): part of the job's interface (README). */
export const TIME_MAP = 'timemap.json';

export interface TimeMapFile extends TimeMap {
  /** Each span with where it plays in the output and the lines that asked for it. */
  placed: (PlacedSpan & { lines: number[] })[];
  /** The fitted lines in output time, refitted where a span gave them more room. */
  lines: FittedLine[];
}

/** Codecs whose untouched parts are copied (the slowed parts are re-encoded as H.264 and must match). */
const COPYABLE = new Set(['h264']);

/**
 * The spans and the lines on them. A line that does not fit its slot at the speech cap (fitted with the cap as
 * its fastest speed, see lib/jobFit.ts settleFit) has its slot slowed by what it needs, at most maxStretch; every line is
 * then placed in output time, and the lines a span touches are fitted again into their wider slot (at the
 * speech cap when the span gave them all they asked, else up to the job's maxSpeed rather than cut).
 */
export async function planFitVideo(prep: PreparedJob, fitted: readonly FittedLine[]): Promise<TimeMapFile> {
  const { job, options, media } = prep;
  const fv = options.fitVideo;
  const out = inJob(job, TIME_MAP);
  const hash = hashOf('fit-video', fitted, fv, options.fit, media.durationSec);
  if (await isFresh(job, out, hash)) return JSON.parse(await readFile(out, 'utf8')) as TimeMapFile;

  const needs = fitted.map((f) => ({
    index: f.index, slotStart: f.start, slotEnd: f.slotEnd, neededSec: (f.ttsDurationSec * (f.engineRate ?? 1)) / fv.speechSpeed,
  }));
  const map = makeTimeMap(planSpans(needs, { maxStretch: fv.maxStretch }), media.durationSec);
  const lines: FittedLine[] = [];
  for (const f of [...fitted].sort((a, b) => a.index - b.index)) lines.push(await placeLine(prep, f, map));
  const placed = placedSpans(map).map((s) => ({
    ...s, lines: fitted.filter((f) => f.start < s.srcEnd && Math.max(f.slotEnd, f.sourceEnd) > s.srcStart).map((f) => f.index),
  }));
  const file: TimeMapFile = { ...map, placed, lines };
  await writeAtomic(job, out, JSON.stringify(file, null, 2), hash);
  return file;
}

/** A line in output time: moved when no span touches it, fitted again into its wider slot when one does. */
async function placeLine(prep: PreparedJob, f: FittedLine, map: TimeMap): Promise<FittedLine> {
  const start = toOutput(map, f.start);
  const slotEnd = toOutput(map, f.slotEnd);
  const sourceEnd = toOutput(map, f.sourceEnd);
  const reach = Math.max(f.slotEnd, f.sourceEnd, f.start + f.fittedDurationSec);
  const touched = map.spans.some((s) => s.srcStart < reach && s.srcEnd > f.start);
  if (!touched || !f.clipPath) return { ...f, start, slotEnd, sourceEnd };
  const rate = f.engineRate ?? 1;
  const fv = prep.options.fitVideo;
  const fitsAtCap = (f.ttsDurationSec * rate) / fv.speechSpeed <= slotEnd - start + 1e-3;
  const maxSpeed = Math.max(1, (fitsAtCap ? Math.min(fv.speechSpeed, prep.options.fit.maxSpeed) : prep.options.fit.maxSpeed) / rate);
  const clip: Clip = { index: f.index, path: f.clipPath, durationSec: f.ttsDurationSec, reused: f.ttsReused ?? false, ...(f.engineRate ? { rateApplied: f.engineRate } : {}) };
  const refit = await fitLine(prep, clip, { start, end: slotEnd }, sourceEnd, { ...prep.options.fit, maxSpeed }, 'tmp/fitvideo/fit');
  return {
    ...refit,
    ...(f.condensed ? { condensed: f.condensed } : {}), ...(f.engineRate ? { engineRate: f.engineRate } : {}), clipPath: f.clipPath,
  };
}

export async function readTimeMap(job: PreparedJob['job']): Promise<TimeMapFile> {
  return JSON.parse(await readFile(inJob(job, TIME_MAP), 'utf8')) as TimeMapFile;
}

/** A WAV of the job (`rel`) played along the time map, as `outRel`; made once per map and input. */
export async function stretchWav(prep: PreparedJob, map: TimeMap, rel: string, outRel: string): Promise<string> {
  const { job } = prep;
  const src = await stat(inJob(job, rel));
  const out = inJob(job, outRel);
  const hash = hashOf('stretch-audio', map.spans, map.sourceDurationSec, rel, src.size, src.mtimeMs);
  if (await isFresh(job, out, hash)) return outRel;
  await mkdir(inJob(job, 'tmp/fitvideo'), { recursive: true });
  await mkdir(path.dirname(out), { recursive: true });
  const script = inJob(job, `tmp/fitvideo/${path.basename(outRel)}.filter.txt`);
  await writeFile(script, stretchAudioFilter(map, MIX_RATE));
  await run(stretchAudioArgv(inJob(job, rel), script, tmpOf(out), MIX_RATE), { timeoutMs: 60 * 60_000, recordTo: commandLog(job) });
  await commit(job, tmpOf(out), out, hash);
  return outRel;
}

/** The original track for the containers: the extracted original slowed along the map, AAC. */
export async function stretchedOriginal(prep: PreparedJob, map: TimeMap): Promise<string> {
  const { job } = prep;
  const wav = await stretchWav(prep, map, ORIGINAL_MIX_WAV, ORIGINAL_FITVIDEO_WAV);
  const rel = 'tmp/fitvideo/original.m4a';
  const out = inJob(job, rel);
  const s = await stat(inJob(job, wav));
  const hash = hashOf('encode-original', wav, s.size, s.mtimeMs);
  if (!(await isFresh(job, out, hash))) {
    await run(encodeOriginalArgv(inJob(job, wav), tmpOf(out)), { timeoutMs: 60 * 60_000, recordTo: commandLog(job) });
    await commit(job, tmpOf(out), out, hash);
  }
  return rel;
}

/**
 * The picture along the map: the parts between spans copied from the source (cut on clean keyframes, the packet
 * timing streaming uses), each span re-encoded from the keyframe before it to the keyframe after it with only
 * the span itself slowed; joined by stream copy. Returns the path in the job folder.
 */
export async function stretchedVideo(prep: PreparedJob, map: TimeMap): Promise<string> {
  const { job, media } = prep;
  const rel = 'tmp/fitvideo/video.mp4';
  const out = inJob(job, rel);
  const src = await stat(media.path);
  const hash = hashOf('stretch-video', map.spans, map.sourceDurationSec, media.path, src.size, src.mtimeMs);
  if (await isFresh(job, out, hash)) return rel;
  const log = commandLog(job);
  const timeline = videoTimeline(parseVideoPackets((await run(videoPacketsArgv(media.path), { timeoutMs: 10 * 60_000, recordTo: log })).stdout));
  // Copied and re-encoded parts must be one stream: 8-bit 4:2:0 H.264 (the re-encode's format); anything else
  // (10-bit, 4:4:4, another codec) is re-encoded whole.
  const pixFmt = (await run(pixelFormatArgv(media.path), { timeoutMs: 60_000, recordTo: log })).stdout.trim();
  const cuts = COPYABLE.has(media.video.codec) && pixFmt === 'yuv420p' ? timeline.cuts : [];
  const readUntil = new Map(cuts.map((c) => [c.t, c.readUntil]));
  const parts = videoParts(map, cuts.map((c) => c.t));
  const dir = inJob(job, 'tmp/fitvideo/parts');
  await mkdir(dir, { recursive: true });
  const list = ['ffconcat version 1.0'];
  for (const [i, part] of parts.entries()) {
    const file = path.join(dir, `part_${String(i).padStart(4, '0')}.ts`);
    const last = i === parts.length - 1;
    const argv = part.kind === 'copy'
      ? copyPartArgv(media.path, part, last || !readUntil.has(part.end) ? undefined : readUntil.get(part.end)! - part.start, file)
      : encodePartArgv(media.path, part, media.video.fps, file);
    await run(argv, { timeoutMs: 60 * 60_000, recordTo: log });
    list.push(concatEntry(file), `duration ${(toOutput(map, part.end) - toOutput(map, part.start)).toFixed(6)}`);
  }
  const listFile = path.join(dir, 'parts.ffconcat');
  await writeFile(listFile, `${list.join('\n')}\n`);
  await run(joinPartsArgv(listFile, tmpOf(out)), { timeoutMs: 60 * 60_000, recordTo: log });
  await commit(job, tmpOf(out), out, hash);
  return rel;
}
