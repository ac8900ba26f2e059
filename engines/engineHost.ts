// The client of the warm engine host (engines/host/engine_host.py): Python processes that keep Whisper and
// piper models loaded for the life of the worker, so a line costs its synthesis, not a model load.
// A small pool (one host per concurrent GPU-queue activity, started lazily); a host that dies is replaced on
// the next request; a cancelled request is abandoned at once (the host is told, and killed when it does not
// answer within CANCEL_GRACE_MS); heartbeats keep flowing while a request waits for a host and while it runs.
import { CancelledFailure } from '@temporalio/common';
import { execa, type ResultPromise } from 'execa';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { loadSettings } from '../config/load.js';
import { modelsDir } from './bundledModels.js';
import { activityContext, startHeartbeat } from './activityContext.js';
import { pythonCode } from './pythonCode.js';
import { ErrorType, failure } from '../lib/errors.js';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The host script lives beside the sources (it is not compiled). */
export const HOST_SCRIPT = path.join(PROJECT_ROOT, 'engines', 'host', 'engine_host.py');
/** The project-local Python that scripts/setup.sh fills with faster-whisper and piper. */
export const DEFAULT_ENGINE_PYTHON = path.join(PROJECT_ROOT, '.tools', 'venv', 'bin', 'python');

const CANCEL_GRACE_MS = 1_000;
const START_TIMEOUT_MS = 60_000;

export type EngineDevice = 'auto' | 'cpu' | 'cuda';

export interface HostConfig {
  python: string;
  /** How many hosts may run at once (each holds its own copy of the models it was asked for). */
  hosts: number;
  /** CPU threads per model; absent = every core. */
  threads?: number;
}

type Reply = { id: number; ok: boolean; result?: unknown; kind?: string; error?: string; progress?: number; wallMs?: number };

interface Pending {
  resolve(r: Reply): void;
  onProgress?(seconds: number): void;
}

/** One Python process and the requests it is answering. */
class Host {
  readonly child: ResultPromise;
  private readonly pending = new Map<number, Pending>();
  private stderrTail = '';
  readonly loaded = new Set<string>();
  busy = false;
  dead = false;
  readonly ready: Promise<void>;

