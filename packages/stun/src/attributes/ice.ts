import { allocWrite } from '../bytes.js';
import { AttributeType } from '../constants.js';
import { type AttributeCodec, encodeError, expectLength, flagCodec, uint32Codec } from './codec.js';

/** RFC 8445 §16.1 PRIORITY: the priority a peer-reflexive candidate would get. */
export const Priority = uint32Codec(AttributeType.Priority, 'PRIORITY');
/** RFC 8445 §16.1 USE-CANDIDATE: the controlling agent nominates this pair; no value. */
export const UseCandidate = flagCodec(AttributeType.UseCandidate, 'USE-CANDIDATE');

function tieBreakerCodec(type: number, name: string): AttributeCodec<bigint> {
  return {
    type,
    name,
    decode: (value) => expectLength(name, value, 8).getBigUint64(0),
    encode(n) {
      if (n < 0n || n > 0xffffffffffffffffn) throw encodeError(name, `${n} is not a 64-bit number`);
      return allocWrite(8, name, (v) => {
        v.setBigUint64(0, n);
        return 8;
      });
    },
  };
}

/** RFC 8445 §16.1 ICE-CONTROLLED: the sender thinks it is controlled; 64-bit tie-breaker. */
export const IceControlled = tieBreakerCodec(AttributeType.IceControlled, 'ICE-CONTROLLED');
/** RFC 8445 §16.1 ICE-CONTROLLING: the sender thinks it is controlling; 64-bit tie-breaker. */
export const IceControlling = tieBreakerCodec(AttributeType.IceControlling, 'ICE-CONTROLLING');
