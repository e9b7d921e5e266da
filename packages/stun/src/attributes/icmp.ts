import { allocWrite } from '../bytes.js';
import { AttributeType } from '../constants.js';
import { type AttributeCodec, checkUint, encodeError, expectLength } from './codec.js';

/** An ICMP packet the relay received for the client (RFC 8656 §11.5). */
export interface IcmpValue {
  /** ICMP (v4 or v6, by the peer's family) type, 0–127. */
  type: number;
  /** ICMP code, 0–511. */
  code: number;
  /** The 4 "error data" bytes (e.g. the next-hop MTU for "fragmentation needed"), as a 32-bit number. */
  errorData: number;
}

/*
 * RFC 8656 §18.13 ICMP:
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |            Reserved           |  ICMP Type  |   ICMP Code     |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                          Error Data                           |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Read as the figure draws it: 16 reserved bits, a 7-bit type, a 9-bit code.
 */
export const Icmp: AttributeCodec<IcmpValue> = {
  type: AttributeType.Icmp,
  name: 'ICMP',
  decode(value) {
    const v = expectLength('ICMP', value, 8);
    const word = v.getUint16(2);
    return { type: word >>> 9, code: word & 0x1ff, errorData: v.getUint32(4) };
  },
  encode({ type, code, errorData }) {
    if (!Number.isInteger(type) || type < 0 || type > 127)
      throw encodeError('ICMP', `type ${type}, need 0–127`);
    if (!Number.isInteger(code) || code < 0 || code > 511)
      throw encodeError('ICMP', `code ${code}, need 0–511`);
    checkUint('ICMP', errorData, 32);
    return allocWrite(8, 'ICMP', (v) => {
      v.setUint16(0, 0);
      v.setUint16(2, (type << 9) | code);
      v.setUint32(4, errorData);
      return 8;
    });
  },
};
