import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Emitter, setListenerErrorHandler } from './emitter.js';

type Events = { ping: [n: number]; pair: [a: string, b: boolean]; none: [] };

describe('Emitter', () => {
  afterEach(() => setListenerErrorHandler((event, err) => console.error(event, err)));

  it('calls listeners in the order they were added, with the emitted arguments', () => {
    const e = new Emitter<Events>();
    const calls: string[] = [];
    e.on('pair', (a, b) => calls.push(`1:${a}:${b}`));
    e.on('pair', (a, b) => calls.push(`2:${a}:${b}`));
    assert.equal(e.emit('pair', 'x', true), true);
    assert.deepEqual(calls, ['1:x:true', '2:x:true']);
  });

  it('emit reports whether anyone listened', () => {
    const e = new Emitter<Events>();
    assert.equal(e.emit('none'), false);
    e.on('none', () => {});
    assert.equal(e.emit('none'), true);
  });

  it('a listener that throws does not stop the others and is reported', () => {
    const e = new Emitter<Events>();
    const reported: [string, unknown][] = [];
    setListenerErrorHandler((event, err) => reported.push([event, err]));
    const seen: number[] = [];
    const boom = new Error('boom');
    e.on('ping', () => {
      throw boom;
    });
    e.on('ping', (n) => seen.push(n));
    e.emit('ping', 1);
    e.emit('ping', 2);
    assert.deepEqual(seen, [1, 2]);
    assert.deepEqual(reported, [
      ['ping', boom],
      ['ping', boom],
    ]);
  });

  it('on returns an unsubscribe function, and off removes a listener', () => {
    const e = new Emitter<Events>();
    const seen: number[] = [];
    const listener = (n: number) => seen.push(n);
    const off = e.on('ping', listener);
    e.emit('ping', 1);
    off();
    e.emit('ping', 2);
    e.on('ping', listener);
    e.off('ping', listener);
    e.emit('ping', 3);
    assert.deepEqual(seen, [1]);
    assert.equal(e.listenerCount('ping'), 0);
  });

  it('once runs a listener for the first emit only', () => {
    const e = new Emitter<Events>();
    const seen: number[] = [];
    e.once('ping', (n) => seen.push(n));
    e.emit('ping', 1);
    e.emit('ping', 2);
    assert.deepEqual(seen, [1]);
  });

  it('listeners added or removed during an emit take effect from the next emit', () => {
    const e = new Emitter<Events>();
    const seen: string[] = [];
    const late = () => seen.push('late');
    e.on('none', () => {
      seen.push('first');
      e.on('none', late);
      e.off('none', second);
    });
    const second = () => seen.push('second');
    e.on('none', second);
    e.emit('none');
    e.emit('none');
    assert.deepEqual(seen, ['first', 'second', 'first', 'late']);
  });
});
