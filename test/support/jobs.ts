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

export function jobInput(video: string, queues: Queues, outputDir: string, extra: Partial<JobOptionsInput> = {}): JobOptionsInput {
  return { video, src: 'en', tgt: 'es', outputDir, queues, ...extra };
}

export async function startJob(input: JobOptionsInput, queues: Queues, id = `test-${Math.random().toString(36).slice(2, 10)}`) {
  const client = await testClient();
  return client.workflow.start('dubJob', { taskQueue: queues.workflows, workflowId: id, args: [input] });
}
