// Which subtitle events are dialogue to dub, and which are not: fansub ASS carries songs (karaoke syllables,
// OP/ED styles), signs (typeset, positioned, drawn), comments; SDH captions carry sound cues, music marks and
// speaker labels; releases carry credits and adverts. Only dialogue is voiced; every other decision is kept
// (line number, time, reason) for subtitles.json and report.json. Pure: the workflow bundle may import it.
import type { Line, Word } from './job.js';
import type { AssTraits, RawCue } from './rawCue.js';
import { songEvents, styleWords } from './songEvents.js';
import { dashedUtterances, leadingLabel, splitByTextLength, splitByWords, undash, utteranceSpeakers } from './speakerRows.js';

export type { AssTraits, RawCue } from './rawCue.js';

export interface ClassifyOptions {
  /** ASS styles voiced whatever they look like (case-insensitive), e.g. an OP style to dub the song too. */
  voiceStyles?: readonly string[];
  /** ASS styles never voiced. */
  skipStyles?: readonly string[];
}

export const DEFAULT_CLASSIFY: ClassifyOptions = {};

export type SkipReason = 'comment' | 'skip-style' | 'song' | 'sign' | 'sound' | 'music' | 'credit';

export interface SkippedCue {
  line: number;
  start: number;
  end: number;
  reason: SkipReason;
  /** Which trait decided (karaoke tags, a song style, a drawing, …): no text of the cue itself. */
  why: string;
  style?: string;
}

/**
 * A change made to a voiced cue: its label became its speaker (or was kept as speech), a sound cue was cut from
 * it, cues were merged, a cue of two dashed utterances was split.
 */
export interface CueDecision {
  line: number;
  action: 'speaker-label' | 'label-kept' | 'sound-removed' | 'music-removed' | 'merged' | 'split';
  detail: string;
}

export interface Classified {
  lines: Line[];
  skipped: SkippedCue[];
  decisions: CueDecision[];
}

const SIGN_WORD = /^(?:signs?|ts|typeset(?:ting)?|titles?|notes?|screen|eyecatch|logo|onscreen)$/;

const inList = (list: readonly string[] | undefined, style: string | undefined) =>
  !!style && !!list?.some((s) => s.toLowerCase() === style.toLowerCase());

/** Release credits and adverts: who subtitled it, where it was downloaded, what to buy. */
const CREDIT = [
  // At the cue's start ("Subtitles by …", "Sync and corrections by …"): "it was edited by my brother" is speech.
  /^\W*(?:subtitles?|subs|captions?|captioning|translat(?:ed|ion|ions)|timing|timed|typeset(?:ting)?|encoded?|sync(?:ed|hroni[sz]ed)?|correct(?:ed|ions)|ripped|transcri(?:bed|pt(?:ion)?)|edited|qc)\s+(?:(?:and|&)\s+\w+\s+)?by\b/i,
  /(?:https?:\/\/|www\.)\S+|\b[\w-]+\.(?:com|org|net|tv|io)\b|opensubtitles|addic7ed|subscene|podnapisi|yify/i,
  /advertise your (?:product|brand)|become (?:a )?vip member|support us and/i,
  /字幕(?:制作|翻訳|：|:)|翻訳(?:：|:)/,
];

/** The expressive emotion tags (lib/prosody.ts reads them), kept at the start of a voiced cue. */
const EMOTION_TAG = /^\[\s*(?:happy|sad|angry|calm)\s*\]\s*/i;
const MUSIC_MARK = /[♪♫♬🎵🎶]|^#.*#$/u;
const WHOLE_BRACKETED = /^(?:\[[^\]]*\]|\([^)]*\)|（[^）]*）|［[^］]*］|【[^】]*】|〔[^〕]*〕)$/;
/** "[door slams]" anywhere, "(laughs)" at a row's start: sound cues inside a spoken row. */
const SQUARE_CUE = /\s*(?:\[[^\]]*\]|［[^］]*］|【[^】]*】)\s*/g;
const LEADING_PAREN_CUE = /^\([^)]*\)\s*(?=\S)/;
/** "(綾)", "（綾）" before Japanese/Chinese speech: the speaker, as TV captions write it. */
const CJK_LABEL = /^[(（]([^()（）\s]{1,12})[)）]\s*/;
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

