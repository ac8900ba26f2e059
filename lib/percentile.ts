// The one percentile: p is a share (0..1) everywhere. Two ways to pick it, because two readers want different
// things: prosody wants a smooth value between samples (interpolated), the QA report wants one that was really
// measured (the nearest rank: "95 % of lines were at most this fast" names a line's own speed).

export type PercentileMethod = 'interpolated' | 'nearest-rank';

/** The p-th share (0..1) of `values` (any order); undefined for an empty list. */
export function percentile(values: readonly number[], p: number, method: PercentileMethod = 'interpolated'): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  if (method === 'nearest-rank') {
    const rank = Math.ceil(p * sorted.length);
    return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
  }
  const at = p * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

export function median(values: readonly number[]): number | undefined {
  return percentile(values, 0.5);
}
