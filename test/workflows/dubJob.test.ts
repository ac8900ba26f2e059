// dubJob's own logic (review loop, lip-sync skip, cancellation, typed failures) against a real dev server,
// with stubbed activities: no engine runs, so each scenario takes seconds.
import { describe, expect, it } from '@jest/globals';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { CancelledFailure, WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { progressQuery } from '../../workflows/messages.js';
import { type ReviewOverrides } from '../../lib/review.js';
import { approveSignal, editLineUpdate } from '../../workflows/messages.js';
import type { DubJobResult, TranslatedLine } from '../../lib/job.js';
import { stubInput, testClient, withStubWorker } from './stubWorker.js';

const machine: TranslatedLine[] = [
  { index: 0, start: 1, end: 2, text: 'こんにちは', target: 'Hello' },
  { index: 1, start: 3, end: 4, text: 'ありがとう', target: 'Thanks' },
  { index: 2, start: 5, end: 6, text: 'さようなら', target: 'Bye' },
];

const w = withStubWorker('wf-dubjob', {
  'review.mp4': {
    // Two pages, so the workflow's paging loop is exercised too.
    readLinePage: async (_prep, _set, offset) => (offset === 0 ? { lines: machine.slice(0, 2), next: 2 } : { lines: machine.slice(2) }),
  },
  'lipsync-skip.mp4': {
    lipsync: async () => ({ status: 'skipped', plugin: 'wav2lip', reason: 'Wav2Lip is not installed' }),
  },
  'cancel.mp4': {
    // A long recognition that heartbeats until it is cancelled, as a real engine's activity does.
    transcribe: async () => {
      const ctx = Context.current();
      for (;;) {
        ctx.heartbeat();
        await Promise.race([ctx.sleep(200), ctx.cancelled]);
      }
    },
  },
  'no-audio.mp4': {
    extractAudio: async () => { throw ApplicationFailure.nonRetryable('no-audio.mp4 has no audio stream (streams: h264 video)', 'InvalidMedia'); },
  },
});

async function start(video: string, extra = {}): Promise<WorkflowHandle> {
  const client = await testClient();
  return client.workflow.start('dubJob', { taskQueue: w.taskQueue, workflowId: `wf-${video}-${Date.now()}`, args: [stubInput(w, video, extra)] });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function failureOf(handle: WorkflowHandle): Promise<Error | undefined> {
  const err = await handle.result().then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  return (err as WorkflowFailedError).cause;
}

describe('dubJob with stubbed activities (against a real dev server)', () => {
  it('review: waits for approval, refuses a bad edit with the reason, keeps a good one and renders the edited lines', async () => {
    const handle = await start('review.mp4', { review: { pause: true } });
    // The progress stage says 'review' while the lines are still being read; the editLine handler exists once the
    // workflow's details say it waits (a program sending edits must wait for the same).
    await until('the review handlers', async () => {
      const meta = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
      return meta.currentDetails?.startsWith('Waiting for review') ? true : undefined;
    });

    const refusal = (req: { index: number; text: string }) => handle.executeUpdate(editLineUpdate, { args: [req] }).then(() => undefined, (e: WorkflowUpdateFailedError) => e.cause?.message);
    expect(await refusal({ index: 9, text: 'x' })).toBe('no line 9: lines are numbered 0..2');
    expect(await refusal({ index: 1, text: '  ' })).toMatch(/^line 1: the text is empty/);
    const edited = await handle.executeUpdate(editLineUpdate, { args: [{ index: 1, text: 'Thank you so much' }] });
    expect(edited).toMatchObject({ index: 1, text: 'ありがとう', target: 'Thank you so much' });
    // Nothing after review runs before the approve signal.
    expect(w.callsOf('condenseLines', handle.workflowId)).toHaveLength(0);

    await handle.signal(approveSignal);
    const result = (await handle.result()) as DubJobResult;
    const [saved] = w.callsOf('saveReview', handle.workflowId);
    const overrides = saved[1] as ReviewOverrides;
    expect(overrides.edits).toEqual({ 1: { text: 'Thank you so much' } });
    // The edited set (applyEdits' answer) is what the rest of the job dubs.
    const [, spoken] = w.callsOf('condenseLines', handle.workflowId)[0];
    expect(spoken).toEqual({ ref: 'tmp/lines/edited.json', count: 3 });
    expect(result.lines).toBe(3);
  });

  it('lip-sync off: the lipsync activity is never called and the result says off', async () => {
    const handle = await start('lipsync-off.mp4');
    const result = (await handle.result()) as DubJobResult;
    expect(result.lipsync).toEqual({ status: 'off' });
    expect(w.callsOf('lipsync', handle.workflowId)).toHaveLength(0);
    expect(w.callsOf('writeReport', handle.workflowId)).toHaveLength(1);
  });

  it('lip-sync skipped by the plugin: the job still succeeds with the normal dub and says why', async () => {
    const handle = await start('lipsync-skip.mp4', { lipsync: { engine: 'wav2lip' } });
    const result = (await handle.result()) as DubJobResult;
    expect(result.lipsync).toMatchObject({ status: 'skipped', reason: 'Wav2Lip is not installed' });
    expect(result.outputs.lipsync).toBeUndefined();
    expect(result.outputs.mp4).toBe('x.dub.mp4');
    const [report] = w.callsOf('writeReport', handle.workflowId);
    expect(report[4]).toMatchObject({ status: 'skipped' });
  });

  it('cancellation: cancels the running activity, fails as cancelled and still frees the job folder', async () => {
    const handle = await start('cancel.mp4');
    await until('transcribe to start', async () => (w.callsOf('transcribe', handle.workflowId).length ? true : undefined));
    await handle.cancel();
    expect(await failureOf(handle)).toBeInstanceOf(CancelledFailure);
    expect(w.callsOf('translateLines', handle.workflowId)).toHaveLength(0);
    expect(w.callsOf('releaseJob', handle.workflowId)).toHaveLength(1);
  });

  it('a typed activity failure is the job’s failure (type and message), with later stages not run and the folder freed', async () => {
    const handle = await start('no-audio.mp4');
    const cause = await failureOf(handle);
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe('InvalidMedia');
    expect(cause?.message).toBe('no-audio.mp4 has no audio stream (streams: h264 video)');
    expect(w.callsOf('extractAudio', handle.workflowId)).toHaveLength(1); // non-retryable: one try
    expect(w.callsOf('transcribe', handle.workflowId)).toHaveLength(0);
    expect(w.callsOf('releaseJob', handle.workflowId)).toHaveLength(1);
    expect((await handle.query(progressQuery)).stage).toBe('failed');
  });
});
