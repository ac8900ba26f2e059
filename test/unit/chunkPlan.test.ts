import { describe, expect, it } from '@jest/globals';
import { parseVideoPackets, sec } from '../../engines/ffmpegStream.js';
import { planChunks, videoTimeline, type VideoPacket } from '../../lib/chunkPlan.js';
import { initialEntries, playlist } from '../../lib/streamManifest.js';

// Speech every 4 s for 2.6 s: silences [k*4+2.6, k*4+4).
const duration = 100;
const speech = Array.from({ length: 25 }, (_, k) => ({ start: k * 4, end: k * 4 + 2.6 }));
const silences = speech.map((s, k) => ({ start: s.end, end: k * 4 + 4 }));
const keyframesEvery2s = Array.from({ length: 50 }, (_, k) => k * 2);

describe('chunk plan', () => {
  const chunks = planChunks(duration, silences, keyframesEvery2s, { targetSec: 20, overlapSec: 2 });

  it('tiles the input: no gap, no overlap, from 0 to the end', () => {
    expect(chunks[0].start).toBe(0);
    expect(chunks[chunks.length - 1].end).toBe(duration);
    for (let i = 1; i < chunks.length; i++) expect(chunks[i].start).toBe(chunks[i - 1].end);
    const total = chunks.reduce((sum, c) => sum + (c.end - c.start), 0);
    expect(total).toBeCloseTo(duration, 6);
  });

  it('never puts a boundary inside a spoken word', () => {
    for (const c of chunks.slice(1)) {
      expect(speech.some((s) => c.start > s.start && c.start < s.end)).toBe(false);
    }
  });

  it('stays near the target length', () => {
    for (const c of chunks.slice(0, -1)) expect(Math.abs(c.end - c.start - 20)).toBeLessThanOrEqual(6);
  });

  it('prefers a keyframe inside the silence, so the video can be copied', () => {
    // silences are [x.6, x+1.4) in 4 s steps; keyframes every 2 s: k*4 lands in none, k*4+... the one at (k+1)*4 is the silence end
    const withKeys = planChunks(duration, silences.map((s) => ({ start: s.start, end: s.end + 0.01 })), keyframesEvery2s, { targetSec: 20, overlapSec: 2 });
    expect(withKeys.every((c) => c.keyframeAligned)).toBe(true);
    expect(withKeys.slice(1).every((c) => keyframesEvery2s.includes(c.start))).toBe(true);
  });

  it('cuts in the middle of the silence when no keyframe is there, and says the video must be re-encoded', () => {
    const plan = planChunks(duration, silences, [0], { targetSec: 20, overlapSec: 2 });
    expect(plan[1].start).toBeCloseTo(Math.round(plan[1].start / 4) * 4 - 0.7, 6);
    expect(plan[0].keyframeAligned).toBe(false);
  });

  it('gives recognition the overlap as context, clamped to the file', () => {
    expect(chunks[0].contextStart).toBe(0);
    expect(chunks[1].contextStart).toBeCloseTo(chunks[1].start - 2, 6);
    expect(chunks[0].contextEnd).toBeCloseTo(chunks[0].end + 2, 6);
    expect(chunks[chunks.length - 1].contextEnd).toBe(duration);
  });

  it('lets the last chunk take a short tail instead of leaving a sliver', () => {
    const plan = planChunks(45, [], [], { targetSec: 20, overlapSec: 0 });
    expect(plan.map((c) => [c.start, c.end])).toEqual([[0, 20], [20, 45]]);
    expect(planChunks(8, [], [], { targetSec: 20, overlapSec: 2 })).toHaveLength(1);
  });
});

/**
 * Packets of a 24 fps stream with B-frames, in decode order: an anchor (I or P) every 3 frames and the two
 * B-frames shown before it decoded after it; keyframes every `gop` frames. Closed GOP: the frames shown before a
 * keyframe are decoded before it. Open GOP: after it (they refer to it and to the GOP before).
 */
function packets24(frames: number, gop: number, openGop = false): VideoPacket[] {
  const anchors = Array.from({ length: frames }, (_, i) => i).filter((i) => i > 0 && (i % 3 === 0 || i % gop === 0));
  const order: { frame: number; key: boolean }[] = [{ frame: 0, key: true }];
  let prev = 0;
  for (const a of [...anchors, frames]) {
    const between = Array.from({ length: a - prev - 1 }, (_, k) => ({ frame: prev + 1 + k, key: false }));
    const anchor = a < frames ? [{ frame: a, key: a % gop === 0 }] : [];
    order.push(...(anchor[0]?.key && !openGop ? [...between, ...anchor] : [...anchor, ...between]));
    prev = a;
  }
  return order.map((o, i) => ({ pts: o.frame / 24, dts: (i - 2) / 24, key: o.key }));
}

