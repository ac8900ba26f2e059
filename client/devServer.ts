// The embedded Temporal: `temporal server start-dev` with a persistent database in the state dir (0600),
// bound to localhost, headless unless the user asks for the web UI, our search attributes registered.
// Reused when already up; stopped only when the process is verifiably the server this state dir started.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import type { Settings } from '../config/schema.js';
import { DEV_SERVER_SEARCH_ATTRIBUTES, SEARCH_ATTRIBUTES } from '../lib/searchAttributes.js';
import { absoluteSearchPath } from '../engines/searchPath.js';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface DevServer {
  address: string;
  /** Only when the web UI is on (`--ui`, ANIME_DUB_UI): it answers any Host header, so it is off by default. */
  uiUrl?: string;
  pid?: number;
  started: boolean;
}

export function temporalCliPath(settings: Settings): string {
  if (settings.temporal.cliPath) return settings.temporal.cliPath;
  const local = path.join(PROJECT_ROOT, '.tools', 'temporal', 'bin', 'temporal');
  return existsSync(local) ? local : 'temporal';
}

export function stateDir(settings: Settings): string {
  return path.resolve(settings.stateDir);
}

export function portOpen(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (ok: boolean) => { socket.destroy(); resolve(ok); };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Waits until the frontend answers and the namespace exists (a fresh database takes a few seconds). */
export async function waitForServer(address: string, namespace: string, timeoutSec: number): Promise<void> {
  const deadline = Date.now() + timeoutSec * 1000;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  throw new Error(`Temporal at ${address} did not become ready within ${timeoutSec}s: ${last instanceof Error ? last.message : last}`);
}

export function devServerArgv(cli: string, opts: { port: number; uiPort: number; dbFile?: string; headless?: boolean }): string[] {
  return [
    cli, 'server', 'start-dev',
    '--ip', '127.0.0.1', '--port', String(opts.port), '--ui-port', String(opts.uiPort),
    ...(opts.dbFile ? ['--db-filename', opts.dbFile] : []),
    ...(opts.headless ? ['--headless'] : []),
    ...DEV_SERVER_SEARCH_ATTRIBUTES.flatMap((sa) => ['--search-attribute', sa]),
    '--log-level', 'warn',
  ];
}

/**
 * Start a long-lived daemon (dev server, background worker) in its own process group, logging to `logFile`.
 * Plain spawn rather than the execa helper: a daemon must outlive us and hold no handle in this process.
 */
export async function spawnDetached(argv: string[], logFile: string, opts: { umask?: number } = {}): Promise<number> {
  await mkdir(path.dirname(logFile), { recursive: true });
  const fd = openSync(logFile, 'a', 0o600);
  // The child inherits the umask at spawn; ours is restored at once (spawn is synchronous up to the exec).
  const previous = opts.umask === undefined ? undefined : process.umask(opts.umask);
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(argv[0], argv.slice(1), { detached: true, stdio: ['ignore', fd, fd], env: { ...process.env, PATH: absoluteSearchPath(process.env.PATH ?? '') } });
  } finally {
    if (previous !== undefined) process.umask(previous);
  }
  closeSync(fd);
  child.on('error', () => {});
  child.unref();
  if (!child.pid) throw new Error(`could not start ${argv[0]}`);
  return child.pid;
}

/**
 * Registers any of our search attributes the server lacks (a server started by an older version, or by hand):
 * a workflow that sets an unknown attribute would otherwise fail its tasks.
 */
export async function ensureSearchAttributes(address: string, namespace: string): Promise<string[]> {
  const connection = await Connection.connect({ address });
  try {
    const have = await connection.operatorService.listSearchAttributes({ namespace });
    const known = new Set([...Object.keys(have.customAttributes ?? {}), ...Object.keys(have.systemAttributes ?? {})]);
    const missing = Object.keys(SEARCH_ATTRIBUTES).filter((name) => !known.has(name));
    if (missing.length) {
      const KEYWORD = 2; // temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD
      await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(missing.map((n) => [n, KEYWORD])) });
    }
    return missing;
  } finally {
    await connection.close();
  }
}

