// The time map of --fit-video auto: spans of the source whose picture (and sound) is slowed, each by its factor,
// and everything after a span moved later by what the span gained. One map for the dub track, the original
// audio, the subtitles, the video and the report: source time → output time and back, and the new duration.
// Pure: the planning of the spans from the lines' needs is here too, so a unit test reaches all of it.

export interface StretchSpan {
  /** Source seconds where the slowed span starts and ends. */
  srcStart: number;
  srcEnd: number;
  /** Output length / source length of the span (> 1: slowed). */
  factor: number;
}

export interface TimeMap {
  /** Disjoint, sorted by srcStart. */
  spans: StretchSpan[];
  sourceDurationSec: number;
  /** The output's duration: the source's plus what every span gained. */
  durationSec: number;
}

/** Spans shorter than this, or slowed by less than this share, are not worth a re-encode. */
export const MIN_SPAN_SEC = 0.04;
export const MIN_STRETCH = 1.005;

const r6 = (x: number) => Math.round(x * 1e6) / 1e6;

/**
 * The map of a set of spans: clamped to the source, overlapping spans merged into one (their union, slowed by
 * the largest factor among them, so each keeps at least the room it asked for); touching spans stay apart.
 */
export function makeTimeMap(spans: readonly StretchSpan[], sourceDurationSec: number): TimeMap {
  const clamped = spans
    .map((s) => ({ srcStart: Math.max(0, s.srcStart), srcEnd: Math.min(sourceDurationSec, s.srcEnd), factor: s.factor }))
    .filter((s) => s.srcEnd - s.srcStart >= MIN_SPAN_SEC && s.factor >= MIN_STRETCH)
    .sort((a, b) => a.srcStart - b.srcStart);
  const merged: StretchSpan[] = [];
  for (const s of clamped) {
    const last = merged[merged.length - 1];
    if (last && s.srcStart < last.srcEnd - 1e-9) {
      last.srcEnd = Math.max(last.srcEnd, s.srcEnd);
      last.factor = Math.max(last.factor, s.factor);
    } else {
      merged.push({ ...s });
    }
  }
  const rounded = merged.map((s) => ({ srcStart: r6(s.srcStart), srcEnd: r6(s.srcEnd), factor: r6(s.factor) }));
  return { spans: rounded, sourceDurationSec, durationSec: r6(sourceDurationSec + addedBy(rounded, Infinity)) };
}

/** Seconds the spans before source time t have added (a span t falls in counts up to t). */
function addedBy(spans: readonly StretchSpan[], t: number): number {
  let added = 0;
  for (const s of spans) {
    if (t <= s.srcStart) break;
    added += (Math.min(t, s.srcEnd) - s.srcStart) * (s.factor - 1);
  }
  return added;
}

/** Where source time t plays in the output. */
export function toOutput(map: TimeMap, t: number): number {
  return t + addedBy(map.spans, t);
}

/** The source time shown at output time t (the inverse of toOutput). */
export function toSource(map: TimeMap, t: number): number {
  let added = 0;
  for (const s of map.spans) {
    const outStart = s.srcStart + added;
    if (t <= outStart) break;
    const outEnd = outStart + (s.srcEnd - s.srcStart) * s.factor;
    if (t < outEnd) return s.srcStart + (t - outStart) / s.factor;
    added += (s.srcEnd - s.srcStart) * (s.factor - 1);
  }
  return t - added;
}

/** Seconds all spans add to the output. */
export function addedSec(map: TimeMap): number {
  return map.durationSec - map.sourceDurationSec;
}

/** A span with where it sits in the output: the report's and the README picture's view of it. */
export interface PlacedSpan extends StretchSpan {
  outStart: number;
  outEnd: number;
  addedSec: number;
}

export function placedSpans(map: TimeMap): PlacedSpan[] {
  return map.spans.map((s) => {
    const outStart = toOutput(map, s.srcStart);
    const addedSec = (s.srcEnd - s.srcStart) * (s.factor - 1);
    return { ...s, outStart: r6(outStart), outEnd: r6(outStart + (s.srcEnd - s.srcStart) + addedSec), addedSec: r6(addedSec) };
  });
}

/** What a line needs: its slot in source time and the seconds it takes when spoken at the speech cap. */
export interface LineNeed {
  index: number;
  slotStart: number;
  slotEnd: number;
  /** Length of the line's clip when played at the fastest allowed speech speed. */
  neededSec: number;
}

