// Workflow-side building blocks shared by dubJob and the streaming workflows.
import { ActivityCancellationType, patched, proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type * as activities from '../activities/index.js';
import type { Placement, Queues } from '../config/schema.js';
import { NON_RETRYABLE_TYPES } from '../lib/errors.js';
import type { Clip, FittedLine, PreparedJob, TranslatedLine } from '../lib/job.js';
import type { ProsodyPlan } from '../lib/prosody.js';
import { MIN_AUDIBLE_SEC, planFit, slotFor, slotWithPause, type Slot } from '../lib/timingFit.js';
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
 * long for their slot are condensed first (fit.condense, on unless turned off). With expressive plans, each
 * line is synthesized with its plan and its tail pause is kept when the line fits with it. A line that fits as
 * it is skips the fitLine activity.
 * patched(): histories recorded before each step replay without it: fitLine for every line
 * ('fit-as-is-in-workflow'), no condensing ('condense-lines'), no guard yielding to a short slot ('timing-fit-v2').
 */
export async function dubEachLine(
  act: Activities,
  prep: PreparedJob,
  lines: TranslatedLine[],
  onLineDone: (done: number, total: number) => void = () => {},
  plans: ProsodyPlan[] = [],
): Promise<FittedLine[]> {
  const minAudibleSec = patched('timing-fit-v2') ? MIN_AUDIBLE_SEC : 0;
  const spoken = lines.length && prep.options.fit?.condense !== false && patched('condense-lines') ? await act.condenseLines(prep, lines) : lines;
  const starts = spoken.map((l) => l.start);
  const planOf = new Map(plans.map((p) => [p.index, p]));
  let done = 0;
  onLineDone(0, spoken.length);
  return mapWithWindow(spoken, prep.options.synthesisConcurrency, async (line, i) => {
    const plan = planOf.get(line.index);
    const clip = plan ? await act.synthesizeLine(prep, line, plan) : await act.synthesizeLine(prep, line);
    const slot = slotFor(starts, i, prep.media.durationSec, prep.options.fit.guardMs, minAudibleSec);
    const fitSlot = plan ? slotWithPause(slot, clip.durationSec, plan.pauseMs) : slot;
    const asIs = fittedAsIs(prep, clip, fitSlot, line.end);
    const fitted = asIs && patched('fit-as-is-in-workflow') ? asIs : await act.fitLine(prep, clip, fitSlot, line.end);
    onLineDone(++done, spoken.length);
    return line.condensed ? { ...fitted, condensed: line.condensed } : fitted;
  });
}
