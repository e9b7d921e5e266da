import { AddressFamily, addAttribute, getAttribute, Lifetime, RequestedAddressFamily } from '@parley/stun';
import { forgetAllocation, grantedLifetime } from './allocation-lifecycle.js';
import type { Allocation } from './allocation-record.js';
import type { AuthedRequest } from './request.js';
import { fail, success } from './responses.js';
import type { ServerState } from './state.js';
import type { Action } from './types.js';

/**
 * RFC 8656 §7.3 Refresh: LIFETIME 0 deletes the allocation, otherwise the lifetime is set by the Allocate
 * rule. A REQUESTED-ADDRESS-FAMILY other than the allocation's is a 443.
 */
export function handleRefresh(state: ServerState, req: AuthedRequest, a: Allocation): readonly Action[] {
  const family = getAttribute(req.msg, RequestedAddressFamily);
  const wanted = family === AddressFamily.IPv4 ? 'IPv4' : family === AddressFamily.IPv6 ? 'IPv6' : undefined;
  if (family !== undefined && wanted !== a.family) return fail(req, 443, req.key);
  const requested = getAttribute(req.msg, Lifetime);
  const actions: Action[] = [];
  let lifetime = 0;
  if (requested === 0) {
    forgetAllocation(state, a);
    actions.push({ kind: 'close-relay', allocation: a.id });
  } else {
    lifetime = grantedLifetime(requested, state.lifetimes);
    a.expiresAt = req.now + lifetime * 1000;
    state.mirror?.refreshed(a);
  }
  actions.unshift(success(req, (m) => addAttribute(m, Lifetime, lifetime), req.key).action);
  return actions;
}
