// One record per engine, one shape for every kind: the names the schema, the CLI and the types use are exactly
// the records' names, so adding an engine is its name, its record and its adapter file, and nothing else.
import { describe, expect, it } from '@jest/globals';
import { ASR_ENGINE_NAMES, DIARIZER_NAMES, MT_ENGINE_NAMES, VAD_ENGINE_NAMES } from '../../config/engineNames.js';
import { jobOptionsSchema, LIPSYNC_PLUGIN_NAMES } from '../../config/schema.js';
import { TTS_ENGINE_NAMES } from '../../config/ttsEngineNames.js';
import { asrEngineList, asrHelp } from '../../engines/asrEngines.js';
import { ENGINE_KINDS } from '../../engines/engineRecord.js';
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
