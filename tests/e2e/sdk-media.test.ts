/**
 * Media through the SDK at the awkward moments: tracks added by the peer already in the room the instant a
 * newcomer appears (before the newcomer's first offer arrives), tracks added mid-call (renegotiation), a
 * track swapped with replaceTrack and one taken away with removeTrack. Frames are counted from the
 * receiver's getStats() (`peer.getStats()`), so "plays" means decoded video, not just a track event.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type E2E, type PeerPage, startE2E } from './harness/e2e.js';

let e2e: E2E;
before(async () => {
  e2e = await startE2E();
});
after(async () => {
  await e2e?.close();
});

/** What these tests keep on the page's `window` between evaluate calls (functions run in the page). */
interface Local {
  stream?: MediaStream;
  canvas?: MediaStreamTrack;
  removed?: string[];
}

const camera = (peer: PeerPage) =>
  peer.evaluate(async () => {
    const w = window as unknown as { sdkMedia: Local };
    w.sdkMedia = {
      stream: await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 }, audio: true }),
    };
  });

const join = (peer: PeerPage, url: string, room: string) =>
  peer.evaluate(({ url, room }) => window.e2e.sdk!.join(url, room), { url, room });

/** Decoded video frames from `from`, summed over the inbound video streams of the connection's stats. */
const framesDecoded = (peer: PeerPage, from: string) =>
  peer.evaluate(async (from) => {
    const p = window.e2e.sdk!.room!.peers.get(from);
    if (!p) return 0;
    let frames = 0;
    // A getStats() that never settles fails the test with a message instead of hanging it.
    const report = await Promise.race([p.getStats(), new Promise<undefined>((r) => setTimeout(r, 5000))]);
    if (!report) return -1;
    report.forEach((s: { type: string; kind?: string; framesDecoded?: number }) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') frames += s.framesDecoded ?? 0;
    });
    return frames;
  }, from);

/** The connection's RTP streams, the page's <video>s and the peer's events, for failure messages. */
const mediaState = (peer: PeerPage, from: string) =>
  peer.evaluate(async (from) => {
    const lines: string[] = [];
    (await window.e2e.sdk!.room!.peers.get(from)?.getStats())?.forEach((s: Record<string, unknown>) => {
      if (s.type !== 'inbound-rtp' && s.type !== 'outbound-rtp') return;
      const { type, kind, mid, packetsReceived, packetsSent, framesDecoded, framesSent, trackIdentifier } = s;
      const row = {
        type,
        kind,
        mid,
        packetsReceived,
        packetsSent,
        framesDecoded,
        framesSent,
        trackIdentifier,
      };
      lines.push(JSON.stringify(row));
    });
    for (const v of document.querySelectorAll('video')) {
      const tracks = (v.srcObject as MediaStream | null)?.getTracks() ?? [];
      const { readyState, paused, videoWidth } = v;
      const shown = tracks.map((t) => `${t.kind} ${t.readyState}${t.muted ? ' muted' : ''} ${t.id}`);
      lines.push(JSON.stringify({ video: { readyState, paused, videoWidth, tracks: shown } }));
    }
    lines.push(JSON.stringify(window.e2e.sdk!.events));
    return lines.join('\n');
  }, from);

/** Waits until `peer` got audio and video from `from`, the <video> shows frames, and decoding goes on. */
async function assertPlays(peer: PeerPage, from: string): Promise<void> {
  const kinds = await peer.waitFor(
    `audio and video tracks from ${from}`,
    (from) => {
      const kinds = [...window.e2e.media!.received(from)].sort();
      return kinds.includes('audio') && kinds.includes('video') && kinds;
    },
    from,
    15_000,
  );
  assert.deepEqual([...new Set(kinds)], ['audio', 'video']);
  // Chromium pauses a muted autoplaying <video> that is out of view, and the page appends one per peer
  // below its state dump: pin them all into the viewport.
  await peer.evaluate(() => {
    for (const v of document.querySelectorAll('video'))
      Object.assign(v.style, { position: 'fixed', top: '0', right: '0', width: '160px' });
  });
  const video = await peer
    .waitFor(
      `video frames from ${from} to play`,
      (from) => {
        const v = window.e2e.media!.video(from);
        return v.frames >= 5 && v.width > 0 && v;
      },
      from,
      15_000,
    )
    .catch(async (err: Error) => {
      throw new Error(`${err.message}\nmedia: ${await mediaState(peer, from)}`, { cause: err });
    });
  assert.ok(video.height > 0, `${peer.name} shows a ${video.width}x${video.height} picture`);
  await assertDecoding(peer, from);
}

