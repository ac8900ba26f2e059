// The dub track (every fitted line placed sample-exact), its mix over the background (demucs's no_vocals stem,
// or the ducked original), and the loudness of the result (EBU R128 target, true-peak ceiling).
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { chooseSeparation, checkDemucs, DEMUCS_MODEL, demucsArgv, demucsStems, type SeparationChoice } from '../engines/demucs.js';
import { ebur128Argv, loudnessToJson, parseEbur128, type LoudnessSummary } from '../engines/ebur128.js';
import { MIX_RATE } from '../engines/ffmpeg.js';
import { duckedMixFilter, gainArgv, gainToTarget, loudnessArgv, MAX_LOUDNESS_GAIN_DB, premixArgv, separatedMixFilter } from '../engines/ffmpegMix.js';
import { duckEnvelope, envelopeWav } from '../lib/duckEnvelope.js';
import { ErrorType, failure } from '../lib/errors.js';
import type { AudioTracks, FittedLine, PreparedJob } from '../lib/job.js';
import { wavHeader } from '../lib/wav.js';
import { withWav } from '../engines/wavFile.js';
import { commandLog, commit, exists, hashOf, inJob, isFresh, removeQuietly, tmpOf, writeAtomic } from '../storage/artifacts.js';
import { findOnPath } from '../engines/programPath.js';
import { encodeDubTo, encodedDubHash, ENCODED_DUB } from './mux.js';
import { run } from '../engines/run.js';
import { linesOf } from './lineSets.js';
import { planFitVideo, readTimeMap, stretchWav } from './fitVideo.js';
import { fitVideoOn } from '../lib/timeMap.js';
import type { Lines } from '../lib/job.js';
import { DUB_MIX_WAV, ORIGINAL_FITVIDEO_WAV } from '../lib/artifactNames.js';

const CHANNELS = 2;
const FRAME_BYTES = CHANNELS * 2;

/**
 * Writes each clip at its start sample, clamped to its slot end so nothing can spill into the next line.
 * One clip in memory at a time: a 24-minute episode costs a few MB, not the whole track.
 */
/** The dub's voices alone on the output timeline (no background): what lip-sync follows. */
export const DUB_VOICE_WAV = 'audio/dub.48k.wav';

export async function assembleDub(prep: PreparedJob, fittedIn: Lines<FittedLine>): Promise<string> {
  let fitted = await linesOf(prep.job, fittedIn);
  const { job, media } = prep;
  let durationSec = media.durationSec;
  // --fit-video auto: the slowed spans are planned here (timemap.json), and the lines placed in output time.
  if (fitVideoOn(prep.options)) ({ lines: fitted, durationSec } = await planFitVideo(prep, fitted));
  const rel = DUB_VOICE_WAV;
  const out = inJob(job, rel);
  const hash = hashOf('assemble', fitted, durationSec);
  if (await isFresh(job, out, hash)) return rel;

  const totalFrames = Math.round(durationSec * MIX_RATE);
  const dataBytes = totalFrames * FRAME_BYTES;
  const tmp = tmpOf(out);
  const fh = await open(tmp, 'w+');
  // Frames written so far: two speakers' lines may overlap (per-speaker slots), and then both are heard.
  let writtenTo = 0;
  try {
    await fh.write(wavHeader(MIX_RATE, CHANNELS, 16, dataBytes), 0, 44, 0);
    for (const line of [...fitted].sort((a, b) => a.start - b.start)) {
      const clipAbs = inJob(job, line.path);
      await withWav(clipAbs, async ({ fmt, readFrames }) => {
        if (fmt.sampleRate !== MIX_RATE || fmt.channels !== CHANNELS || fmt.bitsPerSample !== 16) {
          throw new Error(`clip ${line.path} is ${fmt.sampleRate} Hz/${fmt.channels} ch/${fmt.bitsPerSample} bit, want 48000/2/16`);
        }
        const from = Math.round(line.start * MIX_RATE);
        const last = Math.min(totalFrames, Math.floor(line.slotEnd * MIX_RATE));
        const frames = Math.max(0, Math.min(Math.floor(fmt.dataBytes / FRAME_BYTES), last - from));
        const pcm = await readFrames(0, frames);
        const overlap = Math.max(0, Math.min(writtenTo, from + frames) - from);
        if (overlap > 0) await addUnder(fh, pcm, overlap, 44 + from * FRAME_BYTES);
        await fh.write(pcm, 0, pcm.length, 44 + from * FRAME_BYTES);
        writtenTo = Math.max(writtenTo, from + frames);
      });
    }
    await fh.truncate(44 + dataBytes); // the gaps read back as zeros: silence
  } finally {
    await fh.close();
  }
  await commit(job, tmp, out, hash);
  return rel;
}

