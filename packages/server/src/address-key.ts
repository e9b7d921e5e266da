/**
 * The key per-address limits count by: an IPv4 address as it is (IPv4-mapped IPv6 unwrapped), an IPv6
 * address by its /64, since one host is usually given a whole /64 and can pick any address in it.
 */
import { isIPv6 } from 'node:net';

export function addressKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1] as string;
  if (!isIPv6(address)) return address;
  return `${expandIpv6(address).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, as lowercase hex without leading zeros. */
function expandIpv6(address: string): string[] {
  const [head = '', tail] = address.split('%')[0]!.split('::') as [string, string | undefined];
  const parse = (part: string) =>
    part ? part.split(':').map((g) => Number.parseInt(g, 16).toString(16)) : [];
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const fill = Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0');
  return [...left, ...fill, ...right];
}
