import { describe, expect, it } from '@jest/globals';
import { countSyllables } from '../../lib/syllables.js';
import { DEFAULT_SPEAKER } from '../../lib/voices.js';
import {
  CATEGORIES,
  CATEGORY_TABLE,
  CLAMPS,
  categorize,
  normalizeBySpeaker,
  parseEmotionTag,
  planLines,
  policyFor,
  spearman,
  speakerMedians,
  textCues,
  type Category,
  type LineFeatures,
  type NormalizedFeatures,
  type PlanLine,
} from '../../lib/prosody.js';

const plain = textCues('Fine.');
const level: NormalizedFeatures = { energyDb: 0, pitchSemitones: 0, rangeSemitones: 0, rateRatio: 1 };
const at = (n: Partial<NormalizedFeatures>): NormalizedFeatures => ({ ...level, ...n });

function features(f: Partial<LineFeatures>): LineFeatures {
  return { rmsDb: -20, peakDb: -6, f0MedianHz: 150, f0RangeSemitones: 4, voicedRatio: 0.6, syllablesPerSec: 5, trailingPauseSec: 0.5, ...f };
}

/** Multipliers and pause for one normalized line, through the categorizer like planLines does. */
function policyAt(n: NormalizedFeatures, text = 'Fine.', strength = 1) {
  const cues = textCues(text);
  const category = categorize({ normalized: n, cues });
  return { category, ...policyFor({ category, normalized: n, cues, trailingPauseSec: 0.5 }, strength) };
}

describe('syllable counting', () => {
  it.each([
    ['hello world', 3],
    ['This is a beautiful day', 7],
    ['The table makes people jump', 7],
    ['I wanted it, she played', 6],
    ["Don't you agree? Yes.", 5],
    ['', 0],
    ['!!! ...', 0],
  ])('English: %j has %i syllables', (text, n) => {
    expect(countSyllables(text, 'en')).toBe(n);
  });

  it.each([
    ['Hola, ¿cómo estás?', 6],
    ['buenos días', 4],
    ['El poeta vive en la ciudad', 10],
    ['¡Muy bien, hoy no!', 4],
  ])('Spanish: %j has %i syllables (diphthongs glide, strong vowels split)', (text, n) => {
    expect(countSyllables(text, 'es')).toBe(n);
  });

  it('counts kana as morae, with small kana merged into the one before', () => {
    expect(countSyllables('こんにちは', 'ja')).toBe(5);
    expect(countSyllables('きょう', 'ja')).toBe(2);
    expect(countSyllables('ちょっと', 'ja')).toBe(3);
  });
});

describe('emotion tags', () => {
  it.each([
    ['[happy] Great!', 'excited', 'Great!'],
    ['  [ SAD ]   oh no', 'sad', 'oh no'],
    ['[Angry]Get out', 'angry', 'Get out'],
    ['[calm] ', 'calm', ''],
  ] as const)('%j → %s', (input, category, text) => {
    expect(parseEmotionTag(input)).toEqual({ category, text });
  });

  it('leaves text without a known leading tag unchanged', () => {
    expect(parseEmotionTag('no tag [happy]')).toEqual({ text: 'no tag [happy]' });
    expect(parseEmotionTag('[joyful] hi')).toEqual({ text: '[joyful] hi' });
    expect(parseEmotionTag('[happy] x').category).toBe('excited');
  });
});

describe('categorizer', () => {
  it.each([
    ['Fine.', 'neutral'],
    ["Let's go!", 'excited'],
    ['Really?!', 'excited'],
    ['GET OUT OF HERE!', 'angry'],
    ['I see...', 'calm'],
    ['Wait…', 'calm'],
    ['OK?', 'neutral'],
  ] as const)('text only: %j is %s', (text, category) => {
    expect(categorize({ cues: textCues(text) })).toBe(category);
  });

  it.each([
    ['the speaker’s usual delivery', level, 'Fine.', 'neutral'],
    ['much louder with a rising pitch', at({ energyDb: 7, pitchSemitones: 2 }), 'Fine.', 'excited'],
    ['much louder, pitch level', at({ energyDb: 7 }), 'Fine.', 'angry'],
    ['much louder, pitch level but wide', at({ energyDb: 7, rangeSemitones: 3 }), 'Fine.', 'excited'],
    ['a little louder, pitch level', at({ energyDb: 4.5 }), 'Fine.', 'neutral'],
    ['a little louder with "!"', at({ energyDb: 3.5 }), 'Go!', 'excited'],
    ['quieter, pitch lower', at({ energyDb: -6, pitchSemitones: -2 }), 'Fine.', 'sad'],
    ['quieter, pitch level', at({ energyDb: -6 }), 'Fine.', 'calm'],
    ['quieter and slow', at({ energyDb: -6, rateRatio: 0.85 }), 'Fine.', 'sad'],
    ['a little quieter, trailing off', at({ energyDb: -3 }), 'I see...', 'sad'],
    ['a little quieter, no ellipsis', at({ energyDb: -3 }), 'I see.', 'neutral'],
  ] as const)('with audio: %s → %s', (_why, n, text, category) => {
    expect(categorize({ normalized: n, cues: textCues(text) })).toBe(category);
  });

  it('lets an explicit tag win over the audio and the punctuation', () => {
    expect(categorize({ normalized: at({ energyDb: 9, pitchSemitones: 3 }), cues: textCues('Yes!'), tag: 'sad' })).toBe('sad');
  });
});

