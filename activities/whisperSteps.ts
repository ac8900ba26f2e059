// Steps of transcribe and translateLines that run a Whisper-family engine (openai-whisper, whisper-ctranslate2,
// whisper.cpp, faster-whisper) on a job's 16 kHz mono WAV: one process over the whole file, its segments checked by
// the hallucination guard, words kept per line; and Whisper's translate task (any language → English). The engines'
// records and checks: engines/asrEngines.ts.
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { resolveWhisperModel, transcribeInHost } from '../engines/fasterWhisper.js';
import {
  isWhisperEngine, parseWhisperCppJson, parseWhisperJson, whisperArgv, whisperCppArgv, whisperCppJsonPath, whisperJsonPath,
  type AsrResult, type WhisperEngineName, type WhisperTask,
} from '../engines/whisper.js';
import { ErrorType, failure } from '../lib/errors.js';
import { checkWhisperEngine } from '../engines/asrEngines.js';
import { countByReason, type DroppedSegment } from '../lib/hallucinationGuard.js';
import type { LabelledSpan } from '../lib/pauseSplit.js';
import { VAD_SETTINGS, voiceActivity, voiceTurns } from '../engines/voiceActivity.js';
import type { Line, PreparedJob } from '../lib/job.js';
import type { Region } from '../lib/speechRegions.js';
import { voicedLines } from '../lib/voicedLines.js';
import { commandLog, hashOf, hostRequestLog, inJob, isFresh, writeAtomic } from '../storage/artifacts.js';
import { recordCommand, run, stderrTail } from '../engines/run.js';

/** Whisper runs the whole file in one process: on a CPU a long episode takes a while. */
const WHISPER_TIMEOUT_MS = 8 * 60 * 60_000;

/** What one recognition produced, beyond its lines: recorded in transcript.json. */
export interface Recognition {
  lines: Line[];
  engine: string;
  /** The language the engine reported (Whisper detects it when asr.detectLanguage is on). */
  detectedLanguage?: string;
  dropped: DroppedSegment[];
  warnings: string[];
}


/** Where faster-whisper begins: 0.2 s before the first voiced stretch, when that is over a second in (see startSec). */
async function firstVoice(wavAbs: string): Promise<number | undefined> {
  const first = (await voiceActivity(wavAbs))[0]?.start;
  return first !== undefined && first > 1.2 ? Math.round((first - 0.2) * 1000) / 1000 : undefined;
}

export async function runWhisper(prep: PreparedJob, engine: WhisperEngineName, audioAbs: string, task: WhisperTask, workDir: string): Promise<AsrResult> {
  const { options } = prep;
  await rm(workDir, { recursive: true, force: true });
  await mkdir(workDir, { recursive: true });
  const language = options.asr.detectLanguage ? undefined : options.src;
  if (engine === 'faster-whisper') {
    const { model } = await resolveWhisperModel(options.asr.model);
    const started = Date.now();
    const result = await transcribeInHost({ audio: audioAbs, task, language, model, startSec: await firstVoice(audioAbs) });
    await recordCommand(hostRequestLog(prep.job), { argv: ['transcribe', model, task, audioAbs], wallMs: Date.now() - started, exitCode: 0 });
    return result;
  }
  const req = { audio: audioAbs, task, language, noSpeechThreshold: options.asr.noSpeechThreshold };
  let argv: string[];
  let jsonPath: string;
  if (engine === 'whisper-cpp') {
    const outputBase = path.join(workDir, 'whisper');
    argv = whisperCppArgv({ ...req, modelFile: options.asr.whisperCppModel!, outputBase });
    jsonPath = whisperCppJsonPath(outputBase);
  } else {
    argv = whisperArgv(engine, { ...req, model: options.asr.model, outputDir: workDir });
    jsonPath = whisperJsonPath(workDir, audioAbs);
  }
  const { stderr } = await run(argv, { timeoutMs: WHISPER_TIMEOUT_MS, recordTo: commandLog(prep.job) });
  const text = await readFile(jsonPath, 'utf8').catch(() => undefined);
  if (text === undefined) {
    throw failure(ErrorType.EngineFailed, `${argv[0]} wrote no ${path.basename(jsonPath)}: ${stderrTail(stderr)}`);
  }
  try {
    return engine === 'whisper-cpp' ? parseWhisperCppJson(text) : parseWhisperJson(text);
  } catch (e) {
    throw failure(ErrorType.EngineFailed, `${argv[0]} wrote JSON we cannot read (${path.basename(jsonPath)}): ${(e as Error).message}`);
  }
}

