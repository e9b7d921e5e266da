/**
 * STUN and TURN seen from outside, with the credentials a probe join was handed: a Binding (the reflexive
 * address), an allocation over each transport offered, and a round trip through two relayed addresses.
 */
import { isIP } from 'node:net';
import type { IceServerConfig } from '@parley/protocol/client';
import {
  Data,
  decodeMessage,
  getAttribute,
  MessageClass,
  Method,
  type TransportAddress,
  XorMappedAddress,
} from '@parley/stun';
import { StreamTurnClient, type TurnClientBase, TurnError, UdpTurnClient } from '@parley/turn/client';
import { type IceTarget, iceTargets } from './ice-targets.js';
import { type CheckResult, fail, pass, skip } from './report.js';
import { resolveHost } from './target.js';

export interface TurnOptions {
  timeoutMs: number;
  ca?: string;
}

const NO_TURN_FIX =
  'run parley serve without --no-turn, or hand out another TURN server with --turn-url and --turn-secret';

/** stun, turn-udp, turn-tcp, turn-tls and relay. */
export async function turnChecks(
  servers: readonly IceServerConfig[],
  o: TurnOptions,
): Promise<CheckResult[]> {
  const { stun, turn } = iceTargets(servers);
  const results = [await stunCheck(stun[0], o)];
  if (!turn.length) {
    results.push(
      fail(
        'turn',
        'the server hands out no TURN server: peers behind strict NATs cannot connect',
        NO_TURN_FIX,
      ),
    );
    return results;
  }
  for (const transport of ['udp', 'tcp', 'tls'] as const) {
    const t = turn.find((x) => x.transport === transport);
    results.push(t ? await allocationCheck(t, o) : notOffered(transport));
  }
  const relayVia = turn.find((x) => x.transport === 'udp') ?? turn[0]!;
  results.push(await relayCheck(relayVia, o));
  return results;
}

function notOffered(transport: IceTarget['transport']): CheckResult {
  const id = `turn-${transport}`;
  if (transport === 'tls')
    return skip(
      id,
      'no turns: URL handed out',
      'TURN over TLS (port 5349 or 443) passes strict firewalls: --turn-cert/--turn-key, or a --turn-url turns:…',
    );
  return skip(id, `no TURN URL over ${transport.toUpperCase()} handed out`);
}

