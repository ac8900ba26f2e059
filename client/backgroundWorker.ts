// For `run --detach` on the embedded server: one background worker process per state dir.
// worker.json is a hint (a folder may hold a planted `{"pid":1}`): the recorded process is trusted only when it is
// node running our workers entry, of our user, with the start time recorded when we started it (issue 27).
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Settings } from '../config/schema.js';
import { processArgv, processStartTime, sameUser, spawnDetached, stateDir } from './devServer.js';

export const WORKER_ENTRY = fileURLToPath(new URL('../workers/all.js', import.meta.url));

/** Is `pid` the background worker worker.json recorded? Linux /proc only; elsewhere: no (a new one is started). */
export async function isOurBackgroundWorker(pid: unknown, startTime: unknown): Promise<{ ok: true } | { ok: false; why: string }> {
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 1) return { ok: false, why: `it records pid ${JSON.stringify(pid)}` };
  const argv = await processArgv(pid);
  if (!argv) return { ok: false, why: `no process ${pid} is running` };
  const node = argv[0] === process.execPath || /^node(?:js)?(?:\d+(?:\.\d+)*)?$/.test(path.basename(argv[0] ?? ''));
  if (!node || argv[1] !== WORKER_ENTRY || argv.length !== 2) return { ok: false, why: `process ${pid} is not our background worker` };
  const user = await sameUser(pid);
  if (user) return { ok: false, why: user };
  if (typeof startTime !== 'string' || (await processStartTime(pid)) !== startTime) return { ok: false, why: `process ${pid} is not the worker recorded (another start time)` };
  return { ok: true };
}

export async function ensureBackgroundWorker(settings: Settings): Promise<number> {
  const file = path.join(stateDir(settings), 'worker.json');
  const state = await readFile(file, 'utf8').then(JSON.parse, () => undefined) as { pid?: unknown; startTime?: unknown } | undefined;
  if (state && (await isOurBackgroundWorker(state.pid, state.startTime)).ok) return state.pid as number;
  const pid = await spawnDetached([process.execPath, WORKER_ENTRY], path.join(stateDir(settings), 'worker.log'));
  await writeFile(file, JSON.stringify({ pid, startTime: await processStartTime(pid), startedAt: new Date().toISOString() }, null, 2), { mode: 0o600 });
  return pid;
}
