// The transcribe activity: source lines by speech recognition (pocketsphinx on energy-cut utterances, or a Whisper
// engine). Subtitles a person already has come in through ./importSubtitles.ts instead.
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { logWarning } from '../engines/activityContext.js';
import { silencedetectArgv } from '../engines/ffmpeg.js';
import { batchArgv, parseHypseg, wordsToText } from '../engines/pocketsphinx.js';
import { VAD_SETTINGS } from '../engines/voiceActivity.js';
import { isWhisperEngine } from '../engines/whisper.js';
import { ErrorType, failure } from '../lib/errors.js';
import type { AudioTracks, Line, LineSet, PreparedJob, Word } from '../lib/job.js';
import { parseSilencedetect, speechRegions, type Region } from '../lib/speechRegions.js';
import { wavHeader } from '../lib/wav.js';
import { withWav } from '../engines/wavFile.js';
import { commandLog, hashOf, inJob, isFresh, writeAtomic } from '../storage/artifacts.js';
import { recognizeWithWhisper, type Recognition } from './whisperSteps.js';
import { run } from '../engines/run.js';
import { storeLines } from './lineSets.js';

export const TRANSCRIPT = 'transcript.json';
/** Context kept around each utterance so the recognizer hears its onset and release. */
const PAD_SEC = 0.15;

export async function readTranscript(abs: string): Promise<Line[]> {
  return (JSON.parse(await readFile(abs, 'utf8')) as { lines: Line[] }).lines;
}

/** `extra` (a Whisper engine's detected language, dropped segments, warnings) goes before the lines. */
export async function saveTranscript(prep: PreparedJob, lines: Line[], source: string, hash: string, extra: Record<string, unknown> = {}): Promise<void> {
  await writeAtomic(prep.job, inJob(prep.job, TRANSCRIPT), JSON.stringify({ language: prep.options.src, source, ...extra, lines }, null, 2), hash);
}

/** Cut each region out of the 16 kHz mono WAV into its own file (positional reads: no full load). */
async function cutSegments(wavAbs: string, regions: Region[], dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  return withWav(wavAbs, async ({ fmt, totalFrames, readFrames }) => {
    const ids: string[] = [];
    for (const [i, r] of regions.entries()) {
      const from = Math.max(0, Math.floor((r.start - PAD_SEC) * fmt.sampleRate));
      const to = Math.min(totalFrames, Math.ceil((r.end + PAD_SEC) * fmt.sampleRate));
      const pcm = await readFrames(from, to - from);
      const id = `u${String(i).padStart(4, '0')}`;
      await writeFile(path.join(dir, `${id}.wav`), Buffer.concat([wavHeader(fmt.sampleRate, fmt.channels, fmt.bitsPerSample, pcm.length), pcm]));
      ids.push(id);
    }
    return ids;
  });
}

/** Below this much speech a second recognizer costs more (its own model load, ~0.4 s) than it saves. */
const MIN_SPEECH_PER_PIECE_SEC = 10;

/**
 * Contiguous pieces of the segment list with about equal speech each: one per core, and only when each piece
 * has at least MIN_SPEECH_PER_PIECE_SEC of speech (short inputs and streaming chunks stay one piece).
 */
export function recognitionPieces(durations: readonly number[], cores: number): number[][] {
  const total = durations.reduce((s, d) => s + d, 0);
  const count = Math.max(1, Math.min(cores, Math.floor(total / MIN_SPEECH_PER_PIECE_SEC), durations.length));
  const pieces: number[][] = Array.from({ length: count }, () => []);
  let acc = 0;
  durations.forEach((d, i) => {
    const k = Math.min(count - 1, Math.floor(((acc + d / 2) * count) / total));
    pieces[k].push(i);
    acc += d;
  });
  return pieces.filter((p) => p.length > 0);
}

/**
 * pocketsphinx_batch over the segments: one process for short inputs; for long ones, one process per piece,
 * all at once (pocketsphinx uses one core; each piece loads the model itself). Every process is awaited before
 * a failure is reported, so none is left running.
 */
async function recognizeSegments(ids: string[], regions: Region[], workDir: string, log: string): Promise<Map<string, Word[]>> {
  const segDir = path.join(workDir, 'segments');
  const pieces = recognitionPieces(regions.map((r) => r.end - r.start + 2 * PAD_SEC), availableParallelism());
  const names = pieces.length === 1 ? [''] : pieces.map((_, k) => `.${k}`);
  const settled = await Promise.allSettled(pieces.map(async (piece, k) => {
    const ctl = path.join(workDir, `segments${names[k]}.ctl`);
    await writeFile(ctl, piece.map((i) => ids[i]).join('\n') + '\n');
    const hypseg = path.join(workDir, `segments${names[k]}.hypseg`);
    await run(batchArgv(ctl, segDir, hypseg), { timeoutMs: 60 * 60_000, recordTo: log });
    return parseHypseg(await readFile(hypseg, 'utf8'));
  }));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return new Map(settled.flatMap((s) => [...(s as PromiseFulfilledResult<Map<string, Word[]>>).value]));
}

