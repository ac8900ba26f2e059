// The dub job, as the pipeline diagram reads:
// prepare → extract → transcribe | import subs → translate → synthesize + fit each line → assemble → mix → mux
//   → [lip-sync] → report
import {
  ActivityCancellationType, ActivityFailure, ApplicationFailure, isCancellation, proxyActivities, setHandler,
  upsertMemo, upsertSearchAttributes, type ActivityOptions,
} from '@temporalio/workflow';
import type * as activities from '../activities/index.js';
import { DEFAULT_PLACEMENT, type Placement, type Queues } from '../config/schema.js';
import { NON_RETRYABLE_TYPES } from '../lib/errors.js';
import type { DubJobInput, DubJobResult, FittedLine, LipsyncOutcome, PreparedJob, TranslatedLine } from '../lib/job.js';
import { progressQuery, ProgressTracker, type Stage } from '../lib/progress.js';
import { DubStageKey } from '../lib/searchAttributes.js';
import { slotFor } from '../lib/timingFit.js';
import { mapWithWindow } from '../lib/window.js';

type Activities = typeof activities;

const common: ActivityOptions = {
  heartbeatTimeout: '30s',
  // The workflow ends only once the running engine is really dead: no orphan keeps writing.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { maximumAttempts: 3, initialInterval: '2s', backoffCoefficient: 2, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
};

/** One proxy per queue; each activity is called on the queue the placement map names. */
function activitiesOn(queues: Queues, placement: Placement): Activities {
  const onCpu = proxyActivities<Activities>({ ...common, taskQueue: queues.cpu, startToCloseTimeout: '60m' });
  const onGpu = proxyActivities<Activities>({ ...common, taskQueue: queues.gpu, startToCloseTimeout: '120m' });
  return new Proxy({} as Activities, {
    get: (_, name: string) => ((placement as Record<string, string>)[name] === 'gpu' ? onGpu : onCpu)[name as keyof Activities],
  });
}

export async function dubJob(input: DubJobInput): Promise<DubJobResult> {
  const progress = new ProgressTracker();
  setHandler(progressQuery, () => progress.snapshot());
  const tagged = input?.searchAttributes !== false;

  async function stage<T>(name: Stage, work: () => Promise<T>): Promise<T> {
    progress.enter(name);
    if (tagged) upsertSearchAttributes([{ key: DubStageKey, value: name }]);
    try {
      return await work();
    } catch (err) {
      if (isCancellation(err)) throw err;
      // Surface the activity's typed failure as the job's own, so callers see "InvalidMedia: …" directly.
      const cause = err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : err;
      progress.fail(cause instanceof Error ? cause.message : String(cause));
      if (tagged) upsertSearchAttributes([{ key: DubStageKey, value: 'failed' }]);
      throw cause;
    }
  }

  const queues: Queues = { workflows: 'dub-workflows', cpu: 'dub-cpu', gpu: 'dub-gpu', ...input?.queues };
  const boot = activitiesOn(queues, DEFAULT_PLACEMENT);
  const prep = await stage('prepare', () => boot.prepareJob(input));
  upsertMemo({ input: prep.media.path, src: prep.options.src, tgt: prep.options.tgt, outputDir: `${prep.job.root}/${prep.job.name}` });

  const act = activitiesOn(prep.options.queues, prep.options.placement);
  const audio = await stage('extract', () => act.extractAudio(prep));
  const lines = await stage('transcribe', () => (prep.options.subs ? act.importSubtitles(prep) : act.transcribe(prep, audio)));
  const translated = await stage('translate', () => act.translateLines(prep, lines));
  const fitted = await stage('synthesize', () => dubEachLine(act, prep, translated, progress));
  const dub = await stage('assemble', () => act.assembleDub(prep, fitted));
  const mix = await stage('mix', () => act.mixDub(prep, audio, dub, fitted));
  const outputs = await stage('mux', () => act.muxOutputs(prep, translated, mix));
  for (const [name, rel] of Object.entries(outputs)) progress.output(name, rel);
  const lipsync: LipsyncOutcome = prep.options.lipsync.engine === 'off' ? { status: 'off' } : await stage('lipsync', () => act.lipsync(prep, mix, outputs));
  if (lipsync.output) progress.output('lipsync', (outputs.lipsync = lipsync.output));
  outputs.report = await stage('report', () => act.writeReport(prep, translated, fitted, outputs, lipsync));
  progress.output('report', outputs.report);

  progress.enter('done');
  if (tagged) upsertSearchAttributes([{ key: DubStageKey, value: 'done' }]);
  return { job: prep.job, outputDir: `${prep.job.root}/${prep.job.name}`, outputs, lines: translated.length, durationSec: prep.media.durationSec, lipsync };
}

/** Synthesize and fit every line, at most `synthesisConcurrency` lines in flight. */
async function dubEachLine(act: Activities, prep: PreparedJob, lines: TranslatedLine[], progress: ProgressTracker): Promise<FittedLine[]> {
  const starts = lines.map((l) => l.start);
  let done = 0;
  progress.lines(0, lines.length);
  return mapWithWindow(lines, prep.options.synthesisConcurrency, async (line, i) => {
    const clip = await act.synthesizeLine(prep, line);
    const fitted = await act.fitLine(prep, clip, slotFor(starts, i, prep.media.durationSec, prep.options.fit.guardMs), line.end);
    progress.lines(++done, lines.length);
    return fitted;
  });
}
