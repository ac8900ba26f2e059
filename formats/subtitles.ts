// Subtitle formats. Reading is as lenient as players are: SRT and WebVTT by their timing lines (hours and
// milliseconds optional, sequence numbers and blank lines optional, STYLE/NOTE/REGION blocks and legacy header
// lines passed over), ASS/SSA through `ass-compiler`. A bad cue is skipped with a warning that names its line
// number; nothing here quotes the file's text back (it is untrusted input and may be anything).
// Writing SRT and WebVTT goes through the `subtitle` library, one row per cue.
import { parse as parseAss } from 'ass-compiler';
import { stringifySync, type NodeCue } from 'subtitle';
import type { Line } from '../lib/job.js';
import { classifyCues, DEFAULT_CLASSIFY, type AssTraits, type RawCue } from '../lib/subtitleEvents.js';

export type { AssTraits, RawCue } from '../lib/subtitleEvents.js';

export type SubtitleFormat = 'srt' | 'vtt' | 'ass';

/** Longest text one cue may hold: a subtitle row is a sentence, not a payload. */
export const MAX_CUE_BYTES = 64 * 1024;

export interface SubtitleWarning {
  line: number;
  message: string;
}

export interface ParsedSubtitles {
  format: SubtitleFormat;
  cues: RawCue[];
  /** Cues skipped as unreadable, each with its line and what was expected there. */
  warnings: SubtitleWarning[];
}

/** What a file holds, from its content (file names lie: .txt, .sub, no extension). */
export function detectSubtitleFormat(text: string): SubtitleFormat {
  const head = clean(text).trimStart();
  if (/^\[Script Info\]/i.test(head) || /^\[Events\]\s*$/im.test(head)) return 'ass';
  if (/^WEBVTT(?:[ \t\n]|$)/.test(head)) return 'vtt';
  return 'srt';
}

/** Every cue the file holds, readable or not (the unreadable ones as warnings). Never throws. */
export function readCues(text: string): ParsedSubtitles {
  const body = clean(text);
  const format = detectSubtitleFormat(body);
  const { cues, warnings } = format === 'ass' ? assCues(body) : textCues(body, format);
  const kept: RawCue[] = [];
  for (const c of cues) {
    if (utf8Bytes(c.text) > MAX_CUE_BYTES) warnings.push({ line: c.line, message: `cue holds more than ${MAX_CUE_BYTES / 1024} KiB of text; skipped` });
    else if (!(c.end > c.start) && !c.comment) warnings.push({ line: c.line, message: 'cue ends before it starts; skipped' });
    else kept.push(c);
  }
  warnings.sort((a, b) => a.line - b.line);
  return { format, cues: kept, warnings };
}

/**
 * Parse SRT, WebVTT or ASS text into the lines worth speaking (seconds, sorted by start), classified with the
 * defaults of lib/subtitleEvents.ts; throws when no cue is usable, naming the first problem's line.
 */
export function parseSubtitles(text: string): Line[] {
  const parsed = readCues(text);
  const lines = classifyCues(parsed.cues, DEFAULT_CLASSIFY).lines;
  if (lines.length === 0) throw new Error(noCueReason(parsed));
  return lines;
}

const utf8Bytes = (text: string) => new TextEncoder().encode(text).length;

/** Why a file gave nothing to speak, without quoting it. */
export function noCueReason(parsed: ParsedSubtitles): string {
  const first = parsed.warnings[0];
  if (parsed.cues.length > 0) return 'no cue holds dialogue (every one is a song, sign, comment, sound cue or credit)';
  const expected = parsed.format === 'ass' ? 'Dialogue events (Dialogue: layer,H:MM:SS.cc,H:MM:SS.cc,…)' : `timestamp lines such as ${TIMING_EXAMPLE[parsed.format]}`;
  return `no usable cue: expected ${expected}${first ? `; first problem at line ${first.line}: ${first.message}` : ''}`;
}

const TIMING_EXAMPLE = { srt: '00:00:01,000 --> 00:00:02,500', vtt: '00:00:01.000 --> 00:00:02.500', ass: '' };

function clean(text: string): string {
  return text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
}

// H:MM:SS,mmm with the hours and the fraction optional (MM:SS, H:MM:SS); ',' '.' or ':' before the fraction.
const TS = String.raw`(?:(\d{1,3}):)?(\d{1,2}):(\d{1,2})(?:[.,:](\d{1,3}))?`;
const TIMING = new RegExp(String.raw`^\s*${TS}\s*-+>\s*${TS}(?:\s.*)?$`);

