// The speech synthesizers by name, and the one fact about each that lib/ needs (the timing fit asks whether an
// engine paces itself). Everything else about an engine — languages, voices, how it speaks, its check — is its
// record in engines/ttsEngines.ts, whose type makes a name without a record a compile error. A new engine: its
// name and rate knob here, its record there; the schema, the CLI choices, the types and doctor follow.
export const TTS_ENGINE_FACTS = {
  'espeak-ng': { rateKnob: true },
  festival: { rateKnob: false },
  piper: { rateKnob: true },
  xtts: { rateKnob: false },
  kokoro: { rateKnob: true },
} as const satisfies Record<string, { rateKnob: boolean }>;

export type TtsEngineName = keyof typeof TTS_ENGINE_FACTS;

export const TTS_ENGINE_NAMES = Object.keys(TTS_ENGINE_FACTS) as [TtsEngineName, ...TtsEngineName[]];

/** Engines that change their own pace (espeak-ng -s, piper length_scale, Kokoro speed) instead of being time-stretched. */
export function hasRateKnob(engine: string): boolean {
  return (TTS_ENGINE_FACTS as Record<string, { rateKnob: boolean }>)[engine]?.rateKnob === true;
}

export function isTtsEngineName(name: string): name is TtsEngineName {
  return Object.hasOwn(TTS_ENGINE_FACTS, name);
}
