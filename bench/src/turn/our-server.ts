/**
 * Runs Parley's TURN server in a process of its own (so its CPU time is its own), configured as coturn is in
 * the same benchmark: one UDP listener on loopback, the same realm and REST secret, loopback peers allowed.
 * Argument: JSON `{ port, realm, secret, minPort, maxPort, tuned? }`. Says `{ ready, info: { port } }` over IPC.
 *
 * `tuned` is a what-if, never the headline figure: every UDP socket the server creates gets coturn's 4 MiB
 * buffers and a synchronous lookup for IP literals, so the TURN package can see what those two changes buy.
 */
import dgram from 'node:dgram';
import { syncBuiltinESMExports } from 'node:module';
import { isIPv6 } from 'node:net';
import { startTurnServer } from '@parley/turn';
import { serveIpc } from './procs.js';

interface Args {
  port: number;
  realm: string;
  secret: string;
  minPort: number;
  maxPort: number;
  tuned?: boolean;
}

const a = JSON.parse(process.argv[2] ?? '{}') as Args;

if (a.tuned) {
  const original = dgram.createSocket;
  // Node's default lookup sends every datagram through dns.lookup and a nextTick, even for an IP literal.
  const lookup = (address: string, _o: unknown, cb: (e: Error | null, a: string, f: number) => void) =>
    cb(null, address, isIPv6(address) ? 6 : 4);
  const patched = (
    type: dgram.SocketType | dgram.SocketOptions,
    cb?: (msg: Buffer, rinfo: dgram.RemoteInfo) => void,
  ) =>
    original(
      {
        ...(typeof type === 'string' ? { type } : type),
        recvBufferSize: 4 << 20,
        sendBufferSize: 4 << 20,
        lookup: lookup as dgram.SocketOptions['lookup'],
      },
      cb,
    );
  dgram.createSocket = patched as typeof dgram.createSocket;
  syncBuiltinESMExports();
}

const server = await startTurnServer({
  listen: [{ transport: 'udp', host: '127.0.0.1', port: a.port }],
  realm: a.realm,
  secrets: [a.secret],
  allowPeers: ['127.0.0.0/8'],
  relayPortRange: [a.minPort, a.maxPort],
  // coturn has no per-user quota and no 401 rate limit unless configured: match it, so neither is measured.
  quotas: { allocationsPerUser: 1_000_000, permissionsPerUser: 1_000_000, allocationsTotal: 1_000_000 },
  unauthorizedRateLimit: { burst: 1e9, perSecond: 1e9 },
});

serveIpc({ counters: () => server.counters() });
// SIGTERM/SIGINT exit cleanly so `--cpu-prof` still writes its profile.
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => process.exit(0));
process.send?.({ ready: true, info: { port: server.addresses[0]?.port } });
