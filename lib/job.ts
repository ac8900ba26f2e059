// The shapes that travel between the workflow and its activities: paths and small JSON, never media bytes.
import type { JobOptions, JobOptionsInput } from '../config/schema.js';
import type { VoicePlan } from './voices.js';
import type { Line } from './line.js';
import type { GlossaryReport } from './glossary.js';
import type { TtsEngineName } from '../config/ttsEngineNames.js';

export type { Line, Word } from './line.js';

export type DubJobInput = JobOptionsInput;

/** Where a job's artifacts live: `<root>/<name>/`. Paths inside are relative to that folder. */
export interface JobRef {
  root: string;
  name: string;
}

/** The job's folder, `<output root>/<name>` (name may hold a sub-folder): the one place it is spelled out. */
export function jobFolderOf(job: JobRef): string {
  return `${job.root.replace(/\/+$/, '')}/${job.name}`;
}

export interface MediaInfo {
  path: string;
  durationSec: number;
  video: { codec: string; width: number; height: number; fps: number };
  audio: { codec: string; sampleRate: number; channels: number };
  /** Which audio stream is the source (0:a:N, counted as ffmpeg does); absent = 0, the only or first one. */
  audioStream?: number;
  /** The input's own subtitle streams (kept in the MKV, readable with --subs embedded); absent = none. */
  subtitleStreams?: SubtitleStream[];
}

/** A subtitle stream of the input, by its place among the subtitle streams (0:s:N). */
export interface SubtitleStream {
  index: number;
  codec: string;
  language?: string;
  default: boolean;
}

export interface TranslatedLine extends Line {
  /** The translation (or a person's review edit): what the target subtitles show. */
  target: string;
  /**
   * What is said, when it is not `target`: the condensed text (activities/condense.ts). Read it through
   * spokenText: lines written before this field held the spoken text in `target`.
   */
  spoken?: string;
  /** Set by the timing fit's condensing step (activities/condense.ts): `spoken` is then the condensed text. */
  condensed?: Condensing;
  /**
   * Speaking rate (≥ 1, at most fit.maxSpeed) the timing fit asks of an engine with its own rate knob
   * (espeak-ng -s × rateHint), so the clip needs no time-stretch afterwards. Absent = 1.
   */
  rateHint?: number;
  /** Said again after a first synthesis (condensed further, or at the engine's rate): not revised twice. */
  revised?: boolean;
  /** The engine this line's target came from when it is not the job's mt.engine (a fallback, see mtFailed). */
  mtEngine?: string;
  /** Why the job's mt.engine gave no usable translation for this line. */
  mtFailed?: string;
  /** Glossary terms in this line's source: found, enforced in the target, and those that could not be (why). */
  glossary?: GlossaryReport;
  /** A chat model's length budget for this line (syllables for its slot), what the target has, and how often it was asked. */
  length?: { budget: number; got: number; asks: number };
}

/** What a line says: its condensed text where condensing shortened it, else its translation. */
export function spokenText(line: Pick<TranslatedLine, 'target' | 'spoken'>): string {
  return line.spoken ?? line.target;
}

/** A line shortened before synthesis because it was clearly too long for its slot. */
export interface Condensing {
  from: string;
  to: string;
  /** lib/condense.ts rule names, or "llm". */
  rules: string[];
  /** Spoken length estimated from syllables (lib/syllables.ts), before and after, and the slot it had. */
  estimatedSec: { from: number; to: number; slot: number };
}

