import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeClientFrame, decodeServerFrame, negotiateVersion } from './index.js';

test('a valid join decodes with its fields', () => {
  const r = decodeClientFrame('{"type":"join","room":"demo-1","metadata":{"name":"Ann"}}');
  assert.ok(r.ok);
  assert.deepEqual(r.frame, { type: 'join', room: 'demo-1', metadata: { name: 'Ann' } });
});

test('bad client frames yield typed results that say where, never a throw', () => {
  const cases: [string, string, RegExp?][] = [
    ['', 'BAD_JSON'],
    ['null', 'BAD_JSON'],
    ['{"type":1}', 'BAD_FRAME'],
    ['{"type":"constructor"}', 'UNKNOWN_TYPE'],
    ['{"type":"toString"}', 'UNKNOWN_TYPE'],
    ['{"type":"join","room":""}', 'BAD_FRAME', /\/room/],
    ['{"type":"signal","to":"a","data":{"description":{"type":"nope","sdp":""}}}', 'BAD_FRAME', /\/data/],
    ['{"type":"ack","seq":-1}', 'BAD_FRAME', /\/seq/],
    ['{"type":"message","data":1,"seq":5}', 'BAD_FRAME'],
  ];
  for (const [text, code, where] of cases) {
    const r = decodeClientFrame(text);
    assert.equal(r.ok, false, text);
    if (r.ok) continue;
    assert.equal(r.code, code, text);
    if (where) assert.match(r.message, where);
  }
});

test('random bytes never make the decoder throw', () => {
  let seed = 42;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  const pieces = [
    '{',
    '}',
    '"type"',
    ':',
    '"join"',
    '"room"',
    '"r"',
    ',',
    '[',
    ']',
    'null',
    '1',
    '"signal"',
    '"data"',
  ];
  for (let i = 0; i < 5000; i++) {
    let s = '';
    const n = rnd() % 12;
    for (let j = 0; j < n; j++) s += pieces[rnd() % pieces.length];
    const r = decodeClientFrame(s);
    assert.equal(typeof r.ok, 'boolean');
  }
});

test('server frames are validated too', () => {
  assert.ok(decodeServerFrame('{"seq":1,"type":"peer-left","peerId":"abc","reason":"left"}').ok);
  assert.equal(decodeServerFrame('{"seq":0,"type":"peer-left","peerId":"abc","reason":"left"}').ok, false);
});

test('version negotiation picks the highest common version and refuses others', () => {
  assert.equal(negotiateVersion(['parley.v1', 'parley.v7']), 1);
  assert.equal(negotiateVersion(['parley.v2']), undefined);
  assert.equal(negotiateVersion(['chat', 'parley.v01']), undefined);
});