/** Sums what is already written under the first `frames` of `pcm` into it (16-bit, clipped): overlapping voices mix. */
async function addUnder(fh: Awaited<ReturnType<typeof open>>, pcm: Buffer, frames: number, offset: number): Promise<void> {
  const under = Buffer.alloc(frames * FRAME_BYTES);
  await fh.read(under, 0, under.length, offset);
  for (let b = 0; b < under.length; b += 2) {
    pcm.writeInt16LE(Math.max(-32768, Math.min(32767, pcm.readInt16LE(b) + under.readInt16LE(b))), b);
  }
}

/** Spans where the original is ducked: each source line and its dub, whichever is longer. */
export function duckSpans(fitted: FittedLine[]): [number, number][] {
  const spans = fitted
    .map((f) => [f.start, Math.max(f.sourceEnd, f.start + f.fittedDurationSec)] as [number, number])
    .sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const s of spans) {
    const last = merged[merged.length - 1];
    if (last && s[0] <= last[1]) last[1] = Math.max(last[1], s[1]);
    else merged.push([...s]);
  }
  return merged;
}

/**
 * The limiter aims this far under the true-peak ceiling: the AAC encode in mux and the resampling after the
 * oversampled limiter each add a few tenths of a dB of inter-sample overshoot.
 */
const CEILING_MARGIN_DB = 1;
/** Integrated loudness closer than this to the target is left alone (a second pass costs a full decode). */
const LOUDNESS_TOLERANCE_LU = 0.5;

/**
 * The separation step of the pipeline (on the GPU queue by default): demucs's stems when asked for or installed,
 * else the reason the mix will duck the original. mixDub finds the stems this made and does not separate again.
 */
export async function separateAudio(prep: PreparedJob, audio: AudioTracks): Promise<Background> {
  return backgroundFor(prep, audio, prep.options.mix.separation as SeparationChoice);
}

export async function mixDub(prep: PreparedJob, audio: AudioTracks, dubRel: string, fittedIn: Lines<FittedLine>): Promise<string> {
  const timeMap = fitVideoOn(prep.options) ? await readTimeMap(prep.job) : undefined;
  const fitted = timeMap ? timeMap.lines : await linesOf(prep.job, fittedIn);
  const { job } = prep;
  const opts = prep.options.mix;
  const rel = DUB_MIX_WAV;
  const out = inJob(job, rel);
  const dubAbs = inJob(job, dubRel);
  const dubStat = await stat(dubAbs);
  const spans = duckSpans(fitted);
  const background = await backgroundFor(prep, audio, opts.separation as SeparationChoice);
  // --fit-video auto: the bed plays along the time map, as the picture will.
  const bedRel = !timeMap?.spans.length ? undefined : background.kind === 'separated'
    ? await stretchWav(prep, timeMap, background.path, 'audio/separated/no_vocals.fitvideo.wav')
    : await stretchWav(prep, timeMap, audio.mix, ORIGINAL_FITVIDEO_WAV);
  const hash = hashOf('mix', DUCKING, dubStat.size, dubStat.mtimeMs, spans, opts, background, ...(timeMap?.spans.length ? [timeMap.spans] : []));
  if (await isFresh(job, out, hash) && await exists(inJob(job, MIX_INFO))) return rel;

  await mkdir(inJob(job, 'tmp'), { recursive: true });
  const script = inJob(job, 'tmp/mix.filter.txt');
  const premix = inJob(job, 'tmp/mix.premix.wav');
  const separated = background.kind === 'separated';
  await writeFile(script, separated ? separatedMixFilter(opts.dubGainDb) : duckedMixFilter(opts.dubGainDb));
  const bed = inJob(job, bedRel ?? (separated ? background.path : audio.mix));
  // The envelope outlasts the bed (amultiply stops at the shorter input; amix then follows the bed).
  const envelope = separated ? undefined : inJob(job, 'tmp/mix.duck.wav');
  if (envelope) await writeFile(envelope, envelopeWav(duckEnvelope(spans, opts.duckDb, (timeMap?.durationSec ?? prep.media.durationSec) + 2)));
  await run(premixArgv(bed, dubAbs, script, premix, envelope), { timeoutMs: 30 * 60_000, recordTo: commandLog(job) });
  if (envelope) await removeQuietly(envelope);
  const previous = (await readMixInfo(job))?.loudness;
  const keep = previous && previous.targetLufs === opts.loudnessLufs && previous.ceilingDb === opts.truePeakDb ? previous : undefined;
  // The AAC encode for the containers reads the same file as the verification measure: run them side by side
  // (two single-threaded ffmpegs on two cores) instead of one after the other in mux.
  let encoded: Promise<string> | undefined;
  const { outcome: loudness, heard } = await normalizeLoudness(job, premix, tmpOf(out), opts.loudnessLufs, opts.truePeakDb, keep, (file) => (encoded = encodeDubTo(prep, file)));
  const encodedTmp = await encoded?.catch(() => undefined); // a failed head start only leaves the encode to mux
  await removeQuietly(premix);
  const info: MixInfo = { background, loudness };
  await writeAtomic(job, inJob(job, MIX_INFO), JSON.stringify(info, null, 2));
  await commit(job, tmpOf(out), out, hash);
  // Stamped with the mix file as committed: the encode and the measurement both belong to exactly this mix.
  const stamp = await encodedDubHash(prep, rel);
  if (encodedTmp) await commit(job, encodedTmp, inJob(job, ENCODED_DUB), stamp);
  await writeAtomic(job, inJob(job, MIX_LOUDNESS), loudnessToJson(heard), stamp);
  return rel;
}

