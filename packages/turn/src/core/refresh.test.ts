import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { getAttribute, Lifetime, Method, RequestedAddressFamily } from '@parley/stun';
import { attr, errorCode } from '@parley/testing/turn';
import { allocate, newCore, reply, request, restClient, T0 } from '../../test/core-harness.js';

describe('Refresh and expiry', () => {
  test('Refresh with LIFETIME 0 deletes the allocation and closes its relay', () => {
    const core = newCore();
    const c = restClient();
    const { id } = allocate(core, c);
    const actions = request(core, c, Method.Refresh, [attr(Lifetime, 0)]);
    assert.equal(getAttribute(reply(c, actions), Lifetime), 0);
    assert.deepEqual(actions.at(-1), { kind: 'close-relay', allocation: id });
    assert.equal(core.counters().allocations, 0);
  });

  test('an allocation expires after its lifetime unless refreshed', () => {
    const core = newCore();
    const c = restClient();
    const { id } = allocate(core, c);
    assert.deepEqual(core.tick(T0 + 599_000), []);
    reply(c, request(core, c, Method.Refresh, [], T0 + 599_000));
    assert.deepEqual(core.tick(T0 + 1_000_000), []);
    assert.deepEqual(core.tick(T0 + 1_199_000), [{ kind: 'close-relay', allocation: id }]);
  });

  test('Refresh asking for another address family gets 443', () => {
    const core = newCore();
    const c = restClient();
    allocate(core, c);
    assert.equal(
      errorCode(reply(c, request(core, c, Method.Refresh, [attr(RequestedAddressFamily, 2)]))),
      443,
    );
  });
});
