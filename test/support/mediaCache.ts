// The generated test media (test/.cache/media) kept once per machine, like the engines' venv and the npm tree
// (~/.cache/anime-dub, scripts/setup-common.sh): a clean checkout (CI's case) links its media folder to
// ~/.cache/anime-dub/test-media-<key> instead of speaking, synthesizing and encoding every clip again (a Kokoro
// scene, the 30-loop dialogue: tens of CPU-seconds each). The key is the hash of everything that makes the media
// (test/fixtures, the clip scripts, the engines and their pinned versions, ffmpeg's version): change any of them
// and a fresh folder is filled. Files in it are still made with madeOnce/makeSpeechClip (locked, renamed into
// place), so checkouts filling it at once never see half a file. ANIME_DUB_TEST_MEDIA_CACHE=off keeps the media
// in the checkout.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readdir, rm, stat, symlink, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT, TEST_CACHE } from './env.js';

/** What the media is made from, relative to the project root (folders are read whole). */
const INPUTS = ['test/fixtures', 'scripts/speechClip.ts', 'scripts/engines-requirements.txt', 'engines'];
const MAKERS = /^(make[-_].*|speechClip\.ts)$/;

function filesUnder(rel: string): string[] {
  const abs = path.join(PROJECT_ROOT, rel);
  if (!existsSync(abs)) return [];
  if (!lstatSync(abs).isDirectory()) return [rel];
  return readdirSync(abs, { withFileTypes: true })
    .filter((e) => !e.name.startsWith('.') && e.name !== '__pycache__')
    .flatMap((e) => (e.isDirectory() ? filesUnder(path.join(rel, e.name)) : e.isFile() ? [path.join(rel, e.name)] : []));
}

export function mediaKey(): string {
  const hash = createHash('sha256');
  const makers = readdirSync(path.join(PROJECT_ROOT, 'scripts')).filter((f) => MAKERS.test(f)).map((f) => path.join('scripts', f));
  for (const file of [...INPUTS.flatMap(filesUnder), ...makers].sort()) {
    hash.update(`${file}\0`).update(readFileSync(path.join(PROJECT_ROOT, file))).update('\0');
  }
  try {
    hash.update(execFileSync('ffmpeg', ['-version'], { encoding: 'utf8' }).split('\n')[0]);
  } catch { /* no ffmpeg: the suites will say so */ }
  return hash.digest('hex').slice(0, 16);
}

/** Links test/.cache/media to the machine's folder for this key, unless the checkout already has a media folder. */
export async function linkMachineMediaCache(): Promise<string | undefined> {
  if (process.env.ANIME_DUB_TEST_MEDIA_CACHE === 'off') return undefined;
  const local = path.join(TEST_CACHE, 'media');
  if (existsSync(local)) return undefined;
  if (isDanglingLink(local)) await rm(local, { force: true }); // its machine folder was cleared: link a fresh one
  const root = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'anime-dub');
  const shared = path.join(root, `test-media-${mediaKey()}`);
  try {
    await mkdir(shared, { recursive: true });
    const now = new Date();
    await utimes(shared, now, now); // when it was last linked: what pruning goes by
    await pruneOld(root, path.basename(shared));
    await mkdir(TEST_CACHE, { recursive: true });
    await symlink(shared, local, 'dir');
    return shared;
  } catch {
    return undefined; // a read-only home, or another run linked it first: the checkout's own folder does
  }
}

/** Media of other keys not linked for a week (older fixtures or engines): ~50–100 MB each. */
const KEEP_DAYS = 7;
async function pruneOld(root: string, current: string): Promise<void> {
  for (const name of await readdir(root).catch(() => [] as string[])) {
    if (!name.startsWith('test-media-') || name === current) continue;
    const dir = path.join(root, name);
    const age = (Date.now() - (await stat(dir).then((s) => s.mtimeMs, () => Date.now()))) / 86_400_000;
    if (age > KEEP_DAYS) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

function isDanglingLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
