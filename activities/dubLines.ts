// Synthesize and fit a batch of lines in one activity: each line's steps (synthesize → said once more, shorter
// or faster, when too long → fit to its slot) with no workflow round trip between them. One activity per few
// lines instead of two or three per line: on the 2-core bench a third of the machine went to scheduling the
// per-line activities (worker and server), not to the engines.
import { CancelledFailure } from '@temporalio/common';
import type { FittedLine, PreparedJob, TranslatedLine } from '../lib/job.js';
import { dubLineWith } from '../lib/lineFit.js';
import type { ProsodyPlan } from '../lib/prosody.js';
import type { Slot } from '../lib/timingFit.js';
import { reviseLine, savedRevision } from './condense.js';
import { fitLine } from './fit.js';
import { activityContext } from './run.js';
import { synthesizeLine } from './tts.js';

/** One line of a batch: the slot is the workflow's (it knows every line's start); plan only with expressive on. */
export interface LineTask {
  line: TranslatedLine;
  slot: Slot;
  plan?: ProsodyPlan;
}

/** A line dubbed by the steps themselves, starting from the revision an earlier attempt made, if any. */
export async function dubLine(prep: PreparedJob, { line, slot, plan }: LineTask): Promise<FittedLine> {
  // A retried batch finds the revision its first attempt made (the clip on disk is the revised one): one
  // synthesis from the cache instead of saying the line twice again, and an LLM rewrite is not asked anew.
  const start = (await savedRevision(prep, line)) ?? line;
  return dubLineWith({
    synthesize: (l) => synthesizeLine(prep, l, plan),
    revise: (l, clipSec, s, engineRate) => reviseLine(prep, l, clipSec, s, engineRate),
    fit: fitLine,
    has: () => true,
  }, prep, start, slot, plan);
}

/**
 * The lines one after another. A retry redoes only what is not on disk yet: each clip, revision and fit is
 * cached by its inputs. A cancellation stops before the next line.
 */
export async function dubLines(prep: PreparedJob, tasks: LineTask[]): Promise<FittedLine[]> {
  const ctx = activityContext();
  const fitted: FittedLine[] = [];
  for (const task of tasks) {
    if (ctx?.cancellationSignal.aborted) throw new CancelledFailure('dubLines was cancelled between lines');
    fitted.push(await dubLine(prep, task));
    ctx?.heartbeat();
  }
  return fitted;
}

