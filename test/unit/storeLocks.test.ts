// The folder lock and the series cast lock when they are kept in a store shared by hosts (the s3 store), against an
// in-memory store with the same conditional-write rules as S3 (If-None-Match: * creates, If-Match replaces one
// version): the rules, without a server. The real MinIO: test/integration/storeLocks.test.ts.
import { describe, expect, it } from '@jest/globals';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { lockFolder, lockHolder, unlockFolder, type LockSlot } from '../../storage/jobFolder.js';
import { storeOwned } from '../../storage/jobMirror.js';
import { withCastLock, type SeriesStore } from '../../storage/seriesCast.js';

/** One object with an ETag that changes on every write; conditional writes are atomic (one await = one request). */
function memorySlot(): LockSlot & { object?: { text: string; tag: string; modified: Date }; writes: number } {
  let n = 0;
  const slot = {
    where: 'memory://lock',
    writes: 0,
    object: undefined as { text: string; tag: string; modified: Date } | undefined,
    async create(text: string) {
      await Promise.resolve();
      if (slot.object) return false;
      slot.object = { text, tag: `"${++n}"`, modified: new Date() };
      slot.writes++;
      return true;
    },
    async read() {
      await Promise.resolve();
      return slot.object && { ...slot.object };
    },
    async replace(text: string, tag: string) {
      await Promise.resolve();
      if (slot.object?.tag !== tag) return false;
      slot.object = { text, tag: `"${++n}"`, modified: new Date() };
      slot.writes++;
      return true;
    },
    async remove() {
      await Promise.resolve();
      slot.object = undefined;
    },
  };
  return slot;
}

const outcome = (p: Promise<unknown>) => p.then(() => 'took it', (e: Error) => (/being written by job/.test(e.message) ? 'FolderBusy' : e.message));

describe('the folder lock kept in a store', () => {
  it('of two jobs starting at the same moment exactly one gets it; the other is told who holds it', async () => {
    const slot = memorySlot();
    const isRunning = async () => true;
    const got = await Promise.all([outcome(lockFolder('/out/ep.es', 'job-a', isRunning, slot)), outcome(lockFolder('/out/ep.es', 'job-b', isRunning, slot))]);
    expect(got.sort()).toEqual(['FolderBusy', 'took it']);
    expect(slot.writes).toBe(1);
  });

  it('the same job re-enters; a running holder refuses; a finished one is taken over; only the holder releases it', async () => {
    const slot = memorySlot();
    const running = new Set(['job-a']);
    const isRunning = async (id: string) => running.has(id);
    await lockFolder('/out/ep.es', 'job-a', isRunning, slot);
    await lockFolder('/out/ep.es', 'job-a', isRunning, slot);
    await expect(lockFolder('/out/ep.es', 'job-b', isRunning, slot)).rejects.toThrow(/being written by job job-a/);
    running.delete('job-a');
    await lockFolder('/out/ep.es', 'job-b', isRunning, slot);
    expect((await lockHolder('/out/ep.es', slot))?.workflowId).toBe('job-b');
    await unlockFolder('/out/ep.es', 'job-a', slot); // not its lock any more: left alone
    expect((await lockHolder('/out/ep.es', slot))?.workflowId).toBe('job-b');
    await unlockFolder('/out/ep.es', 'job-b', slot);
    expect(slot.object).toBeUndefined();
  });

  it('of two jobs taking over one stale lock at once exactly one gets it (the other finds the new holder running)', async () => {
    const slot = memorySlot();
    await lockFolder('/out/ep.es', 'job-old', async () => true, slot);
    const running = new Set(['job-b', 'job-c']);
    const isRunning = async (id: string) => running.has(id);
    const got = await Promise.all([outcome(lockFolder('/out/ep.es', 'job-b', isRunning, slot)), outcome(lockFolder('/out/ep.es', 'job-c', isRunning, slot))]);
    expect(got.sort()).toEqual(['FolderBusy', 'took it']);
    expect(['job-b', 'job-c']).toContain((await lockHolder('/out/ep.es', slot))?.workflowId);
  });

  it('never touches the local disk: the lock is only the store\'s', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'store-lock-'));
    const slot = memorySlot();
    await lockFolder(dir, 'job-a', async () => true, slot);
    expect(await lockHolder(dir)).toBeUndefined();
    expect((await lockHolder(dir, slot))?.workflowId).toBe('job-a');
  });
});

describe('the series cast lock kept in a store', () => {
  function memorySeries(log: string[]): SeriesStore & { slot: ReturnType<typeof memorySlot> } {
    const slot = memorySlot();
    return {
      slot, lock: slot,
      pull: async () => { log.push('pull'); return async () => { log.push('push'); }; },
      placeOnce: async () => true,
    };
  }

  it('updates run one at a time, each between a pull and a push made while holding the lock', async () => {
    const log: string[] = [];
    const store = memorySeries(log);
    let inside = 0;
    let most = 0;
    const one = (owner: string) => withCastLock('/out/series/S', { owner, store }, async () => {
      most = Math.max(most, ++inside);
      log.push(`update ${owner}`);
      await new Promise((r) => setTimeout(r, 15));
      inside--;
      return owner;
    });
    expect(await Promise.all([one('a'), one('b'), one('c')])).toEqual(['a', 'b', 'c']);
    expect(most).toBe(1);
    expect(log.join(' ').replace(/update \w/g, 'update')).toBe('pull update push pull update push pull update push');
    expect(store.slot.object).toBeUndefined();
  });

  it('a lock older than staleMs by the store\'s clock is taken over; a fresh one is waited for until the timeout', async () => {
    const store = memorySeries([]);
    await store.lock.create(JSON.stringify({ owner: 'crashed-job', since: '2020-01-01T00:00:00Z', token: 'x' }));
    store.slot.object!.modified = new Date(Date.now() - 120_000);
    expect(await withCastLock('/out/series/S', { owner: 'next', store }, async () => 'ran')).toBe('ran');
    await store.lock.create(JSON.stringify({ owner: 'busy-job', host: 'hostB', since: new Date().toISOString(), token: 'y' }));
    await expect(withCastLock('/out/series/S', { owner: 'late', store, timeoutMs: 150 }, async () => 'ran')).rejects.toThrow(/stayed locked by busy-job .*on hostB/);
  });

  it('a failed update publishes nothing and still lets the lock go', async () => {
    const log: string[] = [];
    const store = memorySeries(log);
    await expect(withCastLock('/out/series/S', { owner: 'a', store }, async () => { throw new Error('engine broke'); })).rejects.toThrow('engine broke');
    expect(log).toEqual(['pull']);
    expect(store.slot.object).toBeUndefined();
  });
});

describe('the job folder mirror and locks', () => {
  it('never pushes or pulls a lock as a file (they are the store\'s own objects), but mirrors a series\' cast and clips', () => {
    for (const rel of ['.lock', '.cast.lock']) expect(storeOwned(rel)).toBe(true);
    for (const rel of ['cast.json', 'voices/Misaki.wav', '.input.json', 'tmp/.lock']) expect({ rel, owned: storeOwned(rel) }).toEqual({ rel, owned: false });
  });
});
