// For `run --detach` on the embedded server: one background worker process per state dir.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Settings } from '../config/schema.js';
import { spawnDetached, stateDir } from './devServer.js';

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

export async function ensureBackgroundWorker(settings: Settings): Promise<number> {
  const file = path.join(stateDir(settings), 'worker.json');
  const state = await readFile(file, 'utf8').then(JSON.parse, () => undefined);
  if (state?.pid && alive(state.pid)) return state.pid;
  const entry = fileURLToPath(new URL('../workers/all.js', import.meta.url));
  const pid = await spawnDetached([process.execPath, entry], path.join(stateDir(settings), 'worker.log'));
  await writeFile(file, JSON.stringify({ pid, startedAt: new Date().toISOString() }, null, 2));
  return pid;
}
