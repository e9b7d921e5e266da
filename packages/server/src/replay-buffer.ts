/**
 * The frames sent to one session that its client has not acknowledged yet, kept so that a resumed
 * session gets every frame exactly once. Bounded by frame count and bytes: the oldest frames go first,
 * and `firstSeq` tells a resuming client whether what it needs is still here.
 *
 * A session numbers its frames consecutively, so the kept frames are exactly `firstSeq … lastSeq` and
 * need no index: each frame sits in one growing byte ring behind a 4-byte length. Keeping thousands of
 * unacknowledged frames as separate objects made every young-generation GC copy them (and promote them,
 * feeding full GCs): here a waiting frame is no object at all.
 *
 * The ring outlives a busy session's ack cycles (releasing and regrowing it on every ack churned large
 * buffers, whose external memory set off full GCs), but a quiet session gives it back when an ack
 * empties it, so an idle connection holds no ring at all.
 */
const EMPTY = Buffer.alloc(0);
const HEADER = 4;
/** An ack that empties the ring after fewer frames than this means the session is quiet. */
const QUIET_FRAMES = 16;

/**
 * Bytes all replay buffers together may hold (their rings' sizes). A buffer that would grow past it
 * forgets everything it kept and keeps nothing more until the budget has room again: a resume that
 * needs those frames then fails, and the client joins again, instead of the server running out of memory.
 */
export class ReplayBudget {
  used = 0;
  /** Times a buffer was refused growth, ever. */
  refusals = 0;
  constructor(readonly max: number) {}
}

export class ReplayBuffer {
  private ring: Buffer = EMPTY;
  /** Live records (length header + frame) are ring[start, end). */
  private start = 0;
  private end = 0;
  private count = 0;
  private frameBytes = 0;
  /** The lowest sequence number that can still be replayed (everything before it is acked or evicted). */
  firstSeq = 1;

  constructor(
    private readonly maxFrames: number,
    private readonly maxBytes: number,
    private readonly budget: ReplayBudget = new ReplayBudget(Number.POSITIVE_INFINITY),
  ) {}

  /** Frames kept. */
  get size(): number {
    return this.count;
  }

  /** Bytes of the frames kept (without their length headers). */
  get bytes(): number {
    return this.frameBytes;
  }

  /** Whether a ring is allocated (an idle, fully acknowledged buffer holds none). */
  get holdsRing(): boolean {
    return this.ring !== EMPTY;
  }

  /** Keeps frame `seq`, which must follow the last one pushed (or be the first). */
  push(seq: number, frame: Uint8Array): void {
    if (this.count === 0) this.firstSeq = seq;
    else if (seq !== this.firstSeq + this.count) throw new RangeError(`frame ${seq} out of sequence`);
    if (!this.reserve(HEADER + frame.length)) {
      // Over the server-wide budget: keep nothing, so no resume can claim frames that are not here.
      this.release();
      this.firstSeq = seq + 1;
      return;
    }
    this.ring.writeUInt32LE(frame.length, this.end);
    this.ring.set(frame, this.end + HEADER);
    this.end += HEADER + frame.length;
    this.count++;
    this.frameBytes += frame.length;
    while (this.count > this.maxFrames || (this.frameBytes > this.maxBytes && this.count > 1)) this.dropOne();
  }

  /** Forgets every frame with seq <= `seq`. */
  ack(seq: number): void {
    let dropped = 0;
    while (this.count > 0 && this.firstSeq <= seq) {
      this.dropOne();
      dropped++;
    }
    if (seq + 1 > this.firstSeq) this.firstSeq = seq + 1;
    if (this.count === 0 && dropped > 0 && dropped < QUIET_FRAMES) this.release();
  }

  /** Gives the ring back (to the budget and the GC); frames kept are forgotten. */
  release(): void {
    this.budget.used -= this.ring.length;
    this.ring = EMPTY;
    this.count = 0;
    this.frameBytes = 0;
    this.start = 0;
    this.end = 0;
  }

  /** Copies of the frames with seq > `after`, in order; undefined when some of them are gone. */
  since(after: number): Uint8Array[] | undefined {
    if (after + 1 < this.firstSeq) return undefined;
    const out: Uint8Array[] = [];
    let at = this.start;
    for (let seq = this.firstSeq; seq < this.firstSeq + this.count; seq++) {
      const len = this.ring.readUInt32LE(at);
      // Copies: a view into the ring could change under a socket that has not written it yet.
      if (seq > after) out.push(Buffer.from(this.ring.subarray(at + HEADER, at + HEADER + len)));
      at += HEADER + len;
    }
    return out;
  }

  private dropOne(): void {
    const len = this.ring.readUInt32LE(this.start);
    this.start += HEADER + len;
    this.frameBytes -= len;
    this.count--;
    this.firstSeq++;
    if (this.count === 0) {
      // Everything is gone: start again at the front.
      this.start = 0;
      this.end = 0;
    }
  }

  /**
   * Makes room for `n` more bytes at the end: slide the live bytes to the front, or grow. False when
   * growing would take the budget past its bound.
   */
  private reserve(n: number): boolean {
    if (this.end + n <= this.ring.length) return true;
    const live = this.end - this.start;
    if (live + n <= this.ring.length && this.start >= live) {
      this.ring.copy(this.ring, 0, this.start, this.end);
    } else {
      // Doubling, but never past what the bounds can ever need: every frame kept plus the one coming.
      const size = Math.max(
        live + n,
        Math.min(Math.max(512, 2 * (live + n)), this.maxBytes + this.maxFrames * HEADER + n),
      );
      if (this.budget.used + size - this.ring.length > this.budget.max) {
        this.budget.refusals++;
        return false;
      }
      const grown = Buffer.allocUnsafe(size);
      this.ring.copy(grown, 0, this.start, this.end);
      this.budget.used += size - this.ring.length;
      this.ring = grown;
    }
    this.start = 0;
    this.end = live;
    return true;
  }
}
