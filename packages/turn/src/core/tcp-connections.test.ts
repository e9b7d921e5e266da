import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ChannelNumber,
  ConnectionId,
  decodeMessage,
  getAttribute,
  MessageClass,
  Method,
  RequestedTransport,
  XorPeerAddress,
} from '@parley/stun';
import { attr, errorCode, type LongTermClient } from '@parley/testing/turn';
import { allocate, newCore, PEER, reply, request, restClient, T0 } from '../../test/core-harness.js';
import type { TurnCore } from './turn-core.js';
import type { Action, ClientAddress } from './types.js';

const TCP = attr(RequestedTransport, 6);
const control: ClientAddress = { listener: 1, transport: 'tcp', address: '192.0.2.10', port: 40000 };
const dataConn: ClientAddress = { ...control, port: 40001 };

function tcpAllocation(core: TurnCore, c: LongTermClient = restClient()) {
  const { id, response } = allocate(core, c, [TCP], T0, control);
  assert.equal(errorCode(response), undefined);
  return { c, id };
}

function connectAction(actions: readonly Action[]) {
  const a = actions.find((x) => x.kind === 'tcp-connect');
  assert.ok(a?.kind === 'tcp-connect', `no tcp-connect in ${actions.map((x) => x.kind)}`);
  return a;
}

