import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ERROR_CODES, ERROR_MESSAGES, ParleyError } from '@parley/protocol';
import { CLIENT_ERROR_CODES } from './errors.js';

/** The rows of the markdown table that follows `heading`: first cell (without backticks) → second cell. */
function tableAfter(file: string, heading: string): Map<string, string> {
  const text = readFileSync(new URL(`../../../docs/${file}`, import.meta.url), 'utf8');
  const rest = text.slice(text.indexOf(heading));
  const rows = new Map<string, string>();
  let inTable = false;
  for (const line of rest.split('\n').slice(1)) {
    if (!line.startsWith('|')) {
      if (inTable) break;
      continue;
    }
    inTable = true;
    const [, first = '', second = ''] = line.split('|').map((c) => c.trim());
    if (/^`[A-Z_]+`$/.test(first)) rows.set(first.slice(1, -1), second);
  }
  return rows;
}

describe('error codes', () => {
  it("docs/client.md's table is exactly the SDK's codes, with the same messages", () => {
    const documented = tableAfter('client.md', '### Errors');
    assert.deepEqual([...documented.keys()].sort(), Object.keys(CLIENT_ERROR_CODES).sort());
    for (const [code, message] of Object.entries(CLIENT_ERROR_CODES))
      assert.equal(documented.get(code), message, `docs/client.md's meaning of ${code}`);
  });

  it("docs/protocol.md's table is exactly the server's codes, with the same messages", () => {
    const documented = tableAfter('protocol.md', '## Error codes');
    assert.deepEqual([...documented.keys()].sort(), Object.keys(ERROR_CODES).sort());
    for (const [code, message] of Object.entries(ERROR_CODES))
      assert.equal(documented.get(code), message, `docs/protocol.md's message of ${code}`);
  });

  it('no SDK code reuses a server code with a different meaning', () => {
    const clash = Object.keys(CLIENT_ERROR_CODES).filter((code) => Object.hasOwn(ERROR_CODES, code));
    assert.deepEqual(clash, []);
  });

  it('an error raised without a message carries the human one from the table, not its code', () => {
    const err = new ParleyError('ROOM_CLOSED');
    assert.equal(err.message, ERROR_MESSAGES.ROOM_CLOSED);
    assert.notEqual(err.message, 'ROOM_CLOSED');
    assert.equal(new ParleyError('ROOM_FULL').message, ERROR_CODES.ROOM_FULL);
    // @ts-expect-error a misspelt code does not compile
    assert.ok(new ParleyError('ROOM_FUL'));
  });

  it('a server code this SDK does not know arrives as UNKNOWN_SERVER_ERROR, naming the code', () => {
    const known = ParleyError.fromServer('ROOM_FULL', 'room "x" has 50 peers');
    assert.equal(known.code, 'ROOM_FULL');
    const unknown = ParleyError.fromServer('WARP_CORE_BREACH', 'eject');
    assert.equal(unknown.code, 'UNKNOWN_SERVER_ERROR');
    assert.match(unknown.message, /WARP_CORE_BREACH: eject/);
  });
});
