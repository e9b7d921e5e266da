import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeClientFrame } from './decode.js';
import { jsonShapeProblem, MAX_JSON_DEPTH } from './json-shape.js';

test('a key repeated in one object is found, at any depth and however it is escaped', () => {
  assert.deepEqual(jsonShapeProblem('{"a":1,"a":2}'), { kind: 'duplicate-key', key: 'a' });
  assert.deepEqual(jsonShapeProblem('{"x":{"b":1,"c":2,"b":3}}'), { kind: 'duplicate-key', key: 'b' });
  assert.deepEqual(jsonShapeProblem('{"type":1,"ty\\u0070e":2}'), { kind: 'duplicate-key', key: 'type' });
  assert.deepEqual(jsonShapeProblem('[{"k":1},{"k":2,"k":3}]'), { kind: 'duplicate-key', key: 'k' });
});

test('the same key in sibling objects, keys inside strings and string values are not duplicates', () => {
  assert.equal(jsonShapeProblem('{"a":{"k":1},"b":{"k":2}}'), undefined);
  assert.equal(jsonShapeProblem('{"a":"\\"a\\":1","b":["a","a"]}'), undefined);
  assert.equal(jsonShapeProblem('{"a" : 1 , "b"\n:\t"a"}'), undefined);
  assert.equal(jsonShapeProblem('{"s":"{[\\\\"}'), undefined);
});

test('nesting deeper than the bound is refused, the bound itself is accepted', () => {
  const nest = (d: number) => `${'['.repeat(d)}${']'.repeat(d)}`;
  assert.equal(jsonShapeProblem(nest(MAX_JSON_DEPTH)), undefined);
  assert.deepEqual(jsonShapeProblem(nest(MAX_JSON_DEPTH + 1)), {
    kind: 'too-deep',
    depth: MAX_JSON_DEPTH + 1,
  });
  assert.equal(jsonShapeProblem(nest(30_000))?.kind, 'too-deep');
});

test('a client frame with a duplicate key or deep nesting decodes to BAD_FRAME, not to one reading of it', () => {
  const dup = decodeClientFrame('{"type":"message","data":"to you","data":"to them"}');
  assert.equal(dup.ok, false);
  assert.equal(!dup.ok && dup.code, 'BAD_FRAME');
  assert.match(!dup.ok ? dup.message : '', /"data" appears twice/);
  const deep = decodeClientFrame(
    `{"type":"join","room":"r","metadata":{"a":${'['.repeat(40)}${']'.repeat(40)}}}`,
  );
  assert.equal(!deep.ok && deep.code, 'BAD_FRAME');
  assert.equal(decodeClientFrame('{"type":"message","data":{"x":[1,{"y":2}]}}').ok, true);
});
