// The episode's names as glossary terms with one spelling each: speaker names (subtitles, the series cast), and
// from the Japanese transcript the katakana names and the names joined to an honorific (さん, ちゃん, 君/くん, 先生,
// 先輩, 様). Kana are romanized by hand in simplified Hepburn, the spelling of English anime subtitles (ソウタ →
// Sota, not Souta or Sōta). A kanji name needs a reading we do not have: it becomes a term only when a known name
// gives it (the series' names file), else it is left to the model with the cast list. Pure: storage keeps the
// series' file, the activity runs the engines.
import { termsIn, type GlossaryEntry } from './glossary.js';

export type HonorificPolicy = 'keep' | 'adapt';

/** A name of the episode: its written form in the source (if known), its one spelling, and where it came from. */
export interface NameTerm {
  /** As written in the source language (ユイ, 田中); undefined for a speaker name seen only romanized. */
  source?: string;
  /** The one spelling (Hepburn, capitalised). */
  target: string;
  from: 'series' | 'speaker' | 'cast' | 'transcript';
  /** A name with its honorific (ソウタ君): spelled by the job's policy, so not kept across the series. */
  honorific?: boolean;
}

const HIRAGANA: Record<string, string> = {
  あ: 'a', い: 'i', う: 'u', え: 'e', お: 'o',
  か: 'ka', き: 'ki', く: 'ku', け: 'ke', こ: 'ko', が: 'ga', ぎ: 'gi', ぐ: 'gu', げ: 'ge', ご: 'go',
  さ: 'sa', し: 'shi', す: 'su', せ: 'se', そ: 'so', ざ: 'za', じ: 'ji', ず: 'zu', ぜ: 'ze', ぞ: 'zo',
  た: 'ta', ち: 'chi', つ: 'tsu', て: 'te', と: 'to', だ: 'da', ぢ: 'ji', づ: 'zu', で: 'de', ど: 'do',
  な: 'na', に: 'ni', ぬ: 'nu', ね: 'ne', の: 'no',
  は: 'ha', ひ: 'hi', ふ: 'fu', へ: 'he', ほ: 'ho', ば: 'ba', び: 'bi', ぶ: 'bu', べ: 'be', ぼ: 'bo',
  ぱ: 'pa', ぴ: 'pi', ぷ: 'pu', ぺ: 'pe', ぽ: 'po',
  ま: 'ma', み: 'mi', む: 'mu', め: 'me', も: 'mo', や: 'ya', ゆ: 'yu', よ: 'yo',
  ら: 'ra', り: 'ri', る: 'ru', れ: 're', ろ: 'ro', わ: 'wa', ゐ: 'i', ゑ: 'e', を: 'o', ん: 'n', ゔ: 'vu',
  ぁ: 'a', ぃ: 'i', ぅ: 'u', ぇ: 'e', ぉ: 'o', ゃ: 'ya', ゅ: 'yu', ょ: 'yo', ゎ: 'wa',
};
/** きゃ → kya, しゃ → sha, ちゃ → cha, じゃ → ja; ファ → fa, ティ → ti (katakana spellings of loan sounds). */
const YOON: Record<string, string> = { ゃ: 'a', ゅ: 'u', ょ: 'o' };
const SMALL_VOWEL: Record<string, string> = { ぁ: 'a', ぃ: 'i', ぅ: 'u', ぇ: 'e', ぉ: 'o' };

const toHiragana = (s: string) => s.replace(/[\u30A1-\u30F6]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0x60));

/**
 * Kana → simplified Hepburn: long vowels written once (おう, うう, おお and ー), っ doubles the next consonant
 * (っち → tchi), ん stays n. Anything that is not kana is dropped. Lower case.
 */
export function kanaToRomaji(kana: string): string {
  const chars = [...toHiragana(kana)];
  let out = '';
  let double = false;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    const next = chars[i + 1];
    if (c === 'っ') { double = true; continue; }
    if (c === 'ー') continue; // the long mark lengthens the vowel before: written once
    let syl = HIRAGANA[c];
    if (syl === undefined) continue;
    if (next && YOON[next] && /i$/.test(syl) && syl.length > 1) {
      // きゃ kya; しゃ sha, ちゃ cha, じゃ ja (the i is dropped, not turned into y)
      syl = /^(shi|chi|ji)$/.test(syl) ? syl.slice(0, -1) + YOON[next] : syl.slice(0, -1) + 'y' + YOON[next];
      i++;
    } else if (next && SMALL_VOWEL[next] && syl.length > 1) {
      syl = syl.replace(/[aiueo]$/, '').replace(/^(ts|f|v)u$/, '$1') + SMALL_VOWEL[next];
      if (syl === 'tei') syl = 'ti';
      i++;
    }
    if (double) {
      syl = syl.startsWith('ch') ? `t${syl}` : syl[0] + syl;
      double = false;
    }
    out += syl;
  }
  // Long vowels written once, as English subtitles spell names: Souta → Sota, Yuuki → Yuki, Oono → Ono.
  return out.replace(/ou/g, 'o').replace(/oo/g, 'o').replace(/uu/g, 'u');
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Honorifics after a name, as written, and their romanized suffix under `keep`. Longer forms first. */
export const HONORIFICS: readonly { ja: string; keep: string }[] = [
  { ja: 'ちゃん', keep: '-chan' }, { ja: 'さん', keep: '-san' }, { ja: 'くん', keep: '-kun' }, { ja: '君', keep: '-kun' },
  { ja: '先生', keep: '-sensei' }, { ja: '先輩', keep: '-senpai' }, { ja: 'せんぱい', keep: '-senpai' }, { ja: '様', keep: '-sama' }, { ja: 'さま', keep: '-sama' },
];
const HONORIFIC_RE = HONORIFICS.map((h) => h.ja).join('|');

