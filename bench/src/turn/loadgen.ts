/**
 * A load-generator process, driven over IPC by the orchestrator. Three workloads:
 * - relay: N allocations, each with a permission and a channel to the echo peer, blasting 100-byte
 *   ChannelData at a paced rate and counting what comes back;
 * - alloc: closed-loop Allocate (401 → nonce → authenticated) then Refresh LIFETIME 0, on a fresh socket each;
 * - binding: closed-loop Binding requests with a fixed window per socket.
 * Every loop stops by itself at its deadline.
 */
import { createSocket, type Socket } from 'node:dgram';
import {
  CHANNEL_MIN,
  createMessage,
  encodeMessage,
  MessageClass,
  Method,
  type TransportAddress,
  writeChannelData,
} from '@parley/stun';
import { type Endpoint, openTurnClient, restCredentials, type TurnClient } from './client.js';
import { serveIpc } from './procs.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` over `items` with at most `limit` at a time. */
async function pool<T, R>(items: T[], limit: number, fn: (x: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

// ---- relay ----

/** Relay clients per tag (one set per server under test, so runs can alternate without re-allocating). */
const relayClients = new Map<string, TurnClient[]>();
let relayReceived = 0;

function clientsOf(m: Record<string, unknown>): TurnClient[] {
  const c = relayClients.get(m.tag as string);
  if (!c) throw new Error(`no relay clients for ${String(m.tag)}`);
  return c;
}

async function relaySetup(m: Record<string, unknown>): Promise<TransportAddress[]> {
  const server = m.server as Endpoint;
  const n = m.clients as number;
  const creds = restCredentials(m.secret as string, 'bench');
  const clients = await pool(Array.from({ length: n }), 16, () => openTurnClient(server, creds));
  relayClients.set(m.tag as string, clients);
  for (const c of clients) c.onChannelData = () => void relayReceived++;
  return pool(clients, 16, (c) => c.allocateRelay());
}

async function relayBind(m: Record<string, unknown>): Promise<null> {
  const peers = m.peers as Endpoint[];
  await pool(clientsOf(m), 16, async (c, i) => {
    const peer = { family: 'IPv4' as const, address: peers[i]!.host, port: peers[i]!.port };
    await c.createPermission(peer);
    await c.channelBind(CHANNEL_MIN, peer);
  });
  return null;
}

/** Paced ChannelData: `rate` datagrams/s spread over the clients for `durationMs`; returns when sent. */
async function relayRun(m: Record<string, unknown>) {
  const rate = m.rate as number;
  const durationMs = m.durationMs as number;
  const payload = new Uint8Array(m.payload as number).fill(0x61);
  const frame = Buffer.alloc(4 + payload.length);
  writeChannelData(frame, 0, CHANNEL_MIN, payload);
  const clients = clientsOf(m);
  const maxBurst = Math.max(1, Math.ceil(rate / 100)); // never more than 10 ms of backlog at once
  let sent = 0;
  let i = 0;
  const t0 = performance.now();
  const end = t0 + durationMs;
  for (;;) {
    const now = performance.now();
    if (now >= end) break;
    const due = Math.min(Math.floor(((now - t0) / 1000) * rate) - sent, maxBurst);
    for (let k = 0; k < due; k++) {
      clients[i]!.socket.send(frame);
      if (++i === clients.length) i = 0;
    }
    if (due > 0) sent += due;
    await sleep(1);
  }
  return { sent, sendMs: performance.now() - t0 };
}

async function relayTeardown(m: Record<string, unknown>): Promise<null> {
  const clients = clientsOf(m);
  await pool(clients, 16, (c) => c.refresh(0).catch(() => {}));
  for (const c of clients) void c.close();
  relayClients.delete(m.tag as string);
  return null;
}

// ---- allocations ----

/**
 * Closed loop: each of `concurrency` lanes allocates on a fresh socket, frees it with Refresh 0, repeats.
 * coturn keeps a freed allocation's 5-tuple for about 1.5 s (a new Allocate on it gets 437), so every
 * cycle uses a new loopback source address, 127.<lane>.<cycle>: no 5-tuple is reused within a run.
 */
const laneCycles: number[] = [];

async function allocRun(m: Record<string, unknown>) {
  const worker = m.worker as number;
  const server = m.server as Endpoint;
  const creds = restCredentials(m.secret as string, 'bench');
  const end = performance.now() + (m.durationMs as number);
  let allocations = 0;
  let errors = 0;
  const firstErrors: string[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: m.concurrency as number }, async (_, lane) => {
      const second = 10 + worker * 32 + lane;
      while (performance.now() < end) {
        const cycle = (laneCycles[lane] ?? 0) + 1;
        laneCycles[lane] = cycle;
        // 127.x.y.0 and .255 are as good as any other address on lo.
        const local = `127.${second}.${(cycle >> 8) & 0xff}.${cycle & 0xff}`;
        const c = await openTurnClient(server, creds, local);
        try {
          await c.allocateRelay();
          await c.refresh(0);
          allocations++;
        } catch (err) {
          errors++;
          if (firstErrors.length < 3) firstErrors.push(String(err));
        } finally {
          void c.close();
        }
      }
    }),
  );
  return { allocations, errors, firstErrors, ms: performance.now() - t0 };
}

// ---- Binding ----

/** Closed loop: `sockets` sockets keep `window` Binding requests each in flight until the deadline. */
async function bindingRun(m: Record<string, unknown>) {
  const server = m.server as Endpoint;
  const window = m.window as number;
  const durationMs = m.durationMs as number;
  const request = Buffer.from(
    encodeMessage(createMessage(Method.Binding, MessageClass.Request, new Uint8Array(12)), {
      fingerprint: false,
    }),
  );
  let responses = 0;
  let running = true;
  const sockets: Socket[] = [];
  const lastSeen: number[] = [];
  let txn = 0;
  const send = (s: Socket) => {
    // A fresh transaction id per request: the message is copied by send before we change it again.
    request.writeUInt32BE(++txn >>> 0, 16);
    s.send(request);
  };
  for (let k = 0; k < (m.sockets as number); k++) {
    const s = createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
    await new Promise<void>((resolve) =>
      s.bind(0, '127.0.0.1', () => s.connect(server.port, server.host, resolve)),
    );
    s.on('error', () => {});
    const idx = k;
    lastSeen.push(performance.now());
    s.on('message', (b: Buffer) => {
      if (b[0] !== 0x01 || b[1] !== 0x01) return; // Binding success response
      responses++;
      lastSeen[idx] = performance.now();
      if (running) send(s);
    });
    sockets.push(s);
  }
  const t0 = performance.now();
  for (const s of sockets) for (let w = 0; w < window; w++) send(s);
  // A lost datagram shrinks the window: refill a socket that has heard nothing for 200 ms.
  const refill = setInterval(() => {
    const now = performance.now();
    sockets.forEach((s, k) => {
      if (running && now - lastSeen[k]! > 200) {
        lastSeen[k] = now;
        for (let w = 0; w < window; w++) send(s);
      }
    });
  }, 100);
  await sleep(durationMs);
  running = false;
  const ms = performance.now() - t0;
  clearInterval(refill);
  await sleep(200);
  for (const s of sockets) s.close();
  return { responses, ms };
}

serveIpc({
  relaySetup,
  relayBind,
  relayRun,
  relayCount: () => relayReceived,
  relayTeardown,
  allocRun,
  bindingRun,
});
process.send?.({ ready: true });
