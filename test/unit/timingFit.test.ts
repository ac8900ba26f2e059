import { describe, expect, it } from '@jest/globals';
import { atempoChain, planFit, slotFor } from '../../lib/timingFit.js';

const opts = { maxSpeed: 1.4, guardMs: 80 };

describe('timing fit', () => {
  const starts = [1, 4, 6];

  it('gives each line the time up to the next line’s start, less the guard gap', () => {
    expect(slotFor(starts, 0, 10, 80)).toEqual({ start: 1, end: 3.92 });
    expect(slotFor(starts, 2, 10, 80)).toEqual({ start: 6, end: 9.92 });
  });

  it('never lets a line run past the next line’s start, even when the translation is 3× too long', () => {
    const slot = slotFor(starts, 1, 10, 80); // 4 → 5.92
    const plan = planFit(3 * (slot.end - slot.start), slot, opts);
    expect(plan.speed).toBe(1.4);
    expect(slot.start + plan.fittedDurationSec).toBeLessThanOrEqual(slot.end + 1e-9);
    expect(plan.trimmedSec).toBeGreaterThan(0);
  });

  it('speeds up within bounds without cutting when that is enough', () => {
    const plan = planFit(2.4, { start: 0, end: 2 }, opts);
    expect(plan.speed).toBeCloseTo(1.2, 4);
    expect(plan.trimmedSec).toBe(0);
    expect(plan.fittedDurationSec).toBeCloseTo(2, 6);
  });

  it('leaves a short line at normal speed and pads the rest of its slot', () => {
    const plan = planFit(1.2, { start: 0, end: 2 }, opts);
    expect(plan).toMatchObject({ speed: 1, trimmedSec: 0, fittedDurationSec: 1.2 });
    expect(plan.paddedSec).toBeCloseTo(0.8, 6);
  });

  it('keeps the last line inside the media', () => {
    expect(slotFor([1, 9.95], 1, 10, 80)).toEqual({ start: 9.95, end: 9.95 });
    expect(planFit(1, { start: 9.95, end: 9.95 }, opts).fittedDurationSec).toBe(0);
  });

  it('chains atempo so each stage stays within ffmpeg’s accurate range', () => {
    expect(atempoChain(1)).toEqual([]);
    expect(atempoChain(1.25)).toEqual(['atempo=1.2500']);
    expect(atempoChain(3)).toEqual(['atempo=2', 'atempo=1.5000']);
  });
});
