// The warm engine host pool, with the real engine Python: which host answers which model. A model that already
// computes on every core (Kokoro) is kept in one host, so two concurrent requests for it never load a second copy;
// other models spread over the pool as before.
import { asyncLocalStorage, Context } from '@temporalio/activity';
import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_ENGINE_PYTHON, EngineHostPool } from '../../engines/engineHost.js';
import { PROJECT_ROOT } from '../support/env.js';
import { tempDir } from '../support/jobs.js';

/** The pool's protocol with no model behind it: its `ping` answers after `sleep` seconds (a stand-in host). */
const STUB_HOST = path.join(PROJECT_ROOT, 'test', 'support', 'stubEngineHost.py');

/** An activity's context whose heartbeats land in `beats`, cancelled by `abort`. */
function activityWith(beats: number[], abort: AbortController): Context {
  const info = { activityId: 'a', activityType: 'dubLines', attempt: 1, isLocal: false } as unknown;
  return new (Context as unknown as new (...a: unknown[]) => Context)(info, new Promise(() => {}), abort.signal, () => beats.push(Date.now()), undefined, console, undefined);
}

describe('engine host pool', () => {
  let pool: EngineHostPool | undefined;
  afterEach(async () => { await pool?.close(); pool = undefined; });

  it('keeps a one-copy model in one host even when two requests for it arrive together', async () => {
    pool = new EngineHostPool({ python: DEFAULT_ENGINE_PYTHON, hosts: 2 });
    const p = pool;
    await Promise.all([1, 2, 3].map(() => p.request('ping', {}, { modelKey: 'kokoro:test', what: 'ping', oneCopy: true })));
    expect(p.pids()).toHaveLength(1);
    // Another model may still use the second host while the first is busy.
    await Promise.all([
      p.request('ping', {}, { modelKey: 'kokoro:test', what: 'ping', oneCopy: true }),
      p.request('ping', {}, { modelKey: 'piper:test', what: 'ping' }),
    ]);
    expect(p.pids()).toHaveLength(2);
  });

  it('spreads concurrent requests for an ordinary model over the pool', async () => {
    pool = new EngineHostPool({ python: DEFAULT_ENGINE_PYTHON, hosts: 2 });
    const p = pool;
    await Promise.all([1, 2].map(() => p.request('ping', {}, { modelKey: 'piper:test', what: 'ping' })));
    expect(p.pids()).toHaveLength(2);
  });

  it("hands the worker's ENGINE_THREADS to the models; unset, they use every core", async () => {
    pool = new EngineHostPool({ python: DEFAULT_ENGINE_PYTHON, hosts: 1, threads: 1 });
    expect((await pool.request<{ threads: number }>('ping', {}, { modelKey: 'piper:test', what: 'ping' })).threads).toBe(1);
    await pool.close();
    pool = new EngineHostPool({ python: DEFAULT_ENGINE_PYTHON, hosts: 1 });
    expect((await pool.request<{ threads: number }>('ping', {}, { modelKey: 'piper:test', what: 'ping' })).threads).toBe(os.cpus().length);
  });

  it('heartbeats while a request waits for the only host, and a cancelled wait gives up without it', async () => {
    pool = new EngineHostPool({ python: STUB_HOST, hosts: 1 });
    const p = pool;
    // A long transcription holds the host; Kokoro's line waits behind it inside an activity.
    let busyUntil = Infinity;
    const busy = p.request('ping', { sleep: 3.5 }, { modelKey: 'whisper:base', what: 'Whisper' }).then(() => { busyUntil = Date.now(); });
    const beats: number[] = [];
    const waiting = asyncLocalStorage.run(activityWith(beats, new AbortController()), () =>
      p.request('ping', {}, { modelKey: 'kokoro:af', what: 'Kokoro', oneCopy: true }));
    await busy;
    await waiting;
    expect(beats.filter((t) => t < busyUntil).length).toBeGreaterThanOrEqual(2);

    const abort = new AbortController();
    let freed = false;
    const busyAgain = p.request('ping', { sleep: 3 }, { modelKey: 'whisper:base', what: 'Whisper' }).then(() => { freed = true; });
    const cancelled = asyncLocalStorage.run(activityWith([], abort), () =>
      p.request('ping', {}, { modelKey: 'kokoro:af', what: 'Kokoro', oneCopy: true }));
    setTimeout(() => abort.abort(), 300);
    await expect(cancelled).rejects.toThrow('Kokoro was cancelled');
    expect(freed).toBe(false);
    await busyAgain;
    expect(p.pids()).toHaveLength(1);
  });

  it('answers the next request from a new host when a cancel had to kill the only one', async () => {
    pool = new EngineHostPool({ python: STUB_HOST, hosts: 1 });
    const p = pool;
    await p.request('ping', {}, { modelKey: 'whisper:base', what: 'Whisper' }); // the host is up
    const [killed] = p.pids();
    const abort = new AbortController();
    // The stand-in does not stop on a cancel, so after the grace second the pool kills it.
    const pending = p.request('ping', { sleep: 30 }, { modelKey: 'whisper:base', what: 'Whisper', signal: abort.signal });
    await new Promise((r) => setTimeout(r, 200));
    abort.abort();
    await expect(pending).rejects.toThrow('Whisper was cancelled');
    await expect(p.request('ping', {}, { modelKey: 'piper:test', what: 'piper' })).resolves.toEqual({ pong: true });
    expect(p.pids()).not.toContain(killed);
  });

  it('an engine that is installed but does not import fails as missing (not retried), with the import error', async () => {
    // A piper package that breaks on import, first on the host's path (the worker's own environment reaches it).
    const dir = await tempDir('broken-piper');
    await mkdir(path.join(dir, 'piper'), { recursive: true });
    await writeFile(path.join(dir, 'piper', '__init__.py'), 'raise ImportError("libespeak-ng.so.1: cannot open shared object file")\n');
    const before = process.env.PYTHONPATH;
    process.env.PYTHONPATH = dir;
    try {
      pool = new EngineHostPool({ python: DEFAULT_ENGINE_PYTHON, hosts: 1 });
      const err = await pool.request('synthesize', { text: 'hi', model: '/nowhere.onnx', out: path.join(dir, 'o.wav') }, { modelKey: 'piper:x', what: 'piper' }).catch((e: unknown) => e);
      expect(err).toMatchObject({ type: 'EngineMissing', nonRetryable: true });
      expect((err as Error).message).toContain('libespeak-ng.so.1');
    } finally {
      if (before === undefined) delete process.env.PYTHONPATH;
      else process.env.PYTHONPATH = before;
    }
  });
});

