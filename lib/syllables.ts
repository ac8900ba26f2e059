// How long a line takes to say, estimated before any synthesis: syllables (morae for Japanese, characters for
// Chinese) over a typical speaking rate. Rough by design: it only has to tell "clearly too long" from "fine".

/**
 * Typical syllables per second of read speech (Pellegrino, Coupé & Marsico 2011, "A cross-language perspective
 * on speech information rate"; ja counted in morae). Languages not listed use the default.
 */
export const SYLLABLES_PER_SEC: Readonly<Record<string, number>> = {
  ja: 7.84, es: 7.82, fr: 7.18, it: 6.99, pt: 6.9, en: 6.19, de: 5.97, zh: 5.18, ko: 7.0,
};
const DEFAULT_RATE = 6.5;

/** Pauses a speaker (and a synthesizer) makes at punctuation. */
const CLAUSE_PAUSE_SEC = 0.12;
const SENTENCE_PAUSE_SEC = 0.25;

export function syllablesPerSec(lang: string): number {
  return SYLLABLES_PER_SEC[baseLang(lang)] ?? DEFAULT_RATE;
}

function baseLang(lang: string): string {
  return lang.toLowerCase().split(/[-_]/)[0];
}

const HAN = /\p{Script=Han}/u;
const KANA = /[\p{Script=Hiragana}\p{Script=Katakana}ー]/u;
/** Small kana fuse with the one before (きょ is one mora); small っ/ッ is a mora of its own. */
const SMALL_KANA = /[ゃゅょぁぃぅぇぉゎャュョァィゥェォヮㇰ-ㇿ]/u;
const HANGUL = /\p{Script=Hangul}/u;
/** An average on-yomi/kun-yomi reading of one kanji, in morae. */
const MORAE_PER_KANJI = 1.7;

/**
 * Syllables (morae for ja) in `text`, for the given language: vowel groups with English and Romance rules for
 * letters, a mora per kana (small kana fused), a syllable per hangul or hanzi, ~1.7 morae per kanji, 1.5 per
 * digit. The one count for the length budget (estimates, the LLM's targets) and for prosody's speaking rate.
 */
export function countSyllables(text: string, lang: string): number {
  const l = baseLang(lang);
  let n = 0;
  let latin = '';
  const flushLatin = () => {
    n += latinSyllables(latin, l);
    latin = '';
  };
  for (const ch of text) {
    if (HAN.test(ch)) {
      flushLatin();
      n += l === 'ja' ? MORAE_PER_KANJI : 1;
    } else if (KANA.test(ch)) {
      flushLatin();
      if (!SMALL_KANA.test(ch) || ch === 'っ' || ch === 'ッ') n += 1;
    } else if (HANGUL.test(ch)) {
      flushLatin();
      n += 1;
    } else {
      latin += ch;
    }
  }
  flushLatin();
  return Math.round(n * 10) / 10;
}

