import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { CLIENT_FRAMES, SERVER_FRAMES } from '@parley/protocol';
import { protocolJsonSchema, SCHEMA_PATH } from './json-schema.js';

test('the committed JSON Schema is the one the TypeBox definitions generate', () => {
  const committed: unknown = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8'));
  assert.deepStrictEqual(
    committed,
    protocolJsonSchema(),
    `${SCHEMA_PATH} is stale: the frame schemas changed. Run \`npm run schema\` and commit the result.`,
  );
});

test('every frame has a definition whose `type` is a constant naming it', () => {
  const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as {
    $defs: Record<string, { properties?: { type?: { const?: string } }; oneOf?: { $ref: string }[] }>;
  };
  for (const [side, map] of [
    ['client', CLIENT_FRAMES],
    ['server', SERVER_FRAMES],
  ] as const) {
    for (const type of Object.keys(map)) {
      assert.equal(schema.$defs[`${side}-${type}`]?.properties?.type?.const, type, `${side}-${type}`);
    }
    const union = schema.$defs[side === 'client' ? 'ClientFrame' : 'ServerFrame']?.oneOf ?? [];
    assert.equal(union.length, Object.keys(map).length);
    for (const { $ref } of union) assert.ok(schema.$defs[$ref.replace('#/$defs/', '')], $ref);
  }
});
