// The importSubtitles activity (`--subs`): the lines to dub from subtitles a person already has, and the reading
// of subtitle files other stages share (--translated-subs, streaming chunks).
import { stat } from 'node:fs/promises';
import { logWarning } from '../engines/activityContext.js';
import type { Line, LineSet, PreparedJob } from '../lib/job.js';
import { hashOf, inJob, isFresh, writeAtomic } from '../storage/artifacts.js';
import { storeLines } from './lineSets.js';
import { importWarnings, loadSubtitles, readSubtitleLines, subsSource } from './subtitleSource.js';
import { readTranscript, saveTranscript, TRANSCRIPT } from './transcribe.js';

/** A subtitle file's lines (--translated-subs, streaming chunks): decoded, classified, warnings logged. */
export async function readSubtitleFile(file: string, flag: string, opts: PreparedJob['options']['subtitles'] = {}): Promise<Line[]> {
  const { lines, warnings } = await readSubtitleLines(file, flag, opts);
  for (const w of warnings) logWarning(w);
  return lines;
}

/** Where imported subtitles' decisions are kept (report.json repeats them). */
export const SUBTITLES_JSON = 'subtitles.json';

/**
 * `--subs`: the lines to dub from subtitles a person already has (a file, or a subtitle track of the input,
 * extracted into the job's folder). prepareJob has already refused a file with no usable cue, before any work.
 */
export async function importSubtitles(prep: PreparedJob): Promise<LineSet> {
  const { job, options, media } = prep;
  const where = subsSource(options.subs!);
  const st = where.kind === 'file' ? await stat(where.file) : await stat(media.path);
  const hash = hashOf('subs-v2', options.subs, st.size, st.mtimeMs, options.subtitles, media.durationSec, options.src, options.tgt, options.translate);
  const out = inJob(job, TRANSCRIPT);
  if (await isFresh(job, out, hash)) return storeLines(job, 'lines', await readTranscript(out));
  const sub = await loadSubtitles(options, media, where.kind === 'embedded' ? inJob(job, '.') : undefined);
  const warnings = importWarnings('--subs', sub); // logged by prepareJob, before any work; recorded here
  const { lines, warnings: _w, shown: _s, ...record } = sub;
  const byReason: Record<string, number> = {};
  for (const k of sub.skipped) byReason[k.reason] = (byReason[k.reason] ?? 0) + 1;
  await writeAtomic(job, inJob(job, SUBTITLES_JSON), JSON.stringify({ ...record, voiced: lines.length, skippedByReason: byReason, warnings }, null, 2));
  await saveTranscript(prep, lines, `subtitles:${sub.source}`, hash, sub.inTarget ? { language: options.tgt, spokenAsWritten: true } : {});
  return storeLines(job, 'lines', lines);
}

