// Writes that never follow a link: a job or series folder may hold a link someone planted (a downloaded folder,
// another user on a shared root), and following it would write outside the output root. Appends open with
// O_NOFOLLOW; whole files go to a temp name created exclusively (O_EXCL fails on anything already there, a link
// included) and are renamed into place (rename replaces a link, it never writes through it).
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/** Appends text; a link at `file` makes it fail (ELOOP) instead of writing through it. */
export async function appendNoFollow(file: string, text: string): Promise<void> {
  const fh = await open(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
  try {
    await fh.writeFile(text);
  } finally {
    await fh.close();
  }
}

/** A new file, created exclusively (`wx`): fails when anything, a link included, already has the name. */
export async function createExclusive(file: string, content: string | Uint8Array): Promise<void> {
  const fh = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  try {
    await fh.writeFile(content);
  } finally {
    await fh.close();
  }
}

/** Replaces `file` with `content` through an exclusive temp name beside it. */
export async function replaceNoFollow(file: string, content: string | Uint8Array): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.part`);
  try {
    await createExclusive(tmp, content);
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
}
