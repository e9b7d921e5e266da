/**
 * Liveness by ping/pong, spread over the ping interval. Every socket is pinged once per interval, but a
 * slice at a time (one tick every `intervalMs / slices`) rather than all of them in one tick: with tens
 * of thousands of idle sockets, one burst stalls the event loop and puts a young generation's worth of
 * write state in flight at once, and an idle server that allocates in bursts never looks idle to V8, so
 * V8 never gives back the young generation a connection storm grew.
 *
 * Nothing is kept per socket but one number on its connection record: the time of its outstanding ping
 * (the core resets it when anything arrives from the socket). The records are walked with one live
 * iterator (a Map iterator survives inserts and deletes), a slice per tick; each tick's slice is
 * remembered until its pong timeout, so a socket that never answers is dropped then.
 */

export interface LivenessRecord<S> {
  readonly handle: S;
  /** When the ping still unanswered went out, or -1. */
  pingAt: number;
}

export interface LivenessSource<S> {
  readonly connectionCount: number;
  /** A fresh iterator over the open connections' records, asked for at the start of every round. */
  livenessRecords(): Iterator<LivenessRecord<S>>;
}

export interface LivenessOptions<S> {
  intervalMs: number;
  /** A ping unanswered this long gets its socket terminated. Default: half the interval. */
  timeoutMs?: number;
  /** Ticks per interval. */
  slices: number;
  now(): number;
  ping(socket: S): void;
  /** Drops the socket at once; its close handling runs as for any other close. */
  terminate(socket: S): void;
}

/** About four ticks a second, at most one per 10 ms interval. */
export function slicesFor(intervalMs: number): number {
  return Math.max(1, Math.round(intervalMs / 250));
}

interface Batch<S> {
  at: number;
  records: LivenessRecord<S>[];
}

export class Liveness<S> {
  private walk: Iterator<LivenessRecord<S>> | null = null;
  private ticks = 0;
  private roundStart = Number.NEGATIVE_INFINITY;
  /** The slices pinged within the last timeout, oldest first. */
  private batches: Batch<S>[] = [];
  private readonly timeoutMs: number;

  constructor(
    private readonly source: LivenessSource<S>,
    private readonly options: LivenessOptions<S>,
  ) {
    this.timeoutMs = options.timeoutMs ?? options.intervalMs / 2;
  }

  /**
   * One tick: drop the sockets whose ping has gone unanswered for the timeout, then ping the next
   * slice, about a `slices`-th of the sockets. A round walks every socket once and lasts at least
   * `slices` ticks (longer while sockets keep arriving, as they join the walk's end).
   */
  tick(): void {
    const now = this.options.now();
    this.expire(now);
    this.ticks++;
    const { slices } = this.options;
    const pinged: LivenessRecord<S>[] = [];
    for (let quota = Math.ceil(this.source.connectionCount / slices); quota > 0; ) {
      if (this.walk === null) {
        if (this.ticks - this.roundStart < slices) break;
        this.walk = this.source.livenessRecords();
        this.roundStart = this.ticks;
      }
      const next = this.walk.next();
      if (next.done) {
        this.walk = null;
        continue;
      }
      quota--;
      const record = next.value;
      // Still waiting (a timeout longer than the interval): its batch will judge it.
      if (record.pingAt >= 0) continue;
      record.pingAt = now;
      pinged.push(record);
      this.options.ping(record.handle);
    }
    if (pinged.length > 0) this.batches.push({ at: now, records: pinged });
  }

  private expire(now: number): void {
    let done = 0;
    for (const batch of this.batches) {
      if (now - batch.at < this.timeoutMs) break;
      done++;
      for (const record of batch.records) {
        // Answered since (-1), or pinged again later (another time): not this batch's to judge.
        if (record.pingAt !== batch.at) continue;
        record.pingAt = -1;
        this.options.terminate(record.handle);
      }
    }
    if (done > 0) this.batches = this.batches.slice(done);
  }
}
