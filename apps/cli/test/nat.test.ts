import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseStunServer } from '../src/nat.js';

const bin = fileURLToPath(new URL('../bin/parley.js', import.meta.url));

test('parley nat takes the STUN server as a user would paste it', () => {
  assert.deepEqual(parseStunServer('stun:203.0.113.10'), { host: '203.0.113.10', port: 3478 });
  assert.deepEqual(parseStunServer('stun:203.0.113.10:3490'), { host: '203.0.113.10', port: 3490 });
  assert.deepEqual(parseStunServer('example.org:19302'), { host: 'example.org', port: 19302 });
  assert.deepEqual(parseStunServer('[2001:db8::1]:3478'), { host: '2001:db8::1', port: 3478 });
  assert.deepEqual(parseStunServer('2001:db8::1'), { host: '2001:db8::1', port: 3478 });
  assert.deepEqual(parseStunServer('https://parley.example.org/#/check'), {
    host: 'parley.example.org',
    port: 3478,
  });
  assert.deepEqual(parseStunServer('ws://10.0.0.5:8080/ws'), { host: '10.0.0.5', port: 3478 });
  for (const bad of ['stun:host:0', 'stun:host:99999', 'stun::3478', 'host:port'])
    assert.throws(() => parseStunServer(bad), /a STUN server/, bad);
});

test('parley nat with a bad --server exits 1 with the reason', () => {
  const r = spawnSync(process.execPath, [bin, 'nat', '--server', 'stun:host:99999'], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /a STUN server: stun:HOST\[:PORT\]/);
});
