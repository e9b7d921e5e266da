import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { hostOf } from './transport-ws.js';
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
      endpoints: [
        { transport: 'udp', port: 3478 },
        { transport: 'tcp', port: 3478 },
        { transport: 'tls', port: 5349 },
      ],
    },
    () => 1_000_000,
  );
  const [stun, turn] = ice('p1', { host: 'turn.example.com' });
  assert.deepEqual(stun, { urls: ['stun:turn.example.com:3478'] });
  assert.deepEqual(turn?.urls, [
    'turn:turn.example.com:3478?transport=udp',
    'turn:turn.example.com:3478?transport=tcp',
    'turns:turn.example.com:5349?transport=tcp',
  ]);
  assert.equal(turn?.username, `${1000 + 600}:p1`);
  assert.notEqual(ice('p2', {})[1]?.credential, turn?.credential);
});

test('URLs follow the host the client used, with IPv6 in brackets, unless a host is fixed', () => {
  const endpoints = [{ transport: 'udp' as const, port: 3478 }];
  assert.deepEqual(turnIceServers({ secret: 'k', endpoints })('p', { host: '::1' })[0]?.urls, [
    'stun:[::1]:3478',
  ]);
  assert.deepEqual(
    turnIceServers({ secret: 'k', endpoints, host: '203.0.113.7' })('p', { host: 'x' })[0]?.urls,
    ['stun:203.0.113.7:3478'],
  );
  assert.equal(hostOf('example.com:8080'), 'example.com');
  assert.equal(hostOf('[::1]:8080'), '::1');
  assert.equal(hostOf('127.0.0.1'), '127.0.0.1');
});
