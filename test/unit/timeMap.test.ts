import { describe, expect, it } from '@jest/globals';
import { stretchAudioFilter } from '../../engines/ffmpegFitVideo.js';
import {
  addedSec, fitVideoOn, makeTimeMap, placedSpans, planSpans, setptsExpr, snapToFrames, toOutput, toSource, videoParts,
} from '../../lib/timeMap.js';
import { fitOf, settleFit } from '../../lib/jobFit.js';

describe('time map (--fit-video)', () => {
  const map = makeTimeMap([{ srcStart: 10, srcEnd: 12, factor: 1.25 }, { srcStart: 20, srcEnd: 24, factor: 1.1 }], 60);

  it('leaves time before the first span alone and moves everything after a span by what it added', () => {
    expect(toOutput(map, 5)).toBe(5);
    expect(toOutput(map, 10)).toBe(10);
    expect(toOutput(map, 11)).toBeCloseTo(11.25, 9);
    expect(toOutput(map, 12)).toBeCloseTo(12.5, 9);
    expect(toOutput(map, 15)).toBeCloseTo(15.5, 9);
    expect(toOutput(map, 24)).toBeCloseTo(24 + 0.5 + 0.4, 9);
    expect(toOutput(map, 60)).toBeCloseTo(60.9, 9);
  });

  it('gives the new duration as the source plus every span’s gain', () => {
    expect(map.durationSec).toBeCloseTo(60.9, 6);
    expect(addedSec(map)).toBeCloseTo(0.9, 6);
  });

  it('maps output time back to the source exactly (inside and outside spans)', () => {
    for (const t of [0, 3, 10, 10.7, 11.9, 12, 13, 20.2, 23.99, 30, 60]) expect(toSource(map, toOutput(map, t))).toBeCloseTo(t, 9);
  });

  it('merges overlapping spans into their union at the largest factor; touching spans stay apart', () => {
    const m = makeTimeMap([{ srcStart: 5, srcEnd: 8, factor: 1.1 }, { srcStart: 7, srcEnd: 9, factor: 1.2 }, { srcStart: 9, srcEnd: 10, factor: 1.05 }], 20);
    expect(m.spans).toEqual([{ srcStart: 5, srcEnd: 9, factor: 1.2 }, { srcStart: 9, srcEnd: 10, factor: 1.05 }]);
  });

  it('clamps spans to the source and drops the ones not worth a re-encode', () => {
    const m = makeTimeMap([{ srcStart: -1, srcEnd: 1, factor: 1.2 }, { srcStart: 19, srcEnd: 25, factor: 1.2 }, { srcStart: 5, srcEnd: 5.01, factor: 1.2 }, { srcStart: 6, srcEnd: 8, factor: 1.001 }], 20);
    expect(m.spans).toEqual([{ srcStart: 0, srcEnd: 1, factor: 1.2 }, { srcStart: 19, srcEnd: 20, factor: 1.2 }]);
  });

  it('places each span in the output (start, end, seconds added)', () => {
    expect(placedSpans(map)).toEqual([
      { srcStart: 10, srcEnd: 12, factor: 1.25, outStart: 10, outEnd: 12.5, addedSec: 0.5 },
      { srcStart: 20, srcEnd: 24, factor: 1.1, outStart: 20.5, outEnd: 24.9, addedSec: 0.4 },
    ]);
  });
});