describe('frame-exact boundaries', () => {
  const closed = videoTimeline(packets24(1440, 250));

  it('knows every frame and the clean keyframes, at their exact times (250/24 = 10.41666… s, not 10.417)', () => {
    expect(closed.frames).toHaveLength(1440);
    expect(closed.cuts.map((c) => c.t)).toEqual([0, 250 / 24, 500 / 24, 750 / 24, 1000 / 24, 1250 / 24]);
  });

  it('does not copy at an open-GOP keyframe: frames after it in decode order are shown before it', () => {
    const open = videoTimeline(packets24(1440, 252, true));
    expect(open.frames).toHaveLength(1440);
    expect(open.cuts.map((c) => c.t)).toEqual([0]);
  });

  it('a copied chunk reads up to (not into) the next keyframe in decode time', () => {
    const plan = planChunks(60, [], closed, { targetSec: 20, overlapSec: 2 });
    expect(plan.map((c) => c.start)).toEqual([0, 500 / 24, 1000 / 24]);
    expect(plan.every((c) => c.keyframeAligned)).toBe(true);
    const next = closed.cuts.find((c) => c.t === 500 / 24)!;
    expect(plan[0].copyReadSec).toBeCloseTo(next.readUntil, 12);
    // the keyframe's packet is decoded before it is shown; the copy stops before that packet
    expect(plan[0].copyReadSec!).toBeLessThan(500 / 24);
    expect(plan[2].copyReadSec).toBeUndefined(); // the last chunk copies to the end of the file
  });

  it('a boundary outside a keyframe is still a frame time, never a rounded decimal', () => {
    const plan = planChunks(60, [{ start: 18.01, end: 18.3 }], videoTimeline(packets24(1440, 1000)), { targetSec: 20, overlapSec: 2 });
    expect(plan[1].start * 24).toBeCloseTo(Math.round(plan[1].start * 24), 9);
    expect(plan[1].keyframeAligned).toBe(false);
    expect(plan[0].copyReadSec).toBeUndefined();
  });

  it('gives ffmpeg times in microseconds, so -ss lands on the keyframe itself', () => {
    expect(sec(500 / 24)).toBe('20.833333');
    expect(Math.round(Number(sec(500 / 24)) * 12288)).toBe(256000); // the keyframe's own pts in a 1/12288 time base
  });

  it('reads packet times from the integer timestamps and the time base, from the start of the file', () => {
    const text = [
      'packet|pts=126000|dts=126000|flags=K__',
      'packet|pts=129753|dts=126000|flags=___',
      'packet|pts=N/A|dts=N/A|flags=___',
      'stream|time_base=1/90000',
      'format|start_time=1.400000',
    ].join('\n');
    const [first, second, ...rest] = parseVideoPackets(text);
    expect(rest).toEqual([]);
    expect(first).toEqual({ pts: 0, dts: 0, key: true });
    expect(second.key).toBe(false);
    expect(second.pts).toBeCloseTo(3753 / 90000, 9);
  });
});

describe('HLS playlist', () => {
  const entries = initialEntries(planChunks(60, [], [], { targetSec: 20, overlapSec: 0 }));

  it('lists only the finished prefix while running, as an EVENT playlist without ENDLIST', () => {
    entries[0].files = { mp4: 'chunk_000.mp4', ts: 'chunk_000.ts' };
    entries[2].files = { mp4: 'chunk_002.mp4', ts: 'chunk_002.ts' };
    const text = playlist(entries, false);
    expect(text).toMatch(/#EXT-X-PLAYLIST-TYPE:EVENT/);
    expect(text).toContain('chunk_000.ts');
    expect(text).not.toContain('chunk_002.ts'); // chunk 1 is still missing: a player cannot skip it
    expect(text).not.toContain('#EXT-X-ENDLIST');
  });

  it('ends with ENDLIST when every chunk is in', () => {
    entries[1].files = { mp4: 'chunk_001.mp4', ts: 'chunk_001.ts' };
    const text = playlist(entries, true);
    expect(text.trim().endsWith('#EXT-X-ENDLIST')).toBe(true);
    expect(text.match(/#EXTINF:20\.000,/g)).toHaveLength(3);
  });

  it('steps over a chunk whose fallback failed too (no file) with a discontinuity, and still ends the list', () => {
    const holed = initialEntries(planChunks(60, [], [], { targetSec: 20, overlapSec: 0 }));
    holed[0].files = { mp4: 'chunk_000.mp4', ts: 'chunk_000.ts' };
    holed[1].status = 'failed';
    holed[2].files = { mp4: 'chunk_002.mp4', ts: 'chunk_002.ts' };
    const text = playlist(holed, true);
    expect(text.split('\n').slice(5)).toEqual(['#EXTINF:20.000,', 'chunk_000.ts', '#EXT-X-DISCONTINUITY', '#EXTINF:20.000,', 'chunk_002.ts', '#EXT-X-ENDLIST', '']);
  });
});
