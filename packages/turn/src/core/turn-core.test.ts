import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ChannelNumber,
  Data,
  encodeChannelData,
  Lifetime,
  MessageClass,
  Method,
  XorPeerAddress,
} from '@parley/stun';
import { attr, LongTermClient } from '@parley/testing/turn';
import {
  allocate,
  from,
  newCore,
  PEER,
  reply,
  request,
  restClient,
  T0,
  UDP,
} from '../../test/core-harness.js';

describe('robustness', () => {
  test('random and mutated input never throws and never answers a non-request', () => {
    const core = newCore();
    const c = restClient();
    const { id } = allocate(core, c);
    reply(c, request(core, c, Method.ChannelBind, [attr(ChannelNumber, 0x4001), attr(XorPeerAddress, PEER)]));
    const seeds = [
      c.build(Method.Allocate, MessageClass.Request, [UDP, attr(Lifetime, 600)]),
      c.build(Method.CreatePermission, MessageClass.Request, [attr(XorPeerAddress, PEER)]),
      c.build(
        Method.Send,
        MessageClass.Indication,
        [attr(XorPeerAddress, PEER), attr(Data, new Uint8Array(20))],
        { auth: false },
      ),
      encodeChannelData(0x4001, new Uint8Array(32)),
    ];
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let i = 0; i < 20_000; i++) {
      const base = seeds[i % seeds.length]!;
      const bytes = i % 5 === 0 ? new Uint8Array(rand() % 120).map(() => rand() & 0xff) : base.slice();
      for (let k = rand() % 4; k >= 0 && bytes.length > 0; k--) bytes[rand() % bytes.length] = rand() & 0xff;
      const out = core.handleClient(bytes, from, T0);
      for (const a of out)
        assert.ok(
          a.kind === 'to-client' ||
            a.kind === 'to-peer' ||
            a.kind === 'open-relay' ||
            a.kind === 'close-relay',
        );
      core.handlePeer(id, bytes, '8.8.8.8', 5000, T0);
    }
    assert.ok(core.counters().dropped > 0);
    const b = new LongTermClient({ username: '', password: '' });
    assert.equal(
      reply(b, core.handleClient(b.build(Method.Binding, MessageClass.Request), from, T0)).class,
      MessageClass.SuccessResponse,
    );
  });
});
