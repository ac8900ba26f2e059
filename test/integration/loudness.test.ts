// The loudness pass on real ffmpeg: the cheap 48 kHz limiter is kept when the verified true peak is under its
// aim, and the oversampled limiter renders again when inter-sample peaks got over it.
import { describe, expect, it } from '@jest/globals';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { normalizeLoudness } from '../../activities/mix.js';
import { run } from '../../engines/run.js';
import { ebur128Argv, parseEbur128 } from '../../engines/ebur128.js';
import { tempDir } from '../support/jobs.js';

/** Ten seconds of a float stereo "premix" made by ffmpeg from an expression. */
async function premixOf(dir: string, expr: string): Promise<string> {
  const file = path.join(dir, 'premix.wav');
  await run(['ffmpeg', '-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', `aevalsrc=${expr}:s=48000:c=stereo:d=10`, '-c:a', 'pcm_f32le', file]);
  return file;
}

async function loudnessPass(expr: string) {
  const root = await tempDir('loudness');
  const job = { root, name: 'job' };
  await mkdir(path.join(root, 'job', 'tmp'), { recursive: true });
  const input = await premixOf(path.join(root, 'job', 'tmp'), expr);
  const output = path.join(root, 'job', 'mix.wav');
  const { outcome } = await normalizeLoudness(job, input, output, -16, -1);
  const heard = parseEbur128((await run(ebur128Argv(output, 0))).stderr);
  return { outcome, heard };
}

describe('loudness pass (real ffmpeg)', () => {
  it('keeps the 48 kHz limiter when the true peak stays under its aim', async () => {
    // A 440 Hz tone with a pulse of 1 Hz: sample peaks are the true peaks, and the limiter has work to do.
    const { outcome, heard } = await loudnessPass('0.3*sin(2*PI*440*t)*(1+2*lt(mod(t\\,1)\\,0.05))');
    expect(outcome.oversampled).toBe(false);
    expect(outcome.passes).toBe(1);
    expect(heard.truePeakDb).toBeLessThanOrEqual(-2);
    expect(Math.abs(heard.integratedLufs - -16)).toBeLessThanOrEqual(0.5);
  }, 60_000);

  it('renders again oversampled when inter-sample peaks got over the aim', async () => {
    // A quiet 440 Hz bed with short bursts of a 12 kHz tone sampled 45° off its crests: the loudness gain pushes
    // the bursts into the limiter, and there every sample is 3 dB under the waveform's true peak.
    const { outcome, heard } = await loudnessPass('0.05*sin(2*PI*440*t)+0.5*sin(2*PI*12000*t+PI/4)*lt(mod(t\\,1)\\,0.02)');
    expect(outcome.oversampled).toBe(true);
    expect(outcome.passes).toBeGreaterThanOrEqual(2);
    expect(heard.truePeakDb).toBeLessThanOrEqual(-2);
  }, 60_000);
});