export interface SpanLimits {
  /** Most the picture of one span is slowed. */
  maxStretch: number;
}

/**
 * The spans for lines that do not fit their slot at the speech cap: the line's slot slowed by what it needs
 * (needed / slot length), at most maxStretch. Lines that fit ask for nothing.
 */
export function planSpans(needs: readonly LineNeed[], limits: SpanLimits): StretchSpan[] {
  const spans: StretchSpan[] = [];
  for (const n of needs) {
    const slotSec = n.slotEnd - n.slotStart;
    if (slotSec < MIN_SPAN_SEC || n.neededSec <= slotSec * MIN_STRETCH) continue;
    // rounded up (the map keeps six decimals): the slowed slot is never a hair shorter than the line needs
    const factor = Math.ceil((n.neededSec / slotSec + 1e-9) * 1e6) / 1e6;
    spans.push({ srcStart: n.slotStart, srcEnd: n.slotEnd, factor: Math.min(limits.maxStretch, factor) });
  }
  return spans;
}

/**
 * The same spans, each widened outward to the nearest frame times (sorted), so a span starts and ends on a frame
 * of the picture: the slowed picture then holds whole frames only.
 */
export function snapToFrames(spans: readonly StretchSpan[], frames: readonly number[]): StretchSpan[] {
  if (!frames.length) return [...spans];
  const before = (t: number) => {
    let lo = 0;
    let hi = frames.length - 1;
    if (frames[0] > t) return t;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (frames[mid] <= t + 1e-9) lo = mid;
      else hi = mid - 1;
    }
    return frames[lo];
  };
  const after = (t: number) => {
    let lo = 0;
    let hi = frames.length - 1;
    if (frames[hi] < t) return t;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (frames[mid] >= t - 1e-9) hi = mid;
      else lo = mid + 1;
    }
    return frames[lo];
  };
  return spans.map((s) => ({ ...s, srcStart: before(s.srcStart), srcEnd: after(s.srcEnd) }));
}

/**
 * The parts the picture is rebuilt from: copied stretches between clean cut points (keyframes), and re-encoded
 * stretches from the cut point before a span to the cut point after it (only the span itself slowed inside).
 * Spans whose re-encoded stretches touch or overlap share one. `cuts` are the clean cut times, sorted.
 */
export interface VideoPart {
  kind: 'copy' | 'encode';
  start: number;
  end: number;
  /** The spans inside an encoded part. */
  spans: StretchSpan[];
}

export function videoParts(map: TimeMap, cuts: readonly number[]): VideoPart[] {
  const dur = map.sourceDurationSec;
  const inner = cuts.filter((c) => c > 1e-6 && c < dur - 1e-6);
  const cutBefore = (t: number) => inner.filter((c) => c <= t + 1e-9).pop() ?? 0;
  const cutAfter = (t: number) => inner.find((c) => c >= t - 1e-9) ?? dur;
  const encoded: VideoPart[] = [];
  for (const s of map.spans) {
    const start = cutBefore(s.srcStart);
    const end = cutAfter(s.srcEnd);
    const last = encoded[encoded.length - 1];
    if (last && start <= last.end + 1e-9) {
      last.end = Math.max(last.end, end);
      last.spans.push(s);
    } else {
      encoded.push({ kind: 'encode', start, end, spans: [s] });
    }
  }
  const parts: VideoPart[] = [];
  let at = 0;
  for (const e of encoded) {
    if (e.start > at + 1e-6) parts.push({ kind: 'copy', start: at, end: e.start, spans: [] });
    parts.push(e);
    at = e.end;
  }
  if (at < dur - 1e-6) parts.push({ kind: 'copy', start: at, end: dur, spans: [] });
  return parts;
}

/**
 * ffmpeg setpts expression for an encoded part whose own time starts at `partStart` (the part's timestamps begin
 * at 0): each frame moved to where the time map puts it, relative to the part's output start.
 */
export function setptsExpr(part: VideoPart): string {
  const terms = part.spans.map((s) => {
    const a = (s.srcStart - part.start).toFixed(6);
    const len = (s.srcEnd - s.srcStart).toFixed(6);
    return `${(s.factor - 1).toFixed(6)}*clip(T-${a},0,${len})`;
  });
  return `(T${terms.map((t) => `+${t}`).join('')})/TB`;
}

/** The job asked for --fit-video auto (jobs from before the option have none: off). */
export function fitVideoOn(options: { fitVideo?: { mode: string } } | undefined): boolean {
  return options?.fitVideo?.mode === 'auto';
}

