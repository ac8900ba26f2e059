// One line's way from text to fitted clip (lib/lineFit.ts): the order of synthesize → revise once → fit and the
// conditions between them, with the engine steps replaced by recorders (the real ones: activities/dubLines.ts).
import { describe, expect, it } from '@jest/globals';
import { jobOptionsSchema } from '../../config/schema.js';
import type { Clip, FittedLine, PreparedJob, TranslatedLine } from '../../lib/job.js';
import { fitFor, fittedAsIs, synthesizeReviseFit, synthesizeReviseFitAll, type LineSteps } from '../../lib/lineFit.js';

const options = jobOptionsSchema.parse({ video: '/in/ep01.mkv', src: 'ja', tgt: 'en' });
const prepFor = (ttsEngine: string, fit: Partial<PreparedJob['options']['fit']> = {}): PreparedJob =>
  ({ job: { root: '/out', name: 'ep01.en' }, ttsEngine, options: { ...options, fit: { ...options.fit, ...fit } } }) as unknown as PreparedJob;
const line: TranslatedLine = { index: 3, start: 10, end: 12, text: '駅はどこですか', target: 'Where is the station?' };
const slot = { start: 10, end: 12.5 };

/** Steps that hand out clips of the given lengths in turn, and write down what was asked of them. */
function recorder(clipLengths: number[], o: { declines?: boolean } = {}) {
  const revised = o.declines ? undefined : ({ ...line, target: 'Station?', revised: true } as TranslatedLine);
  const calls: string[] = [];
  // One entry per call; a call over several lines lists them with "|".
  const steps: LineSteps = {
    async synthesize(ls) {
      calls.push(`synthesize:${ls.map(({ line: l }) => l.target).join('|')}`);
      return ls.map(({ line: l }) => ({ index: l.index, path: `tts/${l.index}.wav`, durationSec: clipLengths.shift()!, reused: false }) satisfies Clip);
    },
    async revise(l, clipSec) {
      calls.push(`revise:${clipSec}`);
      return revised && { ...revised, index: l.index };
    },
    async fit(_p, tasks) {
      calls.push(`fit:${tasks.map((t) => t.clip.durationSec).join('|')}`);
      return tasks.map(({ clip, slot: s }) => ({ index: clip.index, start: s.start, slotEnd: s.end, path: `fit/${clip.index}.wav`, fittedDurationSec: 2 }) as FittedLine);
    },
  };
  return { steps, calls };
}

describe('synthesizeReviseFit', () => {
  it('a clip that fits its slot is used as it is: no revision, no fit step', async () => {
    const { steps, calls } = recorder([2]);
    const fitted = await synthesizeReviseFit(steps, prepFor('piper'), line, slot);
    expect(calls).toEqual(['synthesize:Where is the station?']);
    expect(fitted).toMatchObject({ filter: 'none', speed: 1, trimmedSec: 0, path: 'tts/3.wav' });
  });

  it('a clip too long for the slot is said once more (condensed), then fitted', async () => {
    const { steps, calls } = recorder([6, 2.6]);
    await synthesizeReviseFit(steps, prepFor('piper'), line, slot);
    expect(calls).toEqual(['synthesize:Where is the station?', 'revise:6', 'synthesize:Station?', 'fit:2.6']);
  });

  it('revises at most once: a line already revised goes straight to the fit', async () => {
    const { steps, calls } = recorder([6]);
    await synthesizeReviseFit(steps, prepFor('piper'), { ...line, revised: true } as TranslatedLine, slot);
    expect(calls).toEqual(['synthesize:Where is the station?', 'fit:6']);
  });

  it('a revision that declines (undefined) keeps the first clip', async () => {
    const { steps, calls } = recorder([6], { declines: true });
    await synthesizeReviseFit(steps, prepFor('piper'), line, slot);
    expect(calls).toEqual(['synthesize:Where is the station?', 'revise:6', 'fit:6']);
  });

  it('with condensing off, a clip that only needs speeding up is revised only by an engine with a rate knob', async () => {
    // 2.8 s in a 2.5 s slot: a speed-up within maxSpeed, nothing cut.
    const knob = recorder([2.8, 2.4]);
    await synthesizeReviseFit(knob.steps, prepFor('piper', { condense: false }), line, slot);
    expect(knob.calls).toEqual(['synthesize:Where is the station?', 'revise:2.8', 'synthesize:Station?', 'fit:2.4']);
    const noKnob = recorder([2.8]);
    await synthesizeReviseFit(noKnob.steps, prepFor('festival', { condense: false }), line, slot);
    expect(noKnob.calls).toEqual(['synthesize:Where is the station?', 'fit:2.8']);
  });
});

describe('synthesizeReviseFitAll', () => {
  it('takes a batch step by step: one synthesis of every line, one of the revised ones, one fit of those that need it', async () => {
    // Line 3 fits; line 4 is too long (revised, then fitted); line 5 needs a speed-up only (piper: said faster).
    const { steps, calls } = recorder([2, 6, 2.8, 2.6, 2.4]);
    const todo = [3, 4, 5].map((index) => ({ line: { ...line, index, target: `line ${index}` }, slot }));
    const dubbed = await synthesizeReviseFitAll(steps, prepFor('piper'), todo);
    expect(calls).toEqual(['synthesize:line 3|line 4|line 5', 'revise:6', 'revise:2.8', 'synthesize:Station?|Station?', 'fit:2.6|2.4']);
    expect(dubbed.map((d) => d.fitted.index)).toEqual([3, 4, 5]);
    expect(dubbed.map((d) => d.fitted.path)).toEqual(['tts/3.wav', 'fit/4.wav', 'fit/5.wav']);
    expect(dubbed.map((d) => d.clip.durationSec)).toEqual([2, 2.6, 2.4]); // each line's final clip
  });
});

describe('fitFor and fittedAsIs', () => {
  it("the engine's own speed-up is taken from the fit's maximum: speed-ups multiply", () => {
    const prep = prepFor('piper', { maxSpeed: 1.5 });
    const { limits, engineRate } = fitFor(prep, { ...line, rateHint: 1.2 } as TranslatedLine, { index: 3, path: 'x', durationSec: 2, reused: false, rateApplied: 1.2 }, slot);
    expect(engineRate).toBe(1.2);
    expect(limits.maxSpeed).toBeCloseTo(1.25, 6);
    expect(prep.options.fit.maxSpeed).toBe(1.5); // the job's own options are not changed
  });

  it('a clip needing any speed change is not "as is"', () => {
    expect(fittedAsIs(prepFor('piper').options.fit, { index: 3, path: 'x', durationSec: 3.5, reused: false }, slot, line.end)).toBeUndefined();
    expect(fittedAsIs(prepFor('piper').options.fit, { index: 3, path: 'x', durationSec: 2, reused: true }, slot, line.end)).toMatchObject({ ttsReused: true, fittedDurationSec: 2 });
  });
});