describe('RFC 6062 TCP relay', () => {
  test('Allocate with REQUESTED-TRANSPORT TCP over TCP opens a TCP relay', () => {
    const core = newCore();
    const c = restClient();
    const { open } = allocate(core, c, [TCP], T0, control);
    assert.equal(open?.transport, 'tcp');
  });

  test('Connect opens a peer connection, answered with its CONNECTION-ID once up', () => {
    const core = newCore();
    const { c, id } = tcpAllocation(core);
    const connect = connectAction(
      request(core, c, Method.Connect, [attr(XorPeerAddress, PEER)], T0, control),
    );
    assert.deepEqual(connect.peer, { address: '8.8.8.8', port: 5000 });
    assert.equal(connect.allocation, id);
    const res = reply(c, core.tcpConnected(connect.connection, T0));
    assert.equal(res.class, MessageClass.SuccessResponse);
    assert.equal(getAttribute(res, ConnectionId), connect.connection);
  });

  test('a second Connect to the same peer is 446, a failed connection is 447', () => {
    const core = newCore();
    const { c } = tcpAllocation(core);
    const connect = connectAction(
      request(core, c, Method.Connect, [attr(XorPeerAddress, PEER)], T0, control),
    );
    assert.equal(
      errorCode(reply(c, request(core, c, Method.Connect, [attr(XorPeerAddress, PEER)], T0, control))),
      446,
    );
    assert.equal(errorCode(reply(c, core.tcpConnectFailed(connect.connection))), 447);
    // After the failure the peer may be tried again.
    connectAction(request(core, c, Method.Connect, [attr(XorPeerAddress, PEER)], T0, control));
  });

  test('Connect to a forbidden peer is 403; Connect on a UDP allocation is 400', () => {
    const core = newCore();
    const { c } = tcpAllocation(core);
    const loop = { family: 'IPv4', address: '127.0.0.1', port: 80 } as const;
    assert.equal(
      errorCode(reply(c, request(core, c, Method.Connect, [attr(XorPeerAddress, loop)], T0, control))),
      403,
    );
    const u = restClient('udp-user');
    allocate(core, u, [attr(RequestedTransport, 17)]);
    assert.equal(errorCode(reply(u, request(core, u, Method.Connect, [attr(XorPeerAddress, PEER)]))), 400);
  });

  test('ChannelBind on a TCP allocation is 400', () => {
    const core = newCore();
    const { c } = tcpAllocation(core);
    const res = reply(
      c,
      request(
        core,
        c,
        Method.ChannelBind,
        [attr(ChannelNumber, 0x4000), attr(XorPeerAddress, PEER)],
        T0,
        control,
      ),
    );
    assert.equal(errorCode(res), 400);
  });

  test('ConnectionBind on a new connection binds it to the peer connection, once', () => {
    const core = newCore();
    const { c } = tcpAllocation(core);
    const connect = connectAction(
      request(core, c, Method.Connect, [attr(XorPeerAddress, PEER)], T0, control),
    );
    reply(c, core.tcpConnected(connect.connection, T0));
    const bind = request(
      core,
      c,
      Method.ConnectionBind,
      [attr(ConnectionId, connect.connection)],
      T0,
      dataConn,
    );
    assert.equal(errorCode(reply(c, bind)), undefined);
    assert.deepEqual(bind.at(-1), { kind: 'tcp-bind', connection: connect.connection, client: dataConn });
    const again = { ...dataConn, port: 40002 };
    const second = request(
      core,
      c,
      Method.ConnectionBind,
      [attr(ConnectionId, connect.connection)],
      T0,
      again,
    );
    assert.equal(errorCode(reply(c, second)), 400, 'already bound');
    assert.equal(
      errorCode(reply(c, request(core, c, Method.ConnectionBind, [attr(ConnectionId, 12345)], T0, again))),
      400,
    );
  });

  test('ConnectionBind with another username is 441', () => {
    const core = newCore();
    const { c } = tcpAllocation(core);
    const connect = connectAction(
      request(core, c, Method.Connect, [attr(XorPeerAddress, PEER)], T0, control),
    );
    reply(c, core.tcpConnected(connect.connection, T0));
    const bob = restClient('bob');
    bob.realm = c.realm;
    bob.nonce = c.nonce;
    const res = reply(
      bob,
      request(core, bob, Method.ConnectionBind, [attr(ConnectionId, connect.connection)], T0, dataConn),
    );
    assert.equal(errorCode(res), 441);
  });

  test('an incoming peer connection with a permission yields a ConnectionAttempt; without, it is refused', () => {
    const core = newCore();
    const { c, id } = tcpAllocation(core);
    assert.equal(core.tcpPeerIncoming(id, '8.8.8.8', 6000, T0).connection, undefined, 'no permission');
    reply(c, request(core, c, Method.CreatePermission, [attr(XorPeerAddress, PEER)], T0, control));
    const { connection, actions } = core.tcpPeerIncoming(id, '8.8.8.8', 6000, T0);
    assert.ok(connection !== undefined);
    const sent = actions[0];
    assert.ok(sent?.kind === 'to-client');
    assert.deepEqual(sent.client, control);
    const msg = decodeMessage(sent.data);
    assert.equal(msg.method, Method.ConnectionAttempt);
    assert.equal(getAttribute(msg, ConnectionId), connection);
    assert.deepEqual(getAttribute(msg, XorPeerAddress), { family: 'IPv4', address: '8.8.8.8', port: 6000 });
    assert.equal(core.tcpPeerIncoming(id, '127.0.0.1', 6000, T0).connection, undefined, 'policy applies');
  });

  test('a peer connection not bound within 30 s is closed', () => {
    const core = newCore();
    const { c } = tcpAllocation(core);
    const connect = connectAction(
      request(core, c, Method.Connect, [attr(XorPeerAddress, PEER)], T0, control),
    );
    reply(c, core.tcpConnected(connect.connection, T0));
    assert.deepEqual(core.tick(T0 + 29_000), []);
    assert.deepEqual(core.tick(T0 + 30_000), [{ kind: 'tcp-close', connection: connect.connection }]);
    const late = request(
      core,
      c,
      Method.ConnectionBind,
      [attr(ConnectionId, connect.connection)],
      T0 + 31_000,
      dataConn,
    );
    assert.equal(errorCode(reply(c, late)), 400);
  });

  test('closing the control connection deletes the allocation and closes the relay', () => {
    const core = newCore();
    const { id } = tcpAllocation(core);
    assert.deepEqual(core.clientClosed(control), [{ kind: 'close-relay', allocation: id }]);
    assert.equal(core.counters().allocations, 0);
  });
});
