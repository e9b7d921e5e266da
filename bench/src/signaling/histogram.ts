/**
 * A fixed-bucket latency histogram that load workers fill and the orchestrator merges, so percentiles
 * come from every sample. Buckets: 10 µs up to 100 ms, then 1 ms up to 2 s, then one overflow bucket
 * that also holds frames that never arrived.
 */
const FINE_US = 10;
const FINE = 10_000;
const COARSE_US = 1000;
const COARSE = 1900;
export const BUCKETS = FINE + COARSE;

function bucketOf(us: number): number {
  if (us < FINE * FINE_US) return Math.max(0, Math.floor(us / FINE_US));
  return Math.min(BUCKETS, FINE + Math.floor((us - FINE * FINE_US) / COARSE_US));
}

/** The upper edge of a bucket, in ms. */
function edgeMs(i: number): number {
  if (i < FINE) return ((i + 1) * FINE_US) / 1000;
  return (FINE * FINE_US + (i - FINE + 1) * COARSE_US) / 1000;
}

export class Histogram {
  readonly counts = new Uint32Array(BUCKETS + 1);
  total = 0;

  record(latencyUs: number): void {
    this.counts[bucketOf(latencyUs)]! += 1;
    this.total += 1;
  }

  /** Counts frames that never arrived as slower than anything measurable. */
  recordLost(n: number): void {
    this.counts[BUCKETS]! += n;
    this.total += n;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
  }

  /** Sparse form for IPC: [bucket, count] pairs. */
  toSparse(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let i = 0; i <= BUCKETS; i++) if (this.counts[i]) out.push([i, this.counts[i]!]);
    return out;
  }

  addSparse(pairs: Array<[number, number]>): void {
    for (const [i, n] of pairs) {
      this.counts[i]! += n;
      this.total += n;
    }
  }

  /** The latency in ms below which `q` (0..1) of the samples fall; Infinity past 2 s or never arrived. */
  quantileMs(q: number): number {
    if (this.total === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i <= BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return i === BUCKETS ? Number.POSITIVE_INFINITY : edgeMs(i);
    }
    return Number.POSITIVE_INFINITY;
  }
}
