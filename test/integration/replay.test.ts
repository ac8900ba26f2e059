// A committed dubJob history must replay against today's workflow code: a non-deterministic change fails here.
import { describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { PROJECT_ROOT } from '../support/env.js';

const workflowsPath = path.join(PROJECT_ROOT, 'dist', 'workflows', 'index.js');

describe('workflow determinism (replay of a recorded history)', () => {
  it('replays the recorded dubJob history without a non-determinism error', async () => {
    const json = JSON.parse(await readFile(path.join(PROJECT_ROOT, 'test', 'replay', 'dubJob.history.json'), 'utf8'));
    expect(json.events.length).toBeGreaterThan(20);
    // The Temporal CLI's JSON as it is: the SDK converts it (historyFromJSON) itself.
    await expect(Worker.runReplayHistory({ workflowsPath }, json, 'recorded-dubJob')).resolves.toBeUndefined();
  }, 60_000);
});
