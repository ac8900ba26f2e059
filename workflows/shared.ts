// Workflow-side building blocks shared by dubJob and the streaming workflows.
import { ActivityCancellationType, patched, proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type * as activities from '../activities/index.js';
import { queueKindOf, type Placement } from '../config/placement.js';
import type { Queues } from '../config/schema.js';
import { NON_RETRYABLE_TYPES } from '../lib/errors.js';
import type { FittedLine, PreparedJob, TranslatedLine } from '../lib/job.js';
import { dubLineWith } from '../lib/lineFit.js';
import type { ProsodyPlan } from '../lib/prosody.js';
import { MIN_AUDIBLE_SEC, severalSpeakers, slotFor, speakerSlotFor } from '../lib/timingFit.js';
import { guidedBatches, mapWithWindow } from '../lib/window.js';

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
    get: (_, name: string) => (queueKindOf(placement, name) === 'gpu' ? onGpu : onCpu)[name as keyof Activities],
  });
}

/**
 * Condense, then synthesize and fit every line: lines clearly too long for their slot are condensed first
 * (fit.condense, on unless turned off); each line is then dubbed by dubLines (activities/dubLines.ts:
 * synthesize, say once more when still too long, fit), a few lines per activity, at most
 * `synthesisConcurrency` activities in flight. Batches shrink toward the end so the lanes finish together.
 * patched(): histories recorded before each step replay without it: one activity per step of each line
 * ('line-batches'), fitLine for every line ('fit-as-is-in-workflow'), no condensing ('condense-lines'), no
 * second saying ('revise-after-synthesis'), no guard yielding to a short slot ('timing-fit-v2').
 */
export async function dubEachLine(
  act: Activities,
  prep: PreparedJob,
  lines: TranslatedLine[],
  onLineDone: (done: number, total: number) => void = () => {},
  plans: ProsodyPlan[] = [],
): Promise<FittedLine[]> {
  const minAudibleSec = patched('timing-fit-v2') ? MIN_AUDIBLE_SEC : 0;
  // Also with condensing off: the engine's rate hints, and the lines as revised by an earlier render, come from it.
  const spoken = lines.length && patched('condense-lines') ? await act.condenseLines(prep, lines) : lines;
  const starts = spoken.map((l) => l.start);
  const planOf = new Map(plans.map((p) => [p.index, p]));
  // Several speakers: slots per speaker, so overlapping people are each heard in full (one speaker, or a history
  // from before: the one timeline, exactly as it was; patched() is asked only when the lines have several speakers).
  const perSpeaker = severalSpeakers(spoken) && patched('speaker-slots');
  const slotOf = (i: number) => (perSpeaker
    ? speakerSlotFor(spoken, i, prep.media.durationSec, prep.options.fit.guardMs, minAudibleSec)
    : slotFor(starts, i, prep.media.durationSec, prep.options.fit.guardMs, minAudibleSec));
  let done = 0;
  onLineDone(0, spoken.length);
  if (patched('line-batches')) {
    const tasks = spoken.map((line, i) => ({ line, slot: slotOf(i), ...(planOf.has(line.index) ? { plan: planOf.get(line.index) } : {}) }));
    // XTTS takes seconds a line: one line an activity costs nothing there and keeps every activity short.
    const batches = guidedBatches(tasks, prep.options.synthesisConcurrency, prep.ttsEngine === 'xtts' ? 1 : 8);
    const fitted = await mapWithWindow(batches, prep.options.synthesisConcurrency, async (batch) => {
      const out = await act.dubLines(prep, batch);
      onLineDone((done += batch.length), spoken.length);
      return out;
    });
    return fitted.flat();
  }
  // Histories from before 'line-batches': each step of each line was its own activity.
  return mapWithWindow(spoken, prep.options.synthesisConcurrency, async (line, i) => {
    const plan = planOf.get(line.index);
    const fitted = await dubLineWith({
      synthesize: (l) => (plan ? act.synthesizeLine(prep, l, plan) : act.synthesizeLine(prep, l)),
      revise: (l, clipSec, slot, engineRate) => act.reviseLine(prep, l, clipSec, slot, engineRate),
      fit: act.fitLine,
      has: patched,
    }, prep, line, slotOf(i), plan);
    onLineDone(++done, spoken.length);
    return fitted;
  });
}
