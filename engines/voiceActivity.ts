// Voice activity and the embedded diarizer: Silero VAD (its official ONNX file from the silero-vad package, laid
// out by scripts/setup.sh and pinned in engines/models.sha256) and CAM++ speaker embeddings clustered
// (engines/speakerEmbedding.ts), both run by the warm engine host (engines/host/voice_activity.py, speaker_turns.py)
// on onnxruntime and numpy: no torch.
import type { SpeakerTurn } from '../lib/diarizer.js';
import { ErrorType, failure } from '../lib/errors.js';
import type { Region } from '../lib/speechRegions.js';
import { SETUP_FIX, verifyBundled } from './bundledModels.js';
import { hostPool } from './engineHost.js';
import { speakerEmbeddingModel } from './speakerEmbedding.js';

/** The VAD model, relative to the worker's models folder. */
export const SILERO_VAD_FILE = 'silero/silero_vad.onnx';

/**
 * How voice activity is decided: Silero's own defaults (threshold 0.5 with hysteresis, 30 ms pad), except that a
 * 100 ms gap already ends a stretch, so a reply 0.3 s after the previous line is a stretch of its own, and that a
 * stretch ends where the voice does: where the probability last stood at 0.8, less its 64 ms lag behind the voice
 * (Silero's own ends were 0.1–0.15 s late; measured by scripts/measureEdges.ts, docs/PERFORMANCE.md "Line edges").
 * A voice the music bed masks (a whisper, a high voice's first words) is added from the same network run on the audio
 * with the local bed subtracted, only where it is sure: its own stretches reaching 0.95, and each stretch's start
 * moved back over frames at 0.9 or more (underBedSure / underBedExtend; engines/host/voice_activity.py; the festival
 * scene's VAD onsets within ±200 ms of the true line 15 → 17 of 17). The diarizer's stretches (speaker_turns) are
 * these same stretches.
 */
export const VAD_SETTINGS = {
  threshold: 0.5, minSilenceSec: 0.1, minSpeechSec: 0.2, padSec: 0.03, endThreshold: 0.8, endLagSec: 0.064, underBedSure: 0.95, underBedExtend: 0.9,
};
export type VadSettings = Omit<typeof VAD_SETTINGS, 'endThreshold' | 'underBedSure'> & { endThreshold: number | null; underBedSure: number | null };
/** Average-linkage cosine distance between CAM++ embeddings (of bed-subtracted pieces) above which two clusters are
 * two speakers: 0.3–0.35 give the same clusters on every fixture (scripts/measure_diarization.py). */
export const CLUSTER_DISTANCE = 0.33;

/** The VAD model's path once its SHA-256 is the pinned one; EngineMissing naming the fix otherwise. */
export async function vadModel(): Promise<string> {
  try {
    return (await verifyBundled(SILERO_VAD_FILE)).file;
  } catch (e) {
    throw failure(ErrorType.EngineMissing, `Silero VAD model: ${(e as Error).message}`);
  }
}

/**
 * Where a voice speaks in a 16 kHz mono WAV (absolute path): music and effects do not count. `settings` other than
 * VAD_SETTINGS are for measuring (endThreshold null: Silero's own ends; underBedSure null: the source's stretches alone).
 */
export async function voiceActivity(wav: string, settings: VadSettings = VAD_SETTINGS): Promise<Region[]> {
  const model = await vadModel();
  const res = await hostPool().request<{ regions: [number, number][] }>('voice_activity', { audio: wav, model, ...settings }, {
    modelKey: `vad:${model}`, what: 'Silero VAD',
  });
  return res.regions.map(([start, end]) => ({ start, end }));
}

export interface VoiceTurns {
  /** Voiced stretches labelled V1, V2… by first appearance; f0 is the stretch's median pitch (Hz) when voiced enough. */
  turns: (SpeakerTurn & { f0: number | null })[];
  regions: Region[];
  speakers: number;
}

/** Who speaks when in a 16 kHz mono WAV, by the embedded (torch-free) diarizer. */
export async function voiceTurns(wav: string): Promise<VoiceTurns> {
  const [model, embedding] = await Promise.all([vadModel(), speakerEmbeddingModel()]);
  const res = await hostPool().request<{ turns: VoiceTurns['turns']; regions: [number, number][]; speakers: number }>('speaker_turns', {
    audio: wav, model, embedding, ...VAD_SETTINGS, clusterDistance: CLUSTER_DISTANCE,
  }, { modelKey: `vad:${model}`, what: 'the embedded diarizer' });
  return { turns: res.turns, regions: res.regions.map(([start, end]) => ({ start, end })), speakers: res.speakers };
}
