// One line's way from text to fitted clip: synthesize, say it once more when the clip is too long, fit it to
// its slot. Pure decisions: the steps that run engines are handed in (activities/dubLines.ts binds them), so the
// order and the conditions can be read, and tested, apart from the engines.
import type { Clip, FittedLine, PreparedJob, TranslatedLine } from './job.js';
import type { ProsodyPlan } from './prosody.js';
import { fitAfterEngineRate, fitOf, type FitLimits } from './jobFit.js';
import { engineRateOf, planFit, RATE_KNOB_ENGINES, slotWithPause, type Slot } from './timingFit.js';

export interface LineSteps {
  synthesize(line: TranslatedLine): Promise<Clip>;
  revise(line: TranslatedLine, clipSec: number, slot: Slot, engineRate: number): Promise<TranslatedLine | undefined>;
  fit(prep: PreparedJob, clip: Clip, slot: Slot, sourceEnd: number, fit: FitLimits): Promise<FittedLine>;
}

/** A line dubbed: its fitted clip, plus what the condenser and the engine's rate knob did to it. */
export async function synthesizeReviseFit(steps: LineSteps, prep: PreparedJob, first: TranslatedLine, slot: Slot, plan?: ProsodyPlan): Promise<FittedLine> {
  const condenseOn = prep.options.fit?.condense !== false;
  let line = first;
  let clip = await steps.synthesize(line);
  let fit = fitFor(prep, line, clip, slot, plan);
  // Too long for the slot: said again, once, condensed further (when it would be cut) or faster by the engine's
  // own rate knob (when it would be time-stretched), before the fit stretches and cuts what is left.
  const need = planFit(clip.durationSec, fit.slot, fit.limits, line.end);
  const revise = !line.revised && ((condenseOn && need.trimmedSec > 0) || (need.speed > 1 && RATE_KNOB_ENGINES.includes(prep.ttsEngine)));
  if (revise) {
    const revised = await steps.revise(line, clip.durationSec, fit.slot, fit.engineRate);
    if (revised) {
      line = revised;
      clip = await steps.synthesize(line);
      fit = fitFor(prep, line, clip, slot, plan);
    }
  }
  const asIs = fittedAsIs(fit.limits, clip, fit.slot, line.end);
  const fitted = asIs ?? await steps.fit(prep, clip, fit.slot, line.end, fit.limits);
  return { ...fitted, ...(line.condensed ? { condensed: line.condensed } : {}), ...(fit.engineRate > 1 ? { engineRate: fit.engineRate } : {}) };
}

/**
 * A line whose clip already fits its slot needs no fitting: the same FittedLine fitLine returns for it
 * (activities/fit.ts, "fits as it is: no re-encode"), made without an ffmpeg run.
 * With fit.minSpeed < 1 a line much shorter than its source line is slowed down, so it does need fitLine.
 */
export function fittedAsIs(fit: FitLimits, clip: Clip, slot: Slot, sourceEnd: number): FittedLine | undefined {
  const plan = planFit(clip.durationSec, slot, fit, sourceEnd);
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
export function fitFor(prep: PreparedJob, line: TranslatedLine, clip: Clip, slot: Slot, plan?: ProsodyPlan): { limits: FitLimits; slot: Slot; engineRate: number } {
  const engineRate = engineRateOf(clip.rateApplied, line.rateHint, prep.ttsEngine);
  return {
    limits: fitAfterEngineRate(fitOf(prep), engineRate),
    slot: plan ? slotWithPause(slot, clip.durationSec, plan.pauseMs) : slot,
    engineRate,
  };
}
