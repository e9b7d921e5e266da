import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFrames, parseMembers, parsePresence, streamIdAfter } from './cluster-messages.js';

/** A record as the SEND script writes it (its length in bytes, as Lua's `#`). */
const record = (id: string, entry: string, body: string) =>
  Buffer.concat([Buffer.from(`${id}\n${entry}\n${Buffer.byteLength(body)}\n`), Buffer.from(body)]);

test('a batch of frames splits into its records, bodies with newlines and multi-byte text intact', () => {
  const bodies = ['"type":"message","data":"a\\nb"}\n', '"data":"zweite ✓ 🚀"\n\n}', ''];
  const batch = Buffer.concat(bodies.map((b, i) => record(`peer${i}`, `17-${i}`, b)));
  const got: [string, string, string][] = [];
  parseFrames(batch, (id, entry, body) => got.push([id, entry, body]));
  assert.deepEqual(
    got,
    bodies.map((b, i) => [`peer${i}`, `17-${i}`, b]),
  );
});

test('a cut-off or garbled record is dropped with whatever follows it, never read past the end', () => {
  const whole = record('p', '1-0', '"x":1}');
  const got: string[] = [];
  parseFrames(Buffer.concat([whole, whole.subarray(0, whole.length - 2)]), (id) => got.push(id));
  assert.deepEqual(got, ['p']);
  got.length = 0;
  parseFrames(Buffer.from('p\n1-0\nnot a length\nbody'), (id) => got.push(id));
  parseFrames(Buffer.from('p\n1-0'), (id) => got.push(id));
  assert.deepEqual(got, []);
});

test('presence events: joined (descriptor with newlines kept whole), left, moved', () => {
  assert.deepEqual(parsePresence('j\nid1\nroom\nnodeA\n1\n{"id":"id1","metadata":{}}'), {
    kind: 'joined',
    id: 'id1',
    room: 'room',
    node: 'nodeA',
    announce: true,
    descriptor: '{"id":"id1","metadata":{}}',
  });
  assert.deepEqual(parsePresence('l\nid1\ntimeout\n1'), { kind: 'left', id: 'id1', reason: 'timeout' });
  assert.deepEqual(parsePresence('l\nid1\nleft\n0'), { kind: 'left', id: 'id1', reason: undefined });
  assert.deepEqual(parsePresence('m\nid1\nnodeB'), { kind: 'moved', id: 'id1', node: 'nodeB' });
  assert.equal(parsePresence('x\nwhat'), undefined);
});

test('members of a room without this peer and this node; stream ids in order', () => {
  assert.deepEqual(
    parseMembers(['me', 'n1\n{}', 'other', 'n2\n{"id":"other"}', 'local', 'n1\n{}'], 'me', 'n1'),
    [['other', 'n2', '{"id":"other"}']],
  );
  assert.ok(streamIdAfter('10-1', '10-0'));
  assert.ok(streamIdAfter('11-0', '10-5'));
  assert.ok(!streamIdAfter('10-0', '10-0'));
  assert.ok(!streamIdAfter('9-9', '10-0'));
});
