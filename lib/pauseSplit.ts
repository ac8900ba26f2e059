// Whisper cuts its segments by its own 30 s windows and sentence sense, not by breath: one segment often holds
// two lines said a second apart, or two speakers' lines. A dubbed line spans the whole of it, so the pause between
// them would be spoken through and the second line would start early. Split a segment at a pause between its
// words: at the end of a sentence when the pause is at least `minPauseSec`, anywhere when it is twice that — or,
// where the diarizer hears the same voice on both sides, four times that (one character's pause inside a sentence:
// festival line 9 "大丈夫、… お店の音がうるさいから。" pauses 0.94 s and was two dub lines).
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

export function splitAtPauses<S extends WordedSegment>(segments: readonly S[], minPauseSec: number, turns: readonly LabelledSpan[] = []): S[] {
  const out: S[] = [];
  for (const seg of segments) {
    const cuts: number[] = [];
    seg.words.forEach((w, i) => {
      if (i === 0) return;
      const prev = seg.words[i - 1];
      const gap = w.start - prev.end;
      const voice = voiceOf(prev, turns);
      const sameVoice = voice !== undefined && voice === voiceOf(w, turns);
      if (gap >= (sameVoice ? 4 : 2) * minPauseSec || (gap >= minPauseSec && SENTENCE_END.test(prev.text))) cuts.push(i);
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

/** Who says a stretch of the audio (a diarizer's turn: its label only matters for telling turns apart). */
export interface LabelledSpan {
  start: number;
  end: number;
  label: string;
}

/** Whisper's word times run this far off the voice. */
const NEAR_SEC = 0.3;

/** The label of the turn a word overlaps most, or of the nearest turn within nearSec; undefined when none is. */
function voiceOf(w: Word, turns: readonly LabelledSpan[], nearSec = NEAR_SEC): string | undefined {
  if (turns.length === 0) return undefined;
  let best: LabelledSpan | undefined;
  let most = 0;
  for (const t of turns) {
    const o = Math.min(w.end, t.end) - Math.max(w.start, t.start);
    if (o > most) [best, most] = [t, o];
  }
  if (best) return best.label;
  // festival line 8: its unvoiced second half took the next line's voice 0.54 s later and was cut off (measureEdges)
  const gap = (t: LabelledSpan) => Math.max(t.start - w.end, w.start - t.end, 0);
  const nearest = turns.reduce((a, b) => (gap(b) < gap(a) ? b : a));
  return gap(nearest) <= nearSec ? nearest.label : undefined;
}

/**
 * Whisper joins a reply 0.3–0.6 s after the previous speaker into the same segment; a dub line must carry one
 * voice. Each word takes the label of the turn it overlaps most, or of the nearest turn within `nearSec` (Whisper's
 * word times run that far off the voice); a word further from every turn (a whisper the VAD did not voice) has no
 * voice to tell and stays with the words before it (the first ones with the words after). The segment is cut where
 * the label changes, once runs heard in their voice for less than `minRunSec` (a word or two the voice prints got
 * wrong) have been given to the run before them.
 */
export function splitAtSpeakerChanges<S extends WordedSegment>(segments: readonly S[], turns: readonly LabelledSpan[], minRunSec = 0.4, nearSec = NEAR_SEC): S[] {
  if (turns.length === 0) return [...segments];
  const labelOf = (w: Word) => voiceOf(w, turns, nearSec);
  const out: S[] = [];
  for (const seg of segments) {
    if (seg.words.length < 2) {
      out.push(seg);
      continue;
    }
    const told = seg.words.map(labelOf);
    const firstTold = told.find((l) => l !== undefined);
    if (firstTold === undefined) {
      out.push(seg);
      continue;
    }
    let carried = firstTold;
    const labels = told.map((l) => (carried = l ?? carried));
    const runs: { label: string; from: number; to: number }[] = [];
    seg.words.forEach((w, i) => {
      const label = labels[i];
      const last = runs[runs.length - 1];
      if (last && last.label === label) last.to = i + 1;
      else runs.push({ label, from: i, to: i + 1 });
    });
    // How long a run is heard in its voice: its words' overlap with that voice's turns. Whisper stretches a first
    // word back over the pause into the previous speaker's turn (festival line 10's "二", 0.72 s long, 0.14 s of
    // it in Mei's turn), and a word's length is no evidence of whose it is.
    const span = (r: { label: string; from: number; to: number }) => seg.words.slice(r.from, r.to).reduce((sum, w) => sum
      + turns.reduce((o, t) => o + (t.label === r.label ? Math.max(0, Math.min(w.end, t.end) - Math.max(w.start, t.start)) : 0), 0), 0);
    // Short runs join the run before them (the first run joins the one after), then equal neighbours merge.
    const kept: { label: string; from: number; to: number }[] = [];
    for (const r of runs) {
      const prev = kept[kept.length - 1];
      if (prev && (span(r) < minRunSec || prev.label === r.label)) prev.to = r.to;
      else if (!prev || span(prev) >= minRunSec) kept.push({ ...r });
      else kept[kept.length - 1] = { label: r.label, from: prev.from, to: r.to };
    }
    if (kept.length === 1) {
      out.push(seg);
      continue;
    }
    const unspaced = UNSPACED.test(seg.text);
    for (const r of kept) {
      const words = seg.words.slice(r.from, r.to);
      out.push({ ...seg, start: words[0].start, end: words[words.length - 1].end, text: joinWords(words.map((w) => w.text), unspaced), words });
    }
  }
  return out;
}
