import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { schema } from './schema.js';
import { decodeFrame, encodePing, encodePong, encodeState, encodeWorld, playerTag } from './wire.js';

const pos = schema({ x: 'f32', y: 'f32', hp: 'u8', it: 'bool', score: 'i16' });

describe('game schema and frames', () => {
  it('encodes a record in the declared fixed size and decodes it back, typed', () => {
    assert.equal(pos.size, 12);
    const bytes = pos.encode({ x: 1.5, y: -2.25, hp: 200, it: true, score: -7 });
    assert.equal(bytes.byteLength, 12);
    assert.deepEqual(pos.decode(bytes), { x: 1.5, y: -2.25, hp: 200, it: true, score: -7 });
  });

  it('refuses an unknown field type and a record too short', () => {
    assert.throws(() => schema({ x: 'f16' as 'f32' }), /unknown type/);
    assert.throws(() => pos.decode(new Uint8Array(3)), RangeError);
  });

  it('state, world, ping and pong frames round-trip; a truncated or unknown frame decodes to undefined', () => {
    const s = { x: 3, y: 4, hp: 1, it: false, score: 9 };
    const state = encodeState(pos, 7, 1234.5, s);
    assert.equal(state.byteLength, 13 + pos.size);
    assert.deepEqual(decodeFrame(pos, state), { kind: 1, seq: 7, time: 1234.5, state: s });
    const world = encodeWorld(pos, 8, [
      { tag: playerTag('a'), flags: 1, time: 10, state: s },
      { tag: playerTag('b'), flags: 0, time: 11, state: { ...s, x: 5 } },
    ]);
    const decoded = decodeFrame(pos, world);
    assert.equal(decoded?.kind, 2);
    assert.deepEqual(decoded?.kind === 2 && decoded.entries.map((e) => [e.tag, e.flags, e.time, e.state.x]), [
      [playerTag('a'), 1, 10, 3],
      [playerTag('b'), 0, 11, 5],
    ]);
    assert.deepEqual(decodeFrame(pos, encodePing(5)), { kind: 3, t0: 5 });
    assert.deepEqual(decodeFrame(pos, encodePong(1, 2, 3)), { kind: 4, t0: 1, t1: 2, t2: 3 });
    assert.equal(decodeFrame(pos, state.subarray(0, 10)), undefined);
    assert.equal(decodeFrame(pos, world.subarray(0, world.byteLength - 1)), undefined);
    assert.equal(decodeFrame(pos, new Uint8Array([9, 0, 0])), undefined);
    assert.equal(decodeFrame(pos, new Uint8Array()), undefined);
  });

  it('gives different players different tags', () => {
    const tags = new Set(Array.from({ length: 1000 }, (_, i) => playerTag(`player-${i}`)));
    assert.equal(tags.size, 1000);
  });
});