/**
 * Lines of one 16 kHz mono WAV (times relative to its start) by the job's asr.engine. Shared by the whole-file
 * job and by streaming chunks (which pass their context window).
 */
export async function recognizeLines(prep: PreparedJob, analysisAbs: string, durationSec: number, workRel: string): Promise<Line[]> {
  return (await recognize(prep, analysisAbs, durationSec, workRel)).lines;
}

export async function recognize(prep: PreparedJob, analysisAbs: string, durationSec: number, workRel: string): Promise<Recognition> {
  const engine = prep.options.asr.engine;
  if (isWhisperEngine(engine)) return recognizeWithWhisper(prep, engine, analysisAbs, durationSec, workRel);
  return { lines: await recognizeWithPocketsphinx(prep, analysisAbs, durationSec, workRel), engine, dropped: [], warnings: [] };
}

/** Energy-cut utterances, recognized in one pocketsphinx batch (a few in parallel for long inputs). */
async function recognizeWithPocketsphinx(prep: PreparedJob, analysisAbs: string, durationSec: number, workRel: string): Promise<Line[]> {
  const { job, options } = prep;
  const log = commandLog(job);
  const { stderr } = await run(silencedetectArgv(analysisAbs, options.asr.silenceDb, options.asr.minSilenceSec), { timeoutMs: 10 * 60_000, recordTo: log });
  const regions = speechRegions(parseSilencedetect(stderr), durationSec, options.asr.minSpeechSec);
  if (regions.length === 0) return [];

  const workDir = inJob(job, workRel);
  await rm(workDir, { recursive: true, force: true });
  const ids = await cutSegments(analysisAbs, regions, path.join(workDir, 'segments'));
  const words = await recognizeSegments(ids, regions, workDir, log);

  const lines: Line[] = [];
  regions.forEach((r, i) => {
    const offset = Math.max(0, r.start - PAD_SEC);
    const ws = (words.get(ids[i]) ?? []).map((w) => ({ text: w.text, start: round3(offset + w.start), end: round3(offset + w.end) }));
    if (ws.length === 0) return; // a cough or a door: nothing to dub
    lines.push({ index: lines.length, start: round3(r.start), end: round3(r.end), text: wordsToText(ws), words: ws });
  });
  return lines;
}

export async function transcribe(prep: PreparedJob, audio: AudioTracks): Promise<LineSet> {
  const { job, options } = prep;
  const out = inJob(job, TRANSCRIPT);
  const analysis = inJob(job, audio.analysis);
  const st = await stat(analysis);
  const whisper = isWhisperEngine(options.asr.engine);
  // Whisper is told the source language; pocketsphinx's model is English whatever src says.
  // Whisper's lines take their edges from voice activity (so its settings are in the hash) and are cut where the speaker changes (unless tts.diarize is off).
  const hash = whisper ? hashOf('transcribe', st.size, st.mtimeMs, options.asr, options.src, VAD_SETTINGS, options.tts.diarize === 'off') : hashOf('transcribe', st.size, st.mtimeMs, options.asr);
  if (await isFresh(job, out, hash)) return storeLines(job, 'lines', await readTranscript(out));

  const rec = await recognize(prep, analysis, prep.media.durationSec, 'tmp/asr');
  for (const w of rec.warnings) logWarning(w);
  const name = path.basename(prep.media.path);
  if (rec.lines.length === 0) {
    const why = whisper
      ? `${rec.engine} returned no segment that passed the hallucination guard (${rec.dropped.length} dropped)`
      : `nothing louder than ${options.asr.silenceDb} dB for ${options.asr.minSpeechSec}s, or no words`;
    throw failure(ErrorType.InvalidMedia, `no speech recognized in ${name} (${why}); give the lines with --subs FILE`);
  }
  const extra = whisper
    ? { model: options.asr.engine === 'whisper-cpp' ? options.asr.whisperCppModel : options.asr.model, detectedLanguage: rec.detectedLanguage, dropped: rec.dropped, warnings: rec.warnings }
    : {};
  await saveTranscript(prep, rec.lines, rec.engine, hash, extra);
  return storeLines(job, 'lines', rec.lines);
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
