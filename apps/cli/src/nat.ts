/** `parley nat`: RFC 5780 NAT behaviour discovery against a Parley STUN server started with --stun-alternate-ip. */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { discoverNatBehavior, type NatReport } from '@parley/turn';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { StartedTurn } from './turn.js';

const DEFAULT_PORT = 3478;

/**
 * The STUN server from what a user may paste: `stun:host[:port]`, `host[:port]`, `[v6]:port`, or the
 * address of a Parley server (`https://host`, `ws://host:8080/ws`: its host, the STUN port 3478).
 */
export function parseStunServer(v: string): { host: string; port: number } {
  let rest = v.trim();
  if (/^(https?|wss?):\/\//.test(rest))
    return { host: new URL(rest).hostname.replace(/^\[|\]$/g, ''), port: DEFAULT_PORT };
  rest = rest.replace(/^stuns?:/, '').split('?')[0]!;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  const [host, port] = v6 ? [v6[1]!, v6[2]] : isIP(rest) === 6 ? [rest, undefined] : rest.split(':');
  const n = port === undefined ? DEFAULT_PORT : Number(port);
  if (!host || !Number.isInteger(n) || n < 1 || n > 65535)
    throw new InvalidArgumentError('a STUN server: stun:HOST[:PORT], HOST[:PORT] or a Parley server URL');
  return { host, port: n };
}

export function describeReport(r: NatReport): string {
  const lines = [`NAT type: ${r.summary}`, '', `  server            ${r.server}`];
  if (r.mapped) lines.push(`  public address    ${r.mapped}`);
  if (r.udp) lines.push(`  mapping           ${r.mapping}`, `  filtering         ${r.filtering}`);
  if (r.udp && !r.otherAddress)
    lines.push(
      '',
      'This server does not do RFC 5780 discovery (no OTHER-ADDRESS): start it with --stun-alternate-ip.',
    );
  return lines.join('\n');
}

export function natCommand(): Command {
  return new Command('nat')
    .description('find out how the NAT in front of this machine behaves (RFC 5780), in plain words')
    .addOption(
      new Option('-s, --server <url>', 'the STUN server (stun:HOST[:PORT]) or a Parley server URL')
        .env('PARLEY_STUN_SERVER')
        .default(`stun:127.0.0.1:${DEFAULT_PORT}`)
        .argParser(parseStunServer),
    )
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      '\nThe server needs a second address: parley serve --stun-alternate-ip ADDR.\nExample:\n  parley nat --server stun:parley.example.org',
    )
    .action(async (flags: { server: { host: string; port: number }; json?: boolean }) => {
      const host = isIP(flags.server.host) ? flags.server.host : (await lookup(flags.server.host)).address;
      const report = await discoverNatBehavior({ host, port: flags.server.port });
      console.log(flags.json ? JSON.stringify(report, null, 2) : describeReport(report));
    });
}

/**
 * With RFC 5780 discovery on, the ICE servers also name STUN on the alternate IP, right after the primary
 * STUN entry: the web app's check page compares the reflexive ports a browser gets from each.
 */
export function withAlternateStun<A extends unknown[], S extends { urls: string | string[] }>(
  iceServers: (...args: A) => S[],
  turn: StartedTurn,
): (...args: A) => (S | { urls: string[] })[] {
  const alt = turn.server.discoveryAddresses[2];
  if (!alt) return iceServers;
  const url = `stun:${alt.host.includes(':') ? `[${alt.host}]` : alt.host}:${alt.port}`;
  return (...args) => {
    const list: (S | { urls: string[] })[] = iceServers(...args);
    const at = list.findIndex((s) => [s.urls].flat().some((u) => u.startsWith('stun:'))) + 1;
    list.splice(at, 0, { urls: [url] });
    return list;
  };
}
