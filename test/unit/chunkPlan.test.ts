import { describe, expect, it } from '@jest/globals';
import { planChunks } from '../../lib/chunkPlan.js';
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
});
