import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type StatsReport, statsFrom } from './stats.js';

const candidate = (id: string, type: 'local' | 'remote', candidateType: string): StatsReport => ({
  id,
  type: `${type}-candidate`,
  candidateType,
  protocol: 'udp',
});

/** Chromium talking to Firefox through a relay: Chromium's selected pair is idle; the other side's pick carries the media. */
function chromiumReport(selectedBytes: [number, number], otherBytes: [number, number]): StatsReport[] {
  return [
    { id: 'T', type: 'transport', selectedCandidatePairId: 'P1' },
    candidate('L1', 'local', 'relay'),
    candidate('L2', 'local', 'relay'),
    candidate('R1', 'remote', 'relay'),
    {
      id: 'P1',
      type: 'candidate-pair',
      localCandidateId: 'L1',
      remoteCandidateId: 'R1',
      bytesSent: selectedBytes[0],
      bytesReceived: selectedBytes[1],
      currentRoundTripTime: 0.004,
    },
    {
      id: 'P2',
      type: 'candidate-pair',
      localCandidateId: 'L2',
      remoteCandidateId: 'R1',
      bytesSent: otherBytes[0],
      bytesReceived: otherBytes[1],
      currentRoundTripTime: 0.012,
    },
  ];
}

test('the bitrate counts bytes on every pair, and path and RTT come from the pair that carries them', () => {
  const first = statsFrom(chromiumReport([1000, 0], [0, 10_000]), undefined, 0);
  assert.equal(first.recvBps, 0, 'no rate from a single sample');
  assert.equal(first.rttMs, 4, 'the selected pair until one has carried bytes');
  // One second later: 75,000 bytes arrived on the pair Chromium did not select, 25,000 left on its own.
  const second = statsFrom(chromiumReport([26_000, 0], [0, 85_000]), first, 1000);
  assert.equal(second.recvBps, 600_000);
  assert.equal(second.sendBps, 200_000);
  assert.equal(second.path, 'relayed');
  assert.equal(second.rttMs, 12, 'the RTT of the pair that carried the most');
  assert.equal(second.pair, 'relay ↔ relay (udp)');
});

test("Firefox's report: the pair marked selected, and an RTT averaged from its STUN responses", () => {
  const report: StatsReport[] = [
    candidate('l', 'local', 'host'),
    candidate('r', 'remote', 'srflx'),
    {
      id: 'cancelled',
      type: 'candidate-pair',
      localCandidateId: 'l',
      remoteCandidateId: 'r',
      state: 'cancelled',
      bytesSent: 0,
      bytesReceived: 0,
    },
    {
      id: 'p',
      type: 'candidate-pair',
      localCandidateId: 'l',
      remoteCandidateId: 'r',
      state: 'succeeded',
      nominated: true,
      selected: true,
      bytesSent: 500,
      bytesReceived: 700,
      totalRoundTripTime: 0.03,
      responsesReceived: 3,
    },
    { id: 'v', type: 'inbound-rtp', kind: 'video', framesDecoded: 40, frameWidth: 640, frameHeight: 480 },
  ];
  const s = statsFrom(report, undefined, 0);
  assert.equal(s.path, 'direct');
  assert.equal(s.pair, 'host ↔ srflx (udp)');
  assert.equal(s.rttMs, 10);
  assert.equal(s.framesDecoded, 40);
  assert.equal(s.bytesReceived, 700);
});

test('no pair yet: the path is unknown and nothing is made up', () => {
  const s = statsFrom([], undefined, 0);
  assert.equal(s.path, 'unknown');
  assert.equal(s.pair, 'no pair selected yet');
  assert.equal(s.rttMs, undefined);
  assert.equal(s.sendBps, 0);
});
