// Files made once and shared by every suite of a run (and later runs), under test/.cache. Jest runs suites in
// parallel workers, so two may ask for the same file at once: the first makes it under a lock beside it, the
// others wait for the lock and find it made. A file is always renamed into place whole, so a reader never sees
// half of one.
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import lockfile from 'proper-lockfile';

/** `make(part)` writes the file at `part` (same folder and extension, private to this process). */
export async function madeOnce(file: string, make: (part: string) => Promise<unknown>): Promise<string> {
  if (existsSync(file)) return file;
  await mkdir(path.dirname(file), { recursive: true });
  const release = await lockfile.lock(file, { realpath: false, stale: 20_000, update: 5_000, retries: { retries: 1_000, minTimeout: 200, maxTimeout: 1_000 } });
  try {
    if (existsSync(file)) return file;
    const ext = path.extname(file);
    const part = `${file.slice(0, file.length - ext.length)}.${process.pid}.part${ext}`;
    try {
      await make(part);
      await rename(part, file);
    } finally {
      await rm(part, { force: true });
    }
    return file;
  } finally {
    await release().catch(() => undefined);
  }
}

/** Writes `text` to `file` whole (a reader in another worker sees the old content or the new, never a part). */
export async function writeWhole(file: string, text: string): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  const part = `${file}.${process.pid}.${Math.random().toString(36).slice(2, 8)}.part`;
  await writeFile(part, text);
  await rename(part, file);
  return file;
}
