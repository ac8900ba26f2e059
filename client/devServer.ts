// The embedded Temporal: `temporal server start-dev` with a persistent database in the state dir (0600),
// bound to localhost, headless unless the user asks for the web UI, our search attributes registered.
// Reused when already up only when the process answering the port is verifiably the server this state dir started
// (issue 27: another local user's server on 127.0.0.1:7233 must never receive our jobs); stopped only then too.
// With the web UI on, the UI itself listens on an internal loopback port and a small front (client/uiFront.ts) on
// the user-visible port answers only exact loopback Host/Origin headers (DNS rebinding).
import { spawn } from 'node:child_process';
import { tempName } from '../engines/tempNames.js';
import { randomInt } from 'node:crypto';
import { closeSync, existsSync, openSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, readlink, rename, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import type { Settings } from '../config/schema.js';
import { DEV_SERVER_SEARCH_ATTRIBUTES, SEARCH_ATTRIBUTES } from '../lib/searchAttributes.js';
import { absoluteSearchPath } from '../engines/searchPath.js';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface DevServer {
  address: string;
  /** Only when the web UI is on (`--ui`, ANIME_DUB_UI): served through our UI front (exact loopback Host only). */
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

export function devServerArgv(cli: string, opts: { port: number; uiPort: number; dbFile?: string; headless?: boolean; uiIp?: string }): string[] {
  return [
    cli, 'server', 'start-dev',
    '--ip', '127.0.0.1', '--port', String(opts.port), '--ui-port', String(opts.uiPort),
    ...(opts.dbFile ? ['--db-filename', opts.dbFile] : []),
    ...(opts.headless ? ['--headless'] : ['--ui-ip', opts.uiIp ?? '127.0.0.1']),
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

/** What server.json records (a hint: every field is verified against /proc before it is trusted). */
export interface ServerState {
  pid?: unknown;
  port?: unknown;
  uiPort?: unknown;
  /** Field 22 of /proc/<pid>/stat when we started it: a recycled pid has another. */
  startTime?: unknown;
  /** With the UI on: the dev server's own UI port (internal, loopback) and the front on `uiPort`. */
  ui?: { upstreamHost?: unknown; upstreamPort?: unknown; frontPid?: unknown; frontStartTime?: unknown };
}

/** Refusal to use what answers our port: the CLI prints it and exits non-zero. */
export class ForeignServerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ForeignServerError';
  }
}

/** Written whole (temp name, then rename): a CLI starting at the same moment never reads half of it. */
async function writeState(file: string, state: ServerState): Promise<void> {
  const tmp = tempName(file);
  await writeFile(tmp, JSON.stringify({ ...state, startedAt: new Date().toISOString() }, null, 2), { mode: 0o600 });
  await rename(tmp, file);
}

async function readState(file: string): Promise<ServerState | undefined> {
  const state = await readFile(file, 'utf8').then(JSON.parse, () => undefined) as unknown;
  return state && typeof state === 'object' ? state as ServerState : undefined;
}

/** The state dir must be ours and writable by nobody else: server.json there is what names "our" server. */
async function checkStateDir(dir: string): Promise<string | undefined> {
  const st = await stat(dir).catch(() => undefined);
  if (!st) return undefined;
  if (!st.isDirectory()) return `${dir} is not a directory`;
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) return `${dir} belongs to another user (uid ${st.uid})`;
  if (st.mode & 0o022) return `${dir} is writable by other users (mode ${(st.mode & 0o777).toString(8)}); \`chmod 700 ${dir}\``;
  return undefined;
}

/**
 * Where the UI itself listens behind the front: a random address of 127.0.0.0/8 (all of it is loopback on Linux)
 * and a port the kernel chose, so a page that tries DNS rebinding on the UI directly has ~2^38 places to guess.
 * Falls back to 127.0.0.1 where other loopback addresses cannot be bound.
 */
export async function freeLoopbackEndpoint(): Promise<{ host: string; port: number }> {
  const tryBind = (host: string) => new Promise<number | undefined>((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(undefined));
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
  const byte = (lo: number, hi: number) => lo + randomInt(hi - lo + 1);
  for (let i = 0; i < 3; i++) {
    const host = `127.${byte(1, 254)}.${byte(0, 255)}.${byte(1, 254)}`;
    const port = await tryBind(host);
    if (port) return { host, port };
  }
  const port = await tryBind('127.0.0.1');
  if (!port) throw new Error('no free loopback port for the Temporal UI');
  return { host: '127.0.0.1', port };
}

export const UI_FRONT_ENTRY = fileURLToPath(new URL('./uiFront.js', import.meta.url));

/**
 * For every embedded-mode command that connects to a server already running on our port: throws ForeignServerError
 * (with the message the CLI prints) unless verifyRunningServer accepts it. Returns server.json as verified.
 */
export async function assertOurServer(settings: Settings): Promise<ServerState> {
  const address = `127.0.0.1:${settings.temporal.serverPort}`;
  const state = await readState(path.join(stateDir(settings), 'server.json'));
  const trust = await verifyRunningServer(settings, state);
  if (!trust.ok) {
    throw new ForeignServerError(`${address} is answered by a process anime-dub did not start (${trust.why}); nothing was sent to it. `
      + 'Stop it, or set ANIME_DUB_SERVER_PORT (another port for the local server) / TEMPORAL_ADDRESS (a server you trust)');
  }
  return state!;
}

export async function ensureDevServer(settings: Settings): Promise<DevServer> {
  const { serverPort: port, uiPort, namespace, ui } = { ...settings.temporal };
  const address = `127.0.0.1:${port}`;
  const uiUrl = `http://127.0.0.1:${uiPort}`;
  const dir = stateDir(settings);
  const stateFile = path.join(dir, 'server.json');
  const dirProblem = await checkStateDir(dir);
  if (dirProblem) throw new ForeignServerError(`the state dir cannot be trusted: ${dirProblem}; choose another with ANIME_DUB_STATE_DIR`);
  if (await portOpen(port)) {
    const state = await assertOurServer(settings);
    await waitForServer(address, namespace, settings.temporal.serverStartTimeoutSec);
    await ensureSearchAttributes(address, namespace);
    const front = await ensureUiFront(settings, state, stateFile);
    return { address, uiUrl: front ? uiUrl : undefined, pid: state.pid as number, started: false };
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const madeProblem = await checkStateDir(dir);
  if (madeProblem) throw new ForeignServerError(`the state dir cannot be trusted: ${madeProblem}; choose another with ANIME_DUB_STATE_DIR`);
  if (ui && (await portOpen(uiPort))) {
    // Only a front a previous server of this state dir left behind may be replaced; anything else keeps the port.
    const old = await readState(stateFile);
    const front = old?.ui ? await isOurUiFront(settings, old.ui.frontPid, old.ui.frontStartTime) : undefined;
    if (!front?.ok) throw new ForeignServerError(`the UI port 127.0.0.1:${uiPort} is taken by a process anime-dub did not start; stop it, or set ANIME_DUB_UI_PORT`);
    try { process.kill(old!.ui!.frontPid as number, 'SIGTERM'); } catch { /* gone meanwhile */ }
    await waitUntil(async () => !(await portOpen(uiPort)), 10_000);
  }
  const dbFile = path.join(dir, 'temporal.db');
  // Job inputs and results live in the database: 0600. The server must create a new file itself (it sets up the
  // schema only then), so it starts with a private umask; one made by an older version is narrowed here.
  if (existsSync(dbFile)) await chmod(dbFile, 0o600);
  // The UI answers any Host header: with --ui it listens on an internal loopback port, and our front (exact
  // loopback Host and Origin only) takes the port the user sees.
  const upstream = ui ? await freeLoopbackEndpoint() : undefined;
  const argv = devServerArgv(temporalCliPath(settings), { port, uiPort: upstream?.port ?? uiPort, uiIp: upstream?.host, dbFile, headless: !ui });
  const pid = await spawnDetached(argv, path.join(dir, 'server.log'), { umask: 0o077 });
  const state: ServerState = { pid, port, uiPort, startTime: await processStartTime(pid), ...(upstream ? { ui: { upstreamHost: upstream.host, upstreamPort: upstream.port } } : {}) };
  await writeState(stateFile, state);
  await waitForServer(address, namespace, settings.temporal.serverStartTimeoutSec);
  // --search-attribute only registers into a new database; one made by an older version needs them added.
  await ensureSearchAttributes(address, namespace);
  const front = ui ? await ensureUiFront(settings, state, stateFile) : undefined;
  return { address, uiUrl: front ? uiUrl : undefined, pid, started: true };
}

async function waitUntil(probe: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/**
 * The UI front of a server started with its UI (state.ui): reused when verified, started when the port is free.
 * Returns its pid, or undefined when the server is headless or the UI port is someone else's.
 */
async function ensureUiFront(settings: Settings, state: ServerState, stateFile: string): Promise<number | undefined> {
  const upstreamPort = state.ui?.upstreamPort;
  const upstreamHost = state.ui?.upstreamHost;
  if (typeof upstreamPort !== 'number' || typeof upstreamHost !== 'string' || !/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(upstreamHost)) return undefined;
  const { uiPort } = settings.temporal;
  const known = await isOurUiFront(settings, state.ui?.frontPid, state.ui?.frontStartTime);
  if (known.ok && (await ownsLoopbackListener(state.ui!.frontPid as number, uiPort)).ok) return state.ui!.frontPid as number;
  if (await portOpen(uiPort)) return undefined; // someone else's: no link to it
  const dir = path.dirname(stateFile);
  const frontPid = await spawnDetached([process.execPath, UI_FRONT_ENTRY, '--port', String(uiPort), '--upstream-host', upstreamHost, '--upstream', String(upstreamPort), '--server-pid', String(state.pid)],
    path.join(dir, 'ui-front.log'), { umask: 0o077 });
  const frontStartTime = await processStartTime(frontPid);
  state.ui = { ...state.ui, frontPid, frontStartTime };
  await writeState(stateFile, state);
  const listening = await waitUntil(async () => (await ownsLoopbackListener(frontPid, uiPort)).ok || !existsSync(`/proc/${frontPid}`), 10_000);
  if (!listening || !(await ownsLoopbackListener(frontPid, uiPort)).ok) {
    try { process.kill(frontPid, 'SIGTERM'); } catch { /* it ended */ }
    throw new Error(`the UI front did not start on 127.0.0.1:${uiPort} (see ${path.join(dir, 'ui-front.log')})`);
  }
  return frontPid;
}

// ---- /proc: who a process is, and which process listens on a port (Linux only; elsewhere nothing is trusted) ----

/** Field 22 of /proc/<pid>/stat (clock ticks after boot): with the pid, it names one process for good. */
export async function processStartTime(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  if (!stat) return undefined;
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]; // fields 3… follow the ") "
}

export async function processArgv(pid: number): Promise<string[] | undefined> {
  return readFile(`/proc/${pid}/cmdline`, 'utf8').then((t) => t.split('\0').filter((a, i, all) => a || i < all.length - 1), () => undefined);
}

/** Real and effective uid of `pid` are ours (a process of another user is never "ours", whatever its argv). */
export async function sameUser(pid: number): Promise<string | undefined> {
  if (typeof process.getuid !== 'function') return 'process owners cannot be checked on this platform';
  const me = process.getuid();
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const uids = /^Uid:\s+(\d+)\s+(\d+)/m.exec(status);
  const owner = await stat(`/proc/${pid}`).then((s) => s.uid, () => undefined);
  if (!uids || owner === undefined) return `process ${pid} cannot be inspected`;
  if (Number(uids[1]) !== me || Number(uids[2]) !== me || owner !== me) return `process ${pid} belongs to uid ${uids[1] !== String(me) ? uids[1] : uids[2]}, not to us (uid ${me})`;
  return undefined;
}

/** The hex forms /proc/net/tcp{,6} give the addresses a connection to 127.0.0.1 can reach. */
function loopbackListenAddresses(): { tcp: Set<string>; tcp6: Set<string> } {
  const word = (bytes: number[]) => {
    const b = os.endianness() === 'LE' ? [...bytes].reverse() : bytes;
    return b.map((x) => x.toString(16).padStart(2, '0')).join('').toUpperCase();
  };
  const v4 = [word([127, 0, 0, 1]), word([0, 0, 0, 0])];
  const zero = word([0, 0, 0, 0]);
  const mapped = word([0, 0, 0xff, 0xff]);
  return { tcp: new Set(v4), tcp6: new Set([zero + zero + zero + zero, ...v4.map((a) => zero + zero + mapped + a)]) };
}

/** Inodes of the LISTEN sockets a connection to 127.0.0.1:<port> could reach (127.0.0.1, 0.0.0.0, ::, ::ffff:…). */
export async function loopbackListenerInodes(port: number): Promise<string[]> {
  const reachable = loopbackListenAddresses();
  const inodes: string[] = [];
  for (const table of ['tcp', 'tcp6'] as const) {
    const text = await readFile(`/proc/net/${table}`, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A') continue; // 0A: TCP_LISTEN
      const [addr, hexPort] = f[1].split(':');
      if (parseInt(hexPort, 16) === port && reachable[table].has(addr.toUpperCase())) inodes.push(f[9]);
    }
  }
  return inodes;
}

/** Does `pid` hold every listening socket that answers 127.0.0.1:<port> (its fds link to `socket:[inode]`)? */
export async function ownsLoopbackListener(pid: number, port: number): Promise<{ ok: true } | { ok: false; why: string }> {
  const inodes = await loopbackListenerInodes(port);
  if (!inodes.length) return { ok: false, why: `no listening socket for 127.0.0.1:${port} is visible in /proc/net/tcp` };
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => undefined);
  if (!fds) return { ok: false, why: `the open files of process ${pid} cannot be inspected` };
  const held = new Set<string>();
  for (const fd of fds) {
    const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m) held.add(m[1]);
  }
  const foreign = inodes.filter((i) => !held.has(i));
  return foreign.length ? { ok: false, why: `the socket listening on 127.0.0.1:${port} belongs to another process, not to process ${pid}` } : { ok: true };
}

/**
 * The server answering our port is the one this state dir started: server.json names it, it is our temporal binary
 * with our port and database (isOurDevServer), of our user, with the recorded start time, and it holds the
 * listening socket. Anything less and the CLI sends it nothing.
 */
export async function verifyRunningServer(settings: Settings, state: ServerState | undefined): Promise<{ ok: true } | { ok: false; why: string }> {
  const stateFile = path.join(stateDir(settings), 'server.json');
  if (!state) return { ok: false, why: `${stateFile} records no server` };
  const check = await isOurDevServer(settings, state.pid, state.startTime);
  if (!check.ok) return { ok: false, why: check.why };
  if (typeof state.startTime !== 'string') return { ok: false, why: `${stateFile} records no start time (written by an older anime-dub: \`anime-dub server stop\`, then run again)` };
  const owner = await ownsLoopbackListener(state.pid as number, settings.temporal.serverPort);
  return owner.ok ? { ok: true } : owner;
}

/** Is `pid` the UI front we started: node running our uiFront.js for our UI port, our user, the recorded start? */
export async function isOurUiFront(settings: Settings, pid: unknown, startTime: unknown): Promise<{ ok: true } | { ok: false; why: string }> {
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 1) return { ok: false, why: `it records UI front pid ${JSON.stringify(pid)}` };
  const argv = await processArgv(pid);
  if (!argv) return { ok: false, why: `no UI front process ${pid} is running` };
  const after = (flag: string) => { const i = argv.indexOf(flag); return i >= 0 ? argv[i + 1] : undefined; };
  if (argv[1] !== UI_FRONT_ENTRY || after('--port') !== String(settings.temporal.uiPort)) return { ok: false, why: `process ${pid} is not our UI front` };
  const user = await sameUser(pid);
  if (user) return { ok: false, why: user };
  if (typeof startTime !== 'string' || (await processStartTime(pid)) !== startTime) return { ok: false, why: `process ${pid} is not the UI front recorded (another start time)` };
  return { ok: true };
}

