// Typed helpers for programs: start a dub job, read its progress, wait for it, cancel it, list jobs.
// This is the package's entry point (`import { startDubJob } from 'anime-dub'`): the input and result types too.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { Client, WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { loadSettings } from '../config/load.js';
import type { JobOptions, Settings } from '../config/schema.js';
import { connectTemporal, resolveTemporalTarget, type ConnectionChoice, type TemporalTarget } from '../config/connection.js';
import type { DubJobResult, TranslatedLine } from '../lib/job.js';
import { type EditLineRequest } from '../lib/review.js';
import { approveSignal, editLineUpdate } from '../workflows/messages.js';
import { type Progress } from '../lib/progress.js';
import { progressQuery } from '../workflows/messages.js';
import type { StreamProgress } from '../lib/streamProgress.js';
import type { JobQueues } from './queueHealth.js';
import { dubJob } from '../workflows/dubJob.js';
import { streamDub, type StreamDubResult } from '../workflows/streamDub.js';
import { freshJobWorkflowId, jobWorkflowId } from '../workflows/ids.js';
import { dubLanguage } from '../lib/languages.js';
import { withStoredInputs } from './storedJobs.js';

export { downloadOutputs, OutputsRefusedError, withLocalOutputs, withStoredInputs } from './storedJobs.js';

export type { JobOptions, JobOptionsInput, Settings } from '../config/schema.js';
export { loadSettings, resolveJobOptions } from '../config/load.js';
export type { DubJobInput, DubJobResult, DubOutputs, LipsyncOutcome, OutputHash, OutputHashes, TranslatedLine } from '../lib/job.js';
export type { Progress } from '../lib/progress.js';
export type { StreamProgress } from '../lib/streamProgress.js';
export type { StreamDubResult } from '../workflows/streamDub.js';
export type { EditLineRequest } from '../lib/review.js';

/**
 * A client for the configured Temporal: with no argument (or a profile / config file / env choice) it reads
 * temporal.toml and the TEMPORAL_* variables like the `temporal` CLI, falling back to our settings; a resolved
 * target is used as is; a bare address string connects in plain gRPC, as before.
 * A failure is a TemporalConnectionError naming the address and the profile.
 */
export async function connectClient(target: string | TemporalTarget | ConnectionChoice = {}, namespace?: string): Promise<Client> {
  const resolved = typeof target === 'string'
    ? { address: target, namespace: namespace ?? 'default', embedded: false, profile: 'default' }
    : 'address' in target ? target : resolveTemporalTarget(loadSettings(target.env ?? process.env), target);
  const connection = await connectTemporal(resolved);
  return new Client({ connection, namespace: namespace ?? resolved.namespace });
}

/**
 * The id of a job: the same input, output root and effective options give the same id, so running the same
 * command again attaches to the job instead of starting a second one beside it.
 */
export function jobIdFor(options: JobOptions, outputRoot: string, kind: JobKind = 'dub'): string {
  const key = createHash('sha256').update(canonicalJson({ root: path.resolve(outputRoot), options })).digest('hex').slice(0, 12);
  return jobWorkflowId(kind, options.video, dubLanguage(options), key);
}

/** JSON with keys sorted at every level: equal options hash equally whatever order they were written in. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A fresh id every time (`--new`): a second job beside one with these options. */
export function newJobId(video: string, kind: JobKind = 'dub'): string {
  return freshJobWorkflowId(video, new Date(), Math.random().toString(36).slice(2, 6), kind);
}

/** Whether a job with this id is running now (a start with that id then attaches to it). */
export async function isJobRunning(client: Client, workflowId: string): Promise<boolean> {
  return client.workflow.getHandle(workflowId).describe().then((d) => d.status.name === 'RUNNING', () => false);
}

export type JobKind = 'dub' | 'stream';
/** Which workflow runs a job: its options say (stream.enabled). */
export const jobKindOf = (options: JobOptions): JobKind => (options.stream.enabled ? 'stream' : 'dub');

export interface StartedJob {
  handle: WorkflowHandle<typeof dubJob> | WorkflowHandle<typeof streamDub>;
  kind: JobKind;
  /** A job with this id was already running: this start attached to it (its own options are the same). */
  attached: boolean;
}

/**
 * The one start path (the CLI's `run`, startDubJob and startStreamDub): with the s3 artifact store the inputs are
 * uploaded first, since their content keys are part of the options and so of the id; the id is chosen once
 * (`workflowId` as given, a fresh one with `fresh`, else jobIdFor); a job with that id still running is attached to.
 */