export async function ensureDevServer(settings: Settings): Promise<DevServer> {
  const { serverPort: port, uiPort, namespace, ui } = { ...settings.temporal };
  const address = `127.0.0.1:${port}`;
  const uiUrl = `http://127.0.0.1:${uiPort}`;
  const dir = stateDir(settings);
  const stateFile = path.join(dir, 'server.json');
  if (await portOpen(port)) {
    const state = await readFile(stateFile, 'utf8').then(JSON.parse, () => ({}));
    await waitForServer(address, namespace, settings.temporal.serverStartTimeoutSec);
    await ensureSearchAttributes(address, namespace);
    return { address, uiUrl: (await portOpen(uiPort)) ? uiUrl : undefined, pid: state.pid, started: false };
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const dbFile = path.join(dir, 'temporal.db');
  // Job inputs and results live in the database: 0600. The server must create a new file itself (it sets up the
  // schema only then), so it starts with a private umask; one made by an older version is narrowed here.
  if (existsSync(dbFile)) await chmod(dbFile, 0o600);
  const argv = devServerArgv(temporalCliPath(settings), { port, uiPort, dbFile, headless: !ui });
  const pid = await spawnDetached(argv, path.join(dir, 'server.log'), { umask: 0o077 });
  await writeFile(stateFile, JSON.stringify({ pid, port, uiPort, startedAt: new Date().toISOString() }, null, 2));
  await waitForServer(address, namespace, settings.temporal.serverStartTimeoutSec);
  // --search-attribute only registers into a new database; one made by an older version needs them added.
  await ensureSearchAttributes(address, namespace);
  return { address, uiUrl: ui ? uiUrl : undefined, pid, started: true };
}

/**
 * Is `pid` the dev server this state dir started? server.json is only a hint (a folder may hold a planted one:
 * `{"pid":1}` would make kill(-1) signal every process we may signal), so the process itself must be our
 * temporal binary running `server start-dev` on our port with our database. Linux /proc only; elsewhere: no.
 */
export async function isOurDevServer(settings: Settings, pid: unknown): Promise<{ ok: true; groupLeader: boolean } | { ok: false; why: string }> {
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 1) return { ok: false, why: `it records pid ${JSON.stringify(pid)}, which is not a server process id` };
  const argv = await readFile(`/proc/${pid}/cmdline`, 'utf8').then((t) => t.split('\0').filter((a, i, all) => a || i < all.length - 1), () => undefined);
  if (!argv) return { ok: false, why: `no process ${pid} is running (or it cannot be inspected)` };
  const after = (flag: string) => { const i = argv.indexOf(flag); return i >= 0 ? argv[i + 1] : undefined; };
  const dir = stateDir(settings);
  const ours = argv[0] === temporalCliPath(settings) && argv[1] === 'server' && argv[2] === 'start-dev'
    && after('--port') === String(settings.temporal.serverPort) && after('--db-filename') === path.join(dir, 'temporal.db');
  if (!ours) return { ok: false, why: `process ${pid} is not the Temporal dev server this state dir started` };
  // spawnDetached makes the server a process-group leader; then its whole group (the UI child too) is signalled.
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const pgid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  return { ok: true, groupLeader: pgid === pid };
}

/** refused = a server.json names a process that is not ours (an error); otherwise there was nothing to stop. */
export type StopOutcome = { stopped: true; pid: number } | { stopped: false; refused: boolean; why: string };

export async function stopDevServer(settings: Settings): Promise<StopOutcome> {
  const stateFile = path.join(stateDir(settings), 'server.json');
  const state = await readFile(stateFile, 'utf8').then(JSON.parse, () => undefined) as { pid?: unknown } | undefined;
  if (!state) return { stopped: false, refused: false, why: `no server recorded in ${stateDir(settings)}` };
  const check = await isOurDevServer(settings, state.pid);
  if (!check.ok) return { stopped: false, refused: true, why: `${stateFile}: ${check.why}; nothing was signalled` };
  const pid = state.pid as number;
  try { process.kill(check.groupLeader ? -pid : pid, 'SIGTERM'); } catch { /* it ended meanwhile */ }
  await rm(stateFile, { force: true });
  return { stopped: true, pid };
}
