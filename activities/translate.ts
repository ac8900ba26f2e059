// Target lines: machine translation (apertium, argos-translate, a chat model, or Whisper's translate task),
// an imported translation, or identity (--no-translate). A glossary, when given, is enforced and reported per line.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { ErrorType } from '../lib/errors.js';
import { checkLine, type GlossaryEntry } from '../lib/glossary.js';
import type { Line, LineSet, Lines, PreparedJob, TranslatedLine } from '../lib/job.js';
import { linesOf, storeLines } from './lineSets.js';
import { readSubtitleFile } from './importSubtitles.js';
import { whisperTranslate } from './whisperSteps.js';
import { loadGlossary } from '../engines/glossaryFile.js';
import { commandLog, hashOf, inJob, isFresh, writeAtomic } from '../storage/artifacts.js';
import { jobMtEngine, mtEngine, mtFallback } from '../engines/mtEngines.js';
import { namesForEpisode } from './episodeNames.js';
import { NO_STORES, type WorkerStores } from '../storage/workerStores.js';
import type { MtResult } from '../engines/mtRun.js';
import { dubLanguage } from '../lib/languages.js';
import { ANALYSIS_WAV } from '../lib/artifactNames.js';

const TRANSLATED = 'translated.json';

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

/** The job's translator through its record's adapter (engines/mtEngines.ts). */
async function machineTranslate(prep: PreparedJob, lines: Line[], glossary: GlossaryEntry[], stores: WorkerStores): Promise<MtResult> {
  const { job, options } = prep;
  return jobMtEngine(options).translate({
    prep, lines, glossary, workDir: inJob(job, 'tmp/mt'), commandLog: commandLog(job),
    audioTranslation: () => whisperTranslate(prep, ANALYSIS_WAV),
    names: () => namesForEpisode(prep, lines, stores.mirror),
  });
}

/** Lines the job's engine failed go to the fallback translator (mtFallback) when it can take them; otherwise the job stops naming them. */
async function fallBack(prep: PreparedJob, lines: Line[], result: MtResult, glossary: GlossaryEntry[]): Promise<void> {
  const failed = [...result.failures.keys()].sort((a, b) => a - b);
  if (!failed.length) return;
  const fallback = await mtFallback(prep.options);
  if (fallback.unavailable) {
    const named = failed.map((i) => `line ${lines[i].index} (${result.failures.get(i)})`).join('; ');
    throw ApplicationFailure.create({
      type: ErrorType.EngineFailed,
      nonRetryable: true,
      message: `${result.method} gave no usable translation for ${failed.length} line${failed.length === 1 ? '' : 's'} and ${fallback.unavailable}: ${named}`,
    });
  }
  const again = await mtEngine(fallback.name).translate({
    prep, lines: failed.map((i) => lines[i]), glossary, workDir: inJob(prep.job, 'tmp/mt-fallback'), commandLog: commandLog(prep.job),
    audioTranslation: () => whisperTranslate(prep, ANALYSIS_WAV),
  });
  failed.forEach((i, k) => {
    result.targets[i] = again.targets[k];
    result.lost[i] = again.lost[k];
  });
}

/** The translateLines activity: lines in (by reference or as a short list), translated lines out by reference. */
export async function translateLines(prep: PreparedJob, lines: Lines<Line>, stores: WorkerStores = NO_STORES): Promise<LineSet> {
  return storeLines(prep.job, 'translated', await translateList(prep, await linesOf(prep.job, lines), stores));
}

export async function translateList(prep: PreparedJob, lines: Line[], stores: WorkerStores = NO_STORES): Promise<TranslatedLine[]> {
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
    const result = await machineTranslate(prep, lines, glossary.entries, stores);
    await fallBack(prep, lines, result, glossary.entries);
    const fallback = await mtFallback(options);
    method = result.method;
    translated = lines.map((l, i) => {
      const line: TranslatedLine = { ...l, target: result.targets[i] ?? '' };
      const failedWhy = result.failures.get(i);
      if (failedWhy) Object.assign(line, { mtFailed: failedWhy, mtEngine: fallback.label });
      const report = checkLine(l.text, line.target, result.terms ?? glossary.entries, (e) => (
        result.lost[i].has(e.source) ? `${failedWhy ? fallback.name : result.method.split(':')[0]} did not keep its placeholder; the line was translated without protection`
          : failedWhy ? `the line fell back to ${fallback.name}, which does not use it` : result.missReason
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
