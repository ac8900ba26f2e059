// A job folder mirrored through the s3 artifact store, so workers on hosts with separate disks run one job
// (docs/DEPLOY.md). Activities stay unchanged: they read and write <output root>/<job>/ as on one disk; around
// each activity the worker pulls the folder from the store and afterwards pushes what the activity changed.
//
// In the store (prefix P, e.g. anime-dub/):
//   P sha256/<2>/<sha256><ext>        file contents, content-addressed: uploaded once, whoever made them
//   P inputs/sha256/<sha256><ext>     the client's input files (the only keys a job may name)
//   P jobs/<folder>/<relative path>   one small index object per file: {"sha256","bytes","key"}
// One index object per file (not one manifest per job), so parallel activities never read-modify-write a shared
// object; a file gone after an activity has its index object deleted (so a released .lock is released everywhere).
//
// Paths travel between hosts in one canonical form: `s3://<bucket>/<P>jobs` stands for the output root, so a path
// an activity returns (PreparedJob.job.root, outputs) names the same file on every host, and is exactly where its
// index object lives. The worker maps it to its own root before an activity and back after it.
//
// Locks live in the store itself, not as mirrored files: P jobs/<folder>/.lock and P jobs/[<sub>/]series/<name>/.cast.lock
// hold the lock's JSON and change only by conditional writes (created with If-None-Match: *, taken over with If-Match
// on the ETag read), so two hosts never both hold one (lockSlot). A series folder is mirrored like a job folder, by
// the activity that holds its cast lock (seriesStore).
import { copyFile, link, lstat, mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { rememberHash, sha256Known, S3Store, type ArtifactRef } from './artifactStore.js';
import { deleteObject, getText, listObjects, putText, putTextIf } from './s3Client.js';
import type { LockSlot } from './jobFolder.js';
import type { SeriesStore } from './seriesCast.js';

/** Host-local files never mirrored: temp names (a writer's half-made file) and the engine process registry. */
export function hostLocal(rel: string): boolean {
  const parts = rel.split('/');
  if (parts[0] === 'tmp' && parts[1] === 'processes') return true;
  const base = parts[parts.length - 1];
  return /\.part(\.|$)/.test(base) || /^\.lock\.\d+\./.test(base);
}

/** Lock files: kept in the store by conditional writes (lockSlot), never pushed or pulled as files. */
export const STORE_LOCKS = new Set(['.lock', '.cast.lock']);

export function storeOwned(rel: string): boolean {
  return STORE_LOCKS.has(rel);
}

interface IndexEntry { sha256: string; bytes: number; key: string }

/** What a folder held when an activity started: local files (to notice deletions) and the store's index. */
export interface FolderView {
  dir: string;
  local: Set<string>;
  remote: Map<string, string>;
}

async function walk(dir: string, rel = ''): Promise<string[]> {
  const entries = await readdir(path.join(dir, rel), { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const e of entries) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await walk(dir, r)));
    else if (e.isFile() && !hostLocal(r) && !storeOwned(r)) out.push(r);
  }
  return out;
}

/**
 * Smaller files are copied out of the cache, larger ones hard-linked. Small files (stamps, JSON, logs) are the ones
 * written in place; a hard link would let such a write reach the cache and every other file of the same content.
 * Media is always written to a temp name and renamed (a new inode), so linking it is safe and saves the space.
 */
export const LINK_MIN_BYTES = 1 << 20;

export async function placeFrom(cached: string, dest: string, bytes: number): Promise<void> {
  const tmp = `${dest}.${process.pid}.${Math.random().toString(36).slice(2, 8)}.part`;
  if (bytes < LINK_MIN_BYTES) await copyFile(cached, tmp);
  else await link(cached, tmp).catch(() => copyFile(cached, tmp)); // a copy where they are on different filesystems
  await rename(tmp, dest);
}

export class JobFolderMirror {
  /** The output root as every host names it. */
  readonly canonicalRoot: string;
  /** Index objects already read, by key and ETag: a pull reads only the entries that changed. */
  private entries = new Map<string, { etag: string; entry: IndexEntry }>();
  /** What each folder's index held at this host's last pull (an entry gone since = the file deleted elsewhere). */
  private lastIndex = new Map<string, Set<string>>();

  constructor(readonly store: S3Store, readonly localRoot: string) {
    this.canonicalRoot = `s3://${store.location.bucket}/${store.prefix}jobs`;
    this.localRoot = path.resolve(localRoot);
  }

  /** Canonical paths inside a value made this host's (before an activity). */
  toLocal<T>(value: T): T {
    return mapStrings(value, this.canonicalRoot, this.localRoot);
  }

