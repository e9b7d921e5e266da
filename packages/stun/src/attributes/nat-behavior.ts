import { allocWrite } from '../bytes.js';
import { AttributeType } from '../constants.js';
import { type AttributeCodec, bytesCodec, checkUint, expectLength, uint32Codec } from './codec.js';

/*
 * RFC 5780 §7.2 CHANGE-REQUEST: ask the server to answer from another IP (A) and/or port (B).
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 A B 0|
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
export const ChangeRequest: AttributeCodec<{ changeIp: boolean; changePort: boolean }> = {
  type: AttributeType.ChangeRequest,
  name: 'CHANGE-REQUEST',
  decode(value) {
    const flags = expectLength('CHANGE-REQUEST', value, 4).getUint32(0);
    return { changeIp: (flags & 0x4) !== 0, changePort: (flags & 0x2) !== 0 };
  },
  encode: ({ changeIp, changePort }) =>
    allocWrite(4, 'CHANGE-REQUEST', (v) => {
      v.setUint32(0, (changeIp ? 0x4 : 0) | (changePort ? 0x2 : 0));
      return 4;
    }),
};

/** RFC 5780 §7.5 RESPONSE-PORT: the port the response should go to; 16-bit port and 16 reserved bits. */
export const ResponsePort: AttributeCodec<number> = {
  type: AttributeType.ResponsePort,
  name: 'RESPONSE-PORT',
  decode: (value) => expectLength('RESPONSE-PORT', value, 4).getUint16(0),
  encode(port) {
    checkUint('RESPONSE-PORT', port, 16);
    return allocWrite(4, 'RESPONSE-PORT', (v) => {
      v.setUint32(0, port << 16);
      return 4;
    });
  },
};

/** RFC 5780 §7.6 PADDING: filler bytes to test how the path handles large or fragmented packets. */
export const Padding = bytesCodec(AttributeType.Padding, 'PADDING');

/** RFC 5780 §7.7 CACHE-TIMEOUT: seconds the server believes a NAT binding lives (binding lifetime discovery). */
export const CacheTimeout = uint32Codec(AttributeType.CacheTimeout, 'CACHE-TIMEOUT');
