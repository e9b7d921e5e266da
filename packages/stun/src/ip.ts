import { StunEncodeError } from './errors.js';

/** A transport address as attributes carry it: the IP as text ('192.0.2.1', '2001:db8::1') plus a port. */
export interface TransportAddress {
  family: 'IPv4' | 'IPv6';
  address: string;
  port: number;
}

/**
 * A dotted quad: four decimal numbers 0–255 without leading zeros ('01' is refused, as octal readings of
 * it differ). A character loop, not a regex and arrays: encoders call this for every address attribute.
 */
function parseIpv4(s: string): Uint8Array | undefined {
  const n = s.length;
  if (n < 7 || n > 15) return undefined;
  const out = new Uint8Array(4);
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? s.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || part > 3) return undefined;
      out[part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && value === 0) return undefined; // leading zero
      value = value * 10 + (c - 0x30);
      if (value > 255) return undefined;
      digits++;
    } else {
      return undefined;
    }
  }
  return part === 4 ? out : undefined;
}

function parseIpv6(s: string): Uint8Array | undefined {
  let text = s;
  // An embedded dotted IPv4 tail ('::ffff:192.0.2.1') stands for the last two groups.
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    const v4 = parseIpv4(text.slice(lastColon + 1));
    if (!v4) return undefined;
    const hi = ((v4[0]! << 8) | v4[1]!).toString(16);
    const lo = ((v4[2]! << 8) | v4[3]!).toString(16);
    text = `${text.slice(0, lastColon + 1)}${hi}:${lo}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string | undefined): number[] | undefined => {
    if (part === undefined || part === '') return [];
    const out: number[] = [];
    for (const g of part.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !rest) return undefined;
  const explicit = head.length + rest.length;
  if (halves.length === 1 ? explicit !== 8 : explicit > 7) return undefined;
  const all = [...head, ...new Array<number>(8 - explicit).fill(0), ...rest];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}

/**
 * Parses an IPv4 or IPv6 address into its 4 or 16 bytes, or undefined for anything else (for callers that
 * test text, like a server's peer policy). IPv4 allows no leading zeros: inet_aton reads '0177' as octal
 * 127, so '0177.0.0.1' must not parse as something else. IPv6 takes RFC 4291 §2.2 forms, no '%zone'.
 */
export function tryParseIp(address: string): Uint8Array | undefined {
  return address.includes(':') ? parseIpv6(address) : parseIpv4(address);
}

/** Parses an IPv4 or IPv6 address into its 4 or 16 bytes; throws StunEncodeError for anything else. */
export function parseIp(address: string): Uint8Array {
  const bytes = tryParseIp(address);
  if (!bytes) throw new StunEncodeError('address', `not an IPv4 or IPv6 address: '${address}'`);
  return bytes;
}

/** Formats 4 or 16 address bytes canonically: dotted quad, or RFC 5952 IPv6 (lowercase, longest zero run as ::). */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((bytes[i]! << 8) | bytes[i + 1]!);
  // RFC 5952 §5: IPv4-mapped addresses keep the dotted tail.
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  }
  let bestAt = -1;
  let bestLen = 1; // RFC 5952 §4.2.2: a single zero group is not compressed.
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestAt < 0) return hex.join(':');
  return `${hex.slice(0, bestAt).join(':')}::${hex.slice(bestAt + bestLen).join(':')}`;
}

/** Rewrites an address in canonical form, so '2001:DB8:0::1' and '2001:db8::1' compare equal as strings. */
export function canonicalIp(address: string): string {
  return formatIp(parseIp(address));
}
