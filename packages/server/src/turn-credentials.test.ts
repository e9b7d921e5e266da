import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostOf } from './transport-ws.js';
import { type MintTurnCredential, parseIceUrl, turnIceServers } from './turn-credentials.js';

/** A stand-in for the TURN server's minting (tested in @parley/turn): it shows what it was asked for. */
const mint: MintTurnCredential = (user, expiresAtSec) => ({
  username: `${expiresAtSec}:${user}`,
  password: `pw-${user}`,
});

test('each peer gets STUN and TURN URLs with its own credential that expires after the TTL', () => {
  const ice = turnIceServers(
    {
      mint,
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
  assert.deepEqual(turnIceServers({ mint, endpoints })('p', { host: '::1' })[0]?.urls, ['stun:[::1]:3478']);
  assert.deepEqual(turnIceServers({ mint, endpoints, host: '203.0.113.7' })('p', { host: 'x' })[0]?.urls, [
    'stun:203.0.113.7:3478',
  ]);
  assert.equal(hostOf('example.com:8080'), 'example.com');
  assert.equal(hostOf('[::1]:8080'), '::1');
  assert.equal(hostOf('127.0.0.1'), '127.0.0.1');
});

test('other TURN servers (--turn-url) get the same credential, and a UDP one is a STUN server too', () => {
  const ice = turnIceServers(
    {
      mint,
      endpoints: [{ transport: 'udp', port: 3478 }],
      urls: ['turn:turn2.example.com:3478?transport=udp', 'turns:turn2.example.com:5349?transport=tcp'],
    },
    () => 1_000_000,
  );
  const [stun, turn] = ice('p1', { host: 'a.example.com' });
  assert.deepEqual(stun?.urls, ['stun:a.example.com:3478', 'stun:turn2.example.com:3478']);
  assert.deepEqual(turn?.urls, [
    'turn:a.example.com:3478?transport=udp',
    'turn:turn2.example.com:3478?transport=udp',
    'turns:turn2.example.com:5349?transport=tcp',
  ]);
  const only = turnIceServers({ mint, endpoints: [], urls: ['turn:[2001:db8::1]:3478'] })('p2', {});
  assert.deepEqual(only[0]?.urls, ['stun:[2001:db8::1]:3478']);
  assert.deepEqual(only[1]?.urls, ['turn:[2001:db8::1]:3478']);
  assert.match(only[1]?.username ?? '', /^\d+:p2$/);
});

test('STUN and TURN URLs read back as they are built, and what is not one reads as undefined', () => {
  assert.deepEqual(parseIceUrl('turns:turn.example.com:443?transport=tcp'), {
    scheme: 'turns',
    host: 'turn.example.com',
    port: 443,
    transport: 'tls',
  });
  assert.deepEqual(parseIceUrl('turn:[2001:db8::1]'), {
    scheme: 'turn',
    host: '2001:db8::1',
    port: 3478,
    transport: 'udp',
  });
  assert.equal(parseIceUrl('turn:10.0.0.1:3478?transport=tcp')?.transport, 'tcp');
  assert.equal(parseIceUrl('stun:10.0.0.1')?.port, 3478);
  for (const bad of [
    'http://x',
    'turn:',
    'turn:x:70000',
    'stun:x?transport=tcp',
    'turn:x?transport=sctp',
    'turn:a b',
  ])
    assert.equal(parseIceUrl(bad), undefined, bad);
});
