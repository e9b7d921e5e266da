import {
  addAttribute,
  createMessage,
  Data,
  type DecodedStunMessage,
  encodeMessage,
  getAttribute,
  MessageClass,
  Method,
  peekChannelData,
  randomTransactionId,
  type TransportAddress,
  XorPeerAddress,
} from '@parley/stun';
import { type Allocation, channelForPeer, hasPermission, takeBandwidth } from './allocation-record.js';
import { encodeChannelFrame } from './channel-data.js';
import { isSelf } from './permission.js';
import { NO_ACTIONS } from './responses.js';
import type { ServerState } from './state.js';
import type { Action, Now } from './types.js';

/** The data path: Send and Data indications (RFC 8656 §11) and ChannelData (§12), both directions. */

function dropped(state: ServerState): readonly Action[] {
  state.counters.dropped++;
  return NO_ACTIONS;
}

function toPeer(state: ServerState, a: Allocation, address: string, port: number, data: Uint8Array): Action {
  const c = state.counters;
  c.bytesToPeers += data.length;
  c.packetsToPeers++;
  a.counters.bytesToPeers += data.length;
  a.counters.packetsToPeers++;
  return { kind: 'to-peer', allocation: a.id, peer: { address, port }, data };
}

/**
 * RFC 8656 §11.2 Send indication: needs XOR-PEER-ADDRESS and DATA and a live permission for the peer IP;
 * anything else is silently discarded (indications get no answer). The peer is canonicalised and checked
 * against the policy again, so no spelling of a refused address can ride on a permission.
 */
export function handleSend(
  state: ServerState,
  msg: DecodedStunMessage,
  a: Allocation,
  now: Now,
): readonly Action[] {
  let peer: TransportAddress | undefined;
  let data: Uint8Array | undefined;
  try {
    peer = getAttribute(msg, XorPeerAddress);
    data = getAttribute(msg, Data);
  } catch {
    return dropped(state);
  }
  if (!peer || !data || a.transport !== 'udp' || peer.port === 0) return dropped(state);
  const verdict = state.policy.check(peer.address);
  if (!verdict.allowed || isSelf(state, 'udp', verdict.canonical, peer.port)) {
    state.counters.refusedPeers++;
    return dropped(state);
  }
  if (verdict.family !== a.family || !hasPermission(a, verdict.canonical, now)) return dropped(state);
  if (!takeBandwidth(a, data.length, now)) return dropped(state);
  return [toPeer(state, a, verdict.canonical, peer.port, data)];
}

/**
 * RFC 8656 §12.6 ChannelData from the client: relayed to the bound peer when the binding and its
 * permission are live; otherwise discarded. The hot path: no strings built, one view and one action.
 */
export function handleClientChannelData(
  state: ServerState,
  bytes: Uint8Array,
  a: Allocation,
  now: Now,
): readonly Action[] {
  const length = peekChannelData(bytes);
  if (length < 0) return dropped(state);
  return handleClientChannelFrame(state, (bytes[0]! << 8) | bytes[1]!, bytes.subarray(4, 4 + length), a, now);
}

/** handleClientChannelData for a frame the TCP/TLS framer already cut. */
export function handleClientChannelFrame(
  state: ServerState,
  number: number,
  data: Uint8Array,
  a: Allocation,
  now: Now,
): readonly Action[] {
  const ch = a.channels.get(number);
  if (!ch || ch.expiresAt <= now || !hasPermission(a, ch.peerAddress, now)) return dropped(state);
  if (!takeBandwidth(a, data.length, now)) return dropped(state);
  return [toPeer(state, a, ch.peerAddress, ch.peerPort, data)];
}

function dataIndication(a: Allocation, address: string, port: number, data: Uint8Array): Uint8Array {
  const msg = createMessage(Method.Data, MessageClass.Indication, randomTransactionId());
  addAttribute(msg, XorPeerAddress, { family: a.family, address, port });
  addAttribute(msg, Data, data);
  return encodeMessage(msg);
}

/**
 * RFC 8656 §11.3 / §12.7: a datagram from a peer to the relay socket. Without a live permission for the
 * peer IP it is dropped; with a live channel for the peer address it goes as ChannelData (padded on
 * streams), else as a Data indication.
 */
export function handlePeerData(
  state: ServerState,
  id: number,
  data: Uint8Array,
  address: string,
  port: number,
  now: Now,
): readonly Action[] {
  const a = state.allocationsById.get(id);
  if (a?.state !== 'open' || a.expiresAt <= now) return dropped(state);
  if (!hasPermission(a, address, now)) return dropped(state);
  if (!takeBandwidth(a, data.length, now)) return dropped(state);
  const ch = channelForPeer(a, address, port, now);
  let out: Uint8Array;
  if (ch) {
    out = encodeChannelFrame(ch.number, data, a.client.transport !== 'udp');
  } else {
    out = dataIndication(a, address, port, data);
  }
  const c = state.counters;
  c.bytesToClients += data.length;
  c.packetsToClients++;
  a.counters.bytesToClients += data.length;
  a.counters.packetsToClients++;
  return [{ kind: 'to-client', client: a.client, data: out }];
}
