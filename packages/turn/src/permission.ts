import { getAttributes, type TransportAddress, XorPeerAddress } from '@parley/stun';
import type { Allocation } from './allocation.js';
import { type AuthedRequest, fail, success } from './responses.js';
import type { ServerState } from './state.js';
import type { Action, Now } from './types.js';

/**
 * Checks one XOR-PEER-ADDRESS against the peer policy and the allocation's family. Returns the canonical
 * peer IP, or the error code: 403 for a refused address (RFC 8656 §10.2 leaves policy refusals to 403),
 * 443 when the (canonical) family differs from the relay's (RFC 8656 §10.2, §11.2).
 */
export function resolvePeer(state: ServerState, a: Allocation, peer: TransportAddress): string | 403 | 443 {
  const verdict = state.policy.check(peer.address);
  if (!verdict.allowed || isSelf(state, verdict.canonical, peer.port)) {
    state.counters.refusedPeers++;
    return 403;
  }
  if (verdict.family !== a.family) return 443;
  return verdict.canonical;
}

/**
 * True for one of the server's own STUN/TURN ports: relaying to it would loop (a relay talking to the server
 * as a client, allocations inside allocations), so it is refused like a forbidden peer.
 */
export function isSelf(state: ServerState, canonicalIp: string, port: number): boolean {
  return state.selfTransports.size > 0 && state.selfTransports.has(`${canonicalIp}|${port}`);
}

/** Installs or refreshes a permission (RFC 8656 §9): 300 s from now, keyed by peer IP only. */
export function installPermission(state: ServerState, a: Allocation, ip: string, now: Now): void {
  if (!a.permissions.has(ip)) {
    state.counters.permissions++;
    a.counters.permissions++;
  }
  const expiresAt = now + state.lifetimes.permission * 1000;
  a.permissions.set(ip, expiresAt);
  state.mirror?.permission(a, ip, expiresAt);
}

/** How many permissions `ips` would add that the allocation does not hold yet. */
export function newPermissionCount(a: Allocation, ips: readonly string[]): number {
  return new Set(ips.filter((ip) => !a.permissions.has(ip))).size;
}

/** True when the user may hold `extra` more permissions (quota `permissionsPerUser`). */
export function permissionQuotaAllows(state: ServerState, a: Allocation, extra: number): boolean {
  return extra === 0 || a.counters.permissions + extra <= state.quotas.permissionsPerUser;
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
  if (!permissionQuotaAllows(state, a, newPermissionCount(a, ips))) {
    state.counters.quotaRejections++;
    return fail(req, 508, req.key);
  }
  for (const ip of ips) installPermission(state, a, ip, req.now);
  return [success(req, () => {}, req.key).action];
}
