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
