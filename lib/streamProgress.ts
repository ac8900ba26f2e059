// The `progress` query of a streaming run (same query name as dubJob, its own shape).
import type { Stage } from './progress.js';

export type StreamStage = 'queued' | 'prepare' | 'extract' | 'plan' | 'chunks' | 'stitch' | 'done' | 'failed';

export interface StreamProgress {
  kind: 'stream';
  stage: StreamStage;
  chunksTotal: number;
  chunksDone: number;
  chunksFailed: number;
  /** Chunks rendering now, and the stage of the lowest one (the one a viewer waits for). */
  running: number[];
  current?: { index: number; stage: Stage };
  /** Seconds from the start of the run until the first chunk was playable. */
  timeToFirstChunkSec?: number;
  percent: number;
  outputs: Record<string, string>;
  error?: string;
}

/** The `progress` query of one chunk's child workflow. */
export interface ChunkProgress {
  kind: 'chunk';
  index: number;
  stage: Stage;
}

export function isStreamProgress(p: object): p is StreamProgress {
  return (p as { kind?: string }).kind === 'stream';
}
