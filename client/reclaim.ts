// After `anime-dub run` was killed (kill -9, a closed terminal), its job waits on a dead in-process worker: its
// workflow task on that worker's sticky queue, its running step until the heartbeat timeout. When the same
// command attaches, it hands both back at once, so the rerun resumes now instead of after the timeouts.
import os from 'node:os';
import { ApplicationFailure } from '@temporalio/common';
import type { Client } from '@temporalio/client';

/** Worker identities we give (workers/startWorkers.ts): `<roles>@<host>-<pid>`. */
function deadLocalWorker(identity: string | null | undefined): boolean {
  const m = /@(.+)-(\d+)$/.exec(identity ?? '');
  if (!m || m[1] !== os.hostname()) return false; // another host's worker: only Temporal's timeouts can tell
  try {
    process.kill(Number(m[2]), 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Steps of the job whose worker (on this machine) is dead are failed as retryable; returns how many. */
export async function reclaimFromDeadLocalWorkers(client: Client, namespace: string, workflowId: string): Promise<number> {
  const desc = await client.workflow.getHandle(workflowId).describe();
  await client.workflowService.resetStickyTaskQueue({ namespace, execution: { workflowId, runId: desc.runId } }).catch(() => undefined);
  let reclaimed = 0;
  for (const a of desc.raw.pendingActivities ?? []) {
    if (!a.activityId || !a.lastStartedTime || !deadLocalWorker(a.lastWorkerIdentity)) continue;
    const lost = ApplicationFailure.retryable(`the worker running ${a.activityType?.name ?? 'this step'} (${a.lastWorkerIdentity}) is gone`, 'WorkerLost');
    await client.activity.fail({ workflowId, runId: desc.runId, activityId: a.activityId }, lost).then(() => reclaimed++, () => undefined);
  }
  return reclaimed;
}
