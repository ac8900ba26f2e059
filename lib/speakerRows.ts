// Who says a row, and how many say one cue: a leading `Name:` label in any case ("MAN:", "Misaki:", "Old man:")
// is the speaker when it looks like a name (not "Note:", not a time), and a cue of two dashed utterances
// (`- Where are you going?\N- Home.`) is two lines, its time split between them by text length or, when
// recognition heard the same stretch, by the words' times. Pure: the workflow bundle may import it.
import type { Word } from './job.js';

/** "MAN:", "OLD WOMAN:", "DR. KIM:": SDH writes names in capitals. */
const CAPS_LABEL = /^(\p{Lu}[\p{Lu}\p{N}.'’-]*(?: [\p{Lu}\p{N}.'’-]+){0,2}):\s+(?=\S)/u;
/** "Misaki:", "Old man:", "Dr. Kim:", "Mary-Jane:": up to three words, the first capitalised. */
const NAME_LABEL = /^(\p{Lu}[\p{L}.'’-]*(?: [\p{L}.'’-]+){0,2}):\s+(?=\S)/u;
const LONGEST_NAME = 32;

/** Words that open a row with a colon without naming anyone: "Note: …", "Look: …", "Time: …". */
const NOT_NAMES = new Set([
  'note', 'notes', 'nb', 'n.b.', 'ps', 'p.s.', 'tl', 'translation', "translator's", 'translators', 'subtitle', 'subtitles', 'caption', 'captions',
  'look', 'listen', 'see', 'warning', 'caution', 'attention', 'remember', 'hint', 'tip', 'example', 'answer', 'question', 'problem',
  'reason', 'result', 'rule', 'rules', 'step', 'fact', 'update', 'news', 'summary', 'conclusion', 'lesson', 'chapter', 'episode', 'part',
  'scene', 'title', 'subject', 're', 'fwd', 'from', 'to', 'cc', 'date', 'time', 'location', 'place', 'today', 'tomorrow', 'yesterday',
  'now', 'then', 'so', 'well', 'yes', 'no', 'okay', 'ok', 'also', 'and', 'but', 'because', 'first', 'second', 'third', 'finally',
  'meanwhile', 'wait', 'menu', 'price', 'total', 'score', 'level', 'stage', 'round', 'mission', 'objective', 'status', 'name', 'age',
  'class', 'type', 'p', 'q', 'a', 'the', 'this', 'that', 'here', 'there', 'why', 'what', 'how', 'who', 'where', 'when', 'my', 'your',
]);

export type LabelVerdict =
  | { speaker: string; rest: string; how: 'capitals' | 'name' }
  | { rejected: string }
  | undefined;

