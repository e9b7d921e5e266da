/**
 * Send-rate control for one peer's state lane. State updates are "latest wins": the caller keeps only the
 * newest state and asks the pacer, at each chance, whether to send it now. The pacer says no while the data
 * channel still holds more than one update (`bufferedAmount`: the link cannot keep up) and while it is not
 * yet time at the current rate. The rate falls multiplicatively when the buffer backs up or the measured
 * RTT rises well above the least seen (queues forming on the path), and climbs back one step per update
 * sent: a slow or lossy link gets fewer, fresher updates instead of a backlog.
 */

export interface PacerOptions {
  /** The most updates per second (default 60). */
  maxHz?: number;
  /** The fewest updates per second, however bad the link (default 5). */
  minHz?: number;
}

export class SendPacer {
  readonly maxHz: number;
  readonly minHz: number;
  #rate: number;
  #nextAt = Number.NEGATIVE_INFINITY;
  #lastCut = Number.NEGATIVE_INFINITY;
  #baseRtt: number | undefined;

  constructor(options: PacerOptions = {}) {
    this.maxHz = options.maxHz ?? 60;
    this.minHz = Math.min(options.minHz ?? 5, this.maxHz);
    this.#rate = this.maxHz;
  }

  /** Updates per second now. */
  get rateHz(): number {
    return this.#rate;
  }

  /** When the next update may go (same clock as `decide`'s `now`). */
  get nextAt(): number {
    return this.#nextAt;
  }

  /** A new RTT measurement of this link (ms), taken at `now`. */
  observeRtt(rttMs: number, now: number): void {
    if (this.#baseRtt === undefined || rttMs < this.#baseRtt) this.#baseRtt = rttMs;
    // The floor creeps up slowly, so a route that got longer for good stops counting as queueing.
    else this.#baseRtt += (rttMs - this.#baseRtt) * 0.01;
    const queueing = rttMs > 2 * this.#baseRtt + 20;
    if (queueing) this.#cut(0.8, now);
  }

  /**
   * Whether to send an update now. `bufferedAmount` is the channel's, `packetBytes` the update's size.
   * Calling it when the answer is no is harmless: the caller tries again later with its newest state.
   */
  decide(now: number, bufferedAmount: number, packetBytes: number): boolean {
    if (bufferedAmount > packetBytes) {
      this.#cut(0.7, now);
      return false;
    }
    // 1 ms of slack: timers fire a little early or late.
    if (now < this.#nextAt - 1) return false;
    this.#rate = Math.min(this.maxHz, this.#rate + 1);
    const interval = 1000 / this.#rate;
    // On time: keep the cadence. Late (a busy event loop): one update may follow sooner, never a burst.
    this.#nextAt = Math.max(this.#nextAt + interval, now + interval / 2);
    return true;
  }

  /** At most one cut per update interval: a buffer that stays full for a while is one signal, not many. */
  #cut(factor: number, now: number): void {
    if (now - this.#lastCut < 1000 / this.#rate) return;
    this.#lastCut = now;
    this.#rate = Math.max(this.minHz, this.#rate * factor);
  }
}
