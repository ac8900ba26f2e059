// Workflow-side building blocks shared by dubJob and the streaming workflows.
import { ActivityCancellationType, proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type * as activities from '../activities/index.js';
import type { Placement, Queues } from '../config/schema.js';
import { NON_RETRYABLE_TYPES } from '../lib/errors.js';
import type { FittedLine, PreparedJob, TranslatedLine } from '../lib/job.js';
import { slotFor } from '../lib/timingFit.js';
import { mapWithWindow } from '../lib/window.js';

export type Activities = typeof activities;

const common: ActivityOptions = {
  heartbeatTimeout: '30s',
  // The workflow ends only once the running engine is really dead: no orphan keeps writing.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { maximumAttempts: 3, initialInterval: '2s', backoffCoefficient: 2, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
};

export const DEFAULT_QUEUES: Queues = { workflows: 'dub-workflows', cpu: 'dub-cpu', gpu: 'dub-gpu' };

/** One proxy per queue; each activity is called on the queue the placement map names. */
export function activitiesOn(queues: Queues, placement: Placement): Activities {
  const onCpu = proxyActivities<Activities>({ ...common, taskQueue: queues.cpu, startToCloseTimeout: '60m' });
  const onGpu = proxyActivities<Activities>({ ...common, taskQueue: queues.gpu, startToCloseTimeout: '120m' });
  return new Proxy({} as Activities, {
    get: (_, name: string) => ((placement as Record<string, string>)[name] === 'gpu' ? onGpu : onCpu)[name as keyof Activities],
  });
}

/** Synthesize and fit every line, at most `synthesisConcurrency` lines in flight. */
export async function dubEachLine(
  act: Activities,
  prep: PreparedJob,
  lines: TranslatedLine[],
  onLineDone: (done: number, total: number) => void = () => {},
): Promise<FittedLine[]> {
  const starts = lines.map((l) => l.start);
  let done = 0;
  onLineDone(0, lines.length);
  return mapWithWindow(lines, prep.options.synthesisConcurrency, async (line, i) => {
    const clip = await act.synthesizeLine(prep, line);
    const fitted = await act.fitLine(prep, clip, slotFor(starts, i, prep.media.durationSec, prep.options.fit.guardMs), line.end);
    onLineDone(++done, lines.length);
    return fitted;
  });
}
