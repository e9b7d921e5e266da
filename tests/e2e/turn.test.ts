/**
 * Relay-only ICE between Chromium pages through the STUN/TURN server that `parley serve` runs beside
 * signaling. With `iceTransportPolicy: 'relay'` a page may use nothing but relayed candidates, so a working
 * data channel means our TURN server carried every byte.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mintRestCredential } from '@parley/turn';
import { type E2E, type PeerPage, startE2E } from './harness/e2e.js';

const SECRET = 'e2e-turn-secret-0123456789abcdef';

let e2e: E2E;
before(async () => {
  e2e = await startE2E({
    // Both pages' relayed addresses are on loopback, which TURN refuses by default: opt in.
    serveArgs: ['--turn-secret', SECRET, '--turn-allow-peer', '127.0.0.0/8'],
  });
});
after(async () => {
  await e2e?.close();
});

const roomName = (tag: string) => `${tag}-${Date.now().toString(36)}`;

const joinRelayOnly = (peer: PeerPage, url: string, room: string, iceServers?: RTCIceServer[]) =>
  peer.evaluate(
    ({ url, room, iceServers }) =>
      window.e2e.sdk!.join(url, room, { iceTransportPolicy: 'relay', ...(iceServers ? { iceServers } : {}) }),
    { url, room, iceServers },
  );

async function exchange(alice: PeerPage, aliceId: string, bob: PeerPage, bobId: string): Promise<void> {
  await alice.waitFor('the relayed channel to bob to open', (to) => window.e2e.sdk!.isOpen(to), bobId);
  await bob.waitFor('the relayed channel to alice to open', (to) => window.e2e.sdk!.isOpen(to), aliceId);
  await alice.evaluate((to) => window.e2e.sdk!.send(to, 'relayed hello'), bobId);
  await bob.evaluate((to) => window.e2e.sdk!.send(to, 'relayed reply'), aliceId);
  await bob.waitFor('the message from alice', () => window.e2e.sdk!.messages[0]);
  await alice.waitFor('the message from bob', () => window.e2e.sdk!.messages[0]);
  assert.deepEqual(await bob.evaluate(() => window.e2e.sdk!.messages), [
    { from: aliceId, label: 'parley', data: 'relayed hello' },
  ]);
  assert.deepEqual(await alice.evaluate(() => window.e2e.sdk!.messages), [
    { from: bobId, label: 'parley', data: 'relayed reply' },
  ]);
  // getStats on both sides: the selected candidate pair is relay ↔ relay.
  for (const [page, to] of [
    [alice, bobId],
    [bob, aliceId],
  ] as const) {
    const info = await page.evaluate((id) => window.e2e.sdk!.room!.peers.get(id)!.connectionInfo(), to);
    assert.equal(info?.type, 'relayed', JSON.stringify(info));
    assert.equal(info?.localCandidateType, 'relay');
    assert.equal(info?.remoteCandidateType, 'relay');
  }
}

test(
  'two Chromium pages connect relay-only with the TURN credentials parley serve hands them',
  { timeout: 60_000 },
  () =>
    e2e.scenario('turn served credentials', async (s) => {
      assert.ok(s.turn, 'parley serve runs STUN/TURN');
      const alice = await s.openPage('alice', 'sdk');
      const bob = await s.openPage('bob', 'sdk');
      const room = roomName('turn');
      // No iceServers of their own: the pages use what the server handed out on join.
      const a = await joinRelayOnly(alice, s.wsUrl, room);
      const b = await joinRelayOnly(bob, s.wsUrl, room);
      await exchange(alice, a.selfId, bob, b.selfId);
    }),
);

for (const transport of ['udp', 'tcp'] as const) {
  test(
    `two Chromium pages connect relay-only through parley serve's TURN over ${transport.toUpperCase()}`,
    { timeout: 60_000 },
    () =>
      e2e.scenario(`turn over ${transport}`, async (s) => {
        assert.ok(s.turn, 'parley serve runs STUN/TURN');
        // Credentials minted here with the shared secret, as another service sharing it would mint them.
        const { username, password: credential } = mintRestCredential(
          SECRET,
          'e2e',
          Math.floor(Date.now() / 1000) + 600,
        );
        const iceServers = [
          { urls: `turn:127.0.0.1:${s.turn[transport]}?transport=${transport}`, username, credential },
        ];
        const alice = await s.openPage('alice', 'sdk');
        const bob = await s.openPage('bob', 'sdk');
        const room = roomName(`turn-${transport}`);
        const a = await joinRelayOnly(alice, s.wsUrl, room, iceServers);
        const b = await joinRelayOnly(bob, s.wsUrl, room, iceServers);
        await exchange(alice, a.selfId, bob, b.selfId);
      }),
  );
}

test(
  'a relay-only page with a TURN credential signed by another secret never connects',
  { timeout: 60_000 },
  () =>
    e2e.scenario('turn wrong secret', async (s) => {
      assert.ok(s.turn, 'parley serve runs STUN/TURN');
      const { username, password: credential } = mintRestCredential(
        'not-the-secret',
        'mallory',
        Math.floor(Date.now() / 1000) + 600,
      );
      const forged = [{ urls: `turn:127.0.0.1:${s.turn.udp}?transport=udp`, username, credential }];
      const alice = await s.openPage('alice', 'sdk');
      const mallory = await s.openPage('mallory', 'sdk');
      const room = roomName('turn-forged');
      const a = await joinRelayOnly(alice, s.wsUrl, room);
      const m = await joinRelayOnly(mallory, s.wsUrl, room, forged);
      // Alice's side is fine, but Mallory gets no relay, so no candidate pair can ever work. Peers give up on
      // a connection only after their own timeouts, so look for the absence of an open channel for a while.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      assert.equal(await mallory.evaluate((to) => window.e2e.sdk!.isOpen(to), a.selfId), false);
      assert.equal(await alice.evaluate((to) => window.e2e.sdk!.isOpen(to), m.selfId), false);
    }),
);
