// The job-folder mirror between two "hosts" (separate output roots and caches) through a real MinIO server (built
// by scripts/setup.sh): what a push publishes, what a pull brings or removes, and that both survive a worker restart.
// A whole job through it: artifactStoreJob.test.ts.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { asyncLocalStorage, Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityExecuteInput } from '@temporalio/worker';
import { createServer, request, type Server } from 'node:http';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { openArtifactStore, type S3Store } from '../../storage/artifactStore.js';
import { JobFolderMirror } from '../../storage/jobMirror.js';
import { ensureBucket, getObject, listObjects, putObject, putText, type S3Location } from '../../storage/s3Client.js';
import { ErrorType, failure } from '../../lib/errors.js';
import { MirroredJobFolders, RetryDiscipline } from '../../workers/interceptors.js';
import { tempDir } from '../support/jobs.js';
import { startMinio, type MinioServer } from '../support/minio.js';

describe('job folder mirror between two hosts, against a real MinIO server', () => {
  let minio: MinioServer;
  let dir: string;
  let store: S3Location;
  const env = () => ({ AWS_ACCESS_KEY_ID: minio.accessKeyId, AWS_SECRET_ACCESS_KEY: minio.secretAccessKey });
  const openStore = (cacheDir: string, prefix: string, endpoint = minio.endpoint) => openArtifactStore({ store: 's3', s3: { endpoint, bucket: 'mirror', region: 'us-east-1', prefix }, cacheDir }, '/unused', env()) as Promise<S3Store>;
  /** A host: its output root and cache; `restart()` is a new mirror (a new worker process) on the same disk. */
  const host = async (name: string, prefix: string) => {
    const root = path.join(dir, name, 'out');
    const cache = path.join(dir, name, 'cache');
    const make = async () => new JobFolderMirror(await openStore(cache, prefix), root);
    return { root, folder: path.join(root, 'ep.es'), mirror: await make(), restart: make };
  };
  /** One activity: pull, work on the folder, push, done. */
  const activity = async (mirror: JobFolderMirror, folder: string, work: () => Promise<void>) => {
    const view = await mirror.pull(folder);
    try {
      await work();
      return await mirror.push(view);
    } finally {
      mirror.release(folder);
    }
  };
  const put = async (file: string, text: string) => { await mkdir(path.dirname(file), { recursive: true }); await writeFile(file, text); };
  const read = (file: string) => readFile(file, 'utf8').catch(() => undefined);
  const indexed = async (prefix: string) => (await listObjects(store, `${prefix}jobs/ep.es/`)).map((o) => o.key.slice(`${prefix}jobs/ep.es/`.length)).sort();

  beforeAll(async () => {
    dir = await tempDir('mirror');
    minio = await startMinio(path.join(dir, 'minio-data'));
    store = { endpoint: minio.endpoint, bucket: 'mirror', region: 'us-east-1', accessKeyId: minio.accessKeyId, secretAccessKey: minio.secretAccessKey };
  }, 90_000);
  afterAll(async () => { await minio?.stop(); });

  it('mirrors a file named Show.part.2.mkv; a deletion on one host reaches the other, also after that host restarts', async () => {
    const [a, b] = [await host('a1', 'p1/'), await host('b1', 'p1/')];
    await activity(a.mirror, a.folder, async () => {
      await put(path.join(a.folder, 'input', 'Show.part.2.mkv'), 'video');
      await put(path.join(a.folder, 'keep.txt'), 'keep');
      await put(path.join(a.folder, 'gone.txt'), 'gone');
    });
    expect(await indexed('p1/')).toEqual(['gone.txt', 'input/Show.part.2.mkv', 'keep.txt']);
    await activity(b.mirror, b.folder, async () => {
      expect(await read(path.join(b.folder, 'input', 'Show.part.2.mkv'))).toBe('video');
      await rm(path.join(b.folder, 'gone.txt'));
    });
    expect(await indexed('p1/')).toEqual(['input/Show.part.2.mkv', 'keep.txt']);
    // Host A's worker restarts (nothing in memory): its next activity still sees gone.txt deleted, and its push does
    // not bring it back.
    const a2 = await a.restart();
    await activity(a2, a.folder, async () => {
      expect(existsSync(path.join(a.folder, 'gone.txt'))).toBe(false);
      await put(path.join(a.folder, 'new.txt'), 'new');
    });
    expect(await indexed('p1/')).toEqual(['input/Show.part.2.mkv', 'keep.txt', 'new.txt']);
  }, 60_000);

  it('publishes only what the activity changed: not an older copy’s stray file, nor a failed attempt’s leftover', async () => {
    const [a, b] = [await host('a2', 'p2/'), await host('b2', 'p2/')];
    await activity(a.mirror, a.folder, async () => { await put(path.join(a.folder, 'made.txt'), 'v1'); });
    // Host B has an older copy of the folder from before (no sync state): a file the store does not have.
    await put(path.join(b.folder, 'stray.txt'), 'from an older copy');
    const pushed = await activity(b.mirror, b.folder, async () => { await put(path.join(b.folder, 'mine.txt'), 'b'); });
    expect(pushed).toEqual({ uploaded: 1, removed: 0 });
    expect(await indexed('p2/')).toEqual(['made.txt', 'mine.txt']);
    // An attempt on B that fails: what it wrote is not published by the next activity's push, and is gone.
    await b.mirror.pull(b.folder);
    await put(path.join(b.folder, 'half.txt'), 'half-written');
    await put(path.join(b.folder, 'made.txt'), 'changed by the failed attempt');
    b.mirror.release(b.folder);
    await activity(b.mirror, b.folder, async () => {
      expect(await read(path.join(b.folder, 'made.txt'))).toBe('v1');
      expect(existsSync(path.join(b.folder, 'half.txt'))).toBe(false);
    });
    expect(await indexed('p2/')).toEqual(['made.txt', 'mine.txt']);
    await activity(a.mirror, a.folder, async () => { expect(await read(path.join(a.folder, 'made.txt'))).toBe('v1'); });
  }, 60_000);

  it('a pull while another activity of the folder runs on this host leaves that activity’s change alone; its push then reaches the other host', async () => {
    const [a, b] = [await host('a3', 'p3/'), await host('b3', 'p3/')];
    await activity(a.mirror, a.folder, async () => { await put(path.join(a.folder, 'log.txt'), 'one'); });
    const first = await a.mirror.pull(a.folder);
    await put(path.join(a.folder, 'log.txt'), 'one two');
    // A second activity of the job starts on host A while the first still runs.
    await activity(a.mirror, a.folder, async () => { expect(await read(path.join(a.folder, 'log.txt'))).toBe('one two'); });
    await a.mirror.push(first);
    a.mirror.release(a.folder);
    await activity(b.mirror, b.folder, async () => { expect(await read(path.join(b.folder, 'log.txt'))).toBe('one two'); });
    // And a change made on B reaches A (nothing running on A now).
    await activity(b.mirror, b.folder, async () => { await put(path.join(b.folder, 'log.txt'), 'one two three'); });
    await activity(a.mirror, a.folder, async () => { expect(await read(path.join(a.folder, 'log.txt'))).toBe('one two three'); });
  }, 60_000);

  it('the third engine failure is final when the retries move between hosts: the failure count travels with the folder', async () => {
    const [a, b] = [await host('a4', 'p4/'), await host('b4', 'p4/')];
    const canonical = a.mirror.canonicalRoot;
    const attemptOn = async (mirror: JobFolderMirror, attempt: number) => {
      const info = { activityType: 'synthesizeLines', activityId: '7', attempt, heartbeatDetails: undefined, workflowExecution: { workflowId: 'w', runId: 'r1' } };
      const ctx = new (Context as unknown as new (...a: unknown[]) => Context)(info, new Promise(() => {}), new AbortController().signal, () => {}, undefined, console, undefined);
      const input = { args: [{ job: { root: canonical, name: 'ep.es' } }], headers: {} } as unknown as ActivityExecuteInput;
      const retry = new RetryDiscipline();
      const engine = async () => { throw failure(ErrorType.EngineFailed, 'espeak-ng exited 1'); };
      return asyncLocalStorage.run(ctx, () => new MirroredJobFolders(mirror).execute(input, (i) => retry.execute(i, engine))).then(() => undefined, (e: unknown) => e as ApplicationFailure);
    };
    const first = await attemptOn(a.mirror, 1);
    const second = await attemptOn(b.mirror, 2);
    const third = await attemptOn(a.mirror, 3);
    expect([first, second, third].map((e) => e?.nonRetryable)).toEqual([false, false, true]);
    expect(third?.message).toMatch(/failed 3 times; not retried again/);
    expect(await indexed('p4/')).toEqual(['tmp/failures/r1-7.count']);
  }, 60_000);

  it('prepareJob reads only .input.json of the folders it may claim (their .lock is a store object, never a pulled file); a damaged index object skips its file, not the pull', async () => {
    const [a, b] = [await host('a5', 'p5/'), await host('b5', 'p5/')];
    // Another input's job in ep.es, made on host B.
    await activity(b.mirror, b.folder, async () => {
      await put(path.join(b.folder, '.input.json'), '{"input":"other"}');
      await put(path.join(b.folder, 'input', 'ep.mp4'), 'another input');
      await put(path.join(b.folder, 'tts', '0001.wav'), 'clip');
    });
    // Its lock: an object in the store (conditional writes through lockSlot), not an index object of a file.
    expect(await b.mirror.lockSlot(b.folder, '.lock')!.create('{"workflowId":"other"}')).toBe(true);
    const info = { activityType: 'prepareJob', activityId: '1', attempt: 1, heartbeatDetails: undefined, workflowExecution: { workflowId: 'w', runId: 'r' } };
    const ctx = new (Context as unknown as new (...a: unknown[]) => Context)(info, new Promise(() => {}), new AbortController().signal, () => {}, undefined, console, undefined);
    const input = { args: [{ video: '/in/ep.mp4', src: 'en', tgt: 'es' }], headers: {} } as unknown as ActivityExecuteInput;
    await asyncLocalStorage.run(ctx, () => new MirroredJobFolders(a.mirror).execute(input, async () => undefined));
    expect(await read(path.join(a.folder, '.input.json'))).toBe('{"input":"other"}');
    expect(existsSync(path.join(a.folder, 'input', 'ep.mp4'))).toBe(false);
    expect(existsSync(path.join(a.folder, 'tts', '0001.wav'))).toBe(false);
    expect(existsSync(path.join(a.folder, '.lock'))).toBe(false);
    // A damaged index object: the rest of the folder still comes, and the failure never quotes its content.
    await putText(store, 'p5/jobs/ep.es/tts/0002.wav', 'SECRET-CONTENT{');
    const warned: string[] = [];
    const warn = console.warn;
    console.warn = (...m: unknown[]) => { warned.push(m.join(' ')); };
    try {
      await activity(a.mirror, a.folder, async () => {
        expect(await read(path.join(a.folder, 'tts', '0001.wav'))).toBe('clip');
        expect(existsSync(path.join(a.folder, 'tts', '0002.wav'))).toBe(false);
        expect(existsSync(path.join(a.folder, '.lock'))).toBe(false);
      });
    } finally {
      console.warn = warn;
    }
    expect(warned.join('\n')).toMatch(/index object p5\/jobs\/ep\.es\/tts\/0002\.wav .* is not valid JSON/);
    expect(warned.join('\n')).not.toContain('SECRET');
  }, 60_000);

  it('ensureBucket asks before it creates: credentials without s3:CreateBucket work with an existing bucket; uploads are retried with a fresh stream', async () => {
    // A front that refuses CreateBucket (PUT /<bucket>) as a service would for such credentials, and fails the
    // first upload of each object with a 500 after reading part of its body.
    const seen: string[] = [];
    const failedOnce = new Set<string>();
    const front: Server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      seen.push(`${req.method} ${url.pathname}`);
      if (req.method === 'PUT' && /^\/[^/]+\/?$/.test(url.pathname)) {
        res.writeHead(403, { 'content-type': 'application/xml' }).end('<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Access Denied.</Message></Error>');
        return;
      }
      if (req.method === 'PUT' && url.pathname.includes('/upload/') && !failedOnce.has(url.pathname)) {
        failedOnce.add(url.pathname);
        req.resume();
        req.on('end', () => res.writeHead(500, { 'content-type': 'application/xml' }).end('<?xml version="1.0"?><Error><Code>InternalError</Code><Message>try again</Message></Error>'));
        return;
      }
      const target = new URL(minio.endpoint);
      const up = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (r) => { res.writeHead(r.statusCode ?? 502, r.headers); r.pipe(res); });
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
    try {
      const endpoint = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
      const loc: S3Location = { ...store, endpoint };
      await ensureBucket({ ...store }); // the bucket exists (made with full rights)
      await ensureBucket(loc);
      expect(seen.filter((s) => s.startsWith('PUT'))).toEqual([]);
      await expect(ensureBucket({ ...loc, bucket: 'not-there' })).rejects.toThrow(/creating bucket not-there on .* failed: HTTP 403 AccessDenied/);
      const file = path.join(dir, 'upload.bin');
      await writeFile(file, Buffer.alloc(200_000, 3));
      const sha = (await import('node:crypto')).createHash('sha256').update(Buffer.alloc(200_000, 3)).digest('hex');
      await putObject(loc, 'upload/one.bin', file, sha, 200_000);
      expect(seen.filter((s) => s === 'PUT /mirror/upload/one.bin')).toHaveLength(2);
      expect((await listObjects(store, 'upload/')).map((o) => o.key)).toEqual(['upload/one.bin']);
      // A download stops when its activity is cancelled (the signal reaches the SDK's request).
      await expect(getObject(store, 'upload/one.bin', path.join(dir, 'aborted.bin'), AbortSignal.abort())).rejects.toThrow(/GET upload\/one\.bin .* failed/);
      await getObject(store, 'upload/one.bin', path.join(dir, 'fetched.bin'));
      expect((await readFile(path.join(dir, 'fetched.bin'))).length).toBe(200_000);
    } finally {
      await new Promise((r) => front.close(r));
    }
  }, 60_000);
});
