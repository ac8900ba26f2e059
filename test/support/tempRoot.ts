// One temp folder per jest run, removed when the run ends: tests, the worker processes they start, engines, CLIs
// and ffmpeg all write their temp folders in it. Before, nothing removed `/tmp/anime-dub-*` (61 GB filled the disk
// in a day of runs). The global setup points TMPDIR at it before jest forks its workers, so `os.tmpdir()` (tempDir,
// TEST_OUTPUT_ROOT, the workers' ANIME_DUB_OUTPUT_DIR) and Python's tempfile in every process of the run name it.
// ANIME_DUB_KEEP_TEST_TMP=1 keeps it (the teardown prints where); a run that died before its teardown leaves its
// root behind, and the next run removes it once that run's jest process is gone.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { alive } from '../../engines/processRegistry.js';

/** Set by the global setup to this run's temp root (TMPDIR is set to it too). */
export const TEMP_ROOT_VARIABLE = 'ANIME_DUB_TEST_TMP_ROOT';
const PREFIX = 'anime-dub-run-';
export const KEPT = 'KEPT';

/** Roots of runs whose jest process is gone (and not kept on purpose). */
export async function removeAbandonedRoots(base: string): Promise<void> {
  for (const name of await readdir(base).catch(() => [] as string[])) {
    const pid = Number(/^anime-dub-run-(\d+)-/.exec(name)?.[1]);
    if (!pid || pid === process.pid || alive(pid)) continue;
    const dir = path.join(base, name);
    if (existsSync(path.join(dir, KEPT))) continue;
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Makes this run's root (once: both projects' global setups call it) and points TMPDIR at it. */
export async function makeRunTempRoot(): Promise<string> {
  const existing = process.env[TEMP_ROOT_VARIABLE];
  if (existing) return existing;
  const base = os.tmpdir();
  await removeAbandonedRoots(base);
  const root = await mkdtemp(path.join(base, `${PREFIX}${process.pid}-`));
  process.env[TEMP_ROOT_VARIABLE] = root;
  process.env.TMPDIR = root;
  return root;
}

export async function removeRunTempRoot(): Promise<void> {
  const root = process.env[TEMP_ROOT_VARIABLE];
  if (!root || !existsSync(root)) return;
  if (process.env.ANIME_DUB_KEEP_TEST_TMP === '1') {
    await writeFile(path.join(root, KEPT), 'ANIME_DUB_KEEP_TEST_TMP=1\n');
    console.log(`[test] temp folders kept in ${root}`);
    return;
  }
  await rm(root, { recursive: true, force: true, maxRetries: 3 });
}
