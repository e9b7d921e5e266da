import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReplayBuffer } from './replay-buffer.js';

const frame = (seq: number) => Buffer.from(`{"seq":${seq},"data":"${'x'.repeat(seq % 50)}"}`);
const texts = (frames: Uint8Array[] | undefined) => frames?.map((f) => Buffer.from(f).toString());

test('frames after a seq come back in order, byte for byte, across many acks, slides and growths', () => {
  const buffer = new ReplayBuffer(10_000, 1 << 20);
  let acked = 0;
  for (let seq = 1; seq <= 5000; seq++) {
    buffer.push(seq, frame(seq));
    if (seq % 37 === 0) {
      acked = seq - 5;
      buffer.ack(acked);
    }
  }
  const expected = [];
  for (let seq = acked + 1; seq <= 5000; seq++) expected.push(frame(seq).toString());
  assert.deepEqual(texts(buffer.since(acked)), expected);
  assert.deepEqual(texts(buffer.since(4998)), [frame(4999).toString(), frame(5000).toString()]);
  assert.equal(buffer.since(acked - 1), undefined, 'frames up to the ack are gone');
});

test('the frame and byte bounds evict the oldest frames, and a replay that needs them fails', () => {
  const byCount = new ReplayBuffer(3, 1 << 20);
  for (let seq = 1; seq <= 5; seq++) byCount.push(seq, frame(seq));
  assert.equal(byCount.firstSeq, 3);
  assert.equal(byCount.since(1), undefined);
  assert.deepEqual(
    texts(byCount.since(2)),
    [3, 4, 5].map((s) => frame(s).toString()),
  );
  const byBytes = new ReplayBuffer(100, 60);
  for (let seq = 1; seq <= 5; seq++) byBytes.push(seq, frame(seq));
  assert.ok(byBytes.bytes <= 60);
  assert.equal(byBytes.size, byBytes.since(byBytes.firstSeq - 1)?.length);
});

test('replayed frames are copies that later pushes cannot change', () => {
  const buffer = new ReplayBuffer(100, 1 << 20);
  buffer.push(1, frame(1));
  const [first] = buffer.since(0)!;
  buffer.ack(1);
  for (let seq = 2; seq <= 200; seq++) buffer.push(seq, frame(seq));
  assert.equal(Buffer.from(first!).toString(), frame(1).toString());
});

test('a quiet session gives its ring back when an ack empties it; a busy one keeps it', () => {
  const quiet = new ReplayBuffer(100, 1 << 20);
  quiet.push(1, frame(1));
  quiet.push(2, frame(2));
  assert.equal(quiet.holdsRing, true);
  quiet.ack(1);
  assert.equal(quiet.holdsRing, true, 'a frame is still waiting');
  quiet.ack(2);
  assert.equal(quiet.holdsRing, false);
  quiet.push(3, frame(3));
  assert.deepEqual(texts(quiet.since(2)), [frame(3).toString()]);

  const busy = new ReplayBuffer(1000, 1 << 20);
  for (let seq = 1; seq <= 64; seq++) busy.push(seq, frame(seq));
  busy.ack(64);
  assert.equal(busy.holdsRing, true);
  assert.equal(busy.size, 0);
  assert.deepEqual(busy.since(64), []);
});

test('frames must be pushed in sequence', () => {
  const buffer = new ReplayBuffer(100, 1 << 20);
  buffer.push(5, frame(5));
  assert.throws(() => buffer.push(7, frame(7)), RangeError);
  buffer.push(6, frame(6));
  assert.deepEqual(texts(buffer.since(4)), [frame(5).toString(), frame(6).toString()]);
});
