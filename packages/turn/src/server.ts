import { isIP, isIPv4, isIPv6 } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { RateLimitOptions } from './auth.js';
import { TurnCore } from './core.js';
import type { TurnCounters } from './counters.js';
import { NativeMirror } from './fast-path.js';
import { type ClientListener, type ListenerHandlers, listenStream, listenUdp } from './listeners.js';
import { loadTurnUdpAddon, NativeUdp } from './native-udp.js';
import { type BindUdp, bindDgram, bindRelay, type UdpEndpoint } from './relay-sockets.js';
import { DEFAULT_QUOTAS, type Lifetimes, type Quotas } from './state.js';
import {
  defaultStreamLimits,
  descriptorShare,
  openFileLimit,
  StreamGate,
  type StreamLimits,
} from './stream-gate.js';
import { TcpRelays } from './tcp-io.js';
import type { Action, ClientTransport, IpFamily } from './types.js';

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
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
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
}

export interface TurnServer {
  readonly addresses: readonly ListenAddress[];
  /** Which UDP data path the server runs: the native addon or node:dgram. */
  readonly udpDataPath: 'native' | 'dgram';
  counters(): TurnCounters;
  close(): Promise<void>;
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}

function relayHosts(o: TurnServerOptions): Partial<Record<IpFamily, string>> {
  const first = (test: (h: string) => boolean) =>
    o.listen.find((l) => test(l.host) && !isWildcard(l.host))?.host;
  const out: Partial<Record<IpFamily, string>> = {};
  const v4 = o.relayHost ?? first(isIPv4);
  const v6 = o.relayHostV6 ?? first(isIPv6);
  if (v4) out.IPv4 = v4;
  if (v6) out.IPv6 = v6;
  return out;
}

