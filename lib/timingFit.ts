// Timing fit: where a dubbed line may sit and how it is made to fit there.
// The hard rule: a dubbed line never runs past the start of the next source line (minus a guard gap).

export interface FitOptions {
  /** Most we speed a line up before cutting it. */
  maxSpeed: number;
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
}

/** Slot of line i: from its start to the next line's start (or the end of the media), less the guard. */
export function slotFor(starts: readonly number[], i: number, mediaDurationSec: number, guardMs: number): Slot {
  const start = starts[i];
  const hardEnd = i + 1 < starts.length ? starts[i + 1] : mediaDurationSec;
  const end = Math.max(start, Math.min(hardEnd - guardMs / 1000, mediaDurationSec));
  return { start, end };
}

export function planFit(clipSec: number, slot: Slot, opts: FitOptions): FitPlan {
  const slotSec = Math.max(0, slot.end - slot.start);
  if (clipSec <= slotSec) {
    return { speed: 1, fittedDurationSec: clipSec, trimmedSec: 0, paddedSec: slotSec - clipSec, slotSec };
  }
  if (slotSec === 0) return { speed: 1, fittedDurationSec: 0, trimmedSec: clipSec, paddedSec: 0, slotSec };
  const speed = Math.min(clipSec / slotSec, opts.maxSpeed);
  const sped = clipSec / speed;
  const fitted = Math.min(sped, slotSec);
  return {
    speed: round(speed, 4),
    fittedDurationSec: fitted,
    trimmedSec: Math.max(0, sped - fitted),
    paddedSec: slotSec - fitted,
    slotSec,
  };
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
