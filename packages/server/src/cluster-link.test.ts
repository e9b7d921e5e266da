import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clusterTokens } from './cluster-link.js';
import { peerIdOf } from './resume-token.js';

test('a cluster resume token is checked by any node with the secret, and by no other', () => {
  const node1 = clusterTokens('shared secret');
  const node2 = clusterTokens('shared secret');
  const stranger = clusterTokens('another secret');
  const token = node1.mintToken('peer-7');
  assert.equal(peerIdOf(token), 'peer-7', 'the id still finds the session');
  assert.ok(node2.tokenValid('peer-7', token));
  assert.ok(!stranger.tokenValid('peer-7', token), 'another cluster');
  assert.ok(!node2.tokenValid('peer-8', token), 'another peer');
  assert.ok(!node2.tokenValid('peer-8', token.replace('peer-7', 'peer-8')), "another peer's id on it");
  const last = token.at(-1) === 'A' ? 'B' : 'A';
  assert.ok(!node2.tokenValid('peer-7', token.slice(0, -1) + last), 'a changed mac');
  assert.ok(!node2.tokenValid('peer-7', token.slice(0, -1)), 'a short one');
  assert.ok(!node2.tokenValid('peer-7', 'peer-7.'), 'an empty one');
  assert.notEqual(node1.mintToken('peer-7'), token, 'each token is new');
});
