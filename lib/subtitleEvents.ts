// Which subtitle events are dialogue to dub, and which are not: fansub ASS carries songs (karaoke syllables,
// OP/ED styles), signs (typeset, positioned, drawn), comments; SDH captions carry sound cues, music marks and
// speaker labels; releases carry credits and adverts. Only dialogue is voiced; every other decision is kept
// (line number, time, reason) for subtitles.json and report.json. Pure: the workflow bundle may import it.
import type { Line } from './job.js';

/** What the ASS event says about itself (formats/subtitles.ts reads it; classification below decides on it). */
export interface AssTraits {
  style: string;
  effect: string;
  karaoke: boolean;
  drawing: boolean;
  positioned: boolean;
  moving: boolean;
}

/** One cue as the file has it (rows joined by \n, markup removed), before classification. */
export interface RawCue {
  start: number;
  end: number;
  text: string;
  speaker?: string;
  /** 1-based line of the file where the cue (its timing line, its ASS event) is. */
  line: number;
  comment?: boolean;
  ass?: AssTraits;
}

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

/** A change made to a voiced cue: its label became its speaker, a sound cue was cut from it, cues were merged. */
export interface CueDecision {
  line: number;
  action: 'speaker-label' | 'sound-removed' | 'music-removed' | 'merged';
  detail: string;
}

export interface Classified {
  lines: Line[];
  skipped: SkippedCue[];
  decisions: CueDecision[];
}

// Style names are read as words: "OP-Romaji", "ED_Kanji", "SongEng", "Signs Top", "TS 2".
const SONG_WORD = /^(?:(?:op|ed)(?:\d+|jp|en|eng|tl|rom|kan)?|opening|ending|songs?|lyrics?|romaji|kanji|kara(?:oke)?|insert|theme)$/;
const SIGN_WORD = /^(?:signs?|ts|typeset(?:ting)?|titles?|notes?|screen|eyecatch|logo|onscreen)$/;

function styleWords(style: string): string[] {
  return style.split(/[^A-Za-z0-9]+|(?<=[a-z])(?=[A-Z])/).map((w) => w.toLowerCase()).filter(Boolean);
}

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
/** "MAN:", "OLD WOMAN:", "DR. KIM:" — SDH writes names in capitals (mixed case would take "Look: …" for a name). */
const LATIN_LABEL = /^(\p{Lu}[\p{Lu}\p{N}.'’-]*(?: [\p{Lu}\p{N}.'’-]+){0,2}):\s+(?=\S)/u;
/** "(綾)", "（綾）" before Japanese/Chinese speech: the speaker, as TV captions write it. */
const CJK_LABEL = /^[(（]([^()（）\s]{1,12})[)）]\s*/;
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

/** How close two starts are to count as one caption (frame jitter of TV captions). */
const SAME_INSTANT_SEC = 0.01;

