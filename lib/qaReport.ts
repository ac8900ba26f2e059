// The QA report's numbers: per line, where the dub sits against its source line; for the job, how many lines
// keep their length, how fast the fastest are, how far the timing drifts by the end, and what to look at.
// Pure: the activity hands in the lines, the fitted clips and the measured loudness.
import type { FittedLine, TranslatedLine } from './job.js';
import { percentile } from './percentile.js';

/** A dub line "keeps its slot" when its length is within this share of its source line's length. */
export const SLOT_TOLERANCE = 0.1;

export interface QaLine {
  index: number;
  source: { start: number; end: number; text: string };
  target: string;
  /** When the fit condensed the line before synthesis: the translation as it was (`target` is what was spoken). */
  uncondensedTarget?: string;
  /** Room the fit had: from the line's start to the next line's start less the guard. */
  slot?: { start: number; end: number };
  dub?: { start: number; end: number };
  dubDurationSec?: number;
  /** Time-stretch applied by the fit (> 1 faster, < 1 slower). */
  speed?: number;
  /** Total pace change against the engine's natural pace: the engine's own rate knob times the fit's stretch. */
  speedFactor?: number;
  filter?: string;
  borrowedSec?: number;
  /** dub start − source start, s. */
  onsetErrorSec?: number;
  /** dub end − source end, s (> 0: the dub runs longer). */
  offsetErrorSec?: number;
  /** dub length / source length − 1. */
  lengthError?: number;
  withinSlot: boolean;
  /** How far the dub runs into the next line's source start (0 when it ends before). */
  overlapNextSec: number;
  engine: string;
  problems: string[];
}

export interface QaLoudness {
  integratedLufs: number;
  truePeakDb: number;
  loudnessRangeLu?: number;
  targetLufs: number;
  ceilingDb: number;
}

export interface QaSummary {
  lines: number;
  /** Share (0..1) of lines whose dub is within ±SLOT_TOLERANCE of its source line's length. */
  withinSlotShare: number;
  maxSpeedFactor: number;
  p95SpeedFactor: number;
  /** Onset error of the last dubbed line: how far the dub's timeline has moved by the end, s. */
  endDriftSec: number;
  loudness?: QaLoudness;
  /** Lines with something to look at, and what. */
  problemLines: { index: number; problems: string[] }[];
}

export interface QaInput {
  lines: readonly TranslatedLine[];
  fitted: readonly FittedLine[];
  /** TTS engine of the job (one per job today). */
  engine: string;
  /** The engine took the fit's rate hint itself (espeak-ng, piper): its pace change counts into the factor. */
  nativeRate: boolean;
  maxSpeed: number;
}

const r4 = (x: number) => Math.round(x * 10_000) / 10_000;

