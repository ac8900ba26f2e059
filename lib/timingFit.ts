// Timing fit: where a dubbed line may sit and how it is made to fit there.
// The hard rule: a dubbed line never runs past the start of the next source line (of the same speaker, when
// several speak: then it runs over another speaker's line only as far as its own source line does). The guard
// gap before it is kept when there is room, and yields before a line would go silent.
import { hasRateKnob, TTS_ENGINE_NAMES } from '../config/ttsEngineNames.js';

export interface FitOptions {
  /** Most we speed a line up before cutting it. */
  maxSpeed: number;
  /**
   * Slowest we play a line that is much shorter than its source line, so the dub fills the time the character
   * speaks. Absent (jobs started before it existed) = 1: never slowed.
   */
  minSpeed?: number;
  /** Silence kept before the next line starts. */
  guardMs: number;
}

export interface Slot {
  start: number;
  /** The latest moment the dub may still be sounding. */
  end: number;
}

export interface FitPlan {
  speed: number;
  fittedDurationSec: number;
  trimmedSec: number;
  paddedSec: number;
  slotSec: number;
  /** How far the dub runs past its source line's end, into the silence before the next line. */
  borrowedSec: number;
}

/** Shortest stretch of a line worth hearing: the guard gap yields to give a line at least this much. */
export const MIN_AUDIBLE_SEC = 0.3;

/** Slowing a line down by less than this is not worth a re-encode. */
export const MIN_SLOWDOWN_GAIN = 0.05;

/**
 * Slot of line i: from its start to the next line's start (or the end of the media), less the guard. The slot
 * runs past the line's own end: a long dub may borrow the silence after it. With `minAudibleSec`, the guard
 * shrinks so the slot is at least that long where the next line allows it (it never goes past the next start).
 */
export function slotFor(starts: readonly number[], i: number, mediaDurationSec: number, guardMs: number, minAudibleSec = 0): Slot {
  return slotBefore(starts[i], i + 1 < starts.length ? starts[i + 1] : mediaDurationSec, mediaDurationSec, guardMs, minAudibleSec);
}

export interface SpokenLine {
  start: number;
  end: number;
  speaker?: string;
}

/** Lines of more than one speaker (a line without a name counts as one more): their slots are per speaker. */
export function severalSpeakers(lines: readonly SpokenLine[]): boolean {
  return new Set(lines.map((l) => l.speaker ?? '')).size > 1;
}

/**
 * Slot of line i when several people speak: it ends at the next line of the same speaker (one voice never
 * overlaps itself), and runs on over another speaker's line only as far as the source line itself does, so
 * two people talking at once are both heard in full, as in the original. Lines sorted by start.
 */
export function speakerSlotFor(lines: readonly SpokenLine[], i: number, mediaDurationSec: number, guardMs: number, minAudibleSec = 0): Slot {
  const line = lines[i];
  const other = i + 1 < lines.length ? lines[i + 1].start : mediaDurationSec;
  let own = mediaDurationSec;
  for (let j = i + 1; j < lines.length; j++) {
    if ((lines[j].speaker ?? '') === (line.speaker ?? '')) { own = lines[j].start; break; }
  }
  return slotBefore(line.start, Math.min(own, Math.max(other, line.end)), mediaDurationSec, guardMs, minAudibleSec);
}

/** Each line's slot: per speaker when several speak, else the one timeline exactly as slotFor gives it. */
export function slotsOf(lines: readonly SpokenLine[], mediaDurationSec: number, guardMs: number, minAudibleSec = 0): (i: number) => Slot {
  if (severalSpeakers(lines)) return (i) => speakerSlotFor(lines, i, mediaDurationSec, guardMs, minAudibleSec);
  const starts = lines.map((l) => l.start);
  return (i) => slotFor(starts, i, mediaDurationSec, guardMs, minAudibleSec);
}

function slotBefore(start: number, next: number, mediaDurationSec: number, guardMs: number, minAudibleSec: number): Slot {
  const guarded = Math.min(next - guardMs / 1000, mediaDurationSec);
  const end = guarded - start >= minAudibleSec ? guarded : Math.min(next, mediaDurationSec, start + minAudibleSec);
  return { start, end: Math.max(start, end) };
}

/**
 * How a clip of `clipSec` goes into `slot`: sped up to at most maxSpeed, then cut (the caller fades the cut);
 * a clip much shorter than its source line (ending at `sourceEnd`) slowed to at least minSpeed; the rest of the
 * slot padded with silence. A slot of zero length (the next line starts at the same instant) leaves no room at all.
 */
