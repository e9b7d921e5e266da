/** A rate and ETA over a sliding window of byte counts (no timers: sampled when progress is reported). */
import type { Progress } from './types.js';

const WINDOW_MS = 3000;

export class Meter {
  readonly #samples: { t: number; bytes: number }[] = [];
  readonly #now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** Records that `bytes` are done now, and returns the progress with the window's rate. */
  sample(bytes: number, total: number, file: number): Progress {
    const t = this.#now();
    this.#samples.push({ t, bytes });
    while (this.#samples.length > 2 && t - (this.#samples[1] as { t: number }).t >= WINDOW_MS)
      this.#samples.shift();
    const first = this.#samples[0] as { t: number; bytes: number };
    const dt = (t - first.t) / 1000;
    const rate = dt > 0.05 ? Math.max(0, (bytes - first.bytes) / dt) : 0;
    const etaSeconds = rate > 0 ? (total - bytes) / rate : undefined;
    return { bytes, total, rate, etaSeconds, file };
  }
}
