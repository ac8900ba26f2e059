// Synthesize and fit a batch of lines in one activity: each line's steps (synthesize → said once more, shorter
// or faster, when too long → fit to its slot) with no workflow round trip between them. One activity per few
// lines instead of two or three per line: on the 2-core bench a third of the machine went to scheduling the
// per-line activities (worker and server), not to the engines.
import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import type { FittedLine, PreparedJob, TranslatedLine } from '../lib/job.js';
import { fitFor, fittedAsIs } from '../lib/lineFit.js';
import type { ProsodyPlan } from '../lib/prosody.js';
import { planFit, RATE_KNOB_ENGINES, type Slot } from '../lib/timingFit.js';
import { reviseLine, savedRevision } from './condense.js';
import { fitLine } from './fit.js';
import { synthesizeLine } from './tts.js';

/** One line of a batch: the slot is the workflow's (it knows every line's start); plan only with expressive on. */
export interface LineTask {
  line: TranslatedLine;
  slot: Slot;
  plan?: ProsodyPlan;
}

/** A line dubbed: its fitted clip, plus what the condenser and the engine's rate knob did to it. */
export async function dubLine(prep: PreparedJob, { line: first, slot, plan }: LineTask): Promise<FittedLine> {
  const condenseOn = prep.options.fit?.condense !== false;
  // A retried batch finds the revision its first attempt made (the clip on disk is the revised one): one
  // synthesis from the cache instead of saying the line twice again, and an LLM rewrite is not asked anew.
  let line = (await savedRevision(prep, first)) ?? first;
  let clip = await synthesizeLine(prep, line, plan);
  let fit = fitFor(prep, line, clip, slot, plan);
  // Too long for the slot: said again, once, condensed further (when it would be cut) or faster by the engine's
  // own rate knob (when it would be time-stretched), before the fit stretches and cuts what is left.
  const need = planFit(clip.durationSec, fit.slot, fit.prep.options.fit, line.end);
  const revise = !line.revised && ((condenseOn && need.trimmedSec > 0) || (need.speed > 1 && RATE_KNOB_ENGINES.includes(prep.ttsEngine)));
  if (revise) {
    const revised = await reviseLine(prep, line, clip.durationSec, fit.slot, fit.engineRate);
    if (revised) {
      line = revised;
      clip = await synthesizeLine(prep, line, plan);
      fit = fitFor(prep, line, clip, slot, plan);
    }
  }
  const fitted = fittedAsIs(fit.prep, clip, fit.slot, line.end) ?? (await fitLine(fit.prep, clip, fit.slot, line.end));
  return { ...fitted, ...(line.condensed ? { condensed: line.condensed } : {}), ...(fit.engineRate > 1 ? { engineRate: fit.engineRate } : {}) };
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

function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined; // called outside an activity (tests)
  }
}
