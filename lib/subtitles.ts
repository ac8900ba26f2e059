// Subtitle formats: SRT and WebVTT through the `subtitle` library, ASS/SSA through `ass-compiler`.
// Lines in (with the speaker when the file names one), SRT and WebVTT out.
import { parse as parseAss } from 'ass-compiler';
import { parseSync, stringifySync, type NodeCue } from 'subtitle';
import type { Line } from './job.js';

export type SubtitleFormat = 'srt' | 'vtt' | 'ass';

interface Cue {
  start: number;
  end: number;
  text: string;
  speaker?: string;
}

/** What a file holds, from its content (file names lie: .txt, .sub, no extension). */
export function detectSubtitleFormat(text: string): SubtitleFormat {
  const head = clean(text).trimStart();
  if (/^\[Script Info\]/i.test(head) || /^\[Events\]\s*$/im.test(head)) return 'ass';
  if (/^WEBVTT(?:[ \t\n]|$)/.test(head)) return 'vtt';
  return 'srt';
}

/**
 * Parse SRT, WebVTT or ASS text into lines (seconds, sorted by start); throws with the parser's own message when
 * malformed. Speakers come from the ASS `Name` field and WebVTT `<v Name>` voice tags.
 */
export function parseSubtitles(text: string): Line[] {
  const body = clean(text);
  const format = detectSubtitleFormat(body);
  const cues = format === 'ass' ? assCues(body) : textCues(body, format);
  return cues
    .filter((c) => c.text.length > 0 && c.end > c.start)
    .map((c, order) => ({ c, order }))
    .sort((a, b) => a.c.start - b.c.start || a.order - b.order)
    .map(({ c }, index) => ({ index, start: c.start, end: c.end, text: c.text, ...(c.speaker ? { speaker: c.speaker } : {}) }));
}

function clean(text: string): string {
  return text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
}

function textCues(body: string, format: 'srt' | 'vtt'): Cue[] {
  return parseSync(format === 'vtt' ? vttCueBlocks(body) : body)
    .filter((n): n is NodeCue => n.type === 'cue')
    .map((n) => {
      const speaker = format === 'vtt' ? voiceOf(n.data.text) : undefined;
      let text = stripMarkup(n.data.text);
      if (format === 'vtt') text = decodeVttEntities(text);
      return { start: n.data.start / 1000, end: n.data.end / 1000, text, ...(speaker ? { speaker } : {}) };
    });
}

/**
 * WebVTT blocks the parser misreads: NOTE/STYLE/REGION blocks (not cues), and cue identifiers, which may be any
 * text (a non-numeric one would be taken as the previous cue's text).
 */
function vttCueBlocks(body: string): string {
  return body
    .split(/\n[ \t]*\n+/)
    .filter((block) => !/^(?:NOTE|STYLE|REGION)(?:[ \t\n]|$)/.test(block.trimStart()))
    .map((block) => {
      const rows = block.split('\n');
      const timing = rows.findIndex((r) => r.includes('-->'));
      return timing > 0 ? rows.slice(timing).join('\n') : block;
    })
    .join('\n\n');
}

/** `<v Name>` or `<v.class Name>`: the first voice span names the speaker. */
function voiceOf(text: string): string | undefined {
  const m = text.match(/<v(?:\.[^\s>]+)*[ \t]+([^>]+)>/);
  return m ? decodeVttEntities(m[1].trim()) || undefined : undefined;
}

function stripMarkup(text: string): string {
  return text.replace(/<[^>]+>/g, '').replace(/\{\\[^}]*\}/g, '').replace(/\s*\n\s*/g, ' ').trim();
}

const VTT_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', nbsp: ' ', lrm: '', rlm: '', quot: '"', apos: "'" };

function decodeVttEntities(text: string): string {
  return text
    .replace(/&(amp|lt|gt|nbsp|lrm|rlm|quot|apos);/g, (_, name: string) => VTT_ENTITIES[name])
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCodePoint(parseInt(n, 16)));
}

/**
 * Dialogue events only (Comment events are notes to the typesetter). Drawings (`\p1` vector shapes) are not
 * speech; typesetters stack the same line on several layers (border, glow), so exact repeats count once.
 */
function assCues(body: string): Cue[] {
  const parsed = parseAss(body);
  const seen = new Set<string>();
  const cues: Cue[] = [];
  for (const ev of parsed.events.dialogue) {
    const text = ev.Text.parsed
      .filter((p) => p.drawing.length === 0)
      .map((p) => p.text)
      .join('')
      .replace(/\{[^}]*\}/g, '') // ass-compiler keeps unclosed or odd override blocks as text
      .replace(/\\[Nnh]/g, ' ')
      .replace(/\s+/g, ' ')
      .trim();
    const cue = { start: round3(ev.Start), end: round3(ev.End), text, speaker: ev.Name?.trim() || undefined };
    const key = `${cue.start}|${cue.end}|${cue.speaker ?? ''}|${text}`;
    if (seen.has(key)) continue;
    seen.add(key);
    cues.push(cue);
  }
  return cues;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export type TimedText = { start: number; end: number; text: string };

function cueNodes(lines: readonly TimedText[], text: (t: string) => string): NodeCue[] {
  return lines.map((l) => ({ type: 'cue' as const, data: { start: Math.round(l.start * 1000), end: Math.round(l.end * 1000), text: text(l.text) } }));
}

export function formatSrt(lines: readonly TimedText[]): string {
  return stringifySync(cueNodes(lines, (t) => t), { format: 'SRT' });
}

/** WebVTT: `&`, `<` and `>` escaped, so a line holding "-->" or "<" cannot break the cue. */
export function formatVtt(lines: readonly TimedText[]): string {
  const escape = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return stringifySync(cueNodes(lines, escape), { format: 'WebVTT' });
}