export function classifyCues(cues: readonly RawCue[], opts: ClassifyOptions = DEFAULT_CLASSIFY): Classified {
  const skipped: SkippedCue[] = [];
  const decisions: CueDecision[] = [];
  const voiced: (Omit<Line, 'index'> & { line: number })[] = [];
  const skip = (c: RawCue, reason: SkipReason, why: string) =>
    skipped.push({ line: c.line, start: c.start, end: c.end, reason, why, ...(c.ass?.style ? { style: c.ass.style } : {}) });

  const positionMeansSign = positioningIsRare(cues);
  for (const c of cues) {
    if (c.comment) { skip(c, 'comment', 'a Comment event (a note to the typesetter)'); continue; }
    const style = c.ass?.style;
    if (inList(opts.skipStyles, style)) { skip(c, 'skip-style', 'its style is in --skip-styles'); continue; }
    const chosen = inList(opts.voiceStyles, style);
    if (c.ass && !chosen) {
      const words = styleWords(c.ass.style);
      if (c.ass.karaoke) { skip(c, 'song', 'karaoke timing tags (\\k)'); continue; }
      if (/karaoke|^kara/i.test(c.ass.effect)) { skip(c, 'song', 'a karaoke effect'); continue; }
      if (words.some((w) => SONG_WORD.test(w))) { skip(c, 'song', 'a song style (OP/ED/song/romaji/kara)'); continue; }
      if (c.ass.drawing) { skip(c, 'sign', 'a drawing (\\p)'); continue; }
      if (words.some((w) => SIGN_WORD.test(w))) { skip(c, 'sign', 'a sign style'); continue; }
      if (c.speaker && styleWords(c.speaker).some((w) => SIGN_WORD.test(w))) { skip(c, 'sign', 'the actor field names a sign'); continue; }
      if (c.ass.moving) { skip(c, 'sign', 'a moving event (\\move)'); continue; }
      // Typesetters place signs with \pos and leave the actor empty; positioned dialogue names its speaker. In
      // files that place nearly every row (TV captions converted to ASS), placement says nothing.
      if (positionMeansSign && c.ass.positioned && !c.speaker) { skip(c, 'sign', 'a positioned event (\\pos) with no speaker'); continue; }
    }
    if (CREDIT.some((re) => re.test(c.text))) { skip(c, 'credit', 'a release credit or advert'); continue; }

    let speaker = c.speaker;
    const rows: string[] = [];
    let music = 0;
    let sound = 0;
    c.text.split('\n').forEach((raw, r) => {
      let row = raw.replace(/^[-–—]\s*/, '').trim();
      if (!chosen && MUSIC_MARK.test(row)) { music++; return; }
      const cjk = CJK_LABEL.exec(row);
      if (cjk && CJK.test(cjk[1]) && (row.length > cjk[0].length || r < c.text.split('\n').length - 1)) {
        if (!speaker) speaker = cjk[1];
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
      const latin = r === 0 || rows.length === 0 ? LATIN_LABEL.exec(row) : null;
      if (latin && !/^\d/.test(row.slice(latin[0].length))) {
        if (!speaker) speaker = latin[1];
        decisions.push({ line: c.line, action: 'speaker-label', detail: 'a leading "NAME:" label became the speaker' });
        row = row.slice(latin[0].length);
      }
      if (row) rows.push(row);
    });
    if (rows.length === 0) {
      if (music >= sound) skip(c, 'music', 'music marks (♪) or lyrics');
      else skip(c, 'sound', 'a sound cue in brackets');
      continue;
    }
    if (music) decisions.push({ line: c.line, action: 'music-removed', detail: `${music} row(s) of music marks or lyrics not voiced` });
    if (sound) decisions.push({ line: c.line, action: 'sound-removed', detail: `${sound} sound cue(s) in brackets not voiced` });
    voiced.push({ start: c.start, end: c.end, text: rows.join(' ').replace(/\s+/g, ' '), line: c.line, ...(speaker ? { speaker } : {}) });
  }

  const merged = mergeCaptions(voiced, decisions);
  const lines = merged
    .map((l, order) => ({ l, order }))
    .sort((a, b) => a.l.start - b.l.start || a.order - b.order)
    .map(({ l }, index) => ({ index, start: l.start, end: l.end, text: l.text, ...(l.speaker ? { speaker: l.speaker } : {}) }));
  return { lines, skipped, decisions };
}

/**
 * Whether \pos marks signs in this file: true when at most half of the events that could be dialogue (not
 * comments, karaoke, song or sign styles, drawings, moving events) are positioned.
 */
function positioningIsRare(cues: readonly RawCue[]): boolean {
  const candidates = cues.filter((c) => c.ass && !c.comment && !c.ass.karaoke && !c.ass.drawing && !c.ass.moving
    && !styleWords(c.ass.style).some((w) => SONG_WORD.test(w) || SIGN_WORD.test(w)));
  return candidates.filter((c) => c.ass!.positioned).length <= candidates.length / 2;
}

/**
 * The rows of one caption that arrive as separate events at the same instant (TV captions, stacked ASS
 * lines) are one line: one speaker says them in one breath. A row without a speaker joins one that has one.
 */
function mergeCaptions<T extends Omit<Line, 'index'> & { line: number }>(cues: T[], decisions: CueDecision[]): T[] {
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
