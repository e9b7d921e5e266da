import assert from 'node:assert/strict';
import { test } from 'node:test';
import { until, waitUntil } from './until.js';

test('waitUntil resolves with the first truthy value, sync or async', async () => {
  let n = 0;
  assert.equal(
    await waitUntil(() => (++n >= 3 ? `after ${n}` : undefined), { what: 'n', intervalMs: 1 }),
    'after 3',
  );
  assert.equal(await waitUntil(async () => 7, { what: 'seven' }), 7);
});

test('waitUntil and until reject after the timeout, naming what never happened and the state', async () => {
  await assert.rejects(
    waitUntil(() => false, {
      what: 'the door to open',
      timeoutMs: 30,
      intervalMs: 5,
      describe: () => ({ door: 'shut' }),
    }),
    /timed out after 30 ms waiting for the door to open\nstate: \{\n {2}"door": "shut"\n\}/,
  );
  await assert.rejects(
    until(() => false, 'a miracle', 30, 5),
    /^Error: timed out after 30 ms waiting for a miracle$/,
  );
});
