// What an operator sees of the workers: the SDK runtime's Prometheus endpoint (on by a worker setting) and the
// identity every history event carries. Against a real dev server and a real worker process.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import os from 'node:os';
import type { DubJobResult } from '../../lib/job.js';
import { toneClip } from '../fixtures/toneClip.js';
import { closeTestClient, jobInput, startJob, tempDir, testClient } from '../support/jobs.js';
import { freePort } from '../support/mtlsFront.js';
import { waitFor } from '../support/processes.js';
import { queuesFor, startWorker, type WorkerProcess } from '../support/workers.js';

/** Sample count of a histogram per task queue, read from Prometheus text format. */
function countsByQueue(text: string, metric: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}_count{`)) continue;
    const queue = /task_queue="([^"]*)"/.exec(line)?.[1];
    if (queue) out.set(queue, (out.get(queue) ?? 0) + Number(line.split(' ').pop()));
  }
  return out;
}

describe('worker observability (real dev server, a worker with DUB_METRICS_PROMETHEUS set)', () => {
  const queues = queuesFor('metrics');
  let worker: WorkerProcess;
  let metricsUrl: string;
  let result: DubJobResult;
  let workflowId: string;

  beforeAll(async () => {
    const bind = `127.0.0.1:${await freePort()}`;
    metricsUrl = `http://${bind}/metrics`;
    await toneClip();
    // No DUB_WORKER_IDENTITY: the default names are under test.
    worker = await startWorker('all', queues, { DUB_METRICS_PROMETHEUS: bind, DUB_WORKER_IDENTITY: undefined });
    const clip = await toneClip();
    const handle = await startJob(jobInput(clip.video, queues, await tempDir('metrics'), {
      subs: clip.subs, translatedSubs: clip.translatedSubs, tts: { engine: 'espeak-ng' }, mix: { separation: 'off' },
    }), queues);
    workflowId = handle.workflowId;
    result = await handle.result();
  }, 170_000);
  afterAll(async () => {
    await worker?.stop();
    await closeTestClient();
  });

  it('the worker says where its metrics are', () => {
    expect(worker.output()).toContain(`metrics on ${metricsUrl}`);
    expect(result.lines).toBe(2);
  });

  it('after a job, /metrics answers with activity schedule-to-start latency per task queue (the CPU and GPU backlogs)', async () => {
    const text = await waitFor('schedule-to-start figures for both activity queues', async () => {
      const body = await fetch(metricsUrl).then((r) => r.text());
      const counts = countsByQueue(body, 'temporal_activity_schedule_to_start_latency');
      return (counts.get(queues.cpu) ?? 0) > 0 && (counts.get(queues.gpu) ?? 0) > 0 ? body : undefined;
    }, 30_000, 500);
    expect(text).toMatch(new RegExp(`temporal_activity_schedule_to_start_latency_bucket\\{[^}]*task_queue="${queues.cpu}"`));
    expect(countsByQueue(text, 'temporal_workflow_task_schedule_to_start_latency').get(queues.workflows)).toBeGreaterThan(0);
    // The figures that matter beside it: activity outcomes by type, sticky cache.
    expect(text).toMatch(/temporal_activity_execution_latency_count\{[^}]*activity_type="extractAudio"/);
    expect(text).toMatch(/temporal_sticky_cache_(hit|size)/);
    expect(text).toContain('anime_dub_roles="workflows+cpu+gpu"');
  });

  it('every activity in the history names the role and host that ran it', async () => {
    const client = await testClient();
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const queueOf = new Map<string, string>();
    const ran: { queue: string; identity: string }[] = [];
    for (const e of history.events ?? []) {
      if (e.activityTaskScheduledEventAttributes) queueOf.set(String(e.eventId), e.activityTaskScheduledEventAttributes.taskQueue!.name!);
      const started = e.activityTaskStartedEventAttributes;
      if (started) ran.push({ queue: queueOf.get(String(started.scheduledEventId))!, identity: started.identity! });
    }
    const host = os.hostname().split('.')[0];
    expect(ran.length).toBeGreaterThan(3);
    for (const r of ran) {
      const role = r.queue === queues.gpu ? 'gpu' : 'cpu';
      expect(r.identity).toMatch(new RegExp(`^${role}@${host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-${worker.pid}$`));
    }
    expect(new Set(ran.map((r) => r.queue))).toEqual(new Set([queues.cpu, queues.gpu]));
  });
});