function seconds(h: string | undefined, m: string, s: string, frac: string | undefined): number {
  const ms = frac ? Number(frac.padEnd(3, '0')) : 0;
  return Number(h ?? 0) * 3600 + Number(m) * 60 + Number(s) + ms / 1000;
}

/**
 * SRT and WebVTT, anchored on the timing lines: a cue is its timing line and the rows after it, up to a blank
 * line or the next timing line; a cue number or WebVTT identifier before it is not text. Anything else outside a cue is passed over
 * (headers, Region: lines, NOTE and STYLE blocks even with blank lines inside).
 */
function textCues(body: string, format: 'srt' | 'vtt'): { cues: RawCue[]; warnings: SubtitleWarning[] } {
  const rows = body.split('\n');
  const cues: RawCue[] = [];
  const warnings: SubtitleWarning[] = [];
  let current: { start: number; end: number; line: number; rows: string[] } | undefined;
  let blankBefore = true;
  let skipBlock = false; // inside a WebVTT NOTE/STYLE/REGION block
  const close = () => {
    if (!current) return;
    const raw = current.rows.join('\n');
    const speaker = format === 'vtt' ? voiceOf(raw) : undefined;
    let text = stripMarkup(raw);
    if (format === 'vtt') text = decodeVttEntities(text);
    if (text.trim()) cues.push({ start: round3(current.start), end: round3(current.end), text, line: current.line, ...(speaker ? { speaker } : {}) });
    current = undefined;
  };
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    const m = TIMING.exec(row);
    if (m) {
      // A bare number on the row before (SRT without blank lines) is this cue's number, not the last cue's text.
      if (current && current.rows.length && i > 0 && /^\s*\d+\s*$/.test(rows[i - 1])) current.rows.pop();
      close();
      skipBlock = false;
      current = { start: seconds(m[1], m[2], m[3], m[4]), end: seconds(m[5], m[6], m[7], m[8]), line: i + 1, rows: [] };
      blankBefore = false;
      continue;
    }
    if (row.trim() === '') {
      close();
      blankBefore = true;
      continue;
    }
    if (current) {
      current.rows.push(row);
      continue;
    }
    if (format === 'vtt' && blankBefore && /^(?:NOTE|STYLE|REGION)(?:[ \t]|$)/.test(row)) skipBlock = true;
    if (row.includes('-->') && !skipBlock) warnings.push({ line: i + 1, message: `expected a timing line such as ${TIMING_EXAMPLE[format]}; this cue is skipped` });
    else if (format === 'srt' && /^\s*\d+\s*$/.test(row) && i + 1 < rows.length && rows[i + 1].trim() && !TIMING.test(rows[i + 1]) && !rows[i + 1].includes('-->')) {
      warnings.push({ line: i + 2, message: `expected a timing line such as ${TIMING_EXAMPLE.srt} after cue number; this cue is skipped` });
    }
    blankBefore = false;
  }
  close();
  return { cues, warnings };
}

/** `<v Name>` or `<v.class Name>`: the first voice span names the speaker. */
function voiceOf(text: string): string | undefined {
  const m = text.match(/<v(?:\.[^\s>]+)*[ \t]+([^>]+)>/);
  return m ? decodeVttEntities(m[1].trim()) || undefined : undefined;
}

/** Tags removed; rows kept apart (\n), each trimmed: SDH and speaker labels are read row by row. */
function stripMarkup(text: string): string {
  return text
    .replace(/<[^>]+>/g, '')
    .replace(/\{\\[^}]*\}/g, '')
    .split('\n')
    .map((r) => r.replace(/[ \t]+/g, ' ').trim())
    .filter(Boolean)
    .join('\n');
}

const VTT_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', nbsp: ' ', lrm: '', rlm: '', quot: '"', apos: "'" };

