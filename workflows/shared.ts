// Workflow-side building blocks shared by dubJob and the streaming workflows.
import { ActivityCancellationType, proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type * as activities from '../activities/index.js';
import type { Placement, Queues } from '../config/schema.js';
import { NON_RETRYABLE_TYPES } from '../lib/errors.js';
import type { FittedLine, PreparedJob, TranslatedLine } from '../lib/job.js';
import type { ProsodyPlan } from '../lib/prosody.js';
import { slotFor, slotWithPause } from '../lib/timingFit.js';
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
 * Synthesize and fit every line, at most `synthesisConcurrency` lines in flight. With expressive plans, each
 * line is synthesized with its plan and its tail pause is kept when the line fits with it.
 */
export async function dubEachLine(
  act: Activities,
  prep: PreparedJob,
  lines: TranslatedLine[],
  onLineDone: (done: number, total: number) => void = () => {},
  plans: ProsodyPlan[] = [],
): Promise<FittedLine[]> {
  const starts = lines.map((l) => l.start);
  const planOf = new Map(plans.map((p) => [p.index, p]));
  let done = 0;
  onLineDone(0, lines.length);
  return mapWithWindow(lines, prep.options.synthesisConcurrency, async (line, i) => {
    const plan = planOf.get(line.index);
    const clip = plan ? await act.synthesizeLine(prep, line, plan) : await act.synthesizeLine(prep, line);
    const slot = slotFor(starts, i, prep.media.durationSec, prep.options.fit.guardMs);
    const fitted = await act.fitLine(prep, clip, plan ? slotWithPause(slot, clip.durationSec, plan.pauseMs) : slot, line.end);
    onLineDone(++done, lines.length);
    return fitted;
  });
}
