// The rolling upgrade as DEPLOY.md writes it down: the previous release's worker (the code before the last change
// to workflows/, built from git) runs a job until it waits for review; the current build starts beside it on the
// same queues; the old one is drained (SIGTERM); the job then finishes on the current build, which must replay the
// old build's history (patched() markers) without a non-determinism error. Real dev server, real worker processes.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { DubJobResult } from '../../lib/job.js';
import { type Progress } from '../../lib/progress.js';
import { progressQuery } from '../../workflows/messages.js';
import { approveSignal } from '../../workflows/messages.js';
import { toneClip } from '../fixtures/toneClip.js';
import { closeTestClient, jobInput, startJob, tempDir, testClient } from '../support/jobs.js';
import { buildAt, previousWorkflowRelease } from '../support/olderBuild.js';
import { waitFor } from '../support/processes.js';
import { queuesFor, startWorker, type WorkerProcess } from '../support/workers.js';

describe('rolling upgrade: the previous release and the current build side by side with a job in flight', () => {
  const queues = queuesFor('upgrade');
  let oldRoot: string;
  let oldWorker: WorkerProcess | undefined;
  let newWorker: WorkerProcess | undefined;

  beforeAll(async () => {
    oldRoot = await buildAt((await previousWorkflowRelease()).commit);
    await toneClip();
  }, 600_000);
  afterAll(async () => {
    await oldWorker?.stop();
    await newWorker?.stop();
    await closeTestClient();
  });

  it('a job begun by the old worker finishes on the new one after the old one is drained; no task fails', async () => {
    oldWorker = await startWorker('all', queues, {}, oldRoot);
    const clip = await toneClip();
    const handle = await startJob(jobInput(clip.video, queues, await tempDir('upgrade'), {
      subs: clip.subs, translatedSubs: clip.translatedSubs, tts: { engine: 'espeak-ng' }, mix: { separation: 'off' }, review: { pause: true },
    }), queues);
    await waitFor('the job to wait for review on the old worker', async () => (await handle.query(progressQuery).catch(() => undefined) as Progress | undefined)?.stage === 'review', 120_000, 250);

    const oldIdentity = oldWorker.identity;
    newWorker = await startWorker('all', queues); // both builds poll the same queues now
    await oldWorker.stop(); // drained: graceful shutdown, its sticky workflow goes back to the shared queue
    oldWorker = undefined;
    await handle.signal(approveSignal);
    const result = await handle.result() as DubJobResult;

    expect(result.lines).toBe(2);
    expect(existsSync(path.join(result.outputDir, result.outputs.mkv))).toBe(true);
    const history = await (await testClient()).workflow.getHandle(handle.workflowId).fetchHistory();
    const events = history.events ?? [];
    const signalAt = events.findIndex((e) => e.workflowExecutionSignaledEventAttributes);
    const workflowTaskBy = (from: number, to: number) => events.slice(from, to).filter((e) => e.workflowTaskCompletedEventAttributes).map((e) => e.workflowTaskCompletedEventAttributes!.identity);
    const activitiesBy = (from: number, to: number) => events.slice(from, to).filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!.identity);
    expect(signalAt).toBeGreaterThan(0);
    // Before the signal only the old build worked on it; after it only the new one, from replaying the old history.
    expect(new Set([...workflowTaskBy(0, signalAt), ...activitiesBy(0, signalAt)])).toEqual(new Set([oldIdentity]));
    expect(new Set([...workflowTaskBy(signalAt, events.length), ...activitiesBy(signalAt, events.length)])).toEqual(new Set([newWorker.identity]));
    expect(oldIdentity).not.toBe(newWorker.identity);
    // No workflow task failed (a non-determinism error would show here) and no activity was retried.
    expect(events.filter((e) => e.workflowTaskFailedEventAttributes)).toEqual([]);
    expect(events.filter((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1)).toEqual([]);
  }, 240_000);
});
