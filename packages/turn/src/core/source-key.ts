import { formatIp, tryParseIp } from '@parley/stun';

/**
 * The identity of a client source, for per-source quotas and rate limits: an IPv4 address as is; an IPv6 address cut to `prefixV6` bits,
 * since one subscriber usually gets a whole /64 (RFC 6177) and can use any address in it.
 */
export function sourceKey(address: string, prefixV6: number): string {
  const bytes = tryParseIp(address);
  if (!bytes || bytes.length === 4) return address;
  const keep = Math.max(0, Math.min(128, prefixV6));
  const out = bytes.slice();
  for (let bit = keep; bit < 128; bit++) out[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return `${formatIp(out)}/${keep}`;
}
