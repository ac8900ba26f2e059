// A job folder mirrored through the s3 artifact store, so workers on hosts with separate disks run one job
// (docs/DEPLOY.md). Activities stay unchanged: they read and write <output root>/<job>/ as on one disk; around
// each activity the worker pulls the folder from the store and afterwards pushes what the activity changed.
//
// In the store (prefix P, e.g. anime-dub/):
//   P sha256/<2>/<sha256><ext>        file contents, content-addressed: uploaded once, whoever made them
//   P inputs/sha256/<sha256><ext>     the client's input files (the only keys a job may name)
//   P jobs/<folder>/<relative path>   one small index object per file: {"sha256","bytes","key"}
// One index object per file (not one manifest per job), so parallel activities never read-modify-write a shared
// object; a file gone after an activity has its index object deleted (so a deletion on one host reaches every host).
//
// Paths travel between hosts in one canonical form: `s3://<bucket>/<P>jobs` stands for the output root, so a path
// an activity returns (PreparedJob.job.root, outputs) names the same file on every host, and is exactly where its
// index object lives. The worker maps it to its own root before an activity and back after it.
//
// Locks live in the store itself, not as mirrored files: P jobs/<folder>/.lock and P jobs/[<sub>/]series/<name>/.cast.lock
// hold the lock's JSON and change only by conditional writes (created with If-None-Match: *, taken over with If-Match
// on the ETag read), so two hosts never both hold one (lockSlot). A series folder is mirrored like a job folder, by
// the activity that holds its cast lock (seriesStore).
import { createHash } from 'node:crypto';
import { isTempName, tempName } from '../engines/tempNames.js';
import { copyFile, link, lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LRUCache } from 'lru-cache';
import { ErrorType, failure } from '../lib/errors.js';
import { rememberHash, sha256Known, S3Store, type ArtifactRef } from './artifactStore.js';
import { deleteObject, getText, listObjects, putText, putTextIf } from './s3Client.js';
import type { LockSlot } from './jobFolder.js';
import type { SeriesStore } from './seriesCast.js';

/** Host-local files never mirrored: temp names (a writer's half-made file) and the engine process registry. */
export function hostLocal(rel: string): boolean {
  const parts = rel.split('/');
  if (parts[0] === 'tmp' && parts[1] === 'processes') return true;
  const base = parts[parts.length - 1];
  return isTempName(base); // storage/tempNames.ts: the one temp-name convention
}

/** Lock files: kept in the store by conditional writes (lockSlot), never pushed or pulled as files. */
export const STORE_LOCKS = new Set(['.lock', '.cast.lock']);

export function storeOwned(rel: string): boolean {
  return STORE_LOCKS.has(rel);
}

interface IndexEntry { sha256: string; bytes: number; key: string }

/** Which file a path is on this disk: a write in place changes size or mtime, a rename into place the inode. */
export interface FileIdentity { size: number; mtimeMs: number; ino: number }
const sameIdentity = (a: FileIdentity | undefined, b: FileIdentity | undefined) => !!a && !!b && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino;

/** What a folder held when an activity started: each local file's identity (to notice its changes) and the store's index. */
export interface FolderView {
  dir: string;
  local: Map<string, FileIdentity>;
  remote: Map<string, string>;
}

/** What this host last synced of one folder (pulled or pushed), per file: kept in a file under the cache dir. */
interface SyncState { folder: string; files: Record<string, FileIdentity & { sha256: string }> }

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

async function identityOf(file: string): Promise<FileIdentity | undefined> {
  const st = await lstat(file).catch(() => undefined);
  return st?.isFile() ? { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino } : undefined;
}