/** A name as the comparison sees it: lower case, no marks, long vowels once, no spaces or hyphens. */
export function nameKey(romanized: string): string {
  return romanized.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/[^a-z]/g, '')
    .replace(/ou/g, 'o').replace(/oo/g, 'o').replace(/oh(?![aiueo])/g, 'o').replace(/uu/g, 'u');
}

const KATAKANA_RUN = /[\u30A1-\u30FAー]{2,}/gu;
/** Where a vocative or a name said alone starts and ends: a line edge or punctuation. */
const CLAUSE_EDGE = /^$|[、。！？!?,.…\s「」『』]$/u;
const CLAUSE_EDGE_AFTER = /^$|^[、。！？!?,.…\s「」『』]/u;

export interface FoundName {
  source: string;
  /** The name without its honorific. */
  base: string;
  honorific?: (typeof HONORIFICS)[number];
}

/**
 * Names in Japanese lines: a katakana run or a kanji run joined to an honorific (タケシくん, 田中先生), a katakana
 * run that is a known speaker's name (ユイ when a speaker is Yui), and a katakana run said alone as a clause (ねえ、
 * アオイ。), short and without a long mark so loanwords like ケーキ！ are not taken for names.
 */
export function findJapaneseNames(texts: readonly string[], knownKeys: ReadonlySet<string> = new Set()): FoundName[] {
  const found = new Map<string, FoundName>();
  const add = (n: FoundName) => { if (!found.has(n.source)) found.set(n.source, n); };
  for (const text of texts) {
    for (const m of text.matchAll(new RegExp(`([\\u30A1-\\u30FAー]{2,}|\\p{Script=Han}{1,4}?)(${HONORIFIC_RE})`, 'gu'))) {
      const base = m[1];
      // A kanji run before an honorific may be a word (今日先生が…): harmless, since a kanji name becomes a term
      // only when the series' names give its reading.
      if (base === '先' || base === '先生') continue;
      add({ source: m[0], base, honorific: HONORIFICS.find((h) => h.ja === m[2]) });
    }
    for (const m of text.matchAll(KATAKANA_RUN)) {
      const run = m[0];
      const before = text.slice(0, m.index);
      const after = text.slice(m.index + run.length);
      if (knownKeys.has(nameKey(kanaToRomaji(run)))) { add({ source: run, base: run }); continue; }
      const alone = CLAUSE_EDGE.test(before.slice(-1)) && CLAUSE_EDGE_AFTER.test(after.slice(0, 1));
      if (alone && !/[ーッ]/u.test(run) && [...run].length <= 4) add({ source: run, base: run });
    }
  }
  return [...found.values()];
}

/** The spelling of a name with its honorific under the policy: Sota-kun (keep) or Sota (adapt). */
export function withHonorific(name: string, honorific: FoundName['honorific'], policy: HonorificPolicy): string {
  if (!honorific || policy === 'adapt') return name;
  return `${name}${honorific.keep}`;
}

export interface NameSources {
  /** Romanized (or kanji) speaker names from the subtitles and the series cast. */
  speakers?: readonly string[];
  /** The series' names file: source form → spelling, fixed by an earlier episode or by hand. */
  series?: readonly GlossaryEntry[];
  /** The Japanese transcript lines. */
  transcript?: readonly string[];
  honorifics?: HonorificPolicy;
}

