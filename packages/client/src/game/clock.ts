/**
 * The shared clock: this peer's offset to the room's clock, estimated from round trips the way NTP does.
 * One exchange: t0 (sent, local clock), t1 (received there, room clock), t2 (answered, room clock), t3
 * (answer received, local clock). Assuming the clocks do not drift during it, the true offset (room − local)
 * lies within `θ ± δ/2`, where θ = ((t1 − t0) + (t2 − t3)) / 2 and δ = (t3 − t0) − (t2 − t1) is the time on
 * the wire; an asymmetric path moves the estimate anywhere inside that bound, never outside it.
 */

export interface ClockSample {
  /** Room clock minus local clock, ms. */
  offset: number;
  /** The true offset is within `offset ± error` (half the time the exchange spent on the wire). */
  error: number;
  /** The round trip on the wire (without the time the other side held the ping). */
  rtt: number;
  /** When it was taken (local clock). */
  at: number;
}

/** One exchange's estimate. */
export function clockSample(t0: number, t1: number, t2: number, t3: number): ClockSample {
  const rtt = Math.max(0, t3 - t0 - (t2 - t1));
  return { offset: (t1 - t0 + (t2 - t3)) / 2, error: rtt / 2, rtt, at: t3 };
}

/**
 * Keeps the last `window` samples and uses the one with the smallest error bound (the least queued round
 * trip), as NTP's clock filter does: one slow exchange never drags the estimate.
 */
export class ClockSync {
  readonly #window: number;
  #samples: ClockSample[] = [];

  constructor(window = 16) {
    this.#window = window;
  }

  add(t0: number, t1: number, t2: number, t3: number): ClockSample {
    const s = clockSample(t0, t1, t2, t3);
    this.#samples.push(s);
    if (this.#samples.length > this.#window) this.#samples.shift();
    return s;
  }

  /** The best sample so far, or undefined before the first. */
  get best(): ClockSample | undefined {
    let best: ClockSample | undefined;
    for (const s of this.#samples) if (!best || s.error < best.error) best = s;
    return best;
  }

  get count(): number {
    return this.#samples.length;
  }

  reset(): void {
    this.#samples = [];
  }
}
