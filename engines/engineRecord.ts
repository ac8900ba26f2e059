// The one shape every engine's record has, whatever its kind: what it is called, what it can do, and what doctor
// says about it. Each kind's registry (asrEngines, mtEngines, ttsEngines, lipsync/registry, helperEngines) adds
// its own job check and adapter to this; engines/engineRegistry.ts lists them all.
import type { EngineStatus } from './engineStatus.js';

export const ENGINE_KINDS = ['asr', 'mt', 'tts', 'lipsync', 'vad', 'diarizer'] as const;
export type EngineKind = (typeof ENGINE_KINDS)[number];

export interface EngineCapabilities {
  /** Languages it hears, translates from, or speaks ('any': whatever its check finds; [] for none, e.g. lip-sync). */
  languages: readonly string[] | 'any';
  /** Paces its own speech (TTS: a line's rate hint goes to the engine, not to a time-stretch). */
  rateKnob: boolean;
  /** Speakers: one voice, many (a cast of voices), cloned from the source, or told apart (diarizers). */
  speakers: 'one' | 'many' | 'cloned' | 'tells apart' | 'n/a';
  /** A program started per call, a model kept loaded in the warm engine host, in-process, or a server it calls. */
  runs: 'program' | 'warm host' | 'in process' | 'server';
  /** Where it computes. */
  device: 'cpu' | 'cpu or gpu' | 'server';
}

export interface EngineRecord<Name extends string = string> {
  kind: EngineKind;
  name: Name;
  /** One line for `--help` and doctor. */
  describe: string;
  capabilities: EngineCapabilities;
  /** What `anime-dub doctor` says about it (installed or not, version, how to install it). */
  status(): Promise<EngineStatus[]>;
}
