/** The STUN/TURN part of `parley serve`: flags, defaults and start-up. */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { parseIceUrl, type TurnEndpoint } from '@parley/server';
import {
  DEFAULT_QUOTAS,
  defaultStreamLimits,
  type ListenAddress,
  type Quotas,
  type StreamLimits,
  startTurnServer,
  type TurnServer,
} from '@parley/turn';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { Logger } from 'pino';

/** Parses one --turn-url (several may come comma-separated, as in PARLEY_TURN_URL). */
function turnUrlArg(v: string, prev: string[]): string[] {
  const urls = v.split(',').map((u) => u.trim());
  for (const url of urls) {
    if (!parseIceUrl(url)?.scheme.startsWith('turn'))
      throw new InvalidArgumentError(
        `"${url}" is not a TURN URL like turn:turn.example.com:3478?transport=udp or turns:turn.example.com:5349?transport=tcp`,
      );
  }
  return [...prev, ...urls];
}

export interface TurnFlags {
  turn: boolean;
  turnPort: number;
  turnTlsPort: number;
  turnSecret: string[];
  turnUrl: string[];
  turnRealm: string;
  turnTtl: number;
  turnAllowPeer: string[];
  turnRelayIp?: string;
  turnExternalIp?: string;
  turnRelayPorts?: [number, number];
  turnCert?: string;
  turnKey?: string;
  turnAllocationsPerIp?: number;
  turnIpv6Prefix?: number;
  turnAllocationsPerUser?: number;
  turnAllocationsTotal?: number;
  turnPermissionsPerUser?: number;
  turnChannelsPerAllocation?: number;
  turnChannelsPerUser?: number;
  turnPeerConnectionsPerAllocation?: number;
  turnTcpConnectionsPerIp?: number;
  turnTcpConnectionsTotal?: number;
  turnTcpFirstMessageTimeout?: number;
  turnTcpIdleTimeout?: number;
  turnTcpAllocatedIdleTimeout?: number;
  turnMaxFrameBytes?: number;
  stunAlternateIp?: string;
  stunAlternatePort?: number;
}

/**
 * The hardening limits as flags: flag, env var, the TurnFlags key, where it goes, help text. Defaults come
 * from @parley/turn, so there is one source of truth (docs/turn.md lists them with their error codes).
 */
