// The S3 calls the artifact store needs, made with the official AWS SDK v3 (@aws-sdk/client-s3): path-style URLs
// (forcePathStyle), so MinIO, Ceph RGW, Garage and AWS all answer at http(s)://endpoint/bucket/key. Files stream
// from and to disk, never whole into memory; only index objects (a few hundred bytes) are read as text.
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { S3Client, S3ServiceException } from '@aws-sdk/client-s3';

type Sdk = typeof import('@aws-sdk/client-s3');
let sdk: Sdk | undefined;
/** The SDK, loaded by the first S3 call: a worker or CLI on the shared folder never pays its ~0.15 CPU-s start. */
async function loadSdk(): Promise<Sdk> {
  return (sdk ??= await import('@aws-sdk/client-s3'));
}

export interface S3Location {
  /** http(s)://host:port of the S3-compatible service. */
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** A failed S3 call: names the service, the bucket, the key and the status, with the service's own error code. */
export class ObjectStoreError extends Error {
  readonly type = 'ObjectStoreFailed';
  constructor(readonly status: number, message: string, readonly where: { endpoint?: string; bucket?: string; key?: string } = {}) {
    super(message);
    this.name = 'ObjectStoreError';
  }
  get endpoint(): string | undefined { return this.where.endpoint; }
  get bucket(): string | undefined { return this.where.bucket; }
  get key(): string | undefined { return this.where.key; }
}

export const CONNECT_TIMEOUT_MS = 10_000;
export const IDLE_TIMEOUT_MS = 120_000;
/** Attempts of one file upload (each with a fresh stream of the file). */
export const UPLOAD_ATTEMPTS = 3;

const clients = new WeakMap<S3Location, S3Client>();

/**
 * The SDK's commands, once clientOf has loaded it: `(await clientOf(loc)).send(new (commands().XCommand)(…))`
 * evaluates the awaited client before the command's arguments.
 */
function commands(): Sdk {
  if (!sdk) throw new Error('the S3 SDK is not loaded yet (clientOf loads it)');
  return sdk;
}

/** One SDK client per location (it keeps its connections alive between calls). */
async function clientOf(loc: S3Location): Promise<S3Client> {
  const cmd = await loadSdk();
  let client = clients.get(loc);
  if (!client) {
    client = new cmd.S3Client({
      endpoint: loc.endpoint,
      region: loc.region,
      forcePathStyle: true,
      credentials: { accessKeyId: loc.accessKeyId, secretAccessKey: loc.secretAccessKey },
      // We send and check our own SHA-256 (the content's name); no extra CRC trailers that older servers refuse.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // The SDK retries calls whose body it can send again (not a file stream: putObject has its own retries).
      maxAttempts: 3,
      // A service that stops answering fails the call (and its retry starts) instead of holding the activity
      // until its start-to-close timeout: 10 s to connect, 2 min without a byte moving on an open request.
      requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, requestTimeout: IDLE_TIMEOUT_MS },
    });
    clients.set(loc, client);
  }
  return client;
}

function statusOf(e: unknown): number {
  return (e as S3ServiceException)?.$metadata?.httpStatusCode ?? 0;
}

/** The SDK's error as ours: what was asked, where, the HTTP status and the service's error code. */
function failed(loc: S3Location, what: string, key: string | undefined, e: unknown): ObjectStoreError {
  const status = statusOf(e);
  const code = sdk && e instanceof sdk.S3ServiceException ? e.name : undefined;
  const why = status ? `HTTP ${status}${code && code !== 'Unknown' ? ` ${code}` : ''}` : `cannot reach the object store: ${(e as Error)?.message ?? e}`;
  return new ObjectStoreError(status, `${what} on ${loc.endpoint} bucket ${loc.bucket} failed: ${why}`, { endpoint: loc.endpoint, bucket: loc.bucket, key });
}

const notFound = (e: unknown) => statusOf(e) === 404 || (e as Error)?.name === 'NotFound' || (e as Error)?.name === 'NoSuchKey';

/** Whether the object exists (its size when it does). */
export async function headObject(loc: S3Location, key: string): Promise<{ bytes: number } | undefined> {
  try {
    const out = await (await clientOf(loc)).send(new (commands().HeadObjectCommand)({ Bucket: loc.bucket, Key: key }));
    return { bytes: out.ContentLength ?? 0 };
  } catch (e) {
    if (notFound(e)) return undefined;
    throw failed(loc, `HEAD ${key}`, key, e);
  }
}

/**
 * Uploads a file as a stream; the service checks the SHA-256 we send against the bytes it receives. A stream cannot
 * be sent twice, so the retries are ours: each attempt opens the file again, and every stream is closed however
 * its attempt ended. A 4xx answer (refused, not lost) is not retried.
 */
export async function putObject(loc: S3Location, key: string, file: string, sha256: string, bytes: number, attempts = UPLOAD_ATTEMPTS): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const body = createReadStream(file);
    try {
      await (await clientOf(loc)).send(new (commands().PutObjectCommand)({
        Bucket: loc.bucket, Key: key, Body: body, ContentLength: bytes,
        ChecksumSHA256: Buffer.from(sha256, 'hex').toString('base64'),
      }));
      return;
    } catch (e) {
      const status = statusOf(e);
      if (attempt >= attempts || (status >= 400 && status < 500 && status !== 408 && status !== 429)) throw failed(loc, `PUT ${key}`, key, e);
      await new Promise((r) => setTimeout(r, 250 * 2 ** (attempt - 1)));
    } finally {
      body.destroy();
    }
  }
}

/**
 * Downloads an object into `file` as a stream (the caller renames it into place once checked). `signal` (an
 * activity's cancellation) aborts the request and the transfer.
 */
