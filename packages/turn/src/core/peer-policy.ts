import { formatIp, tryParseIp } from '@parley/stun';

/**
 * Which peers a relay may talk to. A TURN server on a public address that relays to 127.0.0.1, 10.x or
 * 169.254.169.254 hands the internet a way into the host and its private network, so every special-purpose
 * range is refused unless the operator allow-lists it. Addresses are canonicalised first: an IPv4-mapped
 * peer is its IPv4 address, and every IPv4 address embedded in an IPv6 one (compatible, NAT64, 6to4,
 * Teredo, ISATAP, SIIT) is checked too, so no spelling of 127.0.0.1 gets through.
 */

/** An address block: 4 or 16 network bytes and a prefix length. */
export interface Cidr {
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

/** Parses '10.0.0.0/8', '::1/128' or a bare address (a /32 or /128); throws TypeError for bad config. */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const bytes = tryParseIp(addr.trim());
  if (!bytes) throw new TypeError(`not a CIDR block: '${text}'`);
  const max = bytes.length * 8;
  const prefixText = slash < 0 ? String(max) : text.slice(slash + 1).trim();
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max)
    throw new TypeError(`bad prefix in '${text}'`);
  return { bytes, prefix: Number(prefixText) };
}

/** True when `addr` (same length as the block) lies inside `cidr`. */
export function cidrContains(cidr: Cidr, addr: Uint8Array): boolean {
  if (cidr.bytes.length !== addr.length) return false;
  const full = cidr.prefix >> 3;
  for (let i = 0; i < full; i++) if (cidr.bytes[i] !== addr[i]) return false;
  const rest = cidr.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (cidr.bytes[full]! & mask) === (addr[full]! & mask);
}

/** IANA IPv4 Special-Purpose Address Registry blocks that are not globally reachable, plus multicast. */
export const DEFAULT_DENIED_IPV4: readonly string[] = [
  '0.0.0.0/8', // "this network" (RFC 791)
  '10.0.0.0/8', // private (RFC 1918)
  '100.64.0.0/10', // shared address space, CGNAT (RFC 6598)
  '127.0.0.0/8', // loopback
  '169.254.0.0/16', // link-local, cloud metadata services
  '172.16.0.0/12', // private (RFC 1918)
  '192.0.0.0/24', // IETF protocol assignments (RFC 6890)
  '192.0.2.0/24', // documentation TEST-NET-1 (RFC 5737)
  '192.88.99.0/24', // deprecated 6to4 relay anycast (RFC 7526)
  '192.168.0.0/16', // private (RFC 1918)
  '198.18.0.0/15', // benchmarking (RFC 2544)
  '198.51.100.0/24', // documentation TEST-NET-2
  '203.0.113.0/24', // documentation TEST-NET-3
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved, and 255.255.255.255 broadcast
];

/** IANA IPv6 Special-Purpose Address Registry blocks that are not globally reachable, plus multicast. */
export const DEFAULT_DENIED_IPV6: readonly string[] = [
  '::/128', // unspecified
  '::1/128', // loopback
  '::/96', // IPv4-compatible, deprecated (RFC 4291 §2.5.5.1)
  '::ffff:0:0:0/96', // SIIT IPv4-translated (RFC 2765)
  '64:ff9b::/96', // NAT64 well-known prefix (RFC 6052)
  '64:ff9b:1::/48', // NAT64 local-use (RFC 8215)
  '100::/64', // discard-only (RFC 6666)
  '2001::/23', // IETF protocol assignments, includes Teredo 2001::/32
  '2001:db8::/32', // documentation (RFC 3849)
  '2002::/16', // 6to4 (RFC 3056)
  '3fff::/20', // documentation (RFC 9637)
  '5f00::/16', // SRv6 SIDs (RFC 9602)
  'fc00::/7', // unique local (RFC 4193)
  'fe80::/10', // link-local
  'fec0::/10', // site-local, deprecated (RFC 3879)
  'ff00::/8', // multicast
];

function isZero(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (bytes[i] !== 0) return false;
  return true;
}

function v4At(bytes: Uint8Array, at: number, invert = false): Uint8Array {
  const out = bytes.slice(at, at + 4);
  if (invert) for (let i = 0; i < 4; i++) out[i] = out[i]! ^ 0xff;
  return out;
}

/** RFC 4291 §2.5.5.2: ::ffff:a.b.c.d is the IPv4 address a.b.c.d on a dual-stack socket. */
function isIpv4Mapped(bytes: Uint8Array): boolean {
  return bytes.length === 16 && isZero(bytes, 0, 10) && bytes[10] === 0xff && bytes[11] === 0xff;
}

