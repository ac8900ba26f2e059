// The one WAV opener: header from the first bytes, frames read where asked, a short file reading as silence.
import { describe, expect, it } from '@jest/globals';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openWav, wavFileDuration, withWav } from '../../engines/wavFile.js';
import { wavHeader } from '../../lib/wav.js';

async function wavOf(frames: number[], claimedFrames = frames.length): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wavfile-'));
  const pcm = Buffer.alloc(frames.length * 2);
  frames.forEach((v, i) => pcm.writeInt16LE(v, i * 2));
  const file = path.join(dir, 'a.wav');
  await writeFile(file, Buffer.concat([wavHeader(8000, 1, 16, claimedFrames * 2), pcm]));
  return file;
}

describe('wavFile', () => {
  it('reads the header, the length and frames at any place', async () => {
    const file = await wavOf([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(await wavFileDuration(file)).toBeCloseTo(8 / 8000, 10);
    await withWav(file, async (wav) => {
      expect(wav.fmt).toMatchObject({ sampleRate: 8000, channels: 1, bitsPerSample: 16, dataOffset: 44 });
      expect(wav.totalFrames).toBe(8);
      const got = await wav.readFrames(5, 3);
      expect([0, 1, 2].map((i) => got.readInt16LE(i * 2))).toEqual([6, 7, 8]);
    });
  });

  it('reads past the end of a file cut short as zeros', async () => {
    const file = await wavOf([9, 9], 4);
    await withWav(file, async (wav) => {
      expect(wav.totalFrames).toBe(2); // the size on disk wins over the header's claim
      const got = await wav.readFrames(1, 3);
      expect([0, 1, 2].map((i) => got.readInt16LE(i * 2))).toEqual([9, 0, 0]);
    });
  });

  it('refuses what is not a WAV and leaves no handle open', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'wavfile-'));
    const file = path.join(dir, 'not.wav');
    await writeFile(file, 'hello, not a wav at all');
    await expect(openWav(file)).rejects.toThrow(/not a RIFF\/WAVE file/);
  });
});
