// The speech synthesizers, one record each: what it speaks, whether it paces itself, how it runs, the voices a
// cast hands out with it, and its availability check. The job schema's enum, the CLI's choices, the PreparedJob
// check, the cast's engines and the auto choice are derived from here (names and the rate knob from
// config/ttsEngineNames.ts, which lib/ may import). A new engine: its name there, one record here (the type makes
// a missing record a compile error), its adapter file beside this one.
import { access } from 'node:fs/promises';
import path from 'node:path';
import type { JobOptions } from '../config/schema.js';
import { hasRateKnob, TTS_ENGINE_NAMES, type TtsEngineName } from '../config/ttsEngineNames.js';
import { ErrorType, failure } from '../lib/errors.js';
import { modelsDir } from './bundledModels.js';
import { hostEnginesAvailable } from './engineHost.js';
import { probeProgram } from './run.js';
import { checkedKokoroVoice, KOKORO_FILES, KOKORO_INSTALL, KOKORO_LANGUAGES, kokoroFiles } from './kokoro.js';
import { requireProgram } from './programPath.js';
import { run } from './run.js';
import { espeakHasLanguage, FESTIVAL_DEFAULT_VOICE } from './tts.js';
import { checkPiper, checkXtts } from './ttsChecks.js';

export type { TtsEngineName } from '../config/ttsEngineNames.js';

/** Voices a cast hands out automatically with an engine, most distinct first, by the source speaker's register. */
export interface CastPalette {
  female: readonly string[];
  male: readonly string[];
}

export interface TtsEngine {
  name: TtsEngineName;
  /** One line for `--help` and doctor. */
  describe: string;
  /** The languages it speaks ('any': whatever its check finds a voice for). */
  languages: readonly string[] | 'any';
  /** Paces itself (a line's rate hint goes to the engine, not to a time-stretch). */
  rateKnob: boolean;
  /** A program started per line, or a model kept loaded in the warm engine host. */
  runs: 'program' | 'warm host';
  /** Voices matched to speakers by pitch (a cast); absent = the engine's own variants or pitch shifts. */
  palette?: CastPalette;
  /** Is a voice name one of this engine's? (job input: strict). Absent = any name its adapter checks itself. */
  voiceProblem?(voice: string): string | undefined;
  /** Ready for this job in this language? Throws EngineMissing / UnsupportedLanguage / InvalidConfig naming the fix. */
  check(options: JobOptions, language: string): Promise<void>;
}

async function espeakSpeaks(language: string): Promise<boolean> {
  const { stdout } = await run(['espeak-ng', `--voices=${language}`], { timeoutMs: 15_000 });
  return espeakHasLanguage(stdout, language);
}

/**
 * Kokoro's style vectors by register, spread in pitch first (a new speaker gets the voice least like those before).
 * Median F0 speaking Spanish (scripts/kokoroVoices.ts, docs/PERFORMANCE.md): female 271, 222, 319, 242, 257, 274 Hz;
 * male 95, 127, 117, 126 Hz — every female one ≥ 165 Hz, every male one ≤ 140 Hz. Blends are `first+second@share`.
 */
export const KOKORO_PALETTE: CastPalette = {
  female: ['jf_alpha', 'jf_gongitsune', 'jf_tebukuro', 'jf_nezumi', 'jf_alpha+jf_nezumi@0.5', 'jf_gongitsune+jf_tebukuro@0.5'],
  male: ['jm_kumo', 'jm_kumo+jf_nezumi@0.25', 'jm_kumo+jf_alpha@0.15', 'jm_kumo+jf_gongitsune@0.3'],
};

