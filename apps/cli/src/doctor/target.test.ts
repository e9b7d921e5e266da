import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fail, healthy, jsonReport, pass, skip, textReport } from './report.js';
import { parseTarget } from './target.js';

test('a deployment is named by its HTTP or WebSocket URL, or host:port, and the other is derived', () => {
  assert.deepEqual(parseTarget('https://parley.example.com'), {
    http: 'https://parley.example.com',
    ws: 'wss://parley.example.com/ws',
    host: 'parley.example.com',
    secure: true,
  });
  assert.deepEqual(parseTarget('ws://[::1]:8080/signal'), {
    http: 'http://[::1]:8080',
    ws: 'ws://[::1]:8080/signal',
    host: '::1',
    secure: false,
  });
  assert.equal(parseTarget('127.0.0.1:8080').ws, 'ws://127.0.0.1:8080/ws');
  assert.throws(() => parseTarget('ftp://x'), /use an http\(s\):\/\/ or ws\(s\):\/\/ URL/);
  assert.throws(() => parseTarget('http://'), /is not a URL/);
});

test('the report is healthy only when nothing failed, and names each failure with its fix', () => {
  const results = [
    pass('http', '/healthz answered 200'),
    skip('tls-cert', 'plain HTTP'),
    fail('turn', 'no TURN', 'run it'),
  ];
  assert.equal(healthy(results), false);
  assert.equal(healthy(results.slice(0, 2)), true);
  const text = textReport('http://x', results);
  assert.match(text, /^ {2}FAIL {2}turn {6}no TURN\n {18}fix: run it$/m);
  assert.match(text, /1 passed, 1 failed, 1 skipped: not healthy$/);
  const json = JSON.parse(jsonReport('http://x', results)) as { healthy: boolean; checks: unknown[] };
  assert.equal(json.healthy, false);
  assert.deepEqual(json.checks[2], { id: 'turn', status: 'fail', detail: 'no TURN', fix: 'run it' });
});
