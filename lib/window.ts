// Bounded fan-out: run fn over items with at most `limit` in flight, results in item order.
// Pure promise code, so workflows use it for parallel activities and child workflows.
// `mayStart` lets a caller stop taking new items (e.g. before continue-as-new); items never started stay undefined.
// On the first failure no new item starts, and the failure is thrown only once every item in flight has
// settled: a cancelled workflow waits for its children's cancellation instead of leaving them running.
export async function mapWithWindow<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
  mayStart: () => boolean = () => true,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (!failed && next < items.length && mayStart()) {
      const i = next++;
      try {
        results[i] = await fn(items[i], i);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  });
  const settled = await Promise.allSettled(lanes);
  const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (rejected) throw rejected.reason;
  return results;
}

/**
 * Consecutive batches for `lanes` parallel workers, largest first and shrinking toward the end (guided
 * self-scheduling: each takes its share of what is left, at most `maxSize`, at least `minSize` while that many
 * are left), so no lane is left with a long batch while the others idle. Items keep their order.
 */
export function guidedBatches<T>(items: readonly T[], lanes: number, maxSize = 8, minSize = 1): T[][] {
  const batches: T[][] = [];
  for (let i = 0; i < items.length;) {
    const size = Math.max(1, minSize, Math.min(maxSize, Math.ceil((items.length - i) / (2 * Math.max(1, lanes)))));
    batches.push(items.slice(i, i + size));
    i += size;
  }
  return batches;
}
