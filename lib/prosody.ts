// Expressive prosody: how a source line was delivered (energy, pitch, pace) → how its dub should be spoken.
// Pure and deterministic (no I/O, no clock, no randomness), so workflows may import it and a rerun plans the same.
//
// The dub follows each line *relative to its own speaker*: a loud character's ordinary line stays neutral,
// a quiet character's raised voice is heard as raised. Multipliers rise monotonically with the measured
// deviations (so the dub's per-line energy and pitch rank like the source's); the category only adds a small
// bounded offset on top, and everything is clamped so the dub never sounds like a different voice.

import { percentile as percentileOf } from './percentile.js';
import { speakerOf } from './voices.js';

export type Category = 'calm' | 'neutral' | 'excited' | 'angry' | 'sad';
export const CATEGORIES: readonly Category[] = ['calm', 'neutral', 'excited', 'angry', 'sad'];

/** source-audio: measured features + text cues; text-only: text cues; tags: only `[happy]`-style tags. */
export type ProsodyMode = 'source-audio' | 'text-only' | 'tags';

/** What was measured on one source line (levels in dBFS; SILENCE_DB when there was nothing to measure). */
export interface LineFeatures {
  rmsDb: number;
  peakDb: number;
  /** Median f0 over voiced frames; null when too few frames were voiced to say. */
  f0MedianHz: number | null;
  /** 10th→90th percentile of f0, in semitones. */
  f0RangeSemitones: number | null;
  /** Voiced frames / all frames of the line. */
  voicedRatio: number;
  syllablesPerSec: number;
  /** Silence after the line: until the next line starts, or to the end of the media. */
  trailingPauseSec: number;
}

/** A line's features relative to its speaker's medians (0 / 1 = the speaker's usual delivery). */
export interface NormalizedFeatures {
  energyDb: number;
  pitchSemitones: number | null;
  /** The line's f0 range minus the speaker's median range (wider = more animated). */
  rangeSemitones: number | null;
  /** Syllables per second over the speaker's median. */
  rateRatio: number;
}

export interface Multipliers {
  rate: number;
  pitch: number;
  energy: number;
}

export interface ProsodyPlan {
  index: number;
  mode: ProsodyMode;
  features?: LineFeatures;
  normalized?: NormalizedFeatures;
  category: Category;
  multipliers: Multipliers;
  /** Silence to keep after the dubbed line, taken from its slot (never added to it). */
  pauseMs: number;
}

export interface SpeakerMedians {
  rmsDb: number;
  f0Hz: number | null;
  f0RangeSemitones: number | null;
  syllablesPerSec: number | null;
}

export interface TextCues {
  exclamations: number;
  question: boolean;
  ellipsis: boolean;
  /** Mostly capital letters (only scripts with case can shout this way). */
  shouting: boolean;
}

/**
 * The most a plan may change a voice: beyond these the dub stops sounding like the same character (rate also
 * keeps the line in its slot). Energy is wider: a whisper (−12 dB in the source) or a shout (+6 dB) is still the
 * same voice, and anime delivery spans that much; the floor and ceiling are −12 dB and +8 dB (the soft clamp
 * brings a +6 dB shout to about +6 dB; the peak limiters after it take a little back).
 */
export const CLAMPS = {
  rate: { min: 0.9, max: 1.1 },
  pitch: { min: 0.95, max: 1.07 },
  energy: { min: 0.25, max: 2.5 },
  pauseMs: { min: 0, max: 220 },
} as const;

export const SILENCE_DB = -120;

// --------------------------------------------------------------------------------------------- text cues

const TAGS: Record<string, Category> = { happy: 'excited', sad: 'sad', angry: 'angry', calm: 'calm' };

/** A leading `[happy]` / `[sad]` / `[angry]` / `[calm]` (any case, optional spaces) → its category, text without it. */
export function parseEmotionTag(text: string): { category?: Category; text: string } {
  const m = text.match(/^\s*\[\s*(happy|sad|angry|calm)\s*\]\s*/i);
  if (!m) return { text };
  return { category: TAGS[m[1].toLowerCase()], text: text.slice(m[0].length) };
}

export function textCues(text: string): TextCues {
  const cased = text.match(/[\p{Lu}\p{Ll}]/gu) ?? [];
  const upper = cased.filter((c) => c !== c.toLowerCase()).length;
  return {
    exclamations: (text.match(/[!！]/g) ?? []).length,
    question: /[?？]/.test(text),
    ellipsis: /\.\s?\.\s?\.|[…‥]|。。/.test(text),
    // four capitals at least, so "OK" or "I" is not shouting
    shouting: upper >= 4 && upper >= 0.7 * cased.length,
  };
}

