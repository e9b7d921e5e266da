import { codecFor } from './attributes/registry.js';
import type { StunMessage } from './message.js';

/**
 * Decodes every attribute this package knows, throwing the first StunDecodeError. decodeMessage only checks
 * framing (values are decoded on access); call this where a malformed known attribute must fail the message.
 */
export function validateAttributes(msg: StunMessage): void {
  for (const a of msg.attributes) codecFor(a.type)?.decode(a.value, msg.transactionId);
}
