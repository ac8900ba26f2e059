// Whisper-family recognition (openai-whisper, whisper-ctranslate2, whisper.cpp, faster-whisper) of one 16 kHz mono
// WAV: one process (or one warm-host request) over the whole file, its segments checked by the hallucination
// guard, words kept per line. The records that call it: ./asrEngines.ts; Whisper's translate task, cached per job:
// activities/whisperSteps.ts.
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { JobOptions } from '../config/schema.js';
import { ErrorType, failure } from '../lib/errors.js';
import { countByReason } from '../lib/hallucinationGuard.js';
import type { PreparedJob } from '../lib/job.js';
import type { LabelledSpan } from '../lib/pauseSplit.js';
import type { Region } from '../lib/speechRegions.js';
import { voicedLines } from '../lib/voicedLines.js';
import type { AsrRequest, Recognition } from './asrRun.js';
import { resolveWhisperModel, transcribeInHost } from './fasterWhisper.js';
import { recordCommand, run, stderrTail } from './run.js';
import { VAD_SETTINGS, voiceActivity, voiceTurns } from './voiceActivity.js';
import {
  parseWhisperCppJson, parseWhisperJson, whisperArgv, whisperCppArgv, whisperCppJsonPath, whisperJsonPath,
  type AsrResult, type WhisperEngineName, type WhisperTask,
} from './whisper.js';

/** Whisper runs the whole file in one process: on a CPU a long episode takes a while. */
const WHISPER_TIMEOUT_MS = 8 * 60 * 60_000;

/** Where faster-whisper begins: 0.2 s before the first voiced stretch, when that is over a second in (see startSec). */
export async function firstVoice(wavAbs: string): Promise<number | undefined> {
  const first = (await voiceActivity(wavAbs))[0]?.start;
  return first !== undefined && first > 1.2 ? Math.round((first - 0.2) * 1000) / 1000 : undefined;
}

/** One Whisper task over a WAV; `logs` are the job's command log and warm-host request log. */
export async function runWhisper(prep: PreparedJob, engine: WhisperEngineName, audioAbs: string, task: WhisperTask, workDir: string, logs: { commandLog: string; hostLog: string }): Promise<AsrResult> {
  const { options } = prep;
  await rm(workDir, { recursive: true, force: true });
  await mkdir(workDir, { recursive: true });
  const language = options.asr.detectLanguage ? undefined : options.src;
  if (engine === 'faster-whisper') {
    const { model } = await resolveWhisperModel(options.asr.model);
    const started = Date.now();
    // No name hotwords (activities/nameHints.ts): any prompt made Whisper base give 2 segments for the 12 lines of
    // test/fixtures/ja/dialogue.opus instead of 12 (text unchanged), measured 2026-12-06; lines need the segments.
    const result = await transcribeInHost({ audio: audioAbs, task, language, model, startSec: await firstVoice(audioAbs) });
    await recordCommand(logs.hostLog, { argv: ['transcribe', model, task, audioAbs], wallMs: Date.now() - started, exitCode: 0 });
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
  const { stderr } = await run(argv, { timeoutMs: WHISPER_TIMEOUT_MS, recordTo: logs.commandLog });
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
export async function guardedLines(prep: PreparedJob, engine: WhisperEngineName, result: AsrResult, wavAbs: string, durationSec: number): Promise<Recognition> {
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
export async function recognizeWithWhisper(engine: WhisperEngineName, req: AsrRequest): Promise<Recognition> {
  const result = await runWhisper(req.prep, engine, req.wavAbs, 'transcribe', req.workDir, req);
  return guardedLines(req.prep, engine, result, req.wavAbs, req.durationSec);
}

/** What a Whisper transcript depends on beyond its audio: its edges come from voice activity, its cuts from who speaks. */
export function whisperTranscriptKey(options: JobOptions): unknown[] {
  return [options.asr, options.src, VAD_SETTINGS, options.tts.diarize === 'off'];
}
