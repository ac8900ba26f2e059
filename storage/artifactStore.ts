// Where artifacts live between activities on different hosts. Two stores with one interface:
// - shared: today's default, one folder every worker mounts at the same path (NFS); the claim is the path.
// - s3: an S3-compatible object store as a claim-check: an activity uploads what it made and passes the key
//   (content-addressed by SHA-256), never bytes; a reader fetches into its own host's cache, once per content.
import { createHash } from 'node:crypto';
import { tempName } from '../engines/tempNames.js';
import { createReadStream, existsSync, type Stats } from 'node:fs';
import { chmod, copyFile, link, lstat, mkdir, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ensureBucket, getObject, headObject, ObjectStoreError, putObject, type S3Location } from './s3Client.js';
import type { Settings } from '../config/schema.js';
import { LRUCache } from 'lru-cache';
import type { OutputHashes } from '../lib/job.js';
import { lstatOrNone } from '../engines/noFollow.js';

export { ObjectStoreError } from './s3Client.js';

/** What activities pass each other: a key and what checks it, small enough for any payload. */
export interface ArtifactRef {
  key: string;
  bytes: number;
  /** SHA-256 of the content (the s3 store's keys are made of it). */
  sha256?: string;
}

export interface ArtifactStore {
  readonly kind: 'shared' | 's3';
  /** Makes a finished local file available to every worker; returns its claim. */
  put(file: string): Promise<ArtifactRef>;
  /** A local path with the artifact's bytes, fetched into this host's cache when needed. */
  get(ref: ArtifactRef): Promise<string>;
}

/** Files already hashed in this process, by path, valid while inode, size and mtime stay the same. */
const hashed = new LRUCache<string, { ino: number; size: number; mtimeMs: number; sha256: string }>({ max: 50_000 });
const sameFile = (a: { ino: number; size: number; mtimeMs: number }, b: Stats) => a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;

/** A file's SHA-256, hashed again only when it changed since this process last hashed it. */
export async function sha256Known(file: string): Promise<{ sha256: string; bytes: number }> {
  const before = await stat(file);
  const memo = hashed.get(file);
  if (memo && sameFile(memo, before)) return { sha256: memo.sha256, bytes: memo.size };
  const got = await sha256OfFile(file);
  const after = await stat(file);
  if (sameFile(before, after)) hashed.set(file, { ino: after.ino, size: after.size, mtimeMs: after.mtimeMs, sha256: got.sha256 });
  return got;
}

/** Records a file's hash known from elsewhere (a verified download, a hard link of one). */
export async function rememberHash(file: string, sha256: string): Promise<void> {
  const st = await stat(file);
  hashed.set(file, { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, sha256 });
}

/**
 * SHA-256 and size of finished outputs (`rels` relative to the job folder, `absOf` its path on this host), carried in
 * the workflow's result: what a client checks its downloads against (not the store's index, which others can write).
 */
export async function outputHashesOf(absOf: (rel: string) => string, rels: readonly string[]): Promise<OutputHashes> {
  const out: OutputHashes = {};
  for (const rel of rels) out[rel] = await sha256Known(absOf(rel));
  return out;
}

export async function sha256OfFile(file: string): Promise<{ sha256: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(file)) {
    h.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: h.digest('hex'), bytes };
}

/** The shared folder: nothing moves; the key is the file's path inside the root every host mounts. */
export class SharedFolderStore implements ArtifactStore {
  readonly kind = 'shared';
  constructor(readonly root: string) {}

  async put(file: string): Promise<ArtifactRef> {
    const abs = path.resolve(file);
    const rel = path.relative(this.root, abs);
    if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) throw new ObjectStoreError(0, `${abs} is not inside the shared artifact root ${this.root}`);
    return { key: rel, bytes: (await stat(abs)).size };
  }

  async get(ref: ArtifactRef): Promise<string> {
    const abs = path.resolve(this.root, ref.key);
    if (!abs.startsWith(path.resolve(this.root) + path.sep)) throw new ObjectStoreError(0, `artifact key ${ref.key} leaves the shared root`);
    if (!existsSync(abs)) throw new ObjectStoreError(404, `${abs} is missing: does this host mount the shared artifact root ${this.root}?`);
    return abs;
  }
}

/** A download whose bytes are not the SHA-256 (or size) its reader expected: refused, nothing kept. */
export class ContentMismatchError extends ObjectStoreError {}

