/** The TURN server's counters on the signaling port's /metrics: one scrape shows the whole process. */
import { mirroredCounter, pulledGauge } from '@parley/server';
import type { TurnServer } from '@parley/turn';
import type { Registry } from 'prom-client';

export function registerTurnMetrics(registry: Registry, turn: TurnServer): void {
  const gauge = (name: string, help: string, read: () => number) => pulledGauge(registry, name, help, read);
  gauge('parley_turn_allocations', 'Live TURN allocations', () => turn.counters().allocations);
  gauge('parley_turn_permissions', 'Live TURN permissions', () => turn.counters().permissions);
  gauge('parley_turn_channels', 'Live TURN channel bindings', () => turn.counters().channels);
  // The TURN server keeps monotonic totals; each scrape adds what is new since the last one.
  const mirror = (name: string, help: string, label: string, read: () => Record<string, number>) =>
    mirroredCounter(registry, name, help, label, read);
  mirror(
    'parley_turn_limit_refusals_total',
    'TURN requests refused and connections closed, by limit',
    'limit',
    () => ({
      ...turn.counters().limits,
    }),
  );
  mirror(
    'parley_turn_auth_failures_total',
    'TURN requests that failed authentication, by reason',
    'reason',
    () => ({
      ...turn.counters().authFailures,
    }),
  );
  mirror('parley_turn_relayed_bytes_total', 'Bytes TURN relayed, by direction', 'direction', () => {
    const c = turn.counters();
    return { to_peers: c.bytesToPeers, to_clients: c.bytesToClients };
  });
}
