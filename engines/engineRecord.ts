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

/** One kind's records by name, in the names' order. */
export interface KindRegistry<Name extends string, R extends EngineRecord<Name>> {
  get(name: Name): R;
  list(): R[];
}

/**
 * A kind's registry from its names (config/engineNames.ts, which the schema enum, the CLI choices and the types
 * read) and one record per name: the mapped type makes a name without a record, or a record without a name, a
 * compile error. `finish` adds what every record of the kind derives (TTS: the rate knob from its facts).
 */
export function kindRegistry<Name extends string, R extends EngineRecord<Name>>(
  kind: R['kind'], names: readonly Name[], records: { [N in Name]: Omit<R, 'name' | 'kind'> }, finish: (r: R) => R = (r) => r,
): KindRegistry<Name, R> {
  const byName = new Map<Name, R>(names.map((name) => {
    // The type already refuses this; a name list built at run time (a test's) is checked here too.
    if (!records[name]) throw new Error(`the ${kind} engine ${name} has no record`);
    return [name, finish({ ...records[name], kind, name } as R)];
  }));
  return { get: (name) => byName.get(name)!, list: () => [...byName.values()] };
}

/** Doctor's rows of some records, in their order. */
export async function statusRows(records: readonly EngineRecord[]): Promise<EngineStatus[]> {
  const rows: EngineStatus[] = [];
  for (const r of records) rows.push(...(await r.status()));
  return rows;
}
