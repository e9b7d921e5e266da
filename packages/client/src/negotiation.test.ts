import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { SignalPayload } from '@parley/protocol';
import { until } from '@parley/testing';
import { cleanup } from 'node-datachannel';
import { RTCPeerConnection as NodeRTCPeerConnection } from 'node-datachannel/polyfill';
import { Negotiation } from './negotiation.js';

/**
 * Two real RTCPeerConnections (node-datachannel) whose signals are handed straight to each other, in order,
 * a few milliseconds in flight; `descriptionDelayMs` holds descriptions back so that candidates overtake them.
 */
function wiredPair(descriptionDelayMs = 5) {
  const make = () => new NodeRTCPeerConnection({ iceServers: [] }) as unknown as RTCPeerConnection;
  const pcs = { polite: make(), impolite: make() };
  const applyFailures: string[] = [];
  const sent: { from: string; data: SignalPayload }[] = [];
  const arrived: Record<'polite' | 'impolite', string[]> = { polite: [], impolite: [] };
  const sides = {} as Record<'polite' | 'impolite', Negotiation>;
  for (const role of ['polite', 'impolite'] as const) {
    const other = role === 'polite' ? 'impolite' : 'polite';
    sides[role] = new Negotiation(pcs[role], role === 'polite', {
      signal: (raw) => {
        // node-datachannel also writes the candidates gathered so far into its SDP; strip them so that only
        // trickled candidates can connect the pair, as with a browser's early offer.
        const data: SignalPayload =
          'description' in raw
            ? {
                description: {
                  ...raw.description,
                  sdp: raw.description.sdp.replace(/^a=candidate:.*\r\n/gm, ''),
                },
              }
            : raw;
        sent.push({ from: role, data });
        const kind = 'description' in data ? 'description' : 'candidate';
        setTimeout(
          () => {
            arrived[other].push(kind);
            void sides[other].handle(data);
          },
          kind === 'description' ? descriptionDelayMs : 5,
        );
      },
      applyFailed: (d, err) => applyFailures.push(`${role}: ${d.type}: ${String(err)}`),
    });
  }
  return { pcs, sides, applyFailures, sent, arrived };
}

describe('Negotiation (perfect negotiation over real node-datachannel connections)', () => {
  after(() => cleanup());

  it('candidates that arrive before the remote description wait for it instead of being lost', async () => {
    const { pcs, sides, applyFailures, arrived } = wiredPair(60);
    const dc = pcs.impolite.createDataChannel('solo');
    await sides.impolite.offer();
    await until(() => dc.readyState === 'open', 'channel open');
    // Both sides saw candidates first: had they been dropped, neither side could have found the other.
    assert.equal(arrived.polite[0], 'candidate');
    assert.equal(arrived.impolite[0], 'candidate');
    assert.deepEqual(applyFailures, []);
    for (const s of Object.values(sides)) s.close();
  });

  it('when both sides offer at once the polite side yields and one connection carries both channels', async () => {
    const { pcs, sides, applyFailures, sent } = wiredPair();
    const fromPolite = pcs.polite.createDataChannel('from-polite');
    const fromImpolite = pcs.impolite.createDataChannel('from-impolite');
    await Promise.all([sides.polite.offer(), sides.impolite.offer()]);
    await until(
      () => fromPolite.readyState === 'open' && fromImpolite.readyState === 'open',
      'both channels open on one connection',
    );
    const offers = sent.filter((s) => 'description' in s.data && s.data.description.type === 'offer');
    const answers = sent.filter((s) => 'description' in s.data && s.data.description.type === 'answer');
    assert.deepEqual(
      offers.map((s) => s.from).sort(),
      ['impolite', 'polite'],
      'both offered (a real collision)',
    );
    assert.deepEqual(
      answers.map((s) => s.from),
      ['polite'],
      'only the polite side answered: the impolite one ignored the colliding offer',
    );
    assert.equal(pcs.polite.connectionState, 'connected');
    assert.equal(pcs.impolite.connectionState, 'connected');
    assert.deepEqual(applyFailures, []);
    for (const s of Object.values(sides)) s.close();
  });

  it('an offer asked for while another is being made is made afterwards, not dropped', async () => {
    const { pcs, sides, applyFailures, sent } = wiredPair();
    const dc = pcs.impolite.createDataChannel('first');
    await Promise.all([sides.impolite.offer(), sides.impolite.offer()]);
    await until(() => dc.readyState === 'open', 'channel open');
    const offers = () =>
      sent.filter(
        (s) => s.from === 'impolite' && 'description' in s.data && s.data.description.type === 'offer',
      );
    await until(() => offers().length === 2, 'the second offer');
    await until(() => pcs.impolite.signalingState === 'stable', 'the second answer');
    assert.deepEqual(applyFailures, []);
    for (const s of Object.values(sides)) s.close();
  });
});
