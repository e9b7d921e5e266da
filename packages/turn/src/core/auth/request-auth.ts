import {
  AttributeType,
  getAttribute,
  hasAttribute,
  Nonce,
  Realm,
  Username,
  verifyMessageIntegrity,
} from '@parley/stun';
import type { Allocation } from '../allocation-record.js';
import type { AuthFailureReason } from '../counters.js';
import { nodeCrypto } from '../node-crypto.js';
import type { AuthedRequest, Request } from '../request.js';
import { challenge, errorResponse, NO_ACTIONS } from '../responses.js';
import { sourceKey } from '../source-key.js';
import type { ServerState } from '../state.js';
import type { Action } from '../types.js';
import { restExpiry } from './rest-credentials.js';

export type AuthOutcome =
  | { readonly ok: true; readonly req: AuthedRequest }
  | { readonly ok: false; readonly actions: readonly Action[] };

function refuse(state: ServerState, reason: AuthFailureReason, actions: readonly Action[]): AuthOutcome {
  state.counters.authFailures[reason]++;
  return { ok: false, actions };
}

/**
 * The 401 limiter's key of a source: its IPv4 address, or its IPv6 /64 whatever the quotas' prefix (one host
 * usually holds a whole /64, so per-address buckets would let it mint fresh ones at will).
 */
export function limiterKey(address: string): string {
  return sourceKey(address, 64);
}

/** A 401, unless this source has used up its 401 budget: then nothing at all (RFC 8489 leaves this open). */
function unauthorized(state: ServerState, req: Request, reason: AuthFailureReason): AuthOutcome {
  if (!state.unauthorizedLimiter.take(limiterKey(req.client.address), req.now)) {
    state.counters.unauthorizedRateLimited++;
    return refuse(state, reason, NO_ACTIONS);
  }
  return refuse(state, reason, [challenge(state, req, 401)]);
}

/** The identity quotas and counters use: the user part of a REST name, else the whole username. */
export function userIdentity(username: string): string {
  if (restExpiry(username) === undefined) return username;
  const at = username.indexOf(':');
  return at < 0 ? username : username.slice(at + 1);
}

interface Fields {
  username: string;
  realm: string;
  nonce: string;
}

function readFields(req: Request): Fields | undefined {
  try {
    const username = getAttribute(req.msg, Username);
    const realm = getAttribute(req.msg, Realm);
    const nonce = getAttribute(req.msg, Nonce);
    if (username === undefined || realm === undefined || nonce === undefined) return undefined;
    return { username, realm, nonce };
  } catch {
    return undefined;
  }
}

/**
 * RFC 8489 §9.2.4 long-term credential checks, in the RFC's order: no MESSAGE-INTEGRITY → 401; missing
 * USERNAME/REALM/NONCE → 400; stale or foreign nonce → 438; unknown or expired user → 401; bad MAC → 401.
 * RFC 8656 §5: on an existing allocation, a different username → 441.
 */
export function authenticate(state: ServerState, req: Request, allocation?: Allocation): AuthOutcome {
  if (!hasAttribute(req.msg, AttributeType.MessageIntegrity))
    return unauthorized(state, req, 'missing-integrity');
  const f = readFields(req);
  if (!f) return refuse(state, 'bad-request', [errorResponse(req, 400)]);
  const nonce = state.nonces.check(f.nonce, req.client.address, req.now);
  if (nonce !== 'ok') return refuse(state, 'stale-nonce', [challenge(state, req, 438)]);
  if (f.realm !== state.realm) return unauthorized(state, req, 'unknown-user');
  const lookup = state.credentials.keysFor(f.username, req.now);
  if (!lookup.ok) return unauthorized(state, req, lookup.reason);
  const key = lookup.keys.find((k) => verifyMessageIntegrity(req.msg, k, nodeCrypto));
  if (!key) return unauthorized(state, req, 'bad-integrity');
  if (allocation && allocation.username !== f.username) {
    return refuse(state, 'wrong-credentials', [errorResponse(req, 441, key)]);
  }
  // Built field by field: an object spread of `req` costs more than the rest of this function.
  const authed: AuthedRequest = {
    msg: req.msg,
    client: req.client,
    now: req.now,
    username: f.username,
    user: userIdentity(f.username),
    key,
  };
  return { ok: true, req: authed };
}