/** Bumped when the ducking changes shape: an older job's mix is made again, not reused. */
const DUCKING = 'envelope-ms-1';

/** What the mix did, for the report: which background, and the loudness before and after. */
export const MIX_INFO = 'audio/mix.json';
/** The final mix's last measurement in full (per-frame curve included): the report's loudness figures. */
export const MIX_LOUDNESS = 'audio/mix.loudness.json';

export async function readMixInfo(job: PreparedJob['job']): Promise<MixInfo | undefined> {
  try {
    return JSON.parse(await readFile(inJob(job, MIX_INFO), 'utf8')) as MixInfo;
  } catch {
    return undefined; // none yet, or a mix from before mix.json existed
  }
}

export type Background =
  | { kind: 'separated'; engine: 'demucs'; path: string }
  | { kind: 'ducked'; duckDb: number; reason: string };

export interface MixInfo {
  background: Background;
  loudness: LoudnessOutcome;
}

export interface LoudnessOutcome {
  targetLufs: number;
  ceilingDb: number;
  /** The premix: only its integrated loudness is needed (for the gain), so its peak is the cheaper sample peak. */
  before: { integratedLufs: number; samplePeakDb?: number };
  after: { integratedLufs: number; truePeakDb: number };
  /** Gain before the limiter, and the plain gain after it that pulled a peak under the ceiling (0 if none). */
  gainDb: number;
  regainDb?: number;
  /** The limiter ran 4x oversampled (the 48 kHz one let an inter-sample peak over); absent in older mixes. */
  oversampled?: boolean;
  passes: number;
  /** The gain of the previous render was kept (a re-render after editing a line). */
  keptGain?: boolean;
}

async function measure(job: PreparedJob['job'], file: string, peak: 'true' | 'sample' = 'true'): Promise<LoudnessSummary> {
  const { stderr } = await run(ebur128Argv(file, 0, peak), { timeoutMs: 30 * 60_000, recordTo: commandLog(job) });
  return parseEbur128(stderr);
}

/**
 * Head room the 48 kHz limiter leaves under the limiter's aim for inter-sample peaks: dialogue mixes overshoot
 * by a tenth of a dB or two there (none measured on the bench's 5-minute mix), so the cheap limiter is enough.
 */
const INTERSAMPLE_ALLOWANCE_DB = 0.3;

/**
 * Two passes at least: measure, then one gain and a limiter. The limiter runs at 48 kHz first; only when the
 * verified true peak came out over its aim does the oversampled (true-peak) limiter render again. If the limiter
 * pulled the loudness off the target, the gain is corrected once; if the true peak is still over, a plain gain
 * pulls it under. Verified by measuring the result.
 */