describe('per-speaker normalization', () => {
  const lines: PlanLine[] = [
    { index: 0, text: 'One.', speaker: 'loud' },
    { index: 1, text: 'Two.', speaker: 'loud' },
    { index: 2, text: 'Three.', speaker: 'loud' },
    { index: 3, text: 'Four.', speaker: 'quiet' },
    { index: 4, text: 'Five.', speaker: 'quiet' },
    { index: 5, text: 'Six.', speaker: 'quiet' },
    { index: 6, text: 'Seven.', speaker: 'quiet' },
  ];
  const feats = [-10, -10.5, -9.5, -30, -29, -31, -22].map((rmsDb) => features({ rmsDb }));

  it('measures each speaker against their own median', () => {
    const m = speakerMedians(lines, feats);
    expect(m.get('loud')!.rmsDb).toBeCloseTo(-10, 6);
    expect(m.get('quiet')!.rmsDb).toBeCloseTo(-29.5, 6);
    expect(normalizeBySpeaker(lines, feats).map((n) => n.energyDb)).toEqual([0, -0.5, 0.5, -0.5, 0.5, -1.5, 7.5]);
  });

  it('hears a loud speaker’s normal line as neutral and a quiet speaker’s raised line as raised', () => {
    const plans = planLines(lines, feats, { strength: 1, mode: 'source-audio', language: 'en' });
    expect(plans[0].category).toBe('neutral'); // −10 dB, far louder than the quiet speaker ever gets
    expect(['excited', 'angry']).toContain(plans[6].category); // −22 dB, quieter than every loud line
    expect(plans[6].multipliers.energy).toBeGreaterThan(plans[0].multipliers.energy);
  });

  it('puts lines without a speaker together as one default speaker', () => {
    const anon: PlanLine[] = [{ index: 0, text: 'a' }, { index: 1, text: 'b', speaker: undefined }, { index: 2, text: 'c' }];
    const m = speakerMedians(anon, [-20, -24, -22].map((rmsDb) => features({ rmsDb })));
    expect([...m.keys()]).toEqual([DEFAULT_SPEAKER]);
    expect(m.get(DEFAULT_SPEAKER)!.rmsDb).toBe(-22);
  });

  it('relates pitch in semitones and pace as a ratio, ignoring unvoiced lines', () => {
    const three: PlanLine[] = [{ index: 0, text: 'a' }, { index: 1, text: 'b' }, { index: 2, text: 'c' }];
    const f = [features({ f0MedianHz: 100, syllablesPerSec: 4 }), features({ f0MedianHz: 200, syllablesPerSec: 6 }), features({ f0MedianHz: null, syllablesPerSec: 5 })];
    const n = normalizeBySpeaker(three, f);
    expect(n[0].pitchSemitones).toBeCloseTo(12 * Math.log2(100 / 150), 3); // the median of 100 and 200 is 150
    expect(n[1].pitchSemitones).toBeCloseTo(12 * Math.log2(200 / 150), 3);
    expect(n[2].pitchSemitones).toBeNull();
    expect(n.map((x) => x.rateRatio)).toEqual([0.8, 1.2, 1]);
  });
});

