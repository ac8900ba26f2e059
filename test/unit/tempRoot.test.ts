// The run's temp root: every temp folder of a run is inside it, and a dead run's root is removed by the next run.
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { tempDir, TEST_OUTPUT_ROOT } from '../support/jobs.js';
import { KEPT, removeAbandonedRoots, TEMP_ROOT_VARIABLE } from '../support/tempRoot.js';

describe('the run temp root', () => {
  it('is this process\'s temp folder (TMPDIR, inherited from the global setup): tempDir and the test output root are inside it', async () => {
    const root = process.env[TEMP_ROOT_VARIABLE]!;
    expect(path.basename(root)).toMatch(/^anime-dub-run-\d+-/);
    expect(os.tmpdir()).toBe(root);
    expect(TEST_OUTPUT_ROOT).toBe(root);
    const dir = await tempDir('temp-root');
    expect(path.dirname(dir)).toBe(root);
    // A child process (a worker, an engine, ffmpeg) gets the same temp folder.
    expect(execFileSync('python3', ['-c', 'import tempfile; print(tempfile.gettempdir())'], { encoding: 'utf8' }).trim()).toBe(root);
  });

  it('removes the roots of runs whose jest process is gone, keeps live runs\' and kept ones', async () => {
    const base = await mkdtemp(path.join(os.tmpdir(), 'roots-'));
    try {
      // A pid that was just used and has exited.
      const dead = Number(execFileSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).trim());
      const gone = path.join(base, `anime-dub-run-${dead}-aaaaaa`);
      const live = path.join(base, `anime-dub-run-${process.ppid}-bbbbbb`);
      const kept = path.join(base, `anime-dub-run-${dead}-cccccc`);
      const other = path.join(base, 'anime-dub-other-dddddd');
      for (const d of [gone, live, kept, other]) await mkdir(path.join(d, 'inside'), { recursive: true });
      await writeFile(path.join(kept, KEPT), '');
      await removeAbandonedRoots(base);
      expect([gone, live, kept, other].map((d) => existsSync(d))).toEqual([false, true, true, true]);
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });
});
