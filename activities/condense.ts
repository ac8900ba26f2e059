// Before synthesis: lines clearly too long for their slot (estimated from syllables, even at fit.maxSpeed) are
// condensed, so the dub says the line rather than a sped-up, cut-off version of it. Rules first
// (lib/condense.ts); an LLM rewrite after them when one is configured (see `llmCondenser`).
import type { Condensing, PreparedJob, TranslatedLine } from '../lib/job.js';
import { condenseText } from '../lib/condense.js';
import { parseEmotionTag } from '../lib/prosody.js';
import { estimateSpeechSec } from '../lib/syllables.js';
import { engineRateFor, MIN_AUDIBLE_SEC, needsCondensing, slotFor } from '../lib/timingFit.js';
import { hashOf, inJob, isFresh, writeAtomic } from './artifacts.js';
import { readFile } from 'node:fs/promises';

const CONDENSED = 'condensed.json';

/**
 * Hook for an LLM rewrite: given a line, its language and the seconds it must fit (at a typical speaking rate),
 * a shorter line that says the same, or undefined. Wired when an LLM endpoint (mt.llm.baseUrl) and its chat
 * helper exist; until then condensing is by rules only.
 */
export type LlmCondenser = (prep: PreparedJob, text: string, lang: string, targetSec: number) => Promise<string | undefined>;
let llmCondenser: LlmCondenser | undefined;

export function setLlmCondenser(fn: LlmCondenser | undefined): void {
  llmCondenser = fn;
}

export async function condenseLines(prep: PreparedJob, lines: TranslatedLine[]): Promise<TranslatedLine[]> {
  const { job, options, media } = prep;
  const out = inJob(job, CONDENSED);
  const lang = options.translate ? options.tgt : options.src;
  const hash = hashOf('condense', lines, lang, media.durationSec, options.fit, options.review?.overrides, !!llmCondenser);
  if (await isFresh(job, out, hash)) return (JSON.parse(await readFile(out, 'utf8')) as { lines: TranslatedLine[] }).lines;

  const starts = lines.map((l) => l.start);
  const edited = options.review?.overrides?.edits ?? {};
  const result: TranslatedLine[] = [];
  for (const [i, line] of lines.entries()) {
    const slot = slotFor(starts, i, media.durationSec, options.fit.guardMs, MIN_AUDIBLE_SEC);
    const slotSec = slot.end - slot.start;
    // A leading [happy]/[sad]/… is direction for the voice, not words: kept as it is, never "condensed" away.
    const tag = parseEmotionTag(line.target);
    const words = tag.text;
    const prefix = line.target.slice(0, line.target.length - words.length);
    const before = estimateSpeechSec(words, lang);
    const budget = slotSec * options.fit.maxSpeed;
    let spoken = words;
    let rules: string[] = [];
    // A person's own wording (a review edit) is theirs: it is said as written.
    if (needsCondensing(before, slotSec, options.fit.maxSpeed) && edited[String(line.index)]?.text === undefined) {
      const byRules = condenseText(words, lang, budget);
      spoken = byRules.text;
      rules = byRules.rules;
      if (llmCondenser && byRules.estimatedSec > budget) {
        const rewritten = (await llmCondenser(prep, spoken, lang, budget))?.trim();
        if (rewritten && estimateSpeechSec(rewritten, lang) < byRules.estimatedSec) {
          spoken = rewritten;
          rules = [...rules, 'llm'];
        }
      }
    }
    const after = spoken === words ? before : estimateSpeechSec(spoken, lang);
    const next: TranslatedLine = { ...line };
    if (spoken !== words) {
      const condensed: Condensing = { from: line.target, to: prefix + spoken, rules, estimatedSec: { from: round3(before), to: round3(after), slot: round3(slotSec) } };
      next.target = condensed.to;
      next.condensed = condensed;
    }
    const rate = engineRateFor(after, slotSec, options.fit.maxSpeed);
    if (rate > 1) next.rateHint = rate;
    result.push(next);
  }
  await writeAtomic(job, out, JSON.stringify({ language: lang, lines: result }, null, 2), hash);
  return result;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
