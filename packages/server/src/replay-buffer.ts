/**
 * The frames sent to one session that its client has not acknowledged yet, kept so that a resumed
 * session gets every frame exactly once. Bounded by frame count and bytes: the oldest frames go first,
 * and `firstSeq` tells a resuming client whether what it needs is still here.
 */
const EMPTY = new Uint8Array(0);

export class ReplayBuffer {
  private seqs: number[] = [];
  private frames: Uint8Array[] = [];
  private head = 0;
  private bytes = 0;
  /** The lowest sequence number that can still be replayed (everything before it is acked or evicted). */
  firstSeq = 1;

  constructor(
    private readonly maxFrames: number,
    private readonly maxBytes: number,
  ) {}

  get size(): number {
    return this.seqs.length - this.head;
  }

  push(seq: number, frame: Uint8Array): void {
    this.seqs.push(seq);
    this.frames.push(frame);
    this.bytes += frame.length;
    while (this.size > this.maxFrames || (this.bytes > this.maxBytes && this.size > 1)) this.dropOne();
  }

  /** Forgets every frame with seq <= `seq`. */
  ack(seq: number): void {
    while (this.size > 0 && (this.seqs[this.head] as number) <= seq) this.dropOne();
    if (seq + 1 > this.firstSeq) this.firstSeq = seq + 1;
  }

  /** Frames with seq > `after`, in order; undefined when some of them are gone. */
  since(after: number): Uint8Array[] | undefined {
    if (after + 1 < this.firstSeq) return undefined;
    const out: Uint8Array[] = [];
    for (let i = this.head; i < this.seqs.length; i++)
      if ((this.seqs[i] as number) > after) out.push(this.frames[i] as Uint8Array);
    return out;
  }

  private dropOne(): void {
    this.bytes -= (this.frames[this.head] as Uint8Array).length;
    this.firstSeq = (this.seqs[this.head] as number) + 1;
    this.frames[this.head] = EMPTY;
    this.head++;
    // Compact now and then so the arrays do not grow without bound.
    if (this.head > 64 && this.head * 2 > this.seqs.length) {
      this.seqs = this.seqs.slice(this.head);
      this.frames = this.frames.slice(this.head);
      this.head = 0;
    }
  }
}