/** The pattern of an input key (relative to the store's prefix): what the client uploads and a job may name. */
export const INPUT_KEY = /^inputs\/sha256\/([0-9a-f]{64})(\.[A-Za-z0-9]{1,8})?$/;

/** An S3-compatible object store with a local cache keyed by content hash. */
export class S3Store implements ArtifactStore {
  readonly kind = 's3';
  constructor(readonly location: S3Location, readonly cacheDir: string, readonly prefix = 'anime-dub/') {}

  private keyOf(sha256: string, ext: string): string {
    return `${this.prefix}sha256/${sha256.slice(0, 2)}/${sha256}${ext}`;
  }

  /** Where a content with this SHA-256 is kept in the store (the extension from `name`, as put() makes it). */
  contentRef(sha256: string, bytes: number, name: string): ArtifactRef {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new ObjectStoreError(0, `${sha256} is not a SHA-256 in hex`);
    const ext = path.extname(name).replace(/[^\w.]/g, '').slice(0, 8);
    return { key: this.keyOf(sha256, ext), bytes, sha256 };
  }

  private cached(ref: ArtifactRef): string {
    if (!ref.key.startsWith(this.prefix) || ref.key.split('/').includes('..')) throw new ObjectStoreError(0, `artifact key ${ref.key} is not under ${this.prefix}`);
    return path.join(this.cacheDir, ref.key.slice(this.prefix.length));
  }

  async put(file: string, known?: { sha256: string; bytes: number }): Promise<ArtifactRef> {
    const { sha256, bytes } = known ?? await sha256Known(file);
    const ext = path.extname(file).replace(/[^\w.]/g, '').slice(0, 8);
    return this.upload(file, { key: this.keyOf(sha256, ext), bytes, sha256 });
  }

  /** A client's input (the video, a subtitle or glossary file): uploaded under inputs/, which a job may name. */
  async putInput(file: string): Promise<ArtifactRef> {
    const { sha256, bytes } = await sha256Known(file);
    const ext = path.extname(file).replace(/[^\w.]/g, '').slice(0, 8);
    const key = `inputs/sha256/${sha256}${/^\.[A-Za-z0-9]{1,8}$/.test(ext) ? ext : ''}`;
    const ref = await this.upload(file, { key: this.prefix + key, bytes, sha256 });
    return { ...ref, key };
  }

  /**
   * An input a job names (untrusted): only a key of the inputs/ area under this store's prefix, whose name is the
   * SHA-256 it claims; the bytes are checked against it.
   */
  async getInput(ref: ArtifactRef, signal?: AbortSignal): Promise<string> {
    const m = INPUT_KEY.exec(ref.key);
    if (!m || m[1] !== ref.sha256) throw new ObjectStoreError(0, `input key ${ref.key} is not an inputs/sha256/<sha256> key of this store matching its SHA-256`);
    return this.get({ ...ref, key: this.prefix + ref.key }, signal);
  }

  private async upload(file: string, ref: ArtifactRef & { sha256: string }): Promise<ArtifactRef> {
    // The same content is uploaded once, whoever made it and however often.
    const there = await headObject(this.location, ref.key);
    if (there?.bytes !== ref.bytes) await putObject(this.location, ref.key, file, ref.sha256, ref.bytes);
    await this.keep(file, ref);
    return ref;
  }

  /** `signal` (an activity's cancellation) stops a download under way. */
  async get(ref: ArtifactRef, signal?: AbortSignal): Promise<string> {
    const local = this.cached(ref);
    // A cached copy is trusted while it is the file this process checked; changed or unknown, it is hashed again.
    if (await stat(local).then((s) => s.size === ref.bytes, () => false)) {
      if (!ref.sha256 || (await sha256Known(local)).sha256 === ref.sha256) return local;
    }
    await mkdir(path.dirname(local), { recursive: true });
    const tmp = tempName(local);
    try {
      await getObject(this.location, ref.key, tmp, signal);
      const got = await sha256OfFile(tmp);
      if (ref.sha256 && got.sha256 !== ref.sha256) {
        throw new ContentMismatchError(0, `${ref.key} from ${this.location.endpoint} has SHA-256 ${got.sha256}, not ${ref.sha256}: refused`, { endpoint: this.location.endpoint, bucket: this.location.bucket, key: ref.key });
      }
      if (got.bytes !== ref.bytes) {
        throw new ContentMismatchError(0, `${ref.key} from ${this.location.endpoint} has ${got.bytes} bytes, not ${ref.bytes}: refused`, { endpoint: this.location.endpoint, bucket: this.location.bucket, key: ref.key });
      }
      await rename(tmp, local);
      await rememberHash(local, got.sha256);
    } finally {
      await rm(tmp, { force: true });
    }
    return local;
  }

