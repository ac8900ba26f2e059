// Activity failures made final where retrying cannot help, and a retry that first clears up after its
// predecessor: the worker-side half of the retry policy (workflows/activitiesOn.ts holds the other half).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next } from '@temporalio/worker';
import { whileHeartbeating } from '../engines/activityContext.js';
import { endOrphans } from '../engines/processRegistry.js';
import { ErrorType, failure } from '../lib/errors.js';
import type { JobRef, PreparedJob } from '../lib/job.js';
import type { JobOptionsInput } from '../config/schema.js';
import { parseJobOptions } from '../config/load.js';
import { dubLanguage } from '../lib/languages.js';
import { folderCandidates } from '../storage/jobFolder.js';
import type { FolderView, JobFolderMirror } from '../storage/jobMirror.js';
import { assertPreparedJob, looksPrepared } from '../activities/trustedJob.js';
import type { Settings } from '../config/schema.js';

/** Pulls of several folders; the ones pulled are released again when another fails. */
async function pullAll(mirror: JobFolderMirror, dirs: string[], only?: (rel: string) => boolean): Promise<FolderView[]> {
  const got = await Promise.allSettled(dirs.map((dir) => mirror.pull(dir, only)));
  const views = got.flatMap((g) => (g.status === 'fulfilled' ? [g.value] : []));
  const failed = got.find((g): g is PromiseRejectedResult => g.status === 'rejected');
  if (failed) {
    for (const v of views) mirror.release(v.dir);
    throw failed.reason;
  }
  return views;
}

const PERMANENT = new Set(['ENOSPC', 'EROFS', 'EACCES', 'EPERM', 'ENOTDIR', 'EDQUOT']);

/** Engine failures one activity may have before the next is final (worker crashes are not counted). */
export const ENGINE_FAILURES_ALLOWED = 3;

/** Temporal refuses payloads over 2 MB; a result this big would be refused on every retry. */
export const MAX_RESULT_BYTES = 1_900_000;

/** The job folder of an activity call (its first argument is a PreparedJob for every job activity). */
function jobFolderOf(input: ActivityExecuteInput): string | undefined {
  const job = (input.args[0] as { job?: JobRef } | undefined)?.job;
  return job && typeof job.root === 'string' && typeof job.name === 'string' ? path.join(job.root, job.name) : undefined;
}

/** Counts this activity's engine failures in its job folder (per run and activity id, so a rerun starts at 0). */
async function countEngineFailure(dir: string): Promise<number> {
  const info = Context.current().info;
  const file = path.join(dir, 'tmp', 'failures', `${info.workflowExecution?.runId ?? 'run'}-${info.activityId}.count`);
  const seen = Number(await readFile(file, 'utf8').catch(() => '0')) || 0;
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, String(seen + 1));
  return seen + 1;
}

/**
 * Every activity but prepareJob (which validates its raw input itself) is given PreparedJobs: each is checked as
 * strictly as a job start before the activity runs (activities/trustedJob.ts), whichever workflow sent it. With
 * the s3 store a first pass (names only) runs before the mirror pulls the folder, a second (on disk) after.
 */
export class TrustedJobInput implements ActivityInboundCallsInterceptor {
  constructor(private readonly settings: Settings, private readonly opts: { disk: boolean; toLocal?: <T>(v: T) => T } = { disk: true }) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const activity = Context.current().info.activityType;
    if (activity !== 'prepareJob') {
      const args = this.opts.toLocal ? this.opts.toLocal(input.args) : input.args;
      for (const [i, arg] of args.entries()) {
        if (i === 0 || looksPrepared(arg)) await assertPreparedJob(arg, this.settings, activity, this.opts.disk);
      }
    }
    return next(input);
  }
}

