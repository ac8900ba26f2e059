// Which processes are alive whose command line mentions a string (read from /proc, no shell).
import { readdir, readFile } from 'node:fs/promises';

export async function processesMentioning(text: string): Promise<{ pid: number; cmd: string }[]> {
  const found: { pid: number; cmd: string }[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmd = await readFile(`/proc/${entry}/cmdline`, 'utf8').then((s) => s.split('\0').join(' ').trim(), () => '');
    if (cmd.includes(text)) found.push({ pid: Number(entry), cmd });
  }
  return found;
}

/**
 * The processes mentioning `text` that belong to a worker serving `queues` (they inherit its DUB_QUEUE_CPU).
 * Jest runs other suites in parallel: a test that kills or counts engine processes must pick its own.
 */
export async function processesOfQueues(text: string, queues: { cpu: string }): Promise<{ pid: number; cmd: string }[]> {
  const mine: { pid: number; cmd: string }[] = [];
  for (const p of await processesMentioning(text)) {
    const env = await readFile(`/proc/${p.pid}/environ`, 'utf8').then((s) => s.split('\0'), () => [] as string[]);
    if (env.includes(`DUB_QUEUE_CPU=${queues.cpu}`)) mine.push(p);
  }
  return mine;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value) return value;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Has `pid` exited (gone, or a zombie not yet reaped)? It may vanish between the two reads: that is gone too. */
export async function exited(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return !stat || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
}
