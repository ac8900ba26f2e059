// Timing fit of one line: speed it up within bounds, cut what still overflows, never past the slot.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fitClipArgv } from '../engines/ffmpeg.js';
import type { Clip, FittedLine, PreparedJob } from '../lib/job.js';
import { atempoChain, planFit, type Slot } from '../lib/timingFit.js';
import { commandLog, commit, hashOf, inJob, isFresh, tmpOf } from './artifacts.js';
import { run } from './run.js';
import { pad4, wavFileDuration } from './tts.js';

export async function fitLine(prep: PreparedJob, clip: Clip, slot: Slot, sourceEnd: number): Promise<FittedLine> {
  const { job, options } = prep;
  const plan = planFit(clip.durationSec, slot, options.fit);
  const base = { index: clip.index, start: slot.start, sourceEnd, slotEnd: slot.end, ttsDurationSec: clip.durationSec, speed: plan.speed, trimmedSec: plan.trimmedSec, paddedSec: plan.paddedSec, ttsReused: clip.reused };
  if (plan.speed === 1 && plan.trimmedSec === 0) {
    return { ...base, path: clip.path, fittedDurationSec: clip.durationSec }; // fits as it is: no re-encode
  }
  const rel = `tmp/fit/${pad4(clip.index)}.wav`;
  const out = inJob(job, rel);
  const hash = hashOf('fit', clip, plan, options.fit.fadeMs);
  if (!(await isFresh(job, out, hash))) {
    await mkdir(path.dirname(out), { recursive: true });
    const fade = options.fit.fadeMs / 1000;
    const filters = [...atempoChain(plan.speed), `atrim=end=${plan.fittedDurationSec.toFixed(4)}`];
    if (plan.trimmedSec > 0 && fade > 0) filters.push(`afade=t=out:st=${Math.max(0, plan.fittedDurationSec - fade).toFixed(4)}:d=${fade}`);
    await run(fitClipArgv(inJob(job, clip.path), tmpOf(out), filters), { timeoutMs: 60_000, recordTo: commandLog(job) });
    await commit(job, tmpOf(out), out, hash);
  }
  return { ...base, path: rel, fittedDurationSec: await wavFileDuration(out) };
}
