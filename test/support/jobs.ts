// Starting jobs against the test server, the way programs do (client/api.ts).
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { connectClient } from '../../client/api.js';
import type { JobOptionsInput } from '../../config/schema.js';
import { TEST_ADDRESS } from './env.js';
import type { Queues } from './workers.js';

let shared: Client | undefined;
export async function testClient(): Promise<Client> {
  shared ??= await connectClient(TEST_ADDRESS);
  return shared;
}

export async function closeTestClient(): Promise<void> {
  await shared?.connection.close();
  shared = undefined;
}

export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `anime-dub-${prefix}-`));
}

/**
 * Test workers write under the system temp folder (their output root, ANIME_DUB_OUTPUT_DIR); a job names its
 * own temp folder as a sub-folder of it, the way job input may.
 */
export const TEST_OUTPUT_ROOT = os.tmpdir();

export function outputSubFolder(dir: string): string {
  const rel = path.relative(TEST_OUTPUT_ROOT, dir);
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw new Error(`${dir} is not inside the test output root ${TEST_OUTPUT_ROOT}`);
  return rel;
}

/**
 * The voices of a test job that names none: one espeak-ng narrator and no speaker search. Most suites are about
 * durability, files and messages, not voices; the default cast (Kokoro for Spanish, ~1 CPU-s per second of speech,
 * and diarization) would make each of their jobs several times dearer on 2 cores. Suites about the voices a user
 * gets start with `defaultJobInput`.
 */
export const ONE_NARRATOR = { engine: 'espeak-ng', diarize: 'off' } as const;

export function jobInput(video: string, queues: Queues, outputDir: string, extra: Partial<JobOptionsInput> = {}): JobOptionsInput {
  return { video, src: 'en', tgt: 'es', outputDir: outputSubFolder(outputDir), queues, tts: ONE_NARRATOR, ...extra };
}

/** A job as a user starts it, with no engine flags: the default cast, diarization and all. */
export function defaultJobInput(video: string, queues: Queues, outputDir: string, extra: Partial<JobOptionsInput> = {}): JobOptionsInput {
  return { video, src: 'en', tgt: 'es', outputDir: outputSubFolder(outputDir), queues, ...extra };
}

export async function startJob(input: JobOptionsInput, queues: Queues, id = `test-${Math.random().toString(36).slice(2, 10)}`) {
  const client = await testClient();
  return client.workflow.start('dubJob', { taskQueue: queues.workflows, workflowId: id, args: [input] });
}
