import { readUint16 } from '../bytes.js';
import { AddressFamily, AttributeType } from '../constants.js';
import { formatIp, parseIp, type TransportAddress } from '../ip.js';
import { type AttributeCodec, decodeError, encodeError } from './codec.js';

/*
 * RFC 8489 §14.1 MAPPED-ADDRESS, and every attribute that shares its layout:
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |0 0 0 0 0 0 0 0|    Family     |           Port                |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                 Address (32 bits or 128 bits)                 |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Family 0x01 is IPv4 (value 8 bytes), 0x02 IPv6 (value 20 bytes). The first byte is ignored on receipt.
 */

/** Address bytes and port as found on the wire, before any XOR; shared with the XOR codecs. */
export interface RawAddress {
  family: 'IPv4' | 'IPv6';
  ip: Uint8Array;
  port: number;
}

export function readRawAddress(name: string, value: Uint8Array): RawAddress {
  if (value.length < 4) throw decodeError(name, `length ${value.length}, need 8 or 20`);
  const familyByte = value[1]!;
  const family =
    familyByte === AddressFamily.IPv4 ? 'IPv4' : familyByte === AddressFamily.IPv6 ? 'IPv6' : undefined;
  if (!family)
    throw decodeError(name, `unknown address family 0x${familyByte.toString(16).padStart(2, '0')}`);
  const need = family === 'IPv4' ? 8 : 20;
  if (value.length !== need) throw decodeError(name, `length ${value.length}, need ${need} for ${family}`);
  return { family, ip: value.slice(4), port: readUint16(value, 2) };
}

export function writeRawAddress(name: string, addr: TransportAddress): RawAddress {
  let ip: Uint8Array;
  try {
    ip = parseIp(addr.address);
  } catch {
    throw encodeError(name, `not an IP address: '${addr.address}'`);
  }
  const family = ip.length === 4 ? 'IPv4' : 'IPv6';
  if (addr.family !== family) throw encodeError(name, `address '${addr.address}' is not ${addr.family}`);
  if (!Number.isInteger(addr.port) || addr.port < 0 || addr.port > 0xffff) {
    throw encodeError(name, `port ${addr.port} is not 0–65535`);
  }
  return { family, ip, port: addr.port };
}

/** The attribute value: a 4-byte head and the address bytes (byte writes: no DataView per attribute). */
export function encodeRawAddress(_name: string, raw: RawAddress): Uint8Array {
  const out = new Uint8Array(4 + raw.ip.length);
  out[1] = raw.family === 'IPv4' ? AddressFamily.IPv4 : AddressFamily.IPv6;
  out[2] = raw.port >>> 8;
  out[3] = raw.port & 0xff;
  out.set(raw.ip, 4);
  return out;
}

function plainAddressCodec(type: number, name: string): AttributeCodec<TransportAddress> {
  return {
    type,
    name,
    decode(value) {
      const raw = readRawAddress(name, value);
      return { family: raw.family, address: formatIp(raw.ip), port: raw.port };
    },
    encode: (addr) => encodeRawAddress(name, writeRawAddress(name, addr)),
  };
}

/** RFC 8489 §14.1 MAPPED-ADDRESS: the reflexive address, unobfuscated (kept for RFC 3489 clients). */
export const MappedAddress = plainAddressCodec(AttributeType.MappedAddress, 'MAPPED-ADDRESS');
/** RFC 8489 §14.15 ALTERNATE-SERVER: where a 300 (Try Alternate) response sends the client. */
export const AlternateServer = plainAddressCodec(AttributeType.AlternateServer, 'ALTERNATE-SERVER');
/** RFC 5780 §7.3 RESPONSE-ORIGIN: the address the response was sent from. */
export const ResponseOrigin = plainAddressCodec(AttributeType.ResponseOrigin, 'RESPONSE-ORIGIN');
/** RFC 5780 §7.4 OTHER-ADDRESS: the server's alternate address for NAT behaviour discovery. */
export const OtherAddress = plainAddressCodec(AttributeType.OtherAddress, 'OTHER-ADDRESS');
