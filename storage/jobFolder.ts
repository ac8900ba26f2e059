// Which folder a job writes to, and that only one running job writes there.
//   <output root>/[<sub-folder>/]<stem>.<lang>/        the name people look for
//   <stem>.<parent folder>.<lang>, <stem>.<path hash>.<lang>   when another input with that stem owns the first
// The folder remembers its input (.input.json, created once with O_EXCL), so a rerun of the same input finds
// its finished work again, and a different input never writes into it. `.lock` names the running job.
import { createHash } from 'node:crypto';
import { tempName } from '../engines/tempNames.js';
import { lstat, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ErrorType, failure } from '../lib/errors.js';
import type { JobRef } from '../lib/job.js';

const SAFE = /[^\p{L}\p{N}._-]+/gu;

function safeName(text: string, max: number): string {
  return text.normalize('NFC').replace(SAFE, '_').replace(/^[-._]+/, '').slice(0, max);
}

/** A video's name without folder and extension, made safe for a file name (never empty, never starting with - or .). */
export function fileStem(video: string): string {
  return safeName(path.basename(video, path.extname(video)), 120) || 'video';
}

/** The folder names a job may take, in order of preference. */
export function folderCandidates(video: string, lang: string): string[] {
  const stem = fileStem(video);
  const parent = safeName(path.basename(path.dirname(path.resolve(video))), 40);
  const hash = createHash('sha256').update(path.resolve(video)).digest('hex').slice(0, 8);
  return [`${stem}.${lang}`, ...(parent ? [`${stem}.${parent}.${lang}`] : []), `${stem}.${hash}.${lang}`];
}

/** Each folder on the way must be a real folder (or missing): a symlink planted inside the root is never followed. */
export async function mkdirNoSymlinks(root: string, rel: string): Promise<string> {
  let dir = root;
  for (const part of rel.split(/[\\/]+/).filter(Boolean)) {
    dir = path.join(dir, part);
    const st = await lstat(dir).catch(() => undefined);
    if (st?.isSymbolicLink() || (st && !st.isDirectory())) {
      throw failure(ErrorType.OutputNotWritable, `refusing to write through ${path.relative(root, dir)}: it is a link or a file, not a folder`);
    }
    if (!st) await mkdir(dir).catch((e: NodeJS.ErrnoException) => { if (e.code !== 'EEXIST') throw e; });
  }
  return dir;
}

interface InputMark { video: string }