export class RetryDiscipline implements ActivityInboundCallsInterceptor {
  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const dir = jobFolderOf(input);
    // A retry after a worker died: its engine processes may still be writing this job's files.
    if (dir && Context.current().info.attempt > 1) await endOrphans(path.join(dir, 'tmp', 'processes'));
    let result: unknown;
    try {
      result = await next(input);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException)?.code;
      if (code && PERMANENT.has(code)) {
        const why = code === 'ENOSPC' || code === 'EDQUOT' ? 'the disk is full' : 'the folder cannot be written';
        throw failure(ErrorType.OutputNotWritable, `${why}: ${(err as Error).message}`);
      }
      if (dir && err instanceof ApplicationFailure && !err.nonRetryable && err.type === ErrorType.EngineFailed) {
        const n = await countEngineFailure(dir).catch(() => 1);
        if (n >= ENGINE_FAILURES_ALLOWED) {
          throw ApplicationFailure.create({ type: err.type, message: `${err.message} (failed ${n} times; not retried again)`, nonRetryable: true, details: err.details as unknown[] | undefined });
        }
      }
      throw err;
    }
    const bytes = result === undefined ? 0 : Buffer.byteLength(JSON.stringify(result));
    if (bytes > MAX_RESULT_BYTES) {
      throw failure(ErrorType.PayloadsTooLarge, `${Context.current().info.activityType} returned ${(bytes / 1e6).toFixed(1)} MB, over Temporal's 2 MB payload limit; this is a bug in anime-dub (lists must travel by reference), please report it`);
    }
    return result;
  }
}

/**
 * The s3 artifact store's half in the worker (storage/jobMirror.ts): before an activity, its job folder is
 * pulled from the store into this host's output root and the canonical paths in its arguments made this host's;
 * after it succeeds, what it changed is pushed and the paths in its result made canonical again. prepareJob (whose
 * folder is not chosen yet) pulls the folders its input may claim, and pushes the one it claimed.
 */
export class MirroredJobFolders implements ActivityInboundCallsInterceptor {
  constructor(private readonly mirror: JobFolderMirror) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const ctx = Context.current();
    const args = this.mirror.toLocal(input.args);
    const first = args[0] as (Partial<PreparedJob> & JobOptionsInput) | undefined;
    const { dirs, only } = this.folders(ctx.info.activityType, first);
    const views = await this.beating(ctx, () => pullAll(this.mirror, dirs, only));
    try {
      let result: unknown;
      try {
        result = await next({ ...input, args });
      } catch (err) {
        // The engine-failure count (RetryDiscipline) travels with the folder: a retry on another host reads it.
        const view = views.find((v) => v.dir === jobFolderOf({ ...input, args }));
        if (view) await this.beating(ctx, () => this.mirror.push(view, { only: (rel) => rel.startsWith('tmp/failures/') })).catch(() => undefined);
        throw err;
      }
      const prepared = ctx.info.activityType === 'prepareJob' ? result as PreparedJob : first;
      const dir = prepared?.job ? path.join(prepared.job.root, prepared.job.name) : undefined;
      if (dir) {
        const view = views.find((v) => v.dir === dir) ?? this.mirror.emptyView(dir);
        const inputs = Object.values(prepared?.options?.stored ?? {}).filter((r) => r !== undefined);
        await this.beating(ctx, () => this.mirror.push(view, { inputs }));
      }
      return this.mirror.toCanonical(result);
    } finally {
      for (const v of views) this.mirror.release(v.dir);
    }
  }

  /** Work of the mirror's own, with a heartbeat every 5 s while it lasts (a big file takes longer than a beat). */
  private beating<T>(ctx: Context, work: () => Promise<T>): Promise<T> {
    return whileHeartbeating(ctx, work, { everyMs: 5_000, details: () => ctx.info.heartbeatDetails });
  }

  /**
   * The job folder(s) an activity works in, on this host. prepareJob's are the folders its input may claim: of
   * those it pulls only `.input.json` (whose input a folder holds). Who runs in a folder is its `.lock`, an object in
   * the store that prepareJob reads and writes through the mirror's lockSlot, never a mirrored file.
   */
  private folders(activity: string, first: (Partial<PreparedJob> & JobOptionsInput) | undefined): { dirs: string[]; only?: (rel: string) => boolean } {
    if (activity !== 'prepareJob') {
      const job = first?.job;
      return { dirs: job && typeof job.root === 'string' && typeof job.name === 'string' ? [path.join(job.root, job.name)] : [] };
    }
    const parsed = parseJobOptions(first);
    if (!parsed.ok) return { dirs: [] };
    const base = path.join(this.mirror.localRoot, parsed.options.outputDir ?? '');
    return { dirs: folderCandidates(parsed.options.video, dubLanguage(parsed.options)).map((name) => path.join(base, name)), only: (rel) => rel === '.input.json' };
  }
}
