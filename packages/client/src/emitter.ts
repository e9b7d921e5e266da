/**
 * A typed event emitter driven by one event map: `type PeerEvents = { open: []; message: [data: string] }`.
 * A listener that throws is reported and never stops the other listeners or the emitter.
 */
export type EventMap = { [event: string]: unknown[] };
export type Listener<A extends unknown[]> = (...args: A) => void;

let reportListenerError = (event: string, err: unknown): void => {
  console.error(`parley: a listener for "${event}" threw`, err);
};

/** Sets where errors thrown by listeners are reported (default: console.error). */
export function setListenerErrorHandler(handler: (event: string, err: unknown) => void): void {
  reportListenerError = handler;
}

export class Emitter<E extends EventMap> {
  readonly #listeners = new Map<keyof E, Set<Listener<never[]>>>();

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as unknown as Listener<never[]>);
    return () => this.off(event, listener);
  }

  /** Adds a listener that runs at most once. */
  once<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    const off = this.on(event, (...args) => {
      off();
      listener(...args);
    });
    return off;
  }

  off<K extends keyof E>(event: K, listener: Listener<E[K]>): void {
    this.#listeners.get(event)?.delete(listener as unknown as Listener<never[]>);
  }

  listenerCount(event: keyof E): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  /** Calls every listener of `event` in the order they were added; returns whether there was one. */
  emit<K extends keyof E>(event: K, ...args: E[K]): boolean {
    const set = this.#listeners.get(event);
    if (!set || set.size === 0) return false;
    // A snapshot: listeners added or removed while emitting take effect from the next emit.
    for (const listener of [...set]) {
      try {
        (listener as unknown as Listener<E[K]>)(...args);
      } catch (err) {
        reportListenerError(String(event), err);
      }
    }
    return true;
  }

  /** Removes every listener (used when the object is closed for good). */
  protected removeAllListeners(): void {
    this.#listeners.clear();
  }
}
