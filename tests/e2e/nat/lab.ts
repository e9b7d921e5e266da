/**
 * A small internet in network namespaces: a "public" segment (namespace `pub`, where `parley serve` runs
 * on 203.0.113.10 and .11) and private networks behind Linux routers that NAT with nftables the way
 * RFC 4787 describes home routers. Everything is named `plab<pid>-…`, created inside namespaces only (veth
 * pairs are created straight into their namespaces, so the machine's own interfaces and routes are never
 * touched) and removed on exit; namespaces of an earlier run whose process is gone are removed first.
 *
 * Addresses: router k's WAN is 198.18.k.2/24 (pub's side 198.18.k.1); its LAN i is 10.k.i.0/24 with the
 * router on .1 and the host on .2. Pub routes between the routers' WAN segments and knows no private range.
 */
import { execFileSync, spawnSync } from 'node:child_process';

/** RFC 4787 behaviours (and two firewalls) a lab router can have. */
export type NatKind =
  /** Endpoint-independent mapping and filtering: 1:1 NAT of the one host behind it. */
  | 'full-cone'
  /** Endpoint-independent mapping, address-dependent filtering: 1:1 NAT plus a filter on contacted addresses. */
  | 'restricted'
  /** Endpoint-independent mapping, address-and-port-dependent filtering: Linux's masquerade. */
  | 'port-restricted'
  /** Address-and-port-dependent mapping (random ports) and filtering: masquerade fully-random. */
  | 'symmetric'
  /** Drops all UDP; TCP goes out anywhere (masquerade). */
  | 'udp-blocked'
  /** Drops all UDP; TCP goes out only to 443 and the signaling port. */
  | 'tcp-443';

export interface RouterSpec {
  name: string;
  kind: NatKind;
  /** Hosts behind it, each on a LAN port of its own (default 1). */
  hosts?: number;
  /** Hosts behind it cannot reach each other directly (client isolation). */
  isolated?: boolean;
  /** Packets from a host to the router's public address reach the host that owns the mapping. */
  hairpin?: boolean;
  /**
   * Drop unsolicited packets addressed to the router itself, as any home router's firewall does (default
   * true). Without it, an early hole-punching packet leaves a conntrack entry that clashes with the
   * host's own mapping (see docs/connectivity.md).
   */
  inputFirewall?: boolean;
}

export const SERVER_IP = '203.0.113.10';
export const SERVER_ALT_IP = '203.0.113.11';
/** What TURN must be allowed to relay to in the lab: the routers' WAN addresses and the server's. */
export const LAB_PUBLIC_RANGES = ['198.18.0.0/15', '203.0.113.0/24'];

export interface LabHost {
  /** The namespace a peer for this host runs in. */
  ns: string;
  router: LabRouter;
  lan: number;
  address: string;
}

export interface LabRouter {
  spec: RouterSpec;
  ns: string;
  index: number;
  wan: string;
  hosts: LabHost[];
}

const PREFIX = 'plab';

function run(cmd: string, args: string[], input?: string): string {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8' });
  if (r.status !== 0)
    throw new Error(
      `${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}${input ? `\n${input}` : ''}`,
    );
  return r.stdout;
}

/** Why the lab cannot run here, or undefined when it can. */
export function labUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'the NAT lab needs root (network namespaces, nftables)';
  for (const [tool, args] of [
    ['ip', ['netns', 'list']],
    ['nft', ['--version']],
    ['conntrack', ['--version']],
  ] as const) {
    try {
      execFileSync(tool, args, { stdio: 'ignore' });
    } catch {
      return `the NAT lab needs ${tool} (apt-get install iproute2 nftables conntrack)`;
    }
  }
  return undefined;
}

function namespaces(): string[] {
  return run('ip', ['netns', 'list'])
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter(Boolean);
}

/** Removes the lab namespaces of earlier runs whose process is gone. */
export function removeStaleLabs(): string[] {
  const stale = namespaces().filter((name) => {
    const pid = new RegExp(`^${PREFIX}(\\d+)-`).exec(name)?.[1];
    if (!pid || Number(pid) === process.pid) return false;
    try {
      process.kill(Number(pid), 0);
      return false;
    } catch {
      return true;
    }
  });
  for (const name of stale) spawnSync('ip', ['netns', 'del', name]);
  return stale;
}

