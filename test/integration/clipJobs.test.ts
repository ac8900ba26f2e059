// Several clips' ffmpeg work in one run (engines/ffmpeg.ts clipJobsArgv): a dub batch trims, pitches and fits its
// lines with one ffmpeg start per step instead of one per line, so each output must be byte for byte what the
// line's own run writes. Real espeak-ng speech, real ffmpeg.
import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { clipJobsArgv, NORMALIZE_CLIP_FILTERS, type ClipJob } from '../../engines/ffmpeg.js';
import { run } from '../../engines/run.js';
import { pitchShiftFilters } from '../../engines/tts.js';
import { tempDir } from '../support/jobs.js';

const md5 = async (file: string) => createHash('md5').update(await readFile(file)).digest('hex');

describe('clip jobs in one ffmpeg run', () => {
  it('writes every output exactly as one run per clip would', async () => {
    const dir = await tempDir('clipjobs');
    const raw = ['a', 'b', 'c'].map((n) => path.join(dir, `${n}.raw.wav`));
    const texts = ['Where is the station?', 'We have to go, right now.', 'Wait for me!'];
    for (const [i, out] of raw.entries()) await run(['espeak-ng', '-w', out, texts[i]]);
    // Trim + resample, a speaker's pitch, and three kinds of fit (stretch and cut with a fade, slow down, cut only).
    const steps: ((n: number, input: string) => ClipJob)[] = [
      (n, input) => ({ input, filters: NORMALIZE_CLIP_FILTERS, output: path.join(dir, `norm${n}.wav`) }),
      (n, input) => ({ input, filters: pitchShiftFilters([0.85, 1.2, 1.05][n]), output: path.join(dir, `pitch${n}.wav`) }),
      (n, input) => ({ input, filters: [['atempo=1.2', 'atrim=end=1.0000', 'afade=t=out:st=0.9000:d=0.1000'], ['atempo=0.9', 'atrim=end=2.5000'], ['atrim=end=0.5000']][n], output: path.join(dir, `fit${n}.wav`) }),
    ];
    let inputs = raw;
    for (const step of steps) {
      const one = inputs.map((input, n) => step(n, input));
      for (const job of one) await run(clipJobsArgv([job]));
      const batched = one.map((job) => ({ ...job, output: job.output.replace(/\.wav$/, '.batch.wav') }));
      const argv = clipJobsArgv(batched);
      expect(argv.filter((a) => a === '-i')).toHaveLength(3);
      await run(argv);
      for (const [n, job] of one.entries()) expect(await md5(batched[n].output)).toBe(await md5(job.output));
      inputs = one.map((job) => job.output);
    }
  });

  it('keeps a single clip to the plain -af run', () => {
    expect(clipJobsArgv([{ input: '/i.wav', filters: ['atrim=end=1'], output: '/o.wav' }])).toEqual(
      ['ffmpeg', '-nostdin', '-v', 'error', '-y', '-i', '/i.wav', '-af', 'atrim=end=1', '-ac', '2', '-ar', '48000', '-c:a', 'pcm_s16le', '-f', 'wav', '/o.wav']);
  });
});
