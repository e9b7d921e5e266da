import { forgetAllocation } from './allocation-lifecycle.js';
import type { Allocation } from './allocation-record.js';
import { expireChannel, removeChannel } from './channel-bind.js';
import type { ServerState } from './state.js';
import { expireConnections } from './tcp-connections.js';
import type { Action, Now } from './types.js';
import { usageOf } from './usage.js';

/** Drops permissions past their 300 s (RFC 8656 §9) and retires channels past 600 s plus cooldown (§12). */
function sweepAllocation(state: ServerState, a: Allocation, now: Now): void {
  for (const [ip, expiresAt] of a.permissions) {
    if (expiresAt > now) continue;
    a.permissions.delete(ip);
    state.mirror?.permissionRemoved(a, ip);
    state.counters.permissions--;
    a.counters.permissions--;
    usageOf(state, a.user).permissions--;
  }
  const cooldownMs = state.lifetimes.channelCooldown * 1000;
  for (const ch of a.channels.values()) {
    if (ch.expiresAt > now) continue;
    if (ch.expiresAt + cooldownMs <= now) removeChannel(state, a, ch);
    else expireChannel(state, a, ch);
  }
}

/**
 * The clock's tick: deletes allocations whose lifetime ran out (RFC 8656 §7 "the allocation expires"),
 * sweeps permissions and channels, closes TCP peer connections never bound (RFC 6062), and releases
 * unclaimed port reservations. The data path also checks
 * expiry on every packet, so the tick interval only bounds how long stale state holds memory and ports.
 */
export function expire(state: ServerState, now: Now): Action[] {
  const actions: Action[] = [];
  for (const a of state.allocationsById.values()) {
    if (a.state === 'open' && a.expiresAt <= now) {
      forgetAllocation(state, a);
      actions.push({ kind: 'close-relay', allocation: a.id });
    } else {
      sweepAllocation(state, a, now);
    }
  }
  actions.push(...expireConnections(state, now));
  for (const [token, r] of state.reservations) {
    if (r.expiresAt > now) continue;
    state.reservations.delete(token);
    actions.push({ kind: 'release-reservation', token });
  }
  return actions;
}
