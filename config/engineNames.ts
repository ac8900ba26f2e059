// The engines a job may name, by kind, as plain data (the schema's enums, the CLI's choices and the types come
// from here; lib/ and workflows may import it). Each name has one record in engines/<kind>Engines.ts, whose
// type makes a name without a record a compile error. TTS names and their rate knob: ./ttsEngineNames.ts.
// A new engine: its name here, its record there, its adapter file beside the record.

/** Speech recognizers (engines/asrEngines.ts). */
export const ASR_ENGINE_NAMES = ['faster-whisper', 'pocketsphinx', 'whisper', 'whisper-ctranslate2', 'whisper-cpp'] as const;
export type AsrEngineName = (typeof ASR_ENGINE_NAMES)[number];

/** Translators (engines/mtEngines.ts). */
export const MT_ENGINE_NAMES = ['apertium', 'argos', 'llm', 'local-llm', 'whisper'] as const;
export type MtEngineName = (typeof MT_ENGINE_NAMES)[number];

/** Voice activity (engines/voiceEngines.ts): always Silero; no job option names it. */
export const VAD_ENGINE_NAMES = ['silero'] as const;
export type VadEngineName = (typeof VAD_ENGINE_NAMES)[number];

/** Diarizers (engines/voiceEngines.ts). */
export const DIARIZER_NAMES = ['embedded', 'pyannote'] as const;
export type DiarizerName = (typeof DIARIZER_NAMES)[number];
/** The diarizer `tts.diarize auto` runs (offline, bundled); the others run when named, falling back to it. */
export const AUTO_DIARIZER = 'embedded' satisfies DiarizerName;
/** tts.diarize: auto (the AUTO_DIARIZER), off (one voice for lines that name nobody), or a diarizer by name. */
export const DIARIZE_CHOICES = ['auto', 'off', ...DIARIZER_NAMES] as const;
export type DiarizeChoice = (typeof DIARIZE_CHOICES)[number];

/** The diarizer a tts.diarize value names beyond the automatic one (pyannote), or undefined (auto, off, the automatic one by name). */
export function namedDiarizer(choice: string | undefined): Exclude<DiarizerName, typeof AUTO_DIARIZER> | undefined {
  const named = DIARIZER_NAMES.find((n) => n === choice);
  return named === undefined || named === AUTO_DIARIZER ? undefined : named;
}

/** What a job may name for an engine of a kind: auto, then the kind's names (the schema enum and the CLI's choices). */
export function engineChoices<Name extends string>(names: readonly Name[]): ['auto', ...Name[]] {
  return ['auto', ...names];
}

export function isAsrEngineName(name: string): name is AsrEngineName {
  return (ASR_ENGINE_NAMES as readonly string[]).includes(name);
}

export function isMtEngineName(name: string): name is MtEngineName {
  return (MT_ENGINE_NAMES as readonly string[]).includes(name);
}
