/**
 * RFC 5780 NAT behaviour discovery on the server side: the server listens (UDP) on two IPs times two
 * ports. A Binding answer names the other IP and port (OTHER-ADDRESS) and the socket it is sent from
 * (RESPONSE-ORIGIN); CHANGE-REQUEST asks for the answer from the other IP, the other port, or both.
 */

/** One of the four discovery sockets: a listener of the server and the address it is bound to. */
export interface DiscoveryAddress {
  readonly listener: number;
  readonly address: string;
  readonly port: number;
}

/** The four sockets, looked up by listener. */
export class DiscoveryTable {
  private readonly byListener = new Map<number, DiscoveryAddress>();
  private readonly ips: readonly [string, string];
  private readonly ports: readonly [number, number];

  constructor(entries: readonly DiscoveryAddress[]) {
    const ips = [...new Set(entries.map((e) => e.address))];
    const ports = [...new Set(entries.map((e) => e.port))];
    if (ips.length !== 2 || ports.length !== 2 || entries.length !== 4)
      throw new TypeError('behaviour discovery needs two addresses times two ports, one socket each');
    this.ips = [ips[0]!, ips[1]!];
    this.ports = [ports[0]!, ports[1]!];
    for (const e of entries) this.byListener.set(e.listener, e);
    for (const ip of this.ips)
      for (const port of this.ports)
        if (!entries.some((e) => e.address === ip && e.port === port))
          throw new TypeError(`behaviour discovery: no socket on ${ip} port ${port}`);
  }

  /** The socket behind `listener`, or undefined when it is not one of the four. */
  get(listener: number): DiscoveryAddress | undefined {
    return this.byListener.get(listener);
  }

  /** The socket with the other IP and the other port than `self` (OTHER-ADDRESS). */
  other(self: DiscoveryAddress): DiscoveryAddress {
    return this.changed(self, true, true);
  }

  /** The socket an answer comes from for CHANGE-REQUEST (change IP and/or port). */
  changed(self: DiscoveryAddress, changeIp: boolean, changePort: boolean): DiscoveryAddress {
    const flip = <T>(pair: readonly [T, T], v: T, change: boolean) =>
      change ? (pair[0] === v ? pair[1] : pair[0]) : v;
    const address = flip(this.ips, self.address, changeIp);
    const port = flip(this.ports, self.port, changePort);
    return [...this.byListener.values()].find((e) => e.address === address && e.port === port)!;
  }
}
