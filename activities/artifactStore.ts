// Where artifacts live between activities on different hosts. Two stores with one interface:
// - shared: today's default, one folder every worker mounts at the same path (NFS); the claim is the path.
// - s3: an S3-compatible object store as a claim-check: an activity uploads what it made and passes the key
//   (content-addressed by SHA-256), never bytes; a reader fetches into its own host's cache, once per content.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { copyFile, link, mkdir, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ensureBucket, getObject, headObject, ObjectStoreError, putObject, type S3Location } from './s3Client.js';

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

/** An S3-compatible object store with a local cache keyed by content hash. */
export class S3Store implements ArtifactStore {
  readonly kind = 's3';
  constructor(readonly location: S3Location, readonly cacheDir: string, readonly prefix = 'anime-dub/') {}

  private keyOf(sha256: string, ext: string): string {
    return `${this.prefix}sha256/${sha256.slice(0, 2)}/${sha256}${ext}`;
  }

  private cached(ref: ArtifactRef): string {
    return path.join(this.cacheDir, ref.key.slice(this.prefix.length));
  }

  async put(file: string): Promise<ArtifactRef> {
    const { sha256, bytes } = await sha256OfFile(file);
    const ext = path.extname(file).replace(/[^\w.]/g, '').slice(0, 8);
    const ref: ArtifactRef = { key: this.keyOf(sha256, ext), bytes, sha256 };
    // The same content is uploaded once, whoever made it and however often.
    const there = await headObject(this.location, ref.key);
    if (there?.bytes !== bytes) await putObject(this.location, ref.key, file, sha256, bytes);
    await this.keep(file, ref);
    return ref;
  }

  async get(ref: ArtifactRef): Promise<string> {
    const local = this.cached(ref);
    if (await stat(local).then((s) => s.size === ref.bytes, () => false)) return local;
    await mkdir(path.dirname(local), { recursive: true });
    const tmp = `${local}.${process.pid}.part`;
    try {
      await getObject(this.location, ref.key, tmp);
      const got = await sha256OfFile(tmp);
      if (ref.sha256 && got.sha256 !== ref.sha256) {
        throw new ObjectStoreError(0, `${ref.key} from ${this.location.endpoint} has SHA-256 ${got.sha256}, not ${ref.sha256}: refused`);
      }
      await rename(tmp, local);
    } finally {
      await rm(tmp, { force: true });
    }
    return local;
  }

  /** The maker's own copy goes into the cache too (a hard link where it can), so this host never downloads it. */
  private async keep(file: string, ref: ArtifactRef): Promise<void> {
    const local = this.cached(ref);
    if (existsSync(local)) return;
    await mkdir(path.dirname(local), { recursive: true });
    const tmp = `${local}.${process.pid}.part`;
    await link(file, tmp).catch(() => copyFile(file, tmp));
    await rename(tmp, local);
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
  return new S3Store(location, settings.cacheDir ?? path.join(os.tmpdir(), 'anime-dub-artifacts'), prefix);
}
