// Cancelling a job mid-stage kills the running engine (its whole process group) and ends the workflow cancelled.
import { describe, expect, it } from '@jest/globals';
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { progressQuery } from '../../workflows/messages.js';
import { longDialogueClip } from '../fixtures/media.js';
import { jobInput, startJob, tempDir } from '../support/jobs.js';
import { processesMentioning, waitFor } from '../support/processes.js';
import { withWorker } from '../support/workers.js';

describe('cancellation (real dev server, real pocketsphinx)', () => {
  const queues = withWorker('cancel', { prepare: longDialogueClip });

  it('kills the running recognizer, leaves no orphan, and the workflow ends CANCELLED', async () => {
    const clip = await longDialogueClip();
    const out = await tempDir('cancel');
    // pocketsphinx, a program of its own: the kill of its process group is what this proves (the warm engine
    // host's cancellation is in test/e2e/realEngines.test.ts).
    const handle = await startJob(jobInput(clip.video, queues, out, { asr: { engine: 'pocketsphinx' } }), queues);

    await waitFor('the transcribe stage', async () => (await handle.query(progressQuery)).stage === 'transcribe', 120_000);
    const engines = await waitFor('pocketsphinx to be running', async () => {
      const ps = await processesMentioning(out);
      return ps.some((p) => p.cmd.startsWith('pocketsphinx_batch')) && ps;
    }, 60_000, 50);

    await handle.cancel();
    const err = await handle.result().then(() => undefined, (e) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect((await handle.describe()).status.name).toBe('CANCELLED');

    // the workflow waited for the activity to confirm: by now the engine is gone
    for (const p of engines) {
      expect(await processesMentioning(out).then((ps) => ps.filter((q) => q.pid === p.pid))).toEqual([]);
    }
    expect(await processesMentioning(out)).toEqual([]);
  }, 240_000);
});