describe('policy', () => {
  it('keeps the text-only table for each category, inside the clamps', () => {
    for (const category of CATEGORIES) {
      const { multipliers, pauseMs } = policyFor({ category, cues: plain }, 1);
      const t = CATEGORY_TABLE[category];
      expect(multipliers).toEqual({ rate: t.rate, pitch: t.pitch, energy: t.energy });
      expect(pauseMs).toBe(t.pauseMs);
      for (const k of ['rate', 'pitch', 'energy'] as const) {
        expect(multipliers[k]).toBeGreaterThanOrEqual(CLAMPS[k].min);
        expect(multipliers[k]).toBeLessThanOrEqual(CLAMPS[k].max);
      }
    }
    expect(CATEGORY_TABLE.excited.energy).toBeGreaterThan(1);
    expect(CATEGORY_TABLE.sad.rate).toBeLessThan(CATEGORY_TABLE.calm.rate);
    expect(policyFor({ category: 'neutral', cues: textCues('Really?') }, 1).multipliers.pitch).toBeGreaterThan(1);
  });

  it('comes within 0.1 % of the clamps at strength 1 for extreme lines, never passes them, and keeps their order', () => {
    const near = (x: number, edge: number) => expect(Math.abs(x - edge)).toBeLessThanOrEqual(0.001 * edge);
    const high = policyAt(at({ energyDb: 40, pitchSemitones: 12, rangeSemitones: 10, rateRatio: 3 }), 'WHAT?!');
    near(high.multipliers.rate, CLAMPS.rate.max);
    near(high.multipliers.pitch, CLAMPS.pitch.max);
    near(high.multipliers.energy, CLAMPS.energy.max);
    const low = policyAt(at({ energyDb: -60, pitchSemitones: -12, rangeSemitones: -10, rateRatio: 0.2 }), 'no...');
    near(low.multipliers.rate, CLAMPS.rate.min);
    near(low.multipliers.pitch, CLAMPS.pitch.min);
    near(low.multipliers.energy, CLAMPS.energy.min);
    for (const m of [high.multipliers, low.multipliers]) {
      for (const k of ['rate', 'pitch', 'energy'] as const) {
        expect(m[k]).toBeGreaterThanOrEqual(CLAMPS[k].min);
        expect(m[k]).toBeLessThanOrEqual(CLAMPS[k].max);
      }
    }
    // a hard clamp would tie these two; the soft one keeps the stronger line higher
    expect(policyAt(at({ pitchSemitones: 5 })).multipliers.pitch).toBeLessThan(policyAt(at({ pitchSemitones: 7 })).multipliers.pitch);
    const longPause = policyFor({ category: 'sad', normalized: at({ energyDb: -9 }), cues: textCues('so...'), trailingPauseSec: 30 }, 1);
    expect(longPause.pauseMs).toBe(CLAMPS.pauseMs.max);
  });

  it('uses most of the range, short of the edge, at ±6 dB, ±3 semitones and ±20 % pace (tanh, plus the category nudge)', () => {
    const share = (m: number, edge: number) => (m - 1) / (edge - 1);
    for (const [n, k, dir] of [
      [{ energyDb: 6 }, 'energy', 'max'], [{ energyDb: -6 }, 'energy', 'min'],
      [{ pitchSemitones: 3 }, 'pitch', 'max'], [{ pitchSemitones: -3 }, 'pitch', 'min'],
      [{ rateRatio: 1.2 }, 'rate', 'max'], [{ rateRatio: 0.8 }, 'rate', 'min'],
    ] as const) {
      const got = share(policyAt(at(n)).multipliers[k], CLAMPS[k][dir]);
      expect(got).toBeGreaterThan(0.7);
      expect(got).toBeLessThan(0.99);
    }
  });

  it('changes nothing at strength 0, whatever the line', () => {
    const lines = [at({ energyDb: 40, pitchSemitones: 12, rateRatio: 3 }), at({ energyDb: -60, pitchSemitones: -12, rateRatio: 0.2 }), level];
    for (const n of lines) {
      for (const text of ['WHAT?!', 'no...', 'Fine.']) {
        expect(policyAt(n, text, 0)).toMatchObject({ multipliers: { rate: 1, pitch: 1, energy: 1 }, pauseMs: 0 });
      }
    }
    for (const category of CATEGORIES) {
      expect(policyFor({ category, cues: textCues('Wait... what?!') }, 0)).toEqual({ multipliers: { rate: 1, pitch: 1, energy: 1 }, pauseMs: 0 });
    }
  });

  it('scales every deviation by the strength', () => {
    const full = policyAt(at({ energyDb: 3, pitchSemitones: 1.5 }));
    const half = policyAt(at({ energyDb: 3, pitchSemitones: 1.5 }), 'Fine.', 0.5);
    // energy reaches its full measure at half the strength (a whisper or a shout carried at half is lost)
    expect(half.multipliers.energy).toBeCloseTo(full.multipliers.energy, 6);
    const quarter = policyAt(at({ energyDb: 3, pitchSemitones: 1.5 }), 'Fine.', 0.25);
    expect(quarter.multipliers.energy - 1).toBeCloseTo((full.multipliers.energy - 1) / 2, 3);
    expect(half.multipliers.pitch - 1).toBeCloseTo((full.multipliers.pitch - 1) / 2, 3);
    expect(() => policyFor({ category: 'neutral', cues: plain }, Number.NaN)).toThrow(/strength/);
  });

  it('never takes more than half of the source’s own pause after the line', () => {
    const tight = policyFor({ category: 'sad', normalized: at({ energyDb: -8 }), cues: textCues('so...'), trailingPauseSec: 0.1 }, 1);
    expect(tight.pauseMs).toBe(50);
    const none = policyFor({ category: 'calm', normalized: level, cues: plain, trailingPauseSec: 0 }, 1);
    expect(none.pauseMs).toBe(0);
  });
});

