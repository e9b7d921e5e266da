import type { TurnCounters } from '../core/counters.js';
import { NO_ACTIONS } from '../core/responses.js';
import type { TurnCore } from '../core/turn-core.js';
import type { Action, IpFamily } from '../core/types.js';
import type { ClientListener, ListenerHandlers } from './client-listener.js';
import { type TcpRelayEvents, TcpRelaySockets } from './tcp-relay-sockets.js';
import { type BindUdp, bindRelay, type UdpEndpoint } from './udp-sockets.js';

/** Every socket of one server, by what the core calls it: listeners by index, relays by allocation id. */
export class SocketTable {
  /** Client listeners, in the order of `listen` (an action's `client.listener` indexes this). */
  readonly listeners: ClientListener[] = [];
  /** UDP relay sockets by allocation id. */
  readonly relays = new Map<number, UdpEndpoint>();
  /** Sockets held for an EVEN-PORT reservation, by reservation token. */
  readonly reservations = new Map<string, UdpEndpoint>();
}

export interface CoreDriverOptions {
  readonly core: TurnCore;
  readonly clock: () => number;
  readonly sockets: SocketTable;
  /** Relay socket hosts per family. */
  readonly hosts: Partial<Record<IpFamily, string>>;
  /** Relay ports, inclusive. */
  readonly range: readonly [number, number];
  /** How UDP relay sockets are bound (node:dgram or the native addon). */
  readonly bind: BindUdp;
  readonly udpBufferBytes: number | undefined;
}

/**
 * The shell's one way to the core: every socket event (a datagram or frame from a client, a datagram from a
 * peer, a TCP relay event, a relay socket bound) becomes one core step, and the Actions the step returns
 * are carried out here. An exception in a step costs that one event, an exception in an action that one
 * action (both counted in `limits.handlerErrors`), never the process.
 */
export class CoreDriver {
  private readonly core: TurnCore;
  private readonly clock: () => number;
  private readonly sockets: SocketTable;
  private readonly counters: TurnCounters;
  private readonly tcp: TcpRelaySockets;
  private closed = false;

  constructor(private readonly o: CoreDriverOptions) {
    this.core = o.core;
    this.clock = o.clock;
    this.sockets = o.sockets;
    this.counters = o.core.state.counters;
    this.tcp = new TcpRelaySockets(this.tcpRelayEvents(), o.sockets.listeners, o.hosts);
  }

  /** What client listeners (UDP, TCP, TLS) report, handed to the core. */
  listenerHandlers(): ListenerHandlers {
    const { core, clock } = this;
    return {
      message: (bytes, client) => this.safely(() => core.handleClient(bytes, client, clock())),
      channelFrame: (channel, data, client) =>
        this.safely(() => core.handleClientChannelFrame(channel, data, client, clock())),
      closed: (client) => this.safely(() => core.clientClosed(client)),
      holdsAllocation: (client) => core.holdsAllocation(client),
    };
  }

  /** What the TCP relay sockets (RFC 6062) report, handed to the core the same way. */
  private tcpRelayEvents(): TcpRelayEvents {
    const { core, clock } = this;
    return {
      peerConnected: (allocation, address, port, accept) =>
        this.safely(() => {
          const { connection, actions } = core.tcpPeerIncoming(allocation, address, port, clock());
          if (connection === undefined) return NO_ACTIONS;
          accept(connection);
          return actions;
        }),
      connected: (connection) => this.safely(() => core.tcpConnected(connection, clock())),
      connectFailed: (connection) => this.safely(() => core.tcpConnectFailed(connection)),
      closed: (connection, dataClient) => core.tcpClosed(connection, dataClient),
      piped: (connection, toPeer, bytes) => core.countTcp(connection, toPeer, bytes),
    };
  }

  /** Runs what `step` returns; an exception in it costs that one event, never the process. */
  safely(step: () => readonly Action[]): void {
    let actions: readonly Action[];
    try {
      actions = step();
    } catch {
      this.counters.limits.handlerErrors++;
      return;
    }
    this.run(actions);
  }

