// Condensing a line that is clearly too long for its slot, by rules that do not change what it says: asides in
// brackets, fillers and interjections, stutters and repeated words. Each rule runs only while the line still
// does not fit, gentlest first, so a line that fits after dropping an "um" keeps its parenthetical.
import { estimateSpeechSec } from './syllables.js';

export type CondenseRule = 'parentheticals' | 'fillers' | 'repeats';

export interface Condensed {
  text: string;
  /** Rules that changed the text, in the order they ran. */
  rules: CondenseRule[];
  estimatedSec: number;
}

/** Fillers said at the start or end of a clause, or set off by commas; they carry no meaning of their own. */
const FILLERS: Readonly<Record<string, string[]>> = {
  en: ['you know', 'i mean', 'you see', 'kind of', 'sort of', 'like', 'well', 'so', 'basically', 'actually', 'literally', 'anyway', 'okay', 'ok', 'right'],
  es: ['o sea', 'es decir', 'sabes', 'ya sabes', 'mira', 'oye', 'pues', 'bueno', 'este', 'vale', 'en plan', 'la verdad'],
  fr: ['tu sais', 'tu vois', 'vous savez', 'en fait', 'du coup', 'genre', 'bon', 'ben', 'bah', 'alors', 'quoi', 'enfin'],
  de: ['weißt du', 'weisst du', 'ich meine', 'also', 'naja', 'na ja', 'halt', 'eben', 'sozusagen', 'quasi'],
  it: ['sai', 'cioè', 'allora', 'insomma', 'tipo', 'diciamo', 'ecco', 'vabbè', 'beh'],
  pt: ['sabe', 'tipo', 'então', 'né', 'olha', 'bem', 'quer dizer', 'pois é'],
};

/** Interjections: dropped wherever they stand as a word of their own. */
const INTERJECTIONS: Readonly<Record<string, string[]>> = {
  en: ['um+', 'uh+', 'u+m+', 'e+r+m*', 'a+h+', 'o+h+', 'h+m+', 'mm+', 'huh', 'eh'],
  es: ['e+h+', 'a+h+', 'o+h+', 'u+m+', 'mm+', 'ehm+'],
  fr: ['euh+', 'e+h+', 'a+h+', 'o+h+', 'hm+', 'mm+', 'hein'],
  de: ['ä+h+m*', 'e+h+', 'a+h+', 'o+h+', 'hm+', 'mm+'],
  it: ['e+h+m*', 'a+h+', 'o+h+', 'mm+', 'uhm+'],
  pt: ['é+h+', 'a+h+', 'o+h+', 'hum+', 'mm+', 'ué'],
};

/** Japanese and Chinese hesitations, when followed by a pause mark (あの人 is "that person", not a filler). */
const CJK_FILLERS: Readonly<Record<string, string[]>> = {
  ja: ['ええと', 'えっと', 'えーと', 'えー', 'あのー?', 'そのー?', 'まあ', 'なんか', 'うーん', 'あー'],
  zh: ['那个', '这个', '就是', '嗯', '呃', '然后'],
};

/** Condense `text` until it is estimated to fit `targetSec` (no target: apply every rule). */
export function condenseText(text: string, lang: string, targetSec = 0): Condensed {
  const l = lang.toLowerCase().split(/[-_]/)[0];
  const steps: [CondenseRule, (t: string) => string][] = [
    ['parentheticals', dropParentheticals],
    ['fillers', (t) => dropFillers(t, l)],
    ['repeats', collapseRepeats],
  ];
  let current = text.trim();
  const rules: CondenseRule[] = [];
  for (const [rule, apply] of steps) {
    if (targetSec > 0 && estimateSpeechSec(current, l) <= targetSec) break;
    const next = tidy(apply(current));
    // A rule that would leave nothing to say (the whole line was "Um..." or "(laughs)") is not applied.
    if (next !== current && /[\p{L}\p{N}]/u.test(next)) {
      current = next;
      rules.push(rule);
    }
  }
  if (rules.length && /^[¡¿"'«]?\p{Lu}/u.test(text.trim())) current = current.replace(/^([¡¿"'«]?)(\p{Ll})/u, (_, p: string, c: string) => p + c.toUpperCase());
  return { text: current, rules, estimatedSec: estimateSpeechSec(current, l) };
}

function dropParentheticals(t: string): string {
  return t
    .replace(/\s*[([（［【][^()[\]（）［］【】]*[)\]）］】]/gu, '')
    .replace(/\s*—[^—]+—\s*/gu, ' ');
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function dropFillers(t: string, lang: string): string {
  let out = t;
  const cjk = CJK_FILLERS[lang];
  if (cjk) {
    const alt = cjk.join('|');
    return out.replace(new RegExp(`(?:${alt})[、，,…ー]+\\s*`, 'gu'), '');
  }
  const inter = INTERJECTIONS[lang] ?? INTERJECTIONS.en;
  // The interjection patterns are regex fragments (um+ matches "ummm"); the fillers are literal phrases.
  out = out.replace(new RegExp(`(^|[\\s,;¡¿(])(?:${inter.join('|')})(?![\\p{L}\\p{N}])[,.!?…]*`, 'giu'), '$1');
  const fillers = (FILLERS[lang] ?? []).map((f) => f.split(' ').map(escape).join('\\s+'));
  if (fillers.length) {
    const alt = fillers.join('|');
    // At the start of a clause, followed by a comma: "Well, I…", "…, you know, it…"
    out = out.replace(new RegExp(`(?<=(?:^|[,;.!?¡¿…])\\s*)(?:${alt})\\s*,\\s*`, 'giu'), '');
    // A tag question takes its question mark with it: "we should go, right?" → "we should go."
    out = out.replace(new RegExp(`,\\s*¿?(?:${alt})\\s*\\?`, 'giu'), '.');
    // At the end of a clause, after a comma: "…it's late, you know."
    out = out.replace(new RegExp(`,\\s*(?:${alt})(?=\\s*(?:[.!?…;,]|$))`, 'giu'), '');
  }
  return out;
}

/** "I-I", "W-wait" (stutters) and "no, no, no" or "the the" (repeated words) say it once. */
function collapseRepeats(t: string): string {
  return t
    .replace(/(?<![\p{L}\p{N}])(\p{L}{1,3})-(?=\1)/giu, '')
    .replace(/(?<![\p{L}\p{N}])(\p{L}+)(?:[\s,]+\1)+(?![\p{L}\p{N}])/giu, '$1');
}

/** Spacing and punctuation left behind by a removal. */
function tidy(t: string): string {
  return t
    .replace(/\s+/g, ' ')
    .replace(/\s+([,.!?;:…])/g, '$1')
    .replace(/([,;])(?:\s*[,;])+/g, '$1')
    .replace(/^[\s,;:—-]+/, '')
    .replace(/[\s,;:—-]+$/, '')
    .replace(/,([.!?…])/g, '$1')
    .replace(/([¡¿])\s+/g, '$1')
    .trim();
}
