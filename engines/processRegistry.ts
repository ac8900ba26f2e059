// Engine processes a job started, recorded in its folder (tmp/processes/<pid>.json) while they run. A worker
// killed with SIGKILL cannot stop its children (they run in their own process groups so a cancel reaches a
// whole engine); the next attempt in that job ends them first, so two attempts never write the same files.
import { readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

interface ProcessRecord { pid: number; owner: number; host: string; started: string; program: string }

/** The process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat): a reused pid differs. */
async function startTicks(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

/** Is `pid` running (ours or another user's)? */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function registerProcess(dir: string, pid: number, program: string): Promise<() => Promise<void>> {
  const file = path.join(dir, `${pid}.json`);
  try {
    await mkdir(dir, { recursive: true });
    const record: ProcessRecord = { pid, owner: process.pid, host: os.hostname(), started: (await startTicks(pid)) ?? '', program: path.basename(program) };
    await writeFile(file, JSON.stringify(record));
  } catch {
    return async () => {}; // best effort: the job itself does not depend on it
  }
  return () => rm(file, { force: true });
}

/** Ends the recorded process groups whose worker is gone (on this host); returns how many were ended. */
export async function endOrphans(dir: string): Promise<number> {
  const names = await readdir(dir).catch(() => [] as string[]);
  let ended = 0;
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    const file = path.join(dir, name);
    const rec = await readFile(file, 'utf8').then((t) => JSON.parse(t) as ProcessRecord, () => undefined);
    if (!rec || rec.host !== os.hostname() || alive(rec.owner)) continue;
    if (rec.started && (await startTicks(rec.pid)) === rec.started) {
      try {
        process.kill(-rec.pid, 'SIGKILL');
        ended++;
      } catch { /* already gone */ }
    }
    await rm(file, { force: true });
  }
  return ended;
}
