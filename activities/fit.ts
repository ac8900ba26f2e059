// Timing fit of a line: speed it up within bounds (or slow a much shorter one down a little), cut what still
// overflows with a fade, never past the slot; a batch's fits share one ffmpeg run. Time-stretching uses
// rubberband when an ffmpeg here has it (the bundled build has not; the system's usually has).
import { mkdir } from 'node:fs/promises';
import { clipJobsArgv, type ClipJob } from '../engines/ffmpeg.js';
import { FILTER_LIST_ARGV, listsFilter, stretchFilters, type StretchFilter } from '../engines/timeStretch.js';
import type { Clip, FittedLine, PreparedJob } from '../lib/job.js';
import { fitOf, type FitLimits } from '../lib/jobFit.js';
import type { FitTask } from '../lib/lineFit.js';
import { fadeOutSec, planFit, type Slot } from '../lib/timingFit.js';
import { commandLog, commit, hashOf, inJob, isFresh, tmpOf } from '../storage/artifacts.js';
import { run } from '../engines/run.js';
import { findOnPath } from '../engines/programPath.js';
import { bundledFfmpeg, systemSearchPath } from '../engines/ffmpegBuild.js';
import { pad4 } from './tts.js';
import { wavFileDuration } from '../engines/wavFile.js';

type Stretch = { filter: StretchFilter; ffmpeg: string };
let stretch: Promise<Stretch> | undefined;

/**
 * Asked once per process (the programs on this worker's PATH do not change under it): rubberband from the first
 * ffmpeg that has it, else atempo. The bundled build comes first and has no rubberband (engines/ffmpegBuild.ts),
 * so where the system's ffmpeg has it, that one stretches.
 */
export function bestStretch(): Promise<Stretch> {
  stretch ??= (async (): Promise<Stretch> => {
    const system = bundledFfmpeg() ? await findOnPath('ffmpeg', systemSearchPath(process.env.PATH ?? '')) : undefined;
    for (const ffmpeg of ['ffmpeg', ...(system ? [system] : [])]) {
      const [, ...args] = FILTER_LIST_ARGV;
      if (listsFilter((await run([ffmpeg, ...args], { timeoutMs: 30_000 })).stdout, 'rubberband')) return { filter: 'rubberband', ffmpeg };
    }
    return { filter: 'atempo', ffmpeg: 'ffmpeg' };
  })().catch(() => {
    stretch = undefined; // a cancelled or failed look is asked again next time, not remembered
    return { filter: 'atempo', ffmpeg: 'ffmpeg' };
  });
  return stretch;
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
  let stretcher = 'ffmpeg';
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
    const how = plan.speed === 1 ? undefined : await bestStretch();
    const filter: StretchFilter | 'none' = how?.filter ?? 'none';
    if (how?.filter === 'rubberband') stretcher = how.ffmpeg;
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
    await run(clipJobsArgv(todo.map((t) => t.job), stretcher), { timeoutMs: 60_000 * todo.length, recordTo: commandLog(job) });
    for (const t of todo) await commit(job, t.job.output, t.out, t.hash);
  }
  return Promise.all(planned.map(async (p): Promise<FittedLine> => {
    if (!('out' in p)) return p;
    const { out, filter, ...base } = p;
    return { ...base, fittedDurationSec: await wavFileDuration(out), filter };
  }));
}
