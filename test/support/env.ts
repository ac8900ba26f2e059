// Where the test dev servers listen and where test artifacts go (shared by setup and tests).
// Jest runs suites in parallel worker processes (JEST_WORKER_ID 1..N); each worker has its own Temporal dev
// server, so a suite that lists "every running job" or counts workflows sees only its own worker's jobs.
// Worker N's server listens on ANIME_DUB_TEST_PORT + 10·(N − 1) (UI, never started, would be port + 1000).
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const TEST_CACHE = path.join(PROJECT_ROOT, 'test', '.cache');
export const TEST_BASE_PORT = Number(process.env.ANIME_DUB_TEST_PORT ?? 17233);
/** Ports between two workers' servers: room for a few more per worker inside one agent's block of ports. */
export const SERVER_PORT_STRIDE = 10;
export const TEST_WORKER = Math.max(1, Number(process.env.JEST_WORKER_ID ?? 1) || 1);

export function testServerPort(worker: number): number {
  return TEST_BASE_PORT + SERVER_PORT_STRIDE * (worker - 1);
}

export const TEST_SERVER_PORT = testServerPort(TEST_WORKER);
export const TEST_ADDRESS = `127.0.0.1:${TEST_SERVER_PORT}`;

/**
 * A port of this worker's own for a server a test starts itself (an embedded `anime-dub` server, a UI): the
 * server's port + n, n from 1 to 9 (the next worker's server is 10 further). Fixed ports would be shared by every
 * checkout on the machine.
 */
export function workerPort(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n >= SERVER_PORT_STRIDE) throw new Error(`workerPort(${n}): n is 1 to ${SERVER_PORT_STRIDE - 1}`);
  return TEST_SERVER_PORT + n;
}
