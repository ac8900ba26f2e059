// How each source line was delivered — level, pitch, pace, the pause after it — measured in this process
// from the 16 kHz analysis WAV. Each line's bytes are read on their own (positional reads), so a whole
// episode never sits in memory, and the work is linear in the samples of the lines.
import path from 'node:path';
import { CancelledFailure } from '@temporalio/common';
import { PitchDetector } from 'pitchy';
import { ErrorType, failure } from '../lib/errors.js';
import { semitones, SILENCE_DB, type LineFeatures } from '../lib/prosody.js';
import { percentile } from '../lib/percentile.js';
import { countSyllables } from '../lib/syllables.js';
import { openWav, type WavFile } from './wavFile.js';
import { activityContext } from './run.js';

export interface FeatureLine {
  start: number;
  end: number;
  text: string;
  words?: { start: number; end: number; text: string }[];
}

export interface ClipFeatures {
  rmsDb: number;
  peakDb: number;
  f0MedianHz: number | null;
}

/** Pitch is tracked near 8 kHz: enough for voices up to 500 Hz, and the detector's cost grows with its window. */
const ANALYSIS_RATE_MAX = 8000;
/**
 * Samples per analysis block at the analysis rate (32 ms at 8 kHz). The McLeod pitch method (pitchy) needs
 * two periods in its window, so the lowest pitch it can report is about rate / (BLOCK / 2), 63 Hz at 8 kHz.
 */
const BLOCK = 256;
const F0_MIN_HZ = 60;
const F0_MAX_HZ = 500;
/** Blocks this far below the loudest one of the line are pauses, not speech: they do not lower its level. */
const ACTIVE_WITHIN_DB = 30;
/** A block quieter than the line's level by more than this is not voiced, whatever the detector says. */
const VOICED_WITHIN_DB = 15;
/** Fewer voiced blocks than this and the line's pitch is unknown rather than a guess. */
const MIN_VOICED_BLOCKS = 3;
/** pitchy's clarity (0..1, how periodic the block is) above which a block counts as voiced. */
const MIN_CLARITY = 0.8;
/** Lines between heartbeats: a long episode takes seconds, and a cancelled job should stop within a beat. */
const HEARTBEAT_EVERY_LINES = 64;

export async function measureLineFeatures(
  wavPath: string,
  lines: readonly FeatureLine[],
  mediaDurationSec: number,
  language: string,
): Promise<LineFeatures[]> {
  const wav = await openPcm(wavPath);
  const ctx = activityContext();
  try {
    const out: LineFeatures[] = [];
    for (const [i, line] of lines.entries()) {
      if (ctx && i % HEARTBEAT_EVERY_LINES === 0) {
        if (ctx.cancellationSignal.aborted) throw new CancelledFailure('prosody analysis was stopped: the activity was cancelled');
        ctx.heartbeat({ line: i });
      }
      const from = Math.max(0, Math.floor(line.start * wav.fmt.sampleRate));
      const to = Math.min(wav.totalFrames, Math.ceil(line.end * wav.fmt.sampleRate));
      const voice = analyseSpan(await readMono(wav, from, to), wav.fmt.sampleRate);
      const nextStart = i + 1 < lines.length ? lines[i + 1].start : mediaDurationSec;
      out.push({
        rmsDb: voice.rmsDb,
        peakDb: voice.peakDb,
        f0MedianHz: voice.f0MedianHz,
        f0RangeSemitones: voice.f0RangeSemitones,
        voicedRatio: voice.voicedRatio,
        syllablesPerSec: round(speechRate(line, language), 3),
        trailingPauseSec: round(Math.max(0, nextStart - line.end), 3),
      });
    }
    return out;
  } finally {
    await wav.close();
  }
}

/** Level and pitch of a whole WAV of any rate and channel count (channels are averaged). */
export async function measureClipFeatures(wavPath: string): Promise<ClipFeatures> {
  const wav = await openPcm(wavPath);
  try {
    const { rmsDb, peakDb, f0MedianHz } = analyseSpan(await readMono(wav, 0, wav.totalFrames), wav.fmt.sampleRate);
    return { rmsDb, peakDb, f0MedianHz };
  } finally {
    await wav.close();
  }
}

