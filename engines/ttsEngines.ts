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
import { checkedKokoroVoice, parseKokoroVoice, KOKORO_FILES, KOKORO_INSTALL, KOKORO_LANGUAGES, kokoroFiles } from './kokoro.js';
import { requireProgram } from './programPath.js';
import { run } from './run.js';
import { espeakArgv, espeakHasLanguage, festivalArgv, FESTIVAL_DEFAULT_VOICE } from './tts.js';
import { checkPiper, checkXtts, resolvePiperModel, xttsImportable } from './ttsChecks.js';
import { BUNDLED_PIPER, bundledModelDetail, SETUP_INSTALL } from './bundledModels.js';
import { kindRegistry, type EngineCapabilities, type EngineRecord } from './engineRecord.js';
import type { EngineStatus } from './engineStatus.js';
import { piperSpeak } from './piper.js';
import { kokoroSpeak } from './kokoro.js';
import { XTTS_DEFAULT_MODEL, XTTS_INSTALL, xttsLanguage, xttsSpeak } from './xtts.js';
import { firstLine, versionOf } from './programVersion.js';
import type { CastPalettes, SpeakerVoice } from '../lib/voices.js';

export type { TtsEngineName } from '../config/ttsEngineNames.js';

/** Voices a cast hands out automatically with an engine, most distinct first, by the source speaker's register. */
export interface CastPalette {
  female: readonly string[];
  male: readonly string[];
}

/** What a line's synthesis hands an engine's adapter: the job, the speaker's voice, and the job folder's plumbing. */
export interface SpeakRequest {
  options: JobOptions;
  /** The dub language. */
  language: string;
  /** This speaker's voice from the voice plan (prepareVoices), when there is one. */
  voice?: SpeakerVoice;
  lineIndex: number;
  /** Runs a program that writes `out`, `text` on its stdin (recorded in the job's command log; no file = failure). */
  runArgv(cmd: string[], out: string, text: string): Promise<void>;
  /** A warm-host request, recorded in the job's host request log under `op`. */
  logged(op: string, ask: () => Promise<{ request: Record<string, unknown> }>): Promise<void>;
  /** A path inside the job folder (the speaker's reference clip). */
  inJob(rel: string): string;
}

/** How one engine speaks one text in this job's (and this speaker's) voice; `rate` only where it is native. */
export interface TtsSpeaker {
  /** Names the voice in cache keys. */
  key: string;
  /** Writes the engine's raw WAV of `text` to `out`. */
  speak(out: string, text: string, rate?: number): Promise<void>;
  /**
   * Expressive mode's line at `rate`: natively where the engine has the knob, else said as is with `tempoLeft`
   * (the rate still to apply with atempo); `rateApplied` says how, for the plan's debug record.
   */
  speakPaced(out: string, text: string, rate: number): Promise<{ rateApplied: string; tempoLeft: number }>;
}

export interface TtsEngine extends EngineRecord<TtsEngineName> {
  kind: 'tts';
  /** Voices matched to speakers by pitch (a cast); absent = the engine's own variants or pitch shifts. */
  palette?: CastPalette;
  /** Is a voice name one of this engine's? (job input: strict). Absent = any name its adapter checks itself. */
  voiceProblem?(voice: string): string | undefined;
  /** Ready for this job in this language? Throws EngineMissing / UnsupportedLanguage / InvalidConfig naming the fix. */
  check(options: JobOptions, language: string): Promise<void>;
  /** The job's voice when --voice names none (espeak-ng's is named by the language; piper's is its model, settled by `baseVoice`). */
  defaultVoice(language: string): string;
  /** The model setting a speaker's voice depends on beyond its name (cache keys). */
  voiceModel?(options: JobOptions): string | undefined;
  /** The voice a cast starts from and the speakers it holds, when that is not the job's voice alone (piper: its model file). */
  baseVoice?(options: JobOptions, language: string): Promise<{ voice: string; speakers: number }>;
  /** A speaker's voice as every line of theirs will use it (piper: resolved to its file; Kokoro: checked). */
  settleVoice?(options: JobOptions, language: string, voice: string, baseVoice: string): Promise<string>;
  /** The adapter: this engine, set up for one line's speaker. */
  speaker(req: SpeakRequest): Promise<TtsSpeaker>;
}

