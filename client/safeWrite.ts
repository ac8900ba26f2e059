// Files the CLI writes into folders it did not make (a job folder downloaded from someone else, a shared series
// folder) and files it reads from them. Such a folder may hold planted symbolic links: a `review.json.part`
// pointing at ~/.bashrc must not make `review … edit` overwrite it. So nothing here follows a link:
//  - the folder itself and every folder between it and the file must be real folders (lstat, not stat);
//  - the final name, when it is a link, is refused with a message (never followed, never silently replaced);
//  - content goes to a new temporary name created exclusively (O_CREAT|O_EXCL|O_NOFOLLOW, random suffix),
//    then one rename puts it in place (rename replaces a name, it never writes through one).
// Parse errors of JSON read from such files name the file, the line and what was expected: never its content.
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { lstatOrNone, openNoFollow } from '../engines/noFollow.js';
import { tempName } from '../engines/tempNames.js';
import { printable } from './terminalText.js';

const linkRefused = (p: string) =>
  new Error(`${printable(p)} is a symbolic link: refusing to follow or replace it (a folder may hold links planted to overwrite other files); remove the link and try again`);

/** The parts of a relative name inside a folder: no absolute paths, no `.` or `..`. */
function nameParts(name: string): string[] {
  const parts = name.split('/').filter(Boolean);
  if (path.isAbsolute(name) || !parts.length || parts.some((p) => p === '.' || p === '..')) {
    throw new Error(`${printable(name)}: not a plain name inside the folder`);
  }
  return parts;
}

/** `dir` must be a real folder, not a link to one (a trailing slash would make lstat follow it: resolved away). */
async function realFolder(dir: string): Promise<void> {
  const st = await lstatOrNone(dir);
  if (!st) throw new Error(`${printable(dir)}: no such folder`);
  if (st.isSymbolicLink()) throw linkRefused(dir);
  if (!st.isDirectory()) throw new Error(`${printable(dir)} is not a folder`);
}

/**
 * Where `name` (relative, may have sub-folders) goes inside `dir`, after checking that no part of the way is a
 * link: `dir`, each sub-folder (made when `create`, one at a time, never through a link) and the name itself.
 */
export async function safeTarget(dir: string, name: string, opts: { create?: boolean } = {}): Promise<string> {
  const parts = nameParts(name);
  let current = path.resolve(dir);
  await realFolder(current);
  for (const part of parts.slice(0, -1)) {
    current = path.join(current, part);
    if (opts.create && !(await lstatOrNone(current))) {
      await mkdir(current).catch((e: NodeJS.ErrnoException) => (e.code === 'EEXIST' ? undefined : Promise.reject(e)));
    }
    await realFolder(current);
  }
  const target = path.join(current, parts[parts.length - 1]);
  const st = await lstatOrNone(target);
  if (st?.isSymbolicLink()) throw linkRefused(target);
  if (st?.isDirectory()) throw new Error(`${printable(target)} is a folder; expected a file there`);
  return target;
}

/** A new file next to `target` under a random name, created exclusively: an existing name or link makes it fail. */
async function exclusiveTemp(target: string, mode: number): Promise<{ tmp: string; handle: FileHandle }> {
  const tmp = tempName(target);
  const handle = await openNoFollow(tmp, 'new', mode);
  return { tmp, handle };
}

/** Fills a fresh temporary file with `fill`, then renames it onto `dir/name` (checked again just before). */
async function writeVia(dir: string, name: string, mode: number, fill: (handle: FileHandle) => Promise<void>, create = false): Promise<string> {
  const target = await safeTarget(dir, name, { create });
  const { tmp, handle } = await exclusiveTemp(target, mode);
  try {
    try {
      await fill(handle);
    } finally {
      await handle.close();
    }
    await safeTarget(dir, name);
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {});
    throw e;
  }
  return target;
}

/** Writes `content` to `dir/name` without following any link (see the top of this file). Returns the path. */
export function writeFileNoFollow(dir: string, name: string, content: string | Uint8Array, opts: { mode?: number; create?: boolean } = {}): Promise<string> {
  return writeVia(dir, name, opts.mode ?? 0o644, (h) => h.writeFile(content), opts.create);
}

