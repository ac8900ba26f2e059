// Whisper-family engines (openai-whisper, whisper-ctranslate2, whisper.cpp, faster-whisper): whether each is
// installed and can run a job's options. The recognition and translate stages that run them on a job's audio are
// activities/asrWhisper.ts.
import type { JobOptions } from '../config/schema.js';
import { hostEnginesAvailable } from './engineHost.js';
import { FASTER_WHISPER_INSTALL, resolveWhisperModel } from './fasterWhisper.js';
import { WHISPER_INSTALL, WHISPER_LANGUAGES, WHISPER_PROGRAMS, type WhisperEngineName } from './whisper.js';
import { ErrorType, failure } from '../lib/errors.js';
import type { EngineStatus } from './engineStatus.js';
import { findOnPath } from './programPath.js';
import { probeProgram, run } from './run.js';
import { access, constants } from 'node:fs/promises';

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
