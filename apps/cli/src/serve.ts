/** `parley serve`: signaling (and, as they land, STUN/TURN and the web app) in one process. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  addressAllowList,
  DEFAULT_CONNECTION_LIMITS,
  DEFAULT_MAX_SEND_QUEUE_BYTES,
  DEFAULTS,
  type RunningServer,
  roomTokenAuthorizer,
  startServer,
  turnIceServers,
} from '@parley/server';
import { mintRestCredential } from '@parley/turn';
import { Command, InvalidArgumentError, Option } from 'commander';
import { pino } from 'pino';
import { banner } from './banner.js';
import { withAlternateStun } from './nat.js';
import { addTlsOptions, loadTls, reloadTls, type ServedTls, type TlsFlags } from './tls.js';
import { addTurnOptions, type StartedTurn, startTurn, type TurnFlags } from './turn.js';
import { registerTurnMetrics } from './turn-metrics.js';

export interface ServeFlags extends TurnFlags, TlsFlags {
  port: number;
  host: string;
  resumeWindow: number;
  pingInterval: number;
  maxPeers: number;
  rate: number;
  allowOrigin: string[];
  roomSecret: string[];
  static?: string;
  logLevel: string;
  maxConnsPerIp: number;
  maxConns: number;
  maxSessionsPerIp: number;
  maxSessionsPerToken: number;
  maxRooms: number;
  maxSendQueue: number;
  replayPerSession: number;
  replayTotal: number;
  headersTimeout: number;
  idleTimeout: number;
  metricsAllow: string[];
  maxMetadata: number;
  ratePerIp: number;
}

const KiB = 1024;
const MiB = 1024 * 1024;

// The built web app: the repository's apps/web/dist, else the copy an installed @parley/cli carries beside
// its bundle (dist/web, put there when it is packed).
const webDist = ['../../web/dist', './web']
  .map((dir) => fileURLToPath(new URL(dir, import.meta.url)))
  .find((dir) => existsSync(dir));

export function serveCommand(): Command {
  const cmd = new Command('serve')
    .description(
      'run signaling (WebSocket at /ws), STUN/TURN, /healthz, /readyz, /metrics and the web app when built',
    )
    .addOption(
      new Option('-p, --port <port>', 'TCP port (0 = any free port)')
        .env('PARLEY_PORT')
        .default(8080)
        .argParser(port),
    )
    .addOption(
      new Option('-H, --host <host>', 'interface to listen on (0.0.0.0 for all)')
        .env('PARLEY_HOST')
        .default('127.0.0.1'),
    )
    .addOption(
      new Option('--resume-window <seconds>', 'how long a dropped peer keeps its id for a resume')
        .env('PARLEY_RESUME_WINDOW')
        .default(30)
        .argParser(seconds),
    )
    .addOption(
      new Option(
        '--ping-interval <seconds>',
        'how often each socket is pinged; one silent for half of this after a ping is dropped',
      )
        .env('PARLEY_PING_INTERVAL')
        .default(20)
        .argParser(seconds),
    )
    .addOption(
      new Option('--max-peers <n>', 'peers per room').env('PARLEY_MAX_PEERS').default(50).argParser(positive),
    )
    .addOption(
      new Option(
        '--rate <tokens>',
        'frame tokens per second per connection: a frame costs 1, plus 1 per whole 4 KiB (burst 3x)',
      )
        .env('PARLEY_RATE')
        .default(100)
        .argParser(positive),
    )
    .addOption(
      limit(
        '--rate-per-ip <tokens>',
        'frame tokens per second shared by all connections of one client address (burst 3x)',
      )
        .env('PARLEY_RATE_PER_IP')
        .default(DEFAULTS.addressRateLimit.perSecond),
    )
    .addOption(
      new Option('--allow-origin <origin>', 'allowed browser Origin (repeatable)')
        .env('PARLEY_ALLOW_ORIGIN')
        .default([], 'any origin')
        .argParser((v: string, prev: string[]) => [...prev, v]),
    )
    .addOption(
      new Option(
        '--room-secret <secret>',
        'require room tokens (HS256 JWT) signed with this secret (repeatable, for rotation)',
      )
        .env('PARLEY_ROOM_SECRET')
        .default([], 'none: rooms are open')
        .argParser((v: string, prev: string[]) => [...prev, v]),
    )
    .addOption(new Option('--static <dir>', 'folder of a built web app to serve at /').env('PARLEY_STATIC'))
    .addOption(
      limit(
        '--max-conns-per-ip <n>',
        'open TCP connections (HTTP and WebSocket) per client address (IPv6: per /64)',
      )
        .env('PARLEY_MAX_CONNS_PER_IP')
        .default(DEFAULT_CONNECTION_LIMITS.perAddress),
    )
    .addOption(
      limit(
        '--headers-timeout <seconds>',
        "time a client has to send a request's headers (slow senders are cut)",
      )
        .env('PARLEY_HEADERS_TIMEOUT')
        .default(10)
        .argParser(seconds),
    )
    .addOption(
      limit(
        '--idle-timeout <seconds>',
        'a connection in no room (before its join, after a leave) is closed after this',
      )
        .env('PARLEY_IDLE_TIMEOUT')
        .default(DEFAULTS.idleTimeoutMs / 1000)
        .argParser(seconds),
    )
    .addOption(
      limit('--max-conns <n>', 'open TCP connections in all')
        .env('PARLEY_MAX_CONNS')
        .default(DEFAULT_CONNECTION_LIMITS.total),
    )
    .addOption(
      limit('--max-sessions-per-ip <n>', 'sessions (in rooms, or dropped and resumable) per client address')
        .env('PARLEY_MAX_SESSIONS_PER_IP')
        .default(DEFAULTS.maxSessionsPerAddress),
    )
    .addOption(
      limit('--max-sessions-per-token <n>', 'sessions one room token may hold at once (with --room-secret)')
        .env('PARLEY_MAX_SESSIONS_PER_TOKEN')
        .default(DEFAULTS.maxSessionsPerToken),
    )
    .addOption(
      limit('--max-metadata <bytes>', "a join's metadata as JSON (every peer of the room receives it)")
        .env('PARLEY_MAX_METADATA')
        .default(DEFAULTS.maxMetadataBytes),
    )
    .addOption(
      limit('--max-rooms <n>', 'rooms on this server').env('PARLEY_MAX_ROOMS').default(DEFAULTS.maxRooms),
    )
    .addOption(
      limit(
        '--max-send-queue <KiB>',
        'bytes waiting to be written to one socket before it is dropped as a slow reader',
      )
        .env('PARLEY_MAX_SEND_QUEUE')
        .default(DEFAULT_MAX_SEND_QUEUE_BYTES / KiB),
    )
    .addOption(
      limit('--replay-per-session <KiB>', 'unacknowledged frames kept per session for a resume')
        .env('PARLEY_REPLAY_PER_SESSION')
        .default(DEFAULTS.replay.maxBytes / KiB),
    )
    .addOption(
      limit(
        '--replay-total <MiB>',
        'replay memory of all sessions together; past it resumes fail and clients rejoin',
      )
        .env('PARLEY_REPLAY_TOTAL')
        .default(DEFAULTS.replayTotalBytes / MiB),
    )
    .addOption(
      new Option('--metrics-allow <cidr>', 'only these addresses may read /metrics (repeatable)')
        .env('PARLEY_METRICS_ALLOW')
        .default([], 'any address')
        .argParser((v: string, prev: string[]) => {
          try {
            addressAllowList([v]);
          } catch (err) {
            throw new InvalidArgumentError((err as Error).message);
          }
          return [...prev, v];
        }),
    )
    .addOption(
      new Option('--log-level <level>', 'log level')
        .env('PARLEY_LOG_LEVEL')
        .choices(['trace', 'debug', 'info', 'warn', 'error', 'silent'])
        .default('info'),
    )
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  parley serve --port 8080 --host 0.0.0.0 --tls-self-signed   # calls from other devices on the LAN',
        '  parley serve --tls-cert fullchain.pem --tls-key privkey.pem   # kill -HUP after a renewal, or just wait',
        '  parley serve --turn-secret "$SECRET" --turn-external-ip 203.0.113.7   # behind 1:1 NAT',
        '  PARLEY_PORT=9000 parley serve --no-turn',
        '',
        'TURN relays to no private, loopback or other special-purpose address unless --turn-allow-peer says so.',
        'Behind a reverse proxy every client shares its address: raise --max-conns-per-ip and --max-sessions-per-ip.',
        'Every limit, its error code and its metric: docs/security.md.',
      ].join('\n'),
    )
    .action(async (flags: ServeFlags) => {
      await serve(flags);
    });
  return addTurnOptions(addTlsOptions(cmd));
}

export async function serve(flags: ServeFlags): Promise<RunningServer> {
  // Logs are JSON lines on stderr; stdout carries the human-readable banner.
  const logger = pino({ level: flags.logLevel, name: 'parley' }, pino.destination(2));
  const staticDir = flags.static ?? webDist;
  let turn: StartedTurn | undefined;
  let server: RunningServer;
  let tls: ServedTls | undefined;
  try {
    tls = await loadTls(flags);
  } catch (err) {
    console.error(`parley serve: ${(err as Error).message}`);
    process.exit(1);
  }
  try {
    if (flags.turn) turn = await startTurn(withTurnCert(flags, tls), flags.host, logger);
  } catch (err) {
    fail(`cannot start STUN/TURN on ${flags.host}:${flags.turnPort}`, err, '--turn-port', flags.turnPort);
  }
  try {
    server = await startServer({
      port: flags.port,
      host: flags.host,
      resumeWindowMs: flags.resumeWindow * 1000,
      pingIntervalMs: flags.pingInterval * 1000,
      maxPeersPerRoom: flags.maxPeers,
      rateLimit: { perSecond: flags.rate, burst: flags.rate * 3 },
      addressRateLimit: { perSecond: flags.ratePerIp, burst: flags.ratePerIp * 3 },
      allowedOrigins: flags.allowOrigin,
      connectionLimits: { perAddress: flags.maxConnsPerIp, total: flags.maxConns },
      headersTimeoutMs: flags.headersTimeout * 1000,
      idleTimeoutMs: flags.idleTimeout * 1000,
      metricsAllow: flags.metricsAllow,
      maxSessionsPerAddress: flags.maxSessionsPerIp,
      maxSessionsPerToken: flags.maxSessionsPerToken,
      maxRooms: flags.maxRooms,
      maxMetadataBytes: flags.maxMetadata,
      maxSendQueueBytes: flags.maxSendQueue * KiB,
      replay: { maxFrames: DEFAULTS.replay.maxFrames, maxBytes: flags.replayPerSession * KiB },
      replayTotalBytes: flags.replayTotal * MiB,
      ...(flags.roomSecret.length ? { authorize: roomTokenAuthorizer(flags.roomSecret) } : {}),
      ...(turn
        ? {
            iceServers: withAlternateStun(
              turnIceServers({
                mint: (user, expiresAtSec) => mintRestCredential(turn.secret, user, expiresAtSec),
                ttlSeconds: flags.turnTtl,
                endpoints: turn.endpoints,
                ...(flags.turnExternalIp ? { host: flags.turnExternalIp } : {}),
              }),
              turn,
            ),
          }
        : {}),
      ...(staticDir ? { staticDir } : {}),
      ...(tls ? { tls: tls.credentials } : {}),
      ...(flags.httpRedirectPort !== undefined ? { httpRedirectPort: flags.httpRedirectPort } : {}),
      ...(turn ? { registerMetrics: (registry) => registerTurnMetrics(registry, turn.server) } : {}),
      logger,
    });
  } catch (err) {
    await turn?.server.close();
    // An address in use names its port: say which flag to change.
    const inUse = (err as { port?: number }).port;
    if (flags.httpRedirectPort && inUse === flags.httpRedirectPort && inUse !== flags.port)
      fail(`cannot listen on ${flags.host}:${inUse}`, err, '--http-redirect-port', inUse);
    fail(`cannot listen on ${flags.host}:${flags.port}`, err, '--port', flags.port);
  }
  if (tls) {
    // A renewal reaches TURN over TLS too when it serves the same certificate.
    const turnToo = turnSharesCert(flags, tls) ? turn?.server : undefined;
    reloadTls(
      tls,
      (credentials) => {
        server.setTls(credentials);
        turnToo?.setTls(credentials);
      },
      logger,
    );
  }
  console.log(banner({ server, turn, staticDir, tls, host: flags.host }));
  logger.info({ wsUrl: server.wsUrl, httpUrl: server.httpUrl }, 'listening');
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 5000);
    force.unref();
    Promise.all([server.close(), turn?.server.close()]).then(() => {
      console.log('Parley stopped.');
      process.exit(0);
    });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  return server;
}

/**
 * TURN over TLS takes the certificate of --tls-cert (and its renewals) unless --turn-cert says otherwise. A self-signed one
 * is not used for it: browsers give no way to accept a TURN server's certificate, so it could not work.
 */
