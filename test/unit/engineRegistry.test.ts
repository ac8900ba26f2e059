// One record per engine, one shape for every kind: the names the schema, the CLI and the types use are exactly
// the records' names, so adding an engine is its record (with its adapter) and its name, and nothing else: shown
// by a throwaway engine of every kind registered the way the real ones are, which the schema enum, the CLI
// choices, doctor's rows and the derived type then take.
import { describe, expect, it } from '@jest/globals';
import { ASR_ENGINE_NAMES, DIARIZER_NAMES, MT_ENGINE_NAMES, VAD_ENGINE_NAMES } from '../../config/engineNames.js';
import { engineField, jobOptionsSchema, LIPSYNC_PLUGIN_NAMES } from '../../config/schema.js';
import { engineChoices } from '../../config/engineNames.js';
import { TTS_ENGINE_NAMES } from '../../config/ttsEngineNames.js';
import { asrEngineList, asrHelp } from '../../engines/asrEngines.js';
import { ENGINE_KINDS, kindRegistry, statusRows, type EngineKind, type EngineRecord } from '../../engines/engineRecord.js';
import { engineRecords } from '../../engines/engineRegistry.js';
import { mtEngineList, mtHelp } from '../../engines/mtEngines.js';
import { ttsEngineList, ttsHelp } from '../../engines/ttsEngines.js';

const NAMES: Record<(typeof ENGINE_KINDS)[number], readonly string[]> = {
  asr: ASR_ENGINE_NAMES,
  mt: MT_ENGINE_NAMES,
  tts: TTS_ENGINE_NAMES,
  lipsync: LIPSYNC_PLUGIN_NAMES,
  vad: VAD_ENGINE_NAMES,
  diarizer: DIARIZER_NAMES,
};

describe('the engine registries', () => {
  it.each(ENGINE_KINDS)('%s: one record per name, in the one shape', (kind) => {
    const records = engineRecords(kind);
    expect(records.map((r) => r.name)).toEqual([...NAMES[kind]]);
    for (const r of records) {
      expect(r.kind).toBe(kind);
      expect(r.describe.length).toBeGreaterThan(10);
      expect(Object.keys(r.capabilities).sort()).toEqual(['device', 'languages', 'rateKnob', 'runs', 'speakers']);
      expect(r.capabilities.languages === 'any' || Array.isArray(r.capabilities.languages)).toBe(true);
      expect(typeof r.status).toBe('function');
    }
  });

  it('counts every engine once: 5 recognizers, 5 translators, 5 synthesizers, 2 lip-sync plugins, 1 VAD, 2 diarizers', () => {
    expect(ENGINE_KINDS.map((k) => [k, engineRecords(k).length])).toEqual([['asr', 5], ['mt', 5], ['tts', 5], ['lipsync', 2], ['vad', 1], ['diarizer', 2]]);
    const all = engineRecords();
    expect(new Set(all.map((r) => `${r.kind}:${r.name}`)).size).toBe(all.length);
  });

  it('the job schema takes exactly the registered names (and auto), the --help of each kind names every engine', () => {
    const cases: [string, readonly string[], (engine: string) => object, string][] = [
      ['asr', asrEngineList().map((e) => e.name), (engine) => ({ asr: { engine } }), asrHelp()],
      ['mt', mtEngineList().map((e) => e.name), (engine) => ({ mt: { engine } }), mtHelp()],
      ['tts', ttsEngineList().map((e) => e.name), (engine) => ({ tts: { engine } }), ttsHelp()],
    ];
    for (const [kind, names, input, help] of cases) {
      for (const name of ['auto', ...names]) expect({ kind, name, ok: jobOptionsSchema.safeParse({ video: 'x.mp4', ...input(name) }).success }).toEqual({ kind, name, ok: true });
      expect(jobOptionsSchema.safeParse({ video: 'x.mp4', ...input('sh') }).success).toBe(false);
      for (const name of names) expect(help).toContain(`${name}: `);
    }
  });

  it('capabilities say what the timing fit and the cast rely on', () => {
    const tts = Object.fromEntries(ttsEngineList().map((e) => [e.name, e.capabilities]));
    expect(tts.kokoro).toMatchObject({ rateKnob: true, runs: 'warm host' });
    expect(tts.festival).toMatchObject({ rateKnob: false, runs: 'program', languages: ['en'] });
    expect(tts.xtts.speakers).toBe('cloned');
    const asr = Object.fromEntries(asrEngineList().map((e) => [e.name, e.capabilities]));
    expect(asr.pocketsphinx.languages).toEqual(['en']);
    expect(asr['faster-whisper'].runs).toBe('warm host');
  });
});

