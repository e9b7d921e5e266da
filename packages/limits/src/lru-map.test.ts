import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LruMap } from './lru-map.js';

test('an LRU map holds at most its size and forgets the least recently used first', () => {
  const m = new LruMap<string, number>(4);
  for (const [i, k] of ['a', 'b', 'c', 'd'].entries()) m.set(k, i);
  assert.equal(m.size, 4);
  assert.equal(m.get('a'), 0); // used again: survives the next generation change
  m.set('e', 4);
  assert.equal(m.get('a'), 0);
  assert.equal(m.get('e'), 4);
  assert.ok(m.size <= 4);
  assert.equal(m.get('b'), undefined);
});

test('set replaces, delete forgets, and a zero-sized map holds nothing', () => {
  const m = new LruMap<string, number>(10);
  m.set('a', 1);
  m.set('a', 2);
  assert.equal(m.get('a'), 2);
  assert.equal(m.size, 1);
  m.delete('a');
  assert.equal(m.get('a'), undefined);
  const none = new LruMap<string, number>(0);
  none.set('a', 1);
  assert.equal(none.get('a'), undefined);
  assert.equal(none.size, 0);
});
