import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RTCPeerConnection as NodeDatachannelPc } from 'node-datachannel/polyfill';
import { iceServersFor, isNodeDatachannel } from './ice-config.js';
import type { RTCPeerConnectionConstructor } from './types.js';

/** A TURN REST credential as `parley serve` mints it: `expiry:peer`, and a base64 HMAC. */
const turn: RTCIceServer = {
  urls: ['turn:203.0.113.10:3478?transport=udp'],
  username: '1767225600:p/x y',
  credential: 'a+b/c==',
};
const stun: RTCIceServer = { urls: ['stun:203.0.113.10:3478'] };

class BrowserLikePc {
  constructor(readonly config: RTCConfiguration) {}
}

describe('iceServersFor', () => {
  it('recognises node-datachannel’s polyfill, and not a browser-shaped class', () => {
    assert.equal(isNodeDatachannel(NodeDatachannelPc as unknown as RTCPeerConnectionConstructor), true);
    assert.equal(isNodeDatachannel(BrowserLikePc), false);
    assert.equal(isNodeDatachannel((() => ({})) as unknown as RTCPeerConnectionConstructor), false);
  });

  it('percent-encodes TURN credentials for node-datachannel, which puts them in a URL unescaped', () => {
    const out = iceServersFor(NodeDatachannelPc as unknown as RTCPeerConnectionConstructor, [stun, turn]);
    assert.deepEqual(out, [
      stun,
      { urls: turn.urls, username: '1767225600%3Ap%2Fx%20y', credential: 'a%2Bb%2Fc%3D%3D' },
    ]);
    assert.equal(decodeURIComponent(out[1]!.username!), turn.username, 'percent-decoding gives them back');
  });

  it('leaves browsers’ servers as given, in copies', () => {
    const given = [stun, turn];
    const out = iceServersFor(BrowserLikePc, given);
    assert.deepEqual(out, given);
    assert.notEqual(out[1], turn, 'a copy: the implementation may change it');
  });

  it('node-datachannel accepts the encoded servers (its configuration check passes)', () => {
    const pc = new NodeDatachannelPc({
      iceServers: iceServersFor(NodeDatachannelPc as unknown as RTCPeerConnectionConstructor, [stun, turn]),
    });
    pc.close();
  });
});