describe('monotonic multipliers (the dub ranks like the source)', () => {
  const sweep = (from: number, to: number, step: number) => Array.from({ length: Math.round((to - from) / step) + 1 }, (_, i) => from + i * step);
  const contexts: [Partial<NormalizedFeatures>, string][] = [
    [{}, 'Fine.'],
    [{ pitchSemitones: 2 }, 'Go!'],
    [{ pitchSemitones: -2, rateRatio: 0.85 }, 'I see...'],
    [{ energyDb: 5, rateRatio: 1.15 }, 'Really?'],
    [{ energyDb: -5, pitchSemitones: 0.5 }, 'STOP IT'],
  ];

  function expectNonDecreasing(values: number[]): void {
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1]);
  }

  it.each(contexts)('energy rises with the line’s level over its speaker’s (context %j %j)', (ctx, text) => {
    const values = sweep(-12, 12, 0.25).map((energyDb) => policyAt(at({ ...ctx, energyDb }), text).multipliers.energy);
    expectNonDecreasing(values);
    expect(values[values.length - 1]).toBeGreaterThan(values[0]);
  });

  it.each(contexts)('pitch rises with the line’s median f0 in semitones (context %j %j)', (ctx, text) => {
    const values = sweep(-6, 6, 0.1).map((pitchSemitones) => policyAt(at({ ...ctx, pitchSemitones }), text).multipliers.pitch);
    expectNonDecreasing(values);
    expect(values[values.length - 1]).toBeGreaterThan(values[0]);
  });

  it.each(contexts)('rate rises with syllables per second (context %j %j)', (ctx, text) => {
    const values = sweep(0.6, 1.4, 0.01).map((rateRatio) => policyAt(at({ ...ctx, rateRatio }), text).multipliers.rate);
    expectNonDecreasing(values);
    expect(values[values.length - 1]).toBeGreaterThan(values[0]);
  });

  it('is strictly increasing between the clamps', () => {
    const e = [-3, -1, 0, 1, 3].map((energyDb) => policyAt(at({ energyDb })).multipliers.energy);
    const p = [-2, -1, 0, 1, 2].map((pitchSemitones) => policyAt(at({ pitchSemitones })).multipliers.pitch);
    const r = [0.9, 0.95, 1, 1.05, 1.1].map((rateRatio) => policyAt(at({ rateRatio })).multipliers.rate);
    for (const xs of [e, p, r]) for (let i = 1; i < xs.length; i++) expect(xs[i]).toBeGreaterThan(xs[i - 1]);
  });

  it('keeps Spearman ≥ 0.9 between source level / pitch and the planned multipliers over a mixed scene', () => {
    const texts = ['Fine.', 'Go!', 'What?', 'I see...', 'NO WAY', 'Hmm.', 'Really?!', 'Okay.'];
    const speakers = ['a', 'b', undefined];
    const lines: PlanLine[] = [];
    const feats: LineFeatures[] = [];
    for (let i = 0; i < 48; i++) {
      const speaker = speakers[i % 3];
      const base = speaker === 'a' ? -14 : speaker === 'b' ? -26 : -20; // each speaker has their own level and voice
      const f0 = speaker === 'a' ? 220 : speaker === 'b' ? 110 : 160;
      lines.push({ index: i, text: texts[(i * 5) % texts.length], speaker });
      feats.push(features({ rmsDb: base + 5 * Math.sin(i * 1.3), f0MedianHz: f0 * 2 ** ((2.5 * Math.cos(i * 0.7)) / 12), syllablesPerSec: 5 + Math.sin(i) }));
    }
    const plans = planLines(lines, feats, { strength: 1, mode: 'source-audio', language: 'en' });
    const n = normalizeBySpeaker(lines, feats);
    expect(spearman(n.map((x) => x.energyDb), plans.map((p) => p.multipliers.energy))).toBeGreaterThanOrEqual(0.9);
    expect(spearman(n.map((x) => x.pitchSemitones!), plans.map((p) => p.multipliers.pitch))).toBeGreaterThanOrEqual(0.9);
  });
});

