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

export function isAsrEngineName(name: string): name is AsrEngineName {
  return (ASR_ENGINE_NAMES as readonly string[]).includes(name);
}

export function isMtEngineName(name: string): name is MtEngineName {
  return (MT_ENGINE_NAMES as readonly string[]).includes(name);
}
