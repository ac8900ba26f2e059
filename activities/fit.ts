// Timing fit of one line: speed it up within bounds (or slow a much shorter one down a little), cut what still
// overflows with a fade, never past the slot. Time-stretching uses rubberband when this ffmpeg has it.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fitClipArgv } from '../engines/ffmpeg.js';
import { FILTER_LIST_ARGV, listsFilter, stretchFilters, type StretchFilter } from '../engines/timeStretch.js';
import type { Clip, FittedLine, PreparedJob } from '../lib/job.js';
import { fitOf, type FitLimits } from '../lib/jobFit.js';
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
  const { job } = prep;
  const plan = planFit(clip.durationSec, slot, fit, sourceEnd);
  const base = {
    index: clip.index, start: slot.start, sourceEnd, slotEnd: slot.end, ttsDurationSec: clip.durationSec,
    speed: plan.speed, trimmedSec: plan.trimmedSec, paddedSec: plan.paddedSec, ttsReused: clip.reused, borrowedSec: plan.borrowedSec,
  };
  if (plan.speed === 1 && plan.trimmedSec === 0) {
    return { ...base, path: clip.path, fittedDurationSec: clip.durationSec, filter: 'none' }; // fits as it is: no re-encode
  }
  const filter: StretchFilter | 'none' = plan.speed === 1 ? 'none' : await bestStretchFilter();
  const rel = `${dir}/${pad4(clip.index)}.wav`;
  const out = inJob(job, rel);
  const hash = hashOf('fit', clip, plan, fit.fadeMs, filter);
  if (!(await isFresh(job, out, hash))) {
    await mkdir(path.dirname(out), { recursive: true });
    const filters = [...(filter === 'none' ? [] : stretchFilters(plan.speed, filter)), `atrim=end=${plan.fittedDurationSec.toFixed(4)}`];
    const fade = fadeOutSec(plan.fittedDurationSec, fit.fadeMs);
    if (plan.trimmedSec > 0 && fade > 0) filters.push(`afade=t=out:st=${(plan.fittedDurationSec - fade).toFixed(4)}:d=${fade.toFixed(4)}`);
    await run(fitClipArgv(inJob(job, clip.path), tmpOf(out), filters), { timeoutMs: 60_000, recordTo: commandLog(job) });
    await commit(job, tmpOf(out), out, hash);
  }
  return { ...base, path: rel, fittedDurationSec: await wavFileDuration(out), filter };
}
