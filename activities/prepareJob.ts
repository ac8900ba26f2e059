// The prepareJob activity: validate options, input and engines before anything is written; then claim and fill
// Output/<job>/ and settle what every later stage reads (PreparedJob).
import { access, constants, copyFile, link, mkdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { loadSettings, parseJobOptions } from '../config/load.js';
import { ErrorType, failure } from '../lib/errors.js';
import type { JobOptions, Settings } from '../config/schema.js';
import { ObjectStoreError, S3Store, type ArtifactStore } from '../storage/artifactStore.js';
import type { JobRef, MediaInfo, PreparedJob } from '../lib/job.js';
import type { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { activityContext, startHeartbeat } from '../engines/activityContext.js';
import { dubLanguage } from '../lib/languages.js';
import { settleFit } from '../lib/jobFit.js';
import { commandLog, ensureDirs, inJob, jobDir, tmpOf, writeAtomic } from '../storage/artifacts.js';
import { claimFolder, lockFolder } from '../storage/jobFolder.js';
import type { JobFolderMirror } from '../storage/jobMirror.js';
import { NO_STORES, type WorkerStores } from '../storage/workerStores.js';
import { checkJobEngines, DRY_RUN_ENGINES, type ChosenEngines } from '../engines/engineChecks.js';
import { fitImport, importWarnings, readImport, subsSource, type SubtitleImport } from './subtitleSource.js';
import { recordCommand, type CommandRecord } from '../engines/run.js';
import { withWorkerLimits } from './trustedJob.js';
import { assertDiskFits } from './diskBudget.js';
import { JOB_OPTIONS_FILE } from '../lib/artifactNames.js';
import { probeMedia } from './probeMedia.js';

/** Outside an activity (a test calling prepareJob directly) only subtitles.json records it. */
function warn(message: string): void {
  activityContext()?.log.warn(message);
}

/**
 * A streaming run's input read as streaming whatever its stream.enabled says (startStreamDub sets it; a start by
 * type from the Temporal CLI may not): the rules for streaming then refuse what its chunks would ignore.
 */
function asStartedBy(input: unknown, workflowType: string | undefined): unknown {
  if (workflowType !== 'streamDub' || !input || typeof input !== 'object' || Array.isArray(input)) return input;
  const o = input as Record<string, unknown>;
  const stream = o.stream && typeof o.stream === 'object' ? o.stream : {};
  return { ...o, stream: { ...stream, enabled: true } };
}

/** Validate options, input and engines before anything is written; then create Output/<job>/. */
export async function prepareJob(input: unknown, stores: WorkerStores = NO_STORES): Promise<PreparedJob> {
  const settings = loadSettings();
  const options = await startOptions(input, settings);
  // The client's name for the input names the folder (the same folder as a shared-folder run); with the s3 store
  // the bytes come from the store (each file checked against its SHA-256) into this host's cache.
  const named = options.video;
  // The client's names for its stored inputs: what job.json records (this host's copies are under its own root).
  const given = options.stored ? Object.fromEntries((['video', 'subs', 'translatedSubs', 'glossary'] as const).map((w) => [w, optionPath(options, w)])) as Record<StoredName, string | undefined> : undefined;
  const fetched = options.stored ? await fetchStoredInputs(options, stores.store) : undefined;
  const { media, subs, engines, probe } = await readInputAndCheckEngines(options);
  // The root is the worker's; job input names at most a sub-folder inside it (checked by the schema).
  const root = path.resolve(settings.outputDir);
  // Before anything is written: an input whose tracks and clips would not fit on the disk is refused now.
  await mkdir(root, { recursive: true }).catch(() => undefined);
  await assertDiskFits(root, media, (await stat(media.path)).size, settings.disk.reserveGb);
  // `auto` settled once: every later step (and a review re-render of job.json) reads the engine actually used.
  options.asr.engine = engines.asrEngine;
  options.mt.engine = engines.mtEngine;
  const job = await claimJobFolder(root, options, named, stores.mirror);
  await fillJobFolder(job, options, media, fetched, probe);
  // The validated options, so `anime-dub review … render` can re-run this job with edits.
  // With stored inputs it names them as the client did (with their store keys), never by this host's paths: a
  // re-render sent from another machine then claims the same folder and fetches the same bytes.
  await writeAtomic(job, inJob(job, JOB_OPTIONS_FILE), JSON.stringify(given ? withGivenNames(options, given) : options, null, 2));
  // The fit limits every line gets, settled here once (--fit-video auto caps the fastest speed).
  return {
    job, options, media, ttsEngine: engines.ttsEngine, separate: engines.separate, fit: settleFit(options),
    ...(subs?.inTarget ? { subsLanguage: options.tgt } : {}),
  };
}

/** Step 1: the job's options as the schema, its combination rules and the worker's limits allow them. */
async function startOptions(input: unknown, settings: Settings): Promise<JobOptions> {
  // Which options go together is the schema's (config/schema.ts OPTION_RULES), checked here as the CLI checks it.
  const parsed = parseJobOptions(asStartedBy(input, activityContext()?.info.workflowType));
  if (!parsed.ok) throw failure(ErrorType.InvalidConfig, `invalid job options: ${parsed.message}`);
  const options = parsed.options;
  // Limits are the worker's: a job may lower them, and picks its task queues among the worker's.
  withWorkerLimits(options, settings);
  (await import('../storage/storedInputsPolicy.js')).refuseLocalPathsInS3Mode(options, settings); // s3 store: files only as uploaded inputs
  options.video = path.resolve(options.video);
  return options;
}

/**
 * Step 2: the input probed and its subtitles read, the engines checked meanwhile; nothing is written yet (a
 * refused file leaves no job folder). A bad input is the error reported first, after the checks have finished
 * (no engine check outlives the failed activity).
 */
async function readInputAndCheckEngines(options: JobOptions): Promise<{ media: MediaInfo; subs?: SubtitleImport; engines: ChosenEngines; probe?: CommandRecord }> {
  // A subtitle file's language is known before the engine checks start (already in the target language = no
  // translator needed); an embedded track's only once the input is probed, so its checks wait for the probe.
  const embedded = !!options.subs && subsSource(options.subs).kind === 'embedded';
  const early = options.subs && !embedded ? readImport(options, undefined) : undefined;
  early?.catch(() => undefined);
  const startChecks = (subsInTarget: boolean) => {
    // A dry run uses no recognizer, translator or synthesizer, so it needs none installed.
    const checks: Promise<ChosenEngines> = options.stream.enabled && options.stream.dryRun
      ? Promise.resolve(DRY_RUN_ENGINES)
      : checkJobEngines(options, subsInTarget);
    checks.catch(() => undefined); // awaited below, after the probe
    return checks;
  };
  let engines = embedded ? undefined : startChecks(early ? await early.then((s) => s.inTarget, () => false) : false);
  let probe: CommandRecord | undefined;
  const media = await probeMedia(options.video, options.limits?.maxInputHours, (r) => (probe = r), options.audioTrack)
    .catch(async (e: unknown) => { await engines?.catch(() => undefined); throw e; });
  const subs = options.subs ? await (early ?? readImport(options, media)).then((s) => fitImport(s, media))
    .catch(async (e: unknown) => { await engines?.catch(() => undefined); throw e; }) : undefined;
  engines ??= startChecks(subs?.inTarget ?? false);
  // Said now, before any work: unreadable cues (by line) and the one warning for cues past the video's end.
  if (subs) for (const w of importWarnings('--subs', subs)) warn(w);
  if (options.translatedSubs && !(await stat(options.translatedSubs).then((s) => s.isFile(), () => false))) {
    await engines.catch(() => undefined);
    throw failure(ErrorType.InvalidSubtitles, `--translated-subs file not found: ${options.translatedSubs}`);
  }
  return { media, subs, engines: await engines, probe };
}

/** Step 3: the job's folder under the output root, claimed, and locked for this workflow. */
async function claimJobFolder(root: string, options: JobOptions, named: string, mirror: JobFolderMirror | undefined): Promise<JobRef> {
  let job: JobRef;
  try {
    await mkdir(root, { recursive: true });
    await access(root, constants.W_OK);
    job = await claimFolder(root, options.outputDir, named, dubLanguage(options));
  } catch (e) {
    if (e instanceof ApplicationFailure) throw e;
    throw failure(ErrorType.OutputNotWritable, `cannot write the output folder ${root}: ${(e as Error).message}`);
  }
  const ctx = activityContext();
  const workflowId = ctx?.info.workflowExecution?.workflowId;
  // With the s3 store the lock is an object in the store, so hosts with separate disks see one lock.
  if (ctx && workflowId) await lockFolder(jobDir(job), workflowId, (id) => isRunning(ctx, id), mirror?.lockSlot(jobDir(job), '.lock'));
  return job;
}

/** Step 4: the folder's first contents: its working folders, the stored inputs placed in it, the probe's record. */
async function fillJobFolder(job: JobRef, options: JobOptions, media: MediaInfo, fetched: FetchedInputs | undefined, probe: CommandRecord | undefined): Promise<void> {
  try {
    await ensureDirs(job, 'audio', 'tmp');
    if (fetched) {
      Object.assign(media, { path: await placeStoredInputs(job, options, fetched) });
    }
    if (probe) await recordCommand(commandLog(job), probe);
  } catch (e) {
    throw failure(ErrorType.OutputNotWritable, `cannot write the output folder ${jobDir(job)}: ${(e as Error).message}`);
  }
}

type StoredName = 'video' | 'subs' | 'translatedSubs' | 'glossary';

/** Where each stored input's bytes are on this host (its cache), with the name the client gave the file. */
type FetchedInputs = Partial<Record<StoredName, { cached: string; name: string }>>;

function optionPath(options: JobOptions, which: StoredName): string | undefined {
  return which === 'glossary' ? options.mt.glossary : options[which];
}

function setOptionPath(options: JobOptions, which: StoredName, file: string): void {
  if (which === 'glossary') options.mt.glossary = file;
  else options[which] = file;
}

function withGivenNames(options: JobOptions, given: Record<StoredName, string | undefined>): JobOptions {
  const copy = structuredClone(options);
  for (const which of ['video', 'subs', 'translatedSubs', 'glossary'] as const) {
    if (copy.stored?.[which] && given[which] !== undefined) setOptionPath(copy, which, given[which]!);
  }
  return copy;
}

/** The job's stored inputs fetched through the worker's s3 store; the options then point at the cached copies. */
async function fetchStoredInputs(options: JobOptions, store: ArtifactStore | undefined): Promise<FetchedInputs> {
  if (!(store instanceof S3Store)) {
    throw failure(ErrorType.InvalidConfig, "this job's input was uploaded to an s3 artifact store, but this worker has none (set DUB_ARTIFACT_STORE=s3, DUB_S3_ENDPOINT and DUB_S3_BUCKET as for the client)");
  }
  const out: FetchedInputs = {};
  for (const which of ['video', 'subs', 'translatedSubs', 'glossary'] as const) {
    const ref = options.stored?.[which];
    const given = optionPath(options, which);
    if (!ref) continue;
    if (!given) throw failure(ErrorType.InvalidConfig, `stored.${which} names an uploaded file, but the job has no ${which === 'glossary' ? 'mt.glossary' : which}`);
    let cached: string;
    // A big input takes longer than the activity's heartbeat timeout: beat while it comes, and stop it when the
    // activity is cancelled or timed out (a retry must not race an old download).
    const ctx = activityContext();
    const stopBeat = startHeartbeat(ctx, { everyMs: 5_000, details: () => ctx?.info.heartbeatDetails });
    try {
      cached = await store.getInput(ref, ctx?.cancellationSignal);
    } catch (e) {
      // A key outside the inputs area, a hash that does not match, an object nobody uploaded: the job is wrong.
      if (e instanceof ObjectStoreError && (e.status === 0 || e.status === 404)) throw failure(ErrorType.InvalidConfig, `stored.${which}: ${e.message}`);
      throw e;
    } finally {
      stopBeat();
    }
    out[which] = { cached, name: path.basename(given) };
    setOptionPath(options, which, cached);
  }
  return out;
}

/**
 * The fetched inputs linked into the job folder (input/<name>), where every host finds them through the mirror;
 * the options then name those copies. Returns the video's path.
 */
async function placeStoredInputs(job: JobRef, options: JobOptions, fetched: FetchedInputs): Promise<string> {
  for (const which of ['video', 'subs', 'translatedSubs', 'glossary'] as const) {
    const got = fetched[which];
    if (!got) continue;
    const dest = inJob(job, path.join('input', which === 'video' ? got.name : `${which}.${got.name}`));
    await mkdir(path.dirname(dest), { recursive: true });
    const tmp = tmpOf(dest);
    await link(got.cached, tmp).catch(() => copyFile(got.cached, tmp));
    await rename(tmp, dest);
    setOptionPath(options, which, dest);
  }
  return options.video;
}

/** Whether a job is still running (unknown = assumed running: never take over a folder on a guess). */
async function isRunning(ctx: Context, workflowId: string): Promise<boolean> {
  try {
    return (await ctx.client.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
  } catch (e) {
    return !(e instanceof WorkflowNotFoundError);
  }
}
