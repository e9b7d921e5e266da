import { fullBucket } from '@parley/limits';
import {
  AddressFamily,
  AttributeType,
  addAttribute,
  EvenPort,
  getAttribute,
  hasAttribute,
  hexToBytes,
  Lifetime,
  RequestedAddressFamily,
  RequestedTransport,
  ReservationToken,
  TransportProtocol,
  XorMappedAddress,
  XorRelayedAddress,
} from '@parley/stun';
import { type Allocation, transactionKey } from './allocation-record.js';
import { forgetRelayChannel, removeChannelsTo } from './channel-bind.js';
import { type LimitName, userCounters } from './counters.js';
import { canonicalIp, relayedKey } from './permission.js';
import type { AuthedRequest, Request } from './request.js';
import { fail, NO_ACTIONS, success } from './responses.js';
import type { Lifetimes, ServerState } from './state.js';
import type { Action, IpFamily, RelayTransport } from './types.js';
import { addAllocationUsage, refused, removeAllocationUsage, sourceAllocations } from './usage.js';

/**
 * RFC 8656 §7.2 step 2–3: a request on a 5-tuple that already has an allocation is a retransmission (answer
 * again with the same response) or a mistake (437).
 */
export function allocateOnExisting(req: Request, existing: Allocation): readonly Action[] {
  if (existing.allocateTransaction !== transactionKey(req.msg.transactionId)) return fail(req, 437);
  if (!existing.allocateResponse) return NO_ACTIONS; // still binding the relay socket: the answer is coming
  return [{ kind: 'to-client', client: req.client, data: existing.allocateResponse }];
}

/** RFC 8656 §7.2 lifetime rule, shared with Refresh: below the default gets the default, above max gets max. */
export function grantedLifetime(requested: number | undefined, l: Lifetimes): number {
  if (requested === undefined || requested <= l.allocationDefault) return l.allocationDefault;
  return Math.min(requested, l.allocationMax);
}

interface RelayRequest {
  transport: RelayTransport;
  family: IpFamily;
  evenPort: boolean;
  reserveNext: boolean;
  token: string | undefined;
}

/** Steps 4–8: transport, address family, EVEN-PORT and RESERVATION-TOKEN; an error code or what to bind. */
function readRelayRequest(state: ServerState, req: Request): RelayRequest | number {
  const protocol = getAttribute(req.msg, RequestedTransport);
  if (protocol === undefined) return 400;
  if (protocol !== TransportProtocol.UDP && protocol !== TransportProtocol.TCP) return 442;
  const transport = protocol === TransportProtocol.TCP ? 'tcp' : 'udp';
  const tokenBytes = getAttribute(req.msg, ReservationToken);
  const even = getAttribute(req.msg, EvenPort);
  const familyByte = getAttribute(req.msg, RequestedAddressFamily);
  // RFC 6062 §5.1: TCP relays only for TCP/TLS clients, and without UDP-only attributes.
  if (transport === 'tcp') {
    if (req.client.transport === 'udp') return 400;
    if (tokenBytes || even || hasAttribute(req.msg, AttributeType.DontFragment)) return 400;
  }
  if (tokenBytes && (even || familyByte !== undefined)) return 400;
  if (familyByte !== undefined && hasAttribute(req.msg, AttributeType.AdditionalAddressFamily)) return 400;
  if (tokenBytes) {
    const token = transactionKey(tokenBytes);
    const reservation = state.reservations.get(token);
    if (!reservation || reservation.expiresAt <= req.now) return 508;
    return { transport, family: reservation.family, evenPort: false, reserveNext: false, token };
  }
  const family =
    familyByte === undefined || familyByte === AddressFamily.IPv4
      ? 'IPv4'
      : familyByte === AddressFamily.IPv6
        ? 'IPv6'
        : undefined;
  if (!family || !state.relayAddresses[family]) return 440;
  return {
    transport,
    family,
    evenPort: even !== undefined,
    reserveNext: even?.reserve === true,
    token: undefined,
  };
}

/** Step 9 (quotas): the limit the user, the client source or the server is at, if any (then 486). */
function overQuota(state: ServerState, req: AuthedRequest): LimitName | undefined {
  const q = state.quotas;
  if ((state.usageByUser.get(req.user)?.allocations ?? 0) >= q.allocationsPerUser)
    return 'allocationsPerUser';
  if (sourceAllocations(state, req.client.address) >= q.allocationsPerSource) return 'allocationsPerSource';
  if (state.allocationsById.size >= q.allocationsTotal) return 'allocationsTotal';
  return undefined;
}

/**
 * RFC 8656 §7.2 (and RFC 6062 §5.1 for TCP relays) Allocate on a fresh 5-tuple: validate, then ask the I/O
 * layer for a relay socket.
 */