describe('span planning (--fit-video)', () => {
  it('slows only the slots of lines that do not fit at the speech cap, by what they need, at most maxStretch', () => {
    const spans = planSpans([
      { index: 0, slotStart: 1, slotEnd: 3, neededSec: 1.8 }, // fits
      { index: 1, slotStart: 3, slotEnd: 5, neededSec: 2.2 }, // needs 1.1
      { index: 2, slotStart: 5, slotEnd: 7, neededSec: 4 }, // needs 2: capped
    ], { maxStretch: 1.25 });
    expect(spans).toEqual([{ srcStart: 3, srcEnd: 5, factor: expect.closeTo(1.1, 5) }, { srcStart: 5, srcEnd: 7, factor: 1.25 }]);
    expect(spans[0].factor).toBeGreaterThanOrEqual(1.1);
  });

  it('gives a line slowed by what it needs exactly the room it needs in the output', () => {
    const spans = planSpans([{ index: 0, slotStart: 4, slotEnd: 6.5, neededSec: 2.9 }], { maxStretch: 1.25 });
    const m = makeTimeMap(spans, 30);
    expect(toOutput(m, 6.5) - toOutput(m, 4)).toBeCloseTo(2.9, 5);
  });

  it('snaps spans outward to frame times', () => {
    const frames = Array.from({ length: 100 }, (_, i) => i * 0.04);
    expect(snapToFrames([{ srcStart: 1.01, srcEnd: 2.03, factor: 1.2 }], frames)).toEqual([{ srcStart: expect.closeTo(1, 9), srcEnd: expect.closeTo(2.04, 9), factor: 1.2 }]);
  });

  it('caps the speech speed only with --fit-video auto, and never raises it', () => {
    const job = (mode: string, maxSpeed = 1.25) => ({ options: { fit: { maxSpeed }, fitVideo: { mode, speechSpeed: 1.1, maxStretch: 1.25 } } });
    expect(settleFit(job('auto').options).maxSpeed).toBe(1.1);
    expect(settleFit(job('off').options).maxSpeed).toBe(1.25);
    expect(settleFit(job('auto', 1.05).options).maxSpeed).toBe(1.05);
    // Settled once by prepareJob (PreparedJob.fit); a PreparedJob from before that is settled the same way.
    expect(fitOf({ ...job('auto'), fit: { maxSpeed: 1.07 } } as never).maxSpeed).toBe(1.07);
    expect(fitOf(job('auto') as never).maxSpeed).toBe(1.1);
    expect(fitVideoOn({})).toBe(false);
    expect(fitVideoOn(job('auto').options)).toBe(true);
  });
});

describe('picture parts (--fit-video)', () => {
  const map = makeTimeMap([{ srcStart: 10.3, srcEnd: 11.5, factor: 1.2 }, { srcStart: 12.1, srcEnd: 13, factor: 1.1 }, { srcStart: 30.2, srcEnd: 31, factor: 1.25 }], 40);

  it('copies between keyframes and re-encodes from the keyframe before a span to the one after it (spans sharing one join)', () => {
    const parts = videoParts(map, [0, 10, 12, 14, 20, 30, 32]);
    expect(parts.map((p) => [p.kind, p.start, p.end, p.spans.length])).toEqual([
      ['copy', 0, 10, 0], ['encode', 10, 14, 2], ['copy', 14, 30, 0], ['encode', 30, 32, 1], ['copy', 32, 40, 0],
    ]);
  });

  it('re-encodes the whole picture when there is no clean keyframe to cut on', () => {
    expect(videoParts(map, []).map((p) => [p.kind, p.start, p.end])).toEqual([['encode', 0, 40]]);
  });

  it('moves each frame of an encoded part where the map puts it (relative to the part)', () => {
    const part = videoParts(map, [0, 10, 12, 14, 20, 30, 32])[1];
    expect(setptsExpr(part)).toBe('(T+0.200000*clip(T-0.300000,0,1.200000)+0.100000*clip(T-2.100000,0,0.900000))/TB');
    // the same thing the map says: the part's output length is the mapped length
    const t = 4; // the part's end, 14 s in the source
    const moved = t + 0.2 * Math.min(Math.max(t - 0.3, 0), 1.2) + 0.1 * Math.min(Math.max(t - 2.1, 0), 0.9);
    expect(moved).toBeCloseTo(toOutput(map, 14) - toOutput(map, 10), 9);
  });

  it('slows the sound on samples: untouched pieces as they are, each span through atempo at 1/factor', () => {
    const f = stretchAudioFilter(makeTimeMap([{ srcStart: 1, srcEnd: 2, factor: 1.25 }], 10), 48_000);
    expect(f).toContain('[0:a]asplit=3[s0][s1][s2]');
    expect(f).toContain('[s0]atrim=start_sample=0:end_sample=48000,asetpts=PTS-STARTPTS[p0]');
    // the span with 0.25 s of context on each side, padded, slowed, then cut to exactly 1.25 s
    expect(f).toContain('[s1]atrim=start_sample=36000:end_sample=108000,asetpts=PTS-STARTPTS,apad=pad_dur=0.500,atempo=0.8000,atrim=start_sample=15000:end_sample=75000,asetpts=PTS-STARTPTS[p1]');
    expect(f).toContain('[s2]atrim=start_sample=96000,asetpts=PTS-STARTPTS[p2]');
    expect(f).toContain('[p0][p1][p2]concat=n=3:v=0:a=1[out]');
  });
});

