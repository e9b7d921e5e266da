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
    this.reserve(HEADER + frame.length);
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
    if (this.count === 0 && dropped > 0 && dropped < QUIET_FRAMES) this.ring = EMPTY;
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

  /** Makes room for `n` more bytes at the end: slide the live bytes to the front, or grow. */
  private reserve(n: number): void {
    if (this.end + n <= this.ring.length) return;
    const live = this.end - this.start;
    if (live + n <= this.ring.length && this.start >= live) {
      this.ring.copy(this.ring, 0, this.start, this.end);
    } else {
      const grown = Buffer.allocUnsafe(Math.max(512, 2 * (live + n)));
      this.ring.copy(grown, 0, this.start, this.end);
      this.ring = grown;
    }
    this.start = 0;
    this.end = live;
  }
}
