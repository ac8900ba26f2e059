// One line dubbed by the batch activity's own steps, on real espeak-ng and ffmpeg (called directly, as a retried
// attempt would): a line too long for its slot is said again faster, and a second attempt reuses that revision
// and its clip instead of saying the line twice more.
import { describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { FitBatch, fitLine } from '../../activities/fit.js';
import { synthesizeLine } from '../../activities/tts.js';
import path from 'node:path';
import { synthesizeAndFitLine } from '../../activities/dubLines.js';
import { prepareJob } from '../../activities/prepareJob.js';
import type { PreparedJob } from '../../lib/job.js';
import { shortClip } from '../fixtures/media.js';
import { outputSubFolder, tempDir, TEST_OUTPUT_ROOT } from '../support/jobs.js';

async function runsOf(prep: PreparedJob, program: string, withArg?: string): Promise<number> {
  const log = await readFile(path.join(prep.job.root, prep.job.name, 'tmp', 'commands.jsonl'), 'utf8').catch(() => '');
  return log.split('\n').filter(Boolean).map((l) => JSON.parse(l).argv as string[])
    .filter((argv) => argv[0] === program && (!withArg || argv.includes(withArg))).length;
}
const synthesizerRuns = (prep: PreparedJob) => runsOf(prep, 'espeak-ng');

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

  it('a batch fits its lines in one ffmpeg run: the same files and durations as one line at a time', async () => {
    process.env.ANIME_DUB_OUTPUT_DIR = TEST_OUTPUT_ROOT;
    const video = (await shortClip()).video;
    const jobOf = async (name: string) => prepareJob({ video, src: 'en', tgt: 'es', tts: { engine: 'espeak-ng' }, outputDir: outputSubFolder(await tempDir(name)) });
    const lines = [
      { index: 0, start: 0.5, end: 1.6, text: 'we have to go', target: 'Tenemos que irnos ahora mismo.' }, // sped up, maybe cut
      { index: 1, start: 2.0, end: 5.5, text: 'fine', target: 'Vale.' }, // much shorter than its source line: slowed
      { index: 2, start: 6.0, end: 7.2, text: 'run', target: 'Corre, corre, corre, que nos alcanzan todos.' },
    ];
    const slots = [{ start: 0.5, end: 1.8 }, { start: 2.0, end: 5.8 }, { start: 6.0, end: 7.4 }];
    const fitAll = async (prep: PreparedJob, batch?: FitBatch) => {
      const out = [];
      for (const [i, line] of lines.entries()) out.push(await fitLine(prep, await synthesizeLine(prep, line), slots[i], line.end, undefined, undefined, batch));
      await batch?.run(out);
      return out;
    };
    const alone = await jobOf('fit-alone');
    const batched = await jobOf('fit-batch');
    const one = await fitAll(alone);
    const together = await fitAll(batched, new FitBatch(batched.job));
    expect(together).toEqual(one);
    const refitted = one.filter((f) => f.filter !== 'none' || f.trimmedSec > 0);
    expect(refitted.length).toBeGreaterThanOrEqual(2);
    for (const f of refitted) {
      expect(await readFile(path.join(batched.job.root, batched.job.name, f.path))).toEqual(await readFile(path.join(alone.job.root, alone.job.name, f.path)));
    }
    expect(await runsOf(alone, 'ffmpeg', '-af')).toBeGreaterThanOrEqual(refitted.length + lines.length); // each clip's trim + each fit
    expect(await runsOf(batched, 'ffmpeg', '-filter_complex')).toBe(1);
  }, 60_000);
});
