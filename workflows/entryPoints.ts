// Every registered workflow type is an entry point: anyone on the namespace can start it with any input. The
// two that carry state a job start never supplies (a chunk's PreparedJob, a continued run's plan) accept it only
// from where it can come from: a chunk from its streaming parent, a plan from the run that continued as new.
// Pure, so the workflows call it and a unit test reaches it without a server.
import { chunkWorkflowId } from './ids.js';

/** The parts of Temporal's WorkflowInfo these checks read. */
export interface StartedAs {
  workflowId: string;
  attempt: number;
  cronSchedule?: string;
  continuedFromExecutionRunId?: string;
  parent?: { workflowId: string };
}

/**
 * Why a streamChunk run is not a chunk its parent started (undefined = it is): it must be a child, under the
 * id its parent gives chunk `index`. A start from outside has no parent, and a parent cannot be forged.
 */
export function chunkOriginProblem(info: StartedAs, index: unknown): string | undefined {
  if (!info.parent) return 'streamChunk renders one chunk of a streaming run and is started only by its streamDub parent; start streamDub (or dubJob) instead';
  if (!Number.isInteger(index) || (index as number) < 0) return 'streamChunk was given no chunk index';
  const expected = chunkWorkflowId(info.parent.workflowId, index as number);
  if (info.workflowId !== expected) return `streamChunk ${info.workflowId} is not chunk ${index} of ${info.parent.workflowId} (expected the id ${expected})`;
  return undefined;
}

/**
 * Why a streamDub input's `resume` is refused (undefined = accepted): only a run that continued as new from the
 * same job carries one. A fresh start, a retry of a run (its input is the client's) and a cron run never do.
 */
export function resumeOriginProblem(info: StartedAs, hasResume: boolean): string | undefined {
  if (!hasResume) return undefined;
  if (!info.continuedFromExecutionRunId || info.attempt > 1 || info.cronSchedule) {
    return 'resume is the state a streaming run carries when it continues as new; a job start cannot supply it (leave it out)';
  }
  return undefined;
}
