/** Prometheus metrics at /metrics, read from the core's counters when scraped (nothing on the hot path). */
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { CoreStats } from './core.js';
import { mirroredCounter, pulledGauge } from './metric-builders.js';

/** What the transport layer counts, beside the core's stats. */
export interface TransportStats {
  /** WebSockets dropped because their send queue passed its bound, ever. */
  slowDropped: number;
  /** TCP connections refused at accept, by the bound that refused them, ever. */
  refused: { perAddress: number; total: number };
  /** Open TCP connections on the HTTP/WebSocket port. */
  tcpConnections: number;
  /** WebSocket handshakes refused for their Origin, ever. */
  originRefused: number;
  /** TLS handshakes that failed or timed out on the HTTPS port, ever. */
  tlsHandshakeFailed: number;
}

const NO_TRANSPORT: TransportStats = {
  slowDropped: 0,
  refused: { perAddress: 0, total: 0 },
  tcpConnections: 0,
  originRefused: 0,
  tlsHandshakeFailed: 0,
};

export function createMetrics(
  stats: () => CoreStats,
  transport: () => TransportStats = () => NO_TRANSPORT,
): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'parley_' });
  const gauge = (name: string, help: string, pick: (s: CoreStats) => number) =>
    pulledGauge(registry, name, help, () => pick(stats()));
  gauge('parley_signaling_connections', 'Open signaling WebSocket connections', (s) => s.connections);
  gauge(
    'parley_signaling_sessions',
    'Peers in rooms, connected or inside their resume window',
    (s) => s.sessions,
  );
  gauge('parley_signaling_rooms', 'Rooms with at least one peer', (s) => s.rooms);
  gauge(
    'parley_signaling_dropped_sessions',
    'Sessions whose socket dropped, inside their resume window',
    (s) => s.dropped,
  );
  gauge('parley_signaling_replay_bytes', 'Bytes held by every replay buffer together', (s) => s.replayBytes);
  pulledGauge(
    registry,
    'parley_http_connections',
    'Open TCP connections on the HTTP/WebSocket port',
    () => transport().tcpConnections,
  );
  // Counters mirror monotonic totals kept by the core: each scrape adds what is new since the last one.
  const mirror = (
    name: string,
    help: string,
    labelNames: string[],
    read: (s: CoreStats) => Record<string, number>,
  ) => mirroredCounter(registry, name, help, labelNames[0], () => read(stats()));
  mirror('parley_signaling_frames_in_total', 'Frames received from clients', [], (s) => ({
    all: s.framesIn,
  }));
  mirror('parley_signaling_frames_out_total', 'Frames delivered to peers', [], (s) => ({ all: s.framesOut }));
  mirror('parley_signaling_errors_total', 'Error frames sent, by code', ['code'], (s) => s.errors);
  mirror(
    'parley_signaling_replay_over_budget_total',
    'Replay buffers emptied because the total replay bound was reached',
    [],
    (s) => ({
      all: s.replayOverBudget,
    }),
  );
  mirror(
    'parley_signaling_seats_reclaimed_total',
    'Seats of dropped sessions given to newcomers in full rooms',
    [],
    (s) => ({
      all: s.seatsReclaimed,
    }),
  );
  mirror(
    'parley_signaling_idle_closed_total',
    'Connections closed for staying in no room too long',
    [],
    (s) => ({
      all: s.idleClosed,
    }),
  );
  mirror(
    'parley_signaling_origin_refused_total',
    'WebSocket handshakes refused for their Origin',
    [],
    () => ({
      all: transport().originRefused,
    }),
  );
  mirror(
    'parley_http_tls_handshake_failures_total',
    'TLS handshakes on the HTTPS port that failed or timed out (garbage, plain HTTP, an untrusted certificate)',
    [],
    () => ({
      all: transport().tlsHandshakeFailed,
    }),
  );
  mirror('parley_signaling_slow_dropped_total', 'WebSockets dropped for a full send queue', [], () => ({
    all: transport().slowDropped,
  }));
  mirror(
    'parley_http_connections_refused_total',
    'TCP connections refused at accept, by bound',
    ['limit'],
    () => ({
      ...transport().refused,
    }),
  );
  return registry;
}