export async function startJob(
  client: Client, settings: Settings, given: JobOptions, how: { workflowId?: string; fresh?: boolean; kind?: JobKind } = {},
): Promise<StartedJob> {
  const kind = how.kind ?? jobKindOf(given);
  const options = await withStoredInputs(settings, given);
  const workflowId = how.workflowId ?? (how.fresh ? newJobId(options.video, kind) : jobIdFor(options, settings.outputDir, kind));
  // Asked before the start: a start with the id of a running job attaches to it (USE_EXISTING).
  const attached = (how.workflowId !== undefined || !how.fresh) && (await isJobRunning(client, workflowId));
  const common = {
    taskQueue: settings.queues.workflows,
    workflowId,
    // A job with this id still running is attached to, not started twice; a finished one is started anew
    // (its finished work is reused from the job folder).
    workflowIdConflictPolicy: 'USE_EXISTING' as const,
  };
  const memo = { input: options.video, src: options.src, tgt: options.tgt, queues: options.queues };
  const handle = kind === 'stream'
    ? await client.workflow.start(streamDub, { ...common, args: [{ ...options, stream: { ...options.stream, enabled: true } }], memo: { ...memo, stream: true } })
    : await client.workflow.start(dubJob, { ...common, args: [options], memo });
  return { handle, kind, attached };
}

// Started by the workflow function itself (its name and its argument and result types), never by a string.
// With the s3 artifact store (DUB_ARTIFACT_STORE=s3) the input files are uploaded first and the job names their keys.
export async function startDubJob(client: Client, settings: Settings, options: JobOptions, workflowId?: string): Promise<WorkflowHandle<typeof dubJob>> {
  return (await startJob(client, settings, options, { workflowId, kind: 'dub' })).handle as WorkflowHandle<typeof dubJob>;
}

/** A streaming run: chunk by chunk, with a live manifest and playlist under Output/<job>/stream/. */
export async function startStreamDub(client: Client, settings: Settings, options: JobOptions, workflowId?: string): Promise<WorkflowHandle<typeof streamDub>> {
  return (await startJob(client, settings, options, { workflowId, kind: 'stream' })).handle as WorkflowHandle<typeof streamDub>;
}

export async function getProgress(client: Client, workflowId: string): Promise<Progress | StreamProgress> {
  return client.workflow.getHandle(workflowId).query(progressQuery) as Promise<Progress | StreamProgress>;
}

export async function waitForResult(client: Client, workflowId: string): Promise<DubJobResult | StreamDubResult> {
  return client.workflow.getHandle(workflowId).result();
}

export async function cancelJob(client: Client, workflowId: string): Promise<void> {
  await client.workflow.getHandle(workflowId).cancel();
}

export interface JobSummary {
  workflowId: string;
  status: string;
  startTime: Date;
  closeTime?: Date;
  stage?: string;
  input?: string;
  queues?: JobQueues;
}

export async function listJobs(client: Client, query = "WorkflowType = 'dubJob'", limit = 50): Promise<JobSummary[]> {
  const out: JobSummary[] = [];
  for await (const wf of client.workflow.list({ query })) {
    const memo = (wf.memo ?? {}) as Record<string, unknown>;
    const stage = wf.searchAttributes?.DubStage as unknown[] | undefined;
    out.push({ workflowId: wf.workflowId, status: wf.status.name, startTime: wf.startTime, closeTime: wf.closeTime, stage: stage?.[0] as string | undefined, input: memo.input as string | undefined, queues: memo.queues as JobQueues | undefined });
    if (out.length >= limit) break;
  }
  return out;
}

/** Change one line of a job waiting for review (rejected with the reason when the edit is bad). */
export async function editLine(client: Client, workflowId: string, request: EditLineRequest): Promise<TranslatedLine> {
  try {
    return await client.workflow.getHandle(workflowId).executeUpdate(editLineUpdate, { args: [request] });
  } catch (e) {
    // The validator's reason is the useful part ("no line 99: lines are numbered 0..5").
    if (e instanceof WorkflowUpdateFailedError && e.cause) throw new Error(e.cause.message);
    throw e;
  }
}

/** Let a job waiting for review go on to synthesis. */
export async function approve(client: Client, workflowId: string): Promise<void> {
  await client.workflow.getHandle(workflowId).signal(approveSignal);
}

/** The person-readable reason a job failed: the typed failure at the bottom of the chain. */
export function failureMessage(err: unknown): string {
  let e: unknown = err instanceof WorkflowFailedError ? err.cause ?? err : err;
  while (e instanceof Error && (e as { cause?: unknown }).cause instanceof Error && !(e instanceof ApplicationFailure)) e = (e as { cause: unknown }).cause;
  if (e instanceof ApplicationFailure) return `${e.type ?? 'Error'}: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}
