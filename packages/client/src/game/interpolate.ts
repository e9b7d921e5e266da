/**
 * Interpolation of a remote player between updates: keep the last second of timestamped states and render
 * each frame at "room time now minus a delay" (a little more than one update interval plus jitter), blending
 * the two states around that moment. Updates that arrive late or out of order slot in by time.
 */

export class StateBuffer<S> {
  readonly #keepMs: number;
  #items: { time: number; state: S }[] = [];

  constructor(keepMs = 1000) {
    this.#keepMs = keepMs;
  }

  push(time: number, state: S): void {
    const items = this.#items;
    let i = items.length;
    while (i > 0 && (items[i - 1] as { time: number }).time > time) i--;
    if (items[i - 1]?.time === time) return;
    items.splice(i, 0, { time, state });
    const last = items[items.length - 1] as { time: number };
    while (items.length > 2 && (items[0] as { time: number }).time < last.time - this.#keepMs) items.shift();
  }

  get latest(): { time: number; state: S } | undefined {
    return this.#items[this.#items.length - 1];
  }

  /** The state at `time`: blended between the two around it, the nearest end outside them. */
  at(time: number, blend: (a: S, b: S, t: number) => S): S | undefined {
    const items = this.#items;
    if (items.length === 0) return undefined;
    const first = items[0] as { time: number; state: S };
    if (time <= first.time) return first.state;
    for (let i = 1; i < items.length; i++) {
      const b = items[i] as { time: number; state: S };
      if (time <= b.time) {
        const a = items[i - 1] as { time: number; state: S };
        return blend(a.state, b.state, (time - a.time) / (b.time - a.time));
      }
    }
    return (items[items.length - 1] as { state: S }).state;
  }
}

/** Blends every number field linearly; any other field takes the newer state's value. */
export function lerpNumbers<S extends object>(a: S, b: S, t: number): S {
  const out = { ...b } as Record<string, unknown>;
  for (const [k, av] of Object.entries(a)) {
    const bv = (b as Record<string, unknown>)[k];
    if (typeof av === 'number' && typeof bv === 'number') out[k] = av + (bv - av) * t;
  }
  return out as S;
}