/** How close two starts are to count as one caption (frame jitter of TV captions). */
const SAME_INSTANT_SEC = 0.01;

type Voiced = Omit<Line, 'index'> & { line: number };
type Skip = (c: RawCue, reason: SkipReason, why: string) => void;

/**
 * Which subtitle events are dialogue. `heard` (words recognition heard in the same video, when it ran too)
 * times the split of a dashed two-speaker cue; without it the cue's time is split by text length.
 */
export function classifyCues(cues: readonly RawCue[], opts: ClassifyOptions = DEFAULT_CLASSIFY, heard?: readonly Word[]): Classified {
  const skipped: SkippedCue[] = [];
  const decisions: CueDecision[] = [];
  const voiced: Voiced[] = [];
  const skip: Skip = (c, reason, why) =>
    skipped.push({ line: c.line, start: c.start, end: c.end, reason, why, ...(c.ass?.style ? { style: c.ass.style } : {}) });

  const chosen = (c: RawCue) => inList(opts.voiceStyles, c.ass?.style);
  const songs = songEvents(cues.filter((c) => !inList(opts.skipStyles, c.ass?.style)), chosen);
  const positionMeansSign = placementMarksSigns(cues, songs);
  for (const c of cues) {
    if (c.comment) { skip(c, 'comment', 'a Comment event (a note to the typesetter)'); continue; }
    if (inList(opts.skipStyles, c.ass?.style)) { skip(c, 'skip-style', 'its style is in --skip-styles'); continue; }
    const song = songs.get(c);
    if (song) { skip(c, 'song', song); continue; }
    const sign = c.ass && !chosen(c) ? signTrait(c as RawCue & { ass: AssTraits }, positionMeansSign) : undefined;
    if (sign) { skip(c, 'sign', sign); continue; }
    if (CREDIT.some((re) => re.test(c.text))) { skip(c, 'credit', 'a release credit or advert'); continue; }
    voiceCue(c, chosen(c), heard, voiced, decisions, skip);
  }

  const merged = mergeCaptions(voiced, decisions);
  const lines = merged
    .map((l, order) => ({ l, order }))
    .sort((a, b) => a.l.start - b.l.start || a.order - b.order)
    .map(({ l }, index) => ({ index, start: l.start, end: l.end, text: l.text, ...(l.speaker ? { speaker: l.speaker } : {}) }));
  return { lines, skipped, decisions };
}

/** Why an ASS event is a sign (a drawing, a sign style or actor, \move, \pos without a speaker), if it is one. */
function signTrait(c: RawCue & { ass: AssTraits }, positionMeansSign: boolean): string | undefined {
  if (c.ass.drawing) return 'a drawing (\\p)';
  if (styleWords(c.ass.style).some((w) => SIGN_WORD.test(w))) return 'a sign style';
  if (c.speaker && styleWords(c.speaker).some((w) => SIGN_WORD.test(w))) return 'the actor field names a sign';
  if (c.ass.moving) return 'a moving event (\\move)';
  // Typesetters place signs with \pos and leave the actor empty; positioned dialogue names its speaker. In
  // files that place nearly every row and read like captions (TV captions converted to ASS), placement says nothing.
  if (positionMeansSign && c.ass.positioned && !c.speaker) return 'a positioned event (\\pos) with no speaker';
  return undefined;
}

