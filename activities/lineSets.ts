// Line lists by reference: written once to the job folder under their content hash, read back by the next step.
// Temporal carries only { ref, count }: a 10,000-line episode stays far under its payload limits.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ErrorType, failure } from '../lib/errors.js';
import { isLineSet, type JobRef, type LineSet, type Lines, type PreparedJob, type TranslatedLine } from '../lib/job.js';
import { applyOverrides, type ReviewOverrides } from '../lib/review.js';
import { commit, hashOf, inJob, tmpOf } from '../storage/artifacts.js';

/** Writes a list as tmp/lines/<kind>-<hash>.json (kept when already there: same content, same name). */
export async function storeLines<T>(job: JobRef, kind: string, items: readonly T[]): Promise<LineSet> {
  const text = JSON.stringify(items);
  const hash = hashOf(kind, text).slice(0, 20);
  const ref = `tmp/lines/${kind}-${hash}.json`;
  const abs = inJob(job, ref);
  await mkdir(path.dirname(abs), { recursive: true });
  await writeFile(tmpOf(abs), text);
  await commit(job, tmpOf(abs), abs, hash);
  return { ref, count: items.length };
}

/** A folder of batch files (<first index>.json each) is read in index order and flattened. */
async function readFolder<T>(abs: string): Promise<T[]> {
  const files = (await readdir(abs)).filter((f) => /^\d+\.json$/.test(f)).sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
  const parts = await Promise.all(files.map(async (f) => JSON.parse(await readFile(path.join(abs, f), 'utf8')) as T[]));
  return parts.flat();
}

/** Content-addressed files never change: the last few read are kept (every batch of a job reads the same set). */
const recent = new Map<string, unknown[]>();

async function readSetFile<T>(abs: string): Promise<T[]> {
  const hit = recent.get(abs);
  if (hit) return hit as T[];
  const items = JSON.parse(await readFile(abs, 'utf8')) as T[];
  recent.set(abs, items);
  if (recent.size > 4) recent.delete(recent.keys().next().value!);
  return items;
}

export async function linesOf<T>(job: JobRef, lines: Lines<T>): Promise<T[]> {
  if (!isLineSet(lines)) return [...lines];
  if (lines.count === 0) return [];
  const abs = inJob(job, lines.ref);
  // A copy: a step that changes its lines must not change the cached set.
  const items = lines.ref.endsWith('.json') ? structuredClone(await readSetFile<T>(abs)) : await readFolder<T>(abs);
  if (items.length !== lines.count) {
    throw failure(ErrorType.EngineFailed, `${lines.ref} holds ${items.length} entries, ${lines.count} expected (a step did not finish writing it)`);
  }
  return items;
}

/** Writes one batch of a folder list (a retried batch overwrites its own file, atomically). */
export async function storeBatch<T>(job: JobRef, folderRef: string, first: number, items: readonly T[]): Promise<void> {
  const abs = inJob(job, `${folderRef}/${first}.json`);
  await mkdir(path.dirname(abs), { recursive: true });
  await writeFile(tmpOf(abs), JSON.stringify(items));
  await commit(job, tmpOf(abs), abs, hashOf(items));
}

/** Entries [offset, offset + n) of a list, as many as fit in about 256 KB: how the review loop reads lines. */
export async function readLinePage(prep: PreparedJob, lines: LineSet, offset: number): Promise<{ lines: TranslatedLine[]; next?: number }> {
  const all = await linesOf<TranslatedLine>(prep.job, lines);
  const out: TranslatedLine[] = [];
  let bytes = 0;
  let i = offset;
  for (; i < all.length && (out.length === 0 || bytes < 256_000); i++) {
    bytes += JSON.stringify(all[i]).length;
    out.push(all[i]);
  }
  return { lines: out, ...(i < all.length ? { next: i } : {}) };
}

/** A re-render's or a review's edits applied to the machine translation. */
export async function applyEdits(prep: PreparedJob, machine: LineSet, overrides: ReviewOverrides): Promise<LineSet> {
  return storeLines(prep.job, 'edited', applyOverrides(await linesOf<TranslatedLine>(prep.job, machine), overrides));
}
