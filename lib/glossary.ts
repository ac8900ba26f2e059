// A glossary of names and terms the translation must keep: parsing, matching, placeholder protection and the
// per-line report written into translated.json. Pure: the activity reads the file and runs the engines.

export interface GlossaryEntry {
  source: string;
  target: string;
}

export interface GlossaryMiss {
  term: string;
  reason: string;
}

/** Per line: which source terms occur (applied), which the target holds (enforced), and which not, with why. */
export interface GlossaryReport {
  applied: string[];
  enforced: string[];
  missed: GlossaryMiss[];
}

export class GlossaryError extends Error {}

/**
 * `source<TAB>target` per line; `#` starts a comment line; blank lines skipped. A longer source term wins over a
 * shorter one it contains (sorted longest first), so "Hidden Leaf Village" is matched before "Leaf".
 */
export function parseGlossary(text: string, name = 'glossary'): GlossaryEntry[] {
  const entries: GlossaryEntry[] = [];
  const seen = new Map<string, number>();
  const problems: string[] = [];
  text.replace(/^\uFEFF/, '').split(/\r?\n/).forEach((raw, n) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const cols = raw.split('\t').map((c) => c.trim());
    if (cols.length < 2 || !cols[0] || !cols[1]) {
      // What was found, never the text: the file is the job's choice and may not be a glossary at all.
      problems.push(`line ${n + 1}: expected "source term<TAB>target term" (found ${cols.length < 2 ? 'no tab' : 'an empty term'})`);
      return;
    }
    const key = cols[0].toLowerCase();
    if (seen.has(key)) {
      problems.push(`line ${n + 1}: its source term is already defined on line ${seen.get(key)}`);
      return;
    }
    seen.set(key, n + 1);
    entries.push({ source: cols[0], target: cols[1] });
  });
  if (problems.length) {
    const shown = problems.slice(0, 5).join('; ');
    throw new GlossaryError(`${name}: ${shown}${problems.length > 5 ? `; and ${problems.length - 5} more lines` : ''}`);
  }
  return entries.sort((a, b) => b.source.length - a.source.length);
}

// Scripts written without spaces: a term there matches inside a run of letters; elsewhere only as a whole word.
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Thai}]/u;
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function termPattern(term: string, flags = 'giu'): RegExp {
  const wordEdge = (ch: string) => /[\p{L}\p{N}]/u.test(ch) && !UNSPACED.test(ch);
  const before = wordEdge(term[0]) ? '(?<![\\p{L}\\p{N}])' : '';
  const after = wordEdge(term[term.length - 1]) ? '(?![\\p{L}\\p{N}])' : '';
  return new RegExp(`${before}${escape(term)}${after}`, flags);
}

export function containsTerm(text: string, term: string): boolean {
  return termPattern(term, 'iu').test(text);
}

/** Entries whose source term occurs in the text; a term inside a longer matched term does not count again. */
export function termsIn(text: string, glossary: readonly GlossaryEntry[]): GlossaryEntry[] {
  let rest = text;
  const found: GlossaryEntry[] = [];
  for (const entry of glossary) {
    const re = termPattern(entry.source);
    if (re.test(rest)) {
      found.push(entry);
      rest = rest.replace(termPattern(entry.source), ' ');
    }
  }
  return found;
}

/**
 * Placeholders rule-based and neural engines pass through untouched as an unknown capitalised word
 * (apertium -u copies it; argos usually does). Digits are inside so no engine inflects it.
 */
export const placeholder = (n: number) => `ZXQ${n}QZ`;
const PLACEHOLDER_RE = /Z\s*X\s*Q\s*(\d+)\s*Q\s*Z/giu;

export interface Protected {
  text: string;
  /** Placeholder number → entry. */
  slots: GlossaryEntry[];
}

/** Source text with each glossary term replaced by a placeholder the engine copies through. */
export function protectTerms(text: string, glossary: readonly GlossaryEntry[]): Protected {
  const slots: GlossaryEntry[] = [];
  let out = text;
  for (const entry of termsIn(text, glossary)) {
    const n = slots.length;
    slots.push(entry);
    out = out.replace(termPattern(entry.source), placeholder(n));
  }
  return { text: out, slots };
}

/** Puts the target terms back; `lost` lists slots whose placeholder the engine did not keep. */
export function restoreTerms(translated: string, slots: readonly GlossaryEntry[]): { text: string; lost: GlossaryEntry[] } {
  const kept = new Set<number>();
  const text = translated.replace(PLACEHOLDER_RE, (whole, n: string) => {
    const entry = slots[Number(n)];
    if (!entry) return whole;
    kept.add(Number(n));
    return entry.target;
  });
  return { text, lost: slots.filter((_, i) => !kept.has(i)) };
}

export function hasPlaceholder(text: string): boolean {
  return new RegExp(PLACEHOLDER_RE.source, 'iu').test(text);
}

/**
 * Checks one translated line: every source term found must have its target term in the target.
 * `why` explains a miss (what the engine did), defaulting to a plain statement.
 */
export function checkLine(source: string, target: string, glossary: readonly GlossaryEntry[], why?: (e: GlossaryEntry) => string): GlossaryReport | undefined {
  const found = termsIn(source, glossary);
  if (!found.length) return undefined;
  const report: GlossaryReport = { applied: found.map((e) => e.source), enforced: [], missed: [] };
  for (const e of found) {
    if (containsTerm(target, e.target)) report.enforced.push(e.source);
    else report.missed.push({ term: e.source, reason: why?.(e) ?? `the translation does not contain "${e.target}"` });
  }
  return report;
}

/** Glossary lines for a prompt: only the entries that occur in the given source texts. */
export function glossaryFor(texts: readonly string[], glossary: readonly GlossaryEntry[]): GlossaryEntry[] {
  const used = new Set<GlossaryEntry>();
  for (const t of texts) for (const e of termsIn(t, glossary)) used.add(e);
  return glossary.filter((e) => used.has(e));
}
