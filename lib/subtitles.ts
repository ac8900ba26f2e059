// Subtitle formats, through the `subtitle` library (SRT and WebVTT): lines in, lines out.
import { parseSync, stringifySync, type NodeCue } from 'subtitle';
import type { Line } from './job.js';

/** Parse SRT or WebVTT text into lines (seconds); throws with the parser's own row message when malformed. */
export function parseSubtitles(text: string): Line[] {
  const clean = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const cues = parseSync(clean).filter((n): n is NodeCue => n.type === 'cue');
  return cues
    .map((c) => ({ start: c.data.start / 1000, end: c.data.end / 1000, text: stripMarkup(c.data.text) }))
    .filter((c) => c.text.length > 0 && c.end > c.start)
    .sort((a, b) => a.start - b.start)
    .map((c, index) => ({ index, ...c }));
}

function stripMarkup(text: string): string {
  return text.replace(/<[^>]+>/g, '').replace(/\{\\[^}]*\}/g, '').replace(/\s*\n\s*/g, ' ').trim();
}

export function formatSrt(lines: readonly { start: number; end: number; text: string }[]): string {
  return stringifySync(
    lines.map((l) => ({ type: 'cue' as const, data: { start: Math.round(l.start * 1000), end: Math.round(l.end * 1000), text: l.text } })),
    { format: 'SRT' },
  );
}
