import type { AttributeCodec } from './attributes/codec.js';
import { AttributeType } from './constants.js';
import type { StunAttribute, StunMessage } from './message.js';

enum Seen {
  Nothing = 0,
  Integrity = 1,
  IntegritySha256 = 2,
  Fingerprint = 3,
}

/**
 * Whether an attribute of `type`, coming after what `seen` records, is one a receiver may act on.
 * RFC 8489 §14.5–14.7: after MESSAGE-INTEGRITY only MESSAGE-INTEGRITY-SHA256 and FINGERPRINT count, after
 * MESSAGE-INTEGRITY-SHA256 only FINGERPRINT, after FINGERPRINT nothing; everything else is ignored.
 */
function visibleAfter(seen: Seen, type: number): boolean {
  if (seen === Seen.Nothing) return true;
  if (seen === Seen.Fingerprint) return false;
  if (type === AttributeType.Fingerprint) return true;
  return seen === Seen.Integrity && type === AttributeType.MessageIntegritySha256;
}

function advance(seen: Seen, type: number): Seen {
  if (type === AttributeType.Fingerprint) return Seen.Fingerprint;
  if (type === AttributeType.MessageIntegritySha256) return Seen.IntegritySha256;
  if (type === AttributeType.MessageIntegrity) return Seen.Integrity;
  return seen;
}

/** Calls `visit` with each attribute a receiver may act on, in order; stops when it returns true. */
export function forEachVisibleAttribute(
  msg: StunMessage,
  visit: (attribute: StunAttribute) => boolean | undefined,
): void {
  let seen = Seen.Nothing;
  for (const a of msg.attributes) {
    if (!visibleAfter(seen, a.type)) continue;
    seen = advance(seen, a.type);
    if (visit(a)) return;
  }
}

/** Decodes the first visible attribute of the codec's type; undefined when absent, throws when malformed. */
export function getAttribute<T>(msg: StunMessage, codec: AttributeCodec<T>): T | undefined {
  let found: StunAttribute | undefined;
  forEachVisibleAttribute(msg, (a) => {
    if (a.type !== codec.type) return false;
    found = a;
    return true;
  });
  return found && codec.decode(found.value, msg.transactionId);
}

/** Decodes every visible attribute of the codec's type (e.g. several XOR-PEER-ADDRESS in CreatePermission). */
export function getAttributes<T>(msg: StunMessage, codec: AttributeCodec<T>): T[] {
  const out: T[] = [];
  forEachVisibleAttribute(msg, (a) => {
    if (a.type === codec.type) out.push(codec.decode(a.value, msg.transactionId));
    return false;
  });
  return out;
}

/** True when a visible attribute of this type is present. */
export function hasAttribute(msg: StunMessage, type: number): boolean {
  let found = false;
  forEachVisibleAttribute(msg, (a) => {
    found = a.type === type;
    return found;
  });
  return found;
}

/** Encodes `value` with the codec and appends it to the message; returns the message for chaining. */
export function addAttribute<M extends StunMessage, T>(msg: M, codec: AttributeCodec<T>, value: T): M {
  msg.attributes.push({ type: codec.type, value: codec.encode(value, msg.transactionId) });
  return msg;
}

/**
 * Comprehension-required attribute types (below 0x8000) in the message that `known` does not list,
 * for a 420 response with UNKNOWN-ATTRIBUTES (RFC 8489 §6.3.1).
 */
export function unknownComprehensionRequired(msg: StunMessage, known: ReadonlySet<number>): number[] {
  const out: number[] = [];
  forEachVisibleAttribute(msg, ({ type }) => {
    if (type < 0x8000 && !known.has(type) && !out.includes(type)) out.push(type);
    return false;
  });
  return out;
}
