/** This machine's network addresses, as `parley serve` shows them and puts them in a self-signed certificate. */
import { networkInterfaces } from 'node:os';

export interface InterfaceAddress {
  /** The interface's name, e.g. eth0. */
  name: string;
  address: string;
  family: 'IPv4' | 'IPv6';
  internal: boolean;
}

/** Bridges and tunnels of containers and virtual machines: other devices seldom reach the machine there. */
const VIRTUAL = /^(docker|br-|veth|virbr|vmnet|vboxnet|lxc|lxd|cni|flannel|podman|tun|tap)/;

/**
 * Every address of every interface, IPv4 first, then those of real interfaces before virtual ones;
 * IPv6 link-local ones (fe80::/10) are left out.
 */
export function interfaceAddresses(): InterfaceAddress[] {
  const out: InterfaceAddress[] = [];
  for (const [name, list] of Object.entries(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.family === 'IPv6' && /^fe[89ab]/i.test(a.address)) continue;
      out.push({ name, address: a.address, family: a.family, internal: a.internal });
    }
  }
  const rank = (a: InterfaceAddress) => (a.family === 'IPv4' ? 0 : 2) + (VIRTUAL.test(a.name) ? 1 : 0);
  return out.sort((a, b) => rank(a) - rank(b));
}

export function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/**
 * The addresses other machines can reach a server listening on `host` at: each non-loopback interface
 * address for a wildcard (IPv4 only for 0.0.0.0), the host itself when it is not loopback, else none.
 */
export function reachableAddresses(host: string): InterfaceAddress[] {
  if (isWildcard(host))
    return interfaceAddresses().filter((a) => !a.internal && (host === '::' || a.family === 'IPv4'));
  if (isLoopback(host)) return [];
  const own = interfaceAddresses().find((a) => a.address === host);
  return [own ?? { name: '', address: host, family: host.includes(':') ? 'IPv6' : 'IPv4', internal: false }];
}

/** `http(s)://ADDRESS:PORT/`, with brackets around an IPv6 address. */
export function urlOf(scheme: 'http' | 'https', address: string, port: number): string {
  return `${scheme}://${address.includes(':') ? `[${address}]` : address}:${port}/`;
}

/** An IP address in its short spelling (Node writes IPv6 addresses in certificates in full: 0:0:0:0:0:0:0:1). */
export function compactIp(ip: string): string {
  return ip.includes(':') ? new URL(`http://[${ip}]/`).hostname.slice(1, -1) : ip;
}
