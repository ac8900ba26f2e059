// Which of a job's task queues no worker is polling: a job waiting there looks stuck ("112/350 done" forever)
// unless someone says why.
import type { Client } from '@temporalio/client';
import proto, { type temporal as T } from '@temporalio/proto';

const { temporal } = proto; // a CommonJS package: no named ESM exports

export interface JobQueues { workflows: string; cpu: string; gpu: string }

async function hasPollers(client: Client, namespace: string, name: string, type: T.api.enums.v1.TaskQueueType): Promise<boolean> {
  const res = await client.workflowService.describeTaskQueue({ namespace, taskQueue: { name, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL }, taskQueueType: type });
  return (res.pollers?.length ?? 0) > 0;
}

/** The job's queues that have had no poller in the last minute or so (the server's own window). */
export async function queuesWithoutWorkers(client: Client, namespace: string, queues: JobQueues): Promise<string[]> {
  const { TASK_QUEUE_TYPE_WORKFLOW: WF, TASK_QUEUE_TYPE_ACTIVITY: ACT } = temporal.api.enums.v1.TaskQueueType;
  const checks: [string, T.api.enums.v1.TaskQueueType][] = [[queues.workflows, WF], [queues.cpu, ACT], [queues.gpu, ACT]];
  const idle = await Promise.all(checks.map(async ([name, type]) => ((await hasPollers(client, namespace, name, type).catch(() => true)) ? undefined : name)));
  return [...new Set(idle.filter((q): q is string => q !== undefined))];
}

/** The sentence the CLI prints for a running job stuck behind missing workers (undefined when all are served). */
export async function waitingNote(client: Client, namespace: string, queues: JobQueues | undefined): Promise<string | undefined> {
  if (!queues) return undefined;
  const idle = await queuesWithoutWorkers(client, namespace, queues);
  if (!idle.length) return undefined;
  return `waiting: no worker is polling ${idle.map((q) => `queue ${q}`).join(', ')}; start one (anime-dub worker --queues …) or the job waits there`;
}
