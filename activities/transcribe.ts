// The transcribe activity: source lines by speech recognition (pocketsphinx on energy-cut utterances, or a Whisper
// engine). Subtitles a person already has come in through ./importSubtitles.ts instead.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { logWarning } from '../engines/activityContext.js';
import { jobAsrEngine } from '../engines/asrEngines.js';
import type { Recognition } from '../engines/asrRun.js';
import { ErrorType, failure } from '../lib/errors.js';
import type { AudioTracks, Line, LineSet, PreparedJob } from '../lib/job.js';
import { commandLog, hashOf, hostRequestLog, inJob, isFresh, writeAtomic } from '../storage/artifacts.js';
import { storeLines } from './lineSets.js';

export const TRANSCRIPT = 'transcript.json';

export async function readTranscript(abs: string): Promise<Line[]> {
  return (JSON.parse(await readFile(abs, 'utf8')) as { lines: Line[] }).lines;
}

/** `extra` (a Whisper engine's detected language, dropped segments, warnings) goes before the lines. */
export async function saveTranscript(prep: PreparedJob, lines: Line[], source: string, hash: string, extra: Record<string, unknown> = {}): Promise<void> {
  await writeAtomic(prep.job, inJob(prep.job, TRANSCRIPT), JSON.stringify({ language: prep.options.src, source, ...extra, lines }, null, 2), hash);
}

/**
 * Lines of one 16 kHz mono WAV (times relative to its start) by the job's asr.engine. Shared by the whole-file
 * job and by streaming chunks (which pass their context window).
 */
export async function recognizeLines(prep: PreparedJob, analysisAbs: string, durationSec: number, workRel: string): Promise<Line[]> {
  return (await recognize(prep, analysisAbs, durationSec, workRel)).lines;
}

/** The job's recognizer through its record's adapter (engines/asrEngines.ts). */
export async function recognize(prep: PreparedJob, analysisAbs: string, durationSec: number, workRel: string): Promise<Recognition> {
  const { job, options } = prep;
  return jobAsrEngine(options).recognize({
    prep, wavAbs: analysisAbs, durationSec, workDir: inJob(job, workRel), commandLog: commandLog(job), hostLog: hostRequestLog(job),
  });
}

export async function transcribe(prep: PreparedJob, audio: AudioTracks): Promise<LineSet> {
  const { job, options } = prep;
  const out = inJob(job, TRANSCRIPT);
  const analysis = inJob(job, audio.analysis);
  const st = await stat(analysis);
  const engine = jobAsrEngine(options);
  const hash = hashOf('transcribe', st.size, st.mtimeMs, ...engine.transcriptKey(options));
  if (await isFresh(job, out, hash)) return storeLines(job, 'lines', await readTranscript(out));

  const rec = await recognize(prep, analysis, prep.media.durationSec, 'tmp/asr');
  for (const w of rec.warnings) logWarning(w);
  const name = path.basename(prep.media.path);
  if (rec.lines.length === 0) {
    throw failure(ErrorType.InvalidMedia, `no speech recognized in ${name} (${engine.nothingHeard(options, rec)}); give the lines with --subs FILE`);
  }
  await saveTranscript(prep, rec.lines, rec.engine, hash, engine.transcriptNotes(options, rec));
  return storeLines(job, 'lines', rec.lines);
}
