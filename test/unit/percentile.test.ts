import { describe, expect, it } from '@jest/globals';
import { median, percentile } from '../../lib/percentile.js';

describe('percentile (p a share 0..1)', () => {
  const ten = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5];

  it('nearest rank: a value that was measured (the QA report’s 95th percentile speed)', () => {
    expect(percentile(ten, 0.95, 'nearest-rank')).toBe(10);
    expect(percentile(ten, 0.5, 'nearest-rank')).toBe(5);
    expect(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 0.95, 'nearest-rank')).toBe(95);
    expect(percentile([3], 0, 'nearest-rank')).toBe(3);
  });

  it('interpolated (the default): between the closest ranks (prosody’s pitch median and range)', () => {
    expect(percentile(ten, 0.5)).toBeCloseTo(5.5, 10);
    expect(percentile(ten, 0.9)).toBeCloseTo(9.1, 10);
    expect(percentile(ten, 0)).toBe(1);
    expect(percentile(ten, 1)).toBe(10);
    expect(median([4, 1, 3])).toBe(3);
  });

  it('has no value for an empty list and leaves its input in order', () => {
    expect(percentile([], 0.95, 'nearest-rank')).toBeUndefined();
    expect(median([])).toBeUndefined();
    const kept = [3, 1, 2];
    percentile(kept, 0.5);
    expect(kept).toEqual([3, 1, 2]);
  });
});