describe('adding an engine: one record and its name', () => {
  /** A throwaway engine: it says who it is to doctor and does nothing else. */
  const throwaway = (kind: EngineKind): Omit<EngineRecord<'throwaway'>, 'name' | 'kind'> => ({
    describe: `a throwaway ${kind} engine of this test`,
    capabilities: { languages: ['xx'], rateKnob: false, speakers: 'n/a', runs: 'program', device: 'cpu' },
    status: async () => [{ name: 'throwaway', kind, installed: false, install: 'nothing to install', optional: true }],
  });

  it.each(ENGINE_KINDS)('%s: a record beside the real ones shows up in the registry, the enum, the CLI choices and doctor', async (kind) => {
    const names = [...NAMES[kind], 'throwaway'] as const;
    type Name = (typeof names)[number];
    const records = Object.fromEntries([
      ...engineRecords(kind).map((r) => [r.name, r] as const),
      ['throwaway', throwaway(kind)],
    ]) as { [N in Name]: Omit<EngineRecord<Name>, 'name' | 'kind'> };
    const registry = kindRegistry<Name, EngineRecord<Name>>(kind, names, records);

    const chosen: Name = 'throwaway';

    expect(registry.list().map((r) => r.name)).toEqual([...NAMES[kind], 'throwaway']);
    expect(registry.get(chosen)).toMatchObject({ kind, name: 'throwaway', describe: `a throwaway ${kind} engine of this test` });
    expect(engineChoices(names)).toEqual(['auto', ...NAMES[kind], 'throwaway']);
    expect(engineField(names).parse('throwaway')).toBe('throwaway');
    expect(engineField(names).parse(undefined)).toBe('auto');
    expect(engineField(NAMES[kind]).safeParse('throwaway').success).toBe(false);
    // Doctor's rows come from the records: the new one's row is there, after the real ones' (only its own is asked here).
    expect(await statusRows([registry.get(chosen)])).toEqual([{ name: 'throwaway', kind, installed: false, install: 'nothing to install', optional: true }]);
  });

  it('the derived type: a new name is a type member, and a name without a record is a compile error', () => {
    const names = [...MT_ENGINE_NAMES, 'throwaway'] as const;
    type Name = (typeof names)[number];
    const chosen: Name = 'throwaway';
    const real = Object.fromEntries(mtEngineList().map((r) => [r.name, r])) as unknown as { [N in (typeof MT_ENGINE_NAMES)[number]]: Omit<EngineRecord<N>, 'name' | 'kind'> };
    const registry = kindRegistry<Name, EngineRecord<Name>>('mt', names, { ...real, throwaway: throwaway('mt') });
    expect(registry.get(chosen).name).toBe('throwaway');
    // @ts-expect-error the mapped type wants a record for every name: the throwaway's is missing
    expect(() => kindRegistry<Name, EngineRecord<Name>>('mt', names, real)).toThrow();
    // @ts-expect-error and a record needs a name in the list
    kindRegistry<(typeof MT_ENGINE_NAMES)[number], EngineRecord<(typeof MT_ENGINE_NAMES)[number]>>('mt', MT_ENGINE_NAMES, { ...real, throwaway: throwaway('mt') });
  });

  it('the real registries are built the same way: the schema and the CLI read the same names', () => {
    for (const [kind, field] of [['asr', jobOptionsSchema.shape.asr], ['mt', jobOptionsSchema.shape.mt], ['tts', jobOptionsSchema.shape.tts]] as const) {
      const inner = (field as unknown as { unwrap(): { shape: { engine: { parse(v: unknown): unknown } } } }).unwrap();
      for (const name of engineChoices(NAMES[kind])) expect(inner.shape.engine.parse(name)).toBe(name);
    }
  });
});