/** Claims the first candidate folder that is free or already belongs to this input. */
export async function claimFolder(root: string, sub: string | undefined, video: string, lang: string): Promise<JobRef> {
  await mkdir(root, { recursive: true });
  // A job folder inside another would be read, mirrored and cleaned with it: outputDir may not lead into one.
  let within = root;
  for (const part of (sub ?? '').split(/[\\/]+/).filter(Boolean)) {
    within = path.join(within, part);
    if (await lstat(path.join(within, '.input.json')).then(() => true, () => false)) {
      throw failure(ErrorType.InvalidConfig, `outputDir ${sub} leads into the job folder ${path.relative(root, within)}; choose a folder that holds no job`);
    }
  }
  const base = sub ? await mkdirNoSymlinks(root, sub) : root;
  for (const name of folderCandidates(video, lang)) {
    const dir = await mkdirNoSymlinks(base, name);
    const mark = path.join(dir, '.input.json');
    try {
      await writeFile(mark, JSON.stringify({ video } satisfies InputMark), { flag: 'wx' });
      return { root: base, name };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = await readFile(mark, 'utf8').then((t) => (JSON.parse(t) as InputMark).video, () => undefined);
    if (owner === video) return { root: base, name };
  }
  throw failure(ErrorType.OutputNotWritable, `every folder name for ${fileStem(video)} in ${base} belongs to another input`);
}

export interface FolderLock { workflowId: string; host: string; pid: number; since: string }

/**
 * A lock kept as one object in a store every host sees (the s3 store: storage/jobMirror.ts), changed only by
 * conditional writes the store makes atomic. Without one, the lock is a file on the (shared) disk.
 */
export interface LockSlot {
  /** Where it lives, for messages. */
  readonly where: string;
  /** Creates it only if there is none (If-None-Match: *); false when another holds it. */
  create(text: string): Promise<boolean>;
  /** Its content, a tag of this version (the ETag) and when the store wrote it; undefined when free. */
  read(): Promise<{ text: string; tag: string; modified?: Date } | undefined>;
  /** Replaces the version read (If-Match: tag); false when it changed or went meanwhile. */
  replace(text: string, tag: string): Promise<boolean>;
  /** Deletes it (that version, where the store can make a delete conditional). */
  remove(tag: string): Promise<void>;
}

const parseLock = <T>(text: string | undefined): T | undefined => {
  try {
    return text === undefined ? undefined : JSON.parse(text) as T;
  } catch {
    return undefined;
  }
};

const lockPath = (dir: string) => path.join(dir, '.lock');

export async function readLock(dir: string): Promise<FolderLock | undefined> {
  return readFile(lockPath(dir), 'utf8').then((t) => JSON.parse(t) as FolderLock, () => undefined);
}

/**
 * One running job per folder, across every worker sharing the output root. The same workflow (a retry, a
 * resumed run) takes its own lock again; a lock whose job is no longer running is taken over.
 */
export async function lockFolder(dir: string, workflowId: string, isRunning: (workflowId: string) => Promise<boolean>, slot?: LockSlot): Promise<void> {
  const mine: FolderLock = { workflowId, host: os.hostname(), pid: process.pid, since: new Date().toISOString() };
  if (slot) return lockInStore(slot, dir, mine, isRunning);
  for (let tries = 0; tries < 3; tries++) {
    try {
      await writeFile(lockPath(dir), JSON.stringify(mine), { flag: 'wx' });
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = await readLock(dir);
    if (holder?.workflowId === workflowId) return;
    if (holder && (await isRunning(holder.workflowId))) throw busy(dir, holder);
    // A stale lock (its job ended without releasing it): replaced in one rename, then checked again above.
    const tmp = tempName(lockPath(dir));
    await writeFile(tmp, JSON.stringify(mine));
    await rm(lockPath(dir), { force: true });
    await rename(tmp, lockPath(dir)).catch(() => rm(tmp, { force: true }));
    if ((await readLock(dir))?.workflowId === workflowId) return;
  }
  throw claimedMeanwhile(dir);
}

const busy = (dir: string, holder: FolderLock) => failure(ErrorType.FolderBusy, `${dir} is being written by job ${holder.workflowId} (since ${holder.since}`
  + `${holder.host && holder.host !== os.hostname() ? ` on ${holder.host}` : ''}); follow it with \`anime-dub status ${holder.workflowId}\`, or dub into another --output folder`);
const claimedMeanwhile = (dir: string) => failure(ErrorType.FolderBusy, `${dir} is being claimed by another job at the same moment; try again`);

/**
 * The same rules with the lock in a store every host sees: created only where there is none, so of two hosts
 * starting at once exactly one gets it; a stale one (its job no longer running) replaced only if it is still the
 * version that was read, so of two hosts taking it over exactly one does.
 */
async function lockInStore(slot: LockSlot, dir: string, mine: FolderLock, isRunning: (workflowId: string) => Promise<boolean>): Promise<void> {
  const text = JSON.stringify(mine);
  for (let tries = 0; tries < 3; tries++) {
    if (await slot.create(text)) return;
    const held = await slot.read();
    if (!held) continue; // released between the two calls
    const holder = parseLock<FolderLock>(held.text);
    if (holder?.workflowId === mine.workflowId) return;
    if (holder?.workflowId && (await isRunning(holder.workflowId))) throw busy(dir, holder);
    if (await slot.replace(text, held.tag)) return;
  }
  throw claimedMeanwhile(dir);
}

/** Ends this job's ownership (only its own lock: a later job's is left alone). */
export async function unlockFolder(dir: string, workflowId: string, slot?: LockSlot): Promise<void> {
  if (slot) {
    const held = await slot.read();
    if (held && parseLock<FolderLock>(held.text)?.workflowId === workflowId) await slot.remove(held.tag);
    return;
  }
  if ((await readLock(dir))?.workflowId === workflowId) await rm(lockPath(dir), { force: true });
}

/** Who holds a folder's lock, from the store when it is kept there. */
export async function lockHolder(dir: string, slot?: LockSlot): Promise<FolderLock | undefined> {
  return slot ? parseLock<FolderLock>((await slot.read())?.text) : readLock(dir);
}
