// Every engine the pipeline can run, by kind, in the one record shape (engineRecord.ts): doctor lists them from
// here and the registry test counts them. Each kind's own registry is where an engine is added.
import { loadSettings } from '../config/load.js';
import { asrEngineList } from './asrEngines.js';
import { ENGINE_KINDS, type EngineKind, type EngineRecord } from './engineRecord.js';
import { lipsyncPlugin, lipsyncPluginNames } from './lipsync/registry.js';
import { mtEngineList } from './mtEngines.js';
import { ttsEngineList } from './ttsEngines.js';
import { diarizerList, vadEngineList } from './voiceEngines.js';

/** A lip-sync plugin as a record: doctor asks its check with the detector (the most it may need). */
function lipsyncEngineList(): EngineRecord[] {
  return lipsyncPluginNames().map((name) => {
    const plugin = lipsyncPlugin(name)!;
    return {
      kind: 'lipsync', name, describe: plugin.describe, capabilities: plugin.capabilities,
      async status() {
        const a = await plugin.check(loadSettings(), true);
        return [{ name, kind: 'lipsync', optional: true, installed: a.available, detail: a.available ? a.detail : `${a.reason} (optional plugin)`, install: 'README.md, Lip-sync' }];
      },
    };
  });
}

const byKind: Record<EngineKind, () => EngineRecord[]> = {
  asr: asrEngineList,
  mt: mtEngineList,
  tts: ttsEngineList,
  lipsync: lipsyncEngineList,
  vad: vadEngineList,
  diarizer: diarizerList,
};

export function engineRecords(kind?: EngineKind): EngineRecord[] {
  return (kind ? [kind] : ENGINE_KINDS).flatMap((k) => byKind[k]());
}