/**
 * Where the voices are, from voice activity (Silero VAD) rather than the energy of the mix: a music bed or a door
 * slam is not speech. With diarization on (tts.diarize, not off) the voiced stretches also say who speaks, so a
 * reply Whisper joined to the previous speaker's line can be cut off it.
 */
async function detectVoices(prep: PreparedJob, wavAbs: string): Promise<{ speech: Region[]; turns: LabelledSpan[] }> {
  if (prep.options.tts.diarize === 'off') return { speech: await voiceActivity(wavAbs), turns: [] };
  const { regions, turns } = await voiceTurns(wavAbs);
  return { speech: regions, turns };
}

/** Guarded segments → lines (times relative to the WAV). */
async function guardedLines(prep: PreparedJob, engine: WhisperEngineName, result: AsrResult, wavAbs: string, durationSec: number): Promise<Recognition> {
  const { speech, turns } = await detectVoices(prep, wavAbs);
  const { lines, dropped } = voicedLines(result.segments, speech, turns, {
    noSpeechThreshold: prep.options.asr.noSpeechThreshold, minSilenceSec: prep.options.asr.minSilenceSec, durationSec,
  });
  const warnings: string[] = [];
  if (result.language && result.language !== prep.options.src) {
    warnings.push(`${engine} heard "${result.language}" but the job's source language is "${prep.options.src}"; set --src ${result.language} if that is right`);
  }
  if (dropped.length) {
    const counts = Object.entries(countByReason(dropped)).map(([r, n]) => `${n} ${r}`).join(', ');
    warnings.push(`dropped ${dropped.length} of ${result.segments.length} ${engine} segments as likely hallucinations (${counts})`);
  }
  return { lines, engine, detectedLanguage: result.language, dropped, warnings };
}

/** Source lines of one 16 kHz mono WAV by a Whisper engine (whole jobs and streaming chunks alike). */
export async function recognizeWithWhisper(prep: PreparedJob, engine: WhisperEngineName, wavAbs: string, durationSec: number, workRel: string): Promise<Recognition> {
  const result = await runWhisper(prep, engine, wavAbs, 'transcribe', inJob(prep.job, workRel));
  return guardedLines(prep, engine, result, wavAbs, durationSec);
}

const WHISPER_TRANSLATION = 'whisper-translation.json';

/**
 * English lines straight from the source audio by Whisper's translate task (X → English), guarded like a
 * transcript. `audioRel` is a 16 kHz mono WAV relative to the job folder (AudioTracks.analysis). The engine is
 * the job's asr.engine when that is a Whisper one, else openai-whisper. Cached in whisper-translation.json.
 * Lines are Whisper's own segments: their times are not those of the transcript's lines.
 */
export async function whisperTranslate(prep: PreparedJob, audioRel: string, engine?: WhisperEngineName): Promise<Line[]> {
  const { job, options } = prep;
  const chosen: WhisperEngineName = engine ?? (isWhisperEngine(options.asr.engine) ? options.asr.engine : 'whisper');
  const wavAbs = inJob(job, audioRel);
  const out = inJob(job, WHISPER_TRANSLATION);
  const st = await stat(wavAbs);
  const hash = hashOf('whisperTranslate', chosen, st.size, st.mtimeMs, options.src, options.asr, VAD_SETTINGS, options.tts.diarize === 'off');
  if (await isFresh(job, out, hash)) return (JSON.parse(await readFile(out, 'utf8')) as { lines: Line[] }).lines;

  await checkWhisperEngine(chosen, options);
  if (chosen !== 'whisper-cpp' && /turbo|\.en$/.test(options.asr.model)) {
    throw failure(ErrorType.InvalidConfig, `Whisper model ${options.asr.model} was not trained to translate; use small, medium or large-v3 (--asr-model)`);
  }
  const result = await runWhisper(prep, chosen, wavAbs, 'translate', inJob(job, 'tmp/whisper-translate'));
  const rec = await guardedLines(prep, chosen, result, wavAbs, prep.media.durationSec);
  await writeAtomic(job, out, JSON.stringify({
    language: 'en', source: chosen, task: 'translate', detectedLanguage: rec.detectedLanguage,
    dropped: rec.dropped, warnings: rec.warnings, lines: rec.lines,
  }, null, 2), hash);
  return rec.lines;
}
