// Whisper cuts its segments by its own 30 s windows and sentence sense, not by breath: one segment often holds
// two lines said a second apart, or two speakers' lines. A dubbed line spans the whole of it, so the pause between
// them would be spoken through and the second line would start early. Split a segment at a pause between its
// words: at the end of a sentence when the pause is at least `minPauseSec`, anywhere when it is twice that.
import type { Word } from './job.js';

export interface WordedSegment {
  start: number;
  end: number;
  text: string;
  words: Word[];
}

const SENTENCE_END = /[.!?…。！？]["'」』)]*$/u;
/** Scripts written without spaces between words: their pieces join with nothing. */
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;

export function splitAtPauses<S extends WordedSegment>(segments: readonly S[], minPauseSec: number): S[] {
  const out: S[] = [];
  for (const seg of segments) {
    const cuts: number[] = [];
    seg.words.forEach((w, i) => {
      if (i === 0) return;
      const prev = seg.words[i - 1];
      const gap = w.start - prev.end;
      if (gap >= 2 * minPauseSec || (gap >= minPauseSec && SENTENCE_END.test(prev.text))) cuts.push(i);
    });
    if (cuts.length === 0) {
      out.push(seg);
      continue;
    }
    const unspaced = UNSPACED.test(seg.text);
    [0, ...cuts].forEach((from, k) => {
      const words = seg.words.slice(from, cuts[k] ?? seg.words.length);
      out.push({ ...seg, start: words[0].start, end: words[words.length - 1].end, text: joinWords(words.map((w) => w.text), unspaced), words });
    });
  }
  return out;
}

/** Words back into text: "Let" + "'s" is "Let's", "okay" + "," is "okay,"; unspaced scripts join with nothing. */
export function joinWords(words: readonly string[], unspaced: boolean): string {
  if (unspaced) return words.join('');
  return words.reduce((text, w) => (text === '' ? w : /^(['’.,!?;:%)\]}…]|n't\b)/i.test(w) ? text + w : `${text} ${w}`), '');
}
