// The dub track when two speakers overlap: both clips are heard (summed), not the later one written over the
// earlier; with one speaker nothing overlaps and each clip is copied as it is.
import { describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { assembleDub } from '../../activities/mix.js';
import type { FittedLine, PreparedJob } from '../../lib/job.js';
import { wavHeader } from '../../lib/wav.js';

const RATE = 48_000;

/** A 48 kHz stereo 16-bit clip holding one constant value (easy to read back). */
async function constantClip(file: string, seconds: number, value: number): Promise<void> {
  const frames = Math.round(seconds * RATE);
  const pcm = Buffer.alloc(frames * 4);
  for (let i = 0; i < frames * 2; i++) pcm.writeInt16LE(value, i * 2);
  await writeFile(file, Buffer.concat([wavHeader(RATE, 2, 16, pcm.length), pcm]));
}

const fitted = (index: number, rel: string, start: number, seconds: number, slotEnd: number): FittedLine => ({
  index, path: rel, start, sourceEnd: start + seconds, slotEnd, ttsDurationSec: seconds, fittedDurationSec: seconds, speed: 1, trimmedSec: 0, paddedSec: 0,
});

describe('assembling the dub track', () => {
  it('overlapping lines of two speakers are both in the track (summed, clipped at full scale)', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'anime-dub-assemble-'));
    const job = { root, name: 'j' };
    await mkdir(path.join(root, 'j', 'tts'), { recursive: true });
    await mkdir(path.join(root, 'j', 'audio'), { recursive: true });
    await constantClip(path.join(root, 'j', 'tts', 'a.wav'), 1, 1000);
    await constantClip(path.join(root, 'j', 'tts', 'b.wav'), 1, 2000);
    await constantClip(path.join(root, 'j', 'tts', 'c.wav'), 0.5, 32000);
    const prep = { job, media: { durationSec: 3 } } as unknown as PreparedJob;
    // a: 0–1 s; b: 0.5–1.5 s (another speaker, over a); c: 1.2–1.7 s over b, loud enough to clip.
    const rel = await assembleDub(prep, [fitted(0, 'tts/a.wav', 0, 1, 1), fitted(1, 'tts/b.wav', 0.5, 1, 1.5), fitted(2, 'tts/c.wav', 1.2, 0.5, 1.7)]);
    const wav = await readFile(path.join(root, 'j', rel));
    const at = (sec: number) => wav.readInt16LE(44 + Math.round(sec * RATE) * 4);
    expect([at(0.25), at(0.75), at(1.1), at(1.3), at(1.6), at(2)]).toEqual([1000, 3000, 2000, 32767, 32000, 0]);
  });
});
