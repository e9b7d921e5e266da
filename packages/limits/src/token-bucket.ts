/**
 * A token bucket: `perSecond` tokens refill continuously up to `burst`; each take costs one token or more.
 * The state is two integers that can live on the limited object itself (the signaling server keeps them on
 * each connection, no object of its own per connection): the fill in thousandths of a token and the whole
 * millisecond of the last refill, so a millisecond refills exactly `perSecond` thousandths and, for whole
 * rates, both fields stay small integers (a fractional field would box every connection's number in a heap
 * object of its own). Rate and burst are passed to each take, so the state holds nothing else.
 */
export interface Bucket {
  /** Tokens × 1000. */
  milliTokens: number;
  /** The whole millisecond of the last refill. */
  last: number;
}

export function fullBucket(burst: number, now: number): Bucket {
  return { milliTokens: burst * 1000, last: Math.floor(now) };
}

/** Takes `cost` tokens if they are there; false means the caller is over its rate. */
export function takeToken(b: Bucket, now: number, perSecond: number, burst: number, cost = 1): boolean {
  const ms = Math.floor(now);
  if (ms > b.last) {
    b.milliTokens = Math.min(burst * 1000, b.milliTokens + (ms - b.last) * perSecond);
    b.last = ms;
  }
  if (b.milliTokens < cost * 1000) return false;
  b.milliTokens -= cost * 1000;
  return true;
}
