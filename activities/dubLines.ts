// Synthesize and fit a batch of lines in one activity: each line's steps (synthesize → said once more, shorter
// or faster, when too long → fit to its slot) with no workflow round trip between them. One activity per few
// lines instead of two or three per line: on the 2-core bench a third of the machine went to scheduling the
// per-line activities (worker and server), not to the engines.
import { spokenText, type Clip, type FittedLine, type LineSet, type PreparedJob, type TranslatedLine } from '../lib/job.js';
import { fitVideoOn } from '../lib/timeMap.js';
import { synthesizeReviseFitAll } from '../lib/lineFit.js';
import type { ProsodyPlan } from '../lib/prosody.js';
import { MIN_AUDIBLE_SEC, slotsOf, type Slot } from '../lib/timingFit.js';
import { linesOf, storeBatch } from './lineSets.js';
import { reviseLine, savedRevision } from './condense.js';
import { fitLines } from './fit.js';
import { activityContext } from '../engines/run.js';
import { synthesizeLines } from './tts.js';
import { lineTextProblem } from '../lib/speechBudget.js';
import { ErrorType, failure } from '../lib/errors.js';

/** One line to dub: its slot (to the next line's start) and, with expressive on, its prosody plan. */
export interface LineTask {
  line: TranslatedLine;
  slot: Slot;
  plan?: ProsodyPlan;
}

/** A line dubbed by the steps themselves, starting from the revision an earlier attempt made, if any. */
export async function synthesizeAndFitLine(prep: PreparedJob, task: LineTask): Promise<FittedLine> {
  return (await synthesizeAndFitLines(prep, [task]))[0];
}

/** The steps over several lines, each step's ffmpeg work in one run (lib/lineFit.ts decides the order). */
async function synthesizeAndFitLines(prep: PreparedJob, tasks: readonly LineTask[]): Promise<FittedLine[]> {
  // A retried batch finds the revision its first attempt made (the clip on disk is the revised one): one
  // synthesis from the cache instead of saying the line twice again, and an LLM rewrite is not asked anew.
  const todo = [];
  for (const { line, slot, plan } of tasks) todo.push({ line: (await savedRevision(prep, line)) ?? line, slot, ...(plan ? { plan } : {}) });
  const dubbed = await synthesizeReviseFitAll({
    synthesize: (lines) => synthesizeLines(prep, lines),
    revise: (l, clipSec, s, engineRate) => reviseLine(prep, l, clipSec, s, engineRate),
    fit: (p, fits) => fitLines(p, fits),
  }, prep, todo);
  // --fit-video auto fits a line again once its span is slowed: from the clip as synthesized.
  return dubbed.map(({ fitted, clip }) => (fitVideoOn(prep.options) ? { ...fitted, clipPath: clip.path } : fitted));
}

/**
 * One batch of a line set, by reference: lines [first, first + count) of `lines`, their prosody plans when
 * expressive is on, and the folder their fitted results go to (a folder line set, read by assemble/mix/report).
 */
export interface LineBatch {
  lines: LineSet;
  first: number;
  count: number;
  plans?: LineSet;
  out: string;
}

/**
 * The lines one after another. A retry redoes only what is not on disk yet: each clip, revision and fit is
 * cached by its inputs. A cancellation stops before the next line. Each line's slot reaches to the next
 * line's start, or the same speaker's next line when several speak (read here from the whole set: the workflow
 * holds only counts).
 */
export async function dubLines(prep: PreparedJob, batch: LineBatch): Promise<FittedLine[]> {
  const ctx = activityContext();
  const lines = await linesOf<TranslatedLine>(prep.job, batch.lines);
  const plans = batch.plans ? new Map((await linesOf<ProsodyPlan>(prep.job, batch.plans)).map((p) => [p.index, p])) : undefined;
  const slotOf = slotsOf(lines, prep.media.durationSec, prep.options.fit.guardMs, MIN_AUDIBLE_SEC);
  const tasks: LineTask[] = [];
  for (let i = batch.first; i < Math.min(lines.length, batch.first + batch.count); i++) {
    const slot = slotOf(i);
    // Whatever a line's text came through (subtitles, a translator, a review edit), what is spoken fits its slot.
    const tooLong = lineTextProblem(lines[i], spokenText(lines[i]) ?? '');
    if (tooLong) throw failure(ErrorType.TooMuchSpeech, `${tooLong}; shorten it (anime-dub review … edit) and render again`);
    const plan = plans?.get(lines[i].index);
    tasks.push({ line: lines[i], slot, ...(plan ? { plan } : {}) });
  }
  // A cancellation stops before the next line is spoken (synthesizeLines looks between lines).
  const fitted = await synthesizeAndFitLines(prep, tasks);
  ctx?.heartbeat();
  await storeBatch(prep.job, batch.out, batch.first, fitted);
  return fitted;
}
