import { isIPv4, isIPv6 } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { RateLimitOptions } from '../core/auth/unauthorized-limiter.js';
import type { TurnCounters } from '../core/counters.js';
import type { Lifetimes, Quotas } from '../core/state.js';
import type { ClientTransport, IpFamily } from '../core/types.js';
import type { TlsPair } from './client-listener.js';
import type { StreamLimits } from './stream-gate.js';

/** What startTurnServer is given and what it returns, and the addresses it derives from the options. */

export interface ListenAddress {
  readonly transport: ClientTransport;
  readonly host: string;
  /** 0 picks a free port (see `addresses` on the started server). */
  readonly port: number;
}

export interface TurnServerOptions {
  readonly listen: readonly ListenAddress[];
  readonly realm: string;
  /** TURN REST shared secrets; the first mints, all verify (rotation). */
  readonly secrets?: readonly string[];
  /** Static long-term users: username → password. */
  readonly users?: Readonly<Record<string, string>>;
  /** CIDR blocks peers may be in despite the default deny-list (tests, private deployments). */
  readonly allowPeers?: readonly string[];
  /** Extra CIDR blocks to refuse. */
  readonly denyPeers?: readonly string[];
  /**
   * Which ports of the server's own IPs are refused as peers: 'all' (default; live relayed addresses
   * excepted) or 'listeners' (only the STUN/TURN ports: single-address test rigs, e.g. IPv6 on ::1).
   */
  readonly selfPeerPorts?: 'all' | 'listeners';
  /** IPv4 address relay sockets bind to. Default: the first IPv4 listener's host, if not a wildcard. */
  readonly relayHost?: string;
  /** IPv6 address relay sockets bind to. Default: the first IPv6 listener's host, if not a wildcard. */
  readonly relayHostV6?: string;
  /** IPv4 address advertised in XOR-RELAYED-ADDRESS when the server sits behind 1:1 NAT. */
  readonly externalAddress?: string;
  readonly externalAddressV6?: string;
  /** Relay ports, inclusive. Default [49152, 65535]. */
  readonly relayPortRange?: readonly [number, number];
  /**
   * Limits (see Quotas for the defaults). `allocationsTotal` defaults to the smaller of 10 000 and 40 % of
   * the process's open-file limit, since every allocation holds a relay socket.
   */
  readonly quotas?: Partial<Quotas>;
  /** Caps and timeouts of TCP/TLS client connections (see StreamLimits for the defaults). */
  readonly streamLimits?: Partial<StreamLimits>;
  readonly lifetimes?: Partial<Lifetimes>;
  readonly nonceLifetimeSec?: number;
  readonly unauthorizedRateLimit?: RateLimitOptions;
  /** Certificate and key (PEM) for 'tls' listeners. */
  readonly tls?: TlsPair;
  /** Wall clock in ms since the epoch. Default Date.now. */
  readonly clock?: () => number;
  /** How often expiry runs. Default 1000 ms. */
  readonly tickMs?: number;
  /**
   * SO_RCVBUF and SO_SNDBUF of every UDP socket (listeners and relays), in bytes. Default 4 MiB, as coturn;
   * the kernel caps it at net.core.rmem_max / wmem_max. 0 keeps the system default.
   */
  readonly udpBufferBytes?: number;
  /**
   * Who moves UDP datagrams. 'auto' (default): the native addon (packages/turn/native) when it is built
   * and loads, else node:dgram; the environment variable PARLEY_TURN_NATIVE=0 forces node:dgram.
   * 'native' fails to start without the addon; 'dgram' never uses it.
   */
  readonly udpDataPath?: 'auto' | 'native' | 'dgram';
  /**
   * Where the one startup line saying which UDP data path is in use goes. Default: stderr, once per
   * process, unless PARLEY_LOG_LEVEL is 'silent'.
   */
  readonly log?: (line: string) => void;
  /**
   * RFC 5780 NAT behaviour discovery: a second IP of this machine (and a second port, default the first
   * UDP listener's port + 1). The first UDP listener, on an IP address, and three more UDP sockets (its IP
   * on the second port, the second IP on both ports) answer Binding requests with OTHER-ADDRESS and
   * RESPONSE-ORIGIN and honour CHANGE-REQUEST.
   */
  readonly behaviorDiscovery?: { readonly alternateHost: string; readonly alternatePort?: number };
}

export interface TurnServer {
  readonly addresses: readonly ListenAddress[];
  /** Which UDP data path the server runs: the native addon or node:dgram. */
  readonly udpDataPath: 'native' | 'dgram';
  /** The four RFC 5780 sockets (the first is the first UDP listener), when behaviorDiscovery is set. */
  readonly discoveryAddresses: readonly ListenAddress[];
  counters(): TurnCounters;
  /**
   * Serves new TLS connections with another certificate and key (open ones keep theirs): a renewal needs no
   * restart. Throws, keeping the old pair, when they do not make a valid pair or no listener is TLS.
   */
  setTls(tls: TlsPair): void;
  close(): Promise<void>;
}

export function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}

export function relayHosts(o: TurnServerOptions): Partial<Record<IpFamily, string>> {
  const first = (test: (h: string) => boolean) =>
    o.listen.find((l) => test(l.host) && !isWildcard(l.host))?.host;
  const out: Partial<Record<IpFamily, string>> = {};
  const v4 = o.relayHost ?? first(isIPv4);
  const v6 = o.relayHostV6 ?? first(isIPv6);
  if (v4) out.IPv4 = v4;
  if (v6) out.IPv6 = v6;
  return out;
}

export function advertised(
  o: TurnServerOptions,
  hosts: Partial<Record<IpFamily, string>>,
): Partial<Record<IpFamily, string>> {
  const out: Partial<Record<IpFamily, string>> = {};
  const v4 = o.externalAddress ?? (hosts.IPv4 && !isWildcard(hosts.IPv4) ? hosts.IPv4 : undefined);
  const v6 = o.externalAddressV6 ?? (hosts.IPv6 && !isWildcard(hosts.IPv6) ? hosts.IPv6 : undefined);
  if (v4 && hosts.IPv4) out.IPv4 = v4;
  if (v6 && hosts.IPv6) out.IPv6 = v6;
  return out;
}

/**
 * Every IP the server answers on or advertises: wildcard listeners stand for all interface addresses. No
 * port on them is a relay target (see isSelf in core/permission.ts).
 */
export function selfIps(o: TurnServerOptions, hosts: Partial<Record<IpFamily, string>>): Set<string> {
  const ips = new Set<string>();
  const add = (h: string | undefined) => {
    if (!h) return;
    if (!isWildcard(h)) {
      ips.add(h);
      return;
    }
    const v6 = h === '::';
    for (const list of Object.values(networkInterfaces())) {
      for (const i of list ?? []) if (v6 || i.family === 'IPv4') ips.add(i.address.split('%')[0]!);
    }
  };
  for (const l of o.listen) add(l.host);
  add(hosts.IPv4);
  add(hosts.IPv6);
  add(o.behaviorDiscovery?.alternateHost);
  add(o.externalAddress);
  add(o.externalAddressV6);
  return ips;
}
