import { describe, expect, it } from '@jest/globals';
import { FILTER_LIST_ARGV, listsFilter, stretchFilters } from '../../engines/timeStretch.js';
import { condenseText } from '../../lib/condense.js';
import { estimateSpeechSec } from '../../lib/syllables.js';
import {
  atempoChain, engineRateFor, engineRateOf, fadeOutSec, MIN_AUDIBLE_SEC, needsCondensing, planFit, severalSpeakers, slotFor, speakerSlotFor,
} from '../../lib/timingFit.js';

const opts = { maxSpeed: 1.4, guardMs: 80 };

describe('timing fit', () => {
  const starts = [1, 4, 6];

  it('gives each line the time up to the next line’s start, less the guard gap', () => {
    expect(slotFor(starts, 0, 10, 80)).toEqual({ start: 1, end: 3.92 });
    expect(slotFor(starts, 2, 10, 80)).toEqual({ start: 6, end: 9.92 });
  });

  it('never lets a line run past the next line’s start, even when the translation is 3× too long', () => {
    const slot = slotFor(starts, 1, 10, 80); // 4 → 5.92
    const plan = planFit(3 * (slot.end - slot.start), slot, opts);
    expect(plan.speed).toBe(1.4);
    expect(slot.start + plan.fittedDurationSec).toBeLessThanOrEqual(slot.end + 1e-9);
    expect(plan.trimmedSec).toBeGreaterThan(0);
  });

  it('speeds up within bounds without cutting when that is enough', () => {
    const plan = planFit(2.4, { start: 0, end: 2 }, opts);
    expect(plan.speed).toBeCloseTo(1.2, 4);
    expect(plan.trimmedSec).toBe(0);
    expect(plan.fittedDurationSec).toBeCloseTo(2, 6);
  });

  it('leaves a short line at normal speed and pads the rest of its slot', () => {
    const plan = planFit(1.2, { start: 0, end: 2 }, opts);
    expect(plan).toMatchObject({ speed: 1, trimmedSec: 0, fittedDurationSec: 1.2 });
    expect(plan.paddedSec).toBeCloseTo(0.8, 6);
  });

  it('keeps the last line inside the media', () => {
    expect(slotFor([1, 9.95], 1, 10, 80)).toEqual({ start: 9.95, end: 9.95 });
    expect(planFit(1, { start: 9.95, end: 9.95 }, opts).fittedDurationSec).toBe(0);
  });

  it('chains atempo so each stage stays within ffmpeg’s accurate range', () => {
    expect(atempoChain(1)).toEqual([]);
    expect(atempoChain(1.25)).toEqual(['atempo=1.2500']);
    expect(atempoChain(3)).toEqual(['atempo=2', 'atempo=1.5000']);
  });
});

