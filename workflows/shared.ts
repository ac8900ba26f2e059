// Workflow-side building blocks shared by dubJob and the streaming workflows.
import { ActivityCancellationType, ApplicationFailure, proxyActivities, workflowInfo, type ActivityOptions } from '@temporalio/workflow';
import type * as activities from '../activities/index.js';
import { queueKindOf, type Placement } from '../config/placement.js';
import type { Queues } from '../config/schema.js';
import { NON_RETRYABLE_TYPES } from '../lib/errors.js';
import type { LineSet, Lines, PreparedJob, TranslatedLine } from '../lib/job.js';
import { guidedBatches, mapWithWindow } from '../lib/window.js';

export type Activities = typeof activities;

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

/**
 * Condense, then synthesize and fit every line: lines clearly too long for their slot are condensed first
 * (fit.condense, on unless turned off); each line is then dubbed by dubLines (activities/dubLines.ts:
 * synthesize, say once more when still too long, fit), a few lines per activity, at most
 * `synthesisConcurrency` activities in flight. Batches shrink toward the end so the lanes finish together.
 * Lines travel by reference: the workflow holds counts, never the lines.
 */
export async function dubEachLine(
  act: Activities,
  prep: PreparedJob,
  lines: Lines<TranslatedLine>,
  onLineDone: (done: number, total: number) => void = () => {},
  plans?: LineSet,
): Promise<{ fitted: LineSet; resynthesized: number }> {
  // Also with condensing off: the engine's rate hints, and the lines as revised by an earlier render, come from it.
  const spoken = await act.condenseLines(prep, lines);
  const out = `tmp/fitted/${workflowInfo().runId}`;
  const firsts = Array.from({ length: spoken.count }, (_, i) => i);
  // XTTS takes seconds a line: one line an activity costs nothing there and keeps every activity short.
  const batches = guidedBatches(firsts, prep.options.synthesisConcurrency, prep.ttsEngine === 'xtts' ? 1 : 8);
  let done = 0;
  let resynthesized = 0;
  onLineDone(0, spoken.count);
  await mapWithWindow(batches, prep.options.synthesisConcurrency, async (batch) => {
    const fitted = await act.dubLines(prep, { lines: spoken, first: batch[0], count: batch.length, out, ...(plans ? { plans } : {}) });
    resynthesized += fitted.filter((f) => !f.ttsReused).length;
    onLineDone((done += batch.length), spoken.count);
  });
  return { fitted: { ref: out, count: spoken.count }, resynthesized };
}
