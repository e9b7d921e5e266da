import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSpecialPurpose, relayFailure } from './relay-check.js';

test('special-purpose addresses: the ranges a relay refuses by default', () => {
  for (const a of [
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '192.0.2.2',
    '100.64.0.1',
    '::1',
    'fd00::2',
    'fe80::1',
  ])
    assert.ok(isSpecialPurpose(a), a);
  for (const a of ['8.8.8.8', '172.32.0.1', '2606:4700::1111', 'relay.example'])
    assert.ok(!isSpecialPurpose(a), a);
});

test('a relay that allocates but carries nothing: the likely cause in plain words', () => {
  const onLoopback = relayFailure(['127.0.0.1:5000', '127.0.0.1:5002'], [], false, 0, 10_000);
  assert.match(onLoopback, /allocates addresses \(127\.0\.0\.1:5000, 127\.0\.0\.1:5002\) but no data passed/);
  assert.match(onLoopback, /peers' addresses are 127\.0\.0\.1, in a range .* the relay refuses to send to/);
  assert.match(onLoopback, /--turn-allow-peer/);
  const publicRelay = relayFailure(['[2606:4700::1]:5000'], [], false, 0, 10_000);
  assert.match(publicRelay, /refuses to send to the peers' addresses, or a firewall/);
  assert.match(relayFailure([], ['701 timeout'], false, 0, 10_000), /gave no address \(701 timeout\)/);
  assert.match(relayFailure(['8.8.8.8:1'], [], true, 3, 10_000), /only 3 of 20 messages came back/);
});
