// Files that never follow a link: a job or series folder may hold a link someone planted (a downloaded folder,
// another user on a shared root), and following it would write outside the output root. The one place that
// spells O_NOFOLLOW: reads and appends open with it; whole files go to a temp name created exclusively (O_EXCL fails
// on anything already there, a link included) and are renamed into place (rename replaces a link, never writes
// through it); folders on the way are looked at with lstat, never stat. The worker's stores and the CLI's
// safeWrite (client/safeWrite.ts: the same checks, with messages for a person) both build on this.
import { constants, type Stats } from 'node:fs';
import { lstat, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { tempName } from './tempNames.js';

/** 0 where the platform has no O_NOFOLLOW (the lstat checks still stand). */
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;

const FLAGS = {
  read: constants.O_RDONLY | NOFOLLOW,
  append: constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | NOFOLLOW,
  /** A new file: fails (EEXIST) when anything, a link included, already has the name. */
  new: constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NOFOLLOW,
} as const;

/** Opens `file` without following a link there (ELOOP instead). */
export function openNoFollow(file: string, how: keyof typeof FLAGS, mode = 0o644): Promise<FileHandle> {
  return open(file, FLAGS[how], mode);
}

/** lstat, or undefined when nothing has the name (other errors are thrown). */
export function lstatOrNone(p: string): Promise<Stats | undefined> {
  return lstat(p).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : Promise.reject(e)));
}

/** Appends text; a link at `file` makes it fail (ELOOP) instead of writing through it. */
export async function appendNoFollow(file: string, text: string): Promise<void> {
  const fh = await openNoFollow(file, 'append');
  try {
    await fh.writeFile(text);
  } finally {
    await fh.close();
  }
}

/** A new file, created exclusively (`wx`): fails when anything, a link included, already has the name. */
export async function createExclusive(file: string, content: string | Uint8Array): Promise<void> {
  const fh = await openNoFollow(file, 'new');
  try {
    await fh.writeFile(content);
  } finally {
    await fh.close();
  }
}

/** Replaces `file` with `content` through an exclusive temp name beside it. */
export async function replaceNoFollow(file: string, content: string | Uint8Array): Promise<void> {
  const tmp = tempName(file);
  try {
    await createExclusive(tmp, content);
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
}
