/**
 * The echo peer: one UDP socket on 127.0.0.1 per relayed address, connected to it, sending every datagram
 * straight back (connected sends skip Node's per-send address lookup, so the peer costs less of the
 * load core). Runs in its own process, pinned with the load generators.
 */
import { createSocket, type Socket } from 'node:dgram';
import type { Endpoint } from './client.js';
import { serveIpc } from './procs.js';

const sockets = new Map<string, Socket[]>();
let received = 0;

async function open(tag: string, relay: Endpoint): Promise<number> {
  const s = createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () =>
      s.connect(relay.port, relay.host, () => {
        s.off('error', reject);
        resolve();
      }),
    );
  });
  s.on('error', () => {});
  s.on('message', (msg) => {
    received++;
    s.send(msg);
  });
  const mine = sockets.get(tag) ?? [];
  mine.push(s);
  sockets.set(tag, mine);
  return s.address().port;
}

serveIpc({
  open: async (m) => Promise.all((m.relays as Endpoint[]).map((r) => open(m.tag as string, r))),
  count: () => received,
  close: (m) => {
    for (const s of sockets.get(m.tag as string) ?? []) s.close();
    sockets.delete(m.tag as string);
    return null;
  },
});
process.send?.({ ready: true });
