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

/**
 * Whisper's times are its own guesses: its word aligner often starts a line a few hundred ms before the voice and
 * ends it before the voice stops; the energy edges are where the voice is. Each line takes the edges of the speech
 * it starts and ends in, as long as no other line shares that stretch of speech (then Whisper's time is all that
 * tells them apart); a line starting or ending in silence moves to the first or last speech inside it. Lines then
 * start and stop with the voice, as pocketsphinx's energy-cut lines do. A line with no speech inside keeps its times.
 */
export function snapToSpeech<L extends { start: number; end: number }>(lines: readonly L[], speech: readonly Region[]): L[] {
  const around = (t: number) => speech.find((r) => t >= r.start && t <= r.end);
  return lines.map((l, i) => {
    const prevEnd = lines[i - 1]?.end ?? -Infinity;
    const nextStart = lines[i + 1]?.start ?? Infinity;
    let { start, end } = l;
    const rs = around(start);
    if (rs) start = rs.start >= prevEnd ? rs.start : start;
    else start = speech.find((r) => r.start > start && r.start < end)?.start ?? start;
    const re = around(end);
    if (re) end = re.end <= nextStart ? re.end : end;
    else end = [...speech].reverse().find((r) => r.end < end && r.end > start)?.end ?? end;
    return start === l.start && end === l.end ? l : { ...l, start: Math.round(start * 1000) / 1000, end: Math.round(end * 1000) / 1000 };
  });
}
