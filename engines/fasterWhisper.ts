// faster-whisper (Whisper on CTranslate2), the embedded recognizer: it runs inside the warm engine host
// (engines/engineHost.ts), with the bundled base model (or tiny.en, a folder, or a name it downloads itself).
// CUDA with float16 where it works, the CPU with int8 elsewhere (the worker's engines.device).
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ErrorType, failure } from '../lib/errors.js';
import { insideModels, modelsDir, SETUP_FIX, verifyBundled, whisperModelRef, type WhisperModelRef } from './bundledModels.js';
import { engineSettings, hostPool } from './engineHost.js';
import { fromWhisperJson, type AsrResult, type WhisperTask } from './whisper.js';

export const FASTER_WHISPER_INSTALL = `scripts/setup.sh installs faster-whisper 1.2.1 and the Whisper base model into .tools/venv (${SETUP_FIX})`;

export interface ResolvedWhisperModel {
  ref: WhisperModelRef;
  /** What the host is given: a folder, or a name to download. */
  model: string;
  sha256?: string;
}

/** The model a job names, checked: a bundled file against its pinned hash, a folder for its model.bin. */
export async function resolveWhisperModel(model: string): Promise<ResolvedWhisperModel> {
  const ref = whisperModelRef(model);
  if (ref.kind === 'bundled') {
    try {
      const v = await verifyBundled(ref.file);
      return { ref, model: ref.dir, sha256: v.sha256 };
    } catch (e) {
      throw failure(ErrorType.EngineMissing, `Whisper model ${model}: ${(e as Error).message}`);
    }
  }
  if (ref.kind === 'path') {
    if (!insideModels(ref.dir)) {
      throw failure(ErrorType.InvalidConfig, `--asr-model ${model}: a model folder must be inside the worker's models folder (${modelsDir()}); put or link it there and name it (--asr-model FOLDER_NAME)`);
    }
    if (!(await stat(path.join(ref.dir, 'model.bin')).then((s) => s.isFile() && s.size > 0, () => false))) {
      throw failure(ErrorType.EngineMissing, `--asr-model ${model}: no CTranslate2 model.bin in that folder (convert one with ct2-transformers-converter, or use base or tiny.en)`);
    }
    return { ref, model: ref.dir };
  }
  return { ref, model: ref.name };
}

export interface FasterWhisperRequest {
  audio: string;
  task: WhisperTask;
  language?: string;
  model: string;
  /** Names Whisper should spell so (lib/names.ts hotwordsOf: plain names, capped). */
  hotwords?: string;
  /**
   * Where decoding begins (seconds; the first voice onset). Whisper's first 30 s window over a title chime and music
   * jumped its timestamps past the first voiced lines: on the classroom scene it heard nothing before 19.2 s (4 lines
   * lost); begun at the first voice, it heard all four.
   */
  startSec?: number;
}

/** One recognition (or translation into English) of a 16 kHz mono WAV, in a warm host. */
export async function transcribeInHost(req: FasterWhisperRequest, onProgress?: (seconds: number) => void): Promise<AsrResult & { device?: string; computeType?: string }> {
  const { device } = engineSettings();
  const json = await hostPool().request<Parameters<typeof fromWhisperJson>[0] & { device?: string; computeType?: string }>('transcribe', {
    // No Silero VAD: on dialogue with pauses it merged speech into windows that decoded 4× slower (92 s instead of
    // 23 s for the bench's 5 minutes) and gave fewer, longer segments; silence is our hallucination guard's job.
    audio: req.audio, task: req.task, language: req.language ?? null, model: req.model, device, beamSize: 5, vad: false,
    ...(req.hotwords ? { hotwords: req.hotwords } : {}),
    clips: req.startSec ? [req.startSec] : null,
  }, { modelKey: `whisper:${req.model}`, what: `faster-whisper (${path.basename(req.model)}, ${req.task})`, onProgress });
  return { ...fromWhisperJson(json), device: json.device, computeType: json.computeType };
}
