import {
  AttributeType,
  addAttribute,
  createMessage,
  type DecodedStunMessage,
  ErrorCodeAttribute,
  encodeMessage,
  MessageClass,
  Nonce,
  Realm,
  reasonPhrase,
  type StunMessage,
  UnknownAttributes,
} from '@parley/stun';
import { nodeCrypto } from './node-crypto.js';
import type { Request } from './request.js';
import type { ServerState } from './state.js';
import type { Action } from './types.js';

export const NO_ACTIONS: readonly Action[] = Object.freeze([]);

function hasFingerprint(msg: DecodedStunMessage): boolean {
  return msg.attributes.some((a) => a.type === AttributeType.Fingerprint);
}

/** Encodes a response to `req` (integrity when `key` is given; FINGERPRINT when the request had one). */
export function encodeResponse(req: Request, msg: StunMessage, key?: Uint8Array): Uint8Array {
  return encodeMessage(msg, { integrity: key, fingerprint: hasFingerprint(req.msg), crypto: nodeCrypto });
}

/** A success response with the given attributes, integrity-protected when the request was authenticated. */
export function success(
  req: Request,
  build: (m: StunMessage) => void,
  key?: Uint8Array,
): { action: Action; bytes: Uint8Array } {
  const msg = createMessage(req.msg.method, MessageClass.SuccessResponse, req.msg.transactionId);
  build(msg);
  const bytes = encodeResponse(req, msg, key);
  return { action: { kind: 'to-client', client: req.client, data: bytes }, bytes };
}

/** An error response (RFC 8489 §6.3.4) with the registered reason phrase. */
export function errorResponse(
  req: Request,
  code: number,
  key?: Uint8Array,
  build?: (m: StunMessage) => void,
): Action {
  const msg = createMessage(req.msg.method, MessageClass.ErrorResponse, req.msg.transactionId);
  addAttribute(msg, ErrorCodeAttribute, { code, reason: reasonPhrase(code) });
  build?.(msg);
  return { kind: 'to-client', client: req.client, data: encodeResponse(req, msg, key) };
}

/** One error response as the whole answer. */
export function fail(req: Request, code: number, key?: Uint8Array): Action[] {
  return [errorResponse(req, code, key)];
}

/** RFC 8489 §6.3.1: 420 listing the comprehension-required attributes we do not understand. */
export function unknownAttributes(req: Request, types: number[]): Action[] {
  return [errorResponse(req, 420, undefined, (m) => addAttribute(m, UnknownAttributes, types))];
}

/** A 401 or 438 carrying REALM and a fresh NONCE (RFC 8489 §9.2.4). */
export function challenge(state: ServerState, req: Request, code: 401 | 438): Action {
  const nonce = state.nonces.issue(req.client.address, req.now);
  return errorResponse(req, code, undefined, (m) => {
    addAttribute(m, Realm, state.realm);
    addAttribute(m, Nonce, nonce);
  });
}
