// The native UDP data path (packages/turn/native): Binding answers byte for byte as the TypeScript core's.
// The fast-path relay is in native-udp-relay.test.ts, malformed input and ICMP in native-udp-robustness.test.ts.
// Every server here asks for udpDataPath 'native', so these tests fail when the addon is not built.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AttributeType,
  decodeMessage,
  getAttribute,
  hasAttribute,
  MappedAddress,
  MessageClass,
  Method,
  verifyFingerprint,
  XorMappedAddress,
} from '@parley/stun';
import { closeSocket, udpSocket, until } from './harness.js';
import { ask, bindingRequest, start } from './native-harness.js';

describe('native UDP data path', () => {
  test('the server reports the native path', async () => {
    const server = await start();
    try {
      assert.equal(server.udpDataPath, 'native');
    } finally {
      await server.close();
    }
  });

  for (const host of ['127.0.0.1', '::1']) {
    test(`Binding over ${host}: XOR-MAPPED-ADDRESS and FINGERPRINT right, bytes as the node:dgram path's`, async () => {
      const native = await start({ listen: [{ transport: 'udp', host, port: 0 }] });
      const dgram = await start({ listen: [{ transport: 'udp', host, port: 0 }], udpDataPath: 'dgram' });
      assert.equal(dgram.udpDataPath, 'dgram');
      const client = await udpSocket(host);
      try {
        for (const fingerprint of [false, true]) {
          const tid = Buffer.from(
            Array.from({ length: 12 }, (_, i) => (i * 37 + (fingerprint ? 1 : 0)) & 0xff),
          );
          const req = bindingRequest(tid, fingerprint);
          const a = await ask(client, req, native.addresses[0]!.port, host);
          const b = await ask(client, req, dgram.addresses[0]!.port, host);
          assert.deepEqual(a, b, 'native and node:dgram answers differ');
          const msg = decodeMessage(a);
          assert.equal(msg.class, MessageClass.SuccessResponse);
          assert.equal(msg.method, Method.Binding);
          assert.deepEqual(Buffer.from(msg.transactionId), tid);
          const me = { address: host, port: client.address().port };
          const xor = getAttribute(msg, XorMappedAddress);
          assert.equal(xor?.address, me.address);
          assert.equal(xor?.port, me.port);
          assert.equal(getAttribute(msg, MappedAddress)?.port, me.port);
          assert.equal(hasAttribute(msg, AttributeType.Fingerprint), fingerprint);
          if (fingerprint) assert.ok(verifyFingerprint(msg));
        }
        // A request with a bad FINGERPRINT is not STUN: no answer (the core drops and counts it).
        const bad = bindingRequest(Buffer.alloc(12, 7), true);
        bad[27]! ^= 1;
        const before = client.inbox.length;
        const dropped = native.counters().dropped;
        client.send(bad, native.addresses[0]!.port, host);
        await until(() => native.counters().dropped > dropped, 'the drop');
        assert.equal(client.inbox.length, before);
      } finally {
        await closeSocket(client);
        await native.close();
        await dgram.close();
      }
    });
  }
});
