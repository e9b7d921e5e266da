import {
  addAttribute,
  ConnectionId,
  createMessage,
  encodeMessage,
  getAttribute,
  MessageClass,
  Method,
  randomTransactionId,
  XorPeerAddress,
} from '@parley/stun';
import type { Allocation, PeerConnection } from './allocation-record.js';
import { resolvePeer } from './permission.js';
import type { AuthedRequest } from './request.js';
import { fail, NO_ACTIONS, success } from './responses.js';
import type { ServerState } from './state.js';
import type { Action, ClientAddress, Now } from './types.js';
import { refused } from './usage.js';

/** RFC 6062 TCP relaying: Connect (§5.2), peer connections (§5.3), ConnectionBind (§5.4). */

/** A CONNECTION-ID unique among live connections (RFC 6062 §5.2): random, so ids are not guessable. */
function newConnectionId(state: ServerState): number {
  for (;;) {
    const b = state.random(4);
    const id = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
    if (id !== 0 && !state.connections.has(id)) return id;
  }
}

function track(state: ServerState, a: Allocation, c: PeerConnection): void {
  a.connections.set(c.id, c);
  state.connections.set(c.id, c);
}

/** Forgets a peer connection (the I/O layer closes the sockets). */
export function untrack(state: ServerState, id: number): void {
  const c = state.connections.get(id);
  state.connections.delete(id);
  state.pendingConnects.delete(id);
  if (c) state.allocationsById.get(c.allocation)?.connections.delete(id);
}

/**
 * RFC 6062 §5.2 Connect: on a TCP allocation (else 400), with XOR-PEER-ADDRESS (else 400), not to a peer
 * already connected or connecting (446), allowed by policy (403) and family (443), and within the
 * allocation's `peerConnectionsPerAllocation` (connecting, pending and bound alike; 508 Insufficient
 * Capacity, as RFC 8656 answers other resource limits). Then the I/O layer connects and reports back
 * through tcpConnected / tcpConnectFailed.
 */
export function handleConnect(state: ServerState, req: AuthedRequest, a: Allocation): readonly Action[] {
  if (a.transport !== 'tcp') return fail(req, 400, req.key);
  const peer = getAttribute(req.msg, XorPeerAddress);
  if (!peer || peer.port === 0) return fail(req, 400, req.key);
  const ip = resolvePeer(state, a, peer);
  if (typeof ip === 'number') return fail(req, ip, req.key);
  for (const c of a.connections.values()) {
    if (c.peer.address === ip && c.peer.port === peer.port) return fail(req, 446, req.key);
  }
  if (a.connections.size >= state.quotas.peerConnectionsPerAllocation) {
    refused(state, 'peerConnectionsPerAllocation');
    return fail(req, 508, req.key);
  }
  const id = newConnectionId(state);
  const connection: PeerConnection = {
    id,
    allocation: a.id,
    peer: { address: ip, port: peer.port },
    state: 'connecting',
    bindDeadline: Number.POSITIVE_INFINITY,
  };
  track(state, a, connection);
  state.pendingConnects.set(id, req);
  return [{ kind: 'tcp-connect', allocation: a.id, connection: id, peer: connection.peer }];
}

/** The outgoing connection is up: answer Connect with its CONNECTION-ID; the 30 s bind timer starts. */
export function tcpConnected(state: ServerState, id: number, now: Now): readonly Action[] {
  const c = state.connections.get(id);
  const req = state.pendingConnects.get(id);
  state.pendingConnects.delete(id);
  if (!c || !req || c.state !== 'connecting') return [{ kind: 'tcp-close', connection: id }];
  c.state = 'pending';
  c.bindDeadline = now + state.lifetimes.connectionBind * 1000;
  return [success(req, (m) => addAttribute(m, ConnectionId, id), req.key).action];
}

/** The outgoing connection failed or timed out: 447 (RFC 6062 §5.2). */
export function tcpConnectFailed(state: ServerState, id: number): readonly Action[] {
  const req = state.pendingConnects.get(id);
  untrack(state, id);
  return req ? fail(req, 447, req.key) : NO_ACTIONS;
}

