import { describe, expect, it } from '@jest/globals';
import { splitAtSpeakerChanges } from '../../lib/pauseSplit.js';

const w = (text: string, start: number, end: number) => ({ text, start, end });
const seg = (words: ReturnType<typeof w>[]) => ({ start: words[0].start, end: words[words.length - 1].end, text: words.map((x) => x.text).join(' '), words });

describe('splitting Whisper segments where the speaker changes', () => {
  it('a reply 0.4 s after the previous speaker becomes its own line, with its own words and times', () => {
    const s = seg([w('What', 0, 0.3), w('is', 0.3, 0.5), w('that', 0.5, 0.9), w('box?', 0.9, 1.4), w('Nothing.', 1.8, 2.6), w('Really.', 2.7, 3.3)]);
    const turns = [{ start: 0, end: 1.45, label: 'V1' }, { start: 1.75, end: 3.4, label: 'V2' }];
    const out = splitAtSpeakerChanges([s], turns);
    expect(out.map((l) => [l.text, l.start, l.end])).toEqual([['What is that box?', 0, 1.4], ['Nothing. Really.', 1.8, 3.3]]);
  });

  it('a word or two the voice prints got wrong (a run shorter than 0.4 s) does not cut the line', () => {
    const s = seg([w('one', 0, 0.5), w('two', 0.5, 1.0), w('three', 1.1, 1.3), w('four', 1.4, 2.0)]);
    const turns = [{ start: 0, end: 1.05, label: 'V1' }, { start: 1.05, end: 1.35, label: 'V2' }, { start: 1.35, end: 2.1, label: 'V1' }];
    expect(splitAtSpeakerChanges([s], turns)).toEqual([s]);
  });

  it('unspaced Japanese joins its pieces with nothing; no turns or one word leaves segments as they are', () => {
    const s = seg([w('その', 0, 0.3), w('箱は', 0.3, 0.7), w('何？', 0.7, 1.2), w('見せられない', 1.6, 2.4), w('よ', 2.4, 2.6)]);
    const turns = [{ start: 0, end: 1.25, label: 'V1' }, { start: 1.55, end: 2.7, label: 'V2' }];
    expect(splitAtSpeakerChanges([{ ...s, text: 'その箱は何？見せられないよ' }], turns).map((l) => l.text)).toEqual(['その箱は何？', '見せられないよ']);
    expect(splitAtSpeakerChanges([s], [])).toEqual([s]);
    const one = seg([w('Hi.', 0, 0.4)]);
    expect(splitAtSpeakerChanges([one], turns)).toEqual([one]);
  });

  it('words no voiced stretch is near (an unvoiced whisper) stay with the words before them: no cut without a voice to tell', () => {
    // festival line 8: its second half is voiced nowhere; the next speaker's stretch 0.54 s after its last word used to take it
    const s = seg([w('しーっ', 29.68, 30.18), w('聞こえ', 30.66, 31.0), w('ちゃう', 31.0, 31.26), w('よ', 31.26, 31.56)]);
    const turns = [{ start: 29.57, end: 30.11, label: 'V1' }, { start: 32.1, end: 32.77, label: 'V3' }];
    expect(splitAtSpeakerChanges([s], turns)).toEqual([s]);
    // within 0.3 s of a turn a word still takes that turn's voice (Whisper's word times run off the voice that far)
    const reply = seg([w('What?', 0, 0.5), w('Nothing', 1.0, 1.4), w('at all.', 1.4, 1.9)]);
    const near = [{ start: 0, end: 0.55, label: 'V1' }, { start: 1.45, end: 2.0, label: 'V2' }];
    expect(splitAtSpeakerChanges([reply], near).map((l) => l.text)).toEqual(['What?', 'Nothing at all.']);
  });

  it('a first word Whisper stretched back over the pause into the previous voice is not a run of its own (festival line 10)', () => {
    const s = seg([w('二', 34.84, 35.56), w('人で', 35.56, 35.88), w('何の', 35.88, 36.26), w('話を', 36.26, 36.88), w('しているの', 36.88, 37.7)]);
    const turns = [{ start: 33.31, end: 34.98, label: 'V3' }, { start: 35.55, end: 37.47, label: 'V2' }];
    expect(splitAtSpeakerChanges([s], turns)).toEqual([s]);
  });
});
