import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { CLIENT_FRAMES, CLOSE_CODES, ERROR_CODES, SERVER_FRAMES } from './index.js';

const doc = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8');
/** Whether the doc has a table row whose first cell is `name` (padding inside cells is allowed). */
const hasRow = (name: string) =>
  new RegExp(`^\\|\\s*${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*\\|`, 'm').test(doc);

test('docs/protocol.md documents every error code', () => {
  const missing = Object.keys(ERROR_CODES).filter((code) => !hasRow(`\`${code}\``));
  assert.deepEqual(missing, []);
});

test('docs/protocol.md documents every close code', () => {
  const missing = Object.values(CLOSE_CODES).filter((code) => !hasRow(String(code)));
  assert.deepEqual(missing, []);
});

test('docs/protocol.md documents every frame type in both directions', () => {
  const types = [...Object.keys(CLIENT_FRAMES), ...Object.keys(SERVER_FRAMES)];
  const missing = types.filter((t) => !hasRow(`\`${t}\``));
  assert.deepEqual(missing, []);
});
