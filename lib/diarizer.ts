// Speaker diarization as a plugin: who speaks when, for sources whose lines name nobody. Pure parts here
// (the plugin shape, turning turns into line speakers); the plugins run in engines/diarize.ts.
import type { Line } from './job.js';
import { DEFAULT_SPEAKER } from './voices.js';

export interface SpeakerTurn {
  start: number;
  end: number;
  /** The diarizer's own label (pyannote: SPEAKER_00…). */
  label: string;
}

export type DiarizerCheck = { available: true; detail?: string } | { available: false; reason: string };

export interface Diarizer {
  name: string;
  check(): Promise<DiarizerCheck>;
  /** Turns for a 16 kHz mono WAV (absolute path). */
  run(wav: string): Promise<SpeakerTurn[]>;
}

/**
 * Each line takes the label that overlaps it most; labels become S1, S2… by first appearance, so names do
 * not depend on the diarizer's numbering. A line no turn touches takes the nearest turn's speaker.
 */
export function speakersFromTurns(lines: readonly Pick<Line, 'index' | 'start' | 'end'>[], turns: readonly SpeakerTurn[]): Record<string, string> {
  if (turns.length === 0) return Object.fromEntries(lines.map((l) => [String(l.index), DEFAULT_SPEAKER]));
  const labelOf = (l: Pick<Line, 'start' | 'end'>): string => {
    let best: SpeakerTurn | undefined;
    let bestOverlap = 0;
    for (const t of turns) {
      const o = Math.min(l.end, t.end) - Math.max(l.start, t.start);
      if (o > bestOverlap) [best, bestOverlap] = [t, o];
    }
    if (best) return best.label;
    const mid = (l.start + l.end) / 2;
    const gap = (t: SpeakerTurn) => (mid < t.start ? t.start - mid : mid > t.end ? mid - t.end : 0);
    return [...turns].sort((a, b) => gap(a) - gap(b) || a.start - b.start)[0].label;
  };
  const ordered = [...lines].sort((a, b) => a.start - b.start || a.index - b.index);
  const names = new Map<string, string>();
  const out: Record<string, string> = {};
  for (const l of ordered) {
    const label = labelOf(l);
    if (!names.has(label)) names.set(label, `S${names.size + 1}`);
    out[String(l.index)] = names.get(label)!;
  }
  return out;
}
