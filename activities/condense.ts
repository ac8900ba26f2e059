// Before synthesis: lines clearly too long for their slot (estimated from syllables, even at fit.maxSpeed) are
// condensed (unless fit.condense is off), so the dub says the line rather than a sped-up, cut-off version of it.
// Rules first (lib/condense.ts); then the job's chat model when its translator has one (its record's `chat`). Each line
// also gets the rate to ask of an engine with a rate knob. After synthesis, reviseLine says a line once more.
import { fitOf } from '../lib/jobFit.js';
import { readFile } from 'node:fs/promises';
import { CancelledFailure } from '@temporalio/common';
import { jobMtEngine } from '../engines/mtEngines.js';
import { condenseText } from '../lib/condense.js';
import { spokenText, type Condensing, type LineSet, type Lines, type PreparedJob, type TranslatedLine } from '../lib/job.js';
import { linesOf, storeLines } from './lineSets.js';
import type { ChatMessage } from '../lib/llmProtocol.js';
import { parseEmotionTag } from '../lib/prosody.js';
import { engineSpeechSec, estimateSpeechSec as estimateAtPersonRate, syllablesPerSec } from '../lib/syllables.js';
import { engineRateFor, MIN_AUDIBLE_SEC, needsCondensing, RATE_KNOB_ENGINES, slotsOf, type Slot } from '../lib/timingFit.js';
import { hashOf, inJob, isFresh, writeAtomic } from '../storage/artifacts.js';
import { dubLanguage } from '../lib/languages.js';

const CONDENSED = 'condensed.json';

/**
 * An LLM rewrite, after the rules: given a line, its language and the seconds it must fit (at a typical speaking
 * rate), a shorter line that says the same, or undefined.
 */
export type LlmCondenser = (prep: PreparedJob, text: string, lang: string, targetSec: number) => Promise<string | undefined>;

/**
 * The job's own chat model, when its translator is one (engines/mtEngines.ts `chat`: mt.engine llm with its endpoint).
 * A failing model never fails the line: the rules' version is said instead.
 */
const jobLlm: LlmCondenser = async (prep, text, lang, targetSec) => {
  const chat = jobChat(prep);
  if (!chat) return undefined;
  const maxSyllables = Math.max(1, Math.floor(targetSec * syllablesPerSec(lang)));
  const messages: ChatMessage[] = [
    {
      role: 'system',
      content: 'You shorten one line of dubbed dialogue so it can be said in the time the character speaks. Keep its meaning, '
        + 'tone, register and language; drop filler, repetition and redundancy; never add anything. Answer with JSON only: {"line": "..."}',
    },
    { role: 'user', content: JSON.stringify({ language: lang, maxSyllables, line: text }) },
  ];
  try {
    const value = await chat.askJson(messages);
    const line = (value as { line?: unknown } | undefined)?.line;
    return typeof line === 'string' && line.trim() ? line.trim() : undefined;
  } catch (e) {
    if (e instanceof CancelledFailure) throw e;
    return undefined;
  }
};
/** What an LLM rewrite depends on, for the artifact hash: nothing when the job has no chat model. */
const llmKey = (prep: PreparedJob) => jobChat(prep)?.key;
function jobChat(prep: PreparedJob) {
  return jobMtEngine(prep.options).chat?.(prep.options);
}

/** The condenseLines activity: the lines as they will be spoken, by reference. */
export async function condenseLines(prep: PreparedJob, lines: Lines<TranslatedLine>): Promise<LineSet> {
  return storeLines(prep.job, 'spoken', await condenseList(prep, await linesOf(prep.job, lines)));
}

export async function condenseList(prep: PreparedJob, lines: TranslatedLine[]): Promise<TranslatedLine[]> {
  const { job, options, media, ttsEngine } = prep;
  const fit = fitOf(prep); // --fit-video auto: condensed for the speech cap, the picture slows for the rest
  const out = inJob(job, CONDENSED);
  const lang = dubLanguage(options);
  // Estimated as this job's synthesizer speaks (espeak-ng is ~1.25× slower than a person), at its rate.
  const speechSec = (text: string) => engineSpeechSec(text, lang, ttsEngine, options.tts.espeakSpeed);
  const hash = hashOf('condense', lines, lang, media.durationSec, fit, options.tts, ttsEngine, options.review?.overrides, llmKey(prep));
  if (await isFresh(job, out, hash)) return withRevisions(prep, (JSON.parse(await readFile(out, 'utf8')) as { lines: TranslatedLine[] }).lines);

  const slotOf = slotsOf(lines, media.durationSec, fit.guardMs, MIN_AUDIBLE_SEC);
  const edited = options.review?.overrides?.edits ?? {};
  const result: TranslatedLine[] = [];
  for (const [i, line] of lines.entries()) {
    // The slot dubLines gives the line (per speaker when several speak).
    const slot = slotOf(i);
    const slotSec = slot.end - slot.start;
    // A leading [happy]/[sad]/… is direction for the voice, not words: kept as it is, never "condensed" away.
    const said = spokenText(line);
    const tag = parseEmotionTag(said);
    const words = tag.text;
    const prefix = said.slice(0, said.length - words.length);
    const before = speechSec(words);
    const budget = slotSec * fit.maxSpeed;
    let spoken = words;
    let rules: string[] = [];
    // A person's own wording (a review edit) is theirs: it is said as written.
    if (fit.condense !== false && needsCondensing(before, slotSec, fit.maxSpeed) && edited[String(line.index)]?.text === undefined) {
      // condenseText estimates at a person's rate: its budget is scaled the same way.
      const scale = before > 0 ? estimateAtPersonRate(words, lang) / before : 1;
      const byRules = condenseText(words, lang, budget * scale);
      spoken = byRules.text;
      rules = byRules.rules;
      if (speechSec(byRules.text) > budget) {
        const rewritten = (await jobLlm(prep, spoken, lang, budget * scale))?.trim();
        if (rewritten && speechSec(rewritten) < speechSec(byRules.text)) {
          spoken = rewritten;
          rules = [...rules, 'llm'];
        }
      }
    }
    const after = spoken === words ? before : speechSec(spoken);
    const next: TranslatedLine = { ...line };
    if (spoken !== words) {
      const condensed: Condensing = { from: said, to: prefix + spoken, rules, estimatedSec: { from: round3(before), to: round3(after), slot: round3(slotSec) } };
      next.spoken = condensed.to;
      next.condensed = condensed;
    }
    const rate = engineRateFor(after, slotSec, fit.maxSpeed);
    if (rate > 1) next.rateHint = rate;
    result.push(next);
  }
  await writeAtomic(job, out, JSON.stringify({ language: lang, lines: result }, null, 2), hash);
  return withRevisions(prep, result);
}

