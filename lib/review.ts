// The review loop: a person's edits to lines (text, timing, voice, lock) kept as overrides that a re-render
// applies on top of the machine's lines. Pure, so the workflow's Update validator and the CLI share it.
import type { TranslatedLine } from './job.js';

export interface LineEdit {
  /** New dub text for the line. */
  text?: string;
  start?: number;
  end?: number;
  speaker?: string;
  /** A locked line keeps its text whatever translation would now say. */
  locked?: boolean;
}

export interface ReviewOverrides {
  version: 1;
  edits: Record<string, LineEdit>;
}

export const emptyOverrides = (): ReviewOverrides => ({ version: 1, edits: {} });

/** Why an edit cannot be taken, or undefined when it can. */
export function editProblem(lines: readonly Pick<TranslatedLine, 'index' | 'start' | 'end'>[], index: number, edit: LineEdit, mediaDurationSec?: number): string | undefined {
  if (!Number.isInteger(index) || !lines.some((l) => l.index === index)) {
    return `no line ${index}: lines are numbered 0..${lines.length - 1}`;
  }
  if (edit.text !== undefined && edit.text.trim() === '') return `line ${index}: the text is empty (to silence a line, say so in the translation, e.g. "…")`;
  const line = lines.find((l) => l.index === index)!;
  const start = edit.start ?? line.start;
  const end = edit.end ?? line.end;
  if (!(Number.isFinite(start) && Number.isFinite(end)) || start < 0 || end <= start) return `line ${index}: start must be ≥ 0 and before end (got ${start}..${end})`;
  if (mediaDurationSec !== undefined && end > mediaDurationSec + 1e-3) return `line ${index}: end ${end} is past the end of the video (${mediaDurationSec.toFixed(3)} s)`;
  if (edit.speaker !== undefined && !/^[\p{L}\p{N} _.-]{1,40}$/u.test(edit.speaker)) return `line ${index}: a speaker name is 1–40 letters, digits, spaces, _ . or -`;
  return undefined;
}

export function mergeEdit(overrides: ReviewOverrides, index: number, edit: LineEdit): ReviewOverrides {
  const prev = overrides.edits[String(index)] ?? {};
  const next: LineEdit = { ...prev, ...Object.fromEntries(Object.entries(edit).filter(([, v]) => v !== undefined)) };
  return { version: 1, edits: { ...overrides.edits, [String(index)]: next } };
}

/** The machine's lines with the person's edits on top, in time order (indices kept). */
export function applyOverrides(lines: readonly TranslatedLine[], overrides?: ReviewOverrides): TranslatedLine[] {
  if (!overrides || Object.keys(overrides.edits).length === 0) return [...lines];
  return lines
    .map((l) => {
      const e = overrides.edits[String(l.index)];
      if (!e) return l;
      return { ...l, target: e.text ?? l.target, start: e.start ?? l.start, end: e.end ?? l.end, speaker: e.speaker ?? l.speaker };
    })
    .sort((a, b) => a.start - b.start);
}

export interface EditLineRequest extends LineEdit {
  index: number;
}

/** `<stem>.dub.mp4` for the first render, `<stem>.dub.v2.mp4` for the second, … */
export function versionedName(stem: string, version: number, ext: 'mp4' | 'mkv'): string {
  return version <= 1 ? `${stem}.dub.${ext}` : `${stem}.dub.v${version}.${ext}`;
}
