import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { turnCredential, turnIceServers } from './turn-credentials.js';

test('a TURN credential is expiry:user with base64(HMAC-SHA1(secret, username)) as password', () => {
  const { username, credential } = turnCredential('s3cret', 'peerA', 1_700_000_000_999);
  assert.equal(username, '1700000000:peerA');
  assert.equal(credential, createHmac('sha1', 's3cret').update('1700000000:peerA').digest('base64'));
});

test('each peer gets STUN and TURN URLs with its own credential that expires after the TTL', () => {
  const ice = turnIceServers(
    {
      secret: 'k',
      ttlSeconds: 600,
      stunUrls: ['stun:127.0.0.1:3478'],
      turnUrls: ['turn:127.0.0.1:3478?transport=udp'],
    },
    () => 1_000_000,
  );
  const [stun, turn] = ice('p1');
  assert.deepEqual(stun, { urls: ['stun:127.0.0.1:3478'] });
  assert.equal(turn?.username, `${1000 + 600}:p1`);
  assert.notEqual(ice('p2')[1]?.credential, turn?.credential);
});
