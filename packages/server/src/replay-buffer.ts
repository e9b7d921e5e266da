/**
 * The frames sent to one session that its client has not acknowledged yet, kept so that a resumed
 * session gets every frame exactly once. Bounded by frame count and bytes: the oldest frames go first,
 * and `firstSeq` tells a resuming client whether what it needs is still here.
 *
 * The bytes live in one growing buffer per session, with sequence numbers and lengths in small-integer
 * arrays. Keeping thousands of unacknowledged frames as separate objects made every young-generation GC
 * copy them (and promote them, feeding full GCs): here a waiting frame is no object at all.
 */
const EMPTY = Buffer.alloc(0);

export class ReplayBuffer {
  private seqs: number[] = [];
  private lens: number[] = [];
  private head = 0;
  private ring: Buffer = EMPTY;
  /** Live bytes are ring[start, end). */
  private start = 0;
  private end = 0;
  /** The lowest sequence number that can still be replayed (everything before it is acked or evicted). */
  firstSeq = 1;

  constructor(
    private readonly maxFrames: number,
    private readonly maxBytes: number,
  ) {}

  get size(): number {
    return this.seqs.length - this.head;
  }

  get bytes(): number {
    return this.end - this.start;
  }

  push(seq: number, frame: Uint8Array): void {
    this.reserve(frame.length);
    this.ring.set(frame, this.end);
    this.end += frame.length;
    this.seqs.push(seq);
    this.lens.push(frame.length);
    while (this.size > this.maxFrames || (this.bytes > this.maxBytes && this.size > 1)) this.dropOne();
  }

  /** Forgets every frame with seq <= `seq`. */
  ack(seq: number): void {
    while (this.size > 0 && (this.seqs[this.head] as number) <= seq) this.dropOne();
    if (seq + 1 > this.firstSeq) this.firstSeq = seq + 1;
  }

  /** Copies of the frames with seq > `after`, in order; undefined when some of them are gone. */
  since(after: number): Uint8Array[] | undefined {
    if (after + 1 < this.firstSeq) return undefined;
    const out: Uint8Array[] = [];
    let at = this.start;
    for (let i = this.head; i < this.seqs.length; i++) {
      const len = this.lens[i] as number;
      // Copies: a view into the ring could change under a socket that has not written it yet.
      if ((this.seqs[i] as number) > after) out.push(Buffer.from(this.ring.subarray(at, at + len)));
      at += len;
    }
    return out;
  }

  private dropOne(): void {
    this.start += this.lens[this.head] as number;
    this.firstSeq = (this.seqs[this.head] as number) + 1;
    this.head++;
    if (this.size === 0) {
      // Everything is acknowledged: start again at the front. The ring itself stays: releasing and
      // regrowing it on every ack cycle churned large buffers, and their external memory set off full GCs.
      this.start = 0;
      this.end = 0;
    }
    // Compact the index arrays now and then so they do not grow without bound.
    if (this.head > 64 && this.head * 2 > this.seqs.length) {
      this.seqs = this.seqs.slice(this.head);
      this.lens = this.lens.slice(this.head);
      this.head = 0;
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