  /** This host's paths inside a value made canonical (an activity's result). */
  toCanonical<T>(value: T): T {
    return mapStrings(value, this.localRoot, this.canonicalRoot);
  }

  private folderKey(dir: string): string {
    const rel = path.relative(this.localRoot, path.resolve(dir));
    if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) throw new Error(`${dir} is not a folder inside the output root ${this.localRoot}`);
    return `${this.store.prefix}jobs/${rel.split(path.sep).join('/')}/`;
  }

  /**
   * A file published into a folder only if the store has no index object at that name yet (If-None-Match: *), and
   * then placed here too; false when another host's file was there first (a pull brings that one).
   */
  async placeOnce(dir: string, src: string, rel: string): Promise<boolean> {
    if (!rel || hostLocal(rel) || storeOwned(rel) || rel.split('/').some((p) => p === '..' || p === '.' || p === '')) throw new Error(`${rel} cannot be published`);
    const known = await sha256Known(src);
    const ref = await this.store.put(src, known);
    const entry: IndexEntry = { sha256: known.sha256, bytes: known.bytes, key: ref.key };
    if ((await putTextIf(this.store.location, this.folderKey(dir) + rel, JSON.stringify(entry), { ifNoneMatch: '*' })) === undefined) return false;
    const local = path.join(dir, ...rel.split('/'));
    await mkdir(path.dirname(local), { recursive: true });
    await placeFrom(await this.store.get(entry), local, entry.bytes);
    await rememberHash(local, entry.sha256);
    this.synced.set(local, entry.sha256);
    return true;
  }

  /** The lock object `name` of a folder in the store (undefined for a folder outside this host's output root). */
  lockSlot(dir: string, name: string): LockSlot | undefined {
    let key: string;
    try {
      key = this.folderKey(dir) + name;
    } catch {
      return undefined;
    }
    const loc = this.store.location;
    return {
      where: `s3://${loc.bucket}/${key}`,
      create: async (text) => (await putTextIf(loc, key, text, { ifNoneMatch: '*' })) !== undefined,
      read: () => getText(loc, key).then((got) => got && { text: got.text, tag: got.etag, ...(got.modified ? { modified: got.modified } : {}) }),
      replace: async (text, tag) => (await putTextIf(loc, key, text, { ifMatch: tag })) !== undefined,
      remove: (tag) => deleteObject(loc, key, tag),
    };
  }

  /** A series folder mirrored through the store, its cast lock there (undefined for a folder outside the output root). */
  seriesStore(dir: string): SeriesStore | undefined {
    const lock = this.lockSlot(dir, '.cast.lock');
    if (!lock) return undefined;
    return {
      lock,
      pull: async () => {
        const view = await this.pull(dir);
        return async () => { await this.push(view); };
      },
      placeOnce: (src, rel) => this.placeOnce(dir, src, rel),
    };
  }

  /** What each file held when this host last pulled or pushed it: a file changed since is a local activity's. */
  private synced = new Map<string, string>();
  /** Pulls and pushes of one folder on this host run one at a time (parallel activities of one job). */
  private queues = new Map<string, Promise<unknown>>();

  private serial<T>(dir: string, work: () => Promise<T>): Promise<T> {
    const before = this.queues.get(dir) ?? Promise.resolve();
    const mine = before.then(work, work);
    const tail = mine.catch(() => undefined);
    this.queues.set(dir, tail);
    tail.then(() => { if (this.queues.get(dir) === tail) this.queues.delete(dir); });
    return mine;
  }

  /** Brings the folder up to the store's index: missing or changed files placed from this host's cache. */
  pull(dir: string): Promise<FolderView> {
    return this.serial(dir, () => this.pullNow(dir));
  }

  private async pullNow(dir: string): Promise<FolderView> {
    const prefix = this.folderKey(dir);
    const listed = await listObjects(this.store.location, prefix);
    const remote = new Map<string, string>();
    await inBatches(listed, 16, async ({ key, etag }) => {
      const rel = key.slice(prefix.length);
      if (!rel || hostLocal(rel) || storeOwned(rel) || rel.split('/').some((p) => p === '..' || p === '.' || p === '')) return;
      const entry = await this.entryOf(key, etag);
      if (!entry) return;
      remote.set(rel, entry.sha256);
      const local = path.join(dir, ...rel.split('/'));
      const have = await sha256Known(local).catch(() => undefined);
      if (have?.sha256 === entry.sha256) {
        this.synced.set(local, entry.sha256);
        return;
      }
      // Changed here since this host last synced it: an activity running here now made it, and will push it.
      if (have && this.synced.has(local) && this.synced.get(local) !== have.sha256) return;
      const cached = await this.store.get(entry);
      await mkdir(path.dirname(local), { recursive: true });
      await placeFrom(cached, local, entry.bytes);
      await rememberHash(local, entry.sha256);
      this.synced.set(local, entry.sha256);
    });
    // Deleted on another host since this host last looked: deleted here too, unless changed here since.
    for (const rel of this.lastIndex.get(prefix) ?? []) {
      if (remote.has(rel)) continue;
      const local = path.join(dir, ...rel.split('/'));
      const have = await sha256Known(local).catch(() => undefined);
      if (have && have.sha256 === this.synced.get(local)) await rm(local, { force: true });
      this.synced.delete(local);
    }
    this.lastIndex.set(prefix, new Set(remote.keys()));
    return { dir, local: new Set(await walk(dir)), remote };
  }

  private async entryOf(key: string, etag: string): Promise<IndexEntry | undefined> {
    const seen = this.entries.get(key);
    if (seen && seen.etag === etag) return seen.entry;
    const got = await getText(this.store.location, key);
    if (!got) return undefined;
    const entry = JSON.parse(got.text) as IndexEntry;
    // Index objects are written by workers only; still, an entry pointing outside this store's prefix is ignored.
    if (typeof entry.key !== 'string' || !entry.key.startsWith(this.store.prefix) || !/^[0-9a-f]{64}$/.test(entry.sha256)) return undefined;
    this.entries.set(key, { etag: got.etag, entry });
    return entry;
  }

  /**
   * Publishes what an activity changed: new or changed files uploaded (content-addressed, once) and indexed,
   * files gone since `before` unindexed. `inputs` are the job's stored inputs: linked into the folder, they are
   * indexed under their inputs/ key instead of being uploaded a second time.
   */
  push(before: FolderView, inputs: ArtifactRef[] = []): Promise<{ uploaded: number; removed: number }> {
    return this.serial(before.dir, () => this.pushNow(before, inputs));
  }

  private async pushNow(before: FolderView, inputs: ArtifactRef[]): Promise<{ uploaded: number; removed: number }> {
    const prefix = this.folderKey(before.dir);
    const now = await walk(before.dir);
    let uploaded = 0;
    await inBatches(now, 8, async (rel) => {
      const file = path.join(before.dir, ...rel.split('/'));
      const st = await lstat(file).catch(() => undefined);
      if (!st?.isFile()) return;
      // Gone since the walk (a parallel activity here removed it): its own push says so.
      const known = await sha256Known(file).catch((e: NodeJS.ErrnoException) => { if (e.code === 'ENOENT') return undefined; throw e; });
      if (!known) return;
      const { sha256, bytes } = known;
      this.synced.set(file, sha256);
      if (before.remote.get(rel) === sha256) return;
      const input = inputs.find((i) => i.sha256 === sha256 && i.bytes === bytes);
      const ref = input ? { ...input, key: this.store.prefix + input.key } : await this.store.put(file, { sha256, bytes });
      await putText(this.store.location, prefix + rel, JSON.stringify({ sha256, bytes, key: ref.key } satisfies IndexEntry));
      before.remote.set(rel, sha256);
      uploaded++;
    });
    const present = new Set(now);
    let removed = 0;
    for (const rel of before.local) {
      if (present.has(rel)) continue;
      this.synced.delete(path.join(before.dir, ...rel.split('/')));
      await deleteObject(this.store.location, prefix + rel);
      before.remote.delete(rel);
      removed++;
    }
    const seen = this.lastIndex.get(prefix);
    if (seen) for (const rel of now) seen.add(rel);
    return { uploaded, removed };
  }
}

/** Every string equal to `from` or under `from/` rewritten to start with `to` (plain JSON values only). */
function mapStrings<T>(value: T, from: string, to: string): T {
  const map = (v: unknown): unknown => {
    if (typeof v === 'string') return v === from ? to : v.startsWith(`${from}/`) ? to + v.slice(from.length) : v;
    if (Array.isArray(v)) return v.map(map);
    if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, map(x)]));
    }
    return v;
  };
  return map(value) as T;
}

async function inBatches<T>(items: T[], width: number, each: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) await each(items[next++]);
  }));
}

let workerMirror: JobFolderMirror | undefined;

/** Set once by a worker using the s3 store: the activities that lock a folder or change a series' cast use it. */
export function useJobMirror(mirror: JobFolderMirror | undefined): void {
  workerMirror = mirror;
}

export function jobMirrorInUse(): JobFolderMirror | undefined {
  return workerMirror;
}
