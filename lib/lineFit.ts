// What one line's fit needs once its clip exists: the bounds left after the engine's own speed-up, and the
// fitted result of a clip that fits as it is. Pure, so the workflow (older histories) and the line activity
// (activities/dubLines.ts) decide exactly alike.
import type { Clip, FittedLine, PreparedJob, TranslatedLine } from './job.js';
import type { ProsodyPlan } from './prosody.js';
import { engineRateOf, planFit, slotWithPause, type Slot } from './timingFit.js';

/**
 * A line whose clip already fits its slot needs no fitting: the same FittedLine fitLine returns for it
 * (activities/fit.ts, "fits as it is: no re-encode"), made without an ffmpeg run.
 * With fit.minSpeed < 1 a line much shorter than its source line is slowed down, so it does need fitLine.
 */
export function fittedAsIs(prep: PreparedJob, clip: Clip, slot: Slot, sourceEnd: number): FittedLine | undefined {
  const plan = planFit(clip.durationSec, slot, prep.options.fit, sourceEnd);
  if (plan.speed !== 1 || plan.trimmedSec !== 0) return undefined;
  return {
    index: clip.index, start: slot.start, sourceEnd, slotEnd: slot.end, ttsDurationSec: clip.durationSec,
    speed: plan.speed, trimmedSec: plan.trimmedSec, paddedSec: plan.paddedSec, ttsReused: clip.reused,
    path: clip.path, fittedDurationSec: clip.durationSec, filter: 'none', borrowedSec: plan.borrowedSec,
  };
}

/**
 * Where and within what bounds a clip is fitted: its slot (less an expressive tail pause when it fits with it),
 * and the speed-up left once the engine's own (rateHint) is counted: speed-ups multiply.
 */
export function fitFor(prep: PreparedJob, line: TranslatedLine, clip: Clip, slot: Slot, plan?: ProsodyPlan): { prep: PreparedJob; slot: Slot; engineRate: number } {
  const engineRate = engineRateOf(clip.rateApplied, line.rateHint, prep.ttsEngine);
  const fit = prep.options.fit;
  return {
    prep: engineRate > 1 ? { ...prep, options: { ...prep.options, fit: { ...fit, maxSpeed: Math.max(1, fit.maxSpeed / engineRate) } } } : prep,
    slot: plan ? slotWithPause(slot, clip.durationSec, plan.pauseMs) : slot,
    engineRate,
  };
}
