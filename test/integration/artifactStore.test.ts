// The artifact stores against the real thing: an S3-compatible server (MinIO, built by scripts/setup.sh) with two
// "hosts" whose local caches differ, and the shared folder. A whole job through it: artifactStoreJob.test.ts.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ObjectStoreError, openArtifactStore, S3Store, SharedFolderStore } from '../../storage/artifactStore.js';
import { toneClip } from '../fixtures/toneClip.js';
import { tempDir } from '../support/jobs.js';
import { startMinio, type MinioServer } from '../support/minio.js';

describe('S3-compatible artifact store (claim-check), against a real MinIO server', () => {
  let minio: MinioServer;
  let dir: string;
  const env = () => ({ AWS_ACCESS_KEY_ID: minio.accessKeyId, AWS_SECRET_ACCESS_KEY: minio.secretAccessKey });
  const settings = (cacheDir: string) => ({ store: 's3' as const, s3: { endpoint: minio.endpoint, bucket: 'dubs', region: 'us-east-1', prefix: 'anime-dub/' }, cacheDir });

  beforeAll(async () => {
    dir = await tempDir('s3');
    minio = await startMinio(path.join(dir, 'minio-data'));
  }, 90_000);
  afterAll(async () => { await minio?.stop(); });

  it('what host A puts, host B gets into its own cache, byte for byte; only a key travels', async () => {
    const hostA = await openArtifactStore(settings(path.join(dir, 'hostA-cache')), '/unused', env());
    const hostB = await openArtifactStore(settings(path.join(dir, 'hostB-cache')), '/unused', env());
    const { video } = await toneClip();
    const ref = await hostA.put(video);
    expect(ref.key).toMatch(/^anime-dub\/sha256\/[0-9a-f]{2}\/[0-9a-f]{64}\.mp4$/);
    expect(JSON.stringify(ref).length).toBeLessThan(200);
    const local = await hostB.get(ref);
    expect(local.startsWith(path.join(dir, 'hostB-cache'))).toBe(true);
    expect(Buffer.compare(await readFile(local), await readFile(video))).toBe(0);
  }, 60_000);

  it('the same content is one object; a damaged cached copy is fetched again; a wrong hash is refused', async () => {
    const hostA = await openArtifactStore(settings(path.join(dir, 'a2')), '/unused', env()) as S3Store;
    const hostB = await openArtifactStore(settings(path.join(dir, 'b2')), '/unused', env()) as S3Store;
    await mkdir(path.join(dir, 'made'), { recursive: true });
    const one = path.join(dir, 'made', 'line-0001.wav');
    const two = path.join(dir, 'made', 'copy-of-line.wav');
    await writeFile(one, Buffer.alloc(70_000, 7));
    await writeFile(two, Buffer.alloc(70_000, 7));
    const [r1, r2] = [await hostA.put(one), await hostA.put(two)];
    expect(r2.key).toBe(r1.key);
    const local = await hostB.get(r1);
    await writeFile(local, 'damaged');
    expect(Buffer.compare(await readFile(await hostB.get(r1)), await readFile(one))).toBe(0);
    // A wrong hash in the claim is refused rather than handed to an engine.
    await rm(local);
    await expect(hostB.get({ ...r1, sha256: '0'.repeat(64) })).rejects.toThrow(/has SHA-256 [0-9a-f]{64}, not 0{64}: refused/);
    expect(await stat(local).then(() => true, () => false)).toBe(false);
  }, 60_000);

  it('bad credentials are a typed error naming the endpoint and the bucket', async () => {
    const err = await openArtifactStore(settings(path.join(dir, 'c3')), '/unused', { AWS_ACCESS_KEY_ID: 'nobody', AWS_SECRET_ACCESS_KEY: 'wrong' }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ObjectStoreError);
    expect((err as Error).message).toMatch(new RegExp(`bucket dubs on ${minio.endpoint} failed: HTTP 403 InvalidAccessKeyId`));
    await expect(openArtifactStore({ store: 's3' }, '/unused', {})).rejects.toThrow('the s3 artifact store needs DUB_S3_ENDPOINT, DUB_S3_BUCKET, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY');
  }, 30_000);
});

describe('shared-folder artifact store', () => {
  it('the claim is the path inside the root; a path outside it or a missing file is refused', async () => {
    const root = await tempDir('shared-root');
    await mkdir(path.join(root, 'ep1', 'tts'), { recursive: true });
    await writeFile(path.join(root, 'ep1', 'tts', '0001.wav'), 'x');
    const store = new SharedFolderStore(root);
    const ref = await store.put(path.join(root, 'ep1', 'tts', '0001.wav'));
    expect(ref).toEqual({ key: path.join('ep1', 'tts', '0001.wav'), bytes: 1 });
    expect(await store.get(ref)).toBe(path.join(root, 'ep1', 'tts', '0001.wav'));
    await expect(store.put('/etc/hostname')).rejects.toThrow(/not inside the shared artifact root/);
    await expect(store.get({ key: '../../etc/hostname', bytes: 1 })).rejects.toThrow(/leaves the shared root/);
    await expect(store.get({ key: 'ep2/x.wav', bytes: 1 })).rejects.toThrow(/does this host mount the shared artifact root/);
    expect((await stat(root)).isDirectory()).toBe(true);
  });
});