async function assertDecoding(peer: PeerPage, from: string): Promise<number> {
  const first = await framesDecoded(peer, from);
  await new Promise((r) => setTimeout(r, 1000));
  const later = await framesDecoded(peer, from);
  assert.ok(later > first, `${peer.name} decodes frames from ${from} (${first} → ${later} in 1 s)`);
  return later;
}

/**
 * One round in a fresh room: Alice (there first) sends her camera on `peer-joined`, before Bob's offer can
 * have arrived; Bob (the newcomer) sends his on `open`. Resolves with whether Alice was the polite side.
 */
async function earlyTracksRound(alice: PeerPage, bob: PeerPage, url: string, room: string): Promise<boolean> {
  const a = await join(alice, url, room);
  await alice.evaluate(() => {
    const stream = (window as unknown as { sdkMedia: Local }).sdkMedia.stream!;
    window.e2e.sdk!.room!.on('peer-joined', (peer) => {
      for (const t of stream.getTracks()) peer.addTrack(t, stream);
    });
  });
  const b = await bob.evaluate(
    async ({ url, room }) => {
      const joined = await window.e2e.sdk!.join(url, room);
      const stream = (window as unknown as { sdkMedia: Local }).sdkMedia.stream!;
      const peer = window.e2e.sdk!.room!.peers.get(joined.peers[0]!)!;
      const send = () => {
        for (const t of stream.getTracks()) peer.addTrack(t, stream);
      };
      if (window.e2e.sdk!.isOpen(peer.id)) send();
      else peer.on('open', send);
      return joined;
    },
    { url, room },
  );
  assert.deepEqual(b.peers, [a.selfId]);
  await assertPlays(bob, a.selfId);
  await assertPlays(alice, b.selfId);
  const alicePolite = await alice.evaluate((to) => window.e2e.sdk!.room!.peers.get(to)!.polite, b.selfId);
  for (const peer of [bob, alice]) await peer.evaluate(() => window.e2e.sdk!.leave());
  return alicePolite;
}

test(
  'tracks the peer already in the room adds the moment a newcomer appears reach the newcomer, and back',
  { timeout: 180_000 },
  () =>
    e2e.scenario('early tracks', async (s) => {
      const alice = await s.openPage('alice', 'sdk');
      const bob = await s.openPage('bob', 'sdk');
      await camera(alice);
      await camera(bob);
      // Ids are random, so which side is polite is too: repeat until both ways round have worked.
      const seen = new Set<boolean>();
      for (let round = 0; round < 10 && seen.size < 2; round++)
        seen.add(await earlyTracksRound(alice, bob, s.wsUrl, `early-${round}-${Date.now().toString(36)}`));
      assert.equal(seen.size, 2, 'rounds with Alice polite and with Alice impolite both ran');
    }),
);