describe('--fit-video as a setting', () => {
  it('is off by default, and FIT_VIDEO / FIT_VIDEO_MAX_STRETCH set it for every job (a job option overrides)', async () => {
    const { loadSettings, resolveJobOptions } = await import('../../config/load.js');
    expect(resolveJobOptions(loadSettings({}), { video: 'a.mp4' }).fitVideo).toEqual({ mode: 'off', speechSpeed: 1.1, maxStretch: 1.25 });
    const env = loadSettings({ FIT_VIDEO: 'auto', FIT_VIDEO_MAX_STRETCH: '1.2' });
    expect(resolveJobOptions(env, { video: 'a.mp4' }).fitVideo).toEqual({ mode: 'auto', speechSpeed: 1.1, maxStretch: 1.2 });
    expect(resolveJobOptions(env, { video: 'a.mp4', fitVideo: { mode: 'off' } }).fitVideo.mode).toBe('off');
    expect(() => resolveJobOptions(loadSettings({}), { video: 'a.mp4', fitVideo: { mode: 'always' } })).toThrow(/fitVideo\.mode/);
  });
});

describe('slowed spans in the report (--fit-video)', () => {
  it('shades each span behind the lanes and marks it along the top of the timeline', async () => {
    const { PNG } = await import('pngjs');
    const { drawTimeline, TIMELINE_COLORS, TIMELINE_LAYOUT, timeToX } = await import('../../formats/timelinePng.js');
    const png = PNG.sync.read(drawTimeline({ durationSec: 20, source: [], dub: [], loudness: [], stretched: [{ start: 4, end: 6 }] }));
    const at = (x: number, y: number) => [...png.data.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 3)];
    expect(at(Math.round(timeToX(5, 20)), 8)).toEqual(TIMELINE_COLORS.stretched);
    expect(at(Math.round(timeToX(5, 20)), TIMELINE_LAYOUT.laneTop + 5)).toEqual(TIMELINE_COLORS.stretchedBand);
    expect(at(Math.round(timeToX(8, 20)), 8)).toEqual(TIMELINE_COLORS.background);
  });

  it('lists each span (source and output times, factor, seconds added, lines) and the new duration in report.html', async () => {
    const { reportHtml } = await import('../../formats/reportHtml.js');
    const { qaSummary } = await import('../../lib/qaReport.js');
    const html = reportHtml({
      job: 'ep1', input: '/in/ep1.mp4', durationSec: 20.5, languages: { source: 'en', target: 'es' }, engines: {}, summary: qaSummary([]), lines: [],
      fitVideo: { sourceDurationSec: 20, durationSec: 20.5, spans: [{ srcStart: 4, srcEnd: 6, outStart: 4, outEnd: 6.5, factor: 1.25, addedSec: 0.5, lines: [3] }] },
    }, 'AAAA');
    expect(html).toContain('Slowed picture (--fit-video auto)');
    expect(html).toContain('duration 20.00 s → 20.50 s (+0.50 s, +2.5%)');
    expect(html).toContain('<td>4.00–6.00</td><td>4.00–6.50</td><td>1.250×</td><td>0.50</td><td>3</td>');
  });
});
