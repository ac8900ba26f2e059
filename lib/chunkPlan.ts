// Where a streaming run cuts its input: near the target length, inside a silence (no word is cut), and on a
// video keyframe when one is in that silence (the chunk's video can then be copied, not re-encoded).
// Chunks tile the input exactly: chunk i ends where chunk i+1 starts, so the stitched file repeats nothing.
import type { Region } from './speechRegions.js';

export interface Chunk {
  index: number;
  start: number;
  end: number;
  /** The window recognition hears: the chunk plus the overlap on each side (context only). */
  contextStart: number;
  contextEnd: number;
  /** Both edges are keyframes (or the ends of the file): the video can be stream-copied. */
  keyframeAligned: boolean;
}

export interface ChunkPlanOptions {
  targetSec: number;
  overlapSec: number;
  /** How far from the target a boundary may move to find a silence, as a fraction of the target. */
  slack?: number;
  /** Shortest silence worth cutting in. */
  minSilenceSec?: number;
}

const EPS = 1e-3;

/** Pick one boundary near `target`, between `lo` and `hi`. */
function pickBoundary(target: number, lo: number, hi: number, silences: readonly Region[], keyframes: readonly number[]): { t: number; onKeyframe: boolean } {
  const inWindow = silences
    .map((s) => ({ start: Math.max(s.start, lo), end: Math.min(s.end, hi) }))
    .filter((s) => s.end - s.start > EPS);
  if (inWindow.length) {
    // The silence whose middle is nearest the target; inside it, a keyframe if there is one (nearest the middle).
    const best = inWindow.reduce((a, b) => (Math.abs((b.start + b.end) / 2 - target) < Math.abs((a.start + a.end) / 2 - target) ? b : a));
    const mid = (best.start + best.end) / 2;
    const keys = keyframes.filter((k) => k >= best.start && k <= best.end);
    if (keys.length) return { t: keys.reduce((a, b) => (Math.abs(b - mid) < Math.abs(a - mid) ? b : a)), onKeyframe: true };
    return { t: mid, onKeyframe: false };
  }
  // No pause near the target (continuous speech or music): a keyframe near the target, else the target.
  const keys = keyframes.filter((k) => k >= lo && k <= hi);
  if (keys.length) return { t: keys.reduce((a, b) => (Math.abs(b - target) < Math.abs(a - target) ? b : a)), onKeyframe: true };
  return { t: target, onKeyframe: false };
}

export function planChunks(durationSec: number, silences: readonly Region[], keyframes: readonly number[], opts: ChunkPlanOptions): Chunk[] {
  const { targetSec, overlapSec } = opts;
  const slack = (opts.slack ?? 0.3) * targetSec;
  const minSilence = opts.minSilenceSec ?? 0.2;
  const usable = silences.filter((s) => s.end - s.start >= minSilence);
  const keys = [...keyframes].sort((a, b) => a - b);
  const boundaries: { t: number; onKeyframe: boolean }[] = [{ t: 0, onKeyframe: true }];
  for (;;) {
    const prev = boundaries[boundaries.length - 1].t;
    // The last chunk takes the tail when what is left is under 1.5 targets.
    if (durationSec - prev <= targetSec * 1.5) break;
    const target = prev + targetSec;
    const lo = Math.max(prev + targetSec - slack, prev + 1);
    const hi = Math.min(prev + targetSec + slack, durationSec - 1);
    boundaries.push(pickBoundary(target, lo, hi, usable, keys));
  }
  boundaries.push({ t: durationSec, onKeyframe: true });
  const chunks: Chunk[] = [];
  for (let i = 0; i + 1 < boundaries.length; i++) {
    const start = round3(boundaries[i].t);
    const end = round3(boundaries[i + 1].t);
    chunks.push({
      index: i,
      start,
      end,
      contextStart: round3(Math.max(0, start - overlapSec)),
      contextEnd: round3(Math.min(durationSec, end + overlapSec)),
      keyframeAligned: boundaries[i].onKeyframe && boundaries[i + 1].onKeyframe,
    });
  }
  return chunks;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
