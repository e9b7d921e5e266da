import { allocWrite } from '../bytes.js';
import { AttributeType } from '../constants.js';
import { type AttributeCodec, checkUint, expectLength } from './codec.js';

/*
 * RFC 8656 §18.1 CHANNEL-NUMBER:
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |        Channel Number         |         RFFU = 0              |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The codec carries any 16-bit number: whether it lies in 0x4000–0x4FFF is the server's check
 * (isValidChannelNumber), answered with 400 rather than a decode failure.
 */
export const ChannelNumber: AttributeCodec<number> = {
  type: AttributeType.ChannelNumber,
  name: 'CHANNEL-NUMBER',
  decode: (value) => expectLength('CHANNEL-NUMBER', value, 4).getUint16(0),
  encode(channel) {
    checkUint('CHANNEL-NUMBER', channel, 16);
    return allocWrite(4, 'CHANNEL-NUMBER', (v) => {
      v.setUint16(0, channel);
      v.setUint16(2, 0);
      return 4;
    });
  },
};
