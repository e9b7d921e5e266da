import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mintRoomToken, roomTokenAuthorizer } from './room-token.js';

test('a room token opens its own room and no other', () => {
  const allow = roomTokenAuthorizer(['s3cret']);
  const token = mintRoomToken('s3cret', 'demo', 60);
  assert.equal(allow({ room: 'demo', token }), true);
  assert.equal(allow({ room: 'other', token }), false);
  assert.equal(allow({ room: 'demo', token: undefined }), false);
});

test('a token signed with another secret, a tampered one and an expired one are refused', () => {
  const allow = roomTokenAuthorizer(['s3cret']);
  assert.equal(allow({ room: 'demo', token: mintRoomToken('wrong', 'demo', 60) }), false);
  const good = mintRoomToken('s3cret', 'demo', 60);
  const [h, , s] = good.split('.');
  const forged = `${h}.${Buffer.from(JSON.stringify({ room: '*', exp: 9e9 })).toString('base64url')}.${s}`;
  assert.equal(allow({ room: 'demo', token: forged }), false);
  const later = roomTokenAuthorizer(['s3cret'], () => Date.now() + 120_000);
  assert.equal(later({ room: 'demo', token: good }), false);
});

test('several secrets are accepted, for rotation, and "*" opens any room', () => {
  const allow = roomTokenAuthorizer(['new', 'old']);
  assert.equal(allow({ room: 'a', token: mintRoomToken('old', 'a', 60) }), true);
  assert.equal(allow({ room: 'b', token: mintRoomToken('new', '*', 60) }), true);
});
