/**
 * The two shapes every Parley metric takes on /metrics, read when scraped (nothing on the hot path): a gauge
 * that reads a current value, and a counter that mirrors monotonic totals kept elsewhere (each scrape adds
 * what is new since the last one). Used by the signaling, cluster and TURN metrics.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

/** A gauge set from `read()` at each scrape. */
export function pulledGauge(registry: Registry, name: string, help: string, read: () => number): Gauge {
  return new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}

/**
 * A counter mirroring totals: `read()` returns a total per label value (with no label, one entry under any
 * key), and each scrape adds the growth since the previous scrape.
 */
export function mirroredCounter(
  registry: Registry,
  name: string,
  help: string,
  label: string | undefined,
  read: () => Record<string, number>,
): Counter {
  const seen = new Map<string, number>();
  return new Counter({
    name,
    help,
    labelNames: label ? [label] : [],
    registers: [registry],
    collect() {
      for (const [key, total] of Object.entries(read())) {
        const delta = total - (seen.get(key) ?? 0);
        seen.set(key, total);
        if (delta <= 0) continue;
        if (label) this.inc({ [label]: key }, delta);
        else this.inc(delta);
      }
    },
  });
}
