// The speech recognizers, one record each: what they hear, how they run, their job check and what doctor says.
// The job schema's enum, the CLI's choices and help, the types and doctor's asr rows are derived from here (names
// in config/engineNames.ts). A new engine: its name there, one record here (the type makes a missing record a
// compile error), its adapter (`recognize` and what the transcript records) from its file beside this one
// (./whisperRecognize.ts, ./pocketsphinxRecognize.ts); the transcribe stage calls it.
import { access, constants } from 'node:fs/promises';
import type { JobOptions } from '../config/schema.js';
import { ASR_ENGINE_NAMES, type AsrEngineName } from '../config/engineNames.js';
import { ErrorType, failure } from '../lib/errors.js';
import { BUNDLED_WHISPER, bundledModelDetail, SETUP_INSTALL, whisperModelRef } from './bundledModels.js';
import { kindRegistry, type EngineCapabilities, type EngineRecord } from './engineRecord.js';
import { hostEnginesAvailable } from './engineHost.js';
import type { EngineStatus } from './engineStatus.js';
import { FASTER_WHISPER_INSTALL, resolveWhisperModel } from './fasterWhisper.js';
import { POCKETSPHINX_LANGUAGES, POCKETSPHINX_MODEL_DIR } from './pocketsphinx.js';
import { findOnPath, requireProgram } from './programPath.js';
import { versionOf } from './programVersion.js';
import { probeProgram } from './run.js';
import { isWhisperEngine, WHISPER_INSTALL, WHISPER_LANGUAGES, WHISPER_PROGRAMS, type WhisperEngineName, type WhisperProgramEngine } from './whisper.js';
import type { AsrRequest, Recognition } from './asrRun.js';
import { recognizeWithPocketsphinx } from './pocketsphinxRecognize.js';
import { recognizeWithWhisper, whisperTranscriptKey } from './whisperRecognize.js';

export type { AsrEngineName } from '../config/engineNames.js';

export interface AsrEngine extends EngineRecord<AsrEngineName> {
  kind: 'asr';
  /** Ready for this job (its source language, model and options)? Throws EngineMissing / UnsupportedLanguage / InvalidConfig naming the fix. */
  check(options: JobOptions, opts?: { autoChosen?: boolean }): Promise<void>;
  /** The adapter: source lines of one 16 kHz mono WAV (times relative to its start). */
  recognize(req: AsrRequest): Promise<Recognition>;
  /** What its transcript depends on beyond the audio (the transcribe stage's cache key). */
  transcriptKey(options: JobOptions): unknown[];
  /** Why it heard nothing, for the job's error. */
  nothingHeard(options: JobOptions, rec: Recognition): string;
  /** What transcript.json says of the run beside its lines. */
  transcriptNotes(options: JobOptions, rec: Recognition): Record<string, unknown>;
}

/** The adapter every Whisper engine shares (engines/whisperRecognize.ts): Whisper is told the source language. */
function whisperAdapter(engine: WhisperEngineName): Pick<AsrEngine, 'recognize' | 'transcriptKey' | 'nothingHeard' | 'transcriptNotes'> {
  return {
    recognize: (req) => recognizeWithWhisper(engine, req),
    transcriptKey: whisperTranscriptKey,
    nothingHeard: (_options, rec) => `${rec.engine} returned no segment that passed the hallucination guard (${rec.dropped.length} dropped)`,
    transcriptNotes: (options, rec) => ({
      model: engine === 'whisper-cpp' ? options.asr.whisperCppModel : options.asr.model, detectedLanguage: rec.detectedLanguage, dropped: rec.dropped, warnings: rec.warnings,
    }),
  };
}

const pocketsphinxModel = () => access(`${POCKETSPHINX_MODEL_DIR}/en-us.lm.bin`).then(() => true, () => false);