export interface PreparedJob {
  job: JobRef;
  options: JobOptions;
  media: MediaInfo;
  ttsEngine: TtsEngineName;
  /** Separation will run (demucs asked for, or auto and installed); absent in jobs from before it existed. */
  separate?: boolean;
  /**
   * The language the imported subtitles are written in, when it is the dub's target (`--subs ep.en.ass --src ja
   * --tgt en`): they are then the dub script, spoken as written. Absent = in the source language (translated).
   */
  subsLanguage?: string;
  /** Each speaker's voice (prepareVoices); absent = the job's one voice for every line. */
  voices?: VoicePlan;
  /**
   * The fit limits every line gets, settled by prepareJob (lib/jobFit.ts: fit.maxSpeed capped by --fit-video
   * auto's speech cap); read through fitOf, which settles them for jobs prepared before this field.
   */
  fit?: JobOptions['fit'];
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
  /** The speaking-rate multiplier the engine applied itself (the line's rateHint honoured); absent = 1. */
  rateApplied?: number;
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
  /** How the speed was changed: none (as synthesized), atempo or rubberband (ffmpeg filters). */
  filter?: 'none' | 'atempo' | 'rubberband';
  /** Seconds the dub runs past its source line's end, into the silence before the next line. */
  borrowedSec?: number;
  /** Speed-up the engine applied while speaking (rateHint); `speed` comes on top, the two within fit.maxSpeed. */
  engineRate?: number;
  /** The text was condensed before synthesis (original and condensed text, the rules used). */
  condensed?: Condensing;
  /** The synthesized clip the fit started from: kept with --fit-video auto, which fits a line again into a slowed span. */
  clipPath?: string;
}

export interface DubOutputs {
  mp4: string;
  mkv: string;
  sourceSrt: string;
  targetSrt: string;
  /** WebVTT copies of the two subtitle files (for web players); absent in jobs from before they were written. */
  sourceVtt?: string;
  targetVtt?: string;
  lipsync?: string;
  report?: string;
}

/** An output's SHA-256 and size as the worker that made it computed them (the client checks its download against them). */
export interface OutputHash {
  sha256: string;
  bytes: number;
}

/** Output hashes by path relative to the job folder. */
export type OutputHashes = Record<string, OutputHash>;

/**
 * A workflow that carries output hashes to its result asks for them with this trailing argument (muxOutputs,
 * writeReport): a workflow from before them (a rolling upgrade) gets the old result shapes it understands.
 */
export interface HashRequest {
  hashes?: boolean;
}
export const WITH_HASHES: HashRequest = { hashes: true };

/** muxOutputs' result: the outputs, and their hashes when asked for (never left in `outputs` itself). */
export type MuxedOutputs = DubOutputs & { hashes?: OutputHashes };

/** writeReport's result when hashes are asked for: the report's path and the hashes of the files it wrote. */
export interface ReportWritten {
  report: string;
  hashes: OutputHashes;
}

/** What became of lip-sync: off, done (with its output), or skipped with the reason (the dub is still there). */
export interface LipsyncOutcome {
  status: 'off' | 'done' | 'skipped';
  plugin?: string;
  reason?: string;
  output?: string;
  /** The lip-synced video's hash, by its path (absent from workers before output hashes). */
  hashes?: OutputHashes;
  /** The plugin's account (<stem>.<lang>.lipsync.json), its still (a changed frame beside the original), per shot what it did. */
  details?: string;
  still?: string;
  shots?: LipsyncShot[];
}

/** One shot as a lip-sync plugin saw it (seconds in the output). */
export interface LipsyncShot {
  start: number;
  end: number;
  faces: number;
  linesRetimed: number[];
  framesChanged: number;
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
  /**
   * SHA-256 and size of every final output (by path in the job folder), as the workers that made them hashed them:
   * the client checks downloaded outputs against these (never against the store's own, writable index).
   * Absent for jobs finished before output hashes existed.
   */
  hashes?: OutputHashes;
}

/**
 * A list of lines (or fitted lines, or prosody plans) kept in the job folder and passed by reference, so no
 * activity input or result grows with the episode: `ref` is a content-addressed JSON file (tmp/lines/…), or a
 * folder of batch files (tmp/fitted/<run>/) that dubLines fills.
 */
export interface LineSet {
  ref: string;
  count: number;
}

/** What an activity accepts: a short list as it is (a streaming chunk's, a test's), or a reference. */
export type Lines<T> = readonly T[] | LineSet;

export function isLineSet<T>(x: Lines<T>): x is LineSet {
  return !Array.isArray(x) && typeof (x as LineSet).ref === 'string';
}
