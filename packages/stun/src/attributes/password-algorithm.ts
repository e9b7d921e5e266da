import { allocWrite, pad4, view } from '../bytes.js';
import { AttributeType } from '../constants.js';
import { type AttributeCodec, checkUint, decodeError, encodeError } from './codec.js';

/** One password algorithm: its registry number (1 MD5, 2 SHA-256) and its parameters (empty for both). */
export interface PasswordAlgorithmValue {
  algorithm: number;
  parameters: Uint8Array;
}

/*
 * RFC 8489 §14.11 PASSWORD-ALGORITHMS is a list of these; §14.12 PASSWORD-ALGORITHM is one:
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |          Algorithm            |  Algorithm Parameters Length  |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    Algorithm Parameters (variable, padded to 4)
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
function entrySize(entry: PasswordAlgorithmValue): number {
  return 4 + pad4(entry.parameters.length);
}

function readEntry(
  name: string,
  value: Uint8Array,
  at: number,
): { entry: PasswordAlgorithmValue; next: number } {
  if (value.length - at < 4)
    throw decodeError(name, `${value.length - at} bytes left at offset ${at}, need 4`);
  const v = view(value);
  const length = v.getUint16(at + 2);
  if (at + 4 + length > value.length) {
    throw decodeError(name, `parameters of length ${length} at offset ${at} run past the end`);
  }
  const entry = { algorithm: v.getUint16(at), parameters: value.slice(at + 4, at + 4 + length) };
  return { entry, next: Math.min(value.length, at + 4 + pad4(length)) };
}

function writeEntries(name: string, entries: readonly PasswordAlgorithmValue[]): Uint8Array {
  let size = 0;
  for (const e of entries) {
    checkUint(name, e.algorithm, 16);
    if (e.parameters.length > 0xffff) throw encodeError(name, 'parameters over 65535 bytes');
    size += entrySize(e);
  }
  return allocWrite(size, name, (v, out) => {
    let at = 0;
    for (const e of entries) {
      v.setUint16(at, e.algorithm);
      v.setUint16(at + 2, e.parameters.length);
      out.set(e.parameters, at + 4);
      at += entrySize(e);
    }
    return at;
  });
}

/** RFC 8489 §14.11 PASSWORD-ALGORITHMS: the algorithms the server offers, in its order of preference. */
export const PasswordAlgorithms: AttributeCodec<PasswordAlgorithmValue[]> = {
  type: AttributeType.PasswordAlgorithms,
  name: 'PASSWORD-ALGORITHMS',
  decode(value) {
    const out: PasswordAlgorithmValue[] = [];
    for (let at = 0; at < value.length; ) {
      const { entry, next } = readEntry('PASSWORD-ALGORITHMS', value, at);
      out.push(entry);
      at = next;
    }
    return out;
  },
  encode: (entries) => writeEntries('PASSWORD-ALGORITHMS', entries),
};

/** RFC 8489 §14.12 PASSWORD-ALGORITHM: the one algorithm the client chose. */
export const PasswordAlgorithmAttribute: AttributeCodec<PasswordAlgorithmValue> = {
  type: AttributeType.PasswordAlgorithm,
  name: 'PASSWORD-ALGORITHM',
  decode(value) {
    const { entry, next } = readEntry('PASSWORD-ALGORITHM', value, 0);
    if (next !== value.length)
      throw decodeError('PASSWORD-ALGORITHM', `${value.length - next} bytes after the entry`);
    return entry;
  },
  encode: (entry) => writeEntries('PASSWORD-ALGORITHM', [entry]),
};
