// Issue 27, points 3, 4 and 10: the CLI trusts only what it started. Real processes throughout: a stranger's
// `temporal server start-dev` on the port, the real CLI, the real UI front in front of the real Temporal UI (raw HTTP
// with forged Host/Origin headers), the real background worker, the real default artifact cache folder.
import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { execa } from 'execa';
import { Client, Connection } from '@temporalio/client';
import { defaultArtifactCacheDir } from '../../storage/artifactStore.js';
import { ensureBackgroundWorker, WORKER_ENTRY } from '../../client/backgroundWorker.js';
import { devServerArgv, ownsLoopbackListener, portOpen, processStartTime, spawnDetached, temporalCliPath, UI_FRONT_ENTRY, waitForServer } from '../../client/devServer.js';
import { loadSettings } from '../../config/load.js';
import { shortClip } from '../fixtures/media.js';
import { PROJECT_ROOT } from '../support/env.js';
import { tempDir } from '../support/jobs.js';
import { exited, waitFor } from '../support/processes.js';

const CLI = path.join(PROJECT_ROOT, 'dist', 'client', 'cli.js');

const anime = (args: string[], env: Record<string, string>) =>
  execa(process.execPath, [CLI, ...args], { env: { CI: '1', ...env }, reject: false, timeout: 120_000 });

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Every process this file started (detached group leaders): killed at the end whatever happened. */
const started = new Set<number>();
const gone = (pid: number) => () => exited(pid);
function kill(pid: number): void {
  for (const target of [-pid, pid]) try { process.kill(target, 'SIGKILL'); } catch { /* gone */ }
  started.delete(pid);
}
afterAll(() => { for (const pid of [...started]) kill(pid); });

const cmdline = (pid: number) => readFile(`/proc/${pid}/cmdline`, 'utf8').then((t) => t.split('\0'), () => [] as string[]);

interface Answer { status: number; headers: http.IncomingHttpHeaders; body: string }
function request(port: number, headers: Record<string, string>, method = 'GET', urlPath = '/'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A raw request (an upgrade, or one without a Host header): everything the front answered. */
function raw(port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write(head));
    let text = '';
    socket.on('data', (d: Buffer) => { text += d.toString(); });
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
    setTimeout(() => { socket.destroy(); resolve(text); }, 5000);
  });
}