/**
 * Is `pid` the dev server this state dir started? server.json is only a hint (a folder may hold a planted one:
 * `{"pid":1}` would make kill(-1) signal every process we may signal), so the process itself must be our
 * temporal binary running `server start-dev` on our port with our database. Linux /proc only; elsewhere: no.
 */
export async function isOurDevServer(settings: Settings, pid: unknown, startTime?: unknown): Promise<{ ok: true; groupLeader: boolean } | { ok: false; why: string; otherPort?: number }> {
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 1) return { ok: false, why: `it records pid ${JSON.stringify(pid)}, which is not a server process id` };
  const argv = await processArgv(pid);
  if (!argv) return { ok: false, why: `no process ${pid} is running (or it cannot be inspected)` };
  const after = (flag: string) => { const i = argv.indexOf(flag); return i >= 0 ? argv[i + 1] : undefined; };
  const dir = stateDir(settings);
  const ours = argv[0] === temporalCliPath(settings) && argv[1] === 'server' && argv[2] === 'start-dev'
    && after('--port') === String(settings.temporal.serverPort) && after('--db-filename') === path.join(dir, 'temporal.db');
  if (!ours) {
    // The commonest cause: the server was started with another ANIME_DUB_SERVER_PORT than this command has.
    const samePlace = argv[0] === temporalCliPath(settings) && after('--db-filename') === path.join(dir, 'temporal.db');
    const port = after('--port');
    if (samePlace && port && port !== String(settings.temporal.serverPort)) {
      return { ok: false, otherPort: Number(port), why: `process ${pid} is this state dir's dev server on port ${port}, but this command is set to port ${settings.temporal.serverPort}: run it with ANIME_DUB_SERVER_PORT=${port} (or temporal.serverPort) as the server was started` };
    }
    return { ok: false, why: `process ${pid} is not the Temporal dev server this state dir started` };
  }
  const user = await sameUser(pid);
  if (user) return { ok: false, why: user };
  // Recorded since issue 27 (an older server.json has none: its cmdline is all there is to go on).
  if (typeof startTime === 'string' && (await processStartTime(pid)) !== startTime) return { ok: false, why: `process ${pid} is not the server recorded (it started at another time: the pid was reused)` };
  // spawnDetached makes the server a process-group leader; then its whole group (the UI child too) is signalled.
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const pgid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  return { ok: true, groupLeader: pgid === pid };
}