/** Syllables per second of speech: between the first and last word when we have word times, else the line. */
function speechRate(line: FeatureLine, language: string): number {
  const words = line.words ?? [];
  if (words.length > 0) {
    const span = words[words.length - 1].end - words[0].start;
    if (span >= 0.1) return words.reduce((n, w) => n + countSyllables(w.text, language), 0) / span;
  }
  const span = line.end - line.start;
  return span > 0 ? countSyllables(line.text, language) / span : 0;
}


// ------------------------------------------------------------------------------------------------ reading

/** A WAV of integer PCM (any width), or InvalidMedia naming the file. */
async function openPcm(wavPath: string): Promise<WavFile> {
  let wav: WavFile | undefined;
  try {
    wav = await openWav(wavPath);
    const { bitsPerSample, channels } = wav.fmt;
    if (![8, 16, 24, 32].includes(bitsPerSample) || channels < 1) throw new Error(`unsupported PCM layout (${bitsPerSample}-bit, ${channels} channels)`);
    return wav;
  } catch (e) {
    await wav?.close();
    throw failure(ErrorType.InvalidMedia, `${path.basename(wavPath)} cannot be analysed: ${(e as Error).message}`);
  }
}

/** Frames [from, to) as mono float samples in −1..1 (integer PCM of any width; channels averaged). */
async function readMono(wav: WavFile, from: number, to: number): Promise<Float32Array> {
  const { fmt, frameBytes } = wav;
  const bytesPerSample = fmt.bitsPerSample / 8;
  const frames = Math.max(0, to - from);
  const buf = await wav.readFrames(from, frames); // a file cut short reads as silence
  const out = new Float32Array(frames);
  const scale = 1 / (2 ** (fmt.bitsPerSample - 1) * fmt.channels);
  for (let f = 0; f < frames; f++) {
    let acc = 0;
    for (let c = 0; c < fmt.channels; c++) {
      const at = f * frameBytes + c * bytesPerSample;
      switch (bytesPerSample) {
        case 2: acc += buf.readInt16LE(at); break;
        case 1: acc += buf[at] - 128; break; // 8-bit WAV is unsigned
        case 3: acc += buf.readIntLE(at, 3); break;
        default: acc += buf.readInt32LE(at);
      }
    }
    out[f] = acc * scale;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------- analysis

interface SpanVoice {
  rmsDb: number;
  peakDb: number;
  f0MedianHz: number | null;
  f0RangeSemitones: number | null;
  voicedRatio: number;
}

const detectors = new Map<number, (x: Float32Array) => number | null>();

function analyseSpan(x: Float32Array, sampleRate: number): SpanVoice {
  const factor = Math.max(1, Math.ceil(sampleRate / ANALYSIS_RATE_MAX));
  const analysisRate = sampleRate / factor;
  const blockLen = BLOCK * factor; // one analysis block, in input samples
  const blocks = Math.ceil(x.length / blockLen);
  if (blocks === 0) return { rmsDb: SILENCE_DB, peakDb: SILENCE_DB, f0MedianHz: null, f0RangeSemitones: null, voicedRatio: 0 };

  // Level from the full-band input, block by block.
  const power = new Float64Array(blocks);
  let peak = 0;
  let loudest = 0;
  for (let b = 0; b < blocks; b++) {
    const end = Math.min(x.length, (b + 1) * blockLen);
    let sum = 0;
    for (let i = b * blockLen; i < end; i++) {
      const v = x[i];
      sum += v * v;
      const a = v < 0 ? -v : v;
      if (a > peak) peak = a;
    }
    power[b] = sum / (end - b * blockLen);
    if (power[b] > loudest) loudest = power[b];
  }
  const activeFloor = loudest * dbToPower(-ACTIVE_WITHIN_DB);
  let activeSum = 0;
  let activeCount = 0;
  for (let b = 0; b < blocks; b++) {
    if (power[b] < activeFloor || power[b] === 0) continue;
    activeSum += power[b] * (Math.min(x.length, (b + 1) * blockLen) - b * blockLen);
    activeCount += Math.min(x.length, (b + 1) * blockLen) - b * blockLen;
  }
  const level = activeCount > 0 ? activeSum / activeCount : 0;

  // Pitch on a low-passed, decimated copy, only where the block is loud enough to be voiced speech.
  const y = decimate(x, factor);
  const detect = detectorFor(analysisRate);
  const voiceFloor = level * dbToPower(-VOICED_WITHIN_DB);
  const f0s: number[] = [];
  const window = new Float32Array(BLOCK + 1);
  for (let b = 0; b < blocks; b++) {
    const at = b * BLOCK;
    if (power[b] <= voiceFloor || at + BLOCK + 1 > y.length) continue;
    if (!toUnitRms(y, at, window)) continue;
    const f0 = detect(window);
    if (f0 !== null && f0 >= F0_MIN_HZ && f0 <= F0_MAX_HZ) f0s.push(f0);
  }
  f0s.sort((p, q) => p - q);
  const enough = f0s.length >= MIN_VOICED_BLOCKS;
  return {
    rmsDb: round(powerToDb(level), 3),
    peakDb: round(powerToDb(peak * peak), 3),
    f0MedianHz: enough ? round(percentile(f0s, 0.5)!, 2) : null,
    f0RangeSemitones: enough ? round(semitones(percentile(f0s, 0.9)!, percentile(f0s, 0.1)!), 3) : null,
    voicedRatio: round(f0s.length / blocks, 4),
  };
}

/** Copies y[at..] into `window` scaled to unit RMS, so the detector's result does not depend on the level. */
function toUnitRms(y: Float32Array, at: number, window: Float32Array): boolean {
  let sum = 0;
  for (let i = 0; i < window.length; i++) sum += y[at + i] * y[at + i];
  if (sum === 0) return false;
  const gain = Math.sqrt(window.length / sum);
  for (let i = 0; i < window.length; i++) window[i] = y[at + i] * gain;
  return true;
}

function detectorFor(rate: number): (x: Float32Array) => number | null {
  let d = detectors.get(rate);
  if (!d) {
    const mpm = PitchDetector.forFloat32Array(BLOCK + 1);
    d = (x: Float32Array) => {
      const [pitch, clarity] = mpm.findPitch(x, rate);
      return clarity >= MIN_CLARITY && Number.isFinite(pitch) ? pitch : null;
    };
    detectors.set(rate, d);
  }
  return d;
}

const lowpassCache = new Map<number, Float64Array>();

/** Windowed-sinc low-pass below the new Nyquist, evaluated only at the kept samples. */
function decimate(x: Float32Array, factor: number): Float32Array {
  if (factor === 1) return x;
  let taps = lowpassCache.get(factor);
  if (!taps) {
    taps = lowpassTaps(factor);
    lowpassCache.set(factor, taps);
  }
  const half = (taps.length - 1) / 2;
  const out = new Float32Array(Math.floor(x.length / factor));
  for (let o = 0; o < out.length; o++) {
    const centre = o * factor;
    const k0 = Math.max(0, half - centre);
    const k1 = Math.min(taps.length, x.length - centre + half);
    let acc = 0;
    for (let k = k0; k < k1; k++) acc += taps[k] * x[centre + k - half];
    out[o] = acc;
  }
  return out;
}

function lowpassTaps(factor: number): Float64Array {
  const n = 8 * factor + 1;
  const cutoff = 0.45 / factor; // cycles per input sample: 90 % of the decimated Nyquist
  const taps = new Float64Array(n);
  const mid = (n - 1) / 2;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const t = i - mid;
    const sinc = t === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * t) / (Math.PI * t);
    const hamming = 0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (n - 1));
    taps[i] = sinc * hamming;
    sum += taps[i];
  }
  for (let i = 0; i < n; i++) taps[i] /= sum; // unity gain at DC
  return taps;
}

function dbToPower(db: number): number {
  return 10 ** (db / 10);
}

function powerToDb(p: number): number {
  return p > 0 ? Math.max(SILENCE_DB, 10 * Math.log10(p)) : SILENCE_DB;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
