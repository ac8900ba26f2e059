// One line dubbed by the batch activity's own steps, on real espeak-ng and ffmpeg (called directly, as a retried
// attempt would): a line too long for its slot is said again faster, and a second attempt reuses that revision
// and its clip instead of saying the line twice more.
import { describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { synthesizeAndFitLine } from '../../activities/dubLines.js';
import { prepareJob } from '../../activities/prepareJob.js';
import type { PreparedJob } from '../../lib/job.js';
import { shortClip } from '../fixtures/media.js';
import { outputSubFolder, tempDir, TEST_OUTPUT_ROOT } from '../support/jobs.js';

async function synthesizerRuns(prep: PreparedJob): Promise<number> {
  const log = await readFile(path.join(prep.job.root, prep.job.name, 'tmp', 'commands.jsonl'), 'utf8').catch(() => '');
  return log.split('\n').filter(Boolean).filter((l) => JSON.parse(l).argv[0] === 'espeak-ng').length;
}

describe('synthesizeAndFitLine (real espeak-ng, ffmpeg)', () => {
  it('says a too-long line again at the engine\'s rate, and a retry reuses that revision and clip', async () => {
    process.env.ANIME_DUB_OUTPUT_DIR = TEST_OUTPUT_ROOT; // the worker setting prepareJob reads
    // espeak-ng named: it counts espeak-ng runs (Kokoro is es's default voice now).
    const prep = await prepareJob({ video: (await shortClip()).video, src: 'en', tgt: 'es', tts: { engine: 'espeak-ng' }, outputDir: outputSubFolder(await tempDir('dubline')) });
    const line = { index: 0, start: 0.5, end: 2.0, text: 'we have to go', target: 'Tenemos que irnos ahora mismo, de verdad.' };
    const slot = { start: 0.5, end: 2.6 };

    const first = await synthesizeAndFitLine(prep, { line, slot });
    expect(first.engineRate).toBeGreaterThan(1); // said again, faster, by espeak-ng itself
    expect(first.start).toBe(0.5);
    expect(first.start + first.fittedDurationSec).toBeLessThanOrEqual(slot.end + 1e-6);
    expect(await synthesizerRuns(prep)).toBe(2);

    const again = await synthesizeAndFitLine(prep, { line, slot });
    expect(await synthesizerRuns(prep)).toBe(2); // nothing said anew
    expect(again.ttsReused).toBe(true);
    expect({ ...again, ttsReused: first.ttsReused }).toEqual(first);
  }, 60_000);
});