/**
 * RFC 6062 §5.3: a peer connected to the relayed address. Without a permission for its IP the connection
 * is refused; otherwise the client hears of it in a ConnectionAttempt indication on its control connection.
 */
export function tcpPeerIncoming(
  state: ServerState,
  allocation: number,
  address: string,
  port: number,
  now: Now,
): { connection: number | undefined; actions: readonly Action[] } {
  const a = state.allocationsById.get(allocation);
  const verdict = state.policy.check(address);
  if (a?.state !== 'open' || a.transport !== 'tcp' || !verdict.allowed) {
    if (!verdict.allowed) state.counters.refusedPeers++;
    return { connection: undefined, actions: NO_ACTIONS };
  }
  const exp = a.permissions.get(verdict.canonical);
  if (exp === undefined || exp <= now) return { connection: undefined, actions: NO_ACTIONS };
  if (a.connections.size >= state.quotas.peerConnectionsPerAllocation) {
    state.counters.limits.peerConnectionsPerAllocation++;
    return { connection: undefined, actions: NO_ACTIONS };
  }
  const id = newConnectionId(state);
  const peer = { address: verdict.canonical, port };
  track(state, a, {
    id,
    allocation: a.id,
    peer,
    state: 'pending',
    bindDeadline: now + state.lifetimes.connectionBind * 1000,
  });
  const msg = createMessage(Method.ConnectionAttempt, MessageClass.Indication, randomTransactionId());
  addAttribute(msg, XorPeerAddress, { family: a.family, ...peer });
  addAttribute(msg, ConnectionId, id);
  return { connection: id, actions: [{ kind: 'to-client', client: a.client, data: encodeMessage(msg) }] };
}

/**
 * RFC 6062 §5.4 ConnectionBind, on a new TCP/TLS connection from the client: the CONNECTION-ID must name a
 * pending connection of an allocation with the same username (400 / 441 otherwise). The success response
 * goes first, then the connection turns into a raw pipe to the peer.
 */
export function handleConnectionBind(state: ServerState, req: AuthedRequest): readonly Action[] {
  if (req.client.transport === 'udp') return fail(req, 400, req.key);
  if (state.allocationsByTuple.get(req.client) || state.dataConnections.get(req.client) !== undefined) {
    return fail(req, 400, req.key);
  }
  const id = getAttribute(req.msg, ConnectionId);
  const c = id === undefined ? undefined : state.connections.get(id);
  if (c?.state !== 'pending' || c.bindDeadline <= req.now) return fail(req, 400, req.key);
  const a = state.allocationsById.get(c.allocation);
  if (!a) return fail(req, 400, req.key);
  if (a.username !== req.username) return fail(req, 441, req.key);
  c.state = 'bound';
  state.dataConnections.set(req.client, c.id);
  return [success(req, () => {}, req.key).action, { kind: 'tcp-bind', connection: c.id, client: req.client }];
}

/** Closes connections still waiting for a ConnectionBind after 30 s. */
export function expireConnections(state: ServerState, now: Now): Action[] {
  const out: Action[] = [];
  for (const c of state.connections.values()) {
    if (c.state === 'pending' && c.bindDeadline <= now) {
      untrack(state, c.id);
      out.push({ kind: 'tcp-close', connection: c.id });
    }
  }
  return out;
}

/** Counts bytes piped between a bound client data connection and its peer. */
export function countTcp(state: ServerState, id: number, toPeer: boolean, bytes: number): void {
  const c = state.connections.get(id);
  const a = c && state.allocationsById.get(c.allocation);
  const counters = state.counters;
  if (toPeer) {
    counters.bytesToPeers += bytes;
    counters.packetsToPeers++;
    if (a) {
      a.counters.bytesToPeers += bytes;
      a.counters.packetsToPeers++;
    }
  } else {
    counters.bytesToClients += bytes;
    counters.packetsToClients++;
    if (a) {
      a.counters.bytesToClients += bytes;
      a.counters.packetsToClients++;
    }
  }
}

/** A bound pipe or a pending peer connection closed (either side): forget it. */
export function tcpClosed(state: ServerState, id: number, dataClient: ClientAddress | undefined): void {
  untrack(state, id);
  if (dataClient) state.dataConnections.delete(dataClient);
}