/**
 * Every IPv4 address an IPv6 address carries inside it, by the transition scheme that put it there. Each one
 * is a place the packet may end up after a translator or tunnel, so each must pass the policy too.
 */
export function embeddedIpv4(bytes: Uint8Array): Uint8Array[] {
  if (bytes.length !== 16) return [];
  const out: Uint8Array[] = [];
  // IPv4-compatible ::a.b.c.d (RFC 4291 §2.5.5.1; '::' and '::1' are not) and SIIT ::ffff:0:a.b.c.d (RFC 2765).
  const compatible = isZero(bytes, 0, 12) && !(isZero(bytes, 12, 15) && bytes[15]! <= 1);
  if (
    compatible ||
    (isZero(bytes, 0, 8) && bytes[8] === 0xff && bytes[9] === 0xff && isZero(bytes, 10, 12))
  ) {
    out.push(v4At(bytes, 12));
  }
  // NAT64 64:ff9b::a.b.c.d (RFC 6052 §2.1, /96 layout).
  if (bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b)
    out.push(v4At(bytes, 12));
  // 6to4 2002:AABB:CCDD::/48 (RFC 3056 §2).
  if (bytes[0] === 0x20 && bytes[1] === 0x02) out.push(v4At(bytes, 2));
  // Teredo 2001:0::/32: server IPv4 in bits 32–63, client IPv4 inverted in the last 32 (RFC 4380 §4).
  if (bytes[0] === 0x20 && bytes[1] === 0x01 && bytes[2] === 0 && bytes[3] === 0) {
    out.push(v4At(bytes, 4), v4At(bytes, 12, true));
  }
  // ISATAP interface identifier ::0:5efe:a.b.c.d or ::200:5efe:a.b.c.d (RFC 5214 §6.1).
  if ((bytes[8] === 0 || bytes[8] === 0x02) && bytes[9] === 0 && bytes[10] === 0x5e && bytes[11] === 0xfe) {
    out.push(v4At(bytes, 12));
  }
  return out;
}

/** The canonical form of an address: IPv4-mapped IPv6 becomes IPv4; everything else keeps its family. */
export function canonicalBytes(bytes: Uint8Array): Uint8Array {
  return isIpv4Mapped(bytes) ? bytes.slice(12, 16) : bytes;
}

export type PeerVerdict =
  | { readonly allowed: true; readonly canonical: string; readonly family: 'IPv4' | 'IPv6' }
  | { readonly allowed: false; readonly canonical?: string; readonly reason: string };

export interface PeerPolicyOptions {
  /** CIDR blocks always allowed, overriding the deny-list for exactly the forms they cover. */
  readonly allow?: readonly string[];
  /** Extra CIDR blocks to refuse, on top of the defaults. */
  readonly deny?: readonly string[];
}

export interface PeerPolicy {
  /** Decides whether a relay may send to or receive from `address` (any textual form). */
  check(address: string): PeerVerdict;
}

class CidrList {
  private readonly blocks: Cidr[];
  constructor(texts: readonly string[]) {
    this.blocks = texts.map(parseCidr);
  }
  match(addr: Uint8Array): Cidr | undefined {
    for (const b of this.blocks) if (cidrContains(b, addr)) return b;
    return undefined;
  }
}

/**
 * Builds a policy from the default deny-list, extra denies and an allow-list. Each form of the address (the
 * canonical one and each embedded IPv4) must be allow-listed or outside the deny-list.
 */
export function createPeerPolicy(options: PeerPolicyOptions = {}): PeerPolicy {
  const allow = new CidrList(options.allow ?? []);
  const deny = new CidrList([...DEFAULT_DENIED_IPV4, ...DEFAULT_DENIED_IPV6, ...(options.deny ?? [])]);
  return {
    check(address: string): PeerVerdict {
      const parsed = tryParseIp(address);
      if (!parsed) return { allowed: false, reason: `not an IP address: '${address}'` };
      const primary = canonicalBytes(parsed);
      const canonical = formatIp(primary);
      for (const form of [primary, ...embeddedIpv4(primary)]) {
        if (allow.match(form)) continue;
        const hit = deny.match(form);
        if (hit) {
          const why = `${formatIp(form)} is in ${formatIp(hit.bytes)}/${hit.prefix}`;
          return { allowed: false, canonical, reason: form === primary ? why : `embeds ${why}` };
        }
      }
      return { allowed: true, canonical, family: primary.length === 4 ? 'IPv4' : 'IPv6' };
    },
  };
}