const VOWELS: Record<string, RegExp> = {
  de: /[aeiouyäöü]+/g,
  fr: /[aeiouyàâäéèêëîïôöùûüÿœæ]+/g,
};
const ANY_VOWELS = /[aeiouyàáâãäåæèéêëìíîïòóôõöøùúûüýÿœаеёиоуыэюяіїєαεηιουω]+/g;
/** Spanish and its neighbours: weak vowels (i, u, y) glide next to another vowel; two strong ones split (po-e-ta). */
const ROMANCE = new Set(['es', 'it', 'pt', 'ca', 'gl', 'ro', 'oc']);
const ROMANCE_VOWELS = /[aeiouyáéíóúàèìòùâêôãõüï]+/g;
const ROMANCE_STRONG = /[aeoáéíóúàèìòùâêôãõ]/g;
/** "don't", "don’t": one word. */
const APOSTROPHES = /['’ʼ]/g;

/** Spoken digits: about one syllable and a half per digit ("twenty-three", "veintitrés"). */
const SYLLABLES_PER_DIGIT = 1.5;

function latinSyllables(chunk: string, lang: string): number {
  let n = 0;
  for (const raw of chunk.normalize('NFC').toLowerCase().split(/[^\p{L}\p{N}'’ʼ]+/u)) {
    if (!raw) continue;
    const digits = raw.replace(/\P{N}/gu, '').length;
    const word = raw.replace(APOSTROPHES, '').replace(/\p{N}/gu, '');
    n += digits * SYLLABLES_PER_DIGIT;
    if (word) n += wordSyllables(word, lang);
  }
  return n;
}

function wordSyllables(word: string, lang: string): number {
  if (lang === 'en') return englishSyllables(word);
  if (ROMANCE.has(lang)) return romanceSyllables(word);
  let groups = (word.match(VOWELS[lang] ?? ANY_VOWELS) ?? []).length;
  // Written vowels that are not said: French "parle", "parles", "parlent".
  if (lang === 'fr' && groups > 1 && /[^aeiouy](e|es|ent)$/.test(word)) groups -= 1;
  return Math.max(1, groups);
}

function englishSyllables(word: string): number {
  const w = word.replace(/^y(?=[aeiou])/, ''); // "yes": a leading y is a consonant
  let n = w.match(/[aeiouy]+/g)?.length ?? 0;
  if (n > 1) {
    if (/[^aeiouy]e$/.test(w) && !/[^aeiouy]le$/.test(w)) n -= 1; // make, there (but table)
    else if (/(?:[^aeiouytd]|y)ed$/.test(w)) n -= 1; // jumped, played (but wanted)
    else if (/[^aeiouysxzcgh]es$/.test(w)) n -= 1; // makes (but boxes, pages, watches)
  }
  return Math.max(1, n);
}

function romanceSyllables(word: string): number {
  let n = 0;
  for (const group of word.match(ROMANCE_VOWELS) ?? []) n += Math.max(1, group.match(ROMANCE_STRONG)?.length ?? 0);
  return Math.max(1, n);
}

/** Seconds a speaker of `lang` takes for `text` at a typical rate, punctuation pauses included. */
export function estimateSpeechSec(text: string, lang: string): number {
  const syllables = countSyllables(text, lang);
  if (syllables === 0) return 0;
  const body = text.trim().replace(/[.!?…。！？]+$/u, '');
  const clauses = (body.match(/[,;:、，；：—]/gu) ?? []).length;
  const sentences = (body.match(/[.!?…。！？]+(?=\s|\p{L})/gu) ?? []).length;
  return syllables / syllablesPerSec(lang) + clauses * CLAUSE_PAUSE_SEC + sentences * SENTENCE_PAUSE_SEC;
}

/**
 * How much slower than a typical speaker an embedded synthesizer talks: its measured length over
 * estimateSpeechSec, edge silence trimmed (espeak-ng 1.51 at 165 wpm and festival with cmu_us_slt_arctic_hts, three
 * sentences per language, measured with this estimate). Engines not listed (piper, XTTS: trained on people) count as 1.1.
 */
const ENGINE_SLOWNESS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  'espeak-ng': { en: 1.25, es: 1.32, fr: 1.26, de: 1.26, it: 1.22, pt: 1.19, ja: 1.03, zh: 1.87, default: 1.25 },
  festival: { default: 1.27 },
};
const TRAINED_VOICE_SLOWNESS = 1.1;
/** The espeak-ng rate the slowness above was measured at (its default, and the job's tts.espeakSpeed default). */
const ESPEAK_MEASURED_WPM = 165;

/** Seconds `engine` is expected to take for `text`, before it has said a word (espeakWpm: its -s rate). */
export function engineSpeechSec(text: string, lang: string, engine: string, espeakWpm = ESPEAK_MEASURED_WPM): number {
  const table = ENGINE_SLOWNESS[engine];
  const slowness = table ? (table[baseLang(lang)] ?? table.default) : TRAINED_VOICE_SLOWNESS;
  const rate = engine === 'espeak-ng' && espeakWpm > 0 ? ESPEAK_MEASURED_WPM / espeakWpm : 1;
  return estimateSpeechSec(text, lang) * slowness * rate;
}

/** Share of a slot that is voice (the rest: breaths and the pauses at punctuation). */
const VOICED_SHARE = 0.9;

/**
 * Syllables per second of the dub voices themselves, first to last voiced sample, pauses at punctuation included
 * (the way a line's slot is measured). Measured by scripts/calibrateSpeechRate.ts on the project's reference
 * dialogue (59 English lines, 13 Spanish), 2026-12-06, at the engine's own pace (rate 1): the budget a line gets is
 * its slot × this rate. piper: en_US-joe-medium (543 syllables in 124.2 s; median line 4.27). Kokoro: jf_alpha
 * (en 543 in 116.2 s, median line 4.72; es 192 in 37.2 s, median line 5.05); its other voices were not measured.
 */
export const VOICE_SYLLABLES_PER_SEC: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  piper: { en: 4.37 },
  kokoro: { en: 4.67, es: 5.16 },
};

/**
 * Syllables of `lang` that `engine` says in `slotSec`: the length a translation should aim for so its clip fits
 * the source line's slot without slowing down or speeding up. From the voice's measured rate where there is one,
 * else a typical speaker's rate and the engine's slowness.
 */
export function syllableBudget(slotSec: number, lang: string, engine: string): number {
  const measured = VOICE_SYLLABLES_PER_SEC[engine]?.[baseLang(lang)];
  if (measured) return Math.max(2, Math.round(Math.max(0, slotSec) * measured));
  const table = ENGINE_SLOWNESS[engine];
  const slowness = table ? (table[baseLang(lang)] ?? table.default) : TRAINED_VOICE_SLOWNESS;
  return Math.max(2, Math.round((Math.max(0, slotSec) * VOICED_SHARE * syllablesPerSec(lang)) / slowness));
}
