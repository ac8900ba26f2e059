// The dub job, as the pipeline diagram reads:
// prepare → extract → [separate] → transcribe | import subs → translate → [expressive: analyse each line]
//   → synthesize + fit each line → assemble → mix → mux
//   → [lip-sync] → report
import {
  ApplicationFailure, CancellationScope, condition, setCurrentDetails, setHandler, upsertMemo, upsertSearchAttributes,
} from '@temporalio/workflow';
import { DEFAULT_PLACEMENT, DEFAULT_QUEUES } from '../config/placement.js';
import type { Queues } from '../config/schema.js';
import { jobFolderOf, WITH_HASHES, type DubJobInput, type DubJobResult, type LineSet, type LipsyncOutcome, type PreparedJob, type TranslatedLine } from '../lib/job.js';
import { ProgressTracker, type Stage } from '../lib/progress.js';
import { progressQuery } from './messages.js';
import { applyOverrides, editProblem, emptyOverrides, mergeEdit } from '../lib/review.js';
import { approveSignal, editLineUpdate } from './messages.js';
import { DubSourceLangKey, DubStageKey, DubTargetLangKey } from '../lib/searchAttributes.js';
import { activitiesOn, type Activities } from './activitiesOn.js';
import { linesToMix } from './linesToMix.js';
import { stageRunner } from './stage.js';
import { dubLanguage } from '../lib/languages.js';

/** Off unless asked for (jobs started before the feature have no such options and replay as off). */
function expressiveOn(options: PreparedJob['options']): boolean {
  const e = options.expressive;
  return !!e && (e.mode !== 'off' || e.emotionMode !== 'off');
}

export async function dubJob(input: DubJobInput): Promise<DubJobResult> {
  const progress = new ProgressTracker();
  setHandler(progressQuery, () => progress.snapshot());
  const tagged = input?.searchAttributes !== false;

  const stage = stageRunner<Stage>({ enter: (name) => progress.enter(name), failed: (message) => progress.fail(message), tagFailed: true }, tagged);

  const queues: Queues = { ...DEFAULT_QUEUES, ...input?.queues };
  const asked = Number(input?.timeouts?.heartbeatSec);
  const boot = activitiesOn(queues, DEFAULT_PLACEMENT, asked >= 2 && asked <= 600 ? asked : 30); // validated only by prepareJob
  const prep = await stage('prepare', () => boot.prepareJob(input));
  upsertMemo({ input: prep.media.path, src: prep.options.src, tgt: prep.options.tgt, outputDir: jobFolderOf(prep.job), queues: prep.options.queues });
  if (tagged) {
    upsertSearchAttributes([{ key: DubSourceLangKey, value: prep.options.src }, { key: DubTargetLangKey, value: dubLanguage(prep.options) }]);
  }

  const act = activitiesOn(prep.options.queues, prep.options.placement, prep.options.timeouts?.heartbeatSec);
  try {
    return await dubAfterPrepare(act, prep, stage, progress, tagged);
  } finally {
    // The folder is free for the next job however this one ended (also when cancelled).
    await CancellationScope.nonCancellable(() => act.releaseJob(prep)).catch(() => undefined);
  }
}

