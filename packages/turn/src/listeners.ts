import { createServer as createTcpServer, isIPv6, type Server, type Socket as TcpSocket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { type StreamFrame, StunStreamFramer } from '@parley/stun';
import { CHANNELS } from './channel-data.js';
import { type BindUdp, bindDgram } from './relay-sockets.js';
import type { StreamGate } from './stream-gate.js';
import type { ClientAddress, ClientTransport } from './types.js';

/** What a listener reports upwards: messages and frames from clients, and closed stream connections. */
export interface ListenerHandlers {
  message(bytes: Uint8Array, client: ClientAddress): void;
  channelFrame(channel: number, data: Uint8Array, client: ClientAddress): void;
  closed(client: ClientAddress): void;
  /** Whether the stream connection `client` holds an allocation or is an RFC 6062 data connection. */
  holdsAllocation(client: ClientAddress): boolean;
}

export interface ClientListener {
  readonly index: number;
  readonly transport: ClientTransport;
  readonly host: string;
  readonly port: number;
  /** The native engine's socket id of a UDP listener the addon owns. */
  readonly nativeId?: number | undefined;
  send(client: ClientAddress, data: Uint8Array): void;
  /**
   * Takes a stream connection away from STUN framing (RFC 6062 ConnectionBind): returns its socket and the
   * bytes received but not yet framed. The listener forgets it. Undefined for UDP or unknown clients.
   */
  detach(client: ClientAddress): { socket: TcpSocket; rest: Uint8Array } | undefined;
  close(): Promise<void>;
}

/** Node reports IPv4 clients of a dual-stack socket as ::ffff:a.b.c.d; the core wants plain IPv4. */
export function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** A UDP listener (RFC 8656 §3.1): one socket, every client a (address, port) on it. */
export async function listenUdp(
  index: number,
  host: string,
  port: number,
  handlers: ListenerHandlers,
  bufferBytes?: number,
  bind: BindUdp = bindDgram,
): Promise<ClientListener> {
  const v6 = isIPv6(host);
  const socket = await bind(v6 ? 'IPv6' : 'IPv4', host, port, bufferBytes, false);
  socket.onMessage((msg, address, port) => {
    handlers.message(msg, {
      listener: index,
      transport: 'udp',
      address: v6 ? plainAddress(address) : address,
      port,
    });
  });
  return {
    index,
    transport: 'udp',
    host,
    port: socket.port,
    nativeId: socket.nativeId,
    send: (client, data) => socket.send(data, client.port, client.address),
    detach: () => undefined,
    close: () => socket.close(),
  };
}

export interface StreamListenOptions {
  readonly index: number;
  readonly transport: 'tcp' | 'tls';
  readonly host: string;
  readonly port: number;
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  /** Connection limits and timeouts, shared by every stream listener of one server. */
  readonly gate: StreamGate;
}

const MAX_BUFFERED_BYTES = 1 << 20;

function connectionKey(address: string, port: number): string {
  return `${address}|${port}`;
}

const ignore = () => {};

/**
 * A TCP or TLS listener: each connection is one client 5-tuple; the stream framer cuts STUN and padded
 * ChannelData frames out of it (RFC 8656 §12.4). A framing error closes the connection.
 *
 * Every accepted socket is admitted by the gate first (per-source and total caps: over them it is closed
 * at once) and must deliver a whole STUN message, TLS handshake included, within `firstMessageTimeoutMs`.
 * Afterwards it is closed when idle for `idleTimeoutMs` while it holds no allocation, or for
 * `allocatedIdleTimeoutMs` while it does. Every socket has an 'error' listener from its first moment, so
 * a reset or garbage costs that connection only.
 */
export async function listenStream(
  o: StreamListenOptions,
  handlers: ListenerHandlers,
): Promise<ClientListener> {
  const { gate } = o;
  const limits = gate.limits;
  const connections = new Map<string, { socket: TcpSocket; detach: () => Uint8Array }>();
  /** Accepted sockets still waiting for their first STUN message: their timers, by address|port. */
  const waiting = new Map<string, NodeJS.Timeout>();
  /** Every admitted socket, handshaking or not, so close() can end them all. */
  const admitted = new Set<TcpSocket>();

  // Raw accepted sockets (under TLS, before the handshake): admission, the first-message deadline, release.
  const onRaw = (raw: TcpSocket): boolean => {
    raw.on('error', ignore);
    const address = plainAddress(raw.remoteAddress ?? '');
    const key = connectionKey(address, raw.remotePort ?? 0);
    if (!gate.admit(address)) {
      raw.destroy();
      return false;
    }
    const timer = setTimeout(() => {
      gate.count('streamFirstMessageTimeout');
      raw.destroy();
    }, limits.firstMessageTimeoutMs);
    timer.unref();
    waiting.set(key, timer);
    admitted.add(raw);
    raw.once('close', () => {
      admitted.delete(raw);
      clearTimeout(timer);
      if (waiting.get(key) === timer) waiting.delete(key);
      gate.release(address);
    });
    return true;
  };

  const onConnection = (conn: TcpSocket) => {
    conn.on('error', ignore);
    const client: ClientAddress = {
      listener: o.index,
      transport: o.transport,
      address: plainAddress(conn.remoteAddress ?? ''),
      port: conn.remotePort ?? 0,
    };
    const key = connectionKey(client.address, client.port);
    const framer = new StunStreamFramer({ ...CHANNELS, maxFrameBytes: limits.maxFrameBytes });
    let detached = false;
    let allocated = false;
    conn.setNoDelay(true);
    conn.setTimeout(limits.idleTimeoutMs);
    conn.on('timeout', () => {
      // Idle: a connection that holds an allocation gets the long timeout once, anything else goes.
      if (!allocated && handlers.holdsAllocation(client)) {
        allocated = true;
        conn.setTimeout(limits.allocatedIdleTimeoutMs);
        return;
      }
      if (!allocated) gate.count('streamIdleTimeout');
      conn.destroy();
    });
    const onData = (chunk: Buffer) => {
      let frames: StreamFrame[];
      try {
        frames = framer.pushUntilFailure(chunk);
      } catch {
        conn.destroy();
        return;
      }
      for (const f of frames) {
        if (detached) break; // RFC 6062: nothing after ConnectionBind is STUN (clients wait for the answer)
        if (f.kind === 'stun') {
          const timer = waiting.get(key);
          if (timer) {
            clearTimeout(timer);
            waiting.delete(key);
          }
          handlers.message(f.bytes, client);
        } else handlers.channelFrame(f.channel, f.data, client);
      }
      // The stream lost its framing: what came before was handled, the rest cannot be trusted.
      if (framer.failure && !detached) {
        if (/-byte limit/.test(framer.failure.message)) gate.count('streamFrameTooLarge');
        conn.destroy();
      }
    };
    const detach = () => {
      detached = true;
      conn.off('data', onData);
      conn.setTimeout(0);
      connections.delete(key);
      return framer.takeRest();
    };
    connections.set(key, { socket: conn, detach });
    conn.on('data', onData);
    conn.on('close', () => {
      if (detached) return;
      if (connections.get(key)?.socket === conn) connections.delete(key);
      handlers.closed(client);
    });
  };
  let server: Server;
  if (o.transport === 'tls') {
    server = createTlsServer(
      // Node's own handshake timer only backs up the first-message deadline (which counts the close).
      { cert: o.tls?.cert, key: o.tls?.key, handshakeTimeout: limits.firstMessageTimeoutMs + 1000 },
      onConnection,
    );
    // A failed or timed-out handshake costs that socket only (tls.Server destroys it).
    server.on('tlsClientError', ignore);
    // After tls.Server's own 'connection' listener, which has wrapped the raw socket by then.
    server.on('connection', onRaw);
  } else {
    server = createTcpServer((raw) => {
      if (onRaw(raw)) onConnection(raw);
    });
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: o.host, port: o.port, ipv6Only: isIPv6(o.host) }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // accept() failing (EMFILE at the descriptor limit) is reported here; the server keeps listening.
  server.on('error', ignore);
  const addr = server.address();
  return {
    index: o.index,
    transport: o.transport,
    host: o.host,
    port: typeof addr === 'object' && addr ? addr.port : o.port,
    send(client, data) {
      const conn = connections.get(connectionKey(client.address, client.port))?.socket;
      // A client that stops reading gets its relayed data dropped, not buffered without bound.
      if (conn && !conn.destroyed && conn.writableLength < MAX_BUFFERED_BYTES) conn.write(data);
    },
    detach(client) {
      const entry = connections.get(connectionKey(client.address, client.port));
      if (!entry) return undefined;
      return { socket: entry.socket, rest: entry.detach() };
    },
    close: () =>
      new Promise((resolve) => {
        for (const c of connections.values()) c.socket.destroy();
        for (const r of admitted) r.destroy();
        for (const t of waiting.values()) clearTimeout(t);
        server.close(() => resolve());
      }),
  };
}
