import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connectionInfoFrom } from './connection-info.js';

/** A stats report as Chromium shapes it (a maplike of id → stats), reduced to the fields read here. */
function report(...stats: Record<string, unknown>[]): RTCStatsReport {
  return new Map(stats.map((s) => [s.id as string, s])) as unknown as RTCStatsReport;
}

const local = (type: string, protocol = 'udp') => ({
  id: 'L',
  type: 'local-candidate',
  candidateType: type,
  protocol,
});
const remote = (type: string) => ({ id: 'R', type: 'remote-candidate', candidateType: type });
const pair = {
  id: 'P',
  type: 'candidate-pair',
  localCandidateId: 'L',
  remoteCandidateId: 'R',
  currentRoundTripTime: 0.0125,
};

describe('connectionInfoFrom', () => {
  it('reads the pair the transport selected: host to host is direct, with its RTT in ms', () => {
    const info = connectionInfoFrom(
      report(
        { id: 'T', type: 'transport', selectedCandidatePairId: 'P' },
        pair,
        local('host'),
        remote('host'),
      ),
    );
    assert.deepEqual(info, {
      type: 'direct',
      rttMs: 13,
      localCandidateType: 'host',
      remoteCandidateType: 'host',
      protocol: 'udp',
    });
  });

  it('a relay candidate at either end makes the connection relayed', () => {
    const info = connectionInfoFrom(
      report(
        { id: 'T', type: 'transport', selectedCandidatePairId: 'P' },
        pair,
        local('srflx', 'tcp'),
        remote('relay'),
      ),
    );
    assert.equal(info?.type, 'relayed');
    assert.equal(info?.protocol, 'tcp');
    assert.equal(info?.relayProtocol, undefined, 'only a local relay candidate has a relay protocol');
  });

  it('a local relay candidate tells how this side reaches TURN (relayProtocol: udp, tcp or tls)', () => {
    const info = connectionInfoFrom(
      report(
        { id: 'T', type: 'transport', selectedCandidatePairId: 'P' },
        pair,
        { ...local('relay'), relayProtocol: 'tls' },
        remote('srflx'),
      ),
    );
    assert.equal(info?.type, 'relayed');
    assert.equal(info?.relayProtocol, 'tls');
  });

  it('without a selected pair id it falls back to the nominated succeeded pair, and is undefined with none', () => {
    const nominated = { ...pair, nominated: true, state: 'succeeded', currentRoundTripTime: undefined };
    const info = connectionInfoFrom(report(nominated, local('relay'), remote('host')));
    assert.equal(info?.type, 'relayed');
    assert.equal(info?.rttMs, undefined);
    assert.equal(
      connectionInfoFrom(report({ ...pair, nominated: false }, local('host'), remote('host'))),
      undefined,
    );
  });
});
