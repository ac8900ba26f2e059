// The dub job, as the pipeline diagram reads:
// prepare → extract → transcribe | import subs → translate → [expressive: analyse each line]
//   → synthesize + fit each line → assemble → mix → mux
//   → [lip-sync] → report
import { ActivityFailure, ApplicationFailure, isCancellation, setHandler, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import { DEFAULT_PLACEMENT, type Queues } from '../config/schema.js';
import type { DubJobInput, DubJobResult, LipsyncOutcome, PreparedJob } from '../lib/job.js';
import { progressQuery, ProgressTracker, type Stage } from '../lib/progress.js';
import { DubStageKey } from '../lib/searchAttributes.js';
import { activitiesOn, DEFAULT_QUEUES, dubEachLine } from './shared.js';

/** Off unless asked for (jobs started before the feature have no such options and replay as off). */
function expressiveOn(options: PreparedJob['options']): boolean {
  const e = options.expressive;
  return !!e && (e.mode !== 'off' || e.emotionMode !== 'off');
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

  const queues: Queues = { ...DEFAULT_QUEUES, ...input?.queues };
  const boot = activitiesOn(queues, DEFAULT_PLACEMENT);
  const prep = await stage('prepare', () => boot.prepareJob(input));
  upsertMemo({ input: prep.media.path, src: prep.options.src, tgt: prep.options.tgt, outputDir: `${prep.job.root}/${prep.job.name}` });

  const act = activitiesOn(prep.options.queues, prep.options.placement);
  const audio = await stage('extract', () => act.extractAudio(prep));
  const lines = await stage('transcribe', () => (prep.options.subs ? act.importSubtitles(prep) : act.transcribe(prep, audio)));
  const translated = await stage('translate', () => act.translateLines(prep, lines));
  const plans = expressiveOn(prep.options) ? await stage('expressive', () => act.analyzeProsody(prep, audio, translated)) : [];
  const fitted = await stage('synthesize', () => dubEachLine(act, prep, translated, (done, total) => progress.lines(done, total), plans));
  const dub = await stage('assemble', () => act.assembleDub(prep, fitted));
  const mix = await stage('mix', () => act.mixDub(prep, audio, dub, fitted));
  const outputs = await stage('mux', () => act.muxOutputs(prep, translated, mix));
  for (const [name, rel] of Object.entries(outputs)) progress.output(name, rel);
  // Jobs started before lip-sync existed have no lipsync options: they replay as "off".
  const lipsync: LipsyncOutcome = (prep.options.lipsync?.engine ?? 'off') === 'off' ? { status: 'off' } : await stage('lipsync', () => act.lipsync(prep, mix, outputs));
  if (lipsync.output) progress.output('lipsync', (outputs.lipsync = lipsync.output));
  outputs.report = await stage('report', () => act.writeReport(prep, translated, fitted, outputs, lipsync));
  progress.output('report', outputs.report);

  progress.enter('done');
  if (tagged) upsertSearchAttributes([{ key: DubStageKey, value: 'done' }]);
  return { job: prep.job, outputDir: `${prep.job.root}/${prep.job.name}`, outputs, lines: translated.length, durationSec: prep.media.durationSec, lipsync };
}