  private run(actions: readonly Action[]): void {
    for (const a of actions) {
      try {
        this.perform(a);
      } catch {
        this.counters.limits.handlerErrors++; // e.g. a send the socket refused: that action only
      }
    }
  }

  private perform(a: Action): void {
    const { relays, reservations, listeners } = this.sockets;
    switch (a.kind) {
      case 'to-client':
        listeners[a.client.listener]?.send(a.client, a.data);
        break;
      case 'to-peer':
        relays.get(a.allocation)?.send(a.data, a.peer.port, a.peer.address);
        break;
      case 'open-relay':
        void (a.transport === 'tcp' ? this.openTcpRelay(a.allocation, a.family) : this.openUdpRelay(a));
        break;
      case 'close-relay':
        void relays.get(a.allocation)?.close();
        relays.delete(a.allocation);
        this.tcp.closeAllocation(a.allocation);
        break;
      case 'tcp-connect':
        this.tcp.connect(a, a.peer.address.includes(':') ? 'IPv6' : 'IPv4');
        break;
      case 'tcp-bind':
        this.tcp.bind(a.connection, a.client);
        break;
      case 'tcp-close':
        this.tcp.close(a.connection);
        break;
      case 'release-reservation':
        void reservations.get(a.token)?.close();
        reservations.delete(a.token);
        break;
    }
  }

  /** Binds (or takes from a reservation) the UDP relay socket of an allocation, then reports it. */
  private async openUdpRelay(a: Extract<Action, { kind: 'open-relay' }>): Promise<void> {
    const { reservations } = this.sockets;
    const host = this.o.hosts[a.family];
    try {
      if (!host) throw new Error(`no relay host for ${a.family}`);
      if (a.fromReservation) {
        const held = reservations.get(a.fromReservation);
        reservations.delete(a.fromReservation);
        if (!held) throw new Error('reservation socket gone');
        this.attachUdpRelay(a.allocation, held, held.port);
        return;
      }
      const bound = await bindRelay({
        host,
        family: a.family,
        range: this.o.range,
        even: a.evenPort,
        reserveNext: a.reserveToken !== undefined,
        random: Math.random,
        bufferBytes: this.o.udpBufferBytes,
        bind: this.o.bind,
      });
      if (bound.reserved && a.reserveToken) reservations.set(a.reserveToken, bound.reserved);
      this.attachUdpRelay(a.allocation, bound.socket, bound.port);
    } catch {
      if (!this.closed) this.run(this.core.relayFailed(a.allocation));
    }
  }

  private attachUdpRelay(id: number, socket: UdpEndpoint, port: number): void {
    const { relays } = this.sockets;
    if (this.closed) {
      void socket.close();
      return;
    }
    socket.onMessage((msg, address, peerPort) =>
      this.safely(() => this.core.handlePeer(id, msg, address, peerPort, this.clock())),
    );
    relays.set(id, socket);
    const answer = this.core.relayOpened(id, port);
    if (answer.length === 0) {
      // The allocation went away while binding (its TCP connection closed): nobody needs the socket.
      relays.delete(id);
      void socket.close();
    }
    this.run(answer);
  }

  /** Opens the listening socket of an RFC 6062 TCP relay, then reports it. */
  private async openTcpRelay(id: number, family: IpFamily): Promise<void> {
    try {
      const port = await this.tcp.open(id, family, this.o.range);
      const answer = this.closed ? [] : this.core.relayOpened(id, port);
      if (answer.length === 0) this.tcp.closeAllocation(id);
      this.run(answer);
    } catch {
      if (!this.closed) this.run(this.core.relayFailed(id));
    }
  }

  /** Closes every relay and reservation socket and TCP relay; sockets bound after this are closed at once. */
  close(): void {
    const { relays, reservations } = this.sockets;
    this.closed = true;
    for (const s of [...relays.values(), ...reservations.values()]) void s.close();
    relays.clear();
    reservations.clear();
    this.tcp.closeAll();
  }
}
