// A series' folder beside the outputs and its cast: <output root>/[<sub-folder>/]series/<name>/cast.json (+ voices/
// for voice cloning's reference clips). Every change happens under the folder's lock (.cast.lock, proper-lockfile's
// atomic folder, refreshed while held), so two episodes dubbed at once, on any worker sharing the output root, never give one speaker two voices.
// With the s3 artifact store (hosts share no disk) the folder lives in the store too (a SeriesStore, made by
// storage/jobMirror.ts): the lock is one object there, created and taken over by conditional writes, and the
// folder is pulled after the lock is taken and pushed before it is let go.
import { randomBytes } from 'node:crypto';
import { tempName } from '../engines/tempNames.js';
import { link, lstat, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import lockfile from 'proper-lockfile';
import os from 'node:os';
import path from 'node:path';
import { castSchema, describeIssues, seriesNameProblem, type Cast } from '../config/schema.js';
import { EMPTY_CAST } from '../lib/cast.js';
import { ErrorType, failure } from '../lib/errors.js';
import { mkdirNoSymlinks, type LockSlot } from './jobFolder.js';
import { replaceNoFollow } from '../engines/noFollow.js';

export const SERIES_FOLDER = 'series';
export const CAST_FILE = 'cast.json';
export const CAST_LOCK_FILE = '.cast.lock';
const LOCK_FILE = CAST_LOCK_FILE;
/** Who holds the shared-folder lock (the lock itself is proper-lockfile's folder). */
const HOLDER_FILE = '.cast.holder.json';

/** A series folder kept in a store shared by hosts: its lock there, and the folder brought from and sent to it. */
export interface SeriesStore {
  lock: LockSlot;
  /** Brings the local folder up to the store's copy; the function it returns publishes what changed since. */
  pull(): Promise<() => Promise<void>>;
  /** Publishes a file into the folder only if the store has none at that name yet (the first wins; placed here too then); false if it had one. */
  placeOnce(src: string, rel: string): Promise<boolean>;
}

/** The series folder under `base` (the output root, or the job's sub-folder of it), made if missing; never through a link. */
export async function seriesFolder(base: string, name: string): Promise<string> {
  const problem = seriesNameProblem(name);
  if (problem) throw failure(ErrorType.InvalidConfig, `series name ${JSON.stringify(name)}: ${problem}`);
  await mkdir(base, { recursive: true });
  return mkdirNoSymlinks(base, path.join(SERIES_FOLDER, name));
}

/** The cast in a series folder (empty when no episode has been dubbed yet). */
export async function readCast(dir: string): Promise<Cast> {
  const file = path.join(dir, CAST_FILE);
  const st = await lstat(file).catch(() => undefined);
  if (!st) return EMPTY_CAST;
  if (!st.isFile()) throw failure(ErrorType.OutputNotWritable, `${file} is not a plain file`);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    // The parser's message would quote the file; the file's name and what to do are enough.
    throw failure(ErrorType.InvalidConfig, `${file} is not JSON; fix or remove it`);
  }
  const parsed = castSchema.safeParse(raw);
  // Keys and rules named, no values from the file quoted back.
  if (!parsed.success) throw failure(ErrorType.InvalidConfig, `${file}: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** Written to a temp name and renamed: a reader never sees half a cast. */
export async function writeCast(dir: string, cast: Cast): Promise<void> {
  const file = path.join(dir, CAST_FILE);
  const tmp = tempName(file);
  await writeFile(tmp, `${JSON.stringify(cast, null, 2)}\n`);
  await rename(tmp, file);
}

interface CastLock { owner: string; host: string; pid: number; since: string; token: string }

export interface LockOptions {
  /** Who holds it (a workflow id, `anime-dub cast set`), for the message a waiting job gives. */
  owner: string;
  /** Give up after this long (ms). */
  timeoutMs?: number;
  /** A lock older than this is taken over (its holder died: a cast update holds it for milliseconds). */
  staleMs?: number;
  /** Called while waiting (an activity heartbeats). */
  onWait?: () => void;
  /** The folder lives in a store shared by hosts (the s3 artifact store). */
  store?: SeriesStore;
}

/**
 * Runs `update` holding the series folder's lock. On a shared folder that is proper-lockfile's lock (an atomic
 * mkdir of .cast.lock, its mtime refreshed while held, taken over once stale): waited for with backoff while
 * another holder has it. Who holds it is written beside it (.cast.holder.json), for the message only.
 */
export async function withCastLock<T>(dir: string, o: LockOptions, update: () => Promise<T>): Promise<T> {
  if (o.store) return withStoreCastLock(dir, o.store, o, update);
  const holderFile = path.join(dir, HOLDER_FILE);
  const mine: CastLock = { owner: o.owner, host: os.hostname(), pid: process.pid, since: new Date().toISOString(), token: randomBytes(8).toString('hex') };
  const deadline = Date.now() + (o.timeoutMs ?? 120_000);
  const staleMs = Math.max(5_000, o.staleMs ?? 60_000);
  let release: (() => Promise<void>) | undefined;
  for (let wait = 20; !release; wait = Math.min(1000, wait * 2)) {
    try {
      release = await lockfile.lock(dir, { lockfilePath: path.join(dir, LOCK_FILE), stale: staleMs, update: staleMs / 2, realpath: false, retries: 0, onCompromised: () => undefined });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw e;
    }
    if (Date.now() > deadline) {
      const holder = await readFile(holderFile, 'utf8').then((t) => parseCastLock(t), () => undefined);
      // Retryable: the holder is alive and busy, not wrong.
      throw new Error(`the cast in ${dir} stayed locked by ${holder?.owner ?? 'another job'} (since ${holder?.since ?? '?'}); try again`);
    }
    o.onWait?.();
    await sleep(wait + Math.floor(Math.random() * wait));
  }
  try {
    await replaceNoFollow(holderFile, JSON.stringify(mine));
    return await update();
  } finally {
    await rm(holderFile, { force: true });
    await release().catch(() => undefined); // a lock lost as stale is the new holder's now
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The cast lock as one object in the store: created only where there is none; a stale one (written longer than
 * staleMs ago, by the store's clock) replaced only if it is still the version read, so one waiter takes it over.
 * Holding it: the folder pulled, `update` run, what it changed pushed; then the lock deleted if it is still ours.
 */
async function withStoreCastLock<T>(dir: string, store: SeriesStore, o: LockOptions, update: () => Promise<T>): Promise<T> {
  const mine: CastLock = { owner: o.owner, host: os.hostname(), pid: process.pid, since: new Date().toISOString(), token: randomBytes(8).toString('hex') };
  const text = JSON.stringify(mine);
  const deadline = Date.now() + (o.timeoutMs ?? 120_000);
  const staleMs = o.staleMs ?? 60_000;
  for (let wait = 20; ; wait = Math.min(1000, wait * 2)) {
    if (await store.lock.create(text)) break;
    const held = await store.lock.read();
    // Ours already: a create the service made whose answer was lost, then refused on the SDK's retry.
    if (held && parseCastLock(held.text)?.token === mine.token) break;
    if (held && isStale(held.modified, held.text, staleMs) && (await store.lock.replace(text, held.tag))) break;
    if (Date.now() > deadline) {
      const holder = parseCastLock(held?.text);
      throw new Error(`the cast in ${store.lock.where} stayed locked by ${holder?.owner ?? 'another job'} (since ${holder?.since ?? '?'}${holder?.host ? ` on ${holder.host}` : ''}); try again`);
    }
    if (held) {
      o.onWait?.();
      await sleep(wait + Math.floor(Math.random() * wait));
    }
  }
  try {
    const publish = await store.pull();
    const result = await update();
    await publish();
    return result;
  } finally {
    const now = await store.lock.read().catch(() => undefined);
    if (now && parseCastLock(now.text)?.token === mine.token) await store.lock.remove(now.tag);
  }
}

function parseCastLock(text: string | undefined): CastLock | undefined {
  try {
    return text === undefined ? undefined : JSON.parse(text) as CastLock;
  } catch {
    return undefined;
  }
}

/** Older than staleMs by the store's own stamp (or, without one, by the holder's clock). */
function isStale(modified: Date | undefined, text: string, staleMs: number): boolean {
  const at = modified?.getTime() ?? Date.parse(parseCastLock(text)?.since ?? '');
  return !Number.isFinite(at) || Date.now() - at > staleMs;
}

/** Reads the cast, lets `change` compute the new one (and a result), writes it if it changed: all under the lock. */
export async function updateCast<T>(dir: string, o: LockOptions, change: (cast: Cast) => Promise<{ cast: Cast; result: T }> | { cast: Cast; result: T }): Promise<T> {
  return withCastLock(dir, o, async () => {
    const before = await readCast(dir);
    const { cast, result } = await change(before);
    if (JSON.stringify(cast) === JSON.stringify(before)) return result;
    // A voice the cast cannot hold (a piper model path with a space, say) is this job's problem to name, not to retry.
    const checked = castSchema.safeParse(cast);
    if (!checked.success) throw failure(ErrorType.InvalidConfig, `the cast in ${dir} cannot hold this change: ${describeIssues(checked.error, cast)}`);
    await writeCast(dir, checked.data);
    return result;
  });
}

/**
 * Puts a file into place only if nothing is there yet (hard link of a temp copy): the first clip of a speaker wins.
 * With a store, the first in the store wins (a conditional write of its index object), placed here only then.
 */
export async function placeOnce(src: string, dest: string, store?: { series: SeriesStore; dir: string }): Promise<boolean> {
  if (store) {
    const rel = path.relative(store.dir, dest).split(path.sep).join('/');
    if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) throw new Error(`${dest} is not inside the series folder ${store.dir}`);
    return store.series.placeOnce(src, rel);
  }
  await mkdir(path.dirname(dest), { recursive: true });
  const tmp = tempName(dest);
  await writeFile(tmp, await readFile(src));
  try {
    await link(tmp, dest);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    await rm(tmp, { force: true });
  }
}