function turnSharesCert(flags: ServeFlags, tls: ServedTls | undefined): tls is ServedTls {
  return !flags.turnCert && !flags.turnKey && tls !== undefined && !tls.selfSigned;
}

function withTurnCert(flags: ServeFlags, tls: ServedTls | undefined): TurnFlags {
  return turnSharesCert(flags, tls) ? { ...flags, turnCert: tls.certPath, turnKey: tls.keyPath } : flags;
}

function fail(what: string, err: unknown, flag: string, value: number): never {
  const e = err as NodeJS.ErrnoException;
  const why = e.code === 'EADDRINUSE' ? `port ${value} is in use (try ${flag} 0 or another port)` : e.message;
  console.error(`parley serve: ${what}: ${why}`);
  process.exit(1);
}

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('a port is a whole number from 0 to 65535');
  return n;
}

function positive(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
}

/** Node runs a timer of more than 2^31 - 1 ms after 1 ms instead: a longer one would fire at once. */
const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

function seconds(v: string): number {
  const n = positive(v);
  if (n > MAX_TIMER_SECONDS)
    throw new InvalidArgumentError(`at most ${MAX_TIMER_SECONDS} seconds (about 24 days)`);
  return n;
}

/** A whole-number limit flag. */
function limit(flags: string, description: string): Option {
  return new Option(flags, description).argParser((v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive whole number');
    return n;
  });
}