export function handleAllocate(state: ServerState, req: AuthedRequest): readonly Action[] {
  const relay = readRelayRequest(state, req);
  if (typeof relay === 'number') return fail(req, relay, req.key);
  const over = overQuota(state, req);
  if (over) {
    refused(state, over);
    return fail(req, 486, req.key);
  }
  const lifetimeSec = grantedLifetime(getAttribute(req.msg, Lifetime), state.lifetimes);
  const id = state.nextAllocationId++;
  const reserveToken = relay.reserveNext ? transactionKey(state.random(8)) : undefined;
  const cap = state.quotas.bytesPerSecondPerAllocation;
  const allocation: Allocation = {
    id,
    client: req.client,
    username: req.username,
    user: req.user,
    key: req.key,
    family: relay.family,
    transport: relay.transport,
    counters: userCounters(state.counters, req.user),
    state: 'pending',
    relayAddress: state.relayAddresses[relay.family] ?? '',
    relayPort: 0,
    expiresAt: req.now + lifetimeSec * 1000,
    allocateTransaction: transactionKey(req.msg.transactionId),
    allocateResponse: undefined,
    fingerprint: hasAttribute(req.msg, AttributeType.Fingerprint),
    lifetimeSec,
    reserveToken,
    permissions: new Map(),
    channels: new Map(),
    channelsByPeer: new Map(),
    bucket: cap === undefined ? undefined : { ...fullBucket(cap, req.now), bytesPerSecond: cap },
    connections: new Map(),
  };
  if (relay.token) state.reservations.delete(relay.token);
  state.allocationsByTuple.set(req.client, allocation);
  state.allocationsById.set(id, allocation);
  addAllocationUsage(state, allocation);
  const open: Action = {
    kind: 'open-relay',
    allocation: id,
    transport: relay.transport,
    family: relay.family,
    evenPort: relay.evenPort,
    ...(reserveToken ? { reserveToken } : {}),
    ...(relay.token ? { fromReservation: relay.token } : {}),
  };
  // The request is kept so the success response can be built once the port is known.
  state.pendingAllocates.set(id, req);
  return [open];
}

/** The I/O layer bound the relay socket: the allocation goes live and the client gets its answer. */
export function relayOpened(state: ServerState, id: number, port: number): readonly Action[] {
  const a = state.allocationsById.get(id);
  const req = state.pendingAllocates.get(id);
  state.pendingAllocates.delete(id);
  if (!a || !req || a.state !== 'pending') return NO_ACTIONS;
  a.state = 'open';
  a.relayPort = port;
  state.relayedTransports.add(relayedKey(a.transport, canonicalIp(a.relayAddress), port));
  state.mirror?.opened(a);
  state.counters.allocations++;
  state.counters.allocationsTotal++;
  a.counters.allocations++;
  if (a.reserveToken) {
    state.reservations.set(a.reserveToken, {
      family: a.family,
      expiresAt: req.now + state.lifetimes.reservation * 1000,
    });
  }
  const { action, bytes } = success(
    req,
    (m) => {
      addAttribute(m, XorRelayedAddress, { family: a.family, address: a.relayAddress, port });
      addAttribute(m, Lifetime, a.lifetimeSec);
      if (a.reserveToken) addAttribute(m, ReservationToken, hexToBytes(a.reserveToken));
      addAttribute(m, XorMappedAddress, {
        family: req.client.address.includes(':') ? 'IPv6' : 'IPv4',
        address: req.client.address,
        port: req.client.port,
      });
    },
    req.key,
  );
  a.allocateResponse = bytes;
  return [action];
}

/** The I/O layer could not bind a relay socket: 508 (RFC 8656 §7.2) and the allocation is forgotten. */
export function relayFailed(state: ServerState, id: number): readonly Action[] {
  const a = state.allocationsById.get(id);
  const req = state.pendingAllocates.get(id);
  if (!a || !req || a.state !== 'pending') return NO_ACTIONS;
  forgetAllocation(state, a);
  state.counters.quotaRejections++;
  return fail(req, 508, req.key);
}

/** Removes an allocation from every index (the caller closes its relay socket). */
export function forgetAllocation(state: ServerState, a: Allocation): void {
  if (a.state === 'closed') return;
  // First, so the mirror can hand back what it relayed while the allocation's counters still count.
  state.mirror?.closed(a);
  state.allocationsByTuple.delete(a.client);
  state.allocationsById.delete(a.id);
  state.pendingAllocates.delete(a.id);
  if (a.state === 'open') {
    // Before the usage is given back: a channel of `a` itself may point at its own relayed address.
    const relayed = relayedKey(a.transport, canonicalIp(a.relayAddress), a.relayPort);
    state.relayedTransports.delete(relayed);
    removeChannelsTo(state, relayed);
  }
  removeAllocationUsage(state, a);
  if (a.state === 'open') {
    state.counters.allocations--;
    a.counters.allocations--;
  }
  state.counters.permissions -= a.permissions.size;
  a.counters.permissions -= a.permissions.size;
  for (const ch of a.channels.values()) {
    forgetRelayChannel(state, ch);
    if (!ch.counted) continue;
    state.counters.channels--;
    a.counters.channels--;
  }
  for (const id of a.connections.keys()) {
    state.connections.delete(id);
    state.pendingConnects.delete(id);
  }
  a.connections.clear();
  a.permissions.clear();
  a.channels.clear();
  a.channelsByPeer.clear();
  a.state = 'closed';
}
