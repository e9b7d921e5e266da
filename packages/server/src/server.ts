/**
 * `startServer`: HTTP + WebSocket signaling on one port (or a unix socket), over TLS when given a
 * certificate, with graceful shutdown.
 */
import { createServer, type ServerOptions as HttpOptions, type Server } from 'node:http';
import { createServer as createHttpsServer, Server as HttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLOSE_CODES } from '@parley/protocol';
import { type Logger, pino } from 'pino';
import type { Registry } from 'prom-client';
import type { WebSocket } from 'ws';
import { addressAllowList } from './address-list.js';
import { systemClock } from './clock.js';
import { registerClusterMetrics } from './cluster-metrics.js';
import { ConnectionGate, type ConnectionLimits, DEFAULT_CONNECTION_LIMITS } from './connection-gate.js';
import { SignalingCore } from './core.js';
import { createRequestHandler } from './http.js';
import { createMetrics } from './metrics.js';
import { type CoreOptions, DEFAULTS } from './options.js';
import { cryptoRandom } from './random.js';
import { httpsRedirect } from './redirect.js';
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
  /**
   * Serve HTTPS and WSS with this certificate (PEM, chain allowed) and key; the TLS handshake must end
   * within `headersTimeoutMs`.
   */
  tls?: TlsCredentials;
  /** With `tls`: also listen on this port (same host) for plain HTTP and redirect every request to HTTPS. */
  httpRedirectPort?: number;
  /**
   * Join a cluster of nodes sharing rooms through Redis (see docs/cluster.md). Every node needs the same
   * `secret`: it signs the resume tokens that let a client resume on any node.
   */
  cluster?: { redisUrl: string; secret: string };
  logger?: Logger;
}

/** A certificate chain and its private key, PEM. */
export interface TlsCredentials {
  cert: string | Buffer;
  key: string | Buffer;
}

