// The "lines → mix" part of the pipeline, shared by dubJob and streamChunk: the translated lines synthesized and
// fitted (synthesizeAndFitAll), the dub track assembled from them, and mixed over the background. Each step runs
// through the caller's `stage` (dubJob's progress, search attribute and failure unwrapping; a chunk's own stage).
import type { AudioTracks, LineSet, Lines, PreparedJob, TranslatedLine } from '../lib/job.js';
import type { Stage } from '../lib/progress.js';
import type { VoicePlan } from '../lib/voices.js';
import type { Activities } from './activitiesOn.js';
import { synthesizeAndFitAll } from './synthesizeAndFit.js';

export type StageRunner = <T>(name: Stage, work: () => Promise<T>) => Promise<T>;

export interface LinesToMixSteps {
  stage: StageRunner;
  /** One voice per speaker, made once before any line is spoken (dubJob's prepareVoices); absent = the job's one voice. */
  voices?: () => Promise<VoicePlan | undefined>;
  onLine?: (done: number, total: number) => void;
  /** Expressive prosody plans, one per line. */
  plans?: LineSet;
}

export async function linesToMix(
  act: Activities, prep: PreparedJob, audio: AudioTracks, translated: Lines<TranslatedLine>, steps: LinesToMixSteps,
): Promise<{ fitted: LineSet; resynthesized: number; mix: string }> {
  const { stage } = steps;
  const { fitted, resynthesized } = await stage('synthesize', async () => {
    const voices = steps.voices ? await steps.voices() : undefined;
    const voiced = voices ? { ...prep, voices } : prep;
    return synthesizeAndFitAll(act, voiced, translated, steps.onLine, steps.plans);
  });
  const dub = await stage('assemble', () => act.assembleDub(prep, fitted));
  const mix = await stage('mix', () => act.mixDub(prep, audio, dub, fitted));
  return { fitted, resynthesized, mix };
}
