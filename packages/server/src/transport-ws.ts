/**
 * Binds the signaling core to `ws` sockets: version negotiation in the handshake, liveness by
 * ping/pong, size caps, and batched writes (a socket is corked for the rest of the tick once something
 * is sent to it, so frames relayed in one tick leave in one write).
 */
import type { IncomingMessage } from 'node:http';
import {
  CLOSE_CODES,
  encodeUnsupportedVersion,
  negotiateVersion,
  SUPPORTED_VERSIONS,
  subprotocol,
} from '@parley/protocol';
import type { Logger } from 'pino';
import { type WebSocket, WebSocketServer } from 'ws';
import { addressKey } from './address-key.js';
import type { SignalingCore, Transport } from './core.js';
import { Liveness, slicesFor } from './liveness.js';

export interface WsOptions {
  pingIntervalMs: number;
  /** Frames beyond this are cut by `ws` itself with close 1009; between maxFrameBytes and this the core answers FRAME_TOO_LARGE. */
  hardMaxBytes: number;
}

const unsupportedVersionFrame = encodeUnsupportedVersion();

const SUBPROTOCOLS = new Map(SUPPORTED_VERSIONS.map((v) => [v, subprotocol(v)]));

/**
 * A Transport that writes to `ws` sockets, corking each one until the end of the tick. Whether a socket
 * is already corked is read off the socket itself (`writableCorked`), so nothing is added to it.
 *
 * A socket whose reader stopped reading is dropped once more than `maxQueuedBytes` wait to be written to
 * it: its session then waits out the resume window like any other drop, and its replay buffer, bounded
 * on its own, holds what a resume needs. Queuing for it without bound would let a few paused readers
 * take the server's memory.
 */
export class WsTransport implements Transport<WebSocket> {
  private corked: WebSocket[] = [];
  private flushScheduled = false;
  /** Sockets dropped for a full send queue, ever. */
  slowDropped = 0;

  constructor(private readonly maxQueuedBytes = DEFAULT_MAX_SEND_QUEUE_BYTES) {}

  send(ws: WebSocket, text: string | Uint8Array, burst = false): void {
    if (ws.readyState !== 1) return;
    const socket = ws._socket;
    if (!burst && socket && socket.writableLength > this.maxQueuedBytes) {
      this.slowDropped++;
      ws.terminate();
      return;
    }
    if (socket && socket.writableCorked === 0) {
      socket.cork();
      this.corked.push(ws);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(this.flush);
      }
    }
    // Bytes go out as a text frame too: they are the UTF-8 of a JSON frame.
    ws.send(text, { binary: false });
  }

  /** Starts the closing handshake; a client that does not finish it within 2 s is cut (ws waits 30 s). */
  close(ws: WebSocket, code: number, reason: string): void {
    ws.close(code, reason);
    setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
  }

  private flush = (): void => {
    const list = this.corked;
    this.corked = [];
    this.flushScheduled = false;
    for (const ws of list) ws._socket?.uncork();
  };
}

const CLOSE_GRACE_MS = 2000;

/** Bytes that may wait to be written to one socket before it is dropped as a slow reader. */
export const DEFAULT_MAX_SEND_QUEUE_BYTES = 1024 * 1024;

declare module 'ws' {
  interface WebSocket {
    /** The underlying socket (ws keeps it on this private field). */
    _socket?: import('node:net').Socket;
  }
}

