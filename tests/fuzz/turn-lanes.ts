/**
 * TURN clients for the fuzzer ("lanes"): each one a UDP socket or a TCP/TLS connection that did the real
 * exchange first (Allocate → 401 with realm and nonce → signed Allocate → CreatePermission → ChannelBind,
 * or for a TCP allocation → Connect), so that mutated traffic is sent from a 5-tuple in a known state.
 * Also the peers the relay talks to: a UDP socket and a TCP listener on 127.0.0.1.
 *
 * Signing, hashes and credentials are @parley/testing/turn's and @parley/turn's; the request/answer loop stays
 * here, not in the shared client: a lane's setup draws its transaction ids from the lane's seeded Rng (so a
 * seed replays the same bytes), gives up after a set number of tries, and must leave the raw connection to
 * the fuzz inputs that follow.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';
import {
  ConnectionId,
  type DecodedStunMessage,
  decodeMessage,
  encodeMessage,
  getAttribute,
  Lifetime,
  longTermKey,
  MessageClass,
  Nonce,
  PasswordAlgorithm,
  Realm,
  RequestedTransport,
  StunStreamFramer,
} from '@parley/stun';
import { nodeCrypto } from '@parley/testing/turn';
import { mintRestCredential } from '@parley/turn';
import type { Rng } from './random.js';
import type { FuzzServe } from './target.js';
import { type LaneAuth, sign, template } from './turn-messages.js';

export const TURN_SECRET = 'parley-fuzz-secret';

export interface Peers {
  udp: { address: string; port: number };
  tcp: { address: string; port: number };
  received: { udp: number; tcp: number };
}

let peers: Promise<Peers> | undefined;
/** The fuzzer's relay peers, made once per process: they read and drop whatever arrives. */
export function relayPeers(): Promise<Peers> {
  peers ??= (async () => {
    const received = { udp: 0, tcp: 0 };
    const u = dgram.createSocket('udp4');
    u.on('message', () => received.udp++);
    await new Promise<void>((r) => u.bind(0, '127.0.0.1', r));
    u.unref();
    const open = new Set<net.Socket>();
    const t = net.createServer((s) => {
      open.add(s);
      s.on('data', (d) => (received.tcp += d.length));
      s.on('error', () => {});
      s.on('close', () => open.delete(s));
      s.setTimeout(3000, () => s.destroy());
      if (open.size > 256) for (const o of [...open].slice(0, 64)) o.destroy();
    });
    await new Promise<void>((r) => t.listen(0, '127.0.0.1', r));
    t.unref();
    return {
      udp: { address: '127.0.0.1', port: (u.address() as { port: number }).port },
      tcp: { address: '127.0.0.1', port: (t.address() as net.AddressInfo).port },
      received,
    };
  })();
  return peers;
}

export interface Lane {
  auth: LaneAuth;
  readonly alive: boolean;
  /** Sends without waiting; false when the lane is gone. */
  send(bytes: Uint8Array): boolean;
  /** Deletes the allocation (Refresh, LIFETIME 0) and closes. */
  close(): Promise<void>;
  /** Answers received while fuzzing. */
  answers: number;
  /** Whether the setup's Allocate succeeded. */
  readonly allocated: boolean;
}

interface Wire {
  /** Tries per request of the setup (a flood lane gives up after one). */
  attempts: number;
  write(bytes: Uint8Array): void;
  close(): void;
  onMessage(fn: (bytes: Uint8Array) => void): void;
  alive(): boolean;
}

async function exchange(
  wire: Wire,
  pending: Map<string, (m: DecodedStunMessage) => void>,
  bytes: Uint8Array,
): Promise<DecodedStunMessage | undefined> {
  const key = Buffer.from(bytes.subarray(8, 20)).toString('hex');
  for (let attempt = 0; attempt < wire.attempts && wire.alive(); attempt++) {
    const got = new Promise<DecodedStunMessage | undefined>((resolve) => {
      const t = setTimeout(() => resolve(undefined), 700);
      pending.set(key, (m) => {
        clearTimeout(t);
        resolve(m);
      });
    });
    wire.write(bytes);
    const m = await got;
    pending.delete(key);
    if (m) return m;
  }
  return undefined;
}

const isSuccess = (m: DecodedStunMessage | undefined) => m?.class === MessageClass.SuccessResponse;

/**
 * Opens a lane on a wire: learns realm and nonce, then (when `allocate`) allocates (UDP or TCP relay) and
 * binds a permission and channel to the fuzzer's peer. Resolves undefined when the server does not answer.
 */
