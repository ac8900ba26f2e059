// A Map with a size bound, for caches a long-lived worker fills as it meets new files and folders.

/** A Map that forgets its least recently used keys past `limit` (a long-lived worker sees many folders). */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(readonly limit: number) { super(); }
  override get(key: K): V | undefined {
    if (!super.has(key)) return undefined;
    const v = super.get(key) as V;
    super.delete(key);
    super.set(key, v);
    return v;
  }
  override set(key: K, value: V): this {
    super.delete(key);
    super.set(key, value);
    while (this.size > this.limit) super.delete(this.keys().next().value as K);
    return this;
  }
}
