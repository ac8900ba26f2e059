// Artifacts of a job: confined to Output/<job>/, written to a temp name and renamed into place,
// and skipped when they already exist for the same inputs (content hash) — what makes resume cheap.
import { createHash } from 'node:crypto';
import { tempName } from '../engines/tempNames.js';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { activityContext } from '../engines/activityContext.js';
import { createExclusive } from '../engines/noFollow.js';
import { mkdirNoSymlinks } from './jobFolder.js';
import { jobFolderOf, type JobRef } from '../lib/job.js';

export function jobDir(job: JobRef): string {
  return path.normalize(jobFolderOf(job));
}

/** Absolute path of an artifact; refuses anything that would land outside the job folder. */
export function inJob(job: JobRef, rel: string): string {
  const dir = jobDir(job);
  const abs = path.resolve(dir, rel);
  if (abs !== dir && !abs.startsWith(dir + path.sep)) throw new Error(`refusing to write outside ${dir}: ${rel}`);
  return abs;
}

/** Bumped when the way an artifact is made changes, so older caches are not reused. */
const ARTIFACT_FORMAT = 1;

export function hashOf(...values: unknown[]): string {
  return createHash('sha256').update(JSON.stringify([ARTIFACT_FORMAT, ...values])).digest('hex').slice(0, 32);
}

/**
 * A sibling temp name that keeps the extension (ffmpeg picks the format from it), unique to this activity
 * attempt: a retry never writes into the file a dying predecessor may still be writing. The same within one
 * attempt, so the writer and the commit agree on it.
 */
export function tmpOf(abs: string): string {
  const info = activityContext()?.info;
  // The same name for every call of one attempt (an argv names it, commit renames it); another attempt has its own.
  return tempName(abs, info ? `${info.activityId}-${info.attempt}` : `p${process.pid}`);
}

function stampOf(job: JobRef, abs: string): string {
  return path.join(jobDir(job), 'tmp', 'cache', `${path.relative(jobDir(job), abs)}.sha`);
}

export async function exists(abs: string): Promise<boolean> {
  return stat(abs).then(() => true, () => false);
}

export async function isFresh(job: JobRef, abs: string, hash: string): Promise<boolean> {
  if (!(await exists(abs))) return false;
  return readFile(stampOf(job, abs), 'utf8').then((h) => h === hash, () => false);
}

/** Rename the finished temp file into place, then record the hash of the inputs it was made from. */
export async function commit(job: JobRef, tmp: string, abs: string, hash: string): Promise<void> {
  await rename(tmp, abs);
  const stamp = stampOf(job, abs);
  await mkdir(path.dirname(stamp), { recursive: true });
  await writeFile(stamp, hash);
}

export async function writeAtomic(job: JobRef, abs: string, content: string, hash = hashOf(content)): Promise<void> {
  await mkdir(path.dirname(abs), { recursive: true });
  const tmp = tmpOf(abs);
  await rm(tmp, { force: true }); // a leftover of this very attempt; a link there is removed, never followed
  await createExclusive(tmp, content);
  await commit(job, tmp, abs, hash);
}

export async function ensureDirs(job: JobRef, ...rels: string[]): Promise<void> {
  // Each folder on the way a real one: a link planted in the job folder is refused, not followed.
  await mkdir(jobDir(job), { recursive: true });
  for (const rel of rels) await mkdirNoSymlinks(jobDir(job), path.relative(jobDir(job), inJob(job, rel)));
}

export async function removeQuietly(abs: string): Promise<void> {
  await rm(abs, { force: true });
}

/** The engine command log kept per job (argv, wall time, exit code) for the benchmark's replay. */
export function commandLog(job: JobRef): string {
  return path.join(jobDir(job), 'tmp', 'commands.jsonl');
}

/** Requests answered by the warm engine host (no program was started for them, so not in commands.jsonl). */
export function hostRequestLog(job: JobRef): string {
  return path.join(jobDir(job), 'tmp', 'engine-host.jsonl');
}