// --------------------------------------------------------------------------------------------- normalize


/** Each speaker's median delivery (lines of silence and unvoiced lines do not count towards it). */
export function speakerMedians(lines: readonly { speaker?: string }[], features: readonly LineFeatures[]): Map<string, SpeakerMedians> {
  if (lines.length !== features.length) throw new Error(`speakerMedians: ${lines.length} lines but ${features.length} feature sets`);
  const groups = new Map<string, LineFeatures[]>();
  lines.forEach((line, i) => {
    const key = speakerOf(line);
    groups.set(key, [...(groups.get(key) ?? []), features[i]]);
  });
  const out = new Map<string, SpeakerMedians>();
  for (const [speaker, fs] of groups) {
    out.set(speaker, {
      rmsDb: median(fs.map((f) => f.rmsDb).filter((x) => x > SILENCE_DB)) ?? SILENCE_DB,
      f0Hz: median(fs.map((f) => f.f0MedianHz).filter((x): x is number => x !== null && x > 0)),
      f0RangeSemitones: median(fs.map((f) => f.f0RangeSemitones).filter((x): x is number => x !== null)),
      syllablesPerSec: median(fs.map((f) => f.syllablesPerSec).filter((x) => x > 0)),
    });
  }
  return out;
}

export function normalizeLine(f: LineFeatures, m: SpeakerMedians): NormalizedFeatures {
  return {
    energyDb: round(f.rmsDb - m.rmsDb, 4),
    pitchSemitones: f.f0MedianHz !== null && m.f0Hz !== null ? round(semitones(f.f0MedianHz, m.f0Hz), 4) : null,
    rangeSemitones: f.f0RangeSemitones !== null && m.f0RangeSemitones !== null ? round(f.f0RangeSemitones - m.f0RangeSemitones, 4) : null,
    rateRatio: f.syllablesPerSec > 0 && m.syllablesPerSec ? round(f.syllablesPerSec / m.syllablesPerSec, 4) : 1,
  };
}

/** Every line relative to its own speaker's medians (lines without a speaker are one speaker: the whole programme is their reference). */
export function normalizeBySpeaker(lines: readonly { speaker?: string }[], features: readonly LineFeatures[]): NormalizedFeatures[] {
  const medians = speakerMedians(lines, features);
  return features.map((f, i) => normalizeLine(f, medians.get(speakerOf(lines[i]))!));
}

// -------------------------------------------------------------------------------------------- categorize

/** How far a deviation must go to count as one unit of arousal (a unit or more = clearly raised). */
const AROUSAL_UNIT = { energyDb: 5, pitchSemitones: 4, rateRatio: 0.3 };
/** Raised but only this much louder reads as excitement, not anger. */
const ANGRY_MIN_ENERGY_DB = 4;

export interface CategorizeInput {
  /** Absent in text-only mode. */
  normalized?: NormalizedFeatures;
  cues: TextCues;
  /** An explicit emotion tag always wins. */
  tag?: Category;
}

/**
 * Raised delivery (arousal ≥ 1) is angry when it is much louder with a level pitch (or shouted in capitals),
 * else excited; lowered delivery (≤ −1) is sad when the pitch drops or the pace slows, else calm. As any one
 * feature grows, a line only moves towards categories whose offset for that feature is no smaller, so the
 * multipliers stay monotonic in each feature.
 */
export function categorize({ normalized: n, cues, tag }: CategorizeInput): Category {
  if (tag) return tag;
  if (!n) {
    if (cues.shouting) return 'angry';
    if (cues.exclamations > 0) return 'excited';
    if (cues.ellipsis) return 'calm';
    return 'neutral';
  }
  const pitch = n.pitchSemitones ?? 0;
  const arousal =
    bound(n.energyDb / AROUSAL_UNIT.energyDb) +
    bound(pitch / AROUSAL_UNIT.pitchSemitones) +
    bound((n.rateRatio - 1) / AROUSAL_UNIT.rateRatio) +
    0.35 * Math.min(2, cues.exclamations) +
    (cues.shouting ? 0.5 : 0) -
    (cues.ellipsis ? 0.5 : 0);
  if (arousal >= 1) {
    const widened = (n.rangeSemitones ?? 0) >= 2;
    const forceful = cues.shouting || (n.energyDb >= ANGRY_MIN_ENERGY_DB && pitch < 1);
    return forceful && !widened && !cues.question ? 'angry' : 'excited';
  }
  if (arousal <= -1) {
    return pitch <= -1 || n.rateRatio <= 0.88 || (cues.ellipsis && pitch <= 0) ? 'sad' : 'calm';
  }
  return 'neutral';
}