async function dubAfterPrepare(
  act: Activities, prep: PreparedJob, stage: <T>(name: Stage, work: () => Promise<T>) => Promise<T>, progress: ProgressTracker, tagged: boolean,
): Promise<DubJobResult> {
  const audio = await stage('extract', () => act.extractAudio(prep));
  // Only where demucs will run (prepare checked): a job without it never waits for a separation worker.
  if (prep.separate) await stage('separate', () => act.separateAudio(prep, audio));
  const lines = await stage('transcribe', () => (prep.options.subs ? act.importSubtitles(prep) : act.transcribe(prep, audio)));
  const machine = await stage('translate', () => act.translateLines(prep, lines));
  const overrides = prep.options.review?.overrides;
  let translated = overrides ? await act.applyEdits(prep, machine, overrides) : machine;
  if (prep.options.review?.pause) translated = await stage('review', () => reviewLines(act, prep, machine));
  const plans = expressiveOn(prep.options) ? await stage('expressive', () => act.analyzeProsody(prep, audio, translated)) : undefined;
  const onLine = (done: number, total: number) => {
    progress.lines(done, total);
    setCurrentDetails(`Synthesizing and fitting lines: ${done}/${total} done`);
  };
  const { fitted, resynthesized, mix } = await linesToMix(act, prep, audio, translated, {
    stage, onLine, plans,
    // One voice per speaker (and voice cloning's reference clips), made once before any line is spoken.
    voices: () => act.prepareVoices(prep, audio, translated),
  });
  // Each output's SHA-256 and size, from the activity that made it, are passed through to the result (the client
  // checks its downloads against them); the activities' other results are as before.
  const { hashes: muxHashes, ...outputs } = await stage('mux', () => act.muxOutputs(prep, translated, mix, WITH_HASHES));
  for (const [name, rel] of Object.entries(outputs)) progress.output(name, rel);
  const { hashes: lipsyncHashes, ...lipsync }: LipsyncOutcome = prep.options.lipsync.engine === 'off' ? { status: 'off' } : await stage('lipsync', () => act.lipsync(prep, mix, outputs));
  if (lipsync.output) progress.output('lipsync', (outputs.lipsync = lipsync.output));
  const written = await stage('report', () => act.writeReport(prep, translated, fitted, outputs, lipsync, WITH_HASHES));
  outputs.report = typeof written === 'string' ? written : written.report;
  progress.output('report', outputs.report);
  const hashes = { ...muxHashes, ...lipsyncHashes, ...(typeof written === 'string' ? {} : written.hashes) };

  progress.enter('done');
  if (tagged) upsertSearchAttributes([{ key: DubStageKey, value: 'done' }]);
  setCurrentDetails(`Done: ${outputs.mp4}`);
  return {
    job: prep.job, outputDir: jobFolderOf(prep.job), outputs, lines: translated.count, durationSec: prep.media.durationSec, lipsync,
    resynthesized, version: prep.options.review?.outputVersion ?? 1, ...(Object.keys(hashes).length ? { hashes } : {}),
  };
}

/**
 * Waits for a person: editLine Updates change lines (a validator refuses bad ones with the reason), the
 * approve signal lets the job go on. The edits are saved as review.json for later re-renders. The lines are
 * read in pages of bounded size (a person reviews them; nothing else in the workflow holds lines).
 */
async function reviewLines(act: Activities, prep: PreparedJob, machineSet: LineSet): Promise<LineSet> {
  let machine: TranslatedLine[] = [];
  let loaded = false;
  let overrides = prep.options.review.overrides ?? emptyOverrides();
  let lines: TranslatedLine[] = [];
  let approved = false;
  // Registered before the lines are read (the stage already says "review"): an edit sent meanwhile waits for
  // them, and is checked then, instead of finding no handler.
  setHandler(editLineUpdate, async ({ index, ...edit }) => {
    await condition(() => loaded);
    const problem = editProblem(lines, index, edit, prep.media.durationSec);
    if (problem) throw ApplicationFailure.create({ type: 'InvalidEdit', message: problem, nonRetryable: true });
    overrides = mergeEdit(overrides, index, edit);
    lines = applyOverrides(machine, overrides);
    return lines.find((l) => l.index === index)!;
  }, {
    validator: (req) => {
      const problem = loaded ? editProblem(lines, req?.index, req ?? {}, prep.media.durationSec) : undefined;
      if (problem) throw new Error(problem);
    },
  });
  setHandler(approveSignal, () => { approved = true; });
  for (let offset: number | undefined = 0; offset !== undefined;) {
    const page: { lines: TranslatedLine[]; next?: number } = await act.readLinePage(prep, machineSet, offset);
    machine = machine.concat(page.lines);
    offset = page.next;
  }
  lines = applyOverrides(machine, overrides);
  loaded = true;
  setCurrentDetails(`Waiting for review: ${lines.length} lines; send editLine updates, then the approve signal`);
  await condition(() => approved);
  if (Object.keys(overrides.edits).length) await act.saveReview(prep, overrides);
  return Object.keys(overrides.edits).length ? act.applyEdits(prep, machineSet, overrides) : machineSet;
}
