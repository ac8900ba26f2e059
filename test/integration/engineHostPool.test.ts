// The warm engine host pool, with the real engine Python: which host answers which model. A model that already
// computes on every core (Kokoro) is kept in one host, so two concurrent requests for it never load a second copy;
// other models spread over the pool as before.
import { afterEach, describe, expect, it } from '@jest/globals';
import os from 'node:os';
import { DEFAULT_ENGINE_PYTHON, EngineHostPool } from '../../engines/engineHost.js';

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
});