describe('planLines', () => {
  const lines: PlanLine[] = [
    { index: 3, text: 'We did it!', speaker: 'hero' },
    { index: 4, text: '[sad] I lost...', speaker: 'hero' },
    { index: 5, text: 'Where is it?', speaker: 'rival', target: '[angry] ¿Dónde está?' },
    { index: 6, text: 'Fine.' },
  ];
  const feats = [features({ rmsDb: -12, f0MedianHz: 180 }), features({ rmsDb: -22, f0MedianHz: 130 }), features({ rmsDb: -20 }), features({})];

  it('plans the same numbers every time (deterministic)', () => {
    const opts = { strength: 0.8, mode: 'source-audio', language: 'en' } as const;
    const a = planLines(lines, feats, opts);
    const b = planLines(lines.map((l) => ({ ...l })), feats.map((f) => ({ ...f })), opts);
    expect(b).toEqual(a);
    expect(JSON.parse(JSON.stringify(a))).toEqual(a);
  });

  it('gives one plan per line, keeps indexes, and records features in source-audio mode', () => {
    const plans = planLines(lines, feats, { strength: 1, mode: 'source-audio', language: 'en' });
    expect(plans.map((p) => p.index)).toEqual([3, 4, 5, 6]);
    expect(plans.every((p) => p.mode === 'source-audio' && p.features && p.normalized)).toBe(true);
    expect(plans[1].category).toBe('sad'); // tag in the source text
    expect(plans[2].category).toBe('angry'); // tag in the translation
  });

  it('uses only text cues and the category table in text-only mode', () => {
    const plans = planLines(lines, undefined, { strength: 1, mode: 'text-only', language: 'en' });
    expect(plans.map((p) => p.category)).toEqual(['excited', 'sad', 'angry', 'neutral'] satisfies Category[]);
    expect(plans[0].multipliers).toEqual({ rate: CATEGORY_TABLE.excited.rate, pitch: CATEGORY_TABLE.excited.pitch, energy: CATEGORY_TABLE.excited.energy });
    expect(plans.every((p) => p.features === undefined && p.mode === 'text-only')).toBe(true);
  });

  it('follows only the tags in tags mode', () => {
    const plans = planLines(lines, feats, { strength: 1, mode: 'tags', language: 'en' });
    expect(plans.map((p) => p.category)).toEqual(['neutral', 'sad', 'angry', 'neutral'] satisfies Category[]);
    expect(plans[0].multipliers).toEqual({ rate: 1, pitch: 1, energy: 1 });
  });

  it('refuses source-audio mode without measured features', () => {
    expect(() => planLines(lines, undefined, { strength: 1, mode: 'source-audio', language: 'en' })).toThrow(/features/);
    expect(() => planLines(lines, feats.slice(1), { strength: 1, mode: 'source-audio', language: 'en' })).toThrow(/3 feature sets/);
  });
});

describe('spearman', () => {
  it('is 1 for any increasing relation and −1 for a decreasing one', () => {
    expect(spearman([1, 2, 3, 4], [1, 8, 27, 64])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [9, 5, 2, -1])).toBeCloseTo(-1, 12);
  });

  it('gives ties their average rank', () => {
    expect(spearman([1, 2, 2, 3], [1, 2, 3, 4])).toBeCloseTo(4.5 / Math.sqrt(22.5), 12);
  });

  it('is NaN for a constant side and refuses different lengths', () => {
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(() => spearman([1, 2], [1, 2, 3])).toThrow(/lengths/);
  });
});
