import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decode, encode, MAX_CHAT_LENGTH, type StateMessage } from './messages.js';

test('a state message round-trips', () => {
  const msg: StateMessage = {
    t: 'state',
    from: 'abc',
    name: 'Ada',
    muted: true,
    camera: false,
    screen: true,
  };
  const text = encode(msg);
  assert.deepEqual(decode(text), msg);
});

test('chat text is capped and malformed or binary messages are ignored', () => {
  const long = decode(JSON.stringify({ t: 'chat', id: 'x', text: 'a'.repeat(MAX_CHAT_LENGTH + 10), at: 1 }));
  assert.equal(long?.t === 'chat' && long.text.length, MAX_CHAT_LENGTH);
  assert.equal(decode('not json'), undefined);
  assert.equal(decode('{"t":"chat","id":1}'), undefined);
  assert.equal(decode('{"t":"other"}'), undefined);
  assert.equal(decode(new Uint8Array([1, 2])), undefined);
});
