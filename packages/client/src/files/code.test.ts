import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { claimCode, codeParts, isCode, newCode, ROOM_NUMBERS, roomOf } from './code.js';

describe('transfer codes', () => {
  it('a fresh code has the shape receivers check, and codes differ', () => {
    const codes = new Set(Array.from({ length: 200 }, () => newCode()));
    for (const c of codes) assert.ok(isCode(c), c);
    assert.ok(codes.size > 150, `only ${codes.size} different codes in 200`);
  });

  it('fresh codes use numbers up to 4 digits and two words', () => {
    for (let i = 0; i < 200; i++) {
      const { number, secret } = codeParts(newCode());
      assert.ok(number >= 1 && number <= ROOM_NUMBERS, String(number));
      assert.match(secret, /^[a-z]+-[a-z]+$/);
    }
  });

  it('the room comes from the number only: the words never reach the server', () => {
    assert.equal(roomOf('4127-oak-fox'), 'send-4127');
    assert.equal(roomOf('4127-oak-fog'), 'send-4127', 'the same number, other words: the same room');
    assert.equal(roomOf('0041-oak-fox'), 'send-41', 'leading zeros do not make another room');
    assert.deepEqual(codeParts('0041-oak-fox'), { number: 41, secret: 'oak-fox' });
    assert.throws(() => codeParts('oak-fox'), TypeError);
  });

  it('claimCode picks another number while the room is occupied', async () => {
    const joined: string[] = [];
    const left: string[] = [];
    const join = async (room: string) => {
      joined.push(room);
      return {
        name: room,
        peers: new Map(joined.length < 3 ? [['someone', {}]] : []),
        leave: async () => void left.push(room),
      };
    };
    const { code, room } = await claimCode(join);
    assert.equal(joined.length, 3, 'two occupied rooms, then a free one');
    assert.deepEqual(left, joined.slice(0, 2), 'the occupied rooms were left');
    assert.equal(room.name, roomOf(code));
  });

  it('isCode refuses what is not a code', () => {
    for (const bad of ['', 'oak-fox', '41', '41-', '41-OAK-fox', '41-oak fox', '12345-oak-fox', '41-o-fox'])
      assert.equal(isCode(bad), false, bad);
  });
});
