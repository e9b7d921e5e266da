import { createServer as createTcpServer, isIPv6, type Server, type Socket as TcpSocket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { type StreamFrame, StunStreamFramer } from '@parley/stun';
import { CHANNELS } from '../core/channel-data.js';
import type { ClientAddress } from '../core/types.js';
import { type ClientListener, type ListenerHandlers, plainAddress, type TlsPair } from './client-listener.js';
import type { StreamGate } from './stream-gate.js';

export interface StreamListenOptions {
  readonly index: number;
  readonly transport: 'tcp' | 'tls';
  readonly host: string;
  readonly port: number;
  readonly tls?: TlsPair;
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
  let tlsServer: TlsServer | undefined;
  if (o.transport === 'tls') {
    server = tlsServer = createTlsServer(
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
    ...(tlsServer
      ? {
          setCertificate(tls: TlsPair) {
            // Replaces the context new sockets get; throws (and keeps the old one) on a bad pair.
            tlsServer.setSecureContext({ cert: tls.cert, key: tls.key });
          },
        }
      : {}),
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
