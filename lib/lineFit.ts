// A line's way from text to fitted clip: synthesize, say it once more when the clip is too long, fit it to
// its slot; a batch of lines goes step by step, so each step's ffmpeg work is one run. Pure decisions: the steps
// that run engines are handed in (activities/dubLines.ts binds them), so the order and the conditions can be
// read, and tested, apart from the engines.
import type { Clip, FittedLine, PreparedJob, TranslatedLine } from './job.js';
import type { ProsodyPlan } from './prosody.js';
import { fitAfterEngineRate, fitOf, type FitLimits } from './jobFit.js';
import { engineRateOf, planFit, RATE_KNOB_ENGINES, slotWithPause, type Slot } from './timingFit.js';

/** One line to dub: its text as it stands, its slot, and with expressive on, its prosody plan. */
export interface LineTodo {
  line: TranslatedLine;
  slot: Slot;
  plan?: ProsodyPlan;
}

/** One clip to fit: its slot, where its source line ended, and its limits. */
export interface FitTask {
  clip: Clip;
  slot: Slot;
  sourceEnd: number;
  fit: FitLimits;
}

/** The engine steps, each over several lines at once (so their ffmpeg work can share one run); results in order. */
export interface LineSteps {
  synthesize(lines: { line: TranslatedLine; plan?: ProsodyPlan }[]): Promise<Clip[]>;
  revise(line: TranslatedLine, clipSec: number, slot: Slot, engineRate: number): Promise<TranslatedLine | undefined>;
  fit(prep: PreparedJob, tasks: FitTask[]): Promise<FittedLine[]>;
}

/** A line dubbed: its fitted clip, plus what the condenser and the engine's rate knob did to it. */
export async function synthesizeReviseFit(steps: LineSteps, prep: PreparedJob, first: TranslatedLine, slot: Slot, plan?: ProsodyPlan): Promise<FittedLine> {
  return (await synthesizeReviseFitAll(steps, prep, [{ line: first, slot, ...(plan ? { plan } : {}) }]))[0].fitted;
}

/**
 * Lines dubbed, in order: every line synthesized; a line too long for its slot said again, once, condensed
 * further (when it would be cut) or faster by the engine's own rate knob (when it would be time-stretched);
 * then every clip that does not fit as it is stretched and cut to its slot. `clip` is each line's final clip.
 */
export async function synthesizeReviseFitAll(steps: LineSteps, prep: PreparedJob, todo: readonly LineTodo[]): Promise<{ fitted: FittedLine; clip: Clip }[]> {
  const condenseOn = prep.options.fit?.condense !== false;
  const lines = todo.map((t) => t.line);
  const said = (i: number) => ({ line: lines[i], ...(todo[i].plan ? { plan: todo[i].plan } : {}) });
  const clips = await steps.synthesize(todo.map((_, i) => said(i)));
  const fits = clips.map((clip, i) => fitFor(prep, lines[i], clip, todo[i].slot, todo[i].plan));
  const again: number[] = [];
  for (let i = 0; i < todo.length; i++) {
    const need = planFit(clips[i].durationSec, fits[i].slot, fits[i].limits, lines[i].end);
    const revise = !lines[i].revised && ((condenseOn && need.trimmedSec > 0) || (need.speed > 1 && RATE_KNOB_ENGINES.includes(prep.ttsEngine)));
    if (!revise) continue;
    const revised = await steps.revise(lines[i], clips[i].durationSec, fits[i].slot, fits[i].engineRate);
    if (revised) { lines[i] = revised; again.push(i); }
  }
  if (again.length) {
    const second = await steps.synthesize(again.map(said));
    again.forEach((i, k) => { clips[i] = second[k]; fits[i] = fitFor(prep, lines[i], clips[i], todo[i].slot, todo[i].plan); });
  }
  const asIs = clips.map((clip, i) => fittedAsIs(fits[i].limits, clip, fits[i].slot, lines[i].end));
  const toFit = asIs.flatMap((f, i) => (f ? [] : [i]));
  const stretched = toFit.length ? await steps.fit(prep, toFit.map((i) => ({ clip: clips[i], slot: fits[i].slot, sourceEnd: lines[i].end, fit: fits[i].limits }))) : [];
  return clips.map((clip, i) => {
    const fitted = asIs[i] ?? stretched[toFit.indexOf(i)];
    return { clip, fitted: { ...fitted, ...(lines[i].condensed ? { condensed: lines[i].condensed } : {}), ...(fits[i].engineRate > 1 ? { engineRate: fits[i].engineRate } : {}) } };
  });
}

/**
 * A line whose clip already fits its slot needs no fitting: the same FittedLine fitLine returns for it
 * (activities/fit.ts, "fits as it is: no re-encode"), made without an ffmpeg run.
 * With fit.minSpeed < 1 a line much shorter than its source line is slowed down, so it does need fitLine.
 */
export function fittedAsIs(fit: FitLimits, clip: Clip, slot: Slot, sourceEnd: number): FittedLine | undefined {
  const plan = planFit(clip.durationSec, slot, fit, sourceEnd);
  if (plan.speed !== 1 || plan.trimmedSec !== 0) return undefined;
  return {
    index: clip.index, start: slot.start, sourceEnd, slotEnd: slot.end, ttsDurationSec: clip.durationSec,
    speed: plan.speed, trimmedSec: plan.trimmedSec, paddedSec: plan.paddedSec, ttsReused: clip.reused,
    path: clip.path, fittedDurationSec: clip.durationSec, filter: 'none', borrowedSec: plan.borrowedSec,
  };
}

/**
 * Where and within what bounds a clip is fitted: its slot (less an expressive tail pause when it fits with it),
 * and the speed-up left once the engine's own (rateHint) is counted: speed-ups multiply.
 */
export function fitFor(prep: PreparedJob, line: TranslatedLine, clip: Clip, slot: Slot, plan?: ProsodyPlan): { limits: FitLimits; slot: Slot; engineRate: number } {
  const engineRate = engineRateOf(clip.rateApplied, line.rateHint, prep.ttsEngine);
  return {
    limits: fitAfterEngineRate(fitOf(prep), engineRate),
    slot: plan ? slotWithPause(slot, clip.durationSec, plan.pauseMs) : slot,
    engineRate,
  };
}