export function createWsServer(
  core: SignalingCore<WebSocket>,
  options: WsOptions,
  log: Logger,
): WebSocketServer {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.hardMaxBytes,
    perMessageDeflate: false,
    // The core knows every open connection; a second set of them here would cost memory per connection.
    clientTracking: false,
    // Pick the highest version both speak. With none in common, still complete the handshake (echoing
    // the client's first offer) so the client can read an UNSUPPORTED_VERSION error instead of a bare failure.
    handleProtocols: (offered: Set<string>) => {
      const v = negotiateVersion(offered);
      // One string per version, not one per connection (ws keeps it on every socket).
      if (v !== undefined) return SUBPROTOCOLS.get(v) ?? subprotocol(v);
      const first = offered.values().next();
      return first.done ? false : first.value;
    },
  });

  const slices = slicesFor(options.pingIntervalMs);
  const liveness = new Liveness(core, {
    intervalMs: options.pingIntervalMs,
    slices,
    ping: pingFrame,
    terminate: (ws) => ws.terminate(),
  });
  function onPong(this: WebSocket): void {
    core.alive(this);
  }
  function onMessage(this: WebSocket, data: Buffer, isBinary: boolean): void {
    // The core answers every bad frame itself; this is the last line, so that a bug costs one socket.
    try {
      if (isBinary) core.receiveBinary(this);
      else core.receive(this, data.toString('utf8'), data.length);
    } catch (err) {
      log.error({ err }, 'signaling failed on a frame; dropping that socket');
      this.terminate();
    }
  }
  function onClose(this: WebSocket): void {
    core.closed(this);
  }
  function onError(this: WebSocket, err: Error): void {
    log.debug({ err: err.message, remote: this._socket?.remoteAddress }, 'websocket error');
  }

  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    // First, before anything can happen on it: ws emits 'error' for every frame it refuses (bad UTF-8,
    // a reserved opcode, an oversized frame…), and an 'error' with no listener ends the process.
    ws.on('error', onError);
    if (negotiateVersion([ws.protocol]) === undefined) {
      ws.send(unsupportedVersionFrame);
      ws.close(CLOSE_CODES.UNSUPPORTED_VERSION, 'UNSUPPORTED_VERSION');
      return;
    }
    core.open(ws, {
      host: internHost(hostOf(req.headers.host)),
      address: addressKey(req.socket.remoteAddress),
    });
    // Listeners are shared by every socket (EventEmitter calls them with `this` = the socket), so an idle
    // connection carries no closures of its own; none of them holds on to `req`.
    ws.on('pong', onPong);
    ws.on('message', onMessage);
    ws.on('close', onClose);
  });

  // Liveness (liveness.ts): each socket is visited once per interval, a slice of them every ~250 ms; one
  // that sent nothing since its last visit is pinged, and terminated if it stays silent for half an
  // interval. Its session then waits out the resume window. (Browsers and `ws` answer pings by
  // themselves, with nothing for the application to do.)
  const timer = setInterval(() => {
    try {
      liveness.tick();
    } catch (err) {
      log.error({ err }, 'liveness tick failed');
    }
  }, options.pingIntervalMs / slices);
  timer.unref();
  wss.on('close', () => clearInterval(timer));
  return wss;
}

/** A server's ping: FIN + opcode 9, unmasked, no payload (RFC 6455 §5.5.2). One buffer for every socket. */
const PING_FRAME = Buffer.from([0x89, 0x00]);

/**
 * Sends an empty ping. `ws.ping()` builds each one afresh (an options object, a header buffer, two corked
 * writes), which at tens of thousands of idle sockets is most of what an idle server allocates. The
 * frame is always these two bytes, and ws's sender never holds frames back here (no compression, no
 * Blobs), so writing them to the socket keeps frames whole and in order.
 */
function pingFrame(ws: WebSocket): void {
  const socket = ws._socket;
  if (ws.readyState === 1 && socket?.writable) socket.write(PING_FRAME);
}

/** Whether a handshake's Origin may connect. Requests without Origin (non-browser clients) may. */
export function originAllowed(origin: string | undefined, allowed: string[]): boolean {
  return allowed.length === 0 || origin === undefined || allowed.includes(origin);
}

/**
 * One string per host name for the few names a server is reached by, instead of one per connection. A
 * client picks its Host header, so the cache is small and stops taking new names when full.
 */
const hosts = new Map<string, string>();
export function internHost(host: string | undefined): string | undefined {
  if (host === undefined) return undefined;
  const known = hosts.get(host);
  if (known !== undefined) return known;
  if (hosts.size < 64) hosts.set(host, host);
  return host;
}

/**
 * `example.com:8080` → `example.com`; `[::1]:8080` → `::1`. Anything that is not a host name or an IP
 * literal (a client picks its Host header) is no host at all, so no connection keeps a long string.
 */
export function hostOf(header: string | undefined): string | undefined {
  if (!header || header.length > 260) return undefined;
  const m =
    /^\[([0-9A-Fa-f:.]+)\](?::\d{1,5})?$/.exec(header) ??
    /^([A-Za-z0-9.-]{1,253})(?::\d{1,5})?$/.exec(header);
  return m?.[1];
}