async function identities(dir: string): Promise<Map<string, FileIdentity>> {
  const out = new Map<string, FileIdentity>();
  for (const rel of await walk(dir)) {
    const id = await identityOf(path.join(dir, ...rel.split('/')));
    if (id) out.set(rel, id);
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
  const tmp = tempName(dest);
  if (bytes < LINK_MIN_BYTES) await copyFile(cached, tmp);
  else await link(cached, tmp).catch(() => copyFile(cached, tmp)); // a copy where they are on different filesystems
  await rename(tmp, dest);
}

/** Which pull a push may publish: all files changed since it, or only those under some relative paths. */
export interface PushOptions { inputs?: ArtifactRef[]; only?: (rel: string) => boolean }

export class JobFolderMirror {
  /** The output root as every host names it. */
  readonly canonicalRoot: string;
  /** Index objects already read, by key and ETag: a pull reads only the entries that changed. */
  private entries = new LRUCache<string, { etag: string; entry: IndexEntry }>({ max: 20_000 });
  /** Activities of each folder running in this process now (between their pull and their push or failure). */
  private active = new Map<string, number>();
  /** Where this host keeps each folder's sync state (it survives a worker restart). */
  private readonly stateDir: string;

  constructor(readonly store: S3Store, readonly localRoot: string) {
    this.canonicalRoot = `s3://${store.location.bucket}/${store.prefix}jobs`;
    this.localRoot = path.resolve(localRoot);
    this.stateDir = path.join(store.cacheDir, 'mirror');
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
    if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) throw failure(ErrorType.InvalidConfig, `${dir} is not a folder inside the output root ${this.localRoot}`);
    return `${this.store.prefix}jobs/${rel.split(path.sep).join('/')}/`;
  }

  private stateFile(prefix: string): string {
    const id = createHash('sha256').update(`${this.localRoot}\0${prefix}`).digest('hex').slice(0, 32);
    return path.join(this.stateDir, `${id}.json`);
  }

  private async readState(prefix: string): Promise<SyncState | undefined> {
    const text = await readFile(this.stateFile(prefix), 'utf8').catch(() => undefined);
    if (text === undefined) return undefined;
    try {
      const state = JSON.parse(text) as SyncState;
      return state && state.folder === prefix && typeof state.files === 'object' ? state : undefined;
    } catch {
      return undefined; // a state file cut short by a crash: as if this host had never synced the folder
    }
  }

  private async writeState(state: SyncState): Promise<void> {
    await mkdir(this.stateDir, { recursive: true });
    const file = this.stateFile(state.folder);
    const tmp = tempName(file);
    await writeFile(tmp, JSON.stringify(state));
    await rename(tmp, file);
  }

  /**
   * A file published into a folder only if the store has no index object at that name yet (If-None-Match: *), and
   * then placed here too; false when another host's file was there first (a pull brings that one). The placed file
   * is recorded in the folder's sync state as a pull records a file it places (this host holds the store's version),
   * so a later push does not publish it again and a later pull leaves it alone.
   */
  async placeOnce(dir: string, src: string, rel: string): Promise<boolean> {
    if (!rel || hostLocal(rel) || storeOwned(rel) || rel.split('/').some((p) => p === '..' || p === '.' || p === '')) throw new Error(`${rel} cannot be published`);
    const prefix = this.folderKey(dir);
    const known = await sha256Known(src);
    const ref = await this.store.put(src, known);
    const entry: IndexEntry = { sha256: known.sha256, bytes: known.bytes, key: ref.key };
    if ((await putTextIf(this.store.location, prefix + rel, JSON.stringify(entry), { ifNoneMatch: '*' })) === undefined) return false;
    const cached = await this.store.get(entry);
    // Placed and recorded between the folder's pulls and pushes on this host, never during one.
    await this.serial(dir, async () => {
      const local = path.join(dir, ...rel.split('/'));
      await mkdir(path.dirname(local), { recursive: true });
      await placeFrom(cached, local, entry.bytes);
      await rememberHash(local, entry.sha256);
      const state: SyncState = (await this.readState(prefix)) ?? { folder: prefix, files: {} };
      const placed = await identityOf(local);
      if (placed) state.files[rel] = { ...placed, sha256: entry.sha256 };
      await this.writeState(state);
    });
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
      // Only the cast lock's holder changes the folder, one at a time, so it never counts as running in it: an
      // update that failed before its push leaves changes the next pull replaces with the store's version.
      pull: async () => {
        const view = await this.pull(dir);
        this.release(dir);
        return async () => { await this.push(view); };
      },
      placeOnce: (src, rel) => this.placeOnce(dir, src, rel),
    };
  }

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

  /**
   * Brings the folder up to the store's index before an activity, which then counts as running in it until
   * `release`. `only` limits the pull to some relative paths (prepareJob reads only `.input.json` of the folders it
   * may claim; their `.lock` is an object in the store, read through lockSlot, never a mirrored file).
   *
   * The store is the folder's truth, except for what an activity running here now may be making: while another
   * activity of the folder runs in this process, a file changed here since this host last synced it is left alone
   * (its activity pushes it). With none running, such a change is a failed or killed attempt's leftover, never
   * published: the store's version replaces it, and a file the store does not have that this host had synced
   * before (deleted elsewhere) or never published is removed.
   */
  pull(dir: string, only?: (rel: string) => boolean): Promise<FolderView> {
    return this.serial(dir, async () => {
      const busy = (this.active.get(dir) ?? 0) > 0;
      this.active.set(dir, (this.active.get(dir) ?? 0) + 1);
      try {
        return await this.pullNow(dir, busy, only);
      } catch (e) {
        this.release(dir);
        throw e;
      }
    });
  }

  /** The activity that pulled `dir` is over (pushed or failed). */
  release(dir: string): void {
    const n = (this.active.get(dir) ?? 1) - 1;
    if (n > 0) this.active.set(dir, n);
    else this.active.delete(dir);
  }

  private async pullNow(dir: string, busy: boolean, only?: (rel: string) => boolean): Promise<FolderView> {
    const prefix = this.folderKey(dir);
    const listed = await listObjects(this.store.location, prefix);
    const known = await this.readState(prefix);
    const state: SyncState = known ?? { folder: prefix, files: {} };
    const remote = new Map<string, string>();
    const changedHere = async (rel: string, local: string): Promise<FileIdentity | undefined> => {
      const id = await identityOf(local);
      return id && !sameIdentity(id, state.files[rel]) ? id : undefined;
    };
    await inBatches(listed, 16, async ({ key, etag }) => {
      const rel = key.slice(prefix.length);
      if (!rel || hostLocal(rel) || storeOwned(rel) || rel.split('/').some((p) => p === '..' || p === '.' || p === '')) return;
      if (only && !only(rel)) return;
      const entry = await this.entryOf(key, etag);
      if (!entry) return;
      remote.set(rel, entry.sha256);
      const local = path.join(dir, ...rel.split('/'));
      const id = await identityOf(local);
      if (id && sameIdentity(id, state.files[rel]) && state.files[rel].sha256 === entry.sha256) return;
      const have = id ? await sha256Known(local).catch(() => undefined) : undefined;
      if (have?.sha256 === entry.sha256) {
        const now = await identityOf(local);
        if (now) state.files[rel] = { ...now, sha256: entry.sha256 };
        return;
      }
      // Made or changed here by an activity running now (it will push it), or deleted by one: left as it is.
      if (busy && (id ? !sameIdentity(id, state.files[rel]) : !!state.files[rel])) return;
      const cached = await this.store.get(entry);
      await mkdir(path.dirname(local), { recursive: true });
      await placeFrom(cached, local, entry.bytes);
      await rememberHash(local, entry.sha256);
      const placed = await identityOf(local);
      if (placed) state.files[rel] = { ...placed, sha256: entry.sha256 };
    });
    // Files the store does not have: deleted elsewhere (this host synced them), or never published.
    const present = await walk(dir);
    for (const rel of present) {
      if (remote.has(rel) || (only && !only(rel))) continue;
      const local = path.join(dir, ...rel.split('/'));
      const synced = state.files[rel];
      if (synced) {
        if (busy && (await changedHere(rel, local))) continue;
        await rm(local, { force: true });
        delete state.files[rel];
      } else if (!busy && known) {
        await rm(local, { force: true }); // a leftover of an attempt that never pushed it
      }
    }
    for (const rel of Object.keys(state.files)) {
      if (!remote.has(rel) && (!only || only(rel)) && !(await identityOf(path.join(dir, ...rel.split('/'))))) delete state.files[rel];
    }
    await this.writeState(state);
    return { dir, local: await identities(dir), remote };
  }

  private async entryOf(key: string, etag: string): Promise<IndexEntry | undefined> {
    const seen = this.entries.get(key);
    if (seen && seen.etag === etag) return seen.entry;
    const got = await getText(this.store.location, key);
    if (!got) return undefined;
    let entry: IndexEntry;
    try {
      entry = JSON.parse(got.text) as IndexEntry;
    } catch {
      // A damaged index object: its file is skipped (named, its content not quoted), the rest of the folder pulled.
      console.warn(`anime-dub: index object ${key} in bucket ${this.store.location.bucket} is not valid JSON; its file is skipped`);
      return undefined;
    }
    // Index objects are written by workers only; still, an entry pointing outside this store's prefix is ignored.
    if (!entry || typeof entry.key !== 'string' || !entry.key.startsWith(this.store.prefix) || typeof entry.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(entry.sha256) || typeof entry.bytes !== 'number') return undefined;
    this.entries.set(key, { etag: got.etag, entry });
    return entry;
  }

  /** A view of a folder nothing was pulled for (its files all count as made by the activity). */
  emptyView(dir: string): FolderView {
    return { dir, local: new Map(), remote: new Map() };
  }

  /**
   * Publishes what the activity changed since its pull: files created or changed since (by size, mtime or inode)
   * uploaded (content-addressed, once) and indexed, files gone since unindexed. A file the activity did not touch
   * is never published, whatever its state. `inputs` are the job's stored inputs: linked into the folder, they
   * are indexed under their inputs/ key instead of being uploaded a second time.
   */
  push(before: FolderView, options: PushOptions = {}): Promise<{ uploaded: number; removed: number }> {
    return this.serial(before.dir, () => this.pushNow(before, options));
  }

  private async pushNow(before: FolderView, { inputs = [], only }: PushOptions): Promise<{ uploaded: number; removed: number }> {
    const prefix = this.folderKey(before.dir);
    const state: SyncState = (await this.readState(prefix)) ?? { folder: prefix, files: {} };
    const now = (await walk(before.dir)).filter((rel) => !only || only(rel));
    let uploaded = 0;
    await inBatches(now, 8, async (rel) => {
      const file = path.join(before.dir, ...rel.split('/'));
      const id = await identityOf(file);
      if (!id || sameIdentity(id, before.local.get(rel))) return;
      // Synced since the pull (placed by placeOnce, or pulled or pushed by another activity here): the store has it.
      const synced = state.files[rel];
      if (synced && sameIdentity(id, synced)) {
        before.remote.set(rel, synced.sha256);
        return;
      }
      // Gone since the walk (a parallel activity here removed it): its own push says so.
      const known = await sha256Known(file).catch((e: NodeJS.ErrnoException) => { if (e.code === 'ENOENT') return undefined; throw e; });
      if (!known) return;
      const { sha256, bytes } = known;
      if (before.remote.get(rel) !== sha256) {
        const input = inputs.find((i) => i.sha256 === sha256 && i.bytes === bytes);
        // Gone while it was being stored (a parallel activity here removed its scratch file): nothing to index.
        const ref = input ? { ...input, key: this.store.prefix + input.key }
          : await this.store.put(file, { sha256, bytes }).catch((e: NodeJS.ErrnoException) => { if (e.code === 'ENOENT') return undefined; throw e; });
        if (!ref) return;
        await putText(this.store.location, prefix + rel, JSON.stringify({ sha256, bytes, key: ref.key } satisfies IndexEntry));
        before.remote.set(rel, sha256);
        uploaded++;
      }
      state.files[rel] = { ...id, sha256 };
    });
    const present = new Set(now);
    let removed = 0;
    for (const rel of before.local.keys()) {
      if (present.has(rel) || (only && !only(rel))) continue;
      if (await identityOf(path.join(before.dir, ...rel.split('/')))) continue;
      await deleteObject(this.store.location, prefix + rel);
      before.remote.delete(rel);
      delete state.files[rel];
      removed++;
    }
    await this.writeState(state);
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

