import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { isCode, newCode, roomOf } from './code.js';

describe('transfer codes', () => {
  it('a fresh code has the shape receivers check, and codes differ', () => {
    const codes = new Set(Array.from({ length: 200 }, () => newCode()));
    for (const c of codes) assert.ok(isCode(c), c);
    assert.ok(codes.size > 150, `only ${codes.size} different codes in 200`);
  });

  it('the room is the number and a SHA-256 digest of the whole code (the same in browser and Node)', () => {
    const code = '41-oak-fox';
    const digest = createHash('sha256').update(`parley-send/${code}`).digest('hex').slice(0, 24);
    assert.equal(roomOf(code), `send-41-${digest}`);
    assert.notEqual(roomOf('41-oak-fox'), roomOf('41-oak-fog'), 'the same number, other words: another room');
  });

  it('isCode refuses what is not a code', () => {
    for (const bad of ['', 'oak-fox', '41', '41-', '41-OAK-fox', '41-oak fox', '12345-oak-fox', '41-o-fox'])
      assert.equal(isCode(bad), false, bad);
  });
});
