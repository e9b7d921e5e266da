import { type Bucket, fullBucket, LruMap, takeToken } from '@parley/limits';

export interface RateLimitOptions {
  /** Tokens a source starts with and can save up. Default 20. */
  readonly burst?: number;
  /** Tokens added per second. Default 5. */
  readonly perSecond?: number;
  /** Sources tracked at once; the least recently seen is forgotten beyond this. Default 65536. */
  readonly maxSources?: number;
}

/**
 * Per-source token bucket for 401 responses: a 401 carries a fresh nonce and realm, so unlimited 401s make the
 * server a reflector and let a guesser try passwords at line rate. Past the limit the request is dropped.
 */
export class SourceRateLimiter {
  private readonly burst: number;
  private readonly perSecond: number;
  private readonly buckets: LruMap<string, Bucket>;

  constructor(options: RateLimitOptions = {}) {
    this.burst = options.burst ?? 20;
    this.perSecond = options.perSecond ?? 5;
    this.buckets = new LruMap(options.maxSources ?? 65_536);
  }

  /** Takes one token for `source` at `nowMs`; false when the source has none left. */
  take(source: string, nowMs: number): boolean {
    let b = this.buckets.get(source);
    if (!b) {
      b = fullBucket(this.burst, nowMs);
      this.buckets.set(source, b);
    }
    return takeToken(b, nowMs, this.perSecond, this.burst);
  }

  get trackedSources(): number {
    return this.buckets.size;
  }
}
