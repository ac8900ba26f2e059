// The real `temporal` binary drives our jobs: start by type with a JSON input, then query progress.
import { describe, expect, it } from '@jest/globals';
import { WorkflowFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { run } from '../../engines/run.js';
import { temporalCliPath } from '../../client/devServer.js';
import { loadSettings } from '../../config/load.js';
import { shortClip } from '../fixtures/media.js';
import { TEST_ADDRESS } from '../support/env.js';
import { outputSubFolder, tempDir, testClient } from '../support/jobs.js';
import { withWorker } from '../support/workers.js';

describe('the Temporal CLI on our jobs (real temporal binary, real dev server)', () => {
  const queues = withWorker('tcli', { prepare: shortClip });
  const cli = temporalCliPath(loadSettings({}));

  it('starts dubJob with --input JSON, answers `workflow query --name progress`, and lists by DubStage', async () => {
    const id = `tcli-${Date.now()}`;
    const input = { video: (await shortClip()).video, src: 'en', tgt: 'es', outputDir: outputSubFolder(await tempDir('tcli')), queues };
    await run([cli, 'workflow', 'start', '--address', TEST_ADDRESS, '--type', 'dubJob', '--task-queue', queues.workflows, '--workflow-id', id, '--input', JSON.stringify(input)]);

    const early = await run([cli, 'workflow', 'query', '--address', TEST_ADDRESS, '--workflow-id', id, '--name', 'progress', '-o', 'json']);
    expect(early.stdout).toMatch(/"stage"/);

    await (await testClient()).workflow.getHandle(id).result();
    const done = JSON.parse((await run([cli, 'workflow', 'query', '--address', TEST_ADDRESS, '--workflow-id', id, '--name', 'progress', '-o', 'json'])).stdout);
    const progress = done.queryResult?.[0] ?? done.queryResult ?? done;
    expect(progress).toMatchObject({ stage: 'done', percent: 100, linesDone: 2, linesTotal: 2 });
    expect(progress.outputs.mkv).toBe('short.es.dub.mkv');

    const listed = await run([cli, 'workflow', 'list', '--address', TEST_ADDRESS, '--query', `DubStage = 'done' AND WorkflowId = '${id}'`, '-o', 'json']);
    expect(listed.stdout).toContain(id);
  }, 120_000);

  it('a streamDub started by type refuses what streaming does not do with the CLI\'s message (typed, final)', async () => {
    const id = `tcli-refused-${Date.now()}`;
    // No stream.enabled in the input: started as streamDub, it is read as a streaming run all the same.
    const input = { video: (await shortClip()).video, outputDir: outputSubFolder(await tempDir('tcli')), queues, expressive: { mode: 'auto' } };
    await run([cli, 'workflow', 'start', '--address', TEST_ADDRESS, '--type', 'streamDub', '--task-queue', queues.workflows, '--workflow-id', id, '--input', JSON.stringify(input)]);
    const err = await (await testClient()).workflow.getHandle(id).result().catch((e: unknown) => e as { cause?: { type?: string; nonRetryable?: boolean; message?: string } });
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause).toMatchObject({ type: 'InvalidConfig', nonRetryable: true });
    expect(cause.message).toMatch(/invalid job options: expressive\.mode: --expressive auto is not supported with --stream yet/);
  }, 60_000);

  it('`temporal workflow list` by our language attribute and `temporal workflow cancel` work on a job', async () => {
    const id = `tcli-cancel-${Date.now()}`;
    const input = { video: (await shortClip()).video, src: 'en', tgt: 'es', outputDir: outputSubFolder(await tempDir('tcli')), queues, review: { pause: true } };
    await run([cli, 'workflow', 'start', '--address', TEST_ADDRESS, '--type', 'dubJob', '--task-queue', queues.workflows, '--workflow-id', id, '--input', JSON.stringify(input)]);
    const handle = (await testClient()).workflow.getHandle(id);
    for (let i = 0; i < 100 && (await handle.query('progress') as { stage: string }).stage !== 'review'; i++) await new Promise((r) => setTimeout(r, 200));

    const listed = await run([cli, 'workflow', 'list', '--address', TEST_ADDRESS, '--query', `DubTargetLang = 'es' AND DubStage = 'review' AND WorkflowId = '${id}'`, '-o', 'json']);
    expect(listed.stdout).toContain(id);
    await run([cli, 'workflow', 'cancel', '--address', TEST_ADDRESS, '--workflow-id', id]);
    await handle.result().catch(() => undefined);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
  }, 120_000);
});