async function openLane(
  r: Rng,
  wire: Wire,
  o: { stream: boolean; allocate: boolean; tcpRelay: boolean; user: string },
): Promise<Lane | undefined> {
  const pending = new Map<string, (m: DecodedStunMessage) => void>();
  let answers = 0;
  wire.onMessage((bytes) => {
    answers++;
    if (pending.size === 0 || bytes.length < 20 || bytes[0]! > 1) return;
    try {
      const m = decodeMessage(bytes);
      pending.get(Buffer.from(m.transactionId).toString('hex'))?.(m);
    } catch {}
  });
  const p = await relayPeers();
  const cred = mintRestCredential(TURN_SECRET, o.user, Math.floor(Date.now() / 1000) + 3600);
  const auth: LaneAuth = {
    username: cred.username,
    realm: '',
    nonce: '',
    key: new Uint8Array(16),
    peer: o.tcpRelay ? p.tcp : p.udp,
    channel: 0x4000 + r.int(0x3fff),
    stream: o.stream,
    connectionId: r.int(2 ** 32),
  };
  const first = template(r, 'allocate', auth).msg;
  first.attributes = [
    { type: RequestedTransport.type, value: RequestedTransport.encode(17, first.transactionId) },
  ];
  const challenge = await exchange(wire, pending, encodeMessage(first, { crypto: nodeCrypto }));
  if (!challenge) return undefined;
  auth.realm = getAttribute(challenge, Realm) ?? 'parley';
  auth.nonce = getAttribute(challenge, Nonce) ?? '';
  auth.key = longTermKey(cred.username, auth.realm, cred.password, PasswordAlgorithm.MD5, nodeCrypto);
  let allocated = false;
  if (o.allocate) {
    const alloc = template(r, 'allocate', auth).msg;
    alloc.attributes = [
      {
        type: RequestedTransport.type,
        value: RequestedTransport.encode(o.tcpRelay ? 6 : 17, alloc.transactionId),
      },
    ];
    allocated = isSuccess(await exchange(wire, pending, sign(alloc, auth, true)));
    if (allocated) {
      await exchange(wire, pending, sign(template(r, 'permission', auth).msg, auth, false));
      if (o.tcpRelay) {
        const ok = await exchange(wire, pending, sign(template(r, 'connect', auth).msg, auth, false));
        const id = ok && getAttribute(ok, ConnectionId);
        if (typeof id === 'number') auth.connectionId = id;
      } else await exchange(wire, pending, sign(template(r, 'channel-bind', auth).msg, auth, false));
    }
  }
  return {
    auth,
    allocated,
    get alive() {
      return wire.alive();
    },
    get answers() {
      return answers;
    },
    set answers(n: number) {
      answers = n;
    },
    send(bytes) {
      if (!wire.alive()) return false;
      wire.write(bytes);
      return true;
    },
    async close() {
      // Whatever this lane allocated, set up or fuzzed into being, goes: a run must not pile up allocations.
      if (wire.alive() && auth.nonce) {
        const bye = template(r, 'refresh', auth).msg;
        bye.attributes = [{ type: Lifetime.type, value: Lifetime.encode(0, bye.transactionId) }];
        wire.write(sign(bye, auth, false));
        await new Promise((res) => setTimeout(res, 5));
      }
      wire.close();
    },
  };
}

/** A UDP lane from `src` (anywhere in 127.0.0.0/8) to the server's UDP port. */
export async function udpLane(
  r: Rng,
  serve: FuzzServe,
  src: string,
  allocate: boolean,
  user: string,
  attempts = 3,
): Promise<Lane | undefined> {
  const sock = dgram.createSocket({ type: 'udp4', recvBufferSize: 1 << 20, sendBufferSize: 1 << 20 });
  let open = true;
  let handler: (b: Uint8Array) => void = () => {};
  sock.on('message', (m) => handler(m));
  sock.on('error', () => {});
  sock.on('close', () => (open = false));
  await new Promise<void>((res) => sock.bind(0, src, res));
  await new Promise<void>((res) => sock.connect(serve.turnPort!, '127.0.0.1', res));
  const wire: Wire = {
    attempts,
    write: (b) => sock.send(b),
    close: () => {
      if (open) sock.close();
      open = false;
    },
    onMessage: (fn) => (handler = fn),
    alive: () => open,
  };
  const lane = await openLane(r, wire, { stream: false, allocate, tcpRelay: false, user });
  if (!lane) wire.close();
  return lane;
}

/** A TCP or TLS lane; `tcpRelay` asks for a TCP allocation (RFC 6062) and a Connect to the TCP peer. */
export async function streamLane(
  r: Rng,
  serve: FuzzServe,
  src: string,
  secure: boolean,
  o: { allocate: boolean; tcpRelay: boolean; user: string; attempts?: number },
): Promise<Lane | undefined> {
  const port = secure ? serve.turnTlsPort! : serve.turnTcpPort!;
  const raw = net.connect({ host: '127.0.0.1', port, localAddress: src });
  const sock: net.Socket = secure
    ? tls.connect({ socket: raw, rejectUnauthorized: false, servername: 'localhost' })
    : raw;
  raw.on('error', () => {});
  sock.setNoDelay(true);
  let open = true;
  let handler: (b: Uint8Array) => void = () => {};
  const framer = new StunStreamFramer();
  let framing = true;
  sock.on('data', (d: Buffer) => {
    if (!framing) return;
    try {
      for (const f of framer.push(d)) if (f.kind === 'stun') handler(f.bytes);
    } catch {
      framing = false;
    }
  });
  sock.on('error', () => {});
  sock.on('close', () => (open = false));
  const connected = await new Promise<boolean>((res) => {
    const t = setTimeout(() => res(false), 3000);
    sock.once(secure ? 'secureConnect' : 'connect', () => {
      clearTimeout(t);
      res(true);
    });
    sock.once('close', () => res(false));
  });
  if (!connected) {
    sock.destroy();
    return undefined;
  }
  const wire: Wire = {
    attempts: o.attempts ?? 3,
    write: (b) => {
      if (sock.writableLength < 1 << 20) sock.write(b);
    },
    close: () => {
      open = false;
      sock.destroy();
    },
    onMessage: (fn) => (handler = fn),
    alive: () => open && !sock.destroyed,
  };
  const lane = await openLane(r, wire, {
    stream: true,
    allocate: o.allocate,
    tcpRelay: o.tcpRelay,
    user: o.user,
  });
  if (!lane) wire.close();
  return lane;
}
