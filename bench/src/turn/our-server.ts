/**
 * Runs Parley's TURN server in a process of its own (so its CPU time is its own), configured as coturn is in
 * the same benchmark: one UDP listener on loopback, the same realm and REST secret, loopback peers allowed.
 * Argument: JSON `{ port, realm, secret, minPort, maxPort, dgram? }`. Says `{ ready, info: { port,
 * udpDataPath } }` over IPC.
 *
 * The server takes the UDP data path `startTurnServer` picks by default (the native addon when built).
 * `dgram` forces node:dgram instead (the `parley-dgram` variant, `--dgram`), to compare both in one run.
 */
import { startTurnServer } from '@parley/turn';
import { serveIpc } from './procs.js';

interface Args {
  port: number;
  realm: string;
  secret: string;
  minPort: number;
  maxPort: number;
  dgram?: boolean;
}

const a = JSON.parse(process.argv[2] ?? '{}') as Args;

const server = await startTurnServer({
  listen: [{ transport: 'udp', host: '127.0.0.1', port: a.port }],
  realm: a.realm,
  secrets: [a.secret],
  allowPeers: ['127.0.0.0/8'],
  relayPortRange: [a.minPort, a.maxPort],
  // coturn has no per-user quota and no 401 rate limit unless configured: match it, so neither is measured.
  quotas: {
    allocationsPerUser: 1_000_000,
    allocationsPerSource: 1_000_000,
    permissionsPerUser: 1_000_000,
    channelsPerUser: 1_000_000,
    allocationsTotal: 1_000_000,
  },
  // The bench's echo peers are on 127.0.0.1, the server's own address: refuse only its ports (the bench
  // measures relaying, not that policy).
  selfPeerPorts: 'listeners',
  unauthorizedRateLimit: { burst: 1e9, perSecond: 1e9 },
  ...(a.dgram ? { udpDataPath: 'dgram' as const } : {}),
});

serveIpc({ counters: () => server.counters() });
// SIGTERM/SIGINT exit cleanly so `--cpu-prof` still writes its profile.
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => process.exit(0));
process.send?.({ ready: true, info: { port: server.addresses[0]?.port, udpDataPath: server.udpDataPath } });
