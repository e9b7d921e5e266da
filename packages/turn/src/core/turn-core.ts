import {
  AttributeType,
  allCodecs,
  type DecodedStunMessage,
  decodeMessage,
  hasAttribute,
  MessageClass,
  Method,
  StunDecodeError,
  startsChannelData,
  unknownComprehensionRequired,
  verifyFingerprint,
} from '@parley/stun';
import {
  allocateOnExisting,
  forgetAllocation,
  handleAllocate,
  relayFailed,
  relayOpened,
} from './allocation-lifecycle.js';
import type { Allocation } from './allocation-record.js';
import { authenticate } from './auth/request-auth.js';
import { type DiscoveryAddress, DiscoveryTable } from './behavior-discovery.js';
import { handleBinding } from './binding.js';
import { handleChannelBind } from './channel-bind.js';
import { CHANNELS } from './channel-data.js';
import { snapshotCounters, type TurnCounters } from './counters.js';
import { expire } from './expiry.js';
import { initialState, type TurnCoreOptions } from './initial-state.js';

export type { TurnCoreOptions } from './initial-state.js';

import { parseCidr } from './peer-policy.js';
import { canonicalIp, handleCreatePermission } from './permission.js';
import { handleRefresh } from './refresh.js';
import {
  handleClientChannelData,
  handleClientChannelFrame,
  handlePeerData,
  handleSend,
} from './relayed-data.js';
import type { AuthedRequest, Request } from './request.js';
import { fail, NO_ACTIONS, unknownAttributes } from './responses.js';
import type { ServerState } from './state.js';
import {
  countTcp,
  handleConnect,
  handleConnectionBind,
  tcpClosed,
  tcpConnected,
  tcpConnectFailed,
  tcpPeerIncoming,
} from './tcp-connections.js';
import type { Action, ClientAddress, Now } from './types.js';

const TURN_REQUESTS: ReadonlySet<number> = new Set([
  Method.Allocate,
  Method.Refresh,
  Method.CreatePermission,
  Method.ChannelBind,
  Method.Connect,
  Method.ConnectionBind,
]);

/**
 * The comprehension-required attributes this server acts on. @parley/stun decodes RESPONSE-PORT (RFC 5780
 * §7.5), but the server does not send answers to another port (that would reflect traffic at a third
 * party's port), so a request carrying it gets 420 as RFC 8489 §6.3.1 asks, not an answer that ignores it.
 */
const KNOWN_ATTRIBUTES: ReadonlySet<number> = new Set(
  allCodecs.map((c) => c.type).filter((t) => t !== AttributeType.ResponsePort),
);

/**
 * The STUN/TURN server core: input (a message, a peer datagram, a tick) in, actions out. It owns every
 * allocation, permission and channel; it never touches a socket or reads a clock.
 */
export class TurnCore {
  readonly state: ServerState;
  private discovery: DiscoveryTable | undefined;

  constructor(options: TurnCoreOptions) {
    this.state = initialState(options);
  }

  /** A datagram (UDP) or one STUN/ChannelData frame (TCP/TLS) from a client. */
  handleClient(bytes: Uint8Array, client: ClientAddress, now: Now): readonly Action[] {
    this.state.counters.received++;
    if (startsChannelData(bytes[0], CHANNELS)) {
      const a = this.state.allocationsByTuple.get(client);
      if (a?.state !== 'open') return this.drop();
      return handleClientChannelData(this.state, bytes, a, now);
    }
    let msg: DecodedStunMessage;
    try {
      msg = decodeMessage(bytes);
    } catch {
      return this.drop();
    }
    // RFC 8489 §7.3: a bad FINGERPRINT means this is not STUN (or was mangled): discard.
    if (hasAttribute(msg, AttributeType.Fingerprint) && !verifyFingerprint(msg)) return this.drop();
    try {
      if (msg.class === MessageClass.Request) return this.request({ msg, client, now });
      if (msg.class === MessageClass.Indication && msg.method === Method.Send) {
        const a = this.state.allocationsByTuple.get(client);
        if (a?.state !== 'open') return this.drop();
        return handleSend(this.state, msg, a, now);
      }
      return this.drop();
    } catch (err) {
      if (msg.class !== MessageClass.Request) return this.drop();
      // A malformed attribute is the client's fault (400); anything else is ours (500), never a crash.
      return fail({ msg, client, now }, err instanceof StunDecodeError ? 400 : 500);
    }
  }

  /** A ChannelData frame already cut by the stream framer (TCP/TLS clients). */
  handleClientChannelFrame(
    channel: number,
    data: Uint8Array,
    client: ClientAddress,
    now: Now,
  ): readonly Action[] {
    this.state.counters.received++;
    const a = this.state.allocationsByTuple.get(client);
    if (a?.state !== 'open') return this.drop();
    return handleClientChannelFrame(this.state, channel, data, a, now);
  }

  /** A datagram that arrived on an allocation's relay socket from a peer. */
  handlePeer(
    allocation: number,
    data: Uint8Array,
    address: string,
    port: number,
    now: Now,
  ): readonly Action[] {
    try {
      return handlePeerData(this.state, allocation, data, address, port, now);
    } catch {
      return this.drop(); // e.g. a datagram too large to fit a Data indication
    }
  }

