// Real worker processes (the same entry points users run), started and stopped by tests.
import { afterAll, beforeAll } from '@jest/globals';
import { execa, type ResultPromise } from 'execa';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT, TEST_ADDRESS } from './env.js';
import { closeTestClient } from './jobs.js';

export interface WorkerProcess {
  pid: number;
  identity: string;
  output(): string;
  stop(): Promise<void>;
}

export type Queues = { workflows: string; cpu: string; gpu: string };

export function queuesFor(prefix: string): Queues {
  return { workflows: `${prefix}-workflows`, cpu: `${prefix}-cpu`, gpu: `${prefix}-gpu` };
}

/** `env` adds to or replaces the worker's variables; an undefined value removes one (e.g. TEMPORAL_ADDRESS, to use a profile). */
/** `root` runs another build's entry point (an older release in the upgrade test). */
export async function startWorker(entry: 'all' | 'cpu' | 'gpu', queues: Queues, env: Record<string, string | undefined> = {}, root = PROJECT_ROOT): Promise<WorkerProcess> {
  const identity = `${entry}-worker-${Math.random().toString(36).slice(2, 8)}`;
  let log = '';
  const child: ResultPromise = execa(process.execPath, [path.join(root, 'dist', 'workers', `${entry}.js`)], {
    env: {
      TEMPORAL_ADDRESS: TEST_ADDRESS,
      DUB_WORKER_IDENTITY: identity,
      DUB_QUEUE_WORKFLOWS: queues.workflows,
      DUB_QUEUE_CPU: queues.cpu,
      DUB_QUEUE_GPU: queues.gpu,
      ANIME_DUB_OUTPUT_DIR: os.tmpdir(),
      ...env,
    },
    reject: false,
    all: true,
  });
  child.all?.on('data', (d: Buffer) => { log += d.toString(); });
  const exited = child.then(() => undefined);
  await new Promise<void>((resolve, reject) => {
    // 120 s: suites start workers side by side, and a worker's start is CPU-bound (a loaded machine is slow at it).
    const timer = setTimeout(() => reject(new Error(`worker did not start in 120 s:\n${log}`)), 120_000);
    // Removed once started: a worker that logs a lot would otherwise rescan its whole log on every chunk.
    const check = () => {
      if (log.includes('polling')) { clearTimeout(timer); child.all?.off('data', check); resolve(); }
    };
    child.all?.on('data', check);
    exited.then(() => { clearTimeout(timer); reject(new Error(`worker exited early:\n${log}`)); });
  });
  return {
    pid: child.pid!,
    identity,
    output: () => log,
    async stop() {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/**
 * The usual frame of a suite: its own queues, one all-queue worker process started before (after `prepare`,
 * e.g. making fixtures) and stopped after, and the shared client closed.
 */
/** `env` may be a function, read after `prepare` (e.g. a listener's port in the worker's settings). */
export function withWorker(prefix: string, opts: { env?: Record<string, string> | (() => Record<string, string>); prepare?: () => Promise<unknown> } = {}): Queues {
  const queues = queuesFor(prefix);
  let worker: WorkerProcess | undefined;
  beforeAll(async () => {
    await opts.prepare?.();
    worker = await startWorker('all', queues, typeof opts.env === 'function' ? opts.env() : opts.env);
  }, 180_000);
  afterAll(async () => {
    await worker?.stop();
    await closeTestClient();
  });
  return queues;
}
