// The lip-sync plugin contract. A new plugin is one file implementing this, added to registry.ts.
import type { Settings } from '../../config/schema.js';

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
}

export interface LipsyncPlugin {
  name: string;
  check(settings: Settings, needsDetector: boolean): Promise<Availability>;
  run(settings: Settings, request: LipsyncRequest): Promise<void>;
}