export class Lab {
  readonly prefix = `${PREFIX}${process.pid}`;
  readonly pub = `${this.prefix}-pub`;
  readonly routers = new Map<string, LabRouter>();
  readonly signalingPort: number;
  #created: string[] = [];
  readonly #onExit = () => this.destroy();

  constructor({ signalingPort = 8080 } = {}) {
    this.signalingPort = signalingPort;
  }

  /** Runs a command in a namespace and returns its stdout. */
  exec(ns: string, args: string[], input?: string): string {
    return run('ip', ['netns', 'exec', ns, ...args], input);
  }

  #netns(name: string): string {
    const ns = `${this.prefix}-${name}`;
    run('ip', ['netns', 'add', ns]);
    this.#created.push(ns);
    run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    return ns;
  }

  /** A veth pair with one end in each namespace, created there (never in the machine's own namespace). */
  #link(nsA: string, nameA: string, addrA: string, nsB: string, nameB: string, addrB: string): void {
    run('ip', ['link', 'add', nameA, 'netns', nsA, 'type', 'veth', 'peer', 'name', nameB, 'netns', nsB]);
    run('ip', ['-n', nsA, 'addr', 'add', addrA, 'dev', nameA]);
    run('ip', ['-n', nsB, 'addr', 'add', addrB, 'dev', nameB]);
    run('ip', ['-n', nsA, 'link', 'set', nameA, 'up']);
    run('ip', ['-n', nsB, 'link', 'set', nameB, 'up']);
  }

  create(specs: RouterSpec[]): void {
    removeStaleLabs();
    process.once('exit', this.#onExit);
    this.#netns('pub');
    run('ip', ['-n', this.pub, 'addr', 'add', `${SERVER_IP}/32`, 'dev', 'lo']);
    run('ip', ['-n', this.pub, 'addr', 'add', `${SERVER_ALT_IP}/32`, 'dev', 'lo']);
    this.exec(this.pub, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    for (const [i, spec] of specs.entries()) this.#router(spec, i + 1);
  }

  #router(spec: RouterSpec, index: number): void {
    const ns = this.#netns(spec.name);
    const wan = `198.18.${index}.2`;
    this.#link(this.pub, `r${index}`, `198.18.${index}.1/24`, ns, 'wan', `${wan}/24`);
    run('ip', ['-n', ns, 'route', 'add', 'default', 'via', `198.18.${index}.1`]);
    this.exec(ns, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    const router: LabRouter = { spec, ns, index, wan, hosts: [] };
    for (let lan = 0; lan < (spec.hosts ?? 1); lan++) {
      const hostNs = this.#netns(`${spec.name}-h${lan}`);
      const address = `10.${index}.${lan}.2`;
      this.#link(ns, `lan${lan}`, `10.${index}.${lan}.1/24`, hostNs, 'eth0', `${address}/24`);
      run('ip', ['-n', hostNs, 'route', 'add', 'default', 'via', `10.${index}.${lan}.1`]);
      router.hosts.push({ ns: hostNs, router, lan, address });
    }
    this.exec(ns, ['nft', '-f', '-'], natRules(router, this.signalingPort));
    this.routers.set(spec.name, router);
  }

  router(name: string): LabRouter {
    const r = this.routers.get(name);
    if (!r) throw new Error(`no lab router ${name}`);
    return r;
  }

  host(name: string, lan = 0): LabHost {
    const h = this.router(name).hosts[lan];
    if (!h) throw new Error(`lab router ${name} has no host on LAN ${lan}`);
    return h;
  }

  /** The NAT forgets every mapping (a router reboot, a conntrack table overflow). */
  flushConntrack(router: string): void {
    this.exec(this.router(router).ns, ['conntrack', '-F'], undefined);
  }

  /** The host gets another address on its LAN (DHCP renumbering): its sockets' old address is gone. */
  renumber(host: LabHost, to: string): void {
    const gw = `10.${host.router.index}.${host.lan}.1`;
    // Deleting an interface's primary address deletes its secondaries in the same subnet too, unless they
    // are promoted: without this the host is left with no address and no route at all.
    this.exec(host.ns, ['sysctl', '-qw', 'net.ipv4.conf.eth0.promote_secondaries=1']);
    run('ip', ['-n', host.ns, 'addr', 'add', `${to}/24`, 'dev', 'eth0']);
    run('ip', ['-n', host.ns, 'addr', 'del', `${host.address}/24`, 'dev', 'eth0']);
    run('ip', ['-n', host.ns, 'route', 'replace', 'default', 'via', gw]);
    const now = run('ip', ['-n', host.ns, '-4', '-o', 'addr', 'show', 'dev', 'eth0']);
    if (!now.includes(`${to}/`) || now.includes(`${host.address}/`))
      throw new Error(`renumbering ${host.ns} to ${to} left: ${now}`);
    host.address = to;
  }

  destroy(): void {
    process.off('exit', this.#onExit);
    for (const ns of this.#created.reverse()) spawnSync('ip', ['netns', 'del', ns]);
    this.#created = [];
  }
}

/** The router's nftables rules for its kind (see docs/connectivity.md for how each RFC 4787 behaviour is made). */
export function natRules(router: LabRouter, signalingPort: number): string {
  const { spec, wan, index } = router;
  const lanNet = `10.${index}.0.0/16`;
  const oneToOne = spec.kind === 'full-cone' || spec.kind === 'restricted';
  if (oneToOne && router.hosts.length !== 1) throw new Error(`${spec.kind} (1:1 NAT) takes one host`);
  const host = router.hosts[0]?.address;
  const pre: string[] = [];
  const post: string[] = [];
  const forward: string[] = [];
  const input: string[] = [];
  const late: string[] = [];
  const sets: string[] = [];

  if (oneToOne) {
    // 1:1 NAT: the host's ports are kept (one host, so nothing clashes) and whatever reaches the public
    // address goes to it: endpoint-independent mapping and filtering.
    post.push(`oifname "wan" ip saddr ${lanNet} snat ip to ${wan}`);
    pre.push(`iifname "wan" ip daddr ${wan} dnat ip to ${host}`);
  } else if (spec.kind === 'symmetric') {
    post.push(`oifname "wan" ip saddr ${lanNet} masquerade fully-random`);
  } else {
    post.push(`oifname "wan" ip saddr ${lanNet} masquerade`);
  }
  if (spec.kind === 'restricted') {
    // Address-dependent filtering: inbound only from addresses the host has sent to (any port).
    sets.push('set contacted { type ipv4_addr; flags dynamic,timeout; timeout 5m; }');
    forward.push('iifname "lan*" oifname "wan" update @contacted { ip daddr }');
    forward.push('iifname "wan" ct state established,related accept');
    forward.push('iifname "wan" ip saddr @contacted accept');
    forward.push('iifname "wan" drop');
  }
  if (spec.kind === 'udp-blocked' || spec.kind === 'tcp-443') forward.push('meta l4proto udp drop');
  if (spec.kind === 'tcp-443')
    forward.push(`iifname "lan*" oifname "wan" tcp dport != { 443, ${signalingPort} } drop`);
  if (spec.isolated) {
    forward.push('iifname "lan*" oifname "lan*" ct status dnat accept');
    forward.push('iifname "lan*" oifname "lan*" drop');
  }
  if (spec.hairpin) {
    // Hairpinning: remember which host owns each mapped UDP port, send a host's packets for the public
    // address to that owner, and make them come from the sender's public mapping.
    sets.push('map owners { type inet_service : ipv4_addr; flags dynamic,timeout; timeout 5m; }');
    late.push('oifname "wan" meta l4proto udp update @owners { ct reply proto-dst : ct original ip saddr }');
    pre.push(`iifname "lan*" ip daddr ${wan} meta l4proto udp dnat ip to udp dport map @owners`);
    post.push(`oifname "lan*" ct status dnat ip saddr ${lanNet} snat ip to ${wan}`);
  }
  if (spec.inputFirewall !== false) {
    // A packet to the router itself that belongs to nothing is dropped before conntrack keeps an entry.
    input.push('iifname "wan" ct state established,related accept');
    input.push('iifname "wan" drop');
  }
  const chain = (name: string, hook: string, rules: string[]) =>
    `  chain ${name} { ${hook}\n${rules.map((r) => `    ${r}\n`).join('')}  }\n`;
  return (
    'table ip lab {\n' +
    sets.map((s) => `  ${s}\n`).join('') +
    chain('pre', 'type nat hook prerouting priority dstnat;', pre) +
    chain('post', 'type nat hook postrouting priority srcnat;', post) +
    chain('forward', 'type filter hook forward priority filter;', forward) +
    chain('input', 'type filter hook input priority filter;', input) +
    chain('late', 'type filter hook postrouting priority 200;', late) +
    '}\n'
  );
}
