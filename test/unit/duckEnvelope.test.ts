// The ducking envelope: ramps in dB around every span (never a gate), the side ducked less than the centre, and
// the report's timeline drawing it.
import { describe, expect, it } from '@jest/globals';
import { PNG } from 'pngjs';
import { DUCK_ATTACK_SEC, DUCK_RELEASE_SEC, duckDepth, duckEnvelope, envelopeCurve, envelopeWav, SIDE_DUCK_SHARE } from '../../lib/duckEnvelope.js';
import { drawTimeline, duckDbToY, TIMELINE_COLORS, timeToX } from '../../formats/timelinePng.js';

const spans: [number, number][] = [[1, 2], [2.1, 3], [5, 6]];

describe('duck envelope', () => {
  it('is 0 away from the lines, 1 inside, and ramps across the attack before and the release after', () => {
    expect(duckDepth(spans, 0.5)).toBe(0);
    expect(duckDepth(spans, 1.5)).toBe(1);
    expect(duckDepth(spans, 1 - DUCK_ATTACK_SEC / 2)).toBeCloseTo(0.5, 6);
    expect(duckDepth(spans, 6 + DUCK_RELEASE_SEC / 2)).toBeCloseTo(0.5, 6);
    expect(duckDepth(spans, 6 + DUCK_RELEASE_SEC + 0.01)).toBe(0);
    // a gap shorter than release + attack never comes back up fully
    expect(duckDepth(spans, 2.05)).toBeGreaterThan(0.5);
  });

  it('never moves more than 3 dB in 10 ms, and the side ducks by the side share', () => {
    const env = duckEnvelope(spans, -18, 8);
    const db = Array.from(env.mid, (g) => 20 * Math.log10(g));
    let worst = 0;
    for (let i = 10; i < db.length; i++) worst = Math.max(worst, Math.abs(db[i] - db[i - 10]));
    expect(worst).toBeLessThanOrEqual(3);
    expect(worst).toBeGreaterThan(1); // it does duck
    expect(env.mid[1500]).toBeCloseTo(10 ** (-18 / 20), 5);
    expect(env.side[1500]).toBeCloseTo(10 ** ((-18 * SIDE_DUCK_SHARE) / 20), 5);
    expect(env.mid[4000]).toBe(1);
    expect(env.mid.length).toBe(8000);
    // the same depth as the one-point function, everywhere
    for (let i = 0; i < env.mid.length; i += 7) expect(env.mid[i]).toBeCloseTo(10 ** ((-18 * duckDepth(spans, i / 1000)) / 20), 5);
  });

  it('writes a 2-channel float WAV ffmpeg can read', () => {
    const wav = envelopeWav(duckEnvelope(spans, -18, 1));
    const view = new DataView(wav.buffer);
    expect(String.fromCharCode(...wav.subarray(0, 4))).toBe('RIFF');
    expect(view.getUint16(20, true)).toBe(3);
    expect(view.getUint16(22, true)).toBe(2);
    expect(wav.length).toBe(44 + 1000 * 8);
  });

  it('is drawn on the report timeline, down under the lines', () => {
    const ducking = envelopeCurve(spans, -18, 8, 0.02).map(([t, centreDb, sideDb]) => ({ t, centreDb, sideDb }));
    const png = PNG.sync.read(drawTimeline({ durationSec: 8, source: [], dub: [], loudness: [], ducking }));
    const at = (x: number, y: number) => [...png.data.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 3)];
    expect(at(Math.round(timeToX(5.5, 8)), Math.round(duckDbToY(-18)))).toEqual(TIMELINE_COLORS.duckCentre);
    expect(at(Math.round(timeToX(5.5, 8)), Math.round(duckDbToY(-9)))).toEqual(TIMELINE_COLORS.duckSide);
    expect(at(Math.round(timeToX(4, 8)), Math.round(duckDbToY(0)))).toEqual(TIMELINE_COLORS.duckCentre);
  });
});