/** refused = a server.json names a process that is not ours (an error); otherwise there was nothing to stop. */
export type StopOutcome = ({ stopped: true; pid: number } | { stopped: false; refused: boolean; why: string }) & { frontPid?: number };

export async function stopDevServer(settings: Settings): Promise<StopOutcome> {
  const stateFile = path.join(stateDir(settings), 'server.json');
  const state = await readState(stateFile);
  if (!state) return { stopped: false, refused: false, why: `no server recorded in ${stateDir(settings)}` };
  const check = await isOurDevServer(settings, state.pid, state.startTime);
  // Our server, asked on another port: a mistake in the command, so its UI front is left running with it.
  if (!check.ok && check.otherPort) return { stopped: false, refused: true, why: `${stateFile}: ${check.why}; nothing was signalled` };
  // The UI front: signalled only when it is verifiably ours (it also ends by itself once the server is gone).
  let frontPid: number | undefined;
  if (state.ui && (await isOurUiFront(settings, state.ui.frontPid, state.ui.frontStartTime)).ok) {
    frontPid = state.ui.frontPid as number;
    try { process.kill(frontPid, 'SIGTERM'); } catch { /* it ended meanwhile */ }
  }
  if (!check.ok) return { stopped: false, refused: true, why: `${stateFile}: ${check.why}; nothing ${frontPid ? 'else ' : ''}was signalled`, frontPid };
  const pid = state.pid as number;
  try { process.kill(check.groupLeader ? -pid : pid, 'SIGTERM'); } catch { /* it ended meanwhile */ }
  await rm(stateFile, { force: true });
  return { stopped: true, pid, frontPid };
}