const LIMIT_FLAGS: readonly {
  flag: string;
  env: string;
  key: keyof TurnFlags;
  quota?: keyof Quotas;
  stream?: keyof StreamLimits;
  help: string;
}[] = [
  {
    flag: '--turn-allocations-per-ip <n>',
    env: 'PARLEY_TURN_ALLOCATIONS_PER_IP',
    key: 'turnAllocationsPerIp',
    quota: 'allocationsPerSource',
    help: 'live TURN allocations per client IP (IPv6: per --turn-ipv6-prefix), any username; over it 486',
  },
  {
    flag: '--turn-ipv6-prefix <bits>',
    env: 'PARLEY_TURN_IPV6_PREFIX',
    key: 'turnIpv6Prefix',
    quota: 'sourcePrefixV6',
    help: 'IPv6 clients are counted per prefix of this length for the per-IP limits',
  },
  {
    flag: '--turn-allocations-per-user <n>',
    env: 'PARLEY_TURN_ALLOCATIONS_PER_USER',
    key: 'turnAllocationsPerUser',
    quota: 'allocationsPerUser',
    help: 'live TURN allocations per user (peer id); over it 486',
  },
  {
    flag: '--turn-allocations-total <n>',
    env: 'PARLEY_TURN_ALLOCATIONS_TOTAL',
    key: 'turnAllocationsTotal',
    quota: 'allocationsTotal',
    help: 'live TURN allocations on the server; over it 486',
  },
  {
    flag: '--turn-permissions-per-user <n>',
    env: 'PARLEY_TURN_PERMISSIONS_PER_USER',
    key: 'turnPermissionsPerUser',
    quota: 'permissionsPerUser',
    help: 'TURN permissions per user across its allocations; over it 508',
  },
  {
    flag: '--turn-channels-per-allocation <n>',
    env: 'PARLEY_TURN_CHANNELS_PER_ALLOCATION',
    key: 'turnChannelsPerAllocation',
    quota: 'channelsPerAllocation',
    help: 'TURN channel bindings per allocation; over it 508',
  },
  {
    flag: '--turn-channels-per-user <n>',
    env: 'PARLEY_TURN_CHANNELS_PER_USER',
    key: 'turnChannelsPerUser',
    quota: 'channelsPerUser',
    help: 'TURN channel bindings per user across its allocations; over it 508',
  },
  {
    flag: '--turn-peer-connections-per-allocation <n>',
    env: 'PARLEY_TURN_PEER_CONNECTIONS_PER_ALLOCATION',
    key: 'turnPeerConnectionsPerAllocation',
    quota: 'peerConnectionsPerAllocation',
    help: 'RFC 6062 peer TCP connections per TCP allocation, pending ones included; over it 508',
  },
  {
    flag: '--turn-tcp-connections-per-ip <n>',
    env: 'PARLEY_TURN_TCP_CONNECTIONS_PER_IP',
    key: 'turnTcpConnectionsPerIp',
    stream: 'connectionsPerSource',
    help: 'open TURN TCP/TLS client connections per client IP; more are closed at accept',
  },
  {
    flag: '--turn-tcp-connections-total <n>',
    env: 'PARLEY_TURN_TCP_CONNECTIONS_TOTAL',
    key: 'turnTcpConnectionsTotal',
    stream: 'connectionsTotal',
    help: 'open TURN TCP/TLS client connections in total; more are closed at accept',
  },
  {
    flag: '--turn-tcp-first-message-timeout <ms>',
    env: 'PARLEY_TURN_TCP_FIRST_MESSAGE_TIMEOUT',
    key: 'turnTcpFirstMessageTimeout',
    stream: 'firstMessageTimeoutMs',
    help: 'a TURN TCP/TLS connection without a whole STUN message (TLS handshake included) by then is closed',
  },
  {
    flag: '--turn-tcp-idle-timeout <ms>',
    env: 'PARLEY_TURN_TCP_IDLE_TIMEOUT',
    key: 'turnTcpIdleTimeout',
    stream: 'idleTimeoutMs',
    help: 'a TURN TCP/TLS connection without an allocation, idle this long, is closed',
  },
  {
    flag: '--turn-tcp-allocated-idle-timeout <ms>',
    env: 'PARLEY_TURN_TCP_ALLOCATED_IDLE_TIMEOUT',
    key: 'turnTcpAllocatedIdleTimeout',
    stream: 'allocatedIdleTimeoutMs',
    help: 'a TURN TCP/TLS connection holding an allocation, idle this long, is closed',
  },
  {
    flag: '--turn-max-frame-bytes <bytes>',
    env: 'PARLEY_TURN_MAX_FRAME_BYTES',
    key: 'turnMaxFrameBytes',
    stream: 'maxFrameBytes',
    help: 'largest STUN/ChannelData frame on TURN TCP/TLS; a header declaring more closes the connection',
  },
];

function limitDefault(l: (typeof LIMIT_FLAGS)[number], streams: StreamLimits): string {
  if (l.quota) return String(DEFAULT_QUOTAS[l.quota]);
  if (l.stream === 'connectionsTotal' || l.quota === 'allocationsTotal')
    return `40% of the open-file limit, at most 10000; now ${streams.connectionsTotal}`;
  return l.stream ? String(streams[l.stream]) : '';
}

/** The quotas and stream limits set by flags; unset ones keep the server's defaults. */
export function limitOptions(flags: TurnFlags): {
  quotas: Partial<Quotas>;
  streamLimits: Partial<StreamLimits>;
} {
  const quotas: Record<string, number> = {};
  const streamLimits: Record<string, number> = {};
  for (const l of LIMIT_FLAGS) {
    const v = flags[l.key];
    if (typeof v !== 'number') continue;
    if (l.quota) quotas[l.quota] = v;
    if (l.stream) streamLimits[l.stream] = v;
  }
  return { quotas: quotas as Partial<Quotas>, streamLimits: streamLimits as Partial<StreamLimits> };
}