  /** The relay socket for `allocation` is bound on `port`. */
  relayOpened(allocation: number, port: number): readonly Action[] {
    return relayOpened(this.state, allocation, port);
  }

  /** No relay socket could be bound for `allocation`. */
  relayFailed(allocation: number): readonly Action[] {
    return relayFailed(this.state, allocation);
  }

  /** The outgoing TCP connection for a Connect is up (RFC 6062 §5.2). */
  tcpConnected(connection: number, now: Now): readonly Action[] {
    return tcpConnected(this.state, connection, now);
  }

  /** The outgoing TCP connection for a Connect failed. */
  tcpConnectFailed(connection: number): readonly Action[] {
    return tcpConnectFailed(this.state, connection);
  }

  /** A peer connected to a TCP relay; `connection` is the id to file its socket under, if accepted. */
  tcpPeerIncoming(
    allocation: number,
    address: string,
    port: number,
    now: Now,
  ): { connection: number | undefined; actions: readonly Action[] } {
    return tcpPeerIncoming(this.state, allocation, address, port, now);
  }

  /** A peer connection (bound or not) closed; `dataClient` is its client data connection if bound. */
  tcpClosed(connection: number, dataClient?: ClientAddress): void {
    tcpClosed(this.state, connection, dataClient);
  }

  /** Bytes piped over a bound TCP relay connection, for the counters. */
  countTcp(connection: number, toPeer: boolean, bytes: number): void {
    countTcp(this.state, connection, toPeer, bytes);
  }

  /** A TCP/TLS client connection closed: its allocation goes with it (RFC 8656 §3.1). */
  clientClosed(client: ClientAddress): readonly Action[] {
    const data = this.state.dataConnections.get(client);
    if (data !== undefined) {
      tcpClosed(this.state, data, client);
      return [{ kind: 'tcp-close', connection: data }];
    }
    const a = this.state.allocationsByTuple.get(client);
    if (!a) return NO_ACTIONS;
    forgetAllocation(this.state, a);
    return [{ kind: 'close-relay', allocation: a.id }];
  }

  /** Adds a block of addresses that are all the server's own (see addSelfAddress). */
  addSelfRange(cidr: string): void {
    this.state.selfRanges.push(parseCidr(cidr));
  }

  /** Whether a TCP/TLS client connection holds an allocation or is an RFC 6062 data connection. */
  holdsAllocation(client: ClientAddress): boolean {
    return (
      this.state.allocationsByTuple.get(client) !== undefined ||
      this.state.dataConnections.get(client) !== undefined
    );
  }

  /**
   * Adds one of the server's own IPs to those refused as peers on every port (but for live relayed
   * addresses), and `port`, when given, as one of its listening ports (see `selfPeerPorts`).
   */
  addSelfAddress(address: string, port?: number): void {
    const ip = canonicalIp(address);
    this.state.selfIps.add(ip);
    if (port !== undefined) this.state.selfTransports.add(`${ip}|${port}`);
  }

  /** RFC 5780: the four UDP listeners (two IPs times two ports) that answer behaviour-discovery requests. */
  setBehaviorDiscovery(sockets: readonly DiscoveryAddress[]): void {
    this.discovery = new DiscoveryTable(sockets);
  }

  /** Expire allocations, permissions, channels and reservations; call about once a second. */
  tick(now: Now): readonly Action[] {
    return expire(this.state, now);
  }

  counters(): TurnCounters {
    return snapshotCounters(this.state.counters);
  }

  private drop(): readonly Action[] {
    this.state.counters.dropped++;
    return NO_ACTIONS;
  }

  private request(req: Request): readonly Action[] {
    const unknown = unknownComprehensionRequired(req.msg, KNOWN_ATTRIBUTES);
    if (unknown.length > 0) return unknownAttributes(req, unknown);
    const method = req.msg.method;
    if (method === Method.Binding) return handleBinding(req, this.discovery);
    if (!TURN_REQUESTS.has(method)) return fail(req, 400);
    const existing = this.state.allocationsByTuple.get(req.client);
    const auth = authenticate(this.state, req, existing);
    if (!auth.ok) return auth.actions;
    if (method === Method.Allocate) {
      return existing ? allocateOnExisting(auth.req, existing) : handleAllocate(this.state, auth.req);
    }
    if (method === Method.ConnectionBind) return handleConnectionBind(this.state, auth.req);
    if (existing?.state !== 'open') return fail(req, 437, auth.req.key);
    return this.onAllocation(auth.req, existing);
  }

  private onAllocation(req: AuthedRequest, a: Allocation): readonly Action[] {
    switch (req.msg.method) {
      case Method.Refresh:
        return handleRefresh(this.state, req, a);
      case Method.CreatePermission:
        return handleCreatePermission(this.state, req, a);
      case Method.Connect:
        return handleConnect(this.state, req, a);
      default:
        return handleChannelBind(this.state, req, a);
    }
  }
}
