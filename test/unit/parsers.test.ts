import { describe, expect, it } from '@jest/globals';
import { parsePairs, splitTranslation } from '../../engines/apertium.js';
import { parseHypseg, wordsToText } from '../../engines/pocketsphinx.js';
import { espeakHasLanguage } from '../../engines/tts.js';
import { parseSilencedetect, speechRegions } from '../../lib/speechRegions.js';
import { formatSrt, parseSubtitles } from '../../formats/subtitles.js';
import { parseWavHeader, wavDurationSec, wavHeader } from '../../lib/wav.js';
import { guidedBatches, mapWithWindow } from '../../lib/window.js';
import { ProgressTracker } from '../../lib/progress.js';

describe('engine output parsers', () => {
  it('reads pocketsphinx hypseg words with times, dropping fillers and alternates marks', () => {
    const line = 's0001 S 0 T -8255195 A -7728128 L -527067 0 -171008 0 <s> 8 -884736 -398 good(2) 26 -1006592 -241 morning 68 -1812480 -252 everyone 133 -217088 -524288 <sil> 166 -257024 -208 the 336 -781312 -77 </s> 347';
    const words = parseHypseg(line).get('s0001')!;
    expect(words.map((w) => w.text)).toEqual(['good', 'morning', 'everyone', 'the']);
    expect(words[0]).toEqual({ text: 'good', start: 0.08, end: 0.26 });
    expect(wordsToText(words)).toBe('Good morning everyone the');
  });

  it('turns silencedetect logs into speech regions', () => {
    const log = '[silencedetect] silence_start: 0\n[silencedetect] silence_end: 1.5 | silence_duration: 1.5\nsilence_start: 3.2\nsilence_end: 5 | x\nsilence_start: 7.9';
    const regions = speechRegions(parseSilencedetect(log), 8.2, 0.25);
    expect(regions).toEqual([{ start: 1.5, end: 3.2 }, { start: 5, end: 7.9 }]);
  });

  it('reads apertium pair listings and keeps line counts honest', () => {
    expect(parsePairs('  eng-spa\n  spa-eng\n  spa-eng_US\n')).toEqual(['eng-spa', 'spa-eng', 'spa-eng_US']);
    expect(splitTranslation('Hola.\nAdiós.\n', 2)).toEqual(['Hola.', 'Adiós.']);
    expect(splitTranslation('Hola. Adiós.\n', 2)).toBeUndefined();
  });

  it('finds an espeak-ng language in its voice list', () => {
    const listing = 'Pty Language       Age/Gender VoiceName          File                 Other Languages\n 5  es             --/M      Spanish_(Spain)    roa/es\n 5  es-419         --/M      Spanish_(Latin_America) roa/es-419';
    expect(espeakHasLanguage(listing, 'es')).toBe(true);
    expect(espeakHasLanguage(listing, 'ja')).toBe(false);
  });
});

describe('subtitle formats', () => {
  it('reads SRT and WebVTT alike, in time order, without markup', () => {
    const srt = '2\n00:00:03,000 --> 00:00:04,000\nSecond\n\n1\n00:00:01,000 --> 00:00:02,500\n<i>First</i>\nline\n';
    const vtt = 'WEBVTT\n\n00:00:01.000 --> 00:00:02.500\nFirst line\n\n00:00:03.000 --> 00:00:04.000\nSecond\n';
    const expected = [{ index: 0, start: 1, end: 2.5, text: 'First line' }, { index: 1, start: 3, end: 4, text: 'Second' }];
    expect(parseSubtitles(srt)).toEqual(expected);
    expect(parseSubtitles(vtt)).toEqual(expected);
  });

  it('writes SRT that reads back the same', () => {
    const lines = [{ start: 1.512, end: 2.658, text: 'Buenos días' }];
    expect(formatSrt(lines)).toContain('00:00:01,512 --> 00:00:02,658');
    expect(parseSubtitles(formatSrt(lines))[0]).toMatchObject(lines[0]);
  });

  it('rejects garbage with the parser’s reason', () => {
    expect(() => parseSubtitles('this is not a subtitle file')).toThrow(/timestamp/);
  });
});

describe('wav header', () => {
  it('round-trips a canonical header and measures duration', () => {
    const h = wavHeader(48000, 2, 16, 48000 * 4 * 2);
    const f = parseWavHeader(h, 44 + 48000 * 4 * 2);
    expect(f).toMatchObject({ sampleRate: 48000, channels: 2, bitsPerSample: 16, dataOffset: 44 });
    expect(wavDurationSec(f)).toBe(2);
  });
  it('refuses what is not WAV', () => {
    expect(() => parseWavHeader(new TextEncoder().encode('hello world, not a wav'), 22)).toThrow(/RIFF/);
  });
});

describe('bounded fan-out', () => {
  it('never has more than the limit in flight and keeps result order', async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapWithWindow([5, 1, 4, 2, 3, 0], 2, async (ms, i) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, ms * 3));
      inFlight--;
      return i;
    });
    expect(out).toEqual([0, 1, 2, 3, 4, 5]);
    expect(peak).toBe(2);
  });
});

describe('line batches', () => {
  it('takes a share of what is left, at most 8, shrinking to single lines at the end, in order', () => {
    const items = Array.from({ length: 60 }, (_, i) => i);
    const batches = guidedBatches(items, 4);
    expect(batches.map((b) => b.length)).toEqual([8, 7, 6, 5, 5, 4, 4, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1]);
    expect(batches.flat()).toEqual(items);
    expect(guidedBatches([1, 2, 3], 2).map((b) => b.length)).toEqual([1, 1, 1]);
    expect(guidedBatches([], 2)).toEqual([]);
  });

  it('keeps a tail of at least `minSize` lines a batch while that many are left', () => {
    const twelve = Array.from({ length: 12 }, (_, i) => i);
    expect(guidedBatches(twelve, 2).map((b) => b.length)).toEqual([3, 3, 2, 1, 1, 1, 1]);
    expect(guidedBatches(twelve, 2, 8, 3).map((b) => b.length)).toEqual([3, 3, 3, 3]);
    expect(guidedBatches(twelve.slice(0, 4), 2, 8, 3).map((b) => b.length)).toEqual([3, 1]);
    expect(guidedBatches(twelve, 2, 8, 3).flat()).toEqual(twelve);
  });
});

describe('progress', () => {
  it('moves through the synthesize stage with the lines', () => {
    const p = new ProgressTracker();
    p.enter('synthesize');
    p.lines(0, 10);
    const before = p.snapshot().percent;
    p.lines(5, 10);
    expect(p.snapshot().percent).toBeGreaterThan(before);
    expect(p.snapshot()).toMatchObject({ stage: 'synthesize', linesDone: 5, linesTotal: 10 });
    p.enter('done');
    expect(p.snapshot().percent).toBe(100);
  });
});

describe('bounded fan-out on failure', () => {
  it('starts nothing new after a failure and rethrows only once the items in flight have settled', async () => {
    const started: number[] = [];
    let slowFinished = false;
    const run = mapWithWindow([0, 1, 2, 3, 4], 2, async (n) => {
      started.push(n);
      if (n === 0) throw new Error('boom');
      await new Promise((r) => setTimeout(r, 30));
      slowFinished = true;
      return n;
    });
    await expect(run).rejects.toThrow('boom');
    expect(slowFinished).toBe(true);
    expect(started).toEqual([0, 1]);
  });
});
