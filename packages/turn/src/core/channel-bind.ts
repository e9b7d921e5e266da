import { ChannelNumber, getAttribute, isValidChannelNumber, XorPeerAddress } from '@parley/stun';
import type { Allocation, Channel } from './allocation-record.js';
import { CHANNELS } from './channel-data.js';
import type { LimitName } from './counters.js';
import {
  installPermission,
  newPermissionCount,
  permissionQuotaAllows,
  relayedKey,
  resolvePeer,
} from './permission.js';
import type { AuthedRequest } from './request.js';
import { fail, success } from './responses.js';
import type { ServerState } from './state.js';
import type { Action, Now } from './types.js';
import { refused, usageOf } from './usage.js';

/** A binding still blocks reuse of its number and peer until its cooldown after expiry is over (RFC 8656 §12). */
function blocking(state: ServerState, ch: Channel, now: Now): boolean {
  return ch.expiresAt + state.lifetimes.channelCooldown * 1000 > now;
}

/**
 * RFC 8656 §11.2 rule: the number must not be bound to another peer, nor the peer to another number.
 * Returns the existing binding to refresh, undefined for a new one, or 400 for a conflict.
 */
function existingBinding(
  state: ServerState,
  a: Allocation,
  number: number,
  ip: string,
  port: number,
  now: Now,
): Channel | undefined | 400 {
  const byNumber = a.channels.get(number);
  const byPeer = a.channelsByPeer.get(ip)?.get(port);
  if (byNumber && byNumber === byPeer) return byNumber;
  if (byNumber && blocking(state, byNumber, now)) return 400;
  if (byPeer && blocking(state, byPeer, now)) return 400;
  // Cooled-down leftovers are dropped so the new binding can take their place.
  if (byNumber) removeChannel(state, a, byNumber);
  if (byPeer) removeChannel(state, a, byPeer);
  return undefined;
}

function addChannel(state: ServerState, a: Allocation, ch: Channel): void {
  a.channels.set(ch.number, ch);
  let ports = a.channelsByPeer.get(ch.peerAddress);
  if (!ports) {
    ports = new Map();
    a.channelsByPeer.set(ch.peerAddress, ports);
  }
  ports.set(ch.peerPort, ch);
  if (ch.toRelay) {
    let m = state.channelsToRelays.get(ch.toRelay);
    if (!m) {
      m = new Map();
      state.channelsToRelays.set(ch.toRelay, m);
    }
    m.set(ch, a);
  }
  usageOf(state, a.user).channels++;
  state.counters.channels++;
  a.counters.channels++;
}

/** Drops `ch` from the index of channels to relayed addresses. */
export function forgetRelayChannel(state: ServerState, ch: Channel): void {
  if (!ch.toRelay) return;
  const m = state.channelsToRelays.get(ch.toRelay);
  m?.delete(ch);
  if (m?.size === 0) state.channelsToRelays.delete(ch.toRelay);
}

/** The relayed address `key` is gone: every channel bound to it goes too (RFC 8656 §12: it is no peer now). */
export function removeChannelsTo(state: ServerState, key: string): void {
  const m = state.channelsToRelays.get(key);
  if (!m) return;
  state.channelsToRelays.delete(key);
  for (const [ch, a] of m) removeChannel(state, a, ch);
}

/** A binding past its lifetime stops counting as live but keeps blocking its number and peer (cooldown). */
export function expireChannel(state: ServerState, a: Allocation, ch: Channel): void {
  if (!ch.counted) return;
  state.mirror?.channelRemoved(a, ch);
  ch.counted = false;
  state.counters.channels--;
  a.counters.channels--;
}

/** Removes a binding from both indexes. */
export function removeChannel(state: ServerState, a: Allocation, ch: Channel): void {
  if (a.channels.get(ch.number) !== ch) return;
  a.channels.delete(ch.number);
  forgetRelayChannel(state, ch);
  usageOf(state, a.user).channels--;
  const ports = a.channelsByPeer.get(ch.peerAddress);
  ports?.delete(ch.peerPort);
  if (ports?.size === 0) a.channelsByPeer.delete(ch.peerAddress);
  expireChannel(state, a, ch);
}

/**
 * A new binding past `channelsPerAllocation` or `channelsPerUser` is refused (508, RFC 8656 §11.2 leaves
 * capacity to the server). Bindings cooling down count: they hold memory and their number until then.
 */
function channelLimit(state: ServerState, a: Allocation): LimitName | undefined {
  if (a.channels.size >= state.quotas.channelsPerAllocation) return 'channelsPerAllocation';
  if (usageOf(state, a.user).channels >= state.quotas.channelsPerUser) return 'channelsPerUser';
  return undefined;
}

/**
 * RFC 8656 §11.2 ChannelBind: number in 0x4000–0x7FFF (RFC 5766's range, see channel-data.ts) and a peer are required (400), the peer must pass
 * policy (403) and family (443), bindings must not conflict (400). Binding also installs or refreshes the
 * permission for the peer IP.
 */
export function handleChannelBind(state: ServerState, req: AuthedRequest, a: Allocation): readonly Action[] {
  if (a.transport === 'tcp') return fail(req, 400, req.key); // RFC 6062 §5.x: no channels on TCP relays
  const number = getAttribute(req.msg, ChannelNumber);
  const peer = getAttribute(req.msg, XorPeerAddress);
  // Port 0 is no peer: nothing can be sent to it.
  if (
    number === undefined ||
    peer === undefined ||
    !isValidChannelNumber(number, CHANNELS) ||
    peer.port === 0
  )
    return fail(req, 400, req.key);
  const ip = resolvePeer(state, a, peer);
  if (typeof ip === 'number') return fail(req, ip, req.key);
  const existing = existingBinding(state, a, number, ip, peer.port, req.now);
  if (existing === 400) return fail(req, 400, req.key);
  if (!existing) {
    const over = channelLimit(state, a);
    if (over) {
      refused(state, over);
      return fail(req, 508, req.key);
    }
  }
  if (!permissionQuotaAllows(state, a, newPermissionCount(a, [ip]))) return fail(req, 508, req.key);
  const expiresAt = req.now + state.lifetimes.channel * 1000;
  let ch = existing;
  if (ch) {
    ch.expiresAt = expiresAt;
    if (!ch.counted) {
      ch.counted = true;
      state.counters.channels++;
      a.counters.channels++;
    }
  } else {
    const key = relayedKey('udp', ip, peer.port);
    const toRelay = state.relayedTransports.has(key) ? key : undefined; // relay to relay
    ch = {
      number,
      peerAddress: ip,
      peerPort: peer.port,
      expiresAt,
      counted: true,
      ...(toRelay ? { toRelay } : {}),
    };
    addChannel(state, a, ch);
  }
  installPermission(state, a, ip, req.now);
  state.mirror?.channel(a, ch);
  return [success(req, () => {}, req.key).action];
}