/** At most three words and LONGEST_NAME characters, letters (and . ' -) only. */
export const nameShaped = (label: string): boolean => label.length <= LONGEST_NAME && label.split(' ').length <= 3 && !/\d/.test(label);
/** A common word, not a name ("Note", "Look", "Translator's note"). */
export const commonWord = (label: string): boolean => label.toLowerCase().split(' ').some((w) => NOT_NAMES.has(w));
/** What follows a label is speech when it opens like a sentence: a capital, a quote, an ellipsis, a dash, a non-Latin script. */
export const speechFollows = (rest: string): boolean => /^(?:[\p{Lu}\p{Lo}"'“‘«「『¿¡(…—–-]|\.\.\.)/u.test(rest);
/** A time or a number after the colon ("Time: 10:30", "ROOM: 204"): a caption, not a speaker. */
export const numberFollows = (rest: string): boolean => /^\d/.test(rest);

/**
 * The row's leading label: the speaker and the speech after it; `rejected` (with why, never the text) when the
 * row opens like a label but is not one; undefined when it does not open like one.
 */
export function leadingLabel(row: string): LabelVerdict {
  const caps = CAPS_LABEL.exec(row);
  const mixed = caps ? null : NAME_LABEL.exec(row);
  const m = caps ?? mixed;
  if (!m) return undefined;
  const label = m[1];
  const rest = row.slice(m[0].length);
  if (numberFollows(rest)) return { rejected: 'a number or a time follows the colon' };
  if (commonWord(label)) return { rejected: 'a common word before the colon, not a name' };
  if (!nameShaped(label)) return { rejected: 'too long to be a name' };
  if (mixed && !speechFollows(rest)) return { rejected: 'what follows the colon does not open a sentence' };
  return { speaker: label, rest, how: caps ? 'capitals' : 'name' };
}

/** A row opening an utterance of its own: "- Home.", "– Home." (not "--", the continuation of a broken-off one). */
const DASH = /^[-–—](?![-–—])\s*/;

export const dashed = (row: string): boolean => DASH.test(row);
export const undash = (row: string): string => row.replace(DASH, '').trim();

/**
 * The cue's utterances: each row opening with a single dash starts one, when two or more rows do (a lone dashed
 * row is one speaker's line, as SDH writes it). Rows before the first dash belong to the first.
 */
export function dashedUtterances(rows: readonly string[]): string[][] {
  if (rows.filter(dashed).length < 2) return [[...rows]];
  const out: string[][] = [];
  for (const row of rows) {
    if (dashed(row) || out.length === 0) out.push([row]);
    else out[out.length - 1].push(row);
  }
  return out;
}

const weight = (text: string) => Math.max(1, text.replace(/\s+/g, '').length);
const ms = (x: number) => Math.round(x * 1000) / 1000;

/** The times between utterances, in proportion to their length in characters. */
export function splitByTextLength(start: number, end: number, texts: readonly string[]): number[] {
  const total = texts.reduce((s, t) => s + weight(t), 0);
  let acc = 0;
  return texts.slice(0, -1).map((t) => {
    acc += weight(t);
    return ms(start + ((end - start) * acc) / total);
  });
}

/**
 * The times between utterances from the words recognition heard inside the cue: each boundary falls in the
 * middle of the gap between words nearest where the text puts it (by word count), the widest gap on a tie.
 * Undefined when too few words were heard to tell.
 */
export function splitByWords(start: number, end: number, texts: readonly string[], words: readonly Word[]): number[] | undefined {
  const inside = words.filter((w) => w.start >= start - 0.05 && w.end <= end + 0.05).sort((a, b) => a.start - b.start);
  if (inside.length < texts.length) return undefined;
  const counts = texts.map((t) => Math.max(1, t.split(/\s+/).filter(Boolean).length));
  const total = counts.reduce((a, b) => a + b, 0);
  const bounds: number[] = [];
  let acc = 0;
  let after = 0; // a boundary falls after word index ≥ this
  for (const c of counts.slice(0, -1)) {
    acc += c;
    const expected = (acc / total) * inside.length - 1;
    let best = -1;
    for (let k = after; k < inside.length - 1; k++) {
      const gap = inside[k + 1].start - inside[k].end;
      const bestGap = best < 0 ? -Infinity : inside[best + 1].start - inside[best].end;
      if (best < 0 || Math.abs(k - expected) < Math.abs(best - expected) || (Math.abs(k - expected) === Math.abs(best - expected) && gap > bestGap)) best = k;
    }
    if (best < 0) return undefined;
    bounds.push(ms(Math.min(end, Math.max(start, (inside[best].end + inside[best + 1].start) / 2))));
    after = best + 1;
  }
  return bounds;
}

/** Who says the second, third… utterance of a dashed cue when nothing names them: not whoever spoke just before. */
export const OTHER_SPEAKER = 'other speaker';

/**
 * The speakers of a dashed cue's utterances: a label names its own; an actor field naming as many people
 * ("Aya/Ken", "Aya & Ken") names them in order; else the first is the cue's speaker and each other one someone
 * else than the utterance before it.
 */
export function utteranceSpeakers(labels: readonly (string | undefined)[], cueSpeaker: string | undefined): (string | undefined)[] {
  const named = cueSpeaker?.split(/\s*(?:\/|;|&|\band\b)\s*/).filter(Boolean) ?? [];
  const fromField = named.length === labels.length && labels.length > 1 ? named : undefined;
  const out: (string | undefined)[] = [];
  labels.forEach((label, i) => {
    if (label) out.push(label);
    else if (fromField) out.push(fromField[i]);
    else if (i === 0) out.push(cueSpeaker);
    else out.push(out[i - 1] === OTHER_SPEAKER ? cueSpeaker : OTHER_SPEAKER);
  });
  return out;
}