export async function getObject(loc: S3Location, key: string, file: string, signal?: AbortSignal): Promise<void> {
  try {
    const out = await (await clientOf(loc)).send(new (commands().GetObjectCommand)({ Bucket: loc.bucket, Key: key }), signal ? { abortSignal: signal } : {});
    await pipeline(out.Body as Readable, createWriteStream(file), ...(signal ? [{ signal }] : []));
  } catch (e) {
    if (e instanceof ObjectStoreError) throw e;
    throw failed(loc, `GET ${key}`, key, e);
  }
}

/** A small object (an index entry) as text, with its ETag and when the service stored it; undefined when it does not exist. */
export async function getText(loc: S3Location, key: string): Promise<{ text: string; etag: string; modified?: Date } | undefined> {
  try {
    const out = await (await clientOf(loc)).send(new (commands().GetObjectCommand)({ Bucket: loc.bucket, Key: key }));
    return { text: await out.Body!.transformToString(), etag: out.ETag ?? '', ...(out.LastModified ? { modified: out.LastModified } : {}) };
  } catch (e) {
    if (notFound(e)) return undefined;
    throw failed(loc, `GET ${key}`, key, e);
  }
}

/** Writes a small object (an index entry). */
export async function putText(loc: S3Location, key: string, text: string): Promise<void> {
  try {
    await (await clientOf(loc)).send(new (commands().PutObjectCommand)({ Bucket: loc.bucket, Key: key, Body: text, ContentType: 'application/json' }));
  } catch (e) {
    throw failed(loc, `PUT ${key}`, key, e);
  }
}

/**
 * Writes a small object only if the condition holds, atomically in the service: `ifNoneMatch: '*'` creates it only
 * where there is none, `ifMatch` replaces only the version with that ETag. Returns the new ETag, or undefined when
 * the condition failed (412 PreconditionFailed; 409 ConditionalRequestConflict when another conditional write to
 * the key was in flight).
 */
export async function putTextIf(loc: S3Location, key: string, text: string, cond: { ifNoneMatch: '*' } | { ifMatch: string }): Promise<string | undefined> {
  try {
    const out = await (await clientOf(loc)).send(new (commands().PutObjectCommand)({
      Bucket: loc.bucket, Key: key, Body: text, ContentType: 'application/json',
      ...('ifMatch' in cond ? { IfMatch: cond.ifMatch } : { IfNoneMatch: cond.ifNoneMatch }),
    }));
    return out.ETag ?? '';
  } catch (e) {
    const status = statusOf(e);
    if (status === 412 || status === 409) return undefined;
    // A replace of a version deleted meanwhile: the condition failed too.
    if ('ifMatch' in cond && notFound(e)) return undefined;
    throw failed(loc, `conditional PUT ${key}`, key, e);
  }
}

/** Deletes an object; with `ifMatch`, only that version where the service honours If-Match on DELETE (AWS does). */
export async function deleteObject(loc: S3Location, key: string, ifMatch?: string): Promise<void> {
  try {
    await (await clientOf(loc)).send(new (commands().DeleteObjectCommand)({ Bucket: loc.bucket, Key: key, ...(ifMatch ? { IfMatch: ifMatch } : {}) }));
  } catch (e) {
    if (notFound(e) || (ifMatch && statusOf(e) === 412)) return;
    throw failed(loc, `DELETE ${key}`, key, e);
  }
}

/** Every key under a prefix, with its ETag (pages of 1,000 followed to the end). */
export async function listObjects(loc: S3Location, prefix: string): Promise<{ key: string; etag: string }[]> {
  const out: { key: string; etag: string }[] = [];
  let token: string | undefined;
  do {
    let page;
    try {
      page = await (await clientOf(loc)).send(new (commands().ListObjectsV2Command)({ Bucket: loc.bucket, Prefix: prefix, ContinuationToken: token }));
    } catch (e) {
      throw failed(loc, `LIST ${prefix}`, prefix, e);
    }
    for (const o of page.Contents ?? []) if (o.Key) out.push({ key: o.Key, etag: o.ETag ?? '' });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}

/**
 * Makes sure the bucket is there: asked first (HEAD), created only when the service says it does not exist, so
 * credentials without s3:CreateBucket work with a bucket made by an administrator.
 */
export async function ensureBucket(loc: S3Location): Promise<void> {
  const named = (e: unknown, what: string) => {
    const err = failed(loc, what, undefined, e);
    return new ObjectStoreError(err.status, err.message.replace(new RegExp(`^${what} on (\\S+) bucket (\\S+)`), `${what} $2 on $1`), err.where);
  };
  try {
    await (await clientOf(loc)).send(new (commands().HeadBucketCommand)({ Bucket: loc.bucket }));
    return;
  } catch (e) {
    if (!notFound(e) && (e as Error)?.name !== 'NoSuchBucket') {
      // A HEAD answer has no body: the service's own error code comes from a GET of the bucket (a listing of one key).
      const why = await (await clientOf(loc)).send(new (commands().ListObjectsV2Command)({ Bucket: loc.bucket, MaxKeys: 1 })).then(() => undefined, (g: unknown) => g);
      if (why === undefined) return;
      if (!notFound(why) && (why as Error)?.name !== 'NoSuchBucket') throw named(why ?? e, 'checking bucket');
    }
  }
  try {
    await (await clientOf(loc)).send(new (commands().CreateBucketCommand)({ Bucket: loc.bucket }));
  } catch (e) {
    const code = (e as Error)?.name;
    if (code === 'BucketAlreadyOwnedByYou' || code === 'BucketAlreadyExists') return;
    throw named(e, 'creating bucket');
  }
}
