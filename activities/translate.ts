// Target lines: machine translation (apertium, argos-translate, a chat model, or Whisper's translate task),
// an imported translation, or identity (--no-translate). A glossary, when given, is enforced and reported per line.
import { mkdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { apertiumTranslator, pairName } from '../engines/apertium.js';
import { argosTranslator } from '../engines/argos.js';
import { httpBackend, llmSettingsFor, translateWithChat, type ChatBackend, type LengthReport } from '../engines/llmTranslate.js';
import { localChat, localModelFor } from '../engines/localLlm.js';
import { syllableBudget } from '../lib/syllables.js';
import { ErrorType, failure } from '../lib/errors.js';
import {
  checkLine, hasPlaceholder, protectTerms, restoreTerms, type GlossaryEntry,
} from '../lib/glossary.js';
import type { Line, LineSet, Lines, PreparedJob, TranslatedLine } from '../lib/job.js';
import { linesOf, storeLines } from './lineSets.js';
import { readSubtitleFile } from './importSubtitles.js';
import { whisperTranslate } from './whisperSteps.js';
import { loadGlossary } from '../engines/glossaryFile.js';
import { namesForEpisode, withNames } from './episodeNames.js';
import { commandLog, hashOf, inJob, isFresh, writeAtomic } from '../storage/artifacts.js';
import { apertiumPairs } from '../engines/mtEngines.js';
import { dubLanguage } from '../lib/languages.js';
import { ANALYSIS_WAV } from '../lib/artifactNames.js';

const TRANSLATED = 'translated.json';
/** extractAudio's 16 kHz mono track (AudioTracks.analysis): what Whisper's translate task listens to. */

type Translate = (texts: string[]) => Promise<string[]>;

/**
 * Runs a text engine with each glossary term swapped for a placeholder it copies through, then puts the target
 * terms back. Lines whose placeholder the engine mangled are translated again unprotected; `lost` says which terms.
 */
async function translateProtected(texts: string[], glossary: readonly GlossaryEntry[], translate: Translate): Promise<{ targets: string[]; lost: Set<string>[] }> {
  const lost = texts.map(() => new Set<string>());
  if (!glossary.length) return { targets: await translate(texts), lost };
  const prot = texts.map((t) => protectTerms(t, glossary));
  const raw = await translate(prot.map((p) => p.text));
  const targets = raw.map((t, i) => {
    const restored = restoreTerms(t, prot[i].slots);
    for (const e of restored.lost) lost[i].add(e.source);
    return restored.text;
  });
  const redo = targets.map((t, i) => (lost[i].size || hasPlaceholder(t) ? i : -1)).filter((i) => i >= 0);
  if (redo.length) {
    const again = await translate(redo.map((i) => texts[i]));
    redo.forEach((i, k) => { targets[i] = again[k]; });
  }
  return { targets, lost };
}

/**
 * Whisper segments onto the source lines: each segment goes to the line it overlaps most. A segment that is the
 * best match of several lines (the source was split where the speaker changed, the translation was not) is shared
 * among them: by its words' times when it has them, else its words in proportion to each line's overlap, so no
 * line of a reply is left without text.
 */
export function alignByOverlap(source: readonly Line[], segments: readonly Line[]): (string | undefined)[] {
  const overlap = (a: { start: number; end: number }, b: { start: number; end: number }) => Math.min(a.end, b.end) - Math.max(a.start, b.start);
  const bestOf = <T extends { start: number; end: number }>(span: { start: number; end: number }, among: readonly T[]): number => {
    let best = -1;
    let bestOverlap = 0;
    among.forEach((x, i) => {
      const o = overlap(x, span);
      if (o > bestOverlap) { best = i; bestOverlap = o; }
    });
    return best;
  };
  const parts: string[][] = source.map(() => []);
  segments.forEach((seg, s) => {
    const owner = bestOf(seg, source);
    if (owner < 0) return;
    // Lines with no better segment than this one: the owner, and any line this segment alone covers.
    const sharers = source.map((l, i) => i).filter((i) => i === owner || bestOf(source[i], segments) === s);
    if (sharers.length < 2) {
      parts[owner].push(seg.text.trim());
      return;
    }
    const lines = sharers.map((i) => source[i]);
    let pieces: string[][] = sharers.map(() => []);
    if (seg.words?.length) {
      for (const w of seg.words) pieces[Math.max(0, bestOf(w, lines))].push(w.text.trim());
    }
    // Word times that leave a line with nothing (Whisper's lean early, a reply's words land before its cut): shared
    // by overlap instead, so no line of a reply is left without text.
    if (pieces.some((p) => p.length === 0)) {
      pieces = sharers.map(() => []);
      const words = seg.text.trim().split(/\s+/);
      const shares = lines.map((l) => Math.max(0, overlap(l, seg)));
      const total = shares.reduce((x, y) => x + y, 0) || 1;
      let from = 0;
      shares.forEach((share, k) => {
        const at = Math.min(words.length, from + Math.max(1, Math.round((words.length * share) / total)));
        // A sentence end within two words of the proportional cut is where the speakers really changed.
        const ends = [0, -1, 1, -2, 2].map((d) => at + d).filter((j) => j > from && j < words.length && /[.?!…,;:]$/.test(words[j - 1]));
        const to = k === shares.length - 1 ? words.length : ends[0] ?? at;
        pieces[k].push(...words.slice(from, to));
        from = to;
      });
    }
    sharers.forEach((i, k) => { if (pieces[k].length) parts[i].push(pieces[k].join(' ')); });
  });
  return parts.map((p) => (p.length ? p.join(' ') : undefined));
}

/** Pair imported target cues with source lines: by index when the counts match, else each cue is a line. */
function pairImported(source: Line[], target: Line[]): TranslatedLine[] {
  // Speaker names may come with either file (an ASS translation often has them when the recognizer did not).
  const speakerOf = (...lines: (Line | undefined)[]) => lines.find((l) => l?.speaker)?.speaker;
  const withSpeaker = <T extends object>(line: T, speaker: string | undefined) => (speaker ? { ...line, speaker } : line);
  if (source.length === target.length) return source.map((l, i) => withSpeaker({ ...l, target: target[i].text }, speakerOf(l, target[i])));
  return target.map((t, index) => {
    const overlapping = source.filter((s) => s.start < t.end && s.end > t.start);
    const line = { index, start: t.start, end: t.end, text: overlapping.map((s) => s.text).join(' '), target: t.text };
    return withSpeaker(line, speakerOf(t, ...overlapping));
  });
}

interface MachineResult {
  targets: (string | undefined)[];
  failures: Map<number, string>;
  lost: Set<string>[];
  method: string;
  /** How a glossary term the target lacks came to be missing, for the report. */
  missReason: string;
  /** A chat model's length budget per line. */
  lengths?: (LengthReport | undefined)[];
  /** The terms enforced and reported, when more than the job's glossary (the episode's names). */
  terms?: GlossaryEntry[];
}

/** Lines as a chat model gets them: speaker, and (unless mt.lengthBudget is off) the syllables that fit the slot. */
function chatLines(prep: PreparedJob, lines: Line[]) {
  const { options } = prep;
  return lines.map((l) => ({
    text: l.text, speaker: l.speaker,
    ...(options.mt.lengthBudget && l.end > l.start ? { budget: syllableBudget(l.end - l.start, options.tgt, prep.ttsEngine) } : {}),
  }));
}

async function chatTranslate(prep: PreparedJob, lines: Line[], glossary: GlossaryEntry[], backend: ChatBackend, method: string, reasks: string): Promise<MachineResult> {
  const { job, options } = prep;
  await mkdir(inJob(job, 'tmp/mt'), { recursive: true });
  const names = await namesForEpisode(prep, lines);
  const terms = withNames(glossary, names.entries);
  const lang = { src: options.src, tgt: options.tgt, honorifics: options.mt.honorifics, names: names.cast };
  const out = await translateWithChat(backend, chatLines(prep, lines), lang, terms, inJob(job, 'tmp/mt/llm.jsonl'));
  return {
    targets: out.targets, lost: lines.map(() => new Set<string>()), failures: out.failures, lengths: out.lengths, method, terms,
    missReason: `the model left it out, also when asked again (${reasks})`,
  };
}

async function machineTranslate(prep: PreparedJob, lines: Line[], glossary: GlossaryEntry[]): Promise<MachineResult> {
  const { job, options } = prep;
  const texts = lines.map((l) => l.text);
  const none = () => lines.map(() => new Set<string>());
  switch (options.mt.engine) {
    case 'argos': {
      const { targets, lost } = await translateProtected(texts, glossary, argosTranslator(options.src, options.tgt, commandLog(job)));
      return { targets, lost, failures: new Map(), method: `argos:${options.src}-${options.tgt}`, missReason: 'argos-translate did not use it' };
    }
    case 'llm': {
      const llm = llmSettingsFor(options.mt.llm);
      return chatTranslate(prep, lines, glossary, httpBackend(llm), `llm:${llm.model}`, `mt.llm.maxReasks ${llm.maxReasks}`);
    }
    case 'local-llm': {
      const model = localModelFor(options.mt.local.model);
      const { batchSize, maxReasks, timeoutSec } = options.mt.local;
      const backend: ChatBackend = {
        label: model.name, batchSize, maxReasks,
        ask: (messages, asked) => localChat(model, messages, asked, { timeoutMs: timeoutSec * 1000 }),
      };
      return chatTranslate(prep, lines, glossary, backend, `local-llm:${model.name}`, `mt.local.maxReasks ${maxReasks}`);
    }
    case 'whisper': {
      if (options.tgt !== 'en') throw failure(ErrorType.InvalidConfig, `--mt whisper translates into English only (tgt is "${options.tgt}")`);
      const segments = await whisperTranslate(prep, ANALYSIS_WAV);
      const targets = alignByOverlap(lines, segments);
      const failures = new Map<number, string>();
      targets.forEach((t, i) => { if (t === undefined) failures.set(i, "no segment of Whisper's translation overlaps this line"); });
      return { targets, lost: none(), failures, method: 'whisper-translate', missReason: "Whisper translates from the audio, so terms cannot be protected; its translation does not use it" };
    }
    default: {
      const pair = pairName(options.src, options.tgt);
      const { targets, lost } = await translateProtected(texts, glossary, apertiumTranslator(pair, inJob(job, 'tmp/mt'), commandLog(job)));
      return { targets, lost, failures: new Map(), method: `apertium:${pair}`, missReason: 'apertium did not use it' };
    }
  }
}

/** Lines the job's engine failed go to apertium when it has the pair; otherwise the job stops naming them. */
async function fallBack(prep: PreparedJob, lines: Line[], result: MachineResult, glossary: GlossaryEntry[]): Promise<void> {
  const failed = [...result.failures.keys()].sort((a, b) => a - b);
  if (!failed.length) return;
  const pair = pairName(prep.options.src, prep.options.tgt);
  const usable = prep.options.mt.engine !== 'apertium' && (await apertiumPairs().catch((): string[] => [])).includes(pair);
  if (!usable) {
    const named = failed.map((i) => `line ${lines[i].index} (${result.failures.get(i)})`).join('; ');
    throw ApplicationFailure.create({
      type: ErrorType.EngineFailed,
      nonRetryable: true,
      message: `${result.method} gave no usable translation for ${failed.length} line${failed.length === 1 ? '' : 's'} and apertium has no ${pair} pair to fall back on: ${named}`,
    });
  }
  const again = await translateProtected(failed.map((i) => lines[i].text), glossary, apertiumTranslator(pair, inJob(prep.job, 'tmp/mt-fallback'), commandLog(prep.job)));
  failed.forEach((i, k) => {
    result.targets[i] = again.targets[k];
    result.lost[i] = again.lost[k];
  });
}

/** The translateLines activity: lines in (by reference or as a short list), translated lines out by reference. */
export async function translateLines(prep: PreparedJob, lines: Lines<Line>): Promise<LineSet> {
  return storeLines(prep.job, 'translated', await translateList(prep, await linesOf(prep.job, lines)));
}

export async function translateList(prep: PreparedJob, lines: Line[]): Promise<TranslatedLine[]> {
  const { job, options } = prep;
  const out = inJob(job, TRANSLATED);
  const importedStat = options.translatedSubs ? await stat(options.translatedSubs) : undefined;
  // Subtitles already in the target language (prepareJob settled it) are the dub script: spoken as written.
  const needsMt = lines.length > 0 && !options.translatedSubs && options.translate && options.src !== options.tgt && !prep.subsLanguage;
  const glossary = needsMt ? await loadGlossary(options.mt.glossary) : { entries: [], text: '' };
  const hash = hashOf('translate', lines, options.src, options.tgt, options.translate, options.mt, options.translatedSubs, importedStat?.mtimeMs, ...(glossary.text ? [glossary.text] : []), ...(prep.subsLanguage ? [prep.subsLanguage] : []));
  if (await isFresh(job, out, hash)) return (JSON.parse(await readFile(out, 'utf8')) as { lines: TranslatedLine[] }).lines;

  let translated: TranslatedLine[];
  let method: string;
  if (lines.length === 0) {
    translated = [];
    method = 'none (no lines)';
  } else if (options.translatedSubs) {
    translated = pairImported(lines, await readSubtitleFile(options.translatedSubs, '--translated-subs', options.subtitles));
    method = `subtitles:${path.basename(options.translatedSubs)}`;
  } else if (!needsMt) {
    translated = lines.map((l) => ({ ...l, target: l.text }));
    method = prep.subsLanguage ? `subtitles already in ${prep.subsLanguage}` : 'identity';
  } else {
    const result = await machineTranslate(prep, lines, glossary.entries);
    await fallBack(prep, lines, result, glossary.entries);
    method = result.method;
    translated = lines.map((l, i) => {
      const line: TranslatedLine = { ...l, target: result.targets[i] ?? '' };
      const failedWhy = result.failures.get(i);
      if (failedWhy) Object.assign(line, { mtFailed: failedWhy, mtEngine: `apertium:${pairName(options.src, options.tgt)}` });
      const report = checkLine(l.text, line.target, result.terms ?? glossary.entries, (e) => (
        result.lost[i].has(e.source) ? `${failedWhy ? 'apertium' : result.method.split(':')[0]} did not keep its placeholder; the line was translated without protection`
          : failedWhy ? 'the line fell back to apertium, which does not use it' : result.missReason
      ));
      if (report) line.glossary = report;
      const length = failedWhy ? undefined : result.lengths?.[i];
      if (length) line.length = length;
      return line;
    });
  }
  const language = dubLanguage(options);
  const failedLines = translated.filter((l) => l.mtFailed).map((l) => l.index);
  const summary = options.mt.glossary && needsMt ? { glossary: options.mt.glossary } : {};
  await writeAtomic(job, out, JSON.stringify({ language, method, ...summary, ...(failedLines.length ? { failedLines } : {}), lines: translated }, null, 2), hash);
  return translated;
}