export interface RunningServer {
  readonly httpUrl: string;
  readonly wsUrl: string;
  /** `http://HOST:PORT` of the plain-HTTP listener that redirects to HTTPS, with `httpRedirectPort`. */
  readonly redirectUrl: string | undefined;
  readonly core: SignalingCore<WebSocket>;
  /** The HTTP server, or the HTTPS one (a `node:https` Server) with `tls`. */
  readonly http: Server;
  /**
   * Serves new connections with another certificate and key (open ones keep theirs). Throws, and keeps
   * the old pair, when they do not make a valid pair; throws when the server was started without `tls`.
   */
  setTls(tls: TlsCredentials): void;
  /** Destroys a peer's socket without a leave, as a network drop would. */
  terminate(peerId: string): boolean;
  /** Stops accepting, closes every socket with 1001, and resolves when the server is down. */
  close(): Promise<void>;
  /**
   * In a cluster: /readyz turns 503 at once, every client is told to go (close 4007 DRAINING) and
   * resumes on another node; resolves once every session has moved (or `timeoutMs` passed), the server
   * closed and this node left the cluster, without a `peer-left` for anyone. Alone: as close().
   */
  drain(timeoutMs?: number): Promise<void>;
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
  let tlsHandshakeFailed = 0;
  const gate = new ConnectionGate({ ...DEFAULT_CONNECTION_LIMITS, ...options.connectionLimits });
  // The cluster's code (and ioredis) is loaded only for a cluster: a single node runs without it.
  const cluster = options.cluster
    ? await (await import('./cluster-redis.js')).RedisCluster.create({
        url: options.cluster.redisUrl,
        secret: options.cluster.secret,
        resumeWindowMs: options.resumeWindowMs ?? DEFAULTS.resumeWindowMs,
        maxFrames: options.replay?.maxFrames ?? DEFAULTS.replay.maxFrames,
        logger: log,
      })
    : undefined;
  const core = new SignalingCore<WebSocket>(options, {
    transport,
    clock: systemClock,
    random: cryptoRandom,
    onInternalError: (err) => log.error({ err }, 'signaling core failed on a frame'),
    ...(cluster ? { cluster } : {}),
  });
  if (cluster && core.clusterSide) await cluster.start(core.clusterSide);
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
      tlsHandshakeFailed,
    }),
  );
  options.registerMetrics?.(metrics);
  if (cluster)
    registerClusterMetrics(
      metrics,
      () => cluster.stats(),
      () => core.stats(),
    );
  const headersTimeout = options.headersTimeoutMs ?? 10_000;
  const httpOptions: HttpOptions = {
    // Slow senders: a request's headers must arrive within the bound, the whole request within 30 s,
    // checked every second (Node's default checks every 30 s).
    headersTimeout,
    requestTimeout: 30_000,
    connectionsCheckingInterval: 1000,
  };
  const handler = createRequestHandler(
    {
      ready: () =>
        shuttingDown ? 'shutting down' : cluster && !cluster.connected ? 'redis unreachable' : true,
      stats: () => {
        const { connections, sessions, rooms } = core.stats();
        return { connections, sessions, rooms };
      },
      metrics,
      onError: (err) => log.error({ err }, 'http handler failed on a request'),
      ...(options.metricsAllow?.length ? { metricsAllowed: addressAllowList(options.metricsAllow) } : {}),
    },
    options.staticDir,
  );
  const http: Server = options.tls
    ? createHttpsServer(
        { ...httpOptions, cert: options.tls.cert, key: options.tls.key, handshakeTimeout: headersTimeout },
        handler,
      )
    : createServer(httpOptions, handler);
  // The gate runs before the TLS layer or the HTTP parser sees the socket.
  const admit = (socket: Socket) => {
    socket.on('error', noop);
    gate.admit(socket);
  };
  http.prependListener('connection', admit);
  if (http instanceof HttpsServer) {
    // A failed, timed-out or garbage handshake costs that socket only: it is closed without an answer
    // (https would otherwise hand it to 'clientError' below, which writes an HTTP 400 into it).
    http.prependListener('tlsClientError', (_err: Error, socket: Socket) => {
      tlsHandshakeFailed++;
      socket.destroy();
    });
    // The TLS socket gets its listener before the HTTP layer takes it over.
    http.prependListener('secureConnection', (socket: Socket) => socket.on('error', noop));
  }
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
  http.on('clientError', clientError);

  await listen(http, options.path ?? options.port ?? 8080, options.host);
  // After the listen: an accept() that fails (EMFILE at the descriptor limit) costs that connection only.
  http.on('error', (err) => log.warn({ err: err.message }, 'http server error'));
  wss.on('error', (err) => log.warn({ err: err.message }, 'websocket server error'));
  const { httpUrl, wsUrl } = urlsOf(http, options);

  let redirect: Server | undefined;
  if (options.tls && options.httpRedirectPort !== undefined) {
    // The same gate, timeouts and answers to unparsable requests as the HTTPS port.
    redirect = createServer(httpOptions, httpsRedirect((http.address() as AddressInfo).port));
    redirect.prependListener('connection', admit);
    redirect.on('clientError', clientError);
    try {
      await listen(redirect, options.httpRedirectPort, options.host);
    } catch (err) {
      http.closeAllConnections();
      http.close();
      throw err;
    }
    redirect.on('error', (err) => log.warn({ err: err.message }, 'http redirect server error'));
  }

  const close = async () => {
    if (closed) return;
    closed = true;
    shuttingDown = true;
    for (const ws of core.handles()) ws.close(CLOSE_CODES.GOING_AWAY, 'SERVER_SHUTTING_DOWN');
    // Give clients 2 s to finish the closing handshake, then cut whoever is left.
    const deadline = Date.now() + 2000;
    while (core.stats().connections > 0 && Date.now() < deadline) await sleep(10);
    for (const ws of core.handles()) ws.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    http.closeAllConnections();
    redirect?.closeAllConnections();
    await Promise.all(
      [http, redirect].map((s) => s && new Promise<void>((resolve) => s.close(() => resolve()))),
    );
    await cluster?.stop();
  };
  let closed = false;

  return {
    httpUrl,
    wsUrl,
    redirectUrl: redirect ? urlsOf(redirect, { host: options.host }).httpUrl : undefined,
    core,
    http,
    setTls(tls) {
      if (!(http instanceof HttpsServer)) throw new Error('this server was started without TLS');
      // Builds (and so checks) the new context first: on an error the old one stays.
      http.setSecureContext({ cert: tls.cert, key: tls.key });
    },
    terminate(peerId) {
      const ws = core.connectionOf(peerId);
      if (!ws) return false;
      ws.terminate();
      return true;
    },
    close,
    async drain(timeoutMs = 10_000) {
      if (!cluster) return close();
      shuttingDown = true;
      for (const ws of core.handles()) ws.close(CLOSE_CODES.DRAINING, 'DRAINING');
      const deadline = Date.now() + timeoutMs;
      while (core.localCount > 0 && cluster.connected && Date.now() < deadline) await sleep(20);
      log.info({ left: core.localCount }, 'drained');
      await close();
    },
  };
}

function listen(server: Server, where: number | string, host = '127.0.0.1'): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const done = () => {
      server.off('error', reject);
      resolve();
    };
    if (typeof where === 'string') server.listen(where, done);
    // A deep accept queue (Node's default is 511): under a connection flood, clients that come back to
    // resume must not have their SYNs dropped until their resume window is gone. The kernel caps it at
    // net.core.somaxconn.
    else server.listen(where, host, LISTEN_BACKLOG, done);
  });
}

/** A request Node cannot parse: answer 400 (431 for oversized headers, 408 for a timeout) and close. */
function clientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable || (socket as Socket & { _httpMessage?: unknown })._httpMessage)
    return void socket.destroy();
  const status =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? '431 Request Header Fields Too Large'
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? '408 Request Timeout'
        : '400 Bad Request';
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function urlsOf(http: Server, options: ServerOptions): { httpUrl: string; wsUrl: string } {
  if (options.path) return { httpUrl: `unix:${options.path}`, wsUrl: `ws+unix://${options.path}:/ws` };
  const addr = http.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const s = http instanceof HttpsServer ? 's' : '';
  return { httpUrl: `http${s}://${host}:${addr.port}`, wsUrl: `ws${s}://${host}:${addr.port}/ws` };
}

const LISTEN_BACKLOG = 4096;

function noop(): void {}
