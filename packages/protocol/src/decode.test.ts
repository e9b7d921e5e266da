import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CLIENT_FRAMES, decodeClientFrame, decodeServerFrame, negotiateVersion } from './index.js';

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

test('random input decodes to a frame or to a typed error with a known code and a message, never a throw', () => {
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
  const seeds: Record<string, unknown>[] = [
    { type: 'join', room: 'r', metadata: { name: 'a' } },
    { type: 'signal', to: 'p1', data: { candidate: null } },
    { type: 'message', data: 1 },
    { type: 'ack', seq: 3 },
    { type: 'resume', token: 't', lastSeq: 0 },
  ];
  const outcomes = new Set<string>();
  for (let i = 0; i < 5000; i++) {
    let s = '';
    if (i % 2 === 0) {
      const n = rnd() % 12;
      for (let j = 0; j < n; j++) s += pieces[rnd() % pieces.length];
    } else {
      // A valid frame with one field changed, dropped or added.
      const frame: Record<string, unknown> = { ...seeds[rnd() % seeds.length] };
      const keys = Object.keys(frame);
      const key = rnd() % 4 === 0 ? 'extra' : (keys[rnd() % keys.length] as string);
      const values = [null, 1, -1, 'x', '', [], {}, true, 'join', 'warp', 'A'.repeat(70)];
      if (rnd() % 3 === 0) delete frame[key];
      else if (rnd() % 2 === 0) frame[key] = values[rnd() % values.length];
      s = JSON.stringify(frame);
    }
    const r = decodeClientFrame(s);
    if (r.ok) {
      assert.ok(Object.hasOwn(CLIENT_FRAMES, r.frame.type), s);
      outcomes.add('ok');
      continue;
    }
    assert.ok(['BAD_JSON', 'UNKNOWN_TYPE', 'BAD_FRAME'].includes(r.code), `${s}: ${r.code}`);
    assert.equal(typeof r.message, 'string');
    assert.ok(r.message.length > 0, s);
    outcomes.add(r.code);
  }
  // The generator reaches every outcome, so the loop above checked each kind.
  assert.deepEqual([...outcomes].sort(), ['BAD_FRAME', 'BAD_JSON', 'UNKNOWN_TYPE', 'ok']);
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