/** The checks every Whisper engine shares, then each one's own. */
async function checkWhisper(engine: WhisperEngineName, options: JobOptions): Promise<void> {
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

const WHISPER_CAPABILITIES: EngineCapabilities = { languages: WHISPER_LANGUAGES, rateKnob: false, speakers: 'n/a', runs: 'program', device: 'cpu or gpu' };

/** A Whisper program on PATH (openai-whisper, whisper-ctranslate2, whisper.cpp): the models download on first use. */
function whisperProgram(name: WhisperProgramEngine, describe: string, usage: string): Omit<AsrEngine, 'name' | 'kind'> {
  return {
    describe,
    capabilities: WHISPER_CAPABILITIES,
    check: (options) => checkWhisper(name, options),
    ...whisperAdapter(name),
    status: async () => [{ name, kind: 'asr', installed: !!(await findOnPath(WHISPER_PROGRAMS[name])), detail: usage, install: WHISPER_INSTALL[name], optional: true }],
  };
}

const records: Record<AsrEngineName, Omit<AsrEngine, 'name' | 'kind'>> = {
  'faster-whisper': {
    describe: 'faster-whisper (embedded Whisper, ~100 languages, in the warm engine host)',
    capabilities: { ...WHISPER_CAPABILITIES, runs: 'warm host' },
    check: (options) => checkWhisper('faster-whisper', options),
    ...whisperAdapter('faster-whisper'),
    async status() {
      const host = await hostEnginesAvailable(probeProgram);
      const out: EngineStatus[] = [];
      for (const [model, m] of Object.entries(BUNDLED_WHISPER)) {
        const v = await bundledModelDetail(`${m.dir}/model.bin`);
        out.push({
          name: model === 'base' ? 'faster-whisper' : `faster-whisper ${model}`, kind: 'asr', installed: host.ok && v.ok, version: host.versions?.fasterWhisper,
          detail: `${model === 'base' ? 'the default recognizer and X→English translator; ' : '--asr-model tiny.en (fast, English only); '}model ${model}: ${host.ok ? v.detail : host.why}`,
          install: SETUP_INSTALL, optional: model !== 'base',
        });
      }
      return out;
    },
  },
  pocketsphinx: {
    describe: 'pocketsphinx (English)',
    capabilities: { languages: POCKETSPHINX_LANGUAGES, rateKnob: false, speakers: 'n/a', runs: 'program', device: 'cpu' },
    async check(options, { autoChosen } = {}) {
      if (!POCKETSPHINX_LANGUAGES.includes(options.src)) {
        const hint = autoChosen ? `; Whisper hears ~100 languages but is not installed here (${FASTER_WHISPER_INSTALL})` : '';
        throw failure(ErrorType.UnsupportedLanguage,
          `speech recognition for "${options.src}" is not available with pocketsphinx (models installed: ${POCKETSPHINX_LANGUAGES.join(', ')}); give the source lines with --subs FILE${hint}`);
      }
      await requireProgram('pocketsphinx_batch', 'pocketsphinx');
      if (!(await pocketsphinxModel())) {
        throw failure(ErrorType.EngineMissing, `the pocketsphinx US-English model is missing at ${POCKETSPHINX_MODEL_DIR}; install the Debian package pocketsphinx-en-us`);
      }
    },
    recognize: recognizeWithPocketsphinx,
    // Its model is English whatever src says.
    transcriptKey: (options) => [options.asr],
    nothingHeard: (options) => `nothing louder than ${options.asr.silenceDb} dB for ${options.asr.minSpeechSec}s, or no words`,
    transcriptNotes: () => ({}),
    async status() {
      const [sphinx, model] = await Promise.all([versionOf(['pocketsphinx_batch', '-version'], () => undefined), pocketsphinxModel()]);
      return [{ name: 'pocketsphinx', kind: 'asr', installed: sphinx.installed && model, detail: model ? 'model en-us (English only; --asr pocketsphinx)' : 'US-English model missing', install: 'apt-get install pocketsphinx pocketsphinx-en-us' }];
    },
  },
  whisper: whisperProgram('whisper', 'openai-whisper (a program on PATH)', '--asr whisper --asr-model small (openai-whisper)'),
  'whisper-ctranslate2': whisperProgram('whisper-ctranslate2', 'whisper-ctranslate2 (faster-whisper as a program, with its VAD filter)', '--asr whisper-ctranslate2 (faster-whisper, with its VAD filter)'),
  'whisper-cpp': whisperProgram('whisper-cpp', "whisper.cpp's whisper-cli (a ggml model file: asr.whisperCppModel)", '--asr whisper-cpp --set asr.whisperCppModel=ggml-small.bin (whisper-cli)'),
};

const registry = kindRegistry<AsrEngineName, AsrEngine>('asr', ASR_ENGINE_NAMES, records);

export function asrEngine(name: AsrEngineName): AsrEngine {
  return registry.get(name);
}

export function asrEngineList(): AsrEngine[] {
  return registry.list();
}

/** The job's recognizer, its `auto` settled by prepareJob (an unsettled one is pocketsphinx, as before the records had adapters). */
export function jobAsrEngine(options: JobOptions): AsrEngine {
  return asrEngine(options.asr.engine === 'auto' ? 'pocketsphinx' : options.asr.engine);
}

/** A Whisper engine's check (the translate step runs one for --mt whisper too). */
export function checkWhisperEngine(engine: WhisperEngineName, options: JobOptions): Promise<void> {
  return asrEngine(engine).check(options);
}

/** The Whisper engine for the translate task: the job's recognizer when it is one, else openai-whisper. */
export function whisperTranslator(options: JobOptions): WhisperEngineName {
  return isWhisperEngine(options.asr.engine) ? options.asr.engine : 'whisper';
}

/** The engine ready, and a model that was trained to translate (whisper.cpp's is a file: not checked by name). */
export async function checkWhisperTranslates(engine: WhisperEngineName, options: JobOptions): Promise<void> {
  await asrEngine(engine).check(options);
  if (engine !== 'whisper-cpp' && /turbo|\.en$/.test(options.asr.model)) {
    throw failure(ErrorType.InvalidConfig, `Whisper model ${options.asr.model} was not trained to translate; use small, medium or large-v3 (--asr-model)`);
  }
}

/** `--asr` help: the choices and what auto picks, from the records. */
export function asrHelp(): string {
  return `speech recognizer: auto = faster-whisper (embedded Whisper, ~100 languages) where its model is installed, else pocketsphinx (English); ${asrEngineList().map((e) => `${e.name}: ${e.describe}`).join('; ')} (env ASR_ENGINE; default auto)`;
}

/**
 * auto → faster-whisper when the engine host loads and the asked model is installed (or is one it downloads),
 * else pocketsphinx. The model's file itself is verified by the check that follows.
 */
export async function chooseAsrEngine(options: JobOptions): Promise<AsrEngineName> {
  if (options.asr.engine !== 'auto') return options.asr.engine;
  const ref = whisperModelRef(options.asr.model);
  const installed = ref.kind !== 'bundled' || (await access(ref.dir).then(() => true, () => false));
  return installed && (await hostEnginesAvailable(probeProgram)).ok ? 'faster-whisper' : 'pocketsphinx';
}
