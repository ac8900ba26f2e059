// Speech regions from ffmpeg silencedetect: the embedded recognizer gets one clean utterance per line,
// and the line timing comes from the energy edges (10 ms accurate) rather than the recognizer's clock.

export interface Region {
  start: number;
  end: number;
}

/** Parse `silence_start: X` / `silence_end: Y` lines from silencedetect's log. */
export function parseSilencedetect(log: string): Region[] {
  const silences: Region[] = [];
  let open: number | undefined;
  for (const m of log.matchAll(/silence_(start|end): (-?[\d.]+)/g)) {
    const t = Number(m[2]);
    if (m[1] === 'start') open = Math.max(0, t);
    else if (open !== undefined) {
      silences.push({ start: open, end: t });
      open = undefined;
    }
  }
  if (open !== undefined) silences.push({ start: open, end: Number.POSITIVE_INFINITY });
  return silences;
}

/** The complement of the silences within [0, duration], dropping blips shorter than minSpeechSec. */
export function speechRegions(silences: readonly Region[], durationSec: number, minSpeechSec: number): Region[] {
  const regions: Region[] = [];
  let cursor = 0;
  for (const s of silences) {
    if (s.start > cursor) regions.push({ start: cursor, end: Math.min(s.start, durationSec) });
    cursor = Math.max(cursor, s.end);
  }
  if (cursor < durationSec) regions.push({ start: cursor, end: durationSec });
  return regions.filter((r) => r.end - r.start >= minSpeechSec);
}

export interface SnapOptions {
  /** Less of a shared stretch than this at a line's edge is Whisper's word running over a pause, not the line's voice. */
  sliverSec: number;
  /** A line starting in silence this soon after a stretch of its own (not the previous line's) starts with that stretch. */
  lookBackSec: number;
}

/** Measured by scripts/measureEdges.ts on the three inputs with a truth (docs/PERFORMANCE.md, "Line edges"). */
export const SNAP: SnapOptions = { sliverSec: 0.15, lookBackSec: 0.3 };

/**
 * Whisper's times are its own guesses: its word aligner often starts a line a few hundred ms before the voice and
 * ends it before the voice stops; the energy edges are where the voice is. Each line takes the edges of the speech
 * it starts and ends in, as long as no other line shares that stretch of speech (then Whisper's time is all that
 * tells them apart); a line starting or ending in silence moves to the first or last speech inside it. Lines then
 * start and stop with the voice, as pocketsphinx's energy-cut lines do. A line with no speech inside keeps its times.
 * A line that only grazes the previous line's stretch (its first word stretched back over the pause, less than
 * sliverSec of it) starts with its own next stretch instead, and the previous line keeps the whole of its own; the
 * same at the end with the next line's. The same holds, whatever its length, where the line's first word lies mostly
 * past the end of a stretch the previous line also holds (mostly before the start of one the next line holds, for its
 * last word): that word is Whisper's stretched back over the pause, and how much of it reaches into the neighbour's
 * stretch depends on the CPU's int8 kernels (festival line 10's "二": 0.14 s on one host, 0.16 s on another, of its
 * 0.72 s). Whisper also starts a line late after a short first syllable: a line
 * starting in silence just after a stretch no other line has (within lookBackSec) starts with that stretch.
 */
export function snapToSpeech<L extends { start: number; end: number; words?: readonly Region[] }>(lines: readonly L[], speech: readonly Region[], opts: SnapOptions = SNAP): L[] {
  const around = (t: number) => speech.find((r) => t >= r.start && t <= r.end);
  return lines.map((l, i) => {
    const prevEnd = lines[i - 1]?.end ?? -Infinity;
    const nextStart = lines[i + 1]?.start ?? Infinity;
    let { start, end } = l;
    // (the stretched-word rule above) The neighbour keeps its own, Whisper's, edge: measured closer than the stretch's late end.
    const first = l.words?.[0];
    const last = l.words?.at(-1);
    const firstWordPast = (r: Region) => first !== undefined && prevEnd > r.start && first.end - r.end > r.end - first.start;
    const lastWordBefore = (r: Region) => last !== undefined && nextStart < r.end && r.start - last.start > last.end - r.start;
    const firstInside = (from: number) => speech.find((r) => r.start > from && r.start < end)?.start;
    const lastInside = (to: number) => [...speech].reverse().find((r) => r.end < to && r.end > start)?.end;
    const own = [...speech].reverse().find((r) => r.end < start && start - r.end < opts.lookBackSec && r.start >= prevEnd);
    // a neighbour's edge less than sliverSec into a stretch does not make it shared
    const rs = around(start);
    if (rs) start = prevEnd - rs.start < opts.sliverSec ? rs.start : rs.end - start < opts.sliverSec || firstWordPast(rs) ? firstInside(start) ?? start : start;
    else start = own?.start ?? firstInside(start) ?? start;
    const re = around(end);
    if (re) end = re.end - nextStart < opts.sliverSec ? re.end : end - re.start < opts.sliverSec || lastWordBefore(re) ? lastInside(end) ?? end : end;
    else end = lastInside(end) ?? end;
    return start === l.start && end === l.end ? l : { ...l, start: Math.round(start * 1000) / 1000, end: Math.round(end * 1000) / 1000 };
  });
}
