// Expressive prosody: one plan per line (category, rate/pitch/energy multipliers, tail pause) from the source
// audio when there is one, else from the text. The plans travel to synthesizeLine, which applies them.
import { stat } from 'node:fs/promises';
import type { JobOptions } from '../config/schema.js';
import type { AudioTracks, LineSet, Lines, PreparedJob, TranslatedLine } from '../lib/job.js';
import { linesOf, storeLines } from './lineSets.js';
import { planLines, type ProsodyMode, type ProsodyPlan } from '../lib/prosody.js';
import { inJob } from '../storage/artifacts.js';
import { measureLineFeatures } from '../engines/prosodyFeatures.js';

export type ExpressiveChoice = 'off' | 'auto' | ProsodyMode;

/** --expressive wins; otherwise the older --emotion-mode (auto → auto, tags → tags). */
export function expressiveChoice(options: JobOptions): ExpressiveChoice {
  const e = options.expressive;
  if (!e) return 'off'; // jobs started before this feature existed
  if (e.mode !== 'off') return e.mode;
  return e.emotionMode === 'auto' ? 'auto' : e.emotionMode === 'tags' ? 'tags' : 'off';
}

/** The analyzeProsody activity: one plan per line, by reference. */
export async function analyzeProsody(prep: PreparedJob, audio: AudioTracks | undefined, lines: Lines<TranslatedLine>): Promise<LineSet> {
  return storeLines(prep.job, 'plans', await prosodyPlans(prep, audio, await linesOf(prep.job, lines)));
}

export async function prosodyPlans(prep: PreparedJob, audio: AudioTracks | undefined, lines: TranslatedLine[]): Promise<ProsodyPlan[]> {
  const choice = expressiveChoice(prep.options);
  if (choice === 'off') return [];
  const analysis = audio ? inJob(prep.job, audio.analysis) : undefined;
  const haveAudio = analysis !== undefined && (await stat(analysis).then((s) => s.size > 44, () => false));
  // auto uses the source audio when it is there and falls back to the text; each plan records which.
  const mode: ProsodyMode = choice === 'auto' ? (haveAudio ? 'source-audio' : 'text-only') : choice;
  const features = mode === 'source-audio' && analysis
    ? await measureLineFeatures(analysis, lines, prep.media.durationSec, prep.options.src)
    : undefined;
  return planLines(lines, features, { strength: prep.options.expressive.strength, mode, language: prep.options.src });
}