// ------------------------------------------------------------------------------------------------ policy

/** Text-only delivery per category (also the ceiling the category alone may reach). */
export const CATEGORY_TABLE: Readonly<Record<Category, Multipliers & { pauseMs: number }>> = {
  neutral: { rate: 1, pitch: 1, energy: 1, pauseMs: 0 },
  excited: { rate: 1.06, pitch: 1.05, energy: 1.15, pauseMs: 0 },
  angry: { rate: 1.05, pitch: 1.02, energy: 1.22, pauseMs: 40 },
  calm: { rate: 0.95, pitch: 0.98, energy: 0.92, pauseMs: 120 },
  sad: { rate: 0.92, pitch: 0.96, energy: 0.88, pauseMs: 180 },
};

/**
 * With measured features the category only nudges: small offsets ordered sad ≤ calm ≤ neutral ≤ angry/excited
 * in the same direction the categorizer moves, so a larger deviation never gets a smaller multiplier.
 */
export const CATEGORY_OFFSET: Readonly<Record<Category, Multipliers>> = {
  neutral: { rate: 0, pitch: 0, energy: 0 },
  excited: { rate: 0.02, pitch: 0.02, energy: 0.03 },
  angry: { rate: 0.03, pitch: 0.01, energy: 0.05 },
  calm: { rate: -0.02, pitch: -0.01, energy: -0.03 },
  sad: { rate: -0.03, pitch: -0.02, energy: -0.04 },
};

/** Deviations at which the continuous part alone reaches the clamp (the ranges a listener clearly hears). */
export const FULL_SCALE = { energyDb: 6, pitchSemitones: 3, rateRatio: 0.2 };
const QUESTION_PITCH = 0.02;
const ELLIPSIS_PAUSE_MS = 60;

export interface PolicyInput {
  category: Category;
  normalized?: NormalizedFeatures;
  cues: TextCues;
  trailingPauseSec?: number;
}

export function policyFor({ category, normalized: n, cues, trailingPauseSec }: PolicyInput, strength: number): { multipliers: Multipliers; pauseMs: number } {
  const s = checkStrength(strength);
  const question = cues.question ? QUESTION_PITCH : 0;
  let raw: Multipliers;
  if (n) {
    const off = CATEGORY_OFFSET[category];
    raw = {
      rate: 1 + ramp(n.rateRatio - 1, FULL_SCALE.rateRatio, CLAMPS.rate) + off.rate,
      pitch: 1 + ramp(n.pitchSemitones ?? 0, FULL_SCALE.pitchSemitones, CLAMPS.pitch) + off.pitch + question,
      energy: 1 + ramp(n.energyDb, FULL_SCALE.energyDb, CLAMPS.energy) + off.energy,
    };
  } else {
    const t = CATEGORY_TABLE[category];
    raw = { rate: t.rate, pitch: t.pitch + question, energy: t.energy };
  }

  let pause = CATEGORY_TABLE[category].pauseMs + (cues.ellipsis ? ELLIPSIS_PAUSE_MS : 0);
  if (trailingPauseSec !== undefined) {
    const gapMs = Math.max(0, trailingPauseSec) * 1000;
    // a long silence in the source lengthens the dub's; never claim more than half of the gap it really had
    pause = Math.min(pause + Math.min(80, 0.08 * gapMs), gapMs / 2);
  }

  // Measured deviations are squeezed softly (their order survives); the text-only table is inside the clamps.
  const fit = n ? softClamp : clamp;
  return {
    multipliers: {
      rate: scale(fit(raw.rate, CLAMPS.rate), s),
      pitch: scale(fit(raw.pitch, CLAMPS.pitch), s),
      energy: scale(fit(raw.energy, CLAMPS.energy), energyStrength(s)),
    },
    pauseMs: Math.round(s * clamp(pause, CLAMPS.pauseMs)),
  };
}

/**
 * Into the clamp range without flattening: tanh keeps the slope 1 near 1 and approaches each edge without
 * reaching it, so two lines that differ in the source still differ (in the same order) in the dub — a hard
 * clamp would give every strong line the same value and lose their order.
 */
function softClamp(m: number, range: { min: number; max: number }): number {
  const d = m - 1;
  const soft = d >= 0 ? (range.max - 1) * Math.tanh(d / (range.max - 1)) : -(1 - range.min) * Math.tanh(-d / (1 - range.min));
  return clamp(1 + soft, range);
}

