// Workflow-side building blocks shared by dubJob and the streaming workflows.
import { ActivityCancellationType, patched, proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type * as activities from '../activities/index.js';
import type { Placement, Queues } from '../config/schema.js';
import { NON_RETRYABLE_TYPES } from '../lib/errors.js';
import type { Clip, FittedLine, PreparedJob, TranslatedLine } from '../lib/job.js';
import type { ProsodyPlan } from '../lib/prosody.js';
import { engineRateOf, MIN_AUDIBLE_SEC, planFit, RATE_KNOB_ENGINES, slotFor, slotWithPause, type Slot } from '../lib/timingFit.js';
import { mapWithWindow } from '../lib/window.js';

export type Activities = typeof activities;

const common: ActivityOptions = {
  heartbeatTimeout: '30s',
  // The workflow ends only once the running engine is really dead: no orphan keeps writing.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { maximumAttempts: 3, initialInterval: '2s', backoffCoefficient: 2, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
};

export const DEFAULT_QUEUES: Queues = { workflows: 'dub-workflows', cpu: 'dub-cpu', gpu: 'dub-gpu' };

/**
 * One proxy per queue; each activity is called on the queue the placement map names. A crashed worker's
 * activity is retried elsewhere once `heartbeatSec` passes without a heartbeat.
 */
export function activitiesOn(queues: Queues, placement: Placement, heartbeatSec = 30): Activities {
  const beat = { heartbeatTimeout: `${heartbeatSec}s` as const };
  const onCpu = proxyActivities<Activities>({ ...common, ...beat, taskQueue: queues.cpu, startToCloseTimeout: '60m' });
  const onGpu = proxyActivities<Activities>({ ...common, ...beat, taskQueue: queues.gpu, startToCloseTimeout: '120m' });
  return new Proxy({} as Activities, {
    get: (_, name: string) => ((placement as Record<string, string>)[name] === 'gpu' ? onGpu : onCpu)[name as keyof Activities],
  });
}

/**
 * A line whose clip already fits its slot needs no fitting: the same FittedLine the fitLine activity returns
 * for it (activities/fit.ts, "fits as it is: no re-encode"), made here without an activity round trip.
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
 * Condense, synthesize and fit every line, at most `synthesisConcurrency` lines in flight. Lines clearly too
 * long for their slot are condensed first (fit.condense, on unless turned off); a clip still too long is said
 * once more (reviseLine). With expressive plans, each line is synthesized with its plan and its tail pause is
 * kept when the line fits with it. A line that fits as it is skips fitLine.
 * patched(): histories recorded before each step replay without it: fitLine for every line
 * ('fit-as-is-in-workflow'), no condensing ('condense-lines'), no second saying ('revise-after-synthesis'),
 * no guard yielding to a short slot ('timing-fit-v2').
 */
export async function dubEachLine(
  act: Activities,
  prep: PreparedJob,
  lines: TranslatedLine[],
  onLineDone: (done: number, total: number) => void = () => {},
  plans: ProsodyPlan[] = [],
): Promise<FittedLine[]> {
  const minAudibleSec = patched('timing-fit-v2') ? MIN_AUDIBLE_SEC : 0;
  const condenseOn = prep.options.fit?.condense !== false;
  // Also with condensing off: the engine's rate hints, and the lines as revised by an earlier render, come from it.
  const spoken = lines.length && patched('condense-lines') ? await act.condenseLines(prep, lines) : lines;
  const starts = spoken.map((l) => l.start);
  const planOf = new Map(plans.map((p) => [p.index, p]));
  let done = 0;
  onLineDone(0, spoken.length);
  return mapWithWindow(spoken, prep.options.synthesisConcurrency, async (first, i) => {
    const plan = planOf.get(first.index);
    const synthesize = (l: TranslatedLine) => (plan ? act.synthesizeLine(prep, l, plan) : act.synthesizeLine(prep, l));
    const slot = slotFor(starts, i, prep.media.durationSec, prep.options.fit.guardMs, minAudibleSec);
    let line = first;
    let clip = await synthesize(line);
    let fit = fitFor(prep, line, clip, slot, plan);
    // Too long for the slot: said again, once, condensed further (when it would be cut) or faster by the engine's
    // own rate knob (when it would be time-stretched), before the fit stretches and cuts what is left.
    const need = planFit(clip.durationSec, fit.slot, fit.prep.options.fit, line.end);
    const revise = !line.revised && ((condenseOn && need.trimmedSec > 0) || (need.speed > 1 && RATE_KNOB_ENGINES.includes(prep.ttsEngine)));
    if (revise && patched('revise-after-synthesis')) {
      const revised = await act.reviseLine(prep, line, clip.durationSec, fit.slot, fit.engineRate);
      if (revised) {
        line = revised;
        clip = await synthesize(line);
        fit = fitFor(prep, line, clip, slot, plan);
      }
    }
    const asIs = fittedAsIs(fit.prep, clip, fit.slot, line.end);
    const fitted = asIs && patched('fit-as-is-in-workflow') ? asIs : await act.fitLine(fit.prep, clip, fit.slot, line.end);
    onLineDone(++done, spoken.length);
    return { ...fitted, ...(line.condensed ? { condensed: line.condensed } : {}), ...(fit.engineRate > 1 ? { engineRate: fit.engineRate } : {}) };
  });
}

/**
 * Where and within what bounds a clip is fitted: its slot (less an expressive tail pause when it fits with it),
 * and the speed-up left once the engine's own (rateHint) is counted: speed-ups multiply.
 */
function fitFor(prep: PreparedJob, line: TranslatedLine, clip: Clip, slot: Slot, plan?: ProsodyPlan): { prep: PreparedJob; slot: Slot; engineRate: number } {
  const engineRate = engineRateOf(clip.rateApplied, line.rateHint, prep.ttsEngine);
  const fit = prep.options.fit;
  return {
    prep: engineRate > 1 ? { ...prep, options: { ...prep.options, fit: { ...fit, maxSpeed: Math.max(1, fit.maxSpeed / engineRate) } } } : prep,
    slot: plan ? slotWithPause(slot, clip.durationSec, plan.pauseMs) : slot,
    engineRate,
  };
}