/** Copies `source` (a file the user named) to `dir/name` without following any link inside `dir`. */
export function copyFileNoFollow(source: string, dir: string, name: string, opts: { mode?: number; create?: boolean } = {}): Promise<string> {
  return writeVia(dir, name, opts.mode ?? 0o644, async (h) => {
    for await (const chunk of createReadStream(source)) await h.write(chunk as Buffer);
  }, opts.create);
}

/** Moves a file this process made (e.g. inside `privateWorkFolder`) onto `dir/name`, with the same checks. */
export async function renameNoFollow(from: string, dir: string, name: string): Promise<string> {
  const target = await safeTarget(dir, name);
  await rename(from, target);
  return target;
}

/**
 * A new folder inside `dir` (random name, mode 0700) for programs that write files by name (engines, ffmpeg):
 * nothing can be planted in it, so they write where we say. The caller removes it, and checks `dir` first where
 * it matters (safeTarget): a new folder made through a link is still ours, but it lands where the link points.
 */
export async function privateWorkFolder(dir: string, prefix: string): Promise<string> {
  return mkdtemp(path.join(path.resolve(dir), `.${prefix}-`));
}

/** Reads `dir/name` as text; a link there (or on the way) is refused, not followed. */
export async function readFileNoFollow(dir: string, name: string): Promise<string> {
  const target = await safeTarget(dir, name);
  const handle = await openNoFollow(target, 'read').catch((e: NodeJS.ErrnoException) =>
    Promise.reject(e.code === 'ELOOP' ? linkRefused(target) : e));
  try {
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/**
 * JSON.parse, with a failure that says where and what was expected (`line 3, column 7: expected "," or "}"`)
 * and nothing of the text: V8's own message quotes a snippet of it.
 */
export function parseJsonQuietly(text: string, label: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const at = jsonSyntaxError(text);
    if (!at) throw new Error(`${label} is not JSON`);
    const before = text.slice(0, at.offset);
    const line = before.split('\n').length;
    const column = at.offset - (before.lastIndexOf('\n') + 1) + 1;
    throw new Error(`${label} is not JSON: line ${line}, column ${column}: expected ${at.expected}`);
  }
}

/** The first place `text` stops being JSON and what JSON allows there (undefined when nested too deep to say). */
export function jsonSyntaxError(text: string): { offset: number; expected: string } | undefined {
  let i = 0;
  const stop = (expected: string): never => {
    throw { offset: i, expected: i >= text.length && !expected.includes('ends too early') ? `${expected} (the file ends too early)` : expected };
  };
  const space = () => { while (i < text.length && ' \t\n\r'.includes(text[i])) i++; };
  const string = () => {
    i++;
    for (;;) {
      if (i >= text.length) stop('a closing quote');
      const c = text[i];
      if (c === '"') { i++; return; }
      if (c < ' ') stop('no control character inside a string (\\n, \\t, …)');
      if (c === '\\') {
        i++;
        if (i < text.length && '"\\/bfnrt'.includes(text[i])) i++;
        else if (text[i] === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) i += 5;
        else stop('an escape (\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)');
      } else {
        i++;
      }
    }
  };
  const value = (): void => {
    space();
    const c = text[i];
    if (c === '{') {
      i++;
      space();
      if (text[i] === '}') { i++; return; }
      for (;;) {
        space();
        if (text[i] !== '"') stop('a key in double quotes');
        string();
        space();
        if (text[i] !== ':') stop('":"');
        i++;
        value();
        space();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return; }
        stop('"," or "}"');
      }
    }
    if (c === '[') {
      i++;
      space();
      if (text[i] === ']') { i++; return; }
      for (;;) {
        value();
        space();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return; }
        stop('"," or "]"');
      }
    }
    if (c === '"') return string();
    const number = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
    number.lastIndex = i;
    if (number.test(text) && number.lastIndex > i) { i = number.lastIndex; return; }
    for (const literal of ['true', 'false', 'null']) if (text.startsWith(literal, i)) { i += literal.length; return; }
    stop(i >= text.length ? 'a value (the file ends too early)' : 'a value (a string in double quotes, a number, true, false, null, { or [)');
  };
  try {
    value();
    space();
    if (i < text.length) stop('the end of the file (one JSON value only)');
    return undefined;
  } catch (e) {
    if (e instanceof RangeError) return undefined;
    if (e && typeof e === 'object' && 'offset' in e) return e as { offset: number; expected: string };
    throw e;
  }
}