/** Said as is, its expressive rate left to atempo. */
function pacedByAtempo(speak: (out: string, text: string) => Promise<void>): TtsSpeaker['speakPaced'] {
  return async (out, text, rate) => {
    await speak(out, text);
    return { rateApplied: `ffmpeg atempo ${rate.toFixed(3)}`, tempoLeft: rate };
  };
}

/** A warm-host model's own rate knob (piper length_scale, Kokoro speed). */
function pacedNatively(speak: TtsSpeaker['speak'], how: (rate: number) => string): TtsSpeaker['speakPaced'] {
  return async (out, text, rate) => {
    await speak(out, text, rate);
    return { rateApplied: how(rate), tempoLeft: 1 };
  };
}

/** A program that speaks (espeak-ng, festival), its text on stdin so a line starting with "-" is never a flag. */
function programSpeaker(req: SpeakRequest, key: string, argv: (out: string, rate?: number) => string[], paced?: TtsSpeaker['speakPaced']): TtsSpeaker {
  const speak = (out: string, text: string, rate?: number) => req.runArgv(argv(out, rate), out, text);
  return { key, speak, speakPaced: paced ?? pacedByAtempo(speak) };
}

const PROGRAM: EngineCapabilities = { languages: 'any', rateKnob: false, speakers: 'many', runs: 'program', device: 'cpu' };
const WARM_HOST: EngineCapabilities = { languages: 'any', rateKnob: false, speakers: 'many', runs: 'warm host', device: 'cpu or gpu' };

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

