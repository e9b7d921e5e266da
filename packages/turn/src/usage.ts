import { formatIp, tryParseIp } from '@parley/stun';
import type { Allocation } from './allocation.js';
import type { LimitName } from './counters.js';
import type { ServerState, UserUsage } from './state.js';

/** Quota bookkeeping: what each user and each client source holds, kept exact as state comes and goes. */

/**
 * The quota identity of a client address: an IPv4 address as is; an IPv6 address cut to `prefixV6` bits,
 * since one subscriber usually gets a whole /64 (RFC 6177) and can use any address in it.
 */
export function sourceKey(address: string, prefixV6: number): string {
  const bytes = tryParseIp(address);
  if (!bytes || bytes.length === 4) return address;
  const keep = Math.max(0, Math.min(128, prefixV6));
  const out = bytes.slice();
  for (let bit = keep; bit < 128; bit++) out[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return `${formatIp(out)}/${keep}`;
}

/** The usage entry of `user`, created on first use. */
export function usageOf(state: ServerState, user: string): UserUsage {
  let u = state.usageByUser.get(user);
  if (!u) {
    u = { allocations: 0, permissions: 0, channels: 0 };
    state.usageByUser.set(user, u);
  }
  return u;
}

/** Counts one allocation against its user and its source. */
export function addAllocationUsage(state: ServerState, a: Allocation): void {
  usageOf(state, a.user).allocations++;
  const source = sourceKey(a.client.address, state.quotas.sourcePrefixV6);
  state.allocationsBySource.set(source, (state.allocationsBySource.get(source) ?? 0) + 1);
}

/** Gives back everything `a` held (its allocation, permissions and channels) to its user and source. */
export function removeAllocationUsage(state: ServerState, a: Allocation): void {
  const u = state.usageByUser.get(a.user);
  if (u) {
    u.allocations--;
    u.permissions -= a.permissions.size;
    u.channels -= a.channels.size;
    if (u.allocations <= 0) state.usageByUser.delete(a.user);
  }
  const source = sourceKey(a.client.address, state.quotas.sourcePrefixV6);
  const n = (state.allocationsBySource.get(source) ?? 1) - 1;
  if (n <= 0) state.allocationsBySource.delete(source);
  else state.allocationsBySource.set(source, n);
}

/** Live allocations held by the source of `address`. */
export function sourceAllocations(state: ServerState, address: string): number {
  return state.allocationsBySource.get(sourceKey(address, state.quotas.sourcePrefixV6)) ?? 0;
}

/** Counts a refusal by limit, and in the old total of quota refusals. */
export function refused(state: ServerState, limit: LimitName): void {
  state.counters.limits[limit]++;
  state.counters.quotaRejections++;
}
