import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ERROR_CODES } from '@parley/protocol';
import { CLIENT_ERROR_CODES } from './errors.js';

const docs = readFileSync(new URL('../../../docs/client.md', import.meta.url), 'utf8');

describe('client error codes', () => {
  it('every code the SDK raises is documented in docs/client.md', () => {
    const missing = Object.keys(CLIENT_ERROR_CODES).filter(
      (code) => !new RegExp(`\\|\\s*\`${code}\`\\s*\\|`).test(docs),
    );
    assert.deepEqual(missing, []);
  });

  it('no SDK code reuses a server code with a different meaning', () => {
    const clash = Object.keys(CLIENT_ERROR_CODES).filter((code) => Object.hasOwn(ERROR_CODES, code));
    assert.deepEqual(clash, []);
  });
});
