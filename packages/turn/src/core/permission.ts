import { formatIp, getAttributes, type TransportAddress, tryParseIp, XorPeerAddress } from '@parley/stun';
import type { Allocation } from './allocation-record.js';
import { canonicalBytes, cidrContains, embeddedIpv4 } from './peer-policy.js';
import type { AuthedRequest } from './request.js';
import { fail, success } from './responses.js';
import type { ServerState } from './state.js';
import type { Action, Now, RelayTransport } from './types.js';
import { refused, usageOf } from './usage.js';

/** The canonical text of an IP (IPv4-mapped IPv6 as IPv4), or the input when it is not an IP literal. */
export function canonicalIp(address: string): string {
  const bytes = tryParseIp(address);
  return bytes ? formatIp(canonicalBytes(bytes)) : address;
}

/** Key of a relayed transport address in `relayedTransports` (canonical IP). */
export function relayedKey(transport: RelayTransport, ip: string, port: number): string {
  return `${transport}|${ip}|${port}`;
}

/**
 * Checks one XOR-PEER-ADDRESS against the peer policy and the allocation's family. Returns the canonical
 * peer IP, or the error code: 403 for a refused address (RFC 8656 §10.2 leaves policy refusals to 403),
 * 443 when the (canonical) family differs from the relay's (RFC 8656 §10.2, §11.2).
 */
export function resolvePeer(state: ServerState, a: Allocation, peer: TransportAddress): string | 403 | 443 {
  const verdict = state.policy.check(peer.address);
  if (!verdict.allowed || isSelf(state, a.transport, verdict.canonical, peer.port)) {
    state.counters.refusedPeers++;
    return 403;
  }
  if (verdict.family !== a.family) return 443;
  return verdict.canonical;
}

/**
 * True for a peer on one of the server's own IPs (any port: its signaling, its TURN listeners, anything
 * else bound there), unless it is the relayed transport address of a live allocation of the same
 * transport: a relay reaching into its own host bypasses every firewall rule that trusts the host, and
 * one reaching its own listeners loops. Two clients of this server relaying to each other is the one
 * legitimate use, and stays possible. Counted as `limits.selfPeer`.
 */
export function isSelf(
  state: ServerState,
  transport: RelayTransport,
  canonical: string,
  port: number,
): boolean {
  if (!isSelfIp(state, canonical) || state.relayedTransports.has(relayedKey(transport, canonical, port)))
    return false;
  if (state.selfPeerPorts === 'listeners' && !state.selfTransports.has(`${canonical}|${port}`)) return false;
  state.counters.limits.selfPeer++;
  return true;
}

/**
 * True for one of the server's IPs: the address itself, an address in a self block, or an IPv6 address
 * carrying one of them (NAT64, 6to4, Teredo, ISATAP: where a translator would deliver it).
 */
function isSelfIp(state: ServerState, canonical: string): boolean {
  if (state.selfIps.has(canonical)) return true;
  const bytes = tryParseIp(canonical);
  if (!bytes) return false;
  const forms = bytes.length === 16 ? [bytes, ...embeddedIpv4(bytes)] : [bytes];
  for (const form of forms) {
    if (form !== bytes && state.selfIps.has(formatIp(form))) return true;
    for (const range of state.selfRanges) if (cidrContains(range, form)) return true;
  }
  return false;
}

/** Installs or refreshes a permission (RFC 8656 §9): 300 s from now, keyed by peer IP only. */
export function installPermission(state: ServerState, a: Allocation, ip: string, now: Now): void {
  if (!a.permissions.has(ip)) {
    state.counters.permissions++;
    a.counters.permissions++;
    usageOf(state, a.user).permissions++;
  }
  const expiresAt = now + state.lifetimes.permission * 1000;
  a.permissions.set(ip, expiresAt);
  state.mirror?.permission(a, ip, expiresAt);
}

/** How many permissions `ips` would add that the allocation does not hold yet. */
export function newPermissionCount(a: Allocation, ips: readonly string[]): number {
  return new Set(ips.filter((ip) => !a.permissions.has(ip))).size;
}

/**
 * True when the user may hold `extra` more permissions (quota `permissionsPerUser`, which bounds each
 * allocation too); counts the refusal otherwise.
 */
export function permissionQuotaAllows(state: ServerState, a: Allocation, extra: number): boolean {
  if (extra === 0 || usageOf(state, a.user).permissions + extra <= state.quotas.permissionsPerUser)
    return true;
  refused(state, 'permissionsPerUser');
  return false;
}

/**
 * RFC 8656 §10.2 CreatePermission: every XOR-PEER-ADDRESS must pass before any is installed (all or
 * nothing); none at all is a 400.
 */
export function handleCreatePermission(
  state: ServerState,
  req: AuthedRequest,
  a: Allocation,
): readonly Action[] {
  const peers = getAttributes(req.msg, XorPeerAddress);
  if (peers.length === 0) return fail(req, 400, req.key);
  const ips: string[] = [];
  for (const p of peers) {
    const r = resolvePeer(state, a, p);
    if (typeof r === 'number') return fail(req, r, req.key);
    ips.push(r);
  }
  if (!permissionQuotaAllows(state, a, newPermissionCount(a, ips))) return fail(req, 508, req.key);
  for (const ip of ips) installPermission(state, a, ip, req.now);
  return [success(req, () => {}, req.key).action];
}
