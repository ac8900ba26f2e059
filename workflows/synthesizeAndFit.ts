// The "synthesize + fit each line" step of the pipeline, shared by dubJob and streamChunk: condense, then the
// lines in batches, a few lanes at a time (each batch one dubLines activity).
import { patched, workflowInfo } from '@temporalio/workflow';
import type { LineSet, Lines, PreparedJob, TranslatedLine } from '../lib/job.js';
import { guidedBatches, mapWithWindow } from '../lib/window.js';
import type { Activities } from './activitiesOn.js';

/** patched() marker: line batches of at least three lines (jobs recorded before replay with one-line tails). */
export const LINE_BATCHES_OF_THREE = 'line-batches-of-three';

/**
 * Condense, then synthesize and fit every line: lines clearly too long for their slot are condensed first
 * (fit.condense, on unless turned off); each line is then dubbed by dubLines (activities/dubLines.ts:
 * synthesize, say once more when still too long, fit), a few lines per activity, at most
 * `synthesisConcurrency` activities in flight. Batches shrink toward the end so the lanes finish together.
 * Lines travel by reference: the workflow holds counts, never the lines.
 */
export async function synthesizeAndFitAll(
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
  // XTTS takes seconds a line: one line an activity costs nothing there and keeps every activity short. Other
  // engines take a line in about a second, so a one-line tail batch cost as much in scheduling and ffmpeg starts
  // (one per step, per batch) as in speech: the tail keeps three lines a batch. Jobs started before keep theirs.
  const xtts = prep.ttsEngine === 'xtts';
  const batches = guidedBatches(firsts, prep.options.synthesisConcurrency, xtts ? 1 : 8, !xtts && patched(LINE_BATCHES_OF_THREE) ? 3 : 1);
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
