/** `startServer`: HTTP + WebSocket signaling on one port (or a unix socket), with graceful shutdown. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLOSE_CODES } from '@parley/protocol';
import { type Logger, pino } from 'pino';
import type { Registry } from 'prom-client';
import type { WebSocket } from 'ws';
import { addressAllowList } from './address-list.js';
import { systemClock } from './clock.js';
import { ConnectionGate, type ConnectionLimits, DEFAULT_CONNECTION_LIMITS } from './connection-gate.js';
import { SignalingCore } from './core.js';
import { createRequestHandler } from './http.js';
import { createMetrics } from './metrics.js';
import { type CoreOptions, DEFAULTS } from './options.js';
import { cryptoRandom } from './random.js';
import { createWsServer, DEFAULT_MAX_SEND_QUEUE_BYTES, originAllowed, WsTransport } from './transport-ws.js';

export interface ServerOptions extends Partial<CoreOptions> {
  /** TCP port (0: any free port). Ignored when `path` is set. Default 8080. */
  port?: number;
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** Listen on a unix socket instead of TCP. */
  path?: string;
  /**
   * How often each socket is pinged (spread over the interval, not all at once); one that leaves a ping
   * unanswered for half the interval is dropped. Default 20 s.
   */
  pingIntervalMs?: number;
  /** Allowed Origin values for browser connections; empty (default): any. */
  allowedOrigins?: string[];
  /** Folder of the built web app to serve at `/`. */
  staticDir?: string;
  /** TCP connections (HTTP and WebSocket) per client address and in all. */
  connectionLimits?: Partial<ConnectionLimits>;
  /** Bytes that may wait to be written to one WebSocket before it is dropped as a slow reader. */
  maxSendQueueBytes?: number;
  /** Adds metrics of other parts of the process (TURN, say) to /metrics. */
  registerMetrics?: (registry: Registry) => void;
  /** CIDR blocks that may read /metrics; empty or absent: any address. */
  metricsAllow?: string[];
  /** How long a client may take to send a request's (or upgrade's) headers, in ms. Default 10 s. */
  headersTimeoutMs?: number;
  logger?: Logger;
}

