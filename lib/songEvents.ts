// Songs in fansub ASS, as releases ship them: not the `{\k}`-timed lines a karaoke is authored from (those are
// template or Comment events, when kept at all) but a templater's *output* — hundreds of Dialogue events, one per
// syllable or character, placed and animated, often above layer 0, many starting within hundredths of a second
// of each other, marked `fx` in the Effect field, in styles such as `OPRomaji 2`, `ED_TL` or `Kara-Romaji`.
// No single trait decides: a trait that alone says "song" (\k tags, a karaoke Effect, a song style) does; the
// weaker ones (placed or animated, above layer 0, a syllable fragment, part of a burst, under a song line, a lyric
// language tag in the style) decide together. Pure: the workflow bundle may import it.
import type { AssTraits, RawCue } from './rawCue.js';

/** A trait and whether it decides alone. */
export interface SongTrait {
  name: string;
  strong: boolean;
}

/** How many weak traits make a song (a named speaker takes one away: dialogue names who says it). */
export const WEAK_TRAITS_FOR_SONG = 3;

/** Style names read as words: "OP-Romaji", "OPRomaji 2", "ED_Kanji", "SongEng", "Signs Top", "TS 2". */
export function styleWords(style: string): string[] {
  return style.split(/[^A-Za-z0-9]+|(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=\d)/).map((w) => w.toLowerCase()).filter(Boolean);
}

const SONG_WORD = /^(?:(?:op|ed)(?:\d+|jp|jpn|en|eng|tl|rom|romaji|kan|kanji)?|opening|ending|songs?|lyrics?|romaji|kanji|kara(?:oke)?|insert|theme)$/;
/** Tags fansubs put on lyric styles, which dialogue styles also use ("Default TL"): a hint, not a verdict. */
const LYRIC_LANGUAGE_WORD = /^(?:tl|jp|jpn|eng?|rom)$/;
/** Effect fields of a karaoke: the templater's output (fx), its lines (karaoke, template, code, kara). */
const KARAOKE_EFFECT = /^(?:fx|karaoke|kara\w*|template\b.*|code\b.*|furi\w*)$/i;

/** A style named as a song's (OP, ED, song, lyrics, romaji, kanji, kara, insert, theme) anywhere in its name. */
export const songStyle = (ass: AssTraits): boolean => styleWords(ass.style).some((w) => SONG_WORD.test(w));
/** `\k`, `\kf`, `\ko`, `\K`: karaoke timing. */
export const karaokeTags = (ass: AssTraits): boolean => ass.karaoke;
/** Effect `fx`, `karaoke`, `template`, `code`: a karaoke templater made or reads this event. */
export const karaokeEffect = (ass: AssTraits): boolean => KARAOKE_EFFECT.test(ass.effect);
/** Placed or animated: \pos, \move, \t, \fad, \frx, \fscx… */
export const typeset = (ass: AssTraits): boolean => ass.positioned || ass.moving || !!ass.animated;
/** Layers above 0: a glow or shadow copy, or a highlight drawn over a syllable. */
export const upperLayer = (ass: AssTraits): boolean => (ass.layer ?? 0) > 0;
/** A lyric language tag in the style name (TL, JP, Eng). */
export const lyricLanguageStyle = (ass: AssTraits): boolean => styleWords(ass.style).some((w) => LYRIC_LANGUAGE_WORD.test(w));

/** One syllable or character: at most three letters, no space, no sentence end ("sho", "ga", "好き"; not "No.", "Eh?"). */
export function syllableFragment(text: string): boolean {
  const t = text.trim();
  return t.length > 0 && Array.from(t).length <= 3 && !/\s/.test(t) && !/[.?!…。？！]$/u.test(t);
}

/** Starts this close to the previous one chain into one burst (a templater staggers syllables by 1–5 cs). */
const BURST_STEP_SEC = 0.06;
/** Events sharing an end this closely share a line of a song. */
const SAME_END_SEC = 0.011;
/** How many short events make a burst. */
const BURST_MIN = 6;

/**
 * The cues that belong to a burst: at least BURST_MIN syllable fragments whose starts chain within hundredths
 * of a second of each other, or which all end together.
 */