const HAS_LATIN = /^[\p{Script=Latin}][\p{Script=Latin}\s'.-]*$/u;

/**
 * The episode's names: glossary entries (source form → one spelling, longest first) and the romanized cast list
 * the translator is shown. A series spelling wins over a speaker's, a speaker's over a romanization; a kanji name
 * with no known reading is left out.
 */
export function episodeNames(src: NameSources): { entries: GlossaryEntry[]; cast: string[]; terms: NameTerm[] } {
  const policy = src.honorifics ?? 'keep';
  const spelled = new Map<string, string>(); // nameKey → spelling
  const bySource = new Map<string, string>(); // source form → spelling
  for (const e of src.series ?? []) {
    bySource.set(e.source, e.target);
    spelled.set(nameKey(e.target), e.target);
  }
  const cast: string[] = [];
  for (const s of src.speakers ?? []) {
    const name = s.trim();
    if (!name || name.length > 40) continue;
    if (HAS_LATIN.test(name)) {
      if (!spelled.has(nameKey(name))) spelled.set(nameKey(name), name);
      if (!cast.includes(spelled.get(nameKey(name))!)) cast.push(spelled.get(nameKey(name))!);
    }
  }
  const terms: NameTerm[] = (src.series ?? []).map((e) => ({ source: e.source, target: e.target, from: 'series' as const }));
  for (const n of findJapaneseNames(src.transcript ?? [], new Set(spelled.keys()))) {
    let base = bySource.get(n.base);
    let from: NameTerm['from'] = 'series';
    if (!base) {
      if (!/^[\u30A1-\u30FAー]+$/u.test(n.base)) continue; // kanji: no reading known
      const romaji = kanaToRomaji(n.base);
      if (!romaji) continue;
      base = spelled.get(nameKey(romaji));
      from = base ? 'speaker' : 'transcript';
      base ??= capital(romaji);
    }
    if (!terms.some((t) => t.source === n.base)) terms.push({ source: n.base, target: base, from });
    if (n.honorific) terms.push({ source: n.source, target: withHonorific(base, n.honorific, policy), from, honorific: true });
  }
  for (const name of cast) if (!terms.some((t) => t.target === name)) terms.push({ target: name, from: 'speaker' });
  const entries = terms.filter((t): t is NameTerm & { source: string } => !!t.source)
    .map((t) => ({ source: t.source, target: t.target }))
    .sort((a, b) => b.source.length - a.source.length);
  return { entries, cast: [...new Set([...cast, ...terms.map((t) => t.target.replace(/-\w+$/, ''))])], terms };
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Forms a model writes for a romanized name: long vowels doubled or marked, split in two (Souta, Sōta, Tan aka). */
function variantPattern(name: string): RegExp {
  const letters = [...nameKey(name)];
  const body = letters.map((ch, i) => {
    const vowel = ch === 'o' ? '(?:o[uoh]?|ō|ô)' : ch === 'u' ? '(?:uu?|ū|û)' : ch === 'a' ? '(?:a|ā)' : ch === 'e' ? '(?:e|ē)' : ch === 'i' ? '(?:i|ī)' : escape(ch);
    return i < letters.length - 1 ? `${vowel}[ -]?` : vowel;
  }).join('');
  return new RegExp(`(?<![\\p{L}])${body}(?:[- ]?(?:san|chan|kun|senpai|sensei|sama))?(?![\\p{L}])`, 'giu');
}

/**
 * A translation with each name of its source line spelled as the glossary says: a variant the model wrote (Souta,
 * Sōta, Tan aka, Sota-Kun, Sota without the -kun the policy keeps) is replaced by the spelling. Names the
 * translation does not contain in any form are left for the re-ask.
 */
export function respellNames(translation: string, source: string, entries: readonly GlossaryEntry[]): string {
  let out = translation;
  // termsIn: ソウタ inside ソウタ君 is not a term of its own, so the bare spelling does not undo Sota-kun.
  for (const e of termsIn(source, entries)) {
    if (new RegExp(`(?<![\\p{L}])${escape(e.target)}(?![\\p{L}-])`, 'u').test(out)) continue;
    const base = e.target.replace(/-(?:san|chan|kun|senpai|sensei|sama)$/, '');
    if (!/^[A-Z][a-z]+$/.test(base)) continue; // only romanized names have the variants above
    out = out.replace(variantPattern(base), e.target);
  }
  return out;
}

/** At most this many characters of names go to Whisper: hotwords take part of its 448-token prompt window. */
export const HOTWORDS_MAX_CHARS = 200;
const HINTABLE = /^[\p{L}][\p{L}\p{M}' .-]{0,29}$/u;

/**
 * Names for Whisper's hotwords: written as the recognizer should write them (the Japanese forms for a Japanese
 * transcript, the spellings for English), each a plain name (letters, no markup, no digits: a diarizer's
 * SPEAKER_01 is not a name), deduplicated, joined with commas, capped at HOTWORDS_MAX_CHARS. Undefined if none.
 */
export function hotwordsOf(names: readonly string[]): string | undefined {
  const kept: string[] = [];
  let length = 0;
  for (const raw of names) {
    const name = raw.trim();
    if (!HINTABLE.test(name) || kept.includes(name)) continue;
    if (length + name.length + 2 > HOTWORDS_MAX_CHARS) break;
    kept.push(name);
    length += name.length + 2;
  }
  return kept.length ? kept.join(', ') : undefined;
}

/** The job's glossary with the names it does not already give (its own spelling wins), longest first. */
export function withNames(glossary: readonly GlossaryEntry[], names: readonly GlossaryEntry[]): GlossaryEntry[] {
  const given = new Set(glossary.map((e) => e.source.toLowerCase()));
  return [...glossary, ...names.filter((n) => !given.has(n.source.toLowerCase()))].sort((a, b) => b.source.length - a.source.length);
}