describe('timing fit, second version (guard yields, min speed, borrowed gap)', () => {
  const fit = { maxSpeed: 1.25, minSpeed: 0.9, guardMs: 80 };

  it('a slot the guard would leave (almost) empty gets the shortest audible stretch, up to the next line’s start', () => {
    expect(slotFor([1, 1.1], 0, 10, 80, MIN_AUDIBLE_SEC)).toEqual({ start: 1, end: 1.1 }); // guard waived, next line clips
    expect(slotFor([1, 1.35], 0, 10, 80, MIN_AUDIBLE_SEC)).toEqual({ start: 1, end: 1.3 }); // guard shrunk to give 0.3 s
    expect(slotFor([1, 4], 0, 10, 80, MIN_AUDIBLE_SEC)).toEqual({ start: 1, end: 3.92 }); // room enough: guard kept
    expect(slotFor([1, 9.95], 1, 10, 80, MIN_AUDIBLE_SEC)).toEqual({ start: 9.95, end: 10 }); // never past the media
    const plan = planFit(2, { start: 1, end: 1.1 }, fit, 3);
    expect(plan.speed).toBe(1.25); // the shortest version: at max speed, then cut
    expect(plan.fittedDurationSec).toBeCloseTo(0.1, 9);
    expect(plan.trimmedSec).toBeCloseTo(1.5, 9);
  });

  it('without the guard yielding (histories before it) the slot is as it always was', () => {
    expect(slotFor([1, 1.05], 0, 10, 80)).toEqual({ start: 1, end: 1 });
    expect(slotFor([1, 4, 6], 0, 10, 80)).toEqual(slotFor([1, 4, 6], 0, 10, 80, 0));
  });

  it('lines starting at the same instant leave the first no room at all: it is silent, never overlapping', () => {
    const slot = slotFor([2, 2], 0, 10, 80, MIN_AUDIBLE_SEC);
    expect(slot).toEqual({ start: 2, end: 2 });
    expect(planFit(1, slot, fit, 3)).toMatchObject({ fittedDurationSec: 0, trimmedSec: 1, borrowedSec: 0 });
  });

  it('back-to-back lines: each ends before the next one starts, guard kept', () => {
    const starts = [1, 3, 5];
    for (const i of [0, 1]) {
      const slot = slotFor(starts, i, 10, 80, MIN_AUDIBLE_SEC);
      const plan = planFit(2.4, slot, fit, starts[i + 1]);
      expect(slot.start + plan.fittedDurationSec).toBeLessThanOrEqual(starts[i + 1] - 0.08 + 1e-9);
      expect(plan.speed).toBeCloseTo(2.4 / 1.92, 4);
      expect(plan.trimmedSec).toBe(0);
    }
  });

  it('a translation three times too long: condensed, sped up to at most 1.25, then cut (with a fade) at the slot', () => {
    const slot = slotFor([0, 1.6], 0, 10, 80, MIN_AUDIBLE_SEC); // 1.52 s
    const slotSec = slot.end - slot.start;
    const text = 'Um, well, you know, I, I think that (as I said before) we really, really should go now, right?';
    expect(needsCondensing(estimateSpeechSec(text, 'en'), slotSec, fit.maxSpeed)).toBe(true);
    const condensed = condenseText(text, 'en', slotSec * fit.maxSpeed);
    expect(condensed.rules).toEqual(['parentheticals', 'fillers', 'repeats']);
    expect(condensed.text).toBe('I think that we really should go now.');
    expect(condensed.estimatedSec).toBeLessThan(estimateSpeechSec(text, 'en'));
    const clipSec = 3 * slotSec;
    const plan = planFit(clipSec, slot, fit, 1.5);
    expect(plan.speed).toBe(1.25);
    expect(plan.fittedDurationSec).toBeCloseTo(slotSec, 9);
    expect(slot.start + plan.fittedDurationSec).toBeLessThanOrEqual(slot.end + 1e-9);
    expect(plan.trimmedSec).toBeCloseTo(clipSec / 1.25 - slotSec, 9);
    expect(fadeOutSec(plan.fittedDurationSec, 30)).toBe(0.03);
    expect(fadeOutSec(0.02, 30)).toBe(0.01); // a fade never eats more than half of what is left
  });

  it('a line much shorter than its source line is slowed down, to 0.9× at most, never past its slot', () => {
    const slot = { start: 0, end: 3.92 };
    expect(planFit(1.5, slot, fit, 2)).toMatchObject({ speed: 0.9, trimmedSec: 0 });
    expect(planFit(1.5, slot, fit, 2).fittedDurationSec).toBeCloseTo(1.5 / 0.9, 9);
    expect(planFit(1.8, slot, fit, 2)).toMatchObject({ speed: 0.9 });
    expect(planFit(1.85, slot, fit, 2).speed).toBe(0.925); // fills the source line exactly
    expect(planFit(1.95, slot, fit, 2).speed).toBe(1); // 2.5 % is not worth a re-encode
    expect(planFit(1.5, slot, { ...fit, minSpeed: undefined }, 2).speed).toBe(1); // jobs from before: never slowed
    expect(planFit(1.5, slot, { ...fit, minSpeed: 1 }, 2).speed).toBe(1);
    const tight = planFit(0.9, { start: 0, end: 0.95 }, fit, 2); // the slot, not the source line, is the limit
    expect(tight.speed).toBe(0.9474);
    expect(tight.fittedDurationSec).toBeLessThanOrEqual(0.95);
  });

  it('a dub longer than its source line is sped up toward the line (≤ maxSpeed), then borrows the silence after it, and says how much', () => {
    const slot = slotFor([1, 4], 0, 10, 80, MIN_AUDIBLE_SEC); // source line 1 → 2, next at 4
    expect(planFit(1.2, slot, fit, 2)).toMatchObject({ speed: 1.2, trimmedSec: 0, borrowedSec: 0 });
    const plan = planFit(2.5, slot, fit, 2);
    expect(plan).toMatchObject({ speed: 1.25, trimmedSec: 0, borrowedSec: 1 });
    expect(plan.fittedDurationSec).toBeCloseTo(2, 6);
    expect(planFit(1.04, slot, fit, 2)).toMatchObject({ speed: 1, borrowedSec: 0.04 }); // within 5%: not worth a re-encode
    expect(planFit(0.9, slot, fit, 2).borrowedSec).toBe(0);
  });

  it('jobs from before the second fit (no minSpeed) let a long dub run into the gap at its own pace', () => {
    const slot = slotFor([1, 4], 0, 10, 80, MIN_AUDIBLE_SEC);
    expect(planFit(2.5, slot, { maxSpeed: 1.25, guardMs: 80 }, 2)).toMatchObject({ speed: 1, borrowedSec: 1.5 });
  });

  it('knows what speed-up the engine already applied (the clip says, else the hint where the engine has a knob)', () => {
    expect(engineRateOf(1.1, 1.2, 'espeak-ng')).toBe(1.1);
    expect(engineRateOf(undefined, 1.2, 'espeak-ng')).toBe(1.2);
    expect(engineRateOf(undefined, 1.2, 'festival')).toBe(1);
    expect(engineRateOf(undefined, undefined, 'espeak-ng')).toBe(1);
  });

  it('asks an engine with its own rate knob for the speed-up, within maxSpeed', () => {
    expect(engineRateFor(1.5, 2, 1.25)).toBe(1);
    expect(engineRateFor(2.2, 2, 1.25)).toBe(1.1);
    expect(engineRateFor(6, 2, 1.25)).toBe(1.25);
    expect(engineRateFor(1, 0, 1.25)).toBe(1);
  });
});

