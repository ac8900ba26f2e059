import { readFile, rm } from 'node:fs/promises';
import { SERVER_STATE } from './env.js';

export default async function globalTeardown(): Promise<void> {
  const state = await readFile(SERVER_STATE, 'utf8').then(JSON.parse, () => undefined);
  if (state?.pid) {
    try { process.kill(-state.pid, 'SIGTERM'); } catch { /* already gone */ }
  }
  await rm(SERVER_STATE, { force: true });
}
