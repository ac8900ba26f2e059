// Starts a real `temporal server start-dev` for the whole run (not the SDK's createLocal, which gives
// the server only 5 s) and waits until its namespace answers. A server already on the port is reused
// and left alone at the end (only the run that started a server stops it).
import { mkdir } from 'node:fs/promises';
import { loadSettings } from '../../config/load.js';
import { devServerArgv, ensureSearchAttributes, portOpen, spawnDetached, temporalCliPath, waitForServer } from '../../client/devServer.js';
import { TEST_ADDRESS, TEST_CACHE, TEST_SERVER_PORT } from './env.js';

export default async function globalSetup(): Promise<void> {
  await mkdir(TEST_CACHE, { recursive: true });
  process.env.TEMPORAL_ADDRESS = TEST_ADDRESS;
  if (await portOpen(TEST_SERVER_PORT)) {
    await waitForServer(TEST_ADDRESS, 'default', 60);
    await ensureSearchAttributes(TEST_ADDRESS, 'default'); // a server left by an older run may lack newer ones
    return;
  }
  const cli = temporalCliPath(loadSettings({}));
  const argv = devServerArgv(cli, { port: TEST_SERVER_PORT, uiPort: TEST_SERVER_PORT + 1000, headless: true });
  (globalThis as { __testServerPid?: number }).__testServerPid = await spawnDetached(argv, `${TEST_CACHE}/test-server.log`);
  await waitForServer(TEST_ADDRESS, 'default', 120);
}