describe('time-stretch filters', () => {
  it('finds rubberband in ffmpeg’s filter list', () => {
    const listing = ' ..C atempo            A->A       Adjust audio tempo.\n ..C rubberband        A->A       Apply time-stretching and pitch-shifting.\n';
    expect(FILTER_LIST_ARGV).toEqual(['ffmpeg', '-hide_banner', '-filters']);
    expect(listsFilter(listing, 'rubberband')).toBe(true);
    expect(listsFilter(listing.split('\n')[0], 'rubberband')).toBe(false);
  });

  it('builds the rubberband or atempo chain for a speed', () => {
    expect(stretchFilters(1, 'rubberband')).toEqual([]);
    expect(stretchFilters(1.25, 'rubberband')).toEqual(['rubberband=tempo=1.2500:pitchq=quality:channels=together']);
    expect(stretchFilters(0.9, 'atempo')).toEqual(['atempo=0.9000']);
    expect(stretchFilters(3, 'atempo')).toEqual(['atempo=2', 'atempo=1.5000']);
  });
});

describe('slots when several people speak', () => {
  const lines = [
    { start: 1, end: 5, speaker: 'Aya' }, // Ken talks over her from 2.2 s
    { start: 2.2, end: 4, speaker: 'Ken' },
    { start: 6, end: 7, speaker: 'Aya' },
    { start: 6.5, end: 9, speaker: 'Ken' },
  ];

  it('a line overlapped by another speaker keeps its whole source time (cut by 0 s, not 2.8 s)', () => {
    expect(slotFor(lines.map((l) => l.start), 0, 10, 80)).toEqual({ start: 1, end: 2.12 }); // one timeline: cut at Ken's start
    expect(speakerSlotFor(lines, 0, 10, 80)).toEqual({ start: 1, end: 4.92 });
    expect(speakerSlotFor(lines, 1, 10, 80)).toEqual({ start: 2.2, end: 5.92 }); // until the next line starts (Aya's, after his own end)
  });

  it('one speaker never overlaps itself: the slot ends before their own next line', () => {
    const solo = [{ start: 1, end: 8, speaker: 'Aya' }, { start: 3, end: 4, speaker: 'Ken' }, { start: 5, end: 6, speaker: 'Aya' }];
    expect(speakerSlotFor(solo, 0, 10, 80)).toEqual({ start: 1, end: 4.92 });
  });

  it('one speaker (or none named) is the single timeline exactly as before', () => {
    const one = lines.map((l) => ({ ...l, speaker: 'Aya' }));
    expect(severalSpeakers(one)).toBe(false);
    expect(severalSpeakers(lines.map(({ speaker: _s, ...l }) => l))).toBe(false);
    expect(severalSpeakers(lines)).toBe(true);
    const starts = one.map((l) => l.start);
    for (let i = 0; i < one.length; i++) expect(speakerSlotFor(one, i, 10, 80, MIN_AUDIBLE_SEC)).toEqual(slotFor(starts, i, 10, 80, MIN_AUDIBLE_SEC));
  });
});

describe('planFit rounding', () => {
  it('a clip the speed-up alone fits is not cut by a rounding error (no fade, no condensing)', () => {
    // 2.5526875 s into 12.923–15.417: clip / (clip / slot) comes back 4e-16 s over the slot in floating point.
    const plan = planFit(2.5526875, { start: 12.923, end: 15.417 }, { maxSpeed: 1.5, guardMs: 0 });
    expect(plan.speed).toBeCloseTo(2.5526875 / (15.417 - 12.923), 4);
    expect(plan.trimmedSec).toBe(0);
  });
});

