// Before synthesis: lines clearly too long for their slot (estimated from syllables, even at fit.maxSpeed) are
// condensed, so the dub says the line rather than a sped-up, cut-off version of it. Rules first
// (lib/condense.ts); an LLM rewrite after them when one is configured (see `llmCondenser`).
import type { Condensing, PreparedJob, TranslatedLine } from '../lib/job.js';
import { condenseText } from '../lib/condense.js';
import { parseEmotionTag } from '../lib/prosody.js';
import { engineSpeechSec, estimateSpeechSec as estimateAtPersonRate } from '../lib/syllables.js';
import { engineRateFor, MIN_AUDIBLE_SEC, needsCondensing, slotFor, type Slot } from '../lib/timingFit.js';
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
  const { job, options, media, ttsEngine } = prep;
  const out = inJob(job, CONDENSED);
  const lang = options.translate ? options.tgt : options.src;
  // Estimated as this job's synthesizer speaks (espeak-ng is ~1.25× slower than a person), at its rate.
  const speechSec = (text: string) => engineSpeechSec(text, lang, ttsEngine, options.tts.espeakSpeed);
  const hash = hashOf('condense', lines, lang, media.durationSec, options.fit, options.tts, ttsEngine, options.review?.overrides, !!llmCondenser);
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
    const before = speechSec(words);
    const budget = slotSec * options.fit.maxSpeed;
    let spoken = words;
    let rules: string[] = [];
    // A person's own wording (a review edit) is theirs: it is said as written.
    if (needsCondensing(before, slotSec, options.fit.maxSpeed) && edited[String(line.index)]?.text === undefined) {
      // condenseText estimates at a person's rate: its budget is scaled the same way.
      const scale = before > 0 ? estimateAtPersonRate(words, lang) / before : 1;
      const byRules = condenseText(words, lang, budget * scale);
      spoken = byRules.text;
      rules = byRules.rules;
      if (llmCondenser && speechSec(byRules.text) > budget) {
        const rewritten = (await llmCondenser(prep, spoken, lang, budget * scale))?.trim();
        if (rewritten && speechSec(rewritten) < speechSec(byRules.text)) {
          spoken = rewritten;
          rules = [...rules, 'llm'];
        }
      }
    }
    const after = spoken === words ? before : speechSec(spoken);
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

/**
 * After synthesis: a line whose clip still overflows its slot at the fastest speed left (`prep.options.fit.maxSpeed`
 * as the workflow passes it) is condensed once more, aiming at what the clip says rather than at an estimate.
 * Undefined when nothing more can go (the workflow then keeps the clip and the fit cuts it).
 */
export async function condenseLine(prep: PreparedJob, line: TranslatedLine, clipSec: number, slot: Slot): Promise<TranslatedLine | undefined> {
  const { options } = prep;
  const lang = options.translate ? options.tgt : options.src;
  const speechSec = (text: string) => engineSpeechSec(text, lang, prep.ttsEngine, options.tts.espeakSpeed);
  const slotSec = slot.end - slot.start;
  const overflow = slotSec > 0 ? clipSec / (slotSec * options.fit.maxSpeed) : Infinity;
  if (overflow <= 1 || options.review?.overrides?.edits?.[String(line.index)]?.text !== undefined) return undefined;
  const words = parseEmotionTag(line.target).text;
  const prefix = line.target.slice(0, line.target.length - words.length);
  // The clip is `overflow` times too long: the words must shrink by as much, at whatever rate they are said.
  const target = estimateAtPersonRate(words, lang) / Math.min(overflow, 100);
  const byRules = condenseText(words, lang, target);
  let spoken = byRules.text;
  let rules: string[] = byRules.rules;
  if (llmCondenser && byRules.estimatedSec > target) {
    const rewritten = (await llmCondenser(prep, spoken, lang, target))?.trim();
    if (rewritten && estimateAtPersonRate(rewritten, lang) < byRules.estimatedSec) {
      spoken = rewritten;
      rules = [...rules, 'llm'];
    }
  }
  if (spoken === words) return undefined;
  const to = prefix + spoken;
  const before = line.condensed?.estimatedSec.from ?? speechSec(words);
  return {
    ...line,
    target: to,
    condensed: {
      from: line.condensed?.from ?? line.target,
      to,
      rules: [...(line.condensed?.rules ?? []), ...rules.map((r) => `${r} (after synthesis)`)],
      estimatedSec: { from: round3(before), to: round3(speechSec(spoken)), slot: round3(slotSec) },
    },
  };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
