// The one no-follow layer: a link someone planted where we write is refused or replaced, never written through.
import { describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, readdir, symlink, writeFile, lstat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { appendNoFollow, createExclusive, lstatOrNone, openNoFollow, replaceNoFollow } from '../../engines/noFollow.js';

async function planted(): Promise<{ dir: string; victim: string; link: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nofollow-'));
  const victim = path.join(dir, 'victim.txt');
  await writeFile(victim, 'keep me');
  const link = path.join(dir, 'commands.log');
  await symlink(victim, link);
  return { dir, victim, link };
}

describe('noFollow', () => {
  it('append, create and read refuse a link at the name', async () => {
    const { victim, link } = await planted();
    await expect(appendNoFollow(link, 'x')).rejects.toMatchObject({ code: 'ELOOP' });
    await expect(createExclusive(link, 'x')).rejects.toMatchObject({ code: 'EEXIST' });
    await expect(openNoFollow(link, 'read')).rejects.toMatchObject({ code: 'ELOOP' });
    expect(await readFile(victim, 'utf8')).toBe('keep me');
  });

  it('replace puts a file where the link was and leaves its target and no temp file behind', async () => {
    const { dir, victim, link } = await planted();
    await replaceNoFollow(link, 'new');
    expect((await lstat(link)).isFile()).toBe(true);
    expect(await readFile(link, 'utf8')).toBe('new');
    expect(await readFile(victim, 'utf8')).toBe('keep me');
    expect((await readdir(dir)).sort()).toEqual(['commands.log', 'victim.txt']);
  });

  it('lstats without throwing for a missing name', async () => {
    expect(await lstatOrNone(path.join(os.tmpdir(), 'nofollow-missing', 'x'))).toBeUndefined();
  });
});