  constructor(config: HostConfig, private readonly onExit: (h: Host) => void) {
    // No shell; stdin is the only way in, so when the worker dies the host reads EOF and exits.
    this.child = execa(config.python, ['-u', HOST_SCRIPT], { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', buffer: false, reject: false, env: {
      PYTHONUNBUFFERED: '1', HF_HUB_OFFLINE: process.env.HF_HUB_OFFLINE ?? '',
      ANIME_DUB_ENGINE_THREADS: config.threads ? String(config.threads) : '',
      // Only the worker's own models get an optimized copy kept (engines/host/onnx_options.py): a job may name a
      // piper voice anywhere, and must not make the worker write copies of files it chose.
      ANIME_DUB_MODELS_DIR: modelsDir(),
    } });
    this.child.stderr?.on('data', (d: Buffer) => { this.stderrTail = (this.stderrTail + d.toString()).slice(-4000); });
    let ready!: () => void;
    let notReady!: (e: Error) => void;
    this.ready = new Promise((res, rej) => { ready = res; notReady = rej; });
    const timer = setTimeout(() => notReady(new Error(`the engine host did not start in ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      let msg: Reply & { ready?: boolean };
      try { msg = JSON.parse(line); } catch { return; }
      if (msg.ready) { clearTimeout(timer); ready(); return; }
      const p = this.pending.get(msg.id);
      if (!p) return;
      if (msg.progress !== undefined && msg.ok === undefined) { p.onProgress?.(msg.progress); return; }
      this.pending.delete(msg.id);
      p.resolve(msg);
    });
    this.child.then((r) => {
      clearTimeout(timer);
      this.dead = true;
      const why = `the engine host exited (${r.signal ?? `code ${r.exitCode}`}): ${this.tail()}`;
      notReady(new Error(why));
      for (const [, p] of this.pending) p.resolve({ id: -1, ok: false, kind: 'died', error: why });
      this.pending.clear();
      this.onExit(this);
    });
    this.ready.catch(() => undefined);
  }

  tail(): string {
    return this.stderrTail.trim().split('\n').slice(-8).join('\n') || '(no stderr)';
  }

  send(message: object): void {
    if (!this.dead) this.child.stdin?.write(JSON.stringify(message) + '\n');
  }

  ask(id: number, message: object, onProgress?: (s: number) => void): Promise<Reply> {
    return new Promise((resolve) => {
      this.pending.set(id, { resolve, onProgress });
      this.send({ ...message, id });
    });
  }

  /** Forget a request: its answer (if one ever comes) goes nowhere. */
  drop(id: number): void {
    this.pending.delete(id);
  }

  /** Never handed out again from here on: the kill takes a moment to land, and a request sent meanwhile would die with it. */
  kill(): void {
    if (this.dead) return;
    this.dead = true;
    this.child.kill('SIGKILL');
  }
}

let nextId = 1;

export interface RequestOptions {
  /** Which model the request loads: a host that already holds it answers first. */
  modelKey: string;
  /** For errors and progress: what is running ("Kokoro (jf_alpha)"). */
  what: string;
  /**
   * Keep one copy of this model per worker: for a model that already computes on every core, a second copy in
   * another host only adds its memory (Kokoro: ~250 MB) and splits the same cores.
   */
  oneCopy?: boolean;
  onProgress?: (s: number) => void;
  signal?: AbortSignal;
}

export class EngineHostPool {
  private readonly hosts: Host[] = [];
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly config: HostConfig) {}

  /**
   * Idle host that already holds `modelKey` first, then any idle one, then a new one, else wait. A `oneCopy`
   * model waits for the host that holds (or is loading) it instead of loading into a second host.
   */
  private async acquire(modelKey: string, oneCopy = false, signal?: AbortSignal): Promise<Host> {
    for (;;) {
      if (signal?.aborted) throw new CancelledFailure('cancelled while waiting for an engine host');
      const holder = oneCopy ? this.hosts.find((h) => !h.dead && h.loaded.has(modelKey)) : undefined;
      if (holder && !holder.busy) { holder.busy = true; return holder; }
      if (holder) { await this.wait(signal); continue; }
      const idle = this.hosts.filter((h) => !h.busy && !h.dead);
      const pick = idle.find((h) => h.loaded.has(modelKey)) ?? (this.hosts.length < this.config.hosts ? undefined : idle[0]);
      if (pick) { pick.busy = true; if (oneCopy) pick.loaded.add(modelKey); return pick; }
      if (this.hosts.length < this.config.hosts) {
        if (!existsSync(this.config.python)) {
          throw failure(ErrorType.EngineMissing, `the engine Python ${this.config.python} is not there; run scripts/setup.sh (it installs faster-whisper and piper into .tools/venv)`);
        }
        const host = new Host(this.config, (h) => this.forget(h));
        host.busy = true;
        if (oneCopy) host.loaded.add(modelKey);
        this.hosts.push(host);
        try {
          await host.ready;
        } catch (e) {
          host.kill();
          this.forget(host);
          throw failure(ErrorType.EngineMissing, `the engine host could not start (${this.config.python} ${HOST_SCRIPT}): ${(e as Error).message}`);
        }
        return host;
      }
      await this.wait(signal);
    }
  }

  /** Until a host is released or forgotten, or the request is cancelled (the loop above then gives up). */
  private wait(signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = () => { signal?.removeEventListener('abort', wake); resolve(); };
      this.waiting.push(wake);
      signal?.addEventListener('abort', wake);
    });
  }

  private release(host: Host): void {
    host.busy = false;
    // Every waiter looks again: the one waiting for this host's model, or any host, may go now.
    for (const wake of this.waiting.splice(0)) wake();
  }

  private forget(host: Host): void {
    const i = this.hosts.indexOf(host);
    if (i >= 0) this.hosts.splice(i, 1);
    for (const wake of this.waiting.splice(0)) wake();
  }

  /**
   * One request, answered by a warm host. Inside an activity: heartbeats while it runs, and the activity's
   * cancellation abandons it (CancelledFailure) within CANCEL_GRACE_MS. A host that dies mid-request is an
   * EngineFailed (retryable: the retry gets a fresh host).
   */
  async request<T>(op: string, params: Record<string, unknown>, opts: RequestOptions): Promise<T> {
    const ctx = activityContext();
    const signal = opts.signal ?? ctx?.cancellationSignal;
    if (signal?.aborted) throw new CancelledFailure(`${opts.what} was cancelled`);
    // From before the wait for a host: with one host (ENGINE_HOSTS=1) a request can queue behind a minutes-long
    // transcription, and an activity silent that long is taken for dead and retried.
    const stopBeat = startHeartbeat(ctx);
    let host: Host;
    try {
      host = await this.acquire(opts.modelKey, opts.oneCopy, signal);
    } catch (e) {
      stopBeat();
      throw signal?.aborted ? new CancelledFailure(`${opts.what} was cancelled`) : e;
    }
    if (signal?.aborted) { // while a new host was starting: nothing asked of it yet
      stopBeat();
      this.release(host);
      throw new CancelledFailure(`${opts.what} was cancelled`);
    }
    const id = nextId++;
    let onAbort: (() => void) | undefined;
    const cancelled = new Promise<Reply>((resolve) => {
      onAbort = () => {
        host.send({ op: 'cancel', target: id });
        // The host stops at its next step; one that does not answer in time is killed (a new one starts later).
        const t = setTimeout(() => { host.drop(id); host.kill(); resolve({ id, ok: false, kind: 'cancelled', error: 'abandoned' }); }, CANCEL_GRACE_MS);
        host.ask(-id, { op: 'ping' }).then(() => clearTimeout(t));
      };
      signal?.addEventListener('abort', onAbort);
    });
    try {
      const reply = await Promise.race([host.ask(id, { op, ...params }, opts.onProgress), cancelled]);
      if (reply.ok) {
        host.loaded.add(opts.modelKey);
        return reply.result as T;
      }
      if (reply.kind === 'missing') host.loaded.delete(opts.modelKey);
      if (reply.kind === 'cancelled' || signal?.aborted) throw new CancelledFailure(`${opts.what} was cancelled`);
      if (reply.kind === 'missing') throw failure(ErrorType.EngineMissing, `${opts.what}: ${reply.error}; run scripts/setup.sh`);
      if (reply.kind === 'died') throw failure(ErrorType.EngineFailed, `${opts.what}: ${reply.error}`);
      throw failure(ErrorType.EngineFailed, `${opts.what} failed: ${reply.error}\n${host.tail()}`);
    } finally {
      stopBeat();
      if (onAbort) signal?.removeEventListener('abort', onAbort);
      this.release(host);
    }
  }

  /** Pids of the running hosts (tests kill one to prove a job survives it). */
  pids(): number[] {
    return this.hosts.filter((h) => !h.dead).map((h) => h.child.pid!).filter(Boolean);
  }

  async close(): Promise<void> {
    for (const h of [...this.hosts]) {
      h.child.stdin?.end();
      const t = setTimeout(() => h.kill(), 3_000);
      await h.child.then(() => clearTimeout(t));
    }
  }
}

/** The worker's engine settings (trusted: never from a job). */
export function engineSettings(): HostConfig & { device: EngineDevice } {
  const s = loadSettings();
  return { python: s.engines.python ?? DEFAULT_ENGINE_PYTHON, device: s.engines.device, hosts: s.engines.hosts ?? s.concurrency.gpu, threads: s.engines.threads };
}

let pool: EngineHostPool | undefined;

/** This process's pool, made on first use from the worker's settings. */
export function hostPool(): EngineHostPool {
  pool ??= new EngineHostPool(engineSettings());
  return pool;
}

/** Ends this process's hosts (a worker shutting down). */
export async function closeEngineHosts(): Promise<void> {
  const p = pool;
  pool = undefined;
  await p?.close();
}

export interface HostEngines {
  ok: boolean;
  versions?: { fasterWhisper: string; piper: string };
  why?: string;
}

/**
 * Are faster-whisper and piper installed in the engine Python? Asked once per process and Python. It looks for
 * the packages without importing them (0.05 CPU-s against 0.3 for the imports, once per worker and CLI run); one
 * that is there but does not import fails its first request as EngineMissing (the host's "missing").
 */
const available = new Map<string, Promise<HostEngines>>();
export function hostEnginesAvailable(probe: (argv: string[]) => Promise<string>): Promise<HostEngines> {
  const { python } = engineSettings();
  const known = available.get(python);
  if (known) return known;
  const answer = (async (): Promise<HostEngines> => {
    if (!existsSync(python)) return { ok: false, why: `the engine Python ${python} is not there` };
    try {
      const out = await probe([python, '-c', pythonCode([
        'import importlib.metadata as m, importlib.util as u',
        'missing = [n for n in ("faster_whisper", "piper") if u.find_spec(n) is None]',
        'if missing: raise SystemExit("No module named " + ", ".join(missing))',
        'print(m.version("faster-whisper"), m.version("piper-tts"))',
      ].join('\n'))]);
      const [fasterWhisper, piper] = out.trim().split(/\s+/);
      return { ok: true, versions: { fasterWhisper, piper } };
    } catch (e) {
      return { ok: false, why: `faster-whisper and piper are not installed in ${python}: ${(e as Error).message.trim().split('\n').slice(-1)[0]}` };
    }
  })();
  available.set(python, answer);
  return answer;
}
