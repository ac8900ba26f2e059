// Activity failures made final where retrying cannot help, and a retry that first clears up after its
// predecessor: the worker-side half of the retry policy (workflows/activitiesOn.ts holds the other half).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next } from '@temporalio/worker';
import { endOrphans } from '../engines/processRegistry.js';
import { ErrorType, failure } from '../lib/errors.js';
import type { JobRef } from '../lib/job.js';

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
