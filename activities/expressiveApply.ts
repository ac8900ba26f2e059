// Applying a prosody plan to a synthesized line (its rate natively where the engine has the knob: TtsSpeaker.speakPaced),
// pitch and energy relative to the voice's own reference (so a line's level and pitch follow the source's,
// not the synthesizer's whims), as an ffmpeg filter chain. How each knob was applied is recorded for the debug plan.
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { MIX_RATE, normalizeClipArgv } from '../engines/ffmpeg.js';
import type { PreparedJob } from '../lib/job.js';
import type { ProsodyPlan } from '../lib/prosody.js';
import { inJob, writeAtomic } from '../storage/artifacts.js';
import { measureClipFeatures } from '../engines/prosodyFeatures.js';
import { run } from '../engines/run.js';

/** Every expressive line is brought to this active level before its energy multiplier. */
export const REFERENCE_RMS_DB = -20;
/** Peaks of a raised line are held this far under full scale. */
const PEAK_LIMIT_DB = -1;
export const CALIBRATION_TEXT = 'one two three four five six seven';

export interface Applied {
  rate: string;
  pitch: string;
  energy: string;
  pause: string;
}

/** In-flight and finished reference measurements of this process, so parallel lines measure once. */
const references = new Map<string, Promise<number | null>>();

/** The voice's own median pitch, measured once per job on a neutral phrase (cached in tmp/expressive/). */
function referencePitch(prep: PreparedJob, speakTo: (out: string) => Promise<void>, key: string): Promise<number | null> {
  const file = inJob(prep.job, `tmp/expressive/reference-${key.replace(/[^\w-]/g, '_')}.json`);
  let pending = references.get(file);
  if (!pending) {
    pending = measureReference(prep, speakTo, file);
    references.set(file, pending);
    pending.catch(() => references.delete(file)); // a failed measurement is tried again by the next line
  }
  return pending;
}

async function measureReference(prep: PreparedJob, speakTo: (out: string) => Promise<void>, file: string): Promise<number | null> {
  const cached = await readFile(file, 'utf8').then((t) => JSON.parse(t).f0MedianHz as number | null, () => undefined);
  if (cached !== undefined) return cached;
  // Names of our own: another worker process may be measuring the same voice at the same time.
  const own = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const raw = inJob(prep.job, `tmp/expressive/reference-${own}.raw.wav`);
  const norm = inJob(prep.job, `tmp/expressive/reference-${own}.wav`);
  await mkdir(path.dirname(raw), { recursive: true });
  try {
    await speakTo(raw);
    await run(normalizeClipArgv(raw, norm), { timeoutMs: 60_000 });
    const { f0MedianHz } = await measureClipFeatures(norm);
    await writeAtomic(prep.job, file, JSON.stringify({ f0MedianHz, text: CALIBRATION_TEXT }));
    return f0MedianHz;
  } finally {
    await rm(raw, { force: true });
    await rm(norm, { force: true });
  }
}

/**
 * Pitch, energy and (for engines without a rate knob) tempo of a normalized clip: the filter chain that applies
 * them (run by the caller, several lines in one ffmpeg) and how each was applied.
 */
export async function prosodyFilters(
  prep: PreparedJob,
  normalized: string,
  plan: ProsodyPlan,
  tempoLeft: number,
  reference: { speakTo: (out: string) => Promise<void>; key: string },
): Promise<{ filters: string[]; applied: Omit<Applied, 'rate' | 'pause'> }> {
  const clip = await measureClipFeatures(normalized);
  const refF0 = await referencePitch(prep, reference.speakTo, reference.key);
  const filters: string[] = [];
  let pitch = 'unchanged (no voiced frames to measure)';
  if (clip.f0MedianHz && refF0) {
    const factor = (refF0 * plan.multipliers.pitch) / clip.f0MedianHz;
    if (Math.abs(factor - 1) > 1e-3) {
      // Resample to shift pitch, then atempo back so the duration stays: a pitch shift without a tempo change.
      filters.push(`asetrate=${Math.round(MIX_RATE * factor)}`, `aresample=${MIX_RATE}`, `atempo=${(1 / factor).toFixed(5)}`);
    }
    pitch = `ffmpeg asetrate ×${factor.toFixed(4)} (voice reference ${refF0.toFixed(1)} Hz × ${plan.multipliers.pitch.toFixed(3)}, line was ${clip.f0MedianHz.toFixed(1)} Hz)`;
  }
  if (Math.abs(tempoLeft - 1) > 1e-3) filters.push(`atempo=${tempoLeft.toFixed(5)}`);
  const gainDb = REFERENCE_RMS_DB - clip.rmsDb + 20 * Math.log10(plan.multipliers.energy);
  filters.push(`volume=${gainDb.toFixed(3)}dB`);
  // A shout raised this far would clip its peaks in 16 bits: a limiter holds them (only then, so quieter lines
  // render as they always did).
  if (clip.peakDb + gainDb > PEAK_LIMIT_DB) filters.push(`alimiter=limit=${(10 ** (PEAK_LIMIT_DB / 20)).toFixed(4)}:attack=1:release=50:level=false`);
  const energy = `ffmpeg volume ${gainDb >= 0 ? '+' : ''}${gainDb.toFixed(2)} dB (to ${REFERENCE_RMS_DB} dBFS × ${plan.multipliers.energy.toFixed(3)})`;
  return { filters, applied: { pitch, energy } };
}