  /** The maker's own copy goes into the cache too (a hard link where it can), so this host never downloads it. */
  private async keep(file: string, ref: ArtifactRef & { sha256: string }): Promise<void> {
    const local = this.cached(ref);
    if ((await sha256Known(local).catch(() => undefined))?.sha256 === ref.sha256) return;
    await mkdir(path.dirname(local), { recursive: true });
    const tmp = tempName(local);
    // Small files (written in place by their makers: stamps, logs) are copied; media is linked.
    if (ref.bytes < 1 << 20) await copyFile(file, tmp);
    else await link(file, tmp).catch(() => copyFile(file, tmp));
    await rename(tmp, local);
    await rememberHash(local, ref.sha256);
  }
}

export interface StoreSettings {
  store: 'shared' | 's3';
  s3?: { endpoint?: string; bucket?: string; region: string; prefix: string };
  cacheDir?: string;
}

/** The worker's store: credentials come from the standard AWS_* variables, never from settings or a job. */
export async function openArtifactStore(settings: StoreSettings, sharedRoot: string, env: NodeJS.ProcessEnv = process.env): Promise<ArtifactStore> {
  if (settings.store === 'shared') return new SharedFolderStore(path.resolve(sharedRoot));
  const { endpoint, bucket, region, prefix } = settings.s3 ?? { region: 'us-east-1', prefix: 'anime-dub/' };
  const missing = [!endpoint && 'DUB_S3_ENDPOINT', !bucket && 'DUB_S3_BUCKET', !env.AWS_ACCESS_KEY_ID && 'AWS_ACCESS_KEY_ID', !env.AWS_SECRET_ACCESS_KEY && 'AWS_SECRET_ACCESS_KEY'].filter(Boolean);
  if (missing.length) throw new ObjectStoreError(0, `the s3 artifact store needs ${missing.join(', ')}`);
  const location: S3Location = { endpoint: endpoint!, bucket: bucket!, region, accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! };
  await ensureBucket(location);
  return new S3Store(location, settings.cacheDir ?? await defaultArtifactCacheDir(env), prefix);
}

/**
 * The s3 store's local cache when none is configured (DUB_ARTIFACT_CACHE): per user and private, never a fixed
 * name in the world-writable temp folder (issue 27: anyone could have made it first, or linked it elsewhere).
 * `$XDG_CACHE_HOME/anime-dub/artifacts`, else `~/.cache/anime-dub/artifacts`, made 0700; refused when it (or its
 * anime-dub parent) is a symbolic link or belongs to another user.
 */
export async function defaultArtifactCacheDir(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const home = env.HOME && path.isAbsolute(env.HOME) ? env.HOME : os.homedir();
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(home, '.cache');
  const parent = path.join(base, 'anime-dub');
  const dir = path.join(parent, 'artifacts');
  await mkdir(base, { recursive: true, mode: 0o700 });
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  for (const d of [parent, dir]) {
    // Each part is looked at before anything is made in it: mkdir follows links.
    let st = await lstatOrNone(d);
    if (!st) {
      await mkdir(d, { mode: 0o700 }).catch((e: NodeJS.ErrnoException) => { if (e.code !== 'EEXIST') throw e; });
      st = await lstat(d);
    }
    const problem = st.isSymbolicLink() ? 'is a symbolic link'
      : !st.isDirectory() ? 'is not a directory'
        : uid !== undefined && st.uid !== uid ? `belongs to another user (uid ${st.uid})` : undefined;
    if (problem) throw new ObjectStoreError(0, `the artifact cache ${d} ${problem}; remove it, or set DUB_ARTIFACT_CACHE to a folder of your own`);
  }
  if ((await stat(dir)).mode & 0o077) await chmod(dir, 0o700);
  return dir;
}

/** The store settings of this installation (worker and client read the same ones). */
export function storeSettingsOf(settings: Settings): StoreSettings {
  const a = settings.artifacts;
  return { store: a.store, s3: { endpoint: a.s3.endpoint, bucket: a.s3.bucket, region: a.s3.region, prefix: a.s3.prefix }, ...(a.cacheDir ? { cacheDir: path.resolve(a.cacheDir) } : {}) };
}

