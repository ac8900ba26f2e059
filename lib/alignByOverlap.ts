// Whisper's translate task gives its own segments, not the transcript's lines: which words go to which line.
import type { Line } from './job.js';

/**
 * Whisper segments onto the source lines: each segment goes to the line it overlaps most. A segment that is the
 * best match of several lines (the source was split where the speaker changed, the translation was not) is shared
 * among them: by its words' times when it has them, else its words in proportion to each line's overlap, so no
 * line of a reply is left without text.
 */
const NEAR_SEC = 1.5;

export function alignByOverlap(source: readonly Line[], segments: readonly Line[]): (string | undefined)[] {
  const overlap = (a: { start: number; end: number }, b: { start: number; end: number }) => Math.min(a.end, b.end) - Math.max(a.start, b.start);
  const bestOf = <T extends { start: number; end: number }>(span: { start: number; end: number }, among: readonly T[]): number => {
    let best = -1;
    let bestOverlap = 0;
    among.forEach((x, i) => {
      const o = overlap(x, span);
      if (o > bestOverlap) { best = i; bestOverlap = o; }
    });
    return best;
  };
  // A line no segment overlaps (a sentence cut off after its own pause, whose words Whisper's translation put in the
  // segment beside it) shares the nearest segment within NEAR_SEC rather than being left with no text.
  const gap = (a: { start: number; end: number }, b: { start: number; end: number }) => Math.max(0, a.start - b.end, b.start - a.end);
  const segmentOf = source.map((line) => {
    const best = bestOf(line, segments);
    if (best >= 0 || !segments.length) return best;
    const nearest = segments.reduce((k, seg, i) => (gap(seg, line) < gap(segments[k], line) ? i : k), 0);
    return gap(segments[nearest], line) <= NEAR_SEC ? nearest : -1;
  });
  const parts: string[][] = source.map(() => []);
  segments.forEach((seg, s) => {
    const owner = bestOf(seg, source);
    if (owner < 0) return;
    // Lines with no better segment than this one: the owner, and any line this segment alone covers.
    const sharers = source.map((l, i) => i).filter((i) => i === owner || segmentOf[i] === s);
    if (sharers.length < 2) {
      parts[owner].push(seg.text.trim());
      return;
    }
    const lines = sharers.map((i) => source[i]);
    let pieces: string[][] = sharers.map(() => []);
    if (seg.words?.length) {
      for (const w of seg.words) pieces[Math.max(0, bestOf(w, lines))].push(w.text.trim());
    }
    // Word times that leave a line with nothing (Whisper's lean early, a reply's words land before its cut): shared
    // by overlap instead, so no line of a reply is left without text.
    if (pieces.some((p) => p.length === 0)) {
      pieces = sharers.map(() => []);
      const words = seg.text.trim().split(/\s+/);
      const shares = lines.map((l) => Math.max(0, overlap(l, seg)));
      const total = shares.reduce((x, y) => x + y, 0) || 1;
      let from = 0;
      // A sharer with no overlap at all (a line cut off after its pause) has no proportion: its cut is the sentence end
      // nearest to where the words run out.
      const reach = shares.some((x) => x === 0) ? words.length : 2;
      const offsets = [0, ...Array.from({ length: reach }, (_, d) => [-(d + 1), d + 1]).flat()];
      shares.forEach((share, k) => {
        const rest = shares.length - 1 - k; // each sharer after this one keeps a word at least
        const at = Math.min(words.length - rest, from + Math.max(1, Math.round((words.length * share) / total)));
        // A sentence end within two words of the proportional cut is where the speakers really changed.
        const ends = offsets.map((d) => at + d).filter((j) => j > from && j <= words.length - Math.max(1, rest) && /[.?!…,;:]$/.test(words[j - 1]));
        const to = k === shares.length - 1 ? words.length : ends[0] ?? at;
        pieces[k].push(...words.slice(from, to));
        from = to;
      });
    }
    sharers.forEach((i, k) => { if (pieces[k].length) parts[i].push(pieces[k].join(' ')); });
  });
  return parts.map((p) => (p.length ? p.join(' ') : undefined));
}
