// A job's identity: which folder it takes, which id it gets, and what job input may say about either.
import { describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { claimFolder, fileStem, folderCandidates, lockFolder, readLock, unlockFolder } from '../../storage/jobFolder.js';
import { jobIdFor } from '../../client/api.js';
import { loadSettings, parseJobOptions, resolveJobOptions } from '../../config/load.js';

const settings = loadSettings({});
const tmp = () => mkdtemp(path.join(os.tmpdir(), 'anime-dub-identity-'));

describe('job input is strict', () => {
  it('refuses an unknown key by name, at the top and inside a section', () => {
    const top = parseJobOptions({ video: '/v.mp4', tgtt: 'fr' });
    expect(top).toEqual({ ok: false, message: 'tgtt: unknown option' });
    const inner = parseJobOptions({ video: '/v.mp4', asr: { engin: 'whisper' } });
    expect(inner).toEqual({ ok: false, message: 'asr.engin: unknown option' });
  });

  it('fills every default in', () => {
    const r = parseJobOptions({ video: '/v.mp4' });
    expect(r.ok && r.options.fit.maxSpeed).toBe(1.25);
    expect(r.ok && r.options.asr.engine).toBe('auto');
  });

  it.each([
    ['/etc', /not an absolute path/],
    ['../up', /no \. or \.\./],
    ['season1/../../x', /no \. or \.\./],
    ['-rf', /do not start with - or \./],
    ['a b', /letters, digits/],
    ['shows/series', /not named series/],
  ])('refuses output sub-folder %s', (outputDir, why) => {
    const r = parseJobOptions({ video: '/v.mp4', outputDir });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toMatch(why);
  });

  it('takes a plain sub-folder', () => {
    expect(parseJobOptions({ video: '/v.mp4', outputDir: 'season1/fr' }).ok).toBe(true);
  });
});

describe('job folders', () => {
  it('carries the stem and the dub language; a stem shared with another input takes the parent folder', async () => {
    expect(folderCandidates('/a/season1/ep01.mkv', 'en').slice(0, 2)).toEqual(['ep01.en', 'ep01.season1.en']);
    expect(fileStem('/x/-rf .mp4')).toBe('rf_');
    const root = await tmp();
    const one = await claimFolder(root, undefined, '/a/season1/ep01.mkv', 'en');
    const two = await claimFolder(root, undefined, '/a/season2/ep01.mkv', 'en');
    const again = await claimFolder(root, undefined, '/a/season1/ep01.mkv', 'en');
    expect([one.name, two.name, again.name]).toEqual(['ep01.en', 'ep01.season2.en', 'ep01.en']);
    const french = await claimFolder(root, undefined, '/a/season1/ep01.mkv', 'fr');
    expect(french.name).toBe('ep01.fr');
  });

  it('never nests a job folder inside another: an outputDir leading into a job folder is refused', async () => {
    const root = await tmp();
    const outer = await claimFolder(root, undefined, '/a/ep01.mkv', 'en');
    await expect(claimFolder(root, outer.name, '/a/ep02.mkv', 'en')).rejects.toThrow(/leads into the job folder ep01\.en/);
    await expect(claimFolder(root, `${outer.name}/deeper`, '/a/ep02.mkv', 'en')).rejects.toThrow(/leads into the job folder ep01\.en/);
    expect((await claimFolder(root, 'season1', '/a/ep02.mkv', 'en')).name).toBe('ep02.en');
  });

  it('never writes through a symlink planted inside the root', async () => {
    const root = await tmp();
    const elsewhere = await tmp();
    await symlink(elsewhere, path.join(root, 'season1'));
    await expect(claimFolder(root, 'season1', '/a/ep.mkv', 'en')).rejects.toThrow(/is a link or a file, not a folder/);
    await mkdir(path.join(root, 'ok'));
    await symlink(elsewhere, path.join(root, 'ok', 'ep.en'));
    await expect(claimFolder(root, 'ok', '/a/ep.mkv', 'en')).rejects.toThrow(/is a link or a file/);
  });

  it('is owned by one running job: the same job re-enters, another is refused, a finished one is taken over', async () => {
    const dir = await tmp();
    const running = new Set(['job-a']);
    const isRunning = async (id: string) => running.has(id);
    await lockFolder(dir, 'job-a', isRunning);
    await lockFolder(dir, 'job-a', isRunning);
    await expect(lockFolder(dir, 'job-b', isRunning)).rejects.toThrow(/being written by job job-a/);
    running.delete('job-a');
    await lockFolder(dir, 'job-b', isRunning);
    expect((await readLock(dir))?.workflowId).toBe('job-b');
    await unlockFolder(dir, 'job-a'); // not its lock any more: left alone
    expect((await readLock(dir))?.workflowId).toBe('job-b');
    await unlockFolder(dir, 'job-b');
    expect(await readLock(dir)).toBeUndefined();
  });
});

describe('workflow ids', () => {
  const opts = (extra: Record<string, unknown> = {}) => resolveJobOptions(settings, { video: '/v/season1/ep01.mkv', tgt: 'en', ...extra }, '/');

  it('are the same for the same input, root and options, whatever the key order', () => {
    expect(jobIdFor(opts({ fit: { maxSpeed: 1.2 }, src: 'ja' }), '/out')).toBe(jobIdFor(opts({ src: 'ja', fit: { maxSpeed: 1.2 } }), '/out'));
    expect(jobIdFor(opts(), '/out')).toMatch(/^dub-ep01-en-[0-9a-f]{12}$/);
  });

  it('differ for another input with the same name, another language, another root or other options', () => {
    const base = jobIdFor(opts(), '/out');
    expect(jobIdFor(resolveJobOptions(settings, { video: '/v/season2/ep01.mkv', tgt: 'en' }, '/'), '/out')).not.toBe(base);
    expect(jobIdFor(opts({ tgt: 'fr' }), '/out')).not.toBe(base);
    expect(jobIdFor(opts(), '/elsewhere')).not.toBe(base);
    expect(jobIdFor(opts({ fit: { maxSpeed: 1.2 } }), '/out')).not.toBe(base);
  });
});

