/**
 * A clock whose time moves only when a test says so. It serves both timer shapes Parley injects: the
 * server core's (`now()`, and `setTimeout` returning a cancel function) and the SDK's
 * (`setTimeout` returning a handle for `clearTimeout`): here the handle is that cancel function.
 */
interface Timer {
  at: number;
  fn: () => void;
  live: boolean;
}

export class FakeClock {
  /** The current time in ms. */
  t: number;
  private timers: Timer[] = [];

  constructor(start = 0) {
    this.t = start;
  }

  now = (): number => this.t;

  setTimeout(fn: () => void, ms: number): () => void {
    const timer: Timer = { at: this.t + ms, fn, live: true };
    this.timers.push(timer);
    return () => {
      timer.live = false;
    };
  }

  clearTimeout(handle: unknown): void {
    if (typeof handle === 'function') handle();
  }

  /** Moves time forward by `ms`, firing each due timer in time order at the time it was due. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: Timer | undefined;
      for (const timer of this.timers)
        if (timer.live && timer.at <= end && (!next || timer.at < next.at)) next = timer;
      if (!next) break;
      next.live = false;
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = end;
    this.timers = this.timers.filter((x) => x.live);
  }
}