export interface RunningServer {
  readonly httpUrl: string;
  readonly wsUrl: string;
  readonly core: SignalingCore<WebSocket>;
  readonly http: Server;
  /** Destroys a peer's socket without a leave, as a network drop would. */
  terminate(peerId: string): boolean;
  /** Stops accepting, closes every socket with 1001, and resolves when the server is down. */
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const log =
    options.logger ?? pino({ level: process.env.PARLEY_LOG_LEVEL ?? 'info', name: 'parley-signaling' });
  const replayMax = options.replay?.maxBytes ?? DEFAULTS.replay.maxBytes;
  // A resume's frames are exempt from the bound (they come at once by design), but they may still be
  // waiting when the next frames come: the bound always leaves room for a full replay and two frames
  // more, so a client that just resumed is never taken for a slow reader.
  const transport = new WsTransport(
    Math.max(
      options.maxSendQueueBytes ?? DEFAULT_MAX_SEND_QUEUE_BYTES,
      replayMax + 2 * (options.maxFrameBytes ?? DEFAULTS.maxFrameBytes),
    ),
  );
  let originRefused = 0;
  const gate = new ConnectionGate({ ...DEFAULT_CONNECTION_LIMITS, ...options.connectionLimits });
  const core = new SignalingCore<WebSocket>(options, {
    transport,
    clock: systemClock,
    random: cryptoRandom,
    onInternalError: (err) => log.error({ err }, 'signaling core failed on a frame'),
  });
  let shuttingDown = false;
  const allowedOrigins = options.allowedOrigins ?? [];
  const wss = createWsServer(
    core,
    {
      pingIntervalMs: options.pingIntervalMs ?? 20_000,
      hardMaxBytes: Math.max(4 * core.options.maxFrameBytes, 256 * 1024),
    },
    log,
  );
  const metrics = createMetrics(
    () => core.stats(),
    () => ({
      slowDropped: transport.slowDropped,
      refused: gate.refused,
      tcpConnections: gate.connections,
      originRefused,
    }),
  );
  options.registerMetrics?.(metrics);
  const http = createServer(
    {
      // Slow senders: a request's headers must arrive within the bound, the whole request within 30 s,
      // checked every second (Node's default checks every 30 s).
      headersTimeout: options.headersTimeoutMs ?? 10_000,
      requestTimeout: 30_000,
      connectionsCheckingInterval: 1000,
    },
    createRequestHandler(
      {
        ready: () => !shuttingDown,
        stats: () => {
          const { connections, sessions, rooms } = core.stats();
          return { connections, sessions, rooms };
        },
        metrics,
        onError: (err) => log.error({ err }, 'http handler failed on a request'),
        ...(options.metricsAllow?.length ? { metricsAllowed: addressAllowList(options.metricsAllow) } : {}),
      },
      options.staticDir,
    ),
  );
  // The gate runs before the HTTP parser sees the socket.
  http.prependListener('connection', (socket: Socket) => {
    socket.on('error', noop);
    gate.admit(socket);
  });
  http.on('upgrade', (req, socket, head) => {
    // The upgrade handler owns a bare socket: give it a listener before anything can go wrong on it.
    socket.on('error', noop);
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/ws' || shuttingDown) {
      socket.end(
        `HTTP/1.1 ${shuttingDown ? '503 Service Unavailable' : '404 Not Found'}\r\nConnection: close\r\n\r\n`,
      );
      return;
    }
    if (!originAllowed(req.headers.origin, allowedOrigins)) {
      // Counted, and logged only at debug level and cut short: a client picks its Origin header.
      originRefused++;
      log.debug({ origin: req.headers.origin?.slice(0, 100) }, 'websocket refused: origin not allowed');
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nX-Parley-Error: ORIGIN_FORBIDDEN\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  // A request Node cannot parse: answer 400 (431 for oversized headers, 408 for a timeout) and close.
  http.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || (socket as Socket & { _httpMessage?: unknown })._httpMessage)
      return void socket.destroy();
    const status =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? '431 Request Header Fields Too Large'
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? '408 Request Timeout'
          : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    if (options.path) http.listen(options.path, resolve);
    // A deep accept queue (Node's default is 511): under a connection flood, clients that come back to
    // resume must not have their SYNs dropped until their resume window is gone. The kernel caps it at
    // net.core.somaxconn.
    else http.listen(options.port ?? 8080, options.host ?? '127.0.0.1', LISTEN_BACKLOG, resolve);
  });
  // After the listen: an accept() that fails (EMFILE at the descriptor limit) costs that connection only.
  http.on('error', (err) => log.warn({ err: err.message }, 'http server error'));
  wss.on('error', (err) => log.warn({ err: err.message }, 'websocket server error'));
  const { httpUrl, wsUrl } = urlsOf(http, options);

  return {
    httpUrl,
    wsUrl,
    core,
    http,
    terminate(peerId) {
      const ws = core.connectionOf(peerId);
      if (!ws) return false;
      ws.terminate();
      return true;
    },
    async close() {
      if (shuttingDown) return;
      shuttingDown = true;
      for (const ws of core.handles()) ws.close(CLOSE_CODES.GOING_AWAY, 'SERVER_SHUTTING_DOWN');
      // Give clients 2 s to finish the closing handshake, then cut whoever is left.
      const deadline = Date.now() + 2000;
      while (core.stats().connections > 0 && Date.now() < deadline) await sleep(10);
      for (const ws of core.handles()) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

function urlsOf(http: Server, options: ServerOptions): { httpUrl: string; wsUrl: string } {
  if (options.path) return { httpUrl: `unix:${options.path}`, wsUrl: `ws+unix://${options.path}:/ws` };
  const addr = http.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return { httpUrl: `http://${host}:${addr.port}`, wsUrl: `ws://${host}:${addr.port}/ws` };
}

const LISTEN_BACKLOG = 4096;

function noop(): void {}
