/**
 * A bounded map that forgets roughly the least recently used entries: two generations of at most `max / 2`
 * entries each; when the young one fills up, the old one is dropped whole and the young one takes its place,
 * and a hit in the old one moves the entry back to the young. Every operation is O(1): a Map kept in LRU
 * order by deleting from its front gets slow, as V8 skips the deleted slots on every `keys().next()`.
 * For caches whose misses are only slower, never wrong, and for bounded bookkeeping like rate limits.
 */
export class LruMap<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();
  private readonly half: number;

  constructor(max: number) {
    this.half = Math.max(0, Math.floor(max / 2));
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  get(key: K): V | undefined {
    const v = this.young.get(key);
    if (v !== undefined) return v;
    const aged = this.old.get(key);
    if (aged === undefined) return undefined;
    this.old.delete(key);
    this.insert(key, aged);
    return aged;
  }

  set(key: K, value: V): void {
    if (this.young.has(key)) {
      this.young.set(key, value);
      return;
    }
    this.old.delete(key);
    this.insert(key, value);
  }

  delete(key: K): void {
    this.young.delete(key);
    this.old.delete(key);
  }

  private insert(key: K, value: V): void {
    if (this.half === 0) return;
    if (this.young.size >= this.half) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }
}