export function qaLines(input: QaInput): QaLine[] {
  const byIndex = new Map(input.fitted.map((f) => [f.index, f]));
  const ordered = [...input.lines].sort((a, b) => a.start - b.start);
  const nextStart = new Map(ordered.map((l, i) => [l.index, ordered[i + 1]?.start]));
  return input.lines.map((l) => {
    const f = byIndex.get(l.index);
    const source = { start: l.start, end: l.end, text: l.text };
    // The workflow hands in the lines as translated; what was condensed and how fast the engine spoke are known
    // from the fitted line (older fitted lines lack both: fall back to the line's own fields).
    const condensed = f?.condensed ?? l.condensed;
    const base = { index: l.index, source, target: condensed?.to ?? l.target, uncondensedTarget: condensed?.from, engine: input.engine };
    if (!f) return { ...base, withinSlot: false, overlapNextSec: 0, problems: ['missing: no dub for this line'] };
    const dubStart = f.start;
    const dubEnd = f.start + f.fittedDurationSec;
    const sourceSec = Math.max(1e-3, l.end - l.start);
    const lengthError = f.fittedDurationSec / sourceSec - 1;
    const hint = f.engineRate ?? (input.nativeRate ? Number(l.rateHint) || 1 : 1);
    const speedFactor = r4(f.speed * hint);
    const next = nextStart.get(l.index);
    const overlapNextSec = next === undefined ? 0 : r4(Math.max(0, dubEnd - next));
    const withinSlot = Math.abs(lengthError) <= SLOT_TOLERANCE + 1e-9;
    const problems: string[] = [];
    if (f.trimmedSec > 0) problems.push(`trimmed: ${f.trimmedSec.toFixed(2)} s cut off the end`);
    if (speedFactor > input.maxSpeed + 1e-6) problems.push(`fast: ${speedFactor.toFixed(2)}x`);
    if (!withinSlot) problems.push(`length: ${(lengthError * 100).toFixed(0)}% against the source line`);
    if (overlapNextSec > 0) problems.push(`overlap: runs ${overlapNextSec.toFixed(2)} s into the next line`);
    return {
      ...base,
      slot: { start: f.start, end: f.slotEnd },
      dub: { start: r4(dubStart), end: r4(dubEnd) },
      dubDurationSec: r4(f.fittedDurationSec),
      speed: f.speed,
      speedFactor,
      filter: f.filter,
      borrowedSec: f.borrowedSec,
      onsetErrorSec: r4(dubStart - l.start),
      offsetErrorSec: r4(dubEnd - l.end),
      lengthError: r4(lengthError),
      withinSlot,
      overlapNextSec,
      problems,
    };
  });
}

export function qaSummary(rows: readonly QaLine[], loudness?: QaLoudness): QaSummary {
  const dubbed = rows.filter((r) => r.dub);
  const speeds = dubbed.map((r) => r.speedFactor ?? 1);
  const last = [...dubbed].sort((a, b) => a.source.start - b.source.start).at(-1);
  const problemLines = rows.filter((r) => r.problems.length).map((r) => ({ index: r.index, problems: r.problems }));
  if (loudness && Math.abs(loudness.integratedLufs - loudness.targetLufs) > 1) {
    problemLines.push({ index: -1, problems: [`loudness: ${loudness.integratedLufs} LUFS, target ${loudness.targetLufs}`] });
  }
  if (loudness && loudness.truePeakDb > loudness.ceilingDb) {
    problemLines.push({ index: -1, problems: [`true peak: ${loudness.truePeakDb} dBTP over ${loudness.ceilingDb}`] });
  }
  return {
    lines: rows.length,
    withinSlotShare: rows.length ? r4(rows.filter((r) => r.withinSlot).length / rows.length) : 1,
    maxSpeedFactor: speeds.length ? Math.max(...speeds) : 1,
    p95SpeedFactor: percentile(speeds, 0.95, 'nearest-rank') || 1,
    endDriftSec: last?.onsetErrorSec ?? 0,
    loudness,
    problemLines,
  };
}

/** The few lines the CLI prints at the end of a run. */
export function formatQaSummary(s: QaSummary): string[] {
  const out = [
    `Timing: ${(s.withinSlotShare * 100).toFixed(0)}% of ${s.lines} lines within ±${SLOT_TOLERANCE * 100}% of their source line; speed max ${s.maxSpeedFactor.toFixed(2)}x, 95th percentile ${s.p95SpeedFactor.toFixed(2)}x; drift at the end ${(s.endDriftSec * 1000).toFixed(0)} ms`,
  ];
  if (s.loudness) out.push(`Loudness: ${s.loudness.integratedLufs.toFixed(1)} LUFS integrated (target ${s.loudness.targetLufs}), true peak ${s.loudness.truePeakDb.toFixed(1)} dBTP (ceiling ${s.loudness.ceilingDb})`);
  const lines = s.problemLines.filter((p) => p.index >= 0);
  if (lines.length) out.push(`Lines to check (${lines.length}): ${lines.slice(0, 8).map((p) => `#${p.index} ${p.problems[0].split(':')[0]}`).join(', ')}${lines.length > 8 ? ', …' : ''}`);
  for (const p of s.problemLines.filter((p) => p.index < 0)) out.push(`Check: ${p.problems.join('; ')}`);
  return out;
}
