/**
 * The transfer engine between two real node-datachannel peers through a real signaling server: files and
 * folders arrive with equal SHA-256, a block corrupted on the sending side's chunk path is caught and
 * sent again, a declined offer fails on both sides, the signaling socket dying mid-transfer changes
 * nothing, and a peer connection killed mid-transfer is rebuilt and the transfer resumes.
 */
import assert from 'node:assert/strict';
import { join as joinPath } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '@parley/server';
import { BLOCK_SIZE, type FileOffer, onFileOffers, sendFiles } from '../src/files/index.js';
import { nodeSha256, nodeSink, nodeSource } from '../src/files/node/index.js';
import type { Room } from '../src/index.js';
import { connections, listFiles, pair, randomFile, remove, sha256File, tempDir } from './files-helpers.js';
import { releaseNative, startTestServer } from './helpers.js';

const MiB = 1024 * 1024;

describe('file transfer engine', () => {
  let server: RunningServer;
  let dir: string;
  const rooms: Room[] = [];
  before(async () => {
    server = await startTestServer();
    dir = await tempDir('files');
  });
  after(async () => {
    for (const r of rooms) await r.leave();
    await server.close();
    await remove(dir);
    releaseNative();
  });

  it('a file and a folder tree arrive with equal SHA-256 and their relative paths', async () => {
    const src = joinPath(dir, 'src1');
    await randomFile(joinPath(src, 'big.bin'), 20 * MiB + 12345);
    await randomFile(joinPath(src, 'tree/a/one.bin'), 3 * MiB);
    await randomFile(joinPath(src, 'tree/b/two.txt'), 10);
    await randomFile(joinPath(src, 'tree/empty.bin'), 0);
    const { a, b, bOnA, aOnB } = await pair(server.wsUrl, 'files-tree');
    rooms.push(a, b);
    const out = joinPath(dir, 'out1');
    const received = new Promise<FileOffer>((resolve) => onFileOffers(aOnB, resolve));
    const sent = sendFiles(bOnA, await nodeSource([joinPath(src, 'big.bin'), joinPath(src, 'tree')]));
    const offer = await received;
    assert.deepEqual(
      offer.files.map((f) => f.path),
      ['big.bin', 'tree/a/one.bin', 'tree/b/two.txt', 'tree/empty.bin'],
    );
    const incoming = offer.accept(nodeSink(out));
    const [summary, got] = await Promise.all([sent.done, incoming.done]);
    assert.deepEqual(await listFiles(out), ['big.bin', 'tree/a/one.bin', 'tree/b/two.txt', 'tree/empty.bin']);
    for (const f of got.files) {
      const expected = await sha256File(joinPath(src, f.path === 'big.bin' ? 'big.bin' : f.path));
      assert.equal(await sha256File(joinPath(out, f.path)), expected, f.path);
      assert.equal(f.sha256, expected);
    }
    assert.equal(summary.resentBytes, 0);
    assert.equal(summary.corruptBlocks, 0);
  });

  it('a block corrupted in transit is detected, sent again, and the file is still correct', async () => {
    const src = joinPath(dir, 'src2');
    await randomFile(joinPath(src, 'c.bin'), 6 * MiB);
    const { a, b, bOnA, aOnB } = await pair(server.wsUrl, 'files-corrupt');
    rooms.push(a, b);
    const out = joinPath(dir, 'out2');
    onFileOffers(aOnB, (offer) => offer.accept(nodeSink(out), { hash: nodeSha256 }));
    let flipped = 0;
    const sent = sendFiles(bOnA, await nodeSource([joinPath(src, 'c.bin')]), {
      // Flip a byte in the first chunk of block 2, once.
      onChunk: (_f, offset, bytes) => {
        if (offset !== 2 * MiB || flipped > 0) return bytes;
        flipped++;
        const bad = bytes.slice();
        bad[100] = (bad[100] as number) ^ 0xff;
        return bad;
      },
    });
    const summary = await sent.done;
    assert.equal(flipped, 1);
    assert.equal(summary.corruptBlocks, 1, 'the receiver asked for the block again');
    // The block, and whatever was already on its way behind it (dropped as stale, sent again).
    assert.ok(summary.resentBytes >= MiB, `resent ${summary.resentBytes}`);
    assert.equal(await sha256File(joinPath(out, 'c.bin')), await sha256File(joinPath(src, 'c.bin')));
  });

  it('a declined offer fails with FILE_DECLINED and nothing is written', async () => {
    const src = joinPath(dir, 'src3');
    await randomFile(joinPath(src, 'd.bin'), MiB);
    const { a, b, bOnA, aOnB } = await pair(server.wsUrl, 'files-decline');
    rooms.push(a, b);
    onFileOffers(aOnB, (offer) => offer.decline());
    const sent = sendFiles(bOnA, await nodeSource([joinPath(src, 'd.bin')]));
    await assert.rejects(sent.done, { code: 'FILE_DECLINED' });
    assert.equal(sent.state, 'failed');
  });

  it('the signaling socket cut mid-transfer does not stop the transfer: nothing is sent twice', async () => {
    const src = joinPath(dir, 'src4');
    await randomFile(joinPath(src, 's.bin'), 24 * MiB);
    const { a, b, bOnA, aOnB } = await pair(server.wsUrl, 'files-signaling');
    rooms.push(a, b);
    const out = joinPath(dir, 'out4');
    let cut = false;
    onFileOffers(aOnB, (offer) => {
      const t = offer.accept(nodeSink(out));
      t.on('progress', (p) => {
        if (!cut && p.bytes >= 4 * MiB) {
          cut = true;
          assert.equal(server.terminate(a.selfId), true);
          assert.equal(server.terminate(b.selfId), true);
        }
      });
    });
    const sent = sendFiles(bOnA, await nodeSource([joinPath(src, 's.bin')]));
    const summary = await sent.done;
    assert.ok(cut, 'the sockets were cut during the transfer');
    console.log(`# signaling cut: bytes sent twice ${summary.resentBytes} (bound: one block, ${BLOCK_SIZE})`);
    assert.ok(summary.resentBytes <= BLOCK_SIZE, `resent ${summary.resentBytes} bytes`);
    assert.equal(summary.resentBytes, 0);
    assert.equal(await sha256File(joinPath(out, 's.bin')), await sha256File(joinPath(src, 's.bin')));
  });

  // It used to hang in ~1 of 6 runs: a `go` the receiver sent as the connection died was lost with it, and
  // the sender stayed held after the resume. A `want` now resets hold and pause; the receiver restates them.
  it('the peer connection killed mid-transfer: the transfer resumes from what the receiver keeps', async () => {
    const src = joinPath(dir, 'src5');
    await randomFile(joinPath(src, 'k.bin'), 40 * MiB);
    const { a, b, bOnA, aOnB } = await pair(server.wsUrl, 'files-kill-pc');
    rooms.push(a, b);
    const out = joinPath(dir, 'out5');
    let killed = false;
    onFileOffers(aOnB, (offer) => {
      const t = offer.accept(nodeSink(out));
      t.on('progress', (p) => {
        if (killed || p.bytes < 8 * MiB) return;
        killed = true;
        // The receiver's live connection (the newest one made), closed under the SDK.
        const pc = connections.at(-1) as RTCPeerConnection;
        pc.close();
      });
    });
    const sent = sendFiles(bOnA, await nodeSource([joinPath(src, 'k.bin')]));
    const summary = await Promise.race([
      sent.done,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('the transfer did not resume within 60 s')), 60_000).unref(),
      ),
    ]);
    assert.ok(killed, 'the connection was killed during the transfer');
    console.log(
      `# peer connection killed: bytes sent twice ${summary.resentBytes} (bound: one block, ${BLOCK_SIZE})`,
    );
    // Only bytes the receiver had not acknowledged as kept: the sender keeps at most WINDOW (one block) out.
    assert.ok(summary.resentBytes <= BLOCK_SIZE, `resent ${summary.resentBytes} bytes`);
    assert.equal(await sha256File(joinPath(out, 'k.bin')), await sha256File(joinPath(src, 'k.bin')));
  });
});
