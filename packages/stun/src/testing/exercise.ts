// Test support only: everything a server might do with untrusted bytes, so fuzz tests reach every decoder.
import { getAttributes } from '../access.js';
import { allCodecs } from '../attributes/registry.js';
import { verifyFingerprint, verifyMessage } from '../integrity.js';
import { decodeMessage, readHeader } from '../message.js';
import { validateAttributes } from '../validate.js';

const KEY = new Uint8Array(16).fill(7);

export function exerciseDecoder(input: Uint8Array): void {
  readHeader(input);
  const msg = decodeMessage(input);
  verifyFingerprint(msg);
  verifyMessage(msg, KEY);
  for (const codec of allCodecs) getAttributes(msg, codec);
  validateAttributes(msg);
}
