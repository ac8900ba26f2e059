// The engines that hear who speaks where, one record each: voice activity (Silero VAD) and the diarizers (the
// embedded CAM++ embedding clustering, pyannote.audio). Job options name only the diarizer (tts.diarize: auto = the
// embedded one, off, or one by name: the schema's enum is built from DIARIZER_NAMES); VAD is always Silero. A new
// diarizer: its name in config/engineNames.ts, a record here with its `plugin` (lib/diarizer.ts's shape) beside it.
import { AUTO_DIARIZER, DIARIZER_NAMES, VAD_ENGINE_NAMES, type DiarizerName, type VadEngineName } from '../config/engineNames.js';
import { loadSettings } from '../config/load.js';
import type { Diarizer } from '../lib/diarizer.js';
import { bundledModelDetail, SETUP_INSTALL } from './bundledModels.js';
import { pyannoteDiarizer } from './diarize.js';
import { kindRegistry, type EngineRecord } from './engineRecord.js';
import { hostEnginesAvailable } from './engineHost.js';
import { probeProgram } from './run.js';
import { CAMPPLUS_FILE } from './speakerEmbedding.js';
import { SILERO_VAD_FILE } from './voiceActivity.js';

export { DIARIZER_NAMES, VAD_ENGINE_NAMES, type DiarizerName, type VadEngineName } from '../config/engineNames.js';

/** A diarizer's record; a named one (not the AUTO_DIARIZER, which the voices stage runs in the warm host) carries its plugin. */
export interface DiarizerEngine extends EngineRecord<DiarizerName> {
  kind: 'diarizer';
  plugin?: (python: string) => Diarizer;
}

/** Silero's model in the warm host: what doctor says of it (the VAD and the embedded diarizer both need it). */
async function sileroStatus(): Promise<{ ok: boolean; detail: string }> {
  const host = await hostEnginesAvailable(probeProgram);
  if (!host.ok) return { ok: false, detail: host.why ?? 'the engine host cannot start' };
  return bundledModelDetail(SILERO_VAD_FILE);
}

const vad: Record<VadEngineName, Omit<EngineRecord<VadEngineName>, 'name' | 'kind'>> = {
  silero: {
    describe: 'Silero VAD (ONNX, in the warm engine host): where a voice speaks, music and effects left out',
    capabilities: { languages: 'any', rateKnob: false, speakers: 'n/a', runs: 'warm host', device: 'cpu' },
    async status() {
      const s = await sileroStatus();
      return [{ name: 'silero', kind: 'vad', installed: s.ok, detail: `line edges for Whisper's lines: ${s.detail}`, install: SETUP_INSTALL }];
    },
  },
};

const diarizers: Record<DiarizerName, Omit<DiarizerEngine, 'name' | 'kind'>> & Record<typeof AUTO_DIARIZER, { plugin?: undefined }> = {
  embedded: {
    describe: 'CAM++ speaker embeddings of Silero VAD pieces, clustered (numpy, no torch; tts.diarize auto)',
    capabilities: { languages: 'any', rateKnob: false, speakers: 'tells apart', runs: 'warm host', device: 'cpu' },
    async status() {
      const [s, e] = await Promise.all([sileroStatus(), bundledModelDetail(CAMPPLUS_FILE)]);
      return [{ name: 'embedded', kind: 'diarizer', installed: s.ok && e.ok, detail: `who speaks when (tts.diarize auto): ${s.detail}; CAM++ ${e.detail}`, install: SETUP_INSTALL }];
    },
  },
  pyannote: {
    describe: 'pyannote.audio (installed separately; tts.diarize pyannote)',
    plugin: pyannoteDiarizer,
    capabilities: { languages: 'any', rateKnob: false, speakers: 'tells apart', runs: 'program', device: 'cpu or gpu' },
    async status() {
      const c = await pyannoteDiarizer(loadSettings().plugins.python).check();
      return [{ name: 'pyannote', kind: 'diarizer', optional: true, installed: c.available, detail: c.available ? 'tts.diarize pyannote' : c.reason, install: 'pip install pyannote.audio; HF_TOKEN for its gated pipeline' }];
    },
  },
};

const vadRegistry = kindRegistry<VadEngineName, EngineRecord<VadEngineName>>('vad', VAD_ENGINE_NAMES, vad);
const diarizerRegistry = kindRegistry<DiarizerName, DiarizerEngine>('diarizer', DIARIZER_NAMES, diarizers);

export function vadEngineList(): EngineRecord<VadEngineName>[] {
  return vadRegistry.list();
}

export function diarizerList(): DiarizerEngine[] {
  return diarizerRegistry.list();
}

/** A named diarizer's plugin, run with the worker's Python. */
export function diarizerNamed(name: DiarizerName, python = 'python3'): Diarizer | undefined {
  return diarizers[name].plugin?.(python);
}