export function planFit(clipSec: number, slot: Slot, opts: FitOptions, sourceEnd?: number): FitPlan {
  const slotSec = Math.max(0, slot.end - slot.start);
  const borrowed = (fitted: number) => (sourceEnd === undefined ? 0 : round(Math.max(0, slot.start + fitted - sourceEnd), 4));
  if (clipSec <= slotSec) {
    const sourceSec = sourceEnd === undefined ? slotSec : sourceEnd - slot.start;
    const speed = speedup(clipSec, slotSec, opts, sourceSec) ?? slowdown(clipSec, slotSec, opts.minSpeed ?? 1, sourceSec);
    const fitted = speed === 1 ? clipSec : Math.min(clipSec / speed, slotSec);
    return { speed, fittedDurationSec: fitted, trimmedSec: 0, paddedSec: slotSec - fitted, slotSec, borrowedSec: borrowed(fitted) };
  }
  if (slotSec === 0) return { speed: 1, fittedDurationSec: 0, trimmedSec: clipSec, paddedSec: 0, slotSec, borrowedSec: 0 };
  const speed = Math.min(clipSec / slotSec, opts.maxSpeed);
  const sped = clipSec / speed;
  const fitted = Math.min(sped, slotSec);
  // clip / (clip / slot) can come back a rounding error over the slot: that is no cut (it would fade the line's end
  // and have the condenser shorten a line that the speed-up alone fits).
  const over = sped - fitted;
  return {
    speed: round(speed, 4),
    fittedDurationSec: fitted,
    trimmedSec: over > 1e-9 ? over : 0,
    paddedSec: slotSec - fitted,
    slotSec,
    borrowedSec: borrowed(fitted),
  };
}

/**
 * Speed > 1 that brings a clip longer than its source line back toward the line's length, so the dub ends when
 * the character stops speaking; whatever maxSpeed leaves over borrows the silence after the line. Only for jobs
 * with minSpeed (the second fit): earlier jobs let such a clip run into the gap at its own pace.
 */
function speedup(clipSec: number, slotSec: number, opts: FitOptions, sourceSec: number): number | undefined {
  const target = Math.min(sourceSec, slotSec);
  if (opts.minSpeed === undefined || target <= 0 || clipSec <= target * (1 + MIN_SLOWDOWN_GAIN)) return undefined;
  return round(Math.min(opts.maxSpeed, clipSec / target), 4);
}

/** Speed < 1 that stretches a clip toward its source line's length (never past the slot), or 1. */
function slowdown(clipSec: number, slotSec: number, minSpeed: number, sourceSec: number): number {
  const target = Math.min(sourceSec, slotSec);
  if (minSpeed >= 1 || clipSec <= 0 || target <= 0 || clipSec >= target * (1 - MIN_SLOWDOWN_GAIN)) return 1;
  return round(Math.max(minSpeed, clipSec / target), 4);
}

/**
 * Before synthesis: the speaking rate (≥ 1) to ask of an engine that has its own rate knob (espeak-ng -s),
 * so a line estimated at `estimatedSec` fits `slotSec` without a time-stretch afterwards; at most maxSpeed.
 */
export function engineRateFor(estimatedSec: number, slotSec: number, maxSpeed: number): number {
  if (estimatedSec <= 0 || slotSec <= 0 || estimatedSec <= slotSec) return 1;
  return round(Math.min(maxSpeed, estimatedSec / slotSec), 3);
}

/** Engines whose own rate knob honours a line's rateHint (activities/tts.ts): the fit then has less speed-up left. */
export const RATE_KNOB_ENGINES: readonly string[] = TTS_ENGINE_NAMES.filter(hasRateKnob);

/**
 * The speed-up the engine already applied to a line: what its clip says, or (clips from before clips said so)
 * the line's rateHint when the engine has a rate knob.
 */
export function engineRateOf(clipRate: number | undefined, rateHint: number | undefined, engine: string): number {
  if (clipRate !== undefined) return clipRate;
  return rateHint && rateHint > 1 && RATE_KNOB_ENGINES.includes(engine) ? rateHint : 1;
}

/** A line clearly too long for its slot even at the fastest speed we allow: worth condensing before synthesis. */
export function needsCondensing(estimatedSec: number, slotSec: number, maxSpeed: number): boolean {
  return estimatedSec > slotSec * maxSpeed;
}

/** The fade on a cut: never longer than half of what is left of the line. */
export function fadeOutSec(fittedSec: number, fadeMs: number): number {
  return Math.max(0, Math.min(fadeMs / 1000, fittedSec / 2));
}

/** ffmpeg's atempo accepts 0.5..100 per instance; chain to stay in its most accurate range (≤ 2). */
export function atempoChain(speed: number): string[] {
  const parts: string[] = [];
  let rest = speed;
  while (rest > 2) {
    parts.push('atempo=2');
    rest /= 2;
  }
  if (Math.abs(rest - 1) > 1e-4) parts.push(`atempo=${rest.toFixed(4)}`);
  return parts;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/**
 * Expressive tail pause: kept only when the line fits its slot with it, without any speed-up; it then
 * ends the dub that much earlier (a real breath before the next line). It is never added to a slot.
 */
export function slotWithPause(slot: Slot, clipSec: number, pauseMs: number): Slot {
  const pause = pauseMs / 1000;
  if (pause <= 0 || clipSec + pause > slot.end - slot.start) return slot;
  return { start: slot.start, end: slot.end - pause };
}