export function burstMembers(cues: readonly RawCue[]): Set<RawCue> {
  const short = cues.filter((c) => c.ass && !c.comment && syllableFragment(c.text));
  const out = new Set<RawCue>();
  const byStart = [...short].sort((a, b) => a.start - b.start);
  let run: RawCue[] = [];
  const flush = () => { if (run.length >= BURST_MIN) run.forEach((c) => out.add(c)); run = []; };
  for (const c of byStart) {
    if (run.length && c.start - run[run.length - 1].start > BURST_STEP_SEC) flush();
    run.push(c);
  }
  flush();
  const byEnd = [...short].sort((a, b) => a.end - b.end);
  for (const c of byEnd) {
    if (run.length && c.end - run[0].end > SAME_END_SEC) flush();
    run.push(c);
  }
  flush();
  return out;
}

/** The traits of one ASS event that speak for a song (the file-wide ones given: burst, song lines in time). */
export function songTraits(c: RawCue & { ass: AssTraits }, inBurst: boolean, underSongLine: boolean): SongTrait[] {
  const checks: [string, boolean, boolean][] = [
    ['karaoke timing tags (\\k)', true, karaokeTags(c.ass)],
    ['a karaoke effect (Effect fx/karaoke/template/code)', true, karaokeEffect(c.ass)],
    ['a song style (OP/ED/song/romaji/kara in its name)', true, songStyle(c.ass)],
    ['placed or animated (\\pos, \\move, \\t, \\fad…)', false, typeset(c.ass)],
    ['above layer 0', false, upperLayer(c.ass)],
    ['a syllable fragment', false, syllableFragment(c.text)],
    ['one of a burst of short events', false, inBurst],
    ['under a song line', false, underSongLine],
    ['a lyric language tag in its style (TL/JP/Eng)', false, lyricLanguageStyle(c.ass)],
  ];
  return checks.filter(([, , hit]) => hit).map(([name, strong]) => ({ name, strong }));
}

/** A song when one trait decides alone, or enough weak ones agree (a named speaker speaks against it). */
export function isSong(traits: readonly SongTrait[], speaker: string | undefined): boolean {
  if (traits.some((t) => t.strong)) return true;
  return traits.length - (speaker ? 1 : 0) >= WEAK_TRAITS_FOR_SONG;
}

/** What the report says about a song decision: the traits that made it, never the event's text. */
export function songWhy(traits: readonly SongTrait[]): string {
  const strong = traits.filter((t) => t.strong);
  return (strong.length ? strong : traits).map((t) => t.name).join('; ');
}

/**
 * Every ASS event's song verdict. Two passes: the events a trait marks alone, then the rest, where lying under
 * (overlapping) a song line in time is one more trait for a fragment.
 */
export function songEvents(cues: readonly RawCue[], voiced: (c: RawCue) => boolean): Map<RawCue, string> {
  const burst = burstMembers(cues);
  const out = new Map<RawCue, string>();
  const pending: (RawCue & { ass: AssTraits })[] = [];
  for (const c of cues) {
    if (!c.ass || c.comment || voiced(c)) continue;
    const ass = c as RawCue & { ass: AssTraits };
    const traits = songTraits(ass, burst.has(c), false);
    if (traits.some((t) => t.strong)) out.set(c, songWhy(traits));
    else pending.push(ass);
  }
  const underSong = overlapTest([...out.keys()]);
  for (const c of pending) {
    const under = syllableFragment(c.text) && underSong(c);
    const traits = songTraits(c, burst.has(c), under);
    if (isSong(traits, c.speaker)) out.set(c, songWhy(traits));
  }
  return out;
}

/** Whether a cue overlaps any of `spans` in time: sorted once, then a binary search per question (files hold 10⁴ events). */
export function overlapTest(spans: readonly { start: number; end: number }[]): (c: { start: number; end: number }) => boolean {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  const maxEnd: number[] = [];
  sorted.forEach((s, i) => maxEnd.push(Math.max(s.end, i ? maxEnd[i - 1] : -Infinity)));
  return (c) => {
    let lo = 0;
    let hi = sorted.length; // the first span starting at or after c.end
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid].start < c.end) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 && maxEnd[lo - 1] > c.start;
  };
}
