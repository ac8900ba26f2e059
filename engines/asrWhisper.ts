// Whisper-family recognition (openai-whisper, whisper-ctranslate2, whisper.cpp) on a 16 kHz mono WAV:
// one process over the whole file, its segments checked by the hallucination guard, words kept per line.
// Also Whisper's translate task (any language → English) for the translation stage.
import { access, constants, mkdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { JobOptions } from '../config/schema.js';
import { silencedetectArgv } from './ffmpeg.js';
import { hostEnginesAvailable } from './engineHost.js';
import { FASTER_WHISPER_INSTALL, resolveWhisperModel, transcribeInHost } from './fasterWhisper.js';
import {
  isWhisperEngine, parseWhisperCppJson, parseWhisperJson, whisperArgv, whisperCppArgv, whisperCppJsonPath, whisperJsonPath,
  WHISPER_INSTALL, WHISPER_LANGUAGES, WHISPER_PROGRAMS, type AsrResult, type WhisperEngineName, type WhisperTask,
} from './whisper.js';
import { ErrorType, failure } from '../lib/errors.js';
import { countByReason, guardSegments, type DroppedSegment } from '../lib/hallucinationGuard.js';
import { splitAtPauses } from '../lib/pauseSplit.js';
import type { Line, PreparedJob } from '../lib/job.js';
import { parseSilencedetect, snapToSpeech, speechRegions, type Region } from '../lib/speechRegions.js';
import { commandLog, hashOf, hostRequestLog, inJob, isFresh, writeAtomic } from '../activities/artifacts.js';
import type { EngineStatus } from './engineChecks.js';
import { findOnPath } from './programPath.js';
import { recordCommand, run, stderrTail } from './run.js';

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

/** Runs a short probe program (a version question) and returns what it printed. */
export const probeProgram = async (argv: string[]) => (await run(argv, { timeoutMs: 60_000 })).stdout;

/** Fails fast, before any heavy work, when the job asks for a Whisper engine this worker cannot run. */
export async function checkWhisperEngine(engine: WhisperEngineName, options: JobOptions): Promise<void> {
  if (engine === 'faster-whisper') {
    const here = await hostEnginesAvailable(probeProgram);
    if (!here.ok) throw failure(ErrorType.EngineMissing, `asr engine faster-whisper: ${here.why}; ${FASTER_WHISPER_INSTALL} (or choose --asr pocketsphinx)`);
    await resolveWhisperModel(options.asr.model);
  }
  if (engine !== 'faster-whisper' && options.asr.model.includes('/')) {
    throw failure(ErrorType.InvalidConfig, `--asr-model ${options.asr.model}: a model folder is for --asr faster-whisper; ${engine} takes a model name (tiny, base, small, medium, large-v3, ...)`);
  }
  if (engine !== 'faster-whisper' && !(await findOnPath(WHISPER_PROGRAMS[engine]))) {
    throw failure(ErrorType.EngineMissing, `asr engine ${engine} needs ${WHISPER_PROGRAMS[engine]}, which is not on PATH; ${WHISPER_INSTALL[engine]} (or choose --asr pocketsphinx)`);
  }
  if (!options.asr.detectLanguage && !WHISPER_LANGUAGES.includes(options.src)) {
    throw failure(ErrorType.UnsupportedLanguage, `Whisper does not know the language "${options.src}" (known: ${WHISPER_LANGUAGES.join(', ')})`);
  }
  if (engine !== 'whisper-cpp' && options.asr.model.endsWith('.en') && (options.src !== 'en' || options.asr.detectLanguage)) {
    throw failure(ErrorType.UnsupportedLanguage, `Whisper model ${options.asr.model} knows English only; use ${options.asr.model.slice(0, -3)} for "${options.src}" (--asr-model)`);
  }
  if (engine === 'whisper-cpp') {
    const model = options.asr.whisperCppModel;
    if (!model) {
      throw failure(ErrorType.EngineMissing, `asr engine whisper-cpp needs a ggml model file: download one with whisper.cpp's models/download-ggml-model.sh ${options.asr.model} and give it with --set asr.whisperCppModel=/path/ggml-${options.asr.model}.bin (env ASR_WHISPER_CPP_MODEL)`);
    }
    if (!(await access(model, constants.R_OK).then(() => true, () => false))) {
      throw failure(ErrorType.EngineMissing, `whisper.cpp model ${model} is not there (asr.whisperCppModel); download it with whisper.cpp's models/download-ggml-model.sh ${options.asr.model}`);
    }
  }
}

/** What `anime-dub doctor` says about the Whisper family (on PATH or not; the models download on first use). */
export async function whisperStatuses(): Promise<EngineStatus[]> {
  const detail: Record<Exclude<WhisperEngineName, 'faster-whisper'>, string> = {
    whisper: '--asr whisper --asr-model small (openai-whisper)',
    'whisper-ctranslate2': '--asr whisper-ctranslate2 (faster-whisper, with its VAD filter)',
    'whisper-cpp': '--asr whisper-cpp --set asr.whisperCppModel=ggml-small.bin (whisper-cli)',
  };
  return Promise.all((Object.keys(WHISPER_PROGRAMS) as (keyof typeof WHISPER_PROGRAMS)[]).map(async (engine) => ({
    name: engine, kind: 'asr' as const, installed: !!(await findOnPath(WHISPER_PROGRAMS[engine])), detail: detail[engine], install: WHISPER_INSTALL[engine],
  })));
}

/** Runs one Whisper engine on a WAV and parses what it wrote. workDir is emptied first. */
export async function runWhisper(prep: PreparedJob, engine: WhisperEngineName, audioAbs: string, task: WhisperTask, workDir: string): Promise<AsrResult> {
  const { options } = prep;
  await rm(workDir, { recursive: true, force: true });
  await mkdir(workDir, { recursive: true });
  const language = options.asr.detectLanguage ? undefined : options.src;
  if (engine === 'faster-whisper') {
    const { model } = await resolveWhisperModel(options.asr.model);
    const started = Date.now();
    const result = await transcribeInHost({ audio: audioAbs, task, language, model });
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

/** Energy-detected speech of the WAV (the same silencedetect settings pocketsphinx's cutting uses). */
async function detectSpeech(prep: PreparedJob, wavAbs: string, durationSec: number): Promise<Region[]> {
  const { asr } = prep.options;
  const { stderr } = await run(silencedetectArgv(wavAbs, asr.silenceDb, asr.minSilenceSec), { timeoutMs: 10 * 60_000, recordTo: commandLog(prep.job) });
  return speechRegions(parseSilencedetect(stderr), durationSec, asr.minSpeechSec);
}

/** Guarded segments → lines (times relative to the WAV). */
async function guardedLines(prep: PreparedJob, engine: WhisperEngineName, result: AsrResult, wavAbs: string, durationSec: number): Promise<Recognition> {
  const speech = await detectSpeech(prep, wavAbs, durationSec);
  const { kept, dropped } = guardSegments(result.segments, speech, { noSpeechThreshold: prep.options.asr.noSpeechThreshold });
  const lines: Line[] = snapToSpeech(splitAtPauses(kept, prep.options.asr.minSilenceSec), speech)
    .map((s) => ({ ...s, start: Math.max(0, s.start), end: Math.min(s.end, durationSec) }))
    .filter((s) => s.end > s.start) // Whisper's last window can run past the end of the audio
    .map((s, index) => ({ index, start: s.start, end: s.end, text: s.text, ...(s.words.length ? { words: s.words } : {}) }));
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
  const hash = hashOf('whisperTranslate', chosen, st.size, st.mtimeMs, options.src, options.asr);
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
