import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { createSecureContext } from 'node:tls';
import type { TurnCounters } from '../core/counters.js';
import { DEFAULT_QUOTAS, type Quotas } from '../core/state.js';
import { TurnCore } from '../core/turn-core.js';
import type { IpFamily } from '../core/types.js';
import type { ListenerHandlers } from './client-listener.js';
import { CoreDriver, SocketTable } from './core-driver.js';
import { NativeMirror } from './native-mirror.js';
import type { NativeUdp } from './native-udp.js';
import {
  advertised,
  isWildcard,
  type ListenAddress,
  relayHosts,
  selfIps,
  type TurnServer,
  type TurnServerOptions,
} from './server-options.js';
import { defaultStreamLimits, descriptorShare, openFileLimit, StreamGate } from './stream-gate.js';
import { listenStream } from './stream-listener.js';
import { chooseDataPath, defaultLog } from './udp-data-path.js';
import { listenUdp } from './udp-listener.js';
import { type BindUdp, bindDgram } from './udp-sockets.js';

export type { ListenAddress, TurnServer, TurnServerOptions } from './server-options.js';

/**
 * Limits as given, but `allocationsTotal` defaults to the descriptors' share: each allocation holds a relay
 * socket, so by default no more of them than the open-file limit allows.
 */
function quotasFor(o: TurnServerOptions): Partial<Quotas> {
  return {
    allocationsTotal: descriptorShare(
      DEFAULT_QUOTAS.allocationsTotal,
      DEFAULT_QUOTAS.allocationsTotal,
      openFileLimit(),
    ),
    ...o.quotas,
  };
}

/**
 * The mirror of the core's relay tables in the native engine, when the native data path runs and may relay
 * by itself: a bandwidth cap is counted per packet in the core, so with one every datagram goes through it.
 */
function nativeMirror(
  o: TurnServerOptions,
  native: NativeUdp | undefined,
  sockets: SocketTable,
): NativeMirror | undefined {
  if (!native || o.quotas?.bytesPerSecondPerAllocation !== undefined) return undefined;
  return new NativeMirror(
    native,
    (id) => sockets.relays.get(id)?.nativeId,
    (index) => sockets.listeners[index]?.nativeId,
  );
}

/** This machine's IPv4 addresses, loopback included (each gets a UDP socket of its own for 0.0.0.0). */
function localIpv4(): string[] {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces()))
    for (const i of list ?? []) if (i.family === 'IPv4') out.add(i.address);
  return [...out];
}

/**
 * Opens every listener of `o.listen` into `sockets.listeners`; on a failure closes those already open.
 * Returns each entry of `o.listen` with the port it got.
 *
 * A UDP listener on 0.0.0.0 becomes one socket per local IPv4 address, all on the same port: a wildcard
 * socket answers from the address of the outgoing interface, not the one a request came to, and a NAT
 * drops an answer from another address (node:dgram has no IP_PKTINFO to pick the source). Addresses that
 * appear after the start are not listened on.
 */
async function openListeners(
  o: TurnServerOptions,
  sockets: SocketTable,
  handlers: ListenerHandlers,
  bind: BindUdp,
  counters: TurnCounters,
): Promise<ListenAddress[]> {
  const gate = new StreamGate(
    { ...defaultStreamLimits(), ...o.streamLimits },
    counters,
    o.quotas?.sourcePrefixV6 ?? DEFAULT_QUOTAS.sourcePrefixV6,
  );
  const opened: ListenAddress[] = [];
  try {
    for (const l of o.listen) {
      if (l.transport === 'udp') {
        const hosts = l.host === '0.0.0.0' ? localIpv4() : [l.host];
        let port = l.port;
        for (const host of hosts) {
          const index = sockets.listeners.length;
          const socket = await listenUdp(index, host, port, handlers, o.udpBufferBytes, bind);
          sockets.listeners.push(socket);
          port = socket.port;
        }
        opened.push({ transport: 'udp', host: l.host, port });
        continue;
      }
      const index = sockets.listeners.length;
      const stream = await listenStream(
        { index, transport: l.transport, host: l.host, port: l.port, tls: o.tls, gate },
        handlers,
      );
      sockets.listeners.push(stream);
      opened.push({ transport: l.transport, host: l.host, port: stream.port });
    }
  } catch (err) {
    await Promise.all(sockets.listeners.map((l) => l.close()));
    throw err;
  }
  return opened;
}

/**
 * RFC 5780: opens the three UDP sockets beside the first UDP listener (its IP on the alternate port, the
 * alternate IP on both ports) as listeners, and tells the core which four sockets answer discovery.
 */
