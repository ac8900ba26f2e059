// The shapes that travel between the workflow and its activities: paths and small JSON, never media bytes.
import type { JobOptions, JobOptionsInput } from '../config/schema.js';
import type { VoicePlan } from './voices.js';

export type DubJobInput = JobOptionsInput;

/** Where a job's artifacts live: `<root>/<name>/`. Paths inside are relative to that folder. */
export interface JobRef {
  root: string;
  name: string;
}

export interface MediaInfo {
  path: string;
  durationSec: number;
  video: { codec: string; width: number; height: number; fps: number };
  audio: { codec: string; sampleRate: number; channels: number };
}

export interface Word {
  text: string;
  start: number;
  end: number;
}

/** One spoken line of the source (seconds from the start of the video). */
export interface Line {
  index: number;
  start: number;
  end: number;
  text: string;
  speaker?: string;
  words?: Word[];
}

export interface TranslatedLine extends Line {
  target: string;
}

export interface PreparedJob {
  job: JobRef;
  options: JobOptions;
  media: MediaInfo;
  ttsEngine: 'espeak-ng' | 'festival' | 'piper' | 'xtts';
  /** Each speaker's voice (prepareVoices); absent = the job's one voice for every line. */
  voices?: VoicePlan;
}

export interface AudioTracks {
  /** 48 kHz stereo: the bed under the dub. */
  mix: string;
  /** 16 kHz mono: what recognition and analysis read. */
  analysis: string;
}

export interface Clip {
  index: number;
  path: string;
  durationSec: number;
  reused: boolean;
}

export interface FittedLine {
  index: number;
  path: string;
  start: number;
  sourceEnd: number;
  slotEnd: number;
  ttsDurationSec: number;
  fittedDurationSec: number;
  speed: number;
  trimmedSec: number;
  paddedSec: number;
  /** The synthesized clip was reused from an earlier render (same text, voice and plan). */
  ttsReused?: boolean;
}

export interface DubOutputs {
  mp4: string;
  mkv: string;
  sourceSrt: string;
  targetSrt: string;
  lipsync?: string;
  report?: string;
}

/** What became of lip-sync: off, done (with its output), or skipped with the reason (the dub is still there). */
export interface LipsyncOutcome {
  status: 'off' | 'done' | 'skipped';
  plugin?: string;
  reason?: string;
  output?: string;
}

export interface DubJobResult {
  job: JobRef;
  outputDir: string;
  outputs: DubOutputs;
  lines: number;
  durationSec: number;
  lipsync: LipsyncOutcome;
  /** Lines synthesized by this run (the rest were reused); and which output version it wrote. */
  resynthesized?: number;
  version?: number;
}
