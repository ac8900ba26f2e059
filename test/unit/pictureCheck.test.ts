// The picture check's comparisons on made-up frames (the streaming suites run them on decoded video).
import { describe, expect, it } from '@jest/globals';
import { bestSourceFrame, frameTiming, type DecodedVideo } from '../../scripts/pictureCheck.js';

const frame = (seed: number) => Buffer.from(Array.from({ length: 64 * 36 }, (_, i) => (i * 7 + seed * 31) % 256));
const video = (pts: number[]): DecodedVideo => ({ pts, pixels: pts.map((_, i) => frame(i)), frameSec: 0.04 });

describe('picture check', () => {
  it('finds the source frame an output frame shows, and how clearly', () => {
    const source = video(Array.from({ length: 50 }, (_, i) => i * 0.04));
    const shown = Buffer.from(frame(17));
    shown[0] = (shown[0] + 3) % 256; // a re-encode changes a pixel or two
    const best = bestSourceFrame(source, shown);
    expect(best.index).toBe(17);
    expect(best.margin).toBeGreaterThan(10);
  });

  it('measures how far output frame times sit from the source frames', () => {
    const source = video([0, 0.04, 0.08, 0.12]);
    expect(frameTiming(source, 0, video([0, 0.04, 0.08, 0.12]), 0, 0, 0, 0.16)).toEqual({ sourceFrames: 4, outputFrames: 4, maxTimeErrorSec: 0 });
    const late = frameTiming(source, 0, video([0, 0.05, 0.08]), 0, 0, 0, 0.16);
    expect(late.outputFrames).toBe(3);
    expect(late.maxTimeErrorSec).toBeCloseTo(0.01, 6);
  });
});
