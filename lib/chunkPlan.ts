// Where a streaming run cuts its input: near the target length, inside a silence (no word is cut), and on a
// video keyframe when one is in that silence (the chunk's video can then be copied, not re-encoded).
// Chunks tile the input exactly: chunk i ends where chunk i+1 starts, so the stitched file repeats nothing.
// Every boundary is the exact presentation time of a video frame (taken from the stream's own timestamps), so
// a chunk's video begins with the very frame the plan names and its sound is cut at the same instant.
import type { Region } from './speechRegions.js';

export interface Chunk {
  index: number;
  /** Seconds from the start of the input (what ffmpeg's -ss counts from): a frame's exact time, not rounded. */
  start: number;
  end: number;
  /** The window recognition hears: the chunk plus the overlap on each side (context only). */
  contextStart: number;
  contextEnd: number;
  /** Both edges are clean keyframes (or the ends of the file): the video can be stream-copied. */
  keyframeAligned: boolean;
  /**
   * For a copied chunk that ends on a keyframe: how long (seconds after `start`, in decode time) the stream copy
   * reads. With B-frames a keyframe is decoded before the frames shown just ahead of it, so a limit in display
   * time would copy the next keyframe (and the frames after it in decode order) into this chunk.
   */
  copyReadSec?: number;
}

/** One video packet as the demuxer gives it, in decode order, times in seconds from the start of the input. */
export interface VideoPacket {
  pts: number;
  dts: number;
  key: boolean;
}

/** What the plan needs to know about the video: every frame's time, and where a stream copy may cut. */
export interface VideoTimeline {
  /** Presentation time of every frame, ascending. */
  frames: number[];
  /** Keyframes a copy can start and end on, with the decode time at which a copy ending there must stop. */
  cuts: { t: number; readUntil: number }[];
}

/** Packets after a keyframe that are looked at to find frames shown before it (open GOP). */
const LOOKAHEAD = 32;

/**
 * The frame times and the clean cut points of a video stream. A keyframe is clean when nothing that follows it in
 * decode order is shown before it: in an open GOP the frames just ahead of an I-frame are decoded after it and
 * refer to the previous GOP, so a copy cut there loses or breaks them.
 */
export function videoTimeline(packets: readonly VideoPacket[]): VideoTimeline {
  const frames = packets.map((p) => p.pts).filter((t) => Number.isFinite(t)).sort((a, b) => a - b);
  const cuts: VideoTimeline['cuts'] = [];
  packets.forEach((p, i) => {
    if (!p.key || !Number.isFinite(p.pts)) return;
    for (let j = i + 1; j < Math.min(packets.length, i + 1 + LOOKAHEAD); j++) {
      if (packets[j].key) break;
      if (packets[j].pts < p.pts) return;
    }
    for (let j = Math.max(0, i - LOOKAHEAD); j < i; j++) if (packets[j].pts >= p.pts) return;
    const prevDts = i > 0 ? packets[i - 1].dts : p.dts - 1;
    cuts.push({ t: p.pts, readUntil: (prevDts + p.dts) / 2 });
  });
  cuts.sort((a, b) => a.t - b.t);
  return { frames, cuts };
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

/** The frame time nearest `t` (boundaries of a re-encoded chunk still fall on a frame). */
function nearestFrame(t: number, frames: readonly number[]): number {
  if (!frames.length) return t;
  let lo = 0;
  let hi = frames.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (frames[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 && t - frames[lo - 1] <= frames[lo] - t ? frames[lo - 1] : frames[lo];
}

/** Pick one boundary near `target`, between `lo` and `hi`. */
function pickBoundary(target: number, lo: number, hi: number, silences: readonly Region[], keyframes: readonly number[], frames: readonly number[]): { t: number; onKeyframe: boolean } {
  const inWindow = silences
    .map((s) => ({ start: Math.max(s.start, lo), end: Math.min(s.end, hi) }))
    .filter((s) => s.end - s.start > EPS);
  if (inWindow.length) {
    // The silence whose middle is nearest the target; inside it, a keyframe if there is one (nearest the middle).
    const best = inWindow.reduce((a, b) => (Math.abs((b.start + b.end) / 2 - target) < Math.abs((a.start + a.end) / 2 - target) ? b : a));
    const mid = (best.start + best.end) / 2;
    const keys = keyframes.filter((k) => k >= best.start && k <= best.end);
    if (keys.length) return { t: keys.reduce((a, b) => (Math.abs(b - mid) < Math.abs(a - mid) ? b : a)), onKeyframe: true };
    return { t: nearestFrame(mid, frames), onKeyframe: false };
  }
  // No pause near the target (continuous speech or music): a keyframe near the target, else the target.
  const keys = keyframes.filter((k) => k >= lo && k <= hi);
  if (keys.length) return { t: keys.reduce((a, b) => (Math.abs(b - target) < Math.abs(a - target) ? b : a)), onKeyframe: true };
  return { t: nearestFrame(target, frames), onKeyframe: false };
}

/**
 * `video` is the stream's timeline (frame times and clean keyframes), or for a plan without frame times just the
 * keyframe times (then a boundary outside a keyframe is not snapped to a frame).
 */
export function planChunks(durationSec: number, silences: readonly Region[], video: readonly number[] | VideoTimeline, opts: ChunkPlanOptions): Chunk[] {
  const { targetSec, overlapSec } = opts;
  const timeline: VideoTimeline = Array.isArray(video)
    ? { frames: [], cuts: [...(video as readonly number[])].map((t) => ({ t, readUntil: t })) }
    : (video as VideoTimeline);
  const slack = (opts.slack ?? 0.3) * targetSec;
  const minSilence = opts.minSilenceSec ?? 0.2;
  const usable = silences.filter((s) => s.end - s.start >= minSilence);
  const keys = timeline.cuts.map((c) => c.t).sort((a, b) => a - b);
  const readUntil = new Map(timeline.cuts.map((c) => [c.t, c.readUntil]));
  const boundaries: { t: number; onKeyframe: boolean }[] = [{ t: 0, onKeyframe: true }];
  for (;;) {
    const prev = boundaries[boundaries.length - 1].t;
    // The last chunk takes the tail when what is left is under 1.5 targets.
    if (durationSec - prev <= targetSec * 1.5) break;
    const target = prev + targetSec;
    const lo = Math.max(prev + targetSec - slack, prev + 1);
    const hi = Math.min(prev + targetSec + slack, durationSec - 1);
    boundaries.push(pickBoundary(target, lo, hi, usable, keys, timeline.frames));
  }
  boundaries.push({ t: durationSec, onKeyframe: true });
  const chunks: Chunk[] = [];
  for (let i = 0; i + 1 < boundaries.length; i++) {
    const start = boundaries[i].t;
    const end = boundaries[i + 1].t;
    const keyframeAligned = boundaries[i].onKeyframe && boundaries[i + 1].onKeyframe;
    const last = i + 2 === boundaries.length;
    chunks.push({
      index: i,
      start,
      end,
      contextStart: round3(Math.max(0, start - overlapSec)),
      contextEnd: round3(Math.min(durationSec, end + overlapSec)),
      keyframeAligned,
      ...(keyframeAligned && !last && readUntil.has(end) ? { copyReadSec: readUntil.get(end)! - start } : {}),
    });
  }
  return chunks;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
