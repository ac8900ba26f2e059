// The lip-sync plugin contract. A new plugin is one file implementing this, added to registry.ts.
import type { Settings } from '../../config/schema.js';
import type { EngineCapabilities } from '../engineRecord.js';

export type Availability =
  | { available: true; detail: string }
  /** `missing` = something is not installed (non-retryable); the reason says exactly what and where. */
  | { available: false; reason: string };

export interface LipsyncRequest {
  /** Working directory for the plugin's own temp files: Output/<job>/tmp/lipsync/. */
  workDir: string;
  /** Video with the face(s), and the final mix to sync the lips to (paths inside workDir). */
  face: string;
  audio: string;
  /** Where the plugin writes its video (inside workDir). */
  outfile: string;
  /** Face box in Wav2Lip's own order, or undefined for the plugin's detector. */
  box?: { top: number; bottom: number; left: number; right: number };
  pads: [number, number, number, number];
  resizeFactor: number;
  nosmooth: boolean;
  timeoutMs: number;
  recordTo?: string;
  /** The dub's voice alone (no background) and the source lines as JSON [{index, start, end}] (inside workDir). */
  voice: string;
  lines: string;
}

/** What a plugin tells about its work (files inside workDir); the stage keeps them in the job folder. */
export interface LipsyncDetails {
  /** JSON with a `shots` list: per shot what the plugin did. */
  report: string;
  /** A changed frame beside the original (absent when nothing changed). */
  still?: string;
}

export interface LipsyncPlugin {
  name: string;
  /** One line for doctor and the engine list. */
  describe: string;
  capabilities: EngineCapabilities;
  check(settings: Settings, needsDetector: boolean): Promise<Availability>;
  run(settings: Settings, request: LipsyncRequest): Promise<LipsyncDetails | void>;
}
