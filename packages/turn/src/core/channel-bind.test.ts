import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ChannelNumber,
  decodeChannelData,
  decodeMessage,
  encodeChannelData,
  Lifetime,
  MessageClass,
  Method,
  XorPeerAddress,
} from '@parley/stun';
import { attr, errorCode } from '@parley/testing/turn';
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
import type { TurnCoreOptions } from './turn-core.js';
import type { ClientAddress } from './types.js';

describe('channels', () => {
  function bound(options: Partial<TurnCoreOptions> = {}) {
    const core = newCore(options);
    const c = restClient();
    const { id } = allocate(core, c);
    const res = reply(
      c,
      request(core, c, Method.ChannelBind, [attr(ChannelNumber, 0x4001), attr(XorPeerAddress, PEER)]),
    );
    assert.equal(res.class, MessageClass.SuccessResponse);
    return { core, c, id };
  }

  test('ChannelData from the client reaches the bound peer', () => {
    const { core, id } = bound();
    const out = core.handleClient(encodeChannelData(0x4001, new Uint8Array([7, 7])), from, T0);
    assert.deepEqual(out, [
      {
        kind: 'to-peer',
        allocation: id,
        peer: { address: '8.8.8.8', port: 5000 },
        data: new Uint8Array([7, 7]),
      },
    ]);
    assert.deepEqual(
      core.handleClient(encodeChannelData(0x4002, new Uint8Array([7])), from, T0),
      [],
      'unbound number',
    );
    assert.equal(core.counters().channels, 1);
  });

  test('peer data from the bound address comes back as ChannelData, padded for TCP clients', () => {
    const { core, id } = bound();
    const out = core.handlePeer(id, new Uint8Array([1, 2, 3]), '8.8.8.8', 5000, T0);
    assert.equal(out.length, 1);
    const first = out[0]!;
    assert.ok(first.kind === 'to-client');
    assert.deepEqual(decodeChannelData(new Uint8Array(first.data)), {
      channel: 0x4001,
      data: new Uint8Array([1, 2, 3]),
    });
    assert.equal(first.data.length, 7);
    const tcp = newCore();
    const c = restClient();
    const tcpFrom: ClientAddress = { ...from, transport: 'tcp' };
    const { id: tid } = allocate(tcp, c, [UDP], T0, tcpFrom);
    reply(
      c,
      request(
        tcp,
        c,
        Method.ChannelBind,
        [attr(ChannelNumber, 0x4001), attr(XorPeerAddress, PEER)],
        T0,
        tcpFrom,
      ),
    );
    const padded = tcp.handlePeer(tid, new Uint8Array([1, 2, 3]), '8.8.8.8', 5000, T0)[0];
    assert.ok(padded?.kind === 'to-client');
    assert.equal(padded.data.length, 8);
  });

  test('binding conflicts and bad numbers get 400; rebinding the same pair refreshes', () => {
    const { core, c } = bound();
    const bind = (n: number, port: number) =>
      errorCode(
        reply(
          c,
          request(core, c, Method.ChannelBind, [
            attr(ChannelNumber, n),
            attr(XorPeerAddress, { ...PEER, port }),
          ]),
        ),
      );
    assert.equal(bind(0x4001, 5001), 400, 'number already bound to another peer');
    assert.equal(bind(0x4002, 5000), 400, 'peer already bound to another number');
    assert.equal(bind(0x3fff, 5002), 400);
    assert.equal(bind(0x8000, 5002), 400);
    assert.equal(bind(0x7fff, 5003), undefined, 'RFC 5766 numbers up to 0x7FFF are accepted');
    assert.equal(bind(0x4001, 5000), undefined);
    assert.equal(
      errorCode(reply(c, request(core, c, Method.ChannelBind, [attr(ChannelNumber, 0x4003)]))),
      400,
    );
  });

  test('ChannelBind to a forbidden peer gets 403', () => {
    const { core, c } = bound();
    const res = reply(
      c,
      request(core, c, Method.ChannelBind, [
        attr(ChannelNumber, 0x4005),
        attr(XorPeerAddress, { family: 'IPv6', address: '::ffff:7f00:1', port: 1 }),
      ]),
    );
    assert.equal(errorCode(res), 403);
  });

  test('a channel expires after 600 s and its number is free again after the 300 s cooldown', () => {
    const { core, c, id } = bound({ nonceLifetimeSec: 3600 });
    // Keep the allocation and permission alive.
    reply(c, request(core, c, Method.Refresh, [attr(Lifetime, 3600)], T0));
    reply(c, request(core, c, Method.CreatePermission, [attr(XorPeerAddress, PEER)], T0 + 290_000));
    reply(c, request(core, c, Method.CreatePermission, [attr(XorPeerAddress, PEER)], T0 + 580_000));
    core.tick(T0 + 600_000);
    assert.equal(core.counters().channels, 0);
    const peerData = core.handlePeer(id, new Uint8Array([1]), '8.8.8.8', 5000, T0 + 600_000)[0];
    assert.ok(peerData?.kind === 'to-client');
    assert.equal(decodeMessage(peerData.data).method, Method.Data, 'falls back to Data indications');
    const rebind = (now: number) =>
      errorCode(
        reply(
          c,
          request(
            core,
            c,
            Method.ChannelBind,
            [attr(ChannelNumber, 0x4001), attr(XorPeerAddress, { ...PEER, port: 6000 })],
            now,
          ),
        ),
      );
    assert.equal(rebind(T0 + 700_000), 400);
    core.tick(T0 + 900_000);
    assert.equal(rebind(T0 + 900_000), undefined);
  });

  test('the bandwidth cap drops what exceeds the per-allocation budget', () => {
    const { core } = bound({ quotas: { bytesPerSecondPerAllocation: 1000 } });
    const chunk = encodeChannelData(0x4001, new Uint8Array(400));
    const sent = [0, 1, 2, 3].map(() => core.handleClient(chunk, from, T0).length);
    assert.deepEqual(sent, [1, 1, 0, 0]);
    assert.equal(core.handleClient(chunk, from, T0 + 500).length, 1, 'refilled after half a second');
  });
});
