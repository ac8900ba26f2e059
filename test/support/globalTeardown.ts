// Stops the dev servers this run's workers started (each recorded its pid in the run's folder).
import { RUN_DIR_VARIABLE, stopStartedServers } from './testServer.js';

export default async function globalTeardown(): Promise<void> {
  const runDir = process.env[RUN_DIR_VARIABLE];
  if (runDir) await stopStartedServers(runDir);
}
