// Test support only: random valid messages and mutations of them, for property and fuzz tests.
import { allCodecs } from '../attributes/registry.js';
import { AttributeType } from '../constants.js';
import type { encodeMessage } from '../encode.js';
import type { StunMessage } from '../message.js';
import { type Random, randomValue } from './random.js';

const POSITIONAL = new Set<number>([
  AttributeType.MessageIntegrity,
  AttributeType.MessageIntegritySha256,
  AttributeType.Fingerprint,
]);

export interface Generated {
  msg: StunMessage;
  values: Array<{ type: number; value: unknown } | { type: number; raw: Uint8Array }>;
  key: Uint8Array | undefined;
  options: Parameters<typeof encodeMessage>[1];
}

/** A random message: known attributes with valid values, unknown ones with random bytes, optional integrity. */
export function generateMessage(r: Random): Generated {
  const msg: StunMessage = {
    class: r.int(4) as StunMessage['class'],
    method: r.bool()
      ? r.pick([0x001, 0x003, 0x004, 0x006, 0x007, 0x008, 0x009, 0x00a, 0x00b, 0x00c])
      : r.int(0x1000),
    transactionId: r.bytes(12),
    attributes: [],
  };
  const values: Generated['values'] = [];
  const count = r.int(12);
  for (let i = 0; i < count; i++) {
    if (r.int(8) === 0) {
      let type = r.int(0x10000);
      while (allCodecs.some((c) => c.type === type)) type = r.int(0x10000);
      const raw = r.bytes(r.int(40));
      msg.attributes.push({ type, value: raw });
      values.push({ type, raw });
      continue;
    }
    let codec = r.pick(allCodecs);
    while (POSITIONAL.has(codec.type)) codec = r.pick(allCodecs);
    const value = randomValue(r, codec.type);
    msg.attributes.push({ type: codec.type, value: codec.encode(value, msg.transactionId) });
    values.push({ type: codec.type, value });
  }
  const key = r.int(3) === 0 ? undefined : r.bytes(r.range(1, 80));
  const options = {
    integrity: key && r.bool() ? key : undefined,
    integritySha256: key && r.bool() ? key : undefined,
    integritySha256Length: r.pick([16, 20, 24, 28, 32]),
    fingerprint: r.bool(),
  };
  return { msg, values, key, options };
}

/** Applies 1–4 random mutations: byte flips, random bytes, truncation, extension, length field edits. */
export function mutate(r: Random, original: Uint8Array): Uint8Array {
  let bytes: Uint8Array = original.slice();
  const count = r.range(1, 4);
  for (let i = 0; i < count; i++) {
    const op = r.int(6);
    if (op === 0 && bytes.length > 0) bytes[r.int(bytes.length)]! ^= 1 << r.int(8);
    else if (op === 1 && bytes.length > 0) bytes[r.int(bytes.length)] = r.int(256);
    else if (op === 2) bytes = bytes.slice(0, r.int(bytes.length + 1));
    else if (op === 3) bytes = Uint8Array.from([...bytes, ...r.bytes(r.range(1, 8))]);
    else if (op === 4 && bytes.length >= 4) new DataView(bytes.buffer).setUint16(2, r.int(0x10000));
    else if (op === 5 && bytes.length > 24) {
      // Rewrite an attribute length somewhere after the header.
      const at = 20 + 4 * r.int((bytes.length - 20) >> 2);
      if (at + 4 <= bytes.length) new DataView(bytes.buffer).setUint16(at + 2, r.int(0x10000));
    }
  }
  // Half the time, make the header length agree again so the mutation reaches the attribute parser.
  if (bytes.length >= 20 && r.bool()) {
    const body = (bytes.length - 20) & ~3;
    bytes = bytes.slice(0, 20 + body);
    new DataView(bytes.buffer).setUint16(2, body);
  }
  return bytes;
}
