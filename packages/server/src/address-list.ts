/** An allow-list of CIDR blocks (IPv4 and IPv6; IPv4-mapped IPv6 clients match IPv4 blocks). */
import { BlockList, isIPv4, isIPv6 } from 'node:net';

/** A predicate for a client address; throws a readable error for a block that is not a CIDR or an address. */
export function addressAllowList(cidrs: readonly string[]): (address: string | undefined) => boolean {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [ip = '', bits] = cidr.split('/');
    const type = isIPv4(ip) ? 'ipv4' : isIPv6(ip) ? 'ipv6' : undefined;
    const max = type === 'ipv4' ? 32 : 128;
    const prefix = bits === undefined ? max : Number(bits);
    if (!type || !Number.isInteger(prefix) || prefix < 0 || prefix > max)
      throw new Error(`"${cidr}" is not an address or CIDR block (like 10.0.0.0/8 or ::1)`);
    list.addSubnet(ip, prefix, type);
  }
  return (address) => {
    if (!address) return false;
    const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    if (v4) return list.check(v4, 'ipv4');
    return list.check(address, isIPv6(address) ? 'ipv6' : 'ipv4');
  };
}