test(
  'tracks added mid-call renegotiate, replaceTrack swaps the picture, removeTrack stops it',
  { timeout: 90_000 },
  () =>
    e2e.scenario('mid-call media', async (s) => {
      const alice = await s.openPage('alice', 'sdk');
      const bob = await s.openPage('bob', 'sdk');
      await camera(alice);
      await camera(bob);
      const room = `midcall-${Date.now().toString(36)}`;
      const a = await join(alice, s.wsUrl, room);
      const b = await join(bob, s.wsUrl, room);
      for (const [peer, to] of [
        [alice, b.selfId],
        [bob, a.selfId],
      ] as const)
        await peer.waitFor(`the channel to ${to} to open`, (to) => window.e2e.sdk!.isOpen(to), to);

      // Both pages run on this machine: the selected pair is direct, host to host.
      const info = await alice.waitFor(
        'a selected candidate pair',
        (to) => window.e2e.sdk!.room!.peers.get(to)!.connectionInfo(),
        b.selfId,
      );
      assert.equal(info.type, 'direct');
      assert.equal(info.localCandidateType, 'host');
      assert.ok(['udp', 'tcp'].includes(info.protocol), `protocol ${info.protocol}`);

      const addCamera = (peer: PeerPage, to: string) =>
        peer.evaluate((to) => {
          const stream = (window as unknown as { sdkMedia: Local }).sdkMedia.stream!;
          for (const t of stream.getTracks()) window.e2e.sdk!.addTrack(to, t, stream);
        }, to);
      await addCamera(alice, b.selfId);
      await assertPlays(bob, a.selfId);
      await addCamera(bob, a.selfId);
      await assertPlays(alice, b.selfId);

      // Alice swaps her camera (320x240) for a 160x120 canvas: no renegotiation, Bob's picture changes size.
      await alice.evaluate(async (to) => {
        const w = window as unknown as { sdkMedia: Local };
        const canvas = Object.assign(document.createElement('canvas'), { width: 160, height: 120 });
        const g = canvas.getContext('2d')!;
        let hue = 0;
        setInterval(() => {
          hue = (hue + 7) % 360;
          g.fillStyle = `hsl(${hue} 80% 50%)`;
          g.fillRect(0, 0, 160, 120);
        }, 50);
        const track = canvas.captureStream(20).getVideoTracks()[0]!;
        const camera = w.sdkMedia.stream!.getVideoTracks()[0]!;
        await window.e2e.sdk!.room!.peers.get(to)!.replaceTrack(camera, track);
        w.sdkMedia.canvas = track;
      }, b.selfId);
      const swapped = await bob.waitFor(
        'the canvas picture instead of the camera',
        (from) => {
          const v = window.e2e.media!.video(from);
          return v.width === 160 && v;
        },
        a.selfId,
        15_000,
      );
      assert.equal(swapped.height, 120);
      await assertDecoding(bob, a.selfId);

      // Bob watches for the removal: the received stream loses its video track when Alice stops sending.
      await bob.evaluate(() => {
        const w = window as unknown as { sdkMedia: Local };
        w.sdkMedia.removed = [];
        const video = document.querySelector('video')!;
        const stream = video.srcObject as MediaStream;
        stream.addEventListener('removetrack', (ev) => w.sdkMedia.removed!.push(ev.track.kind));
        for (const t of stream.getTracks())
          t.addEventListener('mute', () => w.sdkMedia.removed!.push(`mute ${t.kind}`));
      });
      await alice.evaluate((to) => {
        const w = window as unknown as { sdkMedia: Local };
        window.e2e.sdk!.room!.peers.get(to)!.removeTrack(w.sdkMedia.canvas!);
      }, b.selfId);
      const removed = await bob.waitFor(
        'the video track to go from the received stream',
        () => {
          const removed = (window as unknown as { sdkMedia: Local }).sdkMedia.removed!;
          return removed.includes('video') && removed;
        },
        undefined,
        15_000,
      );
      assert.ok(removed.includes('video'), `removetrack fired: ${removed.join(', ')}`);
      // Bob's video still plays at Alice after that renegotiation, and the data channel still works.
      await assertDecoding(alice, b.selfId);
      await alice.evaluate((to) => window.e2e.sdk!.send(to, 'still here'), b.selfId);
      await bob.waitFor('a message after the renegotiations', () =>
        window.e2e.sdk!.messages.some((m) => m.data === 'still here'),
      );
    }),
);