const repeat = (v: string, prev: string[]) => [...prev, v];

export function addTurnOptions(cmd: Command): Command {
  cmd
    .addOption(new Option('--no-turn', 'do not run the STUN/TURN server').env('PARLEY_NO_TURN'))
    .addOption(
      new Option('--turn-port <port>', 'STUN/TURN port, UDP and TCP')
        .env('PARLEY_TURN_PORT')
        .default(3478)
        .argParser(portArg),
    )
    .addOption(
      new Option('--turn-tls-port <port>', 'TURN over TLS port (with --turn-cert/--turn-key)')
        .env('PARLEY_TURN_TLS_PORT')
        .default(5349)
        .argParser(portArg),
    )
    .addOption(
      new Option(
        '--turn-secret <secret>',
        'TURN REST shared secret (repeatable: the first signs, all verify)',
      )
        .env('PARLEY_TURN_SECRET')
        .default([], 'generated at start')
        .argParser(repeat),
    )
    .addOption(
      new Option(
        '--turn-url <url>',
        'another TURN server that checks --turn-secret (coturn: use-auth-secret), handed to peers beside or, with --no-turn, instead of the embedded one (repeatable)',
      )
        .env('PARLEY_TURN_URL')
        .default([], 'none')
        .argParser(turnUrlArg),
    )
    .addOption(new Option('--turn-realm <realm>', 'TURN realm').env('PARLEY_TURN_REALM').default('parley'))
    .addOption(
      new Option('--turn-ttl <seconds>', 'lifetime of the TURN credentials handed to peers')
        .env('PARLEY_TURN_TTL')
        .default(3600)
        .argParser(positiveInt),
    )
    .addOption(
      new Option(
        '--turn-allow-peer <cidr>',
        'let TURN relay to this range despite the deny-list (repeatable)',
      )
        .env('PARLEY_TURN_ALLOW_PEER')
        .default([], 'none')
        .argParser(repeat),
    )
    .addOption(
      new Option(
        '--turn-relay-ip <ip>',
        'address relay sockets bind to (default: --host, or the first external interface)',
      )
        .env('PARLEY_TURN_RELAY_IP')
        .argParser(ipArg),
    )
    .addOption(
      new Option('--turn-external-ip <ip>', 'public address to advertise, for a server behind 1:1 NAT')
        .env('PARLEY_TURN_EXTERNAL_IP')
        .argParser(ipArg),
    )
    .addOption(
      new Option('--turn-relay-ports <min-max>', 'relay port range')
        .env('PARLEY_TURN_RELAY_PORTS')
        .argParser(rangeArg),
    )
    .addOption(
      new Option(
        '--stun-alternate-ip <ip>',
        'a second IP of this machine: STUN answers RFC 5780 NAT behaviour discovery (`parley nat`) on both',
      )
        .env('PARLEY_STUN_ALTERNATE_IP')
        .argParser(ipArg),
    )
    .addOption(
      new Option('--stun-alternate-port <port>', 'second STUN port for discovery (default: --turn-port + 1)')
        .env('PARLEY_STUN_ALTERNATE_PORT')
        .argParser(portArg),
    )
    .addOption(
      new Option('--turn-cert <file>', 'TLS certificate (PEM) for TURN over TLS').env('PARLEY_TURN_CERT'),
    )
    .addOption(
      new Option('--turn-key <file>', 'TLS private key (PEM) for TURN over TLS').env('PARLEY_TURN_KEY'),
    );
  const streams = defaultStreamLimits();
  for (const l of LIMIT_FLAGS) {
    const parse =
      l.quota === 'sourcePrefixV6' ? prefixArg : l.flag.includes('timeout') ? timeoutMsArg : positiveInt;
    // No commander default: an unset flag leaves the server's own default (shown in the help).
    const help = `${l.help} (default: ${limitDefault(l, streams)})`;
    cmd.addOption(new Option(l.flag, help).env(l.env).argParser(parse));
  }
  return cmd;
}