const registry: Record<TtsEngineName, Omit<TtsEngine, 'name' | 'kind'>> = {
  'espeak-ng': {
    describe: 'espeak-ng (formant synthesis, ~100 languages; the fallback)',
    capabilities: PROGRAM,
    async check(options, language) {
      await requireProgram('espeak-ng', 'espeak-ng');
      if (!(await espeakSpeaks(options.tts.voice ?? language))) {
        throw failure(ErrorType.UnsupportedLanguage, `espeak-ng has no voice for "${options.tts.voice ?? language}" (see \`espeak-ng --voices\`)`);
      }
    },
    defaultVoice: (language) => language,
    async speaker(req) {
      const name = req.voice?.voice ?? req.options.tts.voice ?? req.language;
      const wpm = req.options.tts.espeakSpeed;
      // Expressive mode's rate natively, in words per minute.
      return programSpeaker(req, `espeak-ng-${name}`, (out, rate) => espeakArgv(out, name, Math.round(wpm * (rate ?? 1))), async (out, text, rate) => {
        const speed = Math.round(wpm * rate);
        await req.runArgv(espeakArgv(out, name, speed), out, text);
        return { rateApplied: `espeak-ng -s ${speed} (base ${wpm})`, tempoLeft: 1 };
      });
    },
    status: async () => [{ name: 'espeak-ng', kind: 'tts', ...(await versionOf(['espeak-ng', '--version'], firstLine(/text-to-speech: (\S+)/))), install: 'apt-get install espeak-ng' }],
  },
  festival: {
    describe: `festival (HTS voice ${FESTIVAL_DEFAULT_VOICE}, English)`,
    capabilities: { ...PROGRAM, languages: ['en'] },
    async check(_options, language) {
      if (language !== 'en') throw failure(ErrorType.UnsupportedLanguage, `festival's installed voice (${FESTIVAL_DEFAULT_VOICE}) speaks English only, not "${language}"; use --tts espeak-ng`);
      await requireProgram('text2wave', 'festival festvox-us-slt-hts');
    },
    defaultVoice: () => FESTIVAL_DEFAULT_VOICE,
    // Its HTS voice ignores Duration_Stretch: expressive mode's rate goes through atempo.
    async speaker(req) {
      const name = req.voice?.voice ?? req.options.tts.voice;
      return programSpeaker(req, `festival-${name ?? 'default'}`, (out) => festivalArgv(out, name));
    },
    async status() {
      const [festival, voice] = await Promise.all([
        versionOf(['festival', '--version'], firstLine(/System: (\S+)/)),
        access(`/usr/share/festival/voices/us/${FESTIVAL_DEFAULT_VOICE}`).then(() => true, () => false),
      ]);
      return [{ name: 'festival', kind: 'tts', installed: festival.installed && voice, version: festival.version, detail: voice ? `voice ${FESTIVAL_DEFAULT_VOICE}` : 'HTS voice missing', install: 'apt-get install festival festvox-us-slt-hts' }];
    },
  },
  piper: {
    describe: 'piper (neural, one .onnx voice; en_US-joe-medium installed)',
    capabilities: WARM_HOST,
    check: (options, language) => checkPiper(options, language),
    defaultVoice: (language) => language,
    voiceModel: (options) => options.tts.piperModel,
    async baseVoice(options, language) {
      const piper = await resolvePiperModel(options, language);
      return { voice: piper.model, speakers: piper.speakers };
    },
    // A speaker's own voice is a name or a path: resolved here, so every line of theirs reads the same file.
    settleVoice: async (options, language, voice, baseVoice) => (voice === baseVoice ? voice : (await resolvePiperModel(options, language, voice)).model),
    async speaker(req) {
      const { options, language, voice } = req;
      const model = voice?.voice ? (await resolvePiperModel(options, language, voice.voice)).model : (await resolvePiperModel(options, language)).model;
      const speakerId = voice?.speakerId;
      const speak: TtsSpeaker['speak'] = (out, text, rate) => req.logged('synthesize', () => piperSpeak(out, text, { model, speakerId, rate }));
      return { key: `piper-${path.basename(model)}-${speakerId ?? 0}`, speak, speakPaced: pacedNatively(speak, (rate) => `piper length_scale ${(1 / rate).toFixed(3)}`) };
    },
    async status() {
      const host = await hostEnginesAvailable(probeProgram);
      const out: EngineStatus[] = [];
      for (const [language, voice] of Object.entries(BUNDLED_PIPER)) {
        const v = await bundledModelDetail(voice.file);
        out.push({ name: 'piper', kind: 'tts', installed: host.ok && v.ok, version: host.versions?.piper, detail: `neural voice for "${language}" (the default for ${language}): ${host.ok ? v.detail : host.why}; other languages keep festival/espeak-ng until a piper voice is given (--piper-model)`, install: SETUP_INSTALL });
      }
      return out;
    },
  },
  xtts: {
    describe: 'Coqui XTTS v2 (each speaker cloned from the source; installed separately)',
    capabilities: { ...WARM_HOST, speakers: 'cloned' },
    async check(options, language) {
      // Reference clips are cut per job before synthesis; streaming chunks have no such step yet.
      if (options.stream?.enabled) throw failure(ErrorType.InvalidConfig, 'XTTS voice cloning is not available in streaming mode; use --tts piper or espeak-ng with --stream');
      await checkXtts(language);
    },
    defaultVoice: (language) => language,
    voiceModel: (options) => options.tts.xttsModel,
    async speaker(req) {
      const { options, language, voice } = req;
      if (!voice?.reference) {
        throw failure(ErrorType.InvalidConfig, 'XTTS needs a reference clip per speaker, made by prepareVoices in a dub job (not available for streaming chunks); use --tts piper or espeak-ng there');
      }
      const v = { model: options.tts.xttsModel ?? XTTS_DEFAULT_MODEL, speakerWav: req.inJob(voice.reference), language: xttsLanguage(language) ?? language };
      // No rate knob we use: its expressive rate goes through atempo with the pitch and energy.
      const speak = (out: string, text: string) => req.logged('xtts', () => xttsSpeak(out, text, v));
      return { key: `xtts-${voice.speaker}`, speak, speakPaced: pacedByAtempo(speak) };
    },
    status: async () => [{ name: 'coqui-tts', optional: true, kind: 'tts', installed: await xttsImportable(), detail: '--tts xtts (XTTS v2 voice cloning in the warm engine host; COQUI_TOS_AGREED=1 once its licence is accepted)', install: XTTS_INSTALL }],
  },
  kokoro: {
    describe: `Kokoro-82M (neural, ${KOKORO_LANGUAGES.join('/')}; a voice or blend per character)`,
    capabilities: { ...WARM_HOST, languages: KOKORO_LANGUAGES },
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
    defaultVoice: () => KOKORO_PALETTE.male[0],
    settleVoice: async (_options, _language, voice) => { checkedKokoroVoice(voice); return voice; },
    async speaker(req) {
      const name = req.voice?.voice ?? req.options.tts.voice ?? KOKORO_PALETTE.male[0];
      const speak: TtsSpeaker['speak'] = (out, text, rate) => req.logged('kokoro', () => kokoroSpeak(out, text, req.language, name, rate));
      return { key: `kokoro-${name}`, speak, speakPaced: pacedNatively(speak, (rate) => `kokoro speed ${rate.toFixed(3)}`) };
    },
    async status() {
      const host = await hostEnginesAvailable(probeProgram);
      const v = await bundledModelDetail(KOKORO_FILES.model);
      return [{ name: 'kokoro', kind: 'tts', installed: host.ok && v.ok, detail: `Kokoro-82M v1.0 int8 (${KOKORO_LANGUAGES.join(', ')}; the default for es/fr/pt/it and the cast's voices): ${host.ok ? v.detail : host.why}`, install: SETUP_INSTALL }];
    },
  },
};