function advertised(
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
 * port on them is a relay target (see isSelf in permission.ts).
 */
function selfIps(o: TurnServerOptions, hosts: Partial<Record<IpFamily, string>>): Set<string> {
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
  add(o.externalAddress);
  add(o.externalAddressV6);
  return ips;
}

let logged = false;

function defaultLog(line: string): void {
  if (logged || process.env.PARLEY_LOG_LEVEL === 'silent') return;
  logged = true;
  process.stderr.write(`${line}\n`);
}

/**
 * Picks the UDP data path: the native addon when allowed, built and usable for these addresses (it binds
 * IP literals only), else node:dgram. Says why in `reason`.
 */
function chooseDataPath(
  o: TurnServerOptions,
  hosts: Partial<Record<IpFamily, string>>,
): { native: NativeUdp | undefined; reason: string } {
  const wanted = o.udpDataPath ?? (process.env.PARLEY_TURN_NATIVE === '0' ? 'dgram' : 'auto');
  if (wanted === 'dgram') {
    return { native: undefined, reason: o.udpDataPath ? 'udpDataPath: dgram' : 'PARLEY_TURN_NATIVE=0' };
  }
  const named = [
    ...o.listen.filter((l) => l.transport === 'udp').map((l) => l.host),
    ...Object.values(hosts),
  ];
  const notIp = named.find((h) => isIP(h) === 0);
  const { addon, reason } = loadTurnUdpAddon();
  const why = notIp !== undefined ? `host ${notIp} is not an IP address` : addon ? undefined : reason;
  if (why !== undefined || !addon) {
    if (wanted === 'native') throw new Error(`the native UDP data path is not available: ${why}`);
    return { native: undefined, reason: why ?? reason };
  }
  return { native: new NativeUdp(addon), reason };
}

/** Starts a STUN/TURN server on real sockets; the core decides, this file only moves bytes. */
export async function startTurnServer(o: TurnServerOptions): Promise<TurnServer> {
  const clock = o.clock ?? Date.now;
  const hosts = relayHosts(o);
  const relayAddresses = advertised(o, hosts);
  if (!relayAddresses.IPv4 && !relayAddresses.IPv6) {
    throw new TypeError(
      'TURN needs a relay address: set relayHost (or externalAddress with a wildcard relayHost)',
    );
  }
  const relays = new Map<number, UdpEndpoint>();
  const reservations = new Map<string, UdpEndpoint>();
  const listeners: ClientListener[] = [];
  const { native, reason } = chooseDataPath(o, hosts);
  const bind: BindUdp = native ? native.bind : bindDgram;
  // The bandwidth cap is counted per packet in the core: with one, every datagram goes through it.
  const mirror =
    native && o.quotas?.bytesPerSecondPerAllocation === undefined
      ? new NativeMirror(
          native,
          (id) => relays.get(id)?.nativeId,
          (index) => listeners[index]?.nativeId,
        )
      : undefined;
  // Each allocation holds a relay socket: by default no more of them than the descriptors allow.
  const quotas: Partial<Quotas> = {
    allocationsTotal: descriptorShare(
      DEFAULT_QUOTAS.allocationsTotal,
      DEFAULT_QUOTAS.allocationsTotal,
      openFileLimit(),
    ),
    ...o.quotas,
  };
  const core = new TurnCore({ ...o, quotas, relayAddresses, ...(mirror ? { mirror } : {}) });
  if (mirror) mirror.counters = core.state.counters;
  // The native tables check expiry against the real-time clock plus this offset (0 for the default clock).
  const syncClock = () => {
    if (native && o.clock) native.addon.clockOffset(native.engine, clock() - Date.now());
  };
  syncClock();
  (o.log ?? defaultLog)(
    native
      ? `parley turn: UDP data path native (recvmmsg/sendmmsg addon${mirror ? '' : ', fast relay off: bandwidth cap'}; ${reason})`
      : `parley turn: UDP data path node:dgram (${reason})`,
  );
  const range = o.relayPortRange ?? [49152, 65535];
  let closed = false;

  const counters = core.state.counters;
  const run = (actions: readonly Action[]): void => {
    for (const a of actions) {
      try {
        perform(a);
      } catch {
        counters.limits.handlerErrors++; // e.g. a send the socket refused: that action only
      }
    }
  };
  /** Runs what `step` returns; an exception in it costs that one event, never the process. */
  const safely = (step: () => readonly Action[]): void => {
    let actions: readonly Action[];
    try {
      actions = step();
    } catch {
      counters.limits.handlerErrors++;
      return;
    }
    run(actions);
  };

  const perform = (a: Action): void => {
    switch (a.kind) {
      case 'to-client':
        listeners[a.client.listener]?.send(a.client, a.data);
        break;
      case 'to-peer':
        relays.get(a.allocation)?.send(a.data, a.peer.port, a.peer.address);
        break;
      case 'open-relay':
        void openRelay(a);
        break;
      case 'close-relay':
        void relays.get(a.allocation)?.close();
        relays.delete(a.allocation);
        tcp.closeAllocation(a.allocation);
        break;
      case 'tcp-connect':
        tcp.connect(a, a.peer.address.includes(':') ? 'IPv6' : 'IPv4');
        break;
      case 'tcp-bind':
        tcp.bind(a.connection, a.client);
        break;
      case 'tcp-close':
        tcp.close(a.connection);
        break;
      case 'release-reservation':
        void reservations.get(a.token)?.close();
        reservations.delete(a.token);
        break;
    }
  };

  const attach = (id: number, socket: UdpEndpoint, port: number): void => {
    if (closed) {
      void socket.close();
      return;
    }
    socket.onMessage((msg, address, peerPort) =>
      safely(() => core.handlePeer(id, msg, address, peerPort, clock())),
    );
    relays.set(id, socket);
    const answer = core.relayOpened(id, port);
    if (answer.length === 0) {
      // The allocation went away while binding (its TCP connection closed): nobody needs the socket.
      relays.delete(id);
      void socket.close();
    }
    run(answer);
  };

  const openTcpRelay = async (id: number, family: IpFamily): Promise<void> => {
    try {
      const port = await tcp.open(id, family, range);
      const answer = closed ? [] : core.relayOpened(id, port);
      if (answer.length === 0) tcp.closeAllocation(id);
      run(answer);
    } catch {
      if (!closed) run(core.relayFailed(id));
    }
  };

  const openRelay = async (a: Extract<Action, { kind: 'open-relay' }>): Promise<void> => {
    if (a.transport === 'tcp') return openTcpRelay(a.allocation, a.family);
    const host = hosts[a.family];
    try {
      if (!host) throw new Error(`no relay host for ${a.family}`);
      if (a.fromReservation) {
        const held = reservations.get(a.fromReservation);
        reservations.delete(a.fromReservation);
        if (!held) throw new Error('reservation socket gone');
        attach(a.allocation, held, held.port);
        return;
      }
      const bound = await bindRelay({
        host,
        family: a.family,
        range,
        even: a.evenPort,
        reserveNext: a.reserveToken !== undefined,
        random: Math.random,
        bufferBytes: o.udpBufferBytes,
        bind,
      });
      if (bound.reserved && a.reserveToken) reservations.set(a.reserveToken, bound.reserved);
      attach(a.allocation, bound.socket, bound.port);
    } catch {
      if (!closed) run(core.relayFailed(a.allocation));
    }
  };

  // `listeners` is filled below; TcpRelays only reads it once connections exist.
  const tcp = new TcpRelays(core, safely, clock, listeners, hosts);
  const handlers: ListenerHandlers = {
    message: (bytes, client) => safely(() => core.handleClient(bytes, client, clock())),
    channelFrame: (channel, data, client) =>
      safely(() => core.handleClientChannelFrame(channel, data, client, clock())),
    closed: (client) => safely(() => core.clientClosed(client)),
    holdsAllocation: (client) => core.holdsAllocation(client),
  };
  const gate = new StreamGate(
    { ...defaultStreamLimits(), ...o.streamLimits },
    counters,
    o.quotas?.sourcePrefixV6 ?? DEFAULT_QUOTAS.sourcePrefixV6,
  );
  try {
    for (const [index, l] of o.listen.entries()) {
      listeners.push(
        l.transport === 'udp'
          ? await listenUdp(index, l.host, l.port, handlers, o.udpBufferBytes, bind)
          : await listenStream(
              { index, transport: l.transport, host: l.host, port: l.port, tls: o.tls, gate },
              handlers,
            ),
      );
    }
  } catch (err) {
    await Promise.all(listeners.map((l) => l.close()));
    native?.close();
    throw err;
  }
  for (const ip of selfIps(o, hosts)) for (const l of listeners) core.addSelfAddress(ip, l.port);
  // A wildcard socket answers on every loopback address, not only on the interface's 127.0.0.1.
  if ([...o.listen.map((l) => l.host), ...Object.values(hosts)].some(isWildcard))
    core.addSelfRange('127.0.0.0/8');
  const timer = setInterval(() => {
    safely(() => {
      syncClock();
      mirror?.sync();
      return core.tick(clock());
    });
  }, o.tickMs ?? 1000);
  timer.unref();

  return {
    addresses: listeners.map((l) => ({ transport: l.transport, host: l.host, port: l.port })),
    udpDataPath: native ? 'native' : 'dgram',
    counters: () => {
      mirror?.sync();
      return core.counters();
    },
    async close() {
      closed = true;
      clearInterval(timer);
      mirror?.sync();
      for (const s of [...relays.values(), ...reservations.values()]) void s.close();
      relays.clear();
      reservations.clear();
      tcp.closeAll();
      await Promise.all(listeners.map((l) => l.close()));
      native?.close();
    },
  };
}