export interface StartedTurn {
  server: TurnServer;
  secret: string;
  secretGenerated: boolean;
  endpoints: TurnEndpoint[];
  relayIp: string;
}

/** Starts STUN/TURN beside signaling on `host`; throws with a readable message when it cannot. */
export async function startTurn(flags: TurnFlags, host: string, log: Logger): Promise<StartedTurn> {
  if (Boolean(flags.turnCert) !== Boolean(flags.turnKey))
    throw new Error('--turn-cert and --turn-key go together');
  const secretGenerated = flags.turnSecret.length === 0;
  const secrets = secretGenerated ? [randomBytes(24).toString('base64url')] : flags.turnSecret;
  const relayIp = flags.turnRelayIp ?? (isWildcard(host) ? firstExternalIpv4() : host);
  const listen: ListenAddress[] = [
    { transport: 'udp', host, port: flags.turnPort },
    { transport: 'tcp', host, port: flags.turnPort },
  ];
  const tls =
    flags.turnCert && flags.turnKey
      ? { cert: readFileSync(flags.turnCert), key: readFileSync(flags.turnKey) }
      : undefined;
  if (tls) listen.push({ transport: 'tls', host, port: flags.turnTlsPort });
  const server = await startTurnServer({
    listen,
    realm: flags.turnRealm,
    secrets,
    allowPeers: flags.turnAllowPeer,
    ...(relayIp.includes(':') ? { relayHostV6: relayIp } : { relayHost: relayIp }),
    ...(flags.turnExternalIp ? { externalAddress: flags.turnExternalIp } : {}),
    ...(flags.turnRelayPorts ? { relayPortRange: flags.turnRelayPorts } : {}),
    ...(tls ? { tls } : {}),
    ...(flags.stunAlternateIp
      ? {
          behaviorDiscovery: {
            alternateHost: flags.stunAlternateIp,
            ...(flags.stunAlternatePort !== undefined ? { alternatePort: flags.stunAlternatePort } : {}),
          },
        }
      : {}),
    ...limitOptions(flags),
    log: (line) => log.info(line),
  });
  log.info(
    {
      listen: server.addresses,
      discovery: server.discoveryAddresses,
      relayIp,
      allowPeers: flags.turnAllowPeer,
      udpDataPath: server.udpDataPath,
    },
    'stun/turn listening',
  );
  const endpoints = server.addresses.map((a) => ({ transport: a.transport, port: a.port }));
  return { server, secret: secrets[0] as string, secretGenerated, endpoints, relayIp };
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}

function firstExternalIpv4(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) if (i.family === 'IPv4' && !i.internal) return i.address;
  }
  return '127.0.0.1';
}

export function portArg(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('a port is a whole number from 0 to 65535');
  return n;
}

/** A timeout in ms: Node runs a timer of more than 2^31 - 1 ms after 1 ms instead. */
function timeoutMsArg(v: string): number {
  const n = positiveInt(v);
  if (n > 2 ** 31 - 1) throw new InvalidArgumentError('at most 2147483647 ms (about 24 days)');
  return n;
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive whole number');
  return n;
}

function prefixArg(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 128)
    throw new InvalidArgumentError('a prefix length from 1 to 128');
  return n;
}

function ipArg(v: string): string {
  if (!isIP(v)) throw new InvalidArgumentError('must be an IPv4 or IPv6 address');
  return v;
}

function rangeArg(v: string): [number, number] {
  const m = /^(\d+)-(\d+)$/.exec(v);
  const [min, max] = m ? [Number(m[1]), Number(m[2])] : [Number.NaN, Number.NaN];
  if (!(min >= 1024 && max <= 65535 && min <= max))
    throw new InvalidArgumentError('a range like 49152-65535 (1024 to 65535)');
  return [min, max];
}