/** One cue's rows made into voiced lines: one, or one per dashed utterance; every change recorded. */
function voiceCue(c: RawCue, chosen: boolean, heard: readonly Word[] | undefined, voiced: Voiced[], decisions: CueDecision[], skip: Skip): void {
  let music = 0;
  let sound = 0;
  const utterances = dashedUtterances(c.text.split('\n')).map((rows) => {
    const u = utteranceOf(rows, c, chosen, decisions);
    music += u.music;
    sound += u.sound;
    return u;
  }).filter((u) => u.text);
  if (utterances.length === 0) {
    if (music >= sound) skip(c, 'music', 'music marks (♪) or lyrics');
    else skip(c, 'sound', 'a sound cue in brackets');
    return;
  }
  if (music) decisions.push({ line: c.line, action: 'music-removed', detail: `${music} row(s) of music marks or lyrics not voiced` });
  if (sound) decisions.push({ line: c.line, action: 'sound-removed', detail: `${sound} sound cue(s) in brackets not voiced` });
  if (utterances.length === 1) {
    const speaker = c.speaker ?? utterances[0].label;
    voiced.push({ start: c.start, end: c.end, text: utterances[0].text, line: c.line, ...(speaker ? { speaker } : {}) });
    return;
  }
  const texts = utterances.map((u) => u.text);
  const byWords = heard ? splitByWords(c.start, c.end, texts, heard) : undefined;
  const bounds = byWords ?? splitByTextLength(c.start, c.end, texts);
  const speakers = utteranceSpeakers(utterances.map((u) => u.label), c.speaker);
  const edges = [c.start, ...bounds, c.end];
  utterances.forEach((u, i) => {
    const speaker = speakers[i];
    voiced.push({ start: edges[i], end: edges[i + 1], text: u.text, line: c.line, ...(speaker ? { speaker } : {}) });
  });
  decisions.push({
    line: c.line, action: 'split',
    detail: `${utterances.length} dashed utterances in one cue: ${utterances.length} lines, ${new Set(speakers.map((s) => s ?? '')).size} speakers, timed by ${byWords ? 'the words recognition heard' : 'text length'}`,
  });
}

/** One speaker's rows: music and sound cues cut, a leading label read (its name returned, not voiced). */
function utteranceOf(rows: readonly string[], c: RawCue, chosen: boolean, decisions: CueDecision[]): { text: string; label?: string; music: number; sound: number } {
  const out: string[] = [];
  let label: string | undefined;
  let music = 0;
  let sound = 0;
  rows.forEach((raw, r) => {
    let row = undash(raw);
    if (!chosen && MUSIC_MARK.test(row)) { music++; return; }
    const cjk = CJK_LABEL.exec(row);
    if (cjk && CJK.test(cjk[1]) && (row.length > cjk[0].length || r < rows.length - 1)) {
      label ??= cjk[1];
      decisions.push({ line: c.line, action: 'speaker-label', detail: 'a bracketed name before the speech became the speaker' });
      row = row.slice(cjk[0].length);
      if (!row) return;
    }
    // A leading [happy]/[sad]/[angry]/[calm] is the expressive emotion tag (--emotion-mode tags), not a sound cue.
    const tag = r === 0 ? EMOTION_TAG.exec(row)?.[0] ?? '' : '';
    row = row.slice(tag.length);
    if (!tag && WHOLE_BRACKETED.test(row)) { sound++; return; }
    const cut = row.replace(SQUARE_CUE, ' ').replace(LEADING_PAREN_CUE, '').trim();
    if (cut !== row) { sound++; row = cut; }
    if (tag) row = `${tag.trim()} ${row}`.trim();
    const verdict = r === 0 || out.length === 0 ? leadingLabel(row) : undefined;
    if (verdict && 'speaker' in verdict) {
      label ??= verdict.speaker;
      decisions.push({ line: c.line, action: 'speaker-label', detail: verdict.how === 'capitals' ? 'a leading "NAME:" label became the speaker' : 'a leading "Name:" label (a name in mixed case) became the speaker' });
      row = verdict.rest;
    } else if (verdict) {
      decisions.push({ line: c.line, action: 'label-kept', detail: `a leading "Word:" was kept as speech: ${verdict.rejected}` });
    }
    if (row) out.push(row);
  });
  return { text: out.join(' ').replace(/\s+/g, ' ').trim(), ...(label ? { label } : {}), music, sound };
}

