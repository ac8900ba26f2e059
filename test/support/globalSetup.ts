// Prepares a run: the cache folder and the folder where workers record the dev servers they start. Servers are
// started per jest worker on first use (test/support/environment.ts), so a run of two suites in one worker
// starts one server and a parallel run one per worker; only the run that started a server stops it.
import { mkdir, mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { TEST_CACHE } from './env.js';
import { linkMachineMediaCache } from './mediaCache.js';
import { RUN_DIR_VARIABLE } from './testServer.js';

export default async function globalSetup(): Promise<void> {
  await mkdir(TEST_CACHE, { recursive: true });
  // A clean checkout reuses the media an earlier checkout of the same fixtures made on this machine.
  const shared = await linkMachineMediaCache();
  if (shared) console.log(`[test] generated media: ${shared}`);
  // Inherited by the worker processes jest forks after this.
  process.env[RUN_DIR_VARIABLE] = await mkdtemp(path.join(TEST_CACHE, 'run-'));
}