/**
 * After synthesis, once per line: a clip still too long for its slot at the fastest speed left is condensed
 * further, aiming at what the clip says rather than at an estimate; and an engine with its own rate knob
 * (espeak-ng, piper) is asked for the speed the clip needs, which sounds better than time-stretching it after.
 * Undefined when neither helps (the fit then stretches and cuts). The revision is kept in
 * tmp/revised/NNNN.json, so the next render of the same line starts from it (one synthesis, not two).
 */
export async function reviseLine(prep: PreparedJob, line: TranslatedLine, clipSec: number, slot: Slot, engineRate = 1): Promise<TranslatedLine | undefined> {
  const { job, options } = prep;
  const lang = dubLanguage(options);
  const speechSec = (text: string) => engineSpeechSec(text, lang, prep.ttsEngine, options.tts.espeakSpeed);
  const slotSec = slot.end - slot.start;
  if (slotSec <= 0 || clipSec <= 0) return undefined;
  const fit = fitOf(prep);
  const { maxSpeed } = fit;
  // How long the engine takes at its normal rate, and the speed that would fit it.
  const natural = clipSec * engineRate;
  const needed = natural / slotSec;
  const said = spokenText(line);
  const words = parseEmotionTag(said).text;
  const prefix = said.slice(0, said.length - words.length);
  let spoken = words;
  let rules: string[] = [];
  const edited = options.review?.overrides?.edits?.[String(line.index)]?.text !== undefined;
  if (fit.condense !== false && needed > maxSpeed && !edited) {
    // The words must shrink by as much as the clip is too long, at whatever rate they are said.
    const target = estimateAtPersonRate(words, lang) / Math.min(needed / maxSpeed, 100);
    const byRules = condenseText(words, lang, target);
    spoken = byRules.text;
    rules = byRules.rules;
    if (byRules.estimatedSec > target) {
      const rewritten = (await jobLlm(prep, spoken, lang, target))?.trim();
      if (rewritten && estimateAtPersonRate(rewritten, lang) < byRules.estimatedSec) {
        spoken = rewritten;
        rules = [...rules, 'llm'];
      }
    }
  }
  const shrink = spoken === words ? 1 : estimateAtPersonRate(spoken, lang) / Math.max(1e-6, estimateAtPersonRate(words, lang));
  const wanted = (natural * shrink) / slotSec;
  const rate = RATE_KNOB_ENGINES.includes(prep.ttsEngine) ? Math.round(Math.min(maxSpeed, Math.max(1, wanted)) * 1000) / 1000 : engineRate;
  const rateChanged = Math.abs(rate - engineRate) >= MIN_RATE_CHANGE;
  if (spoken === words && !rateChanged) return undefined;

  const revised: TranslatedLine = { ...line, revised: true };
  if (rateChanged) {
    if (rate > 1) revised.rateHint = rate;
    else delete revised.rateHint;
  }
  if (spoken !== words) {
    const to = prefix + spoken;
    revised.spoken = to;
    revised.condensed = {
      from: line.condensed?.from ?? said,
      to,
      rules: [...(line.condensed?.rules ?? []), ...rules.map((r) => `${r} (after synthesis)`)],
      estimatedSec: { from: round3(line.condensed?.estimatedSec.from ?? speechSec(words)), to: round3(speechSec(spoken)), slot: round3(slotSec) },
    };
  }
  await writeAtomic(job, inJob(job, revisionFile(line.index)), JSON.stringify({ key: revisionKey(prep, line), line: revised }, null, 2));
  return revised;
}

/** A rate change smaller than this is not worth saying the line again. */
const MIN_RATE_CHANGE = 0.02;

const revisionFile = (index: number) => `tmp/revised/${String(index).padStart(4, '0')}.json`;

/** What a revision was made from: the same line, said the same way, gets the same revision. */
function revisionKey(prep: PreparedJob, line: TranslatedLine): string {
  const { options } = prep;
  return hashOf('revise', line.index, line.start, line.end, spokenText(line), line.rateHint ?? 1, fitOf(prep), options.tts, dubLanguage(options), prep.ttsEngine, prep.voices);
}

/** The line as revised after an earlier synthesis, where that revision was made from exactly this line. */
export async function savedRevision(prep: PreparedJob, line: TranslatedLine): Promise<TranslatedLine | undefined> {
  const saved = await readFile(inJob(prep.job, revisionFile(line.index)), 'utf8').then((t) => JSON.parse(t) as { key: string; line: TranslatedLine }, () => undefined);
  return saved && saved.key === revisionKey(prep, line) ? saved.line : undefined;
}

async function withRevisions(prep: PreparedJob, lines: TranslatedLine[]): Promise<TranslatedLine[]> {
  return Promise.all(lines.map(async (line) => (await savedRevision(prep, line)) ?? line));
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