/**
 * Whether \pos marks signs in this file: yes when at most half of the events that could be dialogue are
 * positioned, and also when most are but the file does not read like captions (a karaoke or typesetting
 * heavy file). Only caption-like files (one or two rows at a time, full sentences) place every row.
 */
function placementMarksSigns(cues: readonly RawCue[], songs: ReadonlyMap<RawCue, string>): boolean {
  const candidates = cues.filter((c) => c.ass && !c.comment && !songs.has(c) && !c.ass.drawing && !c.ass.moving
    && !styleWords(c.ass.style).some((w) => SIGN_WORD.test(w)));
  const positioningIsRare = candidates.filter((c) => c.ass!.positioned).length <= candidates.length / 2;
  return positioningIsRare || !looksLikeCaptions(candidates);
}

/** How many rows a caption shows at once, at most, for a file to read as captions. */
const CAPTION_ROWS = 2;
/** Characters (without spaces) a full sentence has at least; short replies ("うん") are allowed among them. */
const SENTENCE_CHARS = 4;

/** One or two rows on screen at a time (nearly always), mostly full sentences: captions, not effects. */
export function looksLikeCaptions(cues: readonly RawCue[]): boolean {
  if (cues.length === 0) return true;
  const starts = cues.map((c) => c.start).sort((a, b) => a - b);
  const ends = cues.map((c) => c.end).sort((a, b) => a - b);
  const onScreen = (t: number) => countAtMost(starts, t) - countAtMost(ends, t);
  const crowded = cues.filter((c) => onScreen(c.start) > CAPTION_ROWS).length;
  const sentences = cues.filter((c) => Array.from(c.text.replace(/\s+/g, '')).length >= SENTENCE_CHARS).length;
  return crowded <= cues.length * 0.1 && sentences >= cues.length / 2;
}

/** How many of the sorted values are ≤ x. */
function countAtMost(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The rows of one caption that arrive as separate events at the same instant (TV captions, stacked ASS
 * lines) are one line: one speaker says them in one breath. A row without a speaker joins one that has one.
 */
function mergeCaptions<T extends Voiced>(cues: T[], decisions: CueDecision[]): T[] {
  const out: T[] = [];
  for (const c of cues) {
    const same = out.find((o) => Math.abs(o.start - c.start) < SAME_INSTANT_SEC && (o.speaker === c.speaker || !o.speaker || !c.speaker));
    if (!same) { out.push({ ...c }); continue; }
    same.text = `${same.text} ${c.text}`;
    same.end = Math.max(same.end, c.end);
    if (!same.speaker && c.speaker) same.speaker = c.speaker;
    decisions.push({ line: c.line, action: 'merged', detail: `starts with the cue at line ${same.line} (same caption, same speaker): one line` });
  }
  return out;
}

export interface MediaFit {
  lines: Line[];
  /** Cues that start at or after the video's end: skipped before any work. */
  pastEnd?: { count: number; from: number; to: number };
  /** Lines whose end was brought back to the video's end. */
  clamped: number;
}

/** Lines inside the video: those starting past its end are dropped (counted), the rest end by its end. */
export function fitToMedia(lines: readonly Line[], durationSec: number): MediaFit {
  const inside = lines.filter((l) => l.start < durationSec);
  const past = lines.filter((l) => l.start >= durationSec);
  let clamped = 0;
  const kept = inside.map((l, index) => {
    if (l.end <= durationSec) return { ...l, index };
    clamped++;
    return { ...l, index, end: Math.round(durationSec * 1000) / 1000 };
  });
  return {
    lines: kept,
    clamped,
    ...(past.length ? { pastEnd: { count: past.length, from: Math.min(...past.map((l) => l.start)), to: Math.max(...past.map((l) => l.end)) } } : {}),
  };
}