const registry: Record<TtsEngineName, Omit<TtsEngine, 'name' | 'rateKnob'>> = {
  'espeak-ng': {
    describe: 'espeak-ng (formant synthesis, ~100 languages; the fallback)',
    languages: 'any',
    runs: 'program',
    async check(options, language) {
      await requireProgram('espeak-ng', 'espeak-ng');
      if (!(await espeakSpeaks(options.tts.voice ?? language))) {
        throw failure(ErrorType.UnsupportedLanguage, `espeak-ng has no voice for "${options.tts.voice ?? language}" (see \`espeak-ng --voices\`)`);
      }
    },
  },
  festival: {
    describe: `festival (HTS voice ${FESTIVAL_DEFAULT_VOICE}, English)`,
    languages: ['en'],
    runs: 'program',
    async check(_options, language) {
      if (language !== 'en') throw failure(ErrorType.UnsupportedLanguage, `festival's installed voice (${FESTIVAL_DEFAULT_VOICE}) speaks English only, not "${language}"; use --tts espeak-ng`);
      await requireProgram('text2wave', 'festival festvox-us-slt-hts');
    },
  },
  piper: {
    describe: 'piper (neural, one .onnx voice; en_US-joe-medium installed)',
    languages: 'any',
    runs: 'warm host',
    check: (options, language) => checkPiper(options, language),
  },
  xtts: {
    describe: 'Coqui XTTS v2 (each speaker cloned from the source; installed separately)',
    languages: 'any',
    runs: 'warm host',
    async check(options, language) {
      // Reference clips are cut per job before synthesis; streaming chunks have no such step yet.
      if (options.stream?.enabled) throw failure(ErrorType.InvalidConfig, 'XTTS voice cloning is not available in streaming mode; use --tts piper or espeak-ng with --stream');
      await checkXtts(language);
    },
  },
  kokoro: {
    describe: `Kokoro-82M (neural, ${KOKORO_LANGUAGES.join('/')}; a voice or blend per character)`,
    languages: KOKORO_LANGUAGES,
    runs: 'warm host',
    palette: KOKORO_PALETTE,
    voiceProblem: (voice) => { try { checkedKokoroVoice(voice); return undefined; } catch (e) { return (e as Error).message; } },
    async check(options, language) {
      if (!(KOKORO_LANGUAGES as readonly string[]).includes(language)) {
        throw failure(ErrorType.UnsupportedLanguage, `Kokoro speaks ${KOKORO_LANGUAGES.join(', ')} here, not "${language}"; use --tts espeak-ng`);
      }
      const host = await hostEnginesAvailable(probeProgram);
      if (!host.ok) throw failure(ErrorType.EngineMissing, `Kokoro runs in the engine host, which cannot start: ${host.why}; ${KOKORO_INSTALL}`);
      await requireProgram('espeak-ng', 'espeak-ng');
      await kokoroFiles();
      for (const voice of [options.tts.voice, ...Object.values(options.tts.speakerVoices ?? {})]) if (voice) checkedKokoroVoice(voice);
    },
  },
};

const engines = new Map<TtsEngineName, TtsEngine>(TTS_ENGINE_NAMES.map((name) => [name, { name, rateKnob: hasRateKnob(name), ...registry[name] }]));

export function ttsEngine(name: TtsEngineName): TtsEngine {
  return engines.get(name)!;
}

export function ttsEngineList(): TtsEngine[] {
  return [...engines.values()];
}

export function speaksLanguage(engine: TtsEngine, language: string): boolean {
  return engine.languages === 'any' || engine.languages.includes(language);
}

/** `--tts` help: the choices and what auto picks, from the records. */
export function ttsHelp(): string {
  return `speech synthesizer: auto = piper where a neural voice for the language is installed (English; its other speakers get Kokoro voices), Kokoro for ${KOKORO_LANGUAGES.filter((l) => l !== 'en').join('/')}, else festival (English) or espeak-ng; ${ttsEngineList().map((e) => `${e.name}: ${e.describe}`).join('; ')} (env TTS_ENGINE; default auto)`;
}

/** Is Kokoro installed (its model laid out by setup)? Whether it is the pinned file is its check's business. */
export async function kokoroInstalled(): Promise<boolean> {
  return access(path.join(modelsDir(), KOKORO_FILES.model)).then(() => true, () => false);
}

/** What auto depends on, found once per job. */
export interface TtsReady {
  /** A neural piper voice is installed for the dub language and the engine host loads. */
  piperVoice: boolean;
  /** Kokoro's model is laid out and the engine host loads. */
  kokoro: boolean;
}

/**
 * auto: piper where a piper voice for the language is installed (English: `joe`, so a one-speaker English job
 * sounds as before); Kokoro for the other languages it speaks; festival for English; espeak-ng for the rest.
 */
export function chooseTtsEngine(requested: 'auto' | TtsEngineName, language: string, ready: TtsReady): TtsEngineName {
  if (requested !== 'auto') return requested;
  if (ready.piperVoice) return 'piper';
  if (ready.kokoro && speaksLanguage(ttsEngine('kokoro'), language)) return 'kokoro';
  return language === 'en' ? 'festival' : 'espeak-ng';
}

/** A voice name refused for an engine (job input), or undefined when the engine takes it. */
export function voiceProblem(engine: TtsEngineName, voice: string): string | undefined {
  return ttsEngine(engine).voiceProblem?.(voice);
}

/**
 * Does this job's cast mix Kokoro voices in beside its engine's? Only for auto's English piper (joe stays one of
 * the men; the other characters get Kokoro voices), where Kokoro is installed.
 */
export function castMixesKokoro(options: Pick<JobOptions, 'tts'>, engine: TtsEngineName, language: string, kokoroReady: boolean): boolean {
  return options.tts.engine === 'auto' && engine === 'piper' && !options.tts.piperModel && kokoroReady && speaksLanguage(ttsEngine('kokoro'), language);
}
