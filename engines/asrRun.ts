// What every recognizer's adapter (engines/asrEngines.ts) shares: the request the transcribe stage (and a
// streaming chunk) hands it, and what one recognition gives back.
import type { DroppedSegment } from '../lib/hallucinationGuard.js';
import type { Line, PreparedJob } from '../lib/job.js';

/** One 16 kHz mono WAV to recognize (a whole job's or a chunk's context window), and where the engine may work. */
export interface AsrRequest {
  prep: PreparedJob;
  wavAbs: string;
  durationSec: number;
  /** A folder of the job's the engine may empty and fill (tmp/asr). */
  workDir: string;
  /** The job's command log and warm-host request log. */
  commandLog: string;
  hostLog: string;
}

/** What one recognition produced, beyond its lines: recorded in transcript.json. */
export interface Recognition {
  lines: Line[];
  engine: string;
  /** The language the engine reported (Whisper detects it when asr.detectLanguage is on). */
  detectedLanguage?: string;
  dropped: DroppedSegment[];
  warnings: string[];
}
