/** Prometheus metrics at /metrics, read from the core's counters when scraped (nothing on the hot path). */
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { CoreStats } from './core.js';

export function createMetrics(stats: () => CoreStats): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'parley_' });
  const gauge = (name: string, help: string, pick: (s: CoreStats) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(pick(stats()));
      },
    });
  gauge('parley_signaling_connections', 'Open signaling WebSocket connections', (s) => s.connections);
  gauge(
    'parley_signaling_sessions',
    'Peers in rooms, connected or inside their resume window',
    (s) => s.sessions,
  );
  gauge('parley_signaling_rooms', 'Rooms with at least one peer', (s) => s.rooms);
  // Counters mirror monotonic totals kept by the core: each scrape adds what is new since the last one.
  const mirror = (
    name: string,
    help: string,
    labelNames: string[],
    read: (s: CoreStats) => Record<string, number>,
  ) => {
    const seen = new Map<string, number>();
    return new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        for (const [key, total] of Object.entries(read(stats()))) {
          const delta = total - (seen.get(key) ?? 0);
          seen.set(key, total);
          if (delta <= 0) continue;
          if (labelNames.length) this.inc({ [labelNames[0] as string]: key }, delta);
          else this.inc(delta);
        }
      },
    });
  };
  mirror('parley_signaling_frames_in_total', 'Frames received from clients', [], (s) => ({
    all: s.framesIn,
  }));
  mirror('parley_signaling_frames_out_total', 'Frames delivered to peers', [], (s) => ({ all: s.framesOut }));
  mirror('parley_signaling_errors_total', 'Error frames sent, by code', ['code'], (s) => s.errors);
  return registry;
}
