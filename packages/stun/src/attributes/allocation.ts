import { allocWrite, view } from '../bytes.js';
import { AttributeType } from '../constants.js';
import { type AttributeCodec, bytesCodec, checkUint, decodeError, expectLength, flagCodec } from './codec.js';

/*
 * RFC 8656 §18.6 REQUESTED-ADDRESS-FAMILY, §18.8 REQUESTED-TRANSPORT, §18.11 ADDITIONAL-ADDRESS-FAMILY
 * all carry one byte and three reserved ones:
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  Family/Proto |            Reserved (RFFU)                    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The byte is returned as a number: an unsupported family or protocol is the server's 440/442 answer to
 * give, not a malformed message.
 */
function leadingByteCodec(type: number, name: string): AttributeCodec<number> {
  return {
    type,
    name,
    decode: (value) => expectLength(name, value, 4).getUint8(0),
    encode(n) {
      checkUint(name, n, 8);
      return allocWrite(4, name, (v) => {
        v.setUint32(0, n << 24);
        return 4;
      });
    },
  };
}

/** RFC 8656 §18.8 REQUESTED-TRANSPORT: IP protocol number of the relay (17 UDP; 6 TCP per RFC 6062). */
export const RequestedTransport = leadingByteCodec(AttributeType.RequestedTransport, 'REQUESTED-TRANSPORT');
/** RFC 8656 §18.6 REQUESTED-ADDRESS-FAMILY: 0x01 IPv4 or 0x02 IPv6 relayed address (RFC 6156). */
export const RequestedAddressFamily = leadingByteCodec(
  AttributeType.RequestedAddressFamily,
  'REQUESTED-ADDRESS-FAMILY',
);
/** RFC 8656 §18.11 ADDITIONAL-ADDRESS-FAMILY: ask for an IPv6 relayed address besides the IPv4 one. */
export const AdditionalAddressFamily = leadingByteCodec(
  AttributeType.AdditionalAddressFamily,
  'ADDITIONAL-ADDRESS-FAMILY',
);

/*
 * RFC 8656 §18.7 EVEN-PORT: one byte, the R bit asks the server to reserve the next port too.
 *
 *   0
 *   0 1 2 3 4 5 6 7
 *  +-+-+-+-+-+-+-+-+
 *  |R|    RFFU     |
 *  +-+-+-+-+-+-+-+-+
 */
export const EvenPort: AttributeCodec<{ reserve: boolean }> = {
  type: AttributeType.EvenPort,
  name: 'EVEN-PORT',
  decode(value) {
    if (value.length !== 1) throw decodeError('EVEN-PORT', `length ${value.length}, need 1`);
    return { reserve: (view(value).getUint8(0) & 0x80) !== 0 };
  },
  encode: ({ reserve }) => Uint8Array.of(reserve ? 0x80 : 0),
};

/** RFC 8656 §18.9 DONT-FRAGMENT: set the DF bit on relayed packets; no value. */
export const DontFragment = flagCodec(AttributeType.DontFragment, 'DONT-FRAGMENT');

/** RFC 8656 §18.10 RESERVATION-TOKEN: 8 opaque bytes naming a port reserved by EVEN-PORT. */
export const ReservationToken = bytesCodec(AttributeType.ReservationToken, 'RESERVATION-TOKEN', 8);
