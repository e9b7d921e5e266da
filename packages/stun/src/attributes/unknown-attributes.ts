import { allocWrite, view } from '../bytes.js';
import { AttributeType } from '../constants.js';
import { type AttributeCodec, checkUint, decodeError } from './codec.js';

/** RFC 8489 §14.13 UNKNOWN-ATTRIBUTES: the comprehension-required types a 420 response did not understand. */
export const UnknownAttributes: AttributeCodec<number[]> = {
  type: AttributeType.UnknownAttributes,
  name: 'UNKNOWN-ATTRIBUTES',
  decode(value) {
    if (value.length % 2 !== 0) throw decodeError('UNKNOWN-ATTRIBUTES', `length ${value.length} is odd`);
    const v = view(value);
    const types: number[] = [];
    for (let i = 0; i < value.length; i += 2) types.push(v.getUint16(i));
    return types;
  },
  encode(types) {
    for (const t of types) checkUint('UNKNOWN-ATTRIBUTES', t, 16);
    return allocWrite(types.length * 2, 'UNKNOWN-ATTRIBUTES', (v) => {
      for (const [i, t] of types.entries()) v.setUint16(i * 2, t);
      return types.length * 2;
    });
  },
};
