// Starts a real `temporal server start-dev` for the whole run (not the SDK's createLocal, which gives
// the server only 5 s) and waits until its namespace answers.
import { mkdir, writeFile } from 'node:fs/promises';
import { loadSettings } from '../../config/load.js';
import { devServerArgv, portOpen, spawnDetached, temporalCliPath, waitForServer } from '../../client/devServer.js';
import { SERVER_STATE, TEST_ADDRESS, TEST_CACHE, TEST_SERVER_PORT } from './env.js';

export default async function globalSetup(): Promise<void> {
  await mkdir(TEST_CACHE, { recursive: true });
  process.env.TEMPORAL_ADDRESS = TEST_ADDRESS;
  if (await portOpen(TEST_SERVER_PORT)) {
    await waitForServer(TEST_ADDRESS, 'default', 60);
    return; // a server left by a previous run on this port: reuse it
  }
  const cli = temporalCliPath(loadSettings({}));
  const argv = devServerArgv(cli, { port: TEST_SERVER_PORT, uiPort: TEST_SERVER_PORT + 1000, headless: true });
  const pid = await spawnDetached(argv, `${TEST_CACHE}/test-server.log`);
  await writeFile(SERVER_STATE, JSON.stringify({ pid }));
  await waitForServer(TEST_ADDRESS, 'default', 120);
}
