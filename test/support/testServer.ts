// The Temporal dev server of one jest worker: started on first use by the worker's first suite that needs one
// (test/support/environment.ts), reused by its later suites, stopped by the run's global teardown (only the
// servers this run started: their pids are files in the run's folder). A server already on the port (left by an
// earlier run, or started by hand) is reused and left alone.
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadSettings } from '../../config/load.js';
import { devServerArgv, ensureSearchAttributes, portOpen, spawnDetached, temporalCliPath, waitForServer } from '../../client/devServer.js';
import { TEST_CACHE } from './env.js';

/** Set by the global setup: where this run's workers record the servers they started. */
export const RUN_DIR_VARIABLE = 'ANIME_DUB_TEST_RUN_DIR';

let ready: Promise<void> | undefined;

export function ensureTestServer(port: number): Promise<void> {
  ready ??= start(port).catch((e) => { ready = undefined; throw e; });
  return ready;
}

async function start(port: number): Promise<void> {
  const address = `127.0.0.1:${port}`;
  if (await portOpen(port)) {
    await waitForServer(address, 'default', 60);
    await ensureSearchAttributes(address, 'default'); // a server left by an older run may lack newer ones
    return;
  }
  const cli = temporalCliPath(loadSettings({}));
  const argv = devServerArgv(cli, { port, uiPort: port + 1000, headless: true });
  const pid = await spawnDetached(argv, path.join(TEST_CACHE, `test-server-${port}.log`));
  const runDir = process.env[RUN_DIR_VARIABLE];
  if (runDir) await writeFile(path.join(runDir, `${port}.pid`), `${pid}\n`);
  await waitForServer(address, 'default', 120);
}

/** Stops the servers this run started (their process groups). */
export async function stopStartedServers(runDir: string): Promise<void> {
  for (const name of await readdir(runDir).catch(() => [] as string[])) {
    const pid = Number((await readFile(path.join(runDir, name), 'utf8')).trim());
    if (pid > 1) {
      try { process.kill(-pid, 'SIGTERM'); } catch { /* already gone */ }
    }
  }
  await rm(runDir, { recursive: true, force: true });
}