/** Linear in the deviation, reaching the clamp edge at ±fullAt (the two sides of a clamp differ in size). */
function ramp(x: number, fullAt: number, range: { min: number; max: number }): number {
  return x >= 0 ? ((range.max - 1) * x) / fullAt : ((1 - range.min) * x) / fullAt;
}

/**
 * Energy reaches its full measure at half the strength: a line's level against the others changes neither the
 * voice nor the timing, and a whisper or a shout carried at half its size no longer reads as one (at the default
 * 0.5, a −12 dB whisper came out −3 dB). Rate and pitch, which do change the voice, keep the plain strength.
 */
export function energyStrength(strength: number): number {
  return Math.min(1, 2 * strength);
}

function scale(m: number, s: number): number {
  return round(1 + s * (m - 1), 6);
}

function checkStrength(strength: number): number {
  if (!Number.isFinite(strength)) throw new RangeError(`prosody strength must be a number in 0..1 (got ${strength})`);
  return Math.min(1, Math.max(0, strength));
}

// -------------------------------------------------------------------------------------------------- plan

export interface PlanLine {
  index: number;
  /** Source text: where punctuation cues and emotion tags are read. */
  text: string;
  speaker?: string;
  /** Translated text; a tag here counts when the source has none (an LLM translator may add one). */
  target?: string;
}

export interface PlanOptions {
  /** 0 = no change at all, 1 = the full clamp range. */
  strength: number;
  mode: ProsodyMode;
  /** Language of `text` (the cues are script-based today; kept so language-specific cues need no API change). */
  language: string;
}

/** One plan per line, in order. `features` (same length as `lines`) is required in source-audio mode. */
export function planLines(lines: readonly PlanLine[], features: readonly LineFeatures[] | undefined, opts: PlanOptions): ProsodyPlan[] {
  const { mode } = opts;
  let normalized: NormalizedFeatures[] | undefined;
  if (mode === 'source-audio') {
    if (!features) throw new Error('planLines: source-audio mode needs the measured line features');
    normalized = normalizeBySpeaker(lines, features);
  }
  return lines.map((line, i) => {
    const own = parseEmotionTag(line.text);
    const tag = own.category ?? (line.target !== undefined ? parseEmotionTag(line.target).category : undefined);
    const cues = textCues(own.text);
    if (mode === 'tags') {
      const category = tag ?? 'neutral';
      return { index: line.index, mode, category, ...policyFor({ category, cues: NO_CUES }, opts.strength) };
    }
    const f = normalized ? features![i] : undefined;
    const n = normalized?.[i];
    const category = categorize({ normalized: n, cues, tag });
    const policy = policyFor({ category, normalized: n, cues, trailingPauseSec: f?.trailingPauseSec }, opts.strength);
    return { index: line.index, mode, ...(f && n ? { features: f, normalized: n } : {}), category, ...policy };
  });
}

/** Tags mode says exactly what the tag says: punctuation does not move it. */
const NO_CUES: TextCues = { exclamations: 0, question: false, ellipsis: false, shouting: false };

// ------------------------------------------------------------------------------------------------- stats

/** Spearman rank correlation (ties get their average rank); NaN when either side is constant. */
export function spearman(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error(`spearman: lengths differ (${a.length} vs ${b.length})`);
  if (a.length < 2) return NaN;
  const ra = ranks(a);
  const rb = ranks(b);
  const mean = (a.length + 1) / 2;
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < a.length; i++) {
    cov += (ra[i] - mean) * (rb[i] - mean);
    va += (ra[i] - mean) ** 2;
    vb += (rb[i] - mean) ** 2;
  }
  return va === 0 || vb === 0 ? NaN : cov / Math.sqrt(va * vb);
}

function ranks(xs: readonly number[]): number[] {
  const order = xs.map((x, i) => [x, i] as const).sort((p, q) => p[0] - q[0] || p[1] - q[1]);
  const out = new Array<number>(xs.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    for (let k = i; k <= j; k++) out[order[k][1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return out;
}

export function median(xs: readonly number[]): number | null {
  return percentileOf(xs, 0.5) ?? null;
}

export function semitones(f: number, ref: number): number {
  return 12 * Math.log2(f / ref);
}

function bound(x: number): number {
  return Math.max(-2, Math.min(2, x));
}

function clamp(x: number, r: { min: number; max: number }): number {
  return Math.min(r.max, Math.max(r.min, x));
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
