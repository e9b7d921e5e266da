// Drives a TurnCore in unit tests: a fake clock (T0), a REST client, the 401 dance, replies picked out.
import assert from 'node:assert/strict';
import {
  type DecodedStunMessage,
  MessageClass,
  Method,
  RequestedTransport,
  type TransportAddress,
} from '@parley/stun';
import { type Attr, attr, errorCode, LongTermClient } from '@parley/testing/turn';
import { mintRestCredential } from '../src/core/auth/rest-credentials.js';
import { TurnCore, type TurnCoreOptions } from '../src/core/turn-core.js';
import type { Action, ClientAddress } from '../src/core/types.js';

export const T0 = Date.UTC(2026, 0, 1);
export const SECRET = 's3cret';
export const UDP = attr(RequestedTransport, 17);
export const from: ClientAddress = { listener: 0, transport: 'udp', address: '192.0.2.10', port: 40000 };
export const PEER: TransportAddress = { family: 'IPv4', address: '8.8.8.8', port: 5000 };

export function newCore(options: Partial<TurnCoreOptions> = {}): TurnCore {
  return new TurnCore({
    realm: 'parley',
    secrets: [SECRET],
    relayAddresses: { IPv4: '198.51.100.1', IPv6: '2001:db8::1' },
    ...options,
  });
}

export function restClient(user = 'alice', expires = T0 / 1000 + 3600): LongTermClient {
  return new LongTermClient(mintRestCredential(SECRET, user, expires));
}

/** The single message sent to the client among `actions`. */
export function reply(c: LongTermClient, actions: readonly Action[]): DecodedStunMessage {
  const sent = actions.filter((a) => a.kind === 'to-client');
  assert.equal(sent.length, 1, `expected one reply, got ${actions.map((a) => a.kind).join(', ')}`);
  return c.read((sent[0] as { data: Uint8Array }).data);
}

export function request(
  core: TurnCore,
  c: LongTermClient,
  method: number,
  attrs: Attr[] = [],
  now = T0,
  src = from,
) {
  return core.handleClient(c.build(method, MessageClass.Request, attrs), src, now);
}

/** Runs the 401 challenge and an authenticated Allocate; the relay socket "binds" on `port`. */
export function allocate(
  core: TurnCore,
  c: LongTermClient,
  attrs: Attr[] = [UDP],
  now = T0,
  src = from,
  port = 50000,
) {
  const challenge = reply(
    c,
    core.handleClient(c.build(Method.Allocate, MessageClass.Request, attrs, { auth: false }), src, now),
  );
  assert.equal(errorCode(challenge), 401);
  const actions = request(core, c, Method.Allocate, attrs, now, src);
  const open = actions.find((a) => a.kind === 'open-relay');
  if (open?.kind !== 'open-relay') return { id: -1, open: undefined, response: reply(c, actions) };
  return { id: open.allocation, open, response: reply(c, core.relayOpened(open.allocation, port)) };
}
