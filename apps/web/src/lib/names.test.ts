import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRoomName } from '@parley/client';
import { randomRoomName, roomFromInput } from './names.js';

test('random room names read as adjective-noun-number and are valid room names', () => {
  for (let i = 0; i < 200; i++) {
    const name = randomRoomName();
    assert.match(name, /^[a-z]+-[a-z]+-\d{2}$/);
    assert.ok(isRoomName(name));
  }
});

test('a room is found in a bare name or in a full link, and bad input gives none', () => {
  assert.equal(roomFromInput('  brave-otter-42 '), 'brave-otter-42');
  assert.equal(roomFromInput('https://parley.example/#/r/brave-otter-42'), 'brave-otter-42');
  assert.equal(roomFromInput('http://127.0.0.1:8080/?relay=1#/r/team.sync'), 'team.sync');
  assert.equal(roomFromInput(''), undefined);
  assert.equal(roomFromInput('no spaces allowed'), undefined);
  assert.equal(roomFromInput('-starts-with-dash'), undefined);
});