/** A client of the target's transport, sending from any local address of the right family. */
async function open(t: IceTarget, o: TurnOptions): Promise<TurnClientBase & { close(): unknown }> {
  const { address, family } = await resolveHost(t.host);
  const server = { host: address, port: t.port };
  const credential = { username: t.username ?? '', password: t.credential ?? '' };
  const local = family === 6 ? '::' : '0.0.0.0';
  if (t.transport === 'udp')
    return UdpTurnClient.open(server, credential, local, {
      rtoMs: 500,
      tries: Math.max(2, Math.ceil(o.timeoutMs / 500)),
    });
  // The certificate is checked against the host of the URL: a name (sent as SNI) or an address.
  const name = { servername: isIP(t.host) ? undefined : t.host };
  const opening = StreamTurnClient.open(server, credential, local, {
    tls: t.transport === 'tls',
    tlsOptions: { rejectUnauthorized: true, host: t.host, ...name, ...(o.ca ? { ca: o.ca } : {}) },
  });
  // A port a firewall drops would keep a TCP connect waiting for minutes.
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      void opening.then(
        (c) => c.close(),
        () => {},
      );
      reject(
        new Error(
          `no ${t.transport.toUpperCase()} connection to ${t.host}:${t.port} within ${o.timeoutMs} ms`,
        ),
      );
    }, o.timeoutMs);
  });
  try {
    return await Promise.race([opening, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function stunCheck(t: IceTarget | undefined, o: TurnOptions): Promise<CheckResult> {
  if (!t) return fail('stun', 'the server hands out no STUN server', NO_TURN_FIX);
  let client: Awaited<ReturnType<typeof open>> | undefined;
  try {
    client = await open(t, o);
    const res = await client.request(Method.Binding, [], { auth: false });
    const mapped = getAttribute(res, XorMappedAddress);
    if (res.class !== MessageClass.SuccessResponse || !mapped)
      return fail('stun', `${t.url}: Binding answered without XOR-MAPPED-ADDRESS`, 'is that a STUN server?');
    return pass('stun', `${t.url} sees this machine as ${show(mapped)}`);
  } catch (err) {
    return fail('stun', `${t.url}: ${(err as Error).message}`, udpFix(t));
  } finally {
    await client?.close();
  }
}

function udpFix(t: IceTarget): string {
  return `open ${t.transport.toUpperCase()} port ${t.port} on the TURN host's firewall (and forward it through any NAT); behind 1:1 NAT give parley serve --turn-external-ip`;
}

async function allocationCheck(t: IceTarget, o: TurnOptions): Promise<CheckResult> {
  const id = `turn-${t.transport}`;
  let client: Awaited<ReturnType<typeof open>> | undefined;
  try {
    client = await open(t, o);
    const relayed = await client.allocateRelay();
    await client.refresh(0).catch(() => {});
    return pass(id, `${t.url}: allocated relay ${show(relayed)}`);
  } catch (err) {
    return fail(id, `${t.url}: ${turnError(err)}`, turnFix(err, t));
  } finally {
    await client?.close();
  }
}

/** Two allocations that permit each other; a datagram goes A → B and back through both relays. */
async function relayCheck(t: IceTarget, o: TurnOptions): Promise<CheckResult> {
  const clients: Awaited<ReturnType<typeof open>>[] = [];
  try {
    const a = await open(t, o);
    clients.push(a);
    const b = await open(t, o);
    clients.push(b);
    const relayA = await a.allocateRelay();
    const relayB = await b.allocateRelay();
    await a.createPermission(relayB);
    await b.createPermission(relayA);
    const started = Date.now();
    await through(a, b, relayB, 'parley doctor: ping', o.timeoutMs);
    await through(b, a, relayA, 'parley doctor: pong', o.timeoutMs);
    await Promise.all([a.refresh(0), b.refresh(0)]).catch(() => {});
    return pass(
      'relay',
      `${show(relayA)} ⇄ ${show(relayB)} via ${t.url}: round trip in ${Date.now() - started} ms`,
    );
  } catch (err) {
    return fail('relay', `${t.url}: ${turnError(err)}`, turnFix(err, t));
  } finally {
    for (const c of clients) await c.close();
  }
}

/** Sends `text` from `from` to the relayed address `to` of `by` until it arrives (a few tries over UDP). */
async function through(
  from: TurnClientBase,
  by: TurnClientBase,
  to: TransportAddress,
  text: string,
  ms: number,
) {
  const payload = new TextEncoder().encode(text);
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    from.sendTo(to, payload);
    for (let i = 0; i < 10; i++) {
      if (by.other.some((bytes) => carries(bytes, text))) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`nothing arrived through the relay within ${ms} ms`);
}

/** Whether `bytes` is a Data indication carrying `text`. */
function carries(bytes: Uint8Array, text: string): boolean {
  try {
    const msg = decodeMessage(bytes);
    if (msg.method !== Method.Data || msg.class !== MessageClass.Indication) return false;
    const data = getAttribute(msg, Data);
    return data !== undefined && new TextDecoder().decode(data) === text;
  } catch {
    return false;
  }
}

function turnError(err: unknown): string {
  if (err instanceof TurnError && err.code === 401) return 'the credentials were refused (401 Unauthorized)';
  if (err instanceof TurnError && err.code === 403) return 'refused (403 Forbidden)';
  return (err as Error).message;
}

function turnFix(err: unknown, t: IceTarget): string {
  if (err instanceof TurnError && err.code === 401)
    return 'the TURN server checks another secret: give it the same one as parley serve --turn-secret (coturn: use-auth-secret, static-auth-secret), on every node; and keep clocks in sync';
  if (err instanceof TurnError && err.code === 403)
    return 'the TURN server will not relay between its own relayed addresses: are they private ones? give parley serve --turn-external-ip, or a public --turn-relay-ip (on a LAN: --turn-allow-peer CIDR for its addresses)';
  if (err instanceof TurnError && (err.code === 486 || err.code === 508))
    return 'a TURN quota is used up (see /metrics parley_turn_*): raise it with the --turn-… limit flags';
  if (/certificate|self.signed|CERT/i.test((err as Error).message))
    return 'TURN over TLS needs a certificate browsers trust for its host name (--turn-cert/--turn-key, or --tls-cert)';
  return udpFix(t);
}

function show(a: TransportAddress): string {
  return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}
