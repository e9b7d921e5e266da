// Test support only: a seeded PRNG and generators of valid attribute values, for property and fuzz tests.
import { SeededRandom } from '@parley/testing';
import { AttributeType } from '../constants.js';
import type { TransportAddress } from '../ip.js';
import { formatIp } from '../ip.js';

/** mulberry32: tiny, fast, and reproducible from a 32-bit seed, so a failing case can be replayed. */
export class Random extends SeededRandom {
  bool(): boolean {
    return this.next() < 0.5;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }

  /** Text mixing ASCII, accented Latin, CJK and astral characters, within a byte and character budget. */
  text(maxChars: number, maxBytes: number): string {
    const pools = [
      [0x20, 0x7e],
      [0xa0, 0x24f],
      [0x3040, 0x30ff],
      [0x1f300, 0x1f5ff],
    ] as const;
    let s = '';
    let bytes = 0;
    const chars = this.int(maxChars + 1);
    for (let i = 0; i < chars; i++) {
      const [lo, hi] = this.pick(pools);
      const c = String.fromCodePoint(this.range(lo, hi));
      const size = new TextEncoder().encode(c).length;
      if (bytes + size > maxBytes) break;
      s += c;
      bytes += size;
    }
    return s;
  }

  address(): TransportAddress {
    const v6 = this.bool();
    const ip = this.bytes(v6 ? 16 : 4);
    if (v6 && this.bool()) ip.fill(0, this.int(16)); // zero runs exercise '::' compression
    return { family: v6 ? 'IPv6' : 'IPv4', address: formatIp(ip), port: this.int(65536) };
  }

  u32(): number {
    return this.int(0x100000000);
  }
}

/** A valid value for each attribute type, shaped as that type's codec takes it. */
export function randomValue(r: Random, type: number): unknown {
  const T = AttributeType;
  switch (type) {
    case T.MappedAddress:
    case T.XorMappedAddress:
    case T.XorPeerAddress:
    case T.XorRelayedAddress:
    case T.AlternateServer:
    case T.ResponseOrigin:
    case T.OtherAddress:
      return r.address();
    case T.Username:
      return r.text(200, 512);
    case T.Realm:
    case T.Nonce:
    case T.Software:
      return r.text(127, 763);
    case T.AlternateDomain:
      return r.text(60, 255);
    case T.ErrorCode:
      return { code: r.range(300, 699), reason: r.text(127, 763) };
    case T.AddressErrorCode:
      return { family: r.range(1, 2), code: r.range(300, 699), reason: r.text(40, 763) };
    case T.UnknownAttributes:
      return Array.from({ length: r.int(6) }, () => r.int(0x10000));
    case T.PasswordAlgorithms:
      return Array.from({ length: r.int(4) }, () => ({
        algorithm: r.int(0x10000),
        parameters: r.bytes(r.int(7)),
      }));
    case T.PasswordAlgorithm:
      return { algorithm: r.int(0x10000), parameters: r.bytes(r.int(7)) };
    case T.ChannelNumber:
    case T.ResponsePort:
      return r.int(0x10000);
    case T.Lifetime:
    case T.ConnectionId:
    case T.Priority:
    case T.CacheTimeout:
    case T.Fingerprint:
      return r.u32();
    case T.Data:
    case T.Padding:
      return r.bytes(r.int(300));
    case T.RequestedAddressFamily:
    case T.AdditionalAddressFamily:
    case T.RequestedTransport:
      return r.int(256);
    case T.EvenPort:
      return { reserve: r.bool() };
    case T.DontFragment:
    case T.UseCandidate:
      return true;
    case T.ReservationToken:
      return r.bytes(8);
    case T.MessageIntegrity:
      return r.bytes(20);
    case T.MessageIntegritySha256:
      return r.bytes(r.pick([16, 20, 24, 28, 32]));
    case T.Userhash:
      return r.bytes(32);
    case T.Icmp:
      return { type: r.int(128), code: r.int(512), errorData: r.u32() };
    case T.ChangeRequest:
      return { changeIp: r.bool(), changePort: r.bool() };
    case T.IceControlled:
    case T.IceControlling:
      return (BigInt(r.u32()) << 32n) | BigInt(r.u32());
    default:
      throw new Error(`no generator for attribute 0x${type.toString(16)}`);
  }
}