async function openDiscovery(
  o: TurnServerOptions,
  core: TurnCore,
  sockets: SocketTable,
  handlers: ListenerHandlers,
  bind: BindUdp,
): Promise<ListenAddress[]> {
  const d = o.behaviorDiscovery;
  if (!d) return [];
  const primaryIndex = sockets.listeners.findIndex((l) => l.transport === 'udp');
  const primary = sockets.listeners[primaryIndex];
  const host = o.listen.find((l) => l.transport === 'udp')?.host;
  if (!primary || !host || isIP(host) === 0 || isWildcard(host))
    throw new TypeError('behaviour discovery needs a UDP listener on an IP address (not a wildcard)');
  if (isIP(d.alternateHost) !== isIP(host) || d.alternateHost === host)
    throw new TypeError(
      `the alternate STUN address ${d.alternateHost} must be another IP of ${host}'s family`,
    );
  const altPort = d.alternatePort ?? primary.port + 1;
  const wanted: ListenAddress[] = [
    { transport: 'udp', host, port: altPort },
    { transport: 'udp', host: d.alternateHost, port: primary.port },
    { transport: 'udp', host: d.alternateHost, port: altPort },
  ];
  const entries = [{ listener: primaryIndex, address: host, port: primary.port }];
  for (const w of wanted) {
    const index = sockets.listeners.length;
    sockets.listeners.push(await listenUdp(index, w.host, w.port, handlers, o.udpBufferBytes, bind));
    entries.push({ listener: index, address: w.host, port: w.port });
  }
  core.setBehaviorDiscovery(entries);
  return entries.map((e) => ({ transport: 'udp', host: e.address, port: e.port }));
}

/** Tells the core every address of the server's own, so that none of them is a relay target. */
function addSelfAddresses(
  core: TurnCore,
  o: TurnServerOptions,
  hosts: Partial<Record<IpFamily, string>>,
  sockets: SocketTable,
): void {
  for (const ip of selfIps(o, hosts)) for (const l of sockets.listeners) core.addSelfAddress(ip, l.port);
  // A wildcard socket answers on every loopback address, not only on the interface's 127.0.0.1.
  if ([...o.listen.map((l) => l.host), ...Object.values(hosts)].some(isWildcard))
    core.addSelfRange('127.0.0.0/8');
}

/** Starts a STUN/TURN server on real sockets; the core decides, the shell only moves bytes. */
export async function startTurnServer(o: TurnServerOptions): Promise<TurnServer> {
  const clock = o.clock ?? Date.now;
  const hosts = relayHosts(o);
  const relayAddresses = advertised(o, hosts);
  if (!relayAddresses.IPv4 && !relayAddresses.IPv6) {
    throw new TypeError(
      'TURN needs a relay address: set relayHost (or externalAddress with a wildcard relayHost)',
    );
  }
  const sockets = new SocketTable();
  const { native, reason } = chooseDataPath(o, hosts);
  const bind: BindUdp = native ? native.bind : bindDgram;
  const mirror = nativeMirror(o, native, sockets);
  const core = new TurnCore({ ...o, quotas: quotasFor(o), relayAddresses, ...(mirror ? { mirror } : {}) });
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
  const driver = new CoreDriver({
    core,
    clock,
    sockets,
    hosts,
    range: o.relayPortRange ?? [49152, 65535],
    bind,
    udpBufferBytes: o.udpBufferBytes,
  });
  let discoveryAddresses: ListenAddress[] = [];
  let addresses: ListenAddress[];
  try {
    addresses = await openListeners(o, sockets, driver.listenerHandlers(), bind, core.state.counters);
    discoveryAddresses = await openDiscovery(o, core, sockets, driver.listenerHandlers(), bind).catch(
      async (err) => {
        await Promise.all(sockets.listeners.map((l) => l.close()));
        throw err;
      },
    );
  } catch (err) {
    native?.close();
    throw err;
  }
  addSelfAddresses(core, o, hosts, sockets);
  const timer = setInterval(() => {
    driver.safely(() => {
      syncClock();
      mirror?.sync();
      return core.tick(clock());
    });
  }, o.tickMs ?? 1000);
  timer.unref();
  let closed = false;

  return {
    addresses,
    discoveryAddresses,
    udpDataPath: native ? 'native' : 'dgram',
    counters: () => {
      // After close() the native side is gone; close() synced its last counters.
      if (!closed) mirror?.sync();
      return core.counters();
    },
    setTls(tls) {
      const listeners = sockets.listeners.filter((l) => l.setCertificate);
      if (listeners.length === 0) throw new Error('this TURN server has no TLS listener');
      // Checked once before any listener changes, so a bad pair changes none of them.
      createSecureContext({ cert: tls.cert, key: tls.key });
      for (const l of listeners) l.setCertificate?.(tls);
    },
    async close() {
      if (closed) return;
      clearInterval(timer);
      mirror?.sync();
      closed = true;
      driver.close();
      await Promise.all(sockets.listeners.map((l) => l.close()));
      native?.close();
    },
  };
}