// The rate knob is config/ttsEngineNames.ts's (lib/ reads it); the record carries the same fact.
const engines = kindRegistry<TtsEngineName, TtsEngine>('tts', TTS_ENGINE_NAMES, registry, (e) => ({ ...e, capabilities: { ...e.capabilities, rateKnob: hasRateKnob(e.name) } }));

export function ttsEngine(name: TtsEngineName): TtsEngine {
  return engines.get(name);
}

export function ttsEngineList(): TtsEngine[] {
  return engines.list();
}

export function speaksLanguage(engine: TtsEngine, language: string): boolean {
  const { languages } = engine.capabilities;
  return languages === 'any' || languages.includes(language);
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

/** Is a cast of this engine matched to the source's pitch (a palette of its own, or Kokoro's mixed in)? */
function castMatchedByPitch(engine: TtsEngineName): boolean {
  return !!ttsEngine(engine).palette || engine === 'piper';
}

/** Does this job's cast mix Kokoro's voices in (castMixesKokoro, with Kokoro's installation looked up)? */
export async function castMixes(options: Pick<JobOptions, 'tts'>, engine: TtsEngineName, language: string): Promise<boolean> {
  return castMixesKokoro(options, engine, language, await kokoroInstalled());
}

/** What a cast matched by pitch depends on, for the voices' cache key (the palette, the register split, the mix); [] for the others. */
export async function castKey(options: Pick<JobOptions, 'tts'>, engine: TtsEngineName, language: string, femaleFromHz: number): Promise<unknown[]> {
  return castMatchedByPitch(engine) ? [{ cast: 'by-pitch-1', palette: KOKORO_PALETTE, female: femaleFromHz, mixes: await castMixes(options, engine, language) }] : [];
}

/**
 * The voices a cast matched to the source hands out: the engine's own palette (Kokoro's), or for auto's English
 * piper its voice first among the men and Kokoro's for everyone else. Undefined = the engine's own variants
 * (espeak-ng, festival, a pinned piper).
 */
export function castPalettes(engine: TtsEngineName, baseVoice: string, mixesKokoro: boolean): CastPalettes | undefined {
  const voicesOf = (name: TtsEngineName, list: readonly string[]) => list.map((voice) => ({ engine: name, voice }));
  const own = ttsEngine(engine).palette;
  if (own) return { female: voicesOf(engine, own.female), male: voicesOf(engine, own.male) };
  if (mixesKokoro) return { female: voicesOf('kokoro', KOKORO_PALETTE.female), male: [{ engine, voice: baseVoice }, ...voicesOf('kokoro', KOKORO_PALETTE.male)] };
  return undefined;
}

/** The engine a cast voice speaks with: Kokoro's voices where the cast mixes them in, else the job's engine. */
export function castVoiceEngine(engine: TtsEngineName, mixesKokoro: boolean): (voice: string) => TtsEngineName {
  return (voice) => (mixesKokoro && parseKokoroVoice(voice) ? 'kokoro' : engine);
}
