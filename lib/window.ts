// Bounded fan-out: run fn over items with at most `limit` in flight, results in item order.
// Pure promise code, so workflows use it for parallel activities.
// `mayStart` lets a caller stop taking new items (e.g. before continue-as-new); items never started stay undefined.
export async function mapWithWindow<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
  mayStart: () => boolean = () => true,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length && mayStart()) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  });
  await Promise.all(lanes);
  return results;
}
