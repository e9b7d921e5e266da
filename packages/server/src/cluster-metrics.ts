/** The cluster's figures on /metrics: readiness, nodes seen, frames across nodes, Redis latency and errors. */
import { Histogram, type Registry } from 'prom-client';
import type { CoreStats } from './core-types.js';
import { mirroredCounter, pulledGauge } from './metric-builders.js';

export interface ClusterFigures {
  ready: boolean;
  nodesSeen: number;
  errors: number;
  /** Latencies (seconds) of Redis calls since the last read. */
  takeLatencies(): number[];
}

export function registerClusterMetrics(
  registry: Registry,
  figures: () => ClusterFigures,
  core: () => CoreStats,
): void {
  const cluster = () =>
    core().cluster ?? { remoteSessions: 0, framesToNodes: 0, framesFromNodes: 0, unreachable: 0 };
  const gauge = (name: string, help: string, read: () => number) => pulledGauge(registry, name, help, read);
  gauge('parley_cluster_ready', '1 while Redis is reachable (readyz says ready), else 0', () =>
    figures().ready ? 1 : 0,
  );
  gauge(
    'parley_cluster_nodes',
    'Nodes of the cluster alive (liveness key present), this one included',
    () => figures().nodesSeen,
  );
  gauge(
    'parley_cluster_remote_sessions',
    'Peers held by other nodes that this node knows',
    () => cluster().remoteSessions,
  );
  const mirror = (name: string, help: string, labels: string[], read: () => Record<string, number>) =>
    mirroredCounter(registry, name, help, labels[0], read);
  mirror('parley_cluster_frames_total', 'Frames relayed across nodes, by direction', ['direction'], () => ({
    out: cluster().framesToNodes,
    in: cluster().framesFromNodes,
  }));
  mirror(
    'parley_cluster_unreachable_frames_total',
    'Frames for peers on other nodes dropped while Redis was unreachable',
    [],
    () => ({ all: cluster().unreachable }),
  );
  mirror(
    'parley_cluster_redis_errors_total',
    'Redis calls that failed, and errors of the connections to Redis',
    [],
    () => ({
      all: figures().errors,
    }),
  );
  new Histogram({
    name: 'parley_cluster_redis_seconds',
    help: 'Latency of Redis calls (pipelined: from the call to its reply)',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
    registers: [registry],
    collect() {
      for (const s of figures().takeLatencies()) this.observe(s);
    },
  });
}
