import type { Allocation } from './allocation-record.js';
import type { LimitName } from './counters.js';
import { sourceKey } from './source-key.js';
import type { ServerState, UserUsage } from './state.js';

/** Quota bookkeeping: what each user and each client source holds, kept exact as state comes and goes. */

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
