// The activities as a workflow calls them: one proxy per queue, each activity on the queue its placement names,
// retries bounded by time, and an argument too big for Temporal refused with the reason.
import { ActivityCancellationType, ApplicationFailure, proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { createActivities } from '../activities/create.js';
import { queueKindOf, type Placement } from '../config/placement.js';
import type { Queues } from '../config/schema.js';
import { NON_RETRYABLE_TYPES } from '../lib/errors.js';

/** The activities as a worker registers them (bound to its stores; the workflow never sees those). */
export type Activities = ReturnType<typeof createActivities>;

const common: ActivityOptions = {
  heartbeatTimeout: '30s',
  // The workflow ends only once the running engine is really dead: no orphan keeps writing.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  // Bounded by time, not by a count: a worker crash or a deploy must not use up the tries an engine failure
  // gets (the worker's EngineFailureBudget makes a third engine failure of one activity final).
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
};

/**
 * One proxy per queue; each activity is called on the queue the placement map names. A crashed worker's
 * activity is retried elsewhere once `heartbeatSec` passes without a heartbeat.
 */
export function activitiesOn(queues: Queues, placement: Placement, heartbeatSec = 30): Activities {
  const beat = { heartbeatTimeout: `${heartbeatSec}s` as const };
  const onCpu = proxyActivities<Activities>({ ...common, ...beat, taskQueue: queues.cpu, startToCloseTimeout: '60m', scheduleToCloseTimeout: '4h' });
  const onGpu = proxyActivities<Activities>({ ...common, ...beat, taskQueue: queues.gpu, startToCloseTimeout: '120m', scheduleToCloseTimeout: '8h' });
  return new Proxy({} as Activities, {
    get: (_, name: string) => {
      const call = (queueKindOf(placement, name) === 'gpu' ? onGpu : onCpu)[name as keyof Activities] as (...args: unknown[]) => Promise<unknown>;
      return (...args: unknown[]) => {
        // Over Temporal's limit the workflow task would fail and retry forever: fail the job once, saying why.
        const bytes = JSON.stringify(args).length;
        if (bytes > MAX_INPUT_CHARS) {
          throw ApplicationFailure.create({ type: 'PayloadsTooLarge', nonRetryable: true, message: `the input of ${name} is ${(bytes / 1e6).toFixed(1)} MB, over Temporal's 2 MB payload limit; this is a bug in anime-dub (lists must travel by reference), please report it` });
        }
        return call(...args);
      };
    },
  });
}

/** Characters of JSON an activity's arguments may have (Temporal refuses payloads over 2 MB). */
const MAX_INPUT_CHARS = 1_900_000;
