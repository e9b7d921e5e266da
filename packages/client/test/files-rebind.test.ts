/**
 * A rebuilt connection must prove it holds the code's session before the transfer goes on (rebind.ts,
 * docs/files.md "Threat model"), between two real node-datachannel peers through a real signaling server.
 * The peer connection is killed mid-transfer; the SDK rebuilds it with a new DTLS certificate; both
 * sessions run the re-binding on the new connection and the file completes with equal SHA-256. Sessions
 * whose secrets differ (the other end of the new connection did not take part in this side's code check)
 * fail the re-binding: both transfers stop with AUTH_FAILED and no file byte arrives on the new
 * connection. The man in the middle of signaling runs through the CLI in
 * apps/cli/test/send-receive-rebind.test.ts.
 */
import assert from 'node:assert/strict';
import { join as joinPath } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '@parley/server';
import {
  AUTH_LABEL,
  authenticate,
  type IncomingTransfer,
  labelFor,
  onFileOffers,
  PeerSession,
  sendFiles,
} from '../src/files/index.js';
import { nodeSink, nodeSource } from '../src/files/node/index.js';
import { bindingOf } from '../src/files/rebind.js';
import type { Room } from '../src/index.js';
import { connections, pair, randomFile, remove, sha256File, tempDir } from './files-helpers.js';
import { next, releaseNative, startTestServer } from './helpers.js';

const MiB = 1024 * 1024;
const within = <T>(p: Promise<T>, ms: number, what: string) =>
  Promise.race([
    p,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms).unref(),
    ),
  ]);

describe('re-binding a rebuilt connection to the code check', () => {
  let server: RunningServer;
  let dir: string;
  const rooms: Room[] = [];
  before(async () => {
    server = await startTestServer();
    dir = await tempDir('rebind');
  });
  after(async () => {
    for (const r of rooms) await r.leave();
    await server.close();
    await remove(dir);
    releaseNative();
  });

  it('the connection killed mid-transfer: both sides re-bind on the new one and the file completes', async () => {
    const src = joinPath(dir, 'src1');
    await randomFile(joinPath(src, 'k.bin'), 40 * MiB);
    const { a, b, bOnA, aOnB } = await pair(server.wsUrl, 'rebind-honest');
    rooms.push(a, b);
    const [sender, receiver] = await Promise.all([
      authenticate(bOnA, '4127-oak-fox', 'sender'),
      authenticate(aOnB, '4127-oak-fox', 'receiver'),
    ]);
    const before = bOnA.fingerprints();
    const out = joinPath(dir, 'out1');
    let killed = false;
    onFileOffers(aOnB, (offer) => {
      const t = offer.accept(nodeSink(out), { gate: receiver.gate });
      t.on('progress', (p) => {
        if (killed || p.bytes < 8 * MiB) return;
        killed = true;
        (connections.at(-1) as RTCPeerConnection).close();
      });
    });
    const sent = sendFiles(bOnA, await nodeSource([joinPath(src, 'k.bin')]), { gate: sender.gate });
    const summary = await within(sent.done, 60_000, 'the transfer did not resume');
    assert.ok(killed, 'the connection was killed during the transfer');
    assert.notDeepEqual(bOnA.fingerprints(), before, 'a new connection with new DTLS certificates');
    assert.ok(sender.rebinds >= 1, `the sender re-bound ${sender.rebinds} time(s)`);
    assert.ok(receiver.rebinds >= 1, `the receiver re-bound ${receiver.rebinds} time(s)`);
    assert.equal(sender.failure, undefined);
    assert.equal(receiver.failure, undefined);
    console.log(
      `# re-bound: sender ${sender.rebinds}, receiver ${receiver.rebinds}; resent ${summary.resentBytes}`,
    );
    assert.equal(await sha256File(joinPath(out, 'k.bin')), await sha256File(joinPath(src, 'k.bin')));
  });

  it('the other side of the new connection does not hold the session: both stop with AUTH_FAILED, no byte moves', async () => {
    const src = joinPath(dir, 'src2');
    await randomFile(joinPath(src, 'k.bin'), 40 * MiB);
    const { a, b, bOnA, aOnB } = await pair(server.wsUrl, 'rebind-other');
    rooms.push(a, b);
    // Sessions as `authenticate` makes them, on the auth channel, but from two different Ke: whoever is on
    // the other end of the rebuilt connection did not take part in this side's code check.
    const ch = bOnA.channel(AUTH_LABEL);
    const [theirs] = await Promise.all([
      next(aOnB, 'channel', (c) => c.label === AUTH_LABEL),
      next(ch, 'open'),
    ]);
    const ke = () => crypto.getRandomValues(new Uint8Array(16));
    const sender = new PeerSession(bOnA, 'sender', ke(), ch, bindingOf(bOnA, 'sender') as string, 10_000);
    const receiver = new PeerSession(
      aOnB,
      'receiver',
      ke(),
      theirs[0],
      bindingOf(aOnB, 'receiver') as string,
      10_000,
    );
    const out = joinPath(dir, 'out2');
    let killedAt = -1;
    let sentAfter = 0;
    // Every file byte that reaches the receiver on the rebuilt connection.
    let reopened = false;
    let bytesOnNew = 0;
    const incoming = new Promise<IncomingTransfer>((resolve) =>
      onFileOffers(aOnB, (offer) => {
        const t = offer.accept(nodeSink(out), { gate: receiver.gate });
        resolve(t);
        const fileCh = aOnB.channels.get(labelFor(offer.id));
        fileCh?.on('open', () => {
          reopened = true;
        });
        fileCh?.on('message', (m) => {
          if (reopened && typeof m !== 'string') bytesOnNew += m.byteLength;
        });
        t.on('progress', (p) => {
          if (killedAt >= 0 || p.bytes < 8 * MiB) return;
          killedAt = p.bytes;
          (connections.at(-1) as RTCPeerConnection).close();
        });
      }),
    );
    const sent = sendFiles(bOnA, await nodeSource([joinPath(src, 'k.bin')]), {
      gate: sender.gate,
      onChunk: (_f, _o, bytes) => {
        if (killedAt >= 0) sentAfter += bytes.byteLength;
        return bytes;
      },
    });
    const t = await within(incoming, 20_000, 'no offer');
    const [s, r] = await within(Promise.allSettled([sent.done, t.done]), 60_000, 'both sides did not stop');
    assert.ok(killedAt > 0, 'the connection was killed during the transfer');
    for (const [side, result] of [
      ['sender', s],
      ['receiver', r],
    ] as const) {
      assert.equal(result.status, 'rejected', side);
      const err = (result as PromiseRejectedResult).reason as { code: string; message: string };
      assert.equal(err.code, 'AUTH_FAILED', `${side}: ${err.message}`);
      assert.match(err.message, /the connection was replaced and the new one could not prove/, side);
    }
    assert.equal(sender.failure?.code, 'AUTH_FAILED');
    assert.equal(receiver.failure?.code, 'AUTH_FAILED');
    assert.equal(sender.rebinds + receiver.rebinds, 0);
    assert.ok(reopened, 'the transfer channel reopened on the new connection');
    console.log(
      `# killed at ${killedAt} B; chunks sent after the kill ${sentAfter} B; received on the new connection ${bytesOnNew} B`,
    );
    assert.equal(bytesOnNew, 0, 'no file byte on the rebuilt connection');
  });
});