function decodeVttEntities(text: string): string {
  return text
    .replace(/&(amp|lt|gt|nbsp|lrm|rlm|quot|apos);/g, (_, name: string) => VTT_ENTITIES[name])
    .replace(/&#(\d+);/g, (_, n: string) => safeCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => safeCodePoint(parseInt(n, 16)));
}

function safeCodePoint(n: number): string {
  return n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : '\uFFFD';
}

type AssTag = Record<string, unknown>;

/** Tags that animate or transform an event, as karaoke effects and typesetting do. */
const ANIMATION_TAGS = ['t', 'fad', 'fade', 'frx', 'fry', 'fscx', 'fscy', 'fax', 'fay'];

/**
 * ASS events with what classification needs: style, effect, karaoke (\k \kf \ko \K), drawings (\p1…),
 * position (\pos) and movement (\move). Typesetters stack one line on several layers (border, glow): exact
 * repeats count once. Line numbers come from the [Events] rows, which ass-compiler keeps in order.
 */
function assCues(body: string): { cues: RawCue[]; warnings: SubtitleWarning[] } {
  const parsed = parseAss(body);
  const rows = body.split('\n');
  const lineNos = { dialogue: [] as number[], comment: [] as number[] };
  rows.forEach((r, i) => {
    const m = /^\s*(Dialogue|Comment)\s*:/i.exec(r);
    if (m) lineNos[m[1].toLowerCase() as 'dialogue' | 'comment'].push(i + 1);
  });
  const seen = new Set<string>();
  const cues: RawCue[] = [];
  const warnings: SubtitleWarning[] = [];
  for (const kind of ['dialogue', 'comment'] as const) {
    parsed.events[kind].forEach((ev, n) => {
      const line = lineNos[kind][n] ?? 0;
      if (typeof ev.Start !== 'number' || typeof ev.End !== 'number' || !Number.isFinite(ev.Start) || !Number.isFinite(ev.End)) {
        warnings.push({ line, message: 'expected start and end times as H:MM:SS.cc; this event is skipped' });
        return;
      }
      const tags = ev.Text.parsed.flatMap((p) => p.tags as AssTag[]);
      const has = (...names: string[]) => tags.some((t) => names.some((k) => k in t));
      const text = ev.Text.parsed
        .filter((p) => p.drawing.length === 0)
        .map((p) => p.text)
        .join('')
        .replace(/\{[^}]*\}/g, '') // ass-compiler keeps unclosed or odd override blocks as text
        .replace(/\\[Nn]/g, '\n')
        .replace(/\\h/g, ' ')
        .split('\n')
        .map((r) => r.replace(/\s+/g, ' ').trim())
        .filter(Boolean)
        .join('\n');
      const ass: AssTraits = {
        style: String(ev.Style ?? '').trim(),
        effect: effectName(ev.Effect),
        karaoke: has('k', 'K', 'kf', 'ko', 'kt'),
        drawing: ev.Text.parsed.some((p) => p.drawing.length > 0) || tags.some((t) => typeof t.p === 'number' && t.p > 0),
        positioned: has('pos', 'move'),
        moving: has('move'),
        animated: has(...ANIMATION_TAGS),
        ...(typeof ev.Layer === 'number' && ev.Layer > 0 ? { layer: ev.Layer } : {}),
      };
      const cue: RawCue = { start: round3(ev.Start), end: round3(ev.End), text, line, ass, ...(ev.Name?.trim() ? { speaker: ev.Name.trim() } : {}), ...(kind === 'comment' ? { comment: true } : {}) };
      // Layered copies of one line share its place; a templater's per-syllable copies of one syllable do not.
      const place = JSON.stringify(tags.filter((t) => 'pos' in t || 'move' in t));
      const key = `${kind}|${cue.start}|${cue.end}|${cue.speaker ?? ''}|${ass.style}|${place}|${text}`;
      if (seen.has(key)) return;
      seen.add(key);
      if (text || ass.drawing) cues.push(cue);
    });
  }
  return { cues, warnings };
}

/** ass-compiler gives a known Effect (Banner, Scroll) as an object with its name, others as text. */
function effectName(effect: unknown): string {
  if (typeof effect === 'string') return effect.trim();
  const name = (effect as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : '';
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export type TimedText = { start: number; end: number; text: string };

/**
 * One row per cue: a line break inside a (translated, edited) line becomes a space, so no text can end a cue
 * early and smuggle in a timing line of its own.
 */
function oneRow(text: string): string {
  return text.replace(/[\r\n\u2028\u2029\u0085]+/g, ' ').replace(/\s{2,}/g, ' ').trim();
}

function cueNodes(lines: readonly TimedText[], text: (t: string) => string): NodeCue[] {
  return lines.map((l) => ({ type: 'cue' as const, data: { start: Math.round(l.start * 1000), end: Math.round(l.end * 1000), text: text(oneRow(l.text)) } }));
}

/** SRT has no escapes: an ASCII arrow in the text becomes →, so no row of text reads as a timing line. */
export function formatSrt(lines: readonly TimedText[]): string {
  return stringifySync(cueNodes(lines, (t) => t.replace(/-+>/g, '→')), { format: 'SRT' });
}

/** WebVTT: `&`, `<` and `>` escaped, so a line holding "-->" or "<" cannot break the cue. */
export function formatVtt(lines: readonly TimedText[]): string {
  const escape = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return stringifySync(cueNodes(lines, escape), { format: 'WebVTT' });
}
