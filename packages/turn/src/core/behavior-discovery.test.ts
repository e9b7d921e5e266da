import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ChangeRequest,
  type DecodedStunMessage,
  decodeMessage,
  getAttribute,
  MessageClass,
  Method,
  OtherAddress,
  ResponseOrigin,
  ResponsePort,
  UnknownAttributes,
  XorMappedAddress,
} from '@parley/stun';
import { attr, LongTermClient } from '@parley/testing/turn';
import { from, newCore, T0 } from '../../test/core-harness.js';
import { DiscoveryTable } from './behavior-discovery.js';
import type { Action } from './types.js';

const SOCKETS = [
  { listener: 0, address: '203.0.113.10', port: 3478 },
  { listener: 3, address: '203.0.113.10', port: 3479 },
  { listener: 4, address: '203.0.113.11', port: 3478 },
  { listener: 5, address: '203.0.113.11', port: 3479 },
];

const client = () => new LongTermClient({ username: 'x', password: 'x' });

function binding(change?: { changeIp: boolean; changePort: boolean }, listener = 0) {
  const core = newCore();
  core.setBehaviorDiscovery(SOCKETS);
  const bytes = client().build(
    Method.Binding,
    MessageClass.Request,
    change ? [attr(ChangeRequest, change)] : [],
    {
      auth: false,
    },
  );
  return core.handleClient(bytes, { ...from, listener }, T0);
}

function only(actions: readonly Action[]): { listener: number; msg: DecodedStunMessage } {
  assert.equal(actions.length, 1);
  const a = actions[0]!;
  assert.equal(a.kind, 'to-client');
  if (a.kind !== 'to-client') throw new Error('unreachable');
  return { listener: a.client.listener, msg: decodeMessage(a.data) };
}

describe('RFC 5780 behaviour discovery', () => {
  test('a Binding answer names the other address and where it comes from', () => {
    const { listener, msg } = only(binding());
    assert.equal(listener, 0);
    assert.deepEqual(getAttribute(msg, XorMappedAddress), {
      family: 'IPv4',
      address: from.address,
      port: from.port,
    });
    assert.deepEqual(getAttribute(msg, OtherAddress), {
      family: 'IPv4',
      address: '203.0.113.11',
      port: 3479,
    });
    assert.deepEqual(getAttribute(msg, ResponseOrigin), {
      family: 'IPv4',
      address: '203.0.113.10',
      port: 3478,
    });
  });

  for (const [changeIp, changePort, listener, origin] of [
    [true, true, 5, '203.0.113.11:3479'],
    [false, true, 3, '203.0.113.10:3479'],
    [true, false, 4, '203.0.113.11:3478'],
    [false, false, 0, '203.0.113.10:3478'],
  ] as const) {
    test(`CHANGE-REQUEST ip ${changeIp}, port ${changePort}: answered from ${origin}`, () => {
      const out = only(binding({ changeIp, changePort }));
      assert.equal(out.listener, listener);
      const o = getAttribute(out.msg, ResponseOrigin)!;
      assert.equal(`${o.address}:${o.port}`, origin);
    });
  }

  test('on the alternate socket, OTHER-ADDRESS is the primary one', () => {
    const { msg } = only(binding(undefined, 5));
    assert.deepEqual(getAttribute(msg, OtherAddress), {
      family: 'IPv4',
      address: '203.0.113.10',
      port: 3478,
    });
  });

  test('without a second address, a CHANGE-REQUEST that asks for a change gets 420', () => {
    const core = newCore();
    const c = client();
    const ask = (change: { changeIp: boolean; changePort: boolean }) =>
      only(
        core.handleClient(
          c.build(Method.Binding, MessageClass.Request, [attr(ChangeRequest, change)], { auth: false }),
          from,
          T0,
        ),
      ).msg;
    const refused = ask({ changeIp: true, changePort: false });
    assert.equal(refused.class, MessageClass.ErrorResponse);
    assert.deepEqual(getAttribute(refused, UnknownAttributes), [0x0003]);
    const plain = ask({ changeIp: false, changePort: false });
    assert.equal(plain.class, MessageClass.SuccessResponse);
    assert.equal(getAttribute(plain, OtherAddress), undefined);
  });

  test('RESPONSE-PORT gets 420 on a discovery socket: answers never go to another port', () => {
    const core = newCore();
    core.setBehaviorDiscovery(SOCKETS);
    const bytes = client().build(Method.Binding, MessageClass.Request, [attr(ResponsePort, 9)], {
      auth: false,
    });
    const { listener, msg } = only(core.handleClient(bytes, from, T0));
    assert.equal(listener, 0);
    assert.equal(msg.class, MessageClass.ErrorResponse);
    assert.deepEqual(getAttribute(msg, UnknownAttributes), [0x0027]);
  });

  test('the table wants two addresses times two ports', () => {
    assert.throws(() => new DiscoveryTable(SOCKETS.slice(0, 3)), /two addresses times two ports/);
  });
});
