import { AttributeType, MAGIC_COOKIE } from '../constants.js';
import { formatIp, type TransportAddress } from '../ip.js';
import { encodeRawAddress, type RawAddress, readRawAddress, writeRawAddress } from './address.js';
import type { AttributeCodec } from './codec.js';

/*
 * RFC 8489 §14.2 XOR-MAPPED-ADDRESS (and RFC 8656's XOR-PEER-ADDRESS, XOR-RELAYED-ADDRESS):
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |0 0 0 0 0 0 0 0|    Family     |         X-Port                |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                X-Address (Variable)
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * X-Port    = port XOR the top 16 bits of the magic cookie (0x2112).
 * X-Address = IPv4: address XOR magic cookie;
 *             IPv6: address XOR (magic cookie ‖ 96-bit transaction id).
 * The obfuscation keeps NATs that rewrite addresses they find in payloads away from this one.
 */

const COOKIE = new Uint8Array([
  MAGIC_COOKIE >>> 24,
  (MAGIC_COOKIE >>> 16) & 0xff,
  (MAGIC_COOKIE >>> 8) & 0xff,
  MAGIC_COOKIE & 0xff,
]);

/** XOR is its own inverse, so one function both obfuscates and recovers. */
function xor(raw: RawAddress, transactionId: Uint8Array): RawAddress {
  const ip = raw.ip;
  const out = new Uint8Array(ip.length);
  for (let i = 0; i < 4; i++) out[i] = ip[i]! ^ COOKIE[i]!;
  for (let i = 4; i < ip.length; i++) out[i] = ip[i]! ^ (transactionId[i - 4] ?? 0);
  return { family: raw.family, ip: out, port: raw.port ^ (MAGIC_COOKIE >>> 16) };
}

function xorAddressCodec(type: number, name: string): AttributeCodec<TransportAddress> {
  return {
    type,
    name,
    decode(value, transactionId) {
      const raw = xor(readRawAddress(name, value), transactionId);
      return { family: raw.family, address: formatIp(raw.ip), port: raw.port };
    },
    encode(addr, transactionId) {
      // XOR straight into the value: one allocation besides the parsed address.
      const raw = writeRawAddress(name, addr);
      const out = encodeRawAddress(name, raw);
      const port = raw.port ^ (MAGIC_COOKIE >>> 16);
      out[2] = port >>> 8;
      out[3] = port & 0xff;
      for (let i = 0; i < 4; i++) out[4 + i] = out[4 + i]! ^ COOKIE[i]!;
      for (let i = 4; i < raw.ip.length; i++) out[4 + i] = out[4 + i]! ^ (transactionId[i - 4] ?? 0);
      return out;
    },
  };
}

/** RFC 8489 §14.2 XOR-MAPPED-ADDRESS: the client's reflexive transport address. */
export const XorMappedAddress = xorAddressCodec(AttributeType.XorMappedAddress, 'XOR-MAPPED-ADDRESS');
/** RFC 8656 §18.3 XOR-PEER-ADDRESS: a peer's address as seen from the relay. */
export const XorPeerAddress = xorAddressCodec(AttributeType.XorPeerAddress, 'XOR-PEER-ADDRESS');
/** RFC 8656 §18.4 XOR-RELAYED-ADDRESS: the relayed transport address the server allocated. */
export const XorRelayedAddress = xorAddressCodec(AttributeType.XorRelayedAddress, 'XOR-RELAYED-ADDRESS');