describe('issue 27: the CLI trusts only the processes it started (real dev servers, CLI, UI front, worker)', () => {
  it('4: a stranger\'s Temporal server on our port is refused with a clear message and receives no workflow', async () => {
    const strangerDir = await tempDir('trust-stranger');
    const [port, uiPort] = [await freePort(), await freePort()];
    const cli = temporalCliPath(loadSettings({}));
    const stranger = await spawnDetached(devServerArgv(cli, { port, uiPort, dbFile: path.join(strangerDir, 'stranger.db'), headless: true }), path.join(strangerDir, 'stranger.log'));
    started.add(stranger);
    const video = (await shortClip()).video;
    await waitForServer(`127.0.0.1:${port}`, 'default', 60);
    const state = await tempDir('trust-state');
    const env = { TEMPORAL_ADDRESS: '', ANIME_DUB_STATE_DIR: state, ANIME_DUB_SERVER_PORT: String(port), ANIME_DUB_UI_PORT: String(uiPort) };
    const refusal = new RegExp(`127\\.0\\.0\\.1:${port} is answered by a process anime-dub did not start \\((.*)\\); nothing was sent to it\\. Stop it, or set ANIME_DUB_SERVER_PORT .* / TEMPORAL_ADDRESS`);
    try {
      // No server.json at all: the job goes nowhere (the old CLI started it on the stranger's server).
      const run = await anime(['run', video, '--detach', '--new'], env);
      expect(run.stderr).toMatch(refusal);
      expect(run.stderr).toMatch(/records no server/);
      expect(run.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
      expect(run.exitCode).toBe(1);

      // A planted server.json naming pid 1, or the stranger itself with its real start time: still refused.
      await writeFile(path.join(state, 'server.json'), '{"pid":1}');
      const one = await anime(['server', 'start'], env);
      expect([one.exitCode, one.stderr]).toEqual([1, expect.stringMatching(refusal)]);
      await writeFile(path.join(state, 'server.json'), JSON.stringify({ pid: stranger, startTime: await processStartTime(stranger) }));
      const named = await anime(['run', video, '--detach', '--new'], env);
      expect([named.exitCode, named.stderr]).toEqual([1, expect.stringMatching(refusal)]);
      expect(named.stderr).toContain(`process ${stranger} is not the Temporal dev server this state dir started`);

      // The stranger's server has no workflow of ours (nor any other).
      const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
      try {
        const ids: string[] = [];
        for await (const wf of new Client({ connection }).workflow.list()) ids.push(wf.workflowId);
        expect(ids).toEqual([]);
      } finally {
        await connection.close();
      }
      expect(existsSync(path.join(state, 'worker.json'))).toBe(false); // no background worker started for it either
    } finally {
      kill(stranger);
    }
  }, 120_000);

  it('4: the listening socket must belong to the recorded process (read from /proc/net/tcp and /proc/<pid>/fd)', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const bystander = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    started.add(bystander.pid!);
    try {
      expect(await ownsLoopbackListener(process.pid, port)).toEqual({ ok: true });
      expect(await ownsLoopbackListener(bystander.pid!, port)).toEqual({ ok: false, why: `the socket listening on 127.0.0.1:${port} belongs to another process, not to process ${bystander.pid}` });
      const closed = await freePort();
      expect((await ownsLoopbackListener(process.pid, closed)).ok).toBe(false);
    } finally {
      kill(bystander.pid!);
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('3/4: `server start --ui` puts the UI behind a front that answers only exact loopback Host/Origin; a recycled pid is refused; `server stop` stops both', async () => {
    const state = await tempDir('trust-ui');
    const [port, uiPort] = [await freePort(), await freePort()];
    const env = { TEMPORAL_ADDRESS: '', ANIME_DUB_STATE_DIR: state, ANIME_DUB_SERVER_PORT: String(port), ANIME_DUB_UI_PORT: String(uiPort) };
    const serverJson = path.join(state, 'server.json');
    const first = await anime(['server', 'start', '--ui'], env);
    const recorded = existsSync(serverJson) ? JSON.parse(await readFile(serverJson, 'utf8')) as { pid: number; startTime: string; ui: { upstreamHost: string; upstreamPort: number; frontPid: number } } : undefined;
    if (recorded) {
      started.add(recorded.pid);
      if (recorded.ui?.frontPid) started.add(recorded.ui.frontPid);
    }
    try {
      expect(first.stderr).toBe('');
      expect(first.stdout).toBe(`Temporal started at 127.0.0.1:${port}; UI http://127.0.0.1:${uiPort}`);
      expect(first.exitCode).toBe(0);
      const { pid, ui } = recorded!;
      // The UI itself is elsewhere (a random loopback address and port); the front is node running our uiFront.js.
      expect(ui.upstreamPort).not.toBe(uiPort);
      expect(ui.upstreamHost).toMatch(/^127\.\d+\.\d+\.\d+$/);
      expect((await cmdline(ui.frontPid)).slice(0, 2)).toEqual([process.execPath, UI_FRONT_ENTRY]);
      expect(await ownsLoopbackListener(ui.frontPid, uiPort)).toEqual({ ok: true });
      expect(await ownsLoopbackListener(pid, port)).toEqual({ ok: true });

      // Exact loopback names with our port: the UI, with its CSRF cookie.
      for (const host of [`127.0.0.1:${uiPort}`, `localhost:${uiPort}`, `[::1]:${uiPort}`]) {
        const a = await request(uiPort, { Host: host });
        expect([host, a.status]).toEqual([host, 200]);
        expect(a.body).toMatch(/<html/i);
      }
      const ours = await request(uiPort, { Host: `127.0.0.1:${uiPort}` });
      expect(String(ours.headers['set-cookie'])).toMatch(/_csrf=/);
      // Same-origin API call with its own Origin goes through.
      const api = await request(uiPort, { Host: `localhost:${uiPort}`, Origin: `http://localhost:${uiPort}` }, 'GET', '/api/v1/namespaces');
      expect(api.status).toBe(200);

      // Rebinding names: refused, nothing of the UI (no cookie, no token, no page).
      for (const host of [`attacker.example:${uiPort}`, '127.0.0.1.attacker.example', `127.0.0.1.attacker.example:${uiPort}`, `localhost.attacker.example:${uiPort}`,
        `127.0.0.1:${uiPort + 1}`, '127.0.0.1', `127.1.2.3:${uiPort}`]) {
        const a = await request(uiPort, { Host: host });
        expect([host, a.status]).toEqual([host, 421]);
        expect(a.headers['set-cookie']).toBeUndefined();
        expect(a.body).not.toMatch(/csrf|<html/i);
      }
      // A foreign Origin is refused even with a good Host (POST, and a cross-site GET).
      for (const method of ['POST', 'GET']) {
        const a = await request(uiPort, { Host: `127.0.0.1:${uiPort}`, Origin: 'http://attacker.example', 'Content-Type': 'application/json' }, method, '/api/v1/namespaces/default/workflows/evil');
        expect([method, a.status]).toEqual([method, 403]);
        expect(a.headers['set-cookie']).toBeUndefined();
      }
      // Upgrades are checked too, and a request without any Host (HTTP/1.0) is refused.
      const ws = 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';
      expect(await raw(uiPort, `GET / HTTP/1.1\r\nHost: attacker.example:${uiPort}\r\n${ws}`)).toMatch(/^HTTP\/1\.1 421 /);
      expect(await raw(uiPort, 'GET / HTTP/1.0\r\n\r\n')).toMatch(/^HTTP\/1\.[01] 421 (?:(?!_csrf)[\s\S])*$/);

      // 4: a server.json whose start time is not the process's (a recycled pid) is refused; restored, it is ours again.
      const text = await readFile(serverJson, 'utf8');
      await writeFile(serverJson, text.replace(/"startTime": "\d+"/, '"startTime": "1"'));
      const recycled = await anime(['server', 'start', '--ui'], env);
      expect(recycled.exitCode).toBe(1);
      expect(recycled.stderr).toMatch(new RegExp(`127\\.0\\.0\\.1:${port} is answered by a process anime-dub did not start \\(process ${pid} is not the server recorded \\(it started at another time`));
      await writeFile(serverJson, text);
      const again = await anime(['server', 'start', '--ui'], env);
      expect([again.exitCode, again.stdout]).toEqual([0, `Temporal already running at 127.0.0.1:${port}; UI http://127.0.0.1:${uiPort}`]);

      // `server stop` with another port than the server was started on: refused, and told which port to use.
      const otherPort = await anime(['server', 'stop'], { ...env, ANIME_DUB_SERVER_PORT: String(await freePort()) });
      expect(otherPort.exitCode).toBe(1);
      expect(otherPort.stderr).toContain(`process ${pid} is this state dir's dev server on port ${port}, but this command is set to port`);
      expect(otherPort.stderr).toContain(`run it with ANIME_DUB_SERVER_PORT=${port}`);
      expect(await gone(pid)()).toBe(false);

      // `server stop` stops the server and the verified front.
      const stopped = await anime(['server', 'stop'], env);
      expect([stopped.exitCode, stopped.stdout]).toEqual([0, `stopped (pid ${pid}; the UI front (pid ${ui.frontPid}))`]);
      await waitFor('the server and the front to exit', async () => (await gone(pid)()) && (await gone(ui.frontPid)()), 30_000);
      expect(await portOpen(uiPort)).toBe(false);
      await waitFor('the server port to close', async () => !(await portOpen(port)), 15_000);
    } finally {
      if (recorded) { kill(recorded.pid); if (recorded.ui?.frontPid) kill(recorded.ui.frontPid); }
    }
  }, 120_000);

  it('10a: a planted worker.json ({"pid":1}, or a live process that is not our worker) does not stop `run --detach` from starting a real worker', async () => {
    const state = await tempDir('trust-worker');
    const workerJson = path.join(state, 'worker.json');
    // The worker polls queues no test uses, and is killed below.
    const settings = loadSettings({ ...process.env, ANIME_DUB_STATE_DIR: state });
    const saved = { ...process.env };
    Object.assign(process.env, { DUB_QUEUE_WORKFLOWS: 'trust-unused-workflows', DUB_QUEUE_CPU: 'trust-unused-cpu', DUB_QUEUE_GPU: 'trust-unused-gpu' });
    const bystander = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' });
    started.add(bystander.pid!);
    const workers: number[] = [];
    try {
      for (const planted of [{ pid: 1 }, { pid: bystander.pid, startTime: await processStartTime(bystander.pid!) }]) {
        await writeFile(workerJson, JSON.stringify(planted));
        const pid = await ensureBackgroundWorker(settings);
        started.add(pid);
        workers.push(pid);
        expect(pid).not.toBe(planted.pid);
        expect(await cmdline(pid)).toEqual([process.execPath, WORKER_ENTRY, '']);
        const record = JSON.parse(await readFile(workerJson, 'utf8')) as { pid: number; startTime: string };
        expect(record).toMatchObject({ pid, startTime: await processStartTime(pid) });
        // The real one, recorded, is reused.
        expect(await ensureBackgroundWorker(settings)).toBe(pid);
        kill(pid);
        await waitFor('the worker to exit', gone(pid), 10_000);
      }
      expect(() => process.kill(bystander.pid!, 0)).not.toThrow(); // never signalled
    } finally {
      for (const key of ['DUB_QUEUE_WORKFLOWS', 'DUB_QUEUE_CPU', 'DUB_QUEUE_GPU']) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
      for (const pid of workers) kill(pid);
      kill(bystander.pid!);
    }
  }, 60_000);

  it('10b: the default artifact cache is per user and private (XDG_CACHE_HOME or ~/.cache), and a planted link or foreign folder is refused', async () => {
    const xdg = await tempDir('trust-cache');
    const dir = await defaultArtifactCacheDir({ XDG_CACHE_HOME: xdg, HOME: '/nonexistent' });
    expect(dir).toBe(path.join(xdg, 'anime-dub', 'artifacts'));
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(path.dirname(dir))).mode & 0o777).toBe(0o700);
    const home = await tempDir('trust-home');
    expect(await defaultArtifactCacheDir({ HOME: home })).toBe(path.join(home, '.cache', 'anime-dub', 'artifacts'));

    // A link planted where the cache goes (the old default was a fixed name in the shared temp folder).
    const elsewhere = await tempDir('trust-elsewhere');
    const linked = await tempDir('trust-cache-link');
    await symlink(elsewhere, path.join(linked, 'anime-dub'));
    await expect(defaultArtifactCacheDir({ XDG_CACHE_HOME: linked })).rejects.toThrow(`the artifact cache ${path.join(linked, 'anime-dub')} is a symbolic link`);
    expect(existsSync(path.join(elsewhere, 'artifacts'))).toBe(false); // nothing made through the link
    const linked2 = await tempDir('trust-cache-link2');
    await mkdir(path.join(linked2, 'anime-dub'), { mode: 0o700 });
    await symlink(elsewhere, path.join(linked2, 'anime-dub', 'artifacts'));
    await expect(defaultArtifactCacheDir({ XDG_CACHE_HOME: linked2 })).rejects.toThrow('is a symbolic link');

    // A folder another user made first (only checkable when we may chown).
    if (process.getuid?.() === 0) {
      const foreign = await tempDir('trust-cache-foreign');
      await mkdir(path.join(foreign, 'anime-dub', 'artifacts'), { recursive: true });
      await chown(path.join(foreign, 'anime-dub', 'artifacts'), 65534, 65534);
      await expect(defaultArtifactCacheDir({ XDG_CACHE_HOME: foreign })).rejects.toThrow('belongs to another user (uid 65534)');
    }
  });
});
