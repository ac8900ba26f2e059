// Activities run on the queue config names: a worker polling only dub-cpu never runs a GPU-queue activity.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEFAULT_PLACEMENT, queueKindOf } from '../../config/schema.js';
import { shortClip } from '../fixtures/media.js';
import { closeTestClient, jobInput, startJob, tempDir } from '../support/jobs.js';
import { waitFor } from '../support/processes.js';
import { queuesFor, startWorker, type WorkerProcess } from '../support/workers.js';

describe('activity placement by config (real dev server, separate CPU and GPU worker processes)', () => {
  const queues = queuesFor('place');
  const workers: WorkerProcess[] = [];
  beforeAll(async () => { await shortClip(); }, 120_000);
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await closeTestClient();
  });

  it('waits for a GPU worker at the first GPU activity, then each activity runs only where it is placed', async () => {
    const cpu = await startWorker('cpu', queues);
    workers.push(cpu);
    const handle = await startJob(jobInput((await shortClip()).video, queues, await tempDir('place')), queues);

    const pending = await waitFor('transcribe to be scheduled', async () => {
      const d = await handle.describe();
      return d.raw.pendingActivities?.find((a) => a.activityType?.name === 'transcribe');
    });
    await new Promise((r) => setTimeout(r, 2000));
    const still = (await handle.describe()).raw.pendingActivities?.find((a) => a.activityType?.name === 'transcribe');
    expect(still?.attempt ?? 1).toBe(1);
    expect(String(still?.state)).toMatch(/SCHEDULED|1/); // nobody on dub-gpu has picked it up
    expect(pending).toBeDefined();

    const gpu = await startWorker('gpu', queues);
    workers.push(gpu);
    await handle.result();

    const events = (await handle.fetchHistory()).events!;
    const scheduled = new Map<string, { type: string; queue: string }>();
    const ran: { type: string; queue: string; identity: string }[] = [];
    for (const e of events) {
      const s = e.activityTaskScheduledEventAttributes;
      if (s) scheduled.set(String(e.eventId), { type: s.activityType!.name!, queue: s.taskQueue!.name! });
      const st = e.activityTaskStartedEventAttributes;
      if (st) ran.push({ ...scheduled.get(String(st.scheduledEventId))!, identity: st.identity! });
    }
    expect(ran.length).toBeGreaterThan(8);
    for (const r of ran) {
      const kind = queueKindOf(DEFAULT_PLACEMENT, r.type);
      expect({ type: r.type, queue: r.queue }).toEqual({ type: r.type, queue: queues[kind as 'cpu' | 'gpu'] });
      expect({ type: r.type, identity: r.identity }).toEqual({ type: r.type, identity: kind === 'gpu' ? gpu.identity : cpu.identity });
    }
    expect(ran.some((r) => r.type === 'dubLines')).toBe(true); // the lines' batches, where synthesizeLine is placed (gpu)
  }, 180_000);

  it('moves an activity between queues when the placement says so', async () => {
    const handle = await startJob(jobInput((await shortClip()).video, queues, await tempDir('place2'), { placement: { transcribe: 'cpu', synthesizeLine: 'cpu' } }), queues);
    await handle.result();
    const events = (await handle.fetchHistory()).events!;
    const queuesUsed = new Set(events.filter((e) => e.activityTaskScheduledEventAttributes).map((e) => e.activityTaskScheduledEventAttributes!.taskQueue!.name));
    expect([...queuesUsed]).toEqual([queues.cpu]);
  }, 120_000);
});
