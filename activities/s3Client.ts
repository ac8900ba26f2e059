// The few S3 calls the artifact store needs (HEAD, PUT from a file, GET into a file, create a bucket), signed with
// AWS Signature Version 4 and sent with node:http(s): files stream from and to disk, never whole into memory, and
// no SDK of a hundred packages is needed for four requests. Path-style URLs, so MinIO, Ceph RGW, Garage and AWS
// all answer at http(s)://endpoint/bucket/key.
import { createHash, createHmac } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { pipeline } from 'node:stream/promises';

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
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'ObjectStoreError';
  }
}

const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

/** RFC 3986 encoding as SigV4 wants it: every byte but unreserved characters, '/' kept between segments. */
function encodeKey(key: string): string {
  return key.split('/').map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)).join('/');
}

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

/** The Authorization header and the headers it signs, for one request at `now`. */
export function signRequest(loc: S3Location, method: string, canonicalPath: string, payloadSha256: string, now: Date, extra: Record<string, string> = {}): Record<string, string> {
  const host = new URL(loc.endpoint).host;
  const amzDate = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = { ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k.toLowerCase(), v])), host, 'x-amz-content-sha256': payloadSha256, 'x-amz-date': amzDate };
  const names = Object.keys(headers).sort();
  const canonical = [method, canonicalPath, '', ...names.map((n) => `${n}:${headers[n].trim()}`), '', names.join(';'), payloadSha256].join('\n');
  const scope = `${day}/${loc.region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${loc.secretAccessKey}`, day), loc.region), 's3'), 'aws4_request');
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  return { ...headers, authorization: `AWS4-HMAC-SHA256 Credential=${loc.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}` };
}

interface Sent { status: number; response: http.IncomingMessage }

function send(loc: S3Location, method: string, key: string | undefined, payloadSha256: string, body?: { file: string; bytes: number }): Promise<Sent> {
  const canonicalPath = `/${encodeKey(loc.bucket)}${key === undefined ? '' : `/${encodeKey(key)}`}`;
  const url = new URL(canonicalPath, loc.endpoint);
  const headers = signRequest(loc, method, canonicalPath, payloadSha256, new Date(), body ? { 'content-length': String(body.bytes) } : {});
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(url, { method, headers }, (response) => resolve({ status: response.statusCode ?? 0, response }));
    req.on('error', (e) => reject(new ObjectStoreError(0, `cannot reach the object store at ${loc.endpoint}: ${e.message}`)));
    if (body) pipeline(createReadStream(body.file), req).catch(reject);
    else req.end();
  });
}

async function drain(response: http.IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of response) text += chunk;
  return text;
}

async function failed(loc: S3Location, what: string, sent: Sent): Promise<ObjectStoreError> {
  const body = await drain(sent.response);
  const code = /<Code>([^<]+)<\/Code>/.exec(body)?.[1];
  return new ObjectStoreError(sent.status, `${what} on ${loc.endpoint} bucket ${loc.bucket} failed: HTTP ${sent.status}${code ? ` ${code}` : ''}`);
}

/** Whether the object exists (its size when it does). */
export async function headObject(loc: S3Location, key: string): Promise<{ bytes: number } | undefined> {
  const sent = await send(loc, 'HEAD', key, EMPTY_SHA256);
  await drain(sent.response);
  if (sent.status === 404) return undefined;
  if (sent.status !== 200) throw await failed(loc, `HEAD ${key}`, sent);
  return { bytes: Number(sent.response.headers['content-length'] ?? 0) };
}

/** Uploads a file; the service checks the SHA-256 we sign against the bytes it receives. */
export async function putObject(loc: S3Location, key: string, file: string, sha256: string, bytes: number): Promise<void> {
  const sent = await send(loc, 'PUT', key, sha256, { file, bytes });
  if (sent.status !== 200) throw await failed(loc, `PUT ${key}`, sent);
  await drain(sent.response);
}

/** Downloads an object into `file` (the caller renames it into place once checked). */
export async function getObject(loc: S3Location, key: string, file: string): Promise<void> {
  const sent = await send(loc, 'GET', key, EMPTY_SHA256);
  if (sent.status !== 200) throw await failed(loc, `GET ${key}`, sent);
  await pipeline(sent.response, createWriteStream(file));
}

/** Creates the bucket; one that exists already (ours) is fine. */
export async function ensureBucket(loc: S3Location): Promise<void> {
  const sent = await send(loc, 'PUT', undefined, EMPTY_SHA256);
  const body = await drain(sent.response);
  if (sent.status === 200 || /BucketAlreadyOwnedByYou/.test(body)) return;
  throw new ObjectStoreError(sent.status, `creating bucket ${loc.bucket} on ${loc.endpoint} failed: HTTP ${sent.status} ${/<Code>([^<]+)<\/Code>/.exec(body)?.[1] ?? ''}`.trim());
}
