/** Free loopback ports for the servers tests start (as far as one can tell before the server binds them). */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

/** A TCP port free on 127.0.0.1. */
export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A UDP port that was free a moment ago on `host` (bound to 0, read, closed). */
export async function freeUdpPort(host = '127.0.0.1'): Promise<number> {
  const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((r) => s.bind(0, host, () => r()));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A port free for both TCP and UDP on 127.0.0.1 (a TURN or STUN server takes both). */
export async function freeTcpUdpPort(): Promise<number> {
  for (;;) {
    const port = await freeTcpPort();
    const u = createSocket('udp4');
    const free = await new Promise<boolean>((resolve) => {
      u.once('error', () => resolve(false));
      u.bind(port, '127.0.0.1', () => resolve(true));
    });
    u.close();
    if (free) return port;
  }
}
