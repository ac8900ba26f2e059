// Timing fit of a line: speed it up within bounds (or slow a much shorter one down a little), cut what still
// overflows with a fade, never past the slot; a batch's fits share one ffmpeg run. Time-stretching uses
// rubberband when this ffmpeg has it.
import { mkdir } from 'node:fs/promises';
import { clipJobsArgv, type ClipJob } from '../engines/ffmpeg.js';
import { FILTER_LIST_ARGV, listsFilter, stretchFilters, type StretchFilter } from '../engines/timeStretch.js';
import type { Clip, FittedLine, PreparedJob } from '../lib/job.js';
import { fitOf, type FitLimits } from '../lib/jobFit.js';
import type { FitTask } from '../lib/lineFit.js';
import { fadeOutSec, planFit, type Slot } from '../lib/timingFit.js';
import { commandLog, commit, hashOf, inJob, isFresh, tmpOf } from '../storage/artifacts.js';
import { run } from '../engines/run.js';
import { pad4 } from './tts.js';
import { wavFileDuration } from '../engines/wavFile.js';

let stretchFilter: Promise<StretchFilter> | undefined;

/** Asked once per process: the ffmpeg on this worker's PATH does not change under it. */
export function bestStretchFilter(): Promise<StretchFilter> {
  stretchFilter ??= run(FILTER_LIST_ARGV, { timeoutMs: 30_000 }).then(
    (r) => (listsFilter(r.stdout, 'rubberband') ? 'rubberband' : 'atempo'),
    () => {
      stretchFilter = undefined; // a cancelled or failed look is asked again next time, not remembered
      return 'atempo' as const;
    },
  );
  return stretchFilter;
}

/** `fit`: the limits for this line (the job's settled ones, less what the engine's own rate took). */
export async function fitLine(prep: PreparedJob, clip: Clip, slot: Slot, sourceEnd: number, fit: FitLimits = fitOf(prep), dir = 'tmp/fit'): Promise<FittedLine> {
  return (await fitLines(prep, [{ clip, slot, sourceEnd, fit }], dir))[0];
}

/** Several clips fitted, in order; the ones that need re-encoding in one ffmpeg run (its start-up costs what a short fit does). */
export async function fitLines(prep: PreparedJob, tasks: readonly FitTask[], dir = 'tmp/fit'): Promise<FittedLine[]> {
  const { job } = prep;
  const todo: { job: ClipJob; out: string; hash: string }[] = [];
  const planned = [];
  for (const { clip, slot, sourceEnd, fit } of tasks) {
    const plan = planFit(clip.durationSec, slot, fit, sourceEnd);
    const base = {
      index: clip.index, start: slot.start, sourceEnd, slotEnd: slot.end, ttsDurationSec: clip.durationSec,
      speed: plan.speed, trimmedSec: plan.trimmedSec, paddedSec: plan.paddedSec, ttsReused: clip.reused, borrowedSec: plan.borrowedSec,
    };
    if (plan.speed === 1 && plan.trimmedSec === 0) {
      planned.push({ ...base, path: clip.path, fittedDurationSec: clip.durationSec, filter: 'none' as const }); // fits as it is: no re-encode
      continue;
    }
    const filter: StretchFilter | 'none' = plan.speed === 1 ? 'none' : await bestStretchFilter();
    const rel = `${dir}/${pad4(clip.index)}.wav`;
    const out = inJob(job, rel);
    const hash = hashOf('fit', clip, plan, fit.fadeMs, filter);
    if (!(await isFresh(job, out, hash))) {
      const filters = [...(filter === 'none' ? [] : stretchFilters(plan.speed, filter)), `atrim=end=${plan.fittedDurationSec.toFixed(4)}`];
      const fade = fadeOutSec(plan.fittedDurationSec, fit.fadeMs);
      if (plan.trimmedSec > 0 && fade > 0) filters.push(`afade=t=out:st=${(plan.fittedDurationSec - fade).toFixed(4)}:d=${fade.toFixed(4)}`);
      todo.push({ job: { input: inJob(job, clip.path), filters, output: tmpOf(out) }, out, hash });
    }
    planned.push({ ...base, path: rel, out, filter });
  }
  if (todo.length) {
    await mkdir(inJob(job, dir), { recursive: true });
    await run(clipJobsArgv(todo.map((t) => t.job)), { timeoutMs: 60_000 * todo.length, recordTo: commandLog(job) });
    for (const t of todo) await commit(job, t.job.output, t.out, t.hash);
  }
  return Promise.all(planned.map(async (p): Promise<FittedLine> => {
    if (!('out' in p)) return p;
    const { out, filter, ...base } = p;
    return { ...base, fittedDurationSec: await wavFileDuration(out), filter };
  }));
}