export async function normalizeLoudness(
  job: PreparedJob['job'], input: string, output: string, targetLufs: number, ceilingDb: number, keep?: LoudnessOutcome,
  whileMeasuring: (file: string) => Promise<unknown> = async () => undefined,
): Promise<{ outcome: LoudnessOutcome; heard: LoudnessSummary }> {
  const before = await measure(job, input, 'sample');
  let gainDb = keep?.gainDb ?? gainToTarget(before.integratedLufs, targetLufs);
  let regainDb = keep?.regainDb ?? 0;
  const limiterDb = ceilingDb - CEILING_MARGIN_DB;
  // A re-render keeps the limiter it had, so an edited line leaves the rest of the track sample-identical.
  let oversampled = keep ? keep.oversampled ?? true : false; // mixes from before the option were all oversampled
  let passes = 0;
  // Work the caller does on each candidate output while it is measured; it must be done before the file changes.
  let alongside: Promise<unknown> = Promise.resolve();
  const measureOutput = () => {
    alongside = whileMeasuring(output).catch(() => undefined);
    return measure(job, output);
  };
  const render = async () => {
    passes++;
    await alongside;
    const aim = oversampled ? limiterDb : limiterDb - INTERSAMPLE_ALLOWANCE_DB;
    await run(loudnessArgv(input, output, gainDb, aim, oversampled), { timeoutMs: 30 * 60_000, recordTo: commandLog(job) });
    if (regainDb !== 0) await regain(job, output, regainDb);
    return measureOutput();
  };
  let after = await render();
  // A re-render keeps the gains it had, so editing one line leaves the rest of the track sample-identical; only
  // when they miss the target by more than the report's 1 LU does the whole track move.
  const tolerance = keep ? 1 : LOUDNESS_TOLERANCE_LU;
  let keptGain = !!keep;
  if (Number.isFinite(after.integratedLufs) && Math.abs(after.integratedLufs - targetLufs) > tolerance) {
    keptGain = false;
    gainDb = Math.min(MAX_LOUDNESS_GAIN_DB, gainDb + regainDb + targetLufs - after.integratedLufs);
    regainDb = 0;
    after = await render();
  }
  if (after.truePeakDb > limiterDb && !oversampled) {
    oversampled = true;
    after = await render();
  }
  if (after.truePeakDb > limiterDb) {
    const more = limiterDb - after.truePeakDb - 0.05;
    await alongside;
    await regain(job, output, more);
    regainDb += more;
    passes++;
    after = await measureOutput();
  }
  const pick = (s: LoudnessSummary) => ({ integratedLufs: round2(s.integratedLufs), truePeakDb: round2(s.truePeakDb) });
  const outcome: LoudnessOutcome = {
    targetLufs, ceilingDb, before: { integratedLufs: round2(before.integratedLufs), samplePeakDb: round2(before.samplePeakDb ?? -Infinity) },
    after: pick(after), gainDb: round2(gainDb), regainDb: round2(regainDb), oversampled, passes, ...(keptGain ? { keptGain } : {}),
  };
  return { outcome, heard: after };
}

async function regain(job: PreparedJob['job'], file: string, db: number): Promise<void> {
  const tmp = `${file}.regain.wav`;
  await run(gainArgv(file, tmp, db), { timeoutMs: 30 * 60_000, recordTo: commandLog(job) });
  await rename(tmp, file);
}

const round2 = (x: number) => (Number.isFinite(x) ? Math.round(x * 100) / 100 : x);

/**
 * The bed under the dub. With demucs, its no_vocals stem (made once per original track, kept under
 * audio/separated/); otherwise the original itself, ducked under each line.
 */
async function backgroundFor(prep: PreparedJob, audio: AudioTracks, choice: SeparationChoice): Promise<Background> {
  const { job } = prep;
  const ducked = (reason: string): Background => ({ kind: 'ducked', duckDb: prep.options.mix.duckDb, reason });
  if (choice === 'off') return ducked('separation off');
  const check = await checkDemucs(findOnPath);
  if (chooseSeparation(choice, check.available) === 'off') return ducked(check.available ? 'separation off' : check.reason);
  if (!check.available) throw failure(ErrorType.EngineMissing, `--separation demucs: ${check.reason}`);
  const rel = 'audio/separated/no_vocals.wav';
  const abs = inJob(job, rel);
  const source = inJob(job, audio.mix);
  const src = await stat(source);
  const hash = hashOf('separate', DEMUCS_MODEL, src.size, src.mtimeMs);
  if (await isFresh(job, abs, hash)) return { kind: 'separated', engine: 'demucs', path: rel };
  const outDir = inJob(job, 'tmp/separation');
  await rm(outDir, { recursive: true, force: true });
  await mkdir(path.dirname(abs), { recursive: true });
  await run(demucsArgv(source, outDir), { timeoutMs: 2 * 60 * 60_000, recordTo: commandLog(job) });
  const stems = demucsStems(source, outDir);
  if (!(await exists(stems.background))) {
    throw failure(ErrorType.EngineFailed, `demucs finished but wrote no ${path.relative(inJob(job, '.'), stems.background)}`);
  }
  await rename(stems.vocals, inJob(job, 'audio/separated/vocals.wav')).catch(() => undefined);
  await commit(job, stems.background, abs, hash);
  await rm(outDir, { recursive: true, force: true });
  return { kind: 'separated', engine: 'demucs', path: rel };
}
