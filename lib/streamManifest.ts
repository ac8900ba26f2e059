// stream/manifest.json (versioned) and stream/index.m3u8: what a player or a person reads while a run goes on.
import type { Chunk } from './chunkPlan.js';

export const MANIFEST_VERSION = 1;

export type ChunkStatus = 'pending' | 'running' | 'done' | 'failed';

export interface ChunkTimings {
  /** Wall-clock ISO times, measured by the activities. */
  startedAt?: string;
  finishedAt?: string;
  renderSec?: number;
}

export interface ChunkEntry {
  index: number;
  start: number;
  end: number;
  status: ChunkStatus;
  /** copy = the video stream was copied; reencode = the chunk did not start on a keyframe. */
  video?: 'copy' | 'reencode';
  files?: { mp4: string; ts: string };
  lines?: number;
  error?: string;
  timings: ChunkTimings;
}

export interface StreamManifest {
  version: typeof MANIFEST_VERSION;
  job: string;
  workflowId: string;
  source: { path: string; durationSec: number };
  plan: { chunkSeconds: number; overlapSeconds: number; concurrency: number; dryRun: boolean; chunks: number };
  status: 'running' | 'done';
  chunks: ChunkEntry[];
  final?: string;
  updatedAt: string;
}

export function initialEntries(chunks: readonly Chunk[]): ChunkEntry[] {
  return chunks.map((c) => ({ index: c.index, start: c.start, end: c.end, status: 'pending', timings: {} }));
}

/**
 * The HLS playlist: every chunk of the finished prefix (a player cannot skip a hole), EVENT while running,
 * ENDLIST once every chunk is settled. A failed chunk is still a segment: it carries the original audio. A chunk
 * whose fallback failed too has no file: the playlist steps over it with a discontinuity (the next segment's
 * timestamps jump), so the rest of the run still plays.
 */
export function playlist(entries: readonly ChunkEntry[], done: boolean): string {
  const target = Math.ceil(Math.max(1, ...entries.map((e) => e.end - e.start)));
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', `#EXT-X-TARGETDURATION:${target}`, '#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-PLAYLIST-TYPE:EVENT'];
  let settled = 0;
  let hole = false;
  for (const e of entries) {
    if (!e.files && e.status !== 'failed') break;
    settled++;
    if (!e.files) { hole = true; continue; }
    if (hole) lines.push('#EXT-X-DISCONTINUITY');
    hole = false;
    lines.push(`#EXTINF:${(e.end - e.start).toFixed(3)},`, e.files.ts);
  }
  if (done && settled === entries.length) lines.push('#EXT-X-ENDLIST');
  return lines.join('\n') + '\n';
}
