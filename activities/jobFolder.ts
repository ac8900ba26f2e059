// Which folder a job writes to, and that only one running job writes there.
//   <output root>/[<sub-folder>/]<stem>.<lang>/        the name people look for
//   <stem>.<parent folder>.<lang>, <stem>.<path hash>.<lang>   when another input with that stem owns the first
// The folder remembers its input (.input.json, created once with O_EXCL), so a rerun of the same input finds
// its finished work again, and a different input never writes into it. `.lock` names the running job.
import { createHash } from 'node:crypto';
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

const lockPath = (dir: string) => path.join(dir, '.lock');

export async function readLock(dir: string): Promise<FolderLock | undefined> {
  return readFile(lockPath(dir), 'utf8').then((t) => JSON.parse(t) as FolderLock, () => undefined);
}

/**
 * One running job per folder, across every worker sharing the output root. The same workflow (a retry, a
 * resumed run) takes its own lock again; a lock whose job is no longer running is taken over.
 */
export async function lockFolder(dir: string, workflowId: string, isRunning: (workflowId: string) => Promise<boolean>): Promise<void> {
  const mine: FolderLock = { workflowId, host: os.hostname(), pid: process.pid, since: new Date().toISOString() };
  for (let tries = 0; tries < 3; tries++) {
    try {
      await writeFile(lockPath(dir), JSON.stringify(mine), { flag: 'wx' });
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = await readLock(dir);
    if (holder?.workflowId === workflowId) return;
    if (holder && (await isRunning(holder.workflowId))) {
      throw failure(ErrorType.FolderBusy, `${dir} is being written by job ${holder.workflowId} (since ${holder.since}); `
        + `follow it with \`anime-dub status ${holder.workflowId}\`, or dub into another --output folder`);
    }
    // A stale lock (its job ended without releasing it): replaced in one rename, then checked again above.
    const tmp = `${lockPath(dir)}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    await writeFile(tmp, JSON.stringify(mine));
    await rm(lockPath(dir), { force: true });
    await rename(tmp, lockPath(dir)).catch(() => rm(tmp, { force: true }));
    if ((await readLock(dir))?.workflowId === workflowId) return;
  }
  throw failure(ErrorType.FolderBusy, `${dir} is being claimed by another job at the same moment; try again`);
}

/** Ends this job's ownership (only its own lock: a later job's is left alone). */
export async function unlockFolder(dir: string, workflowId: string): Promise<void> {
  if ((await readLock(dir))?.workflowId === workflowId) await rm(lockPath(dir), { force: true });
}
