/** Node peers for the browser suite: node-datachannel's RTCPeerConnection polyfill and `ws`. */
import { joinRoom } from '@parley/client';
import nodeDataChannel from 'node-datachannel';
import { RTCPeerConnection } from 'node-datachannel/polyfill';
import { WebSocket } from 'ws';
import { RawPeer, type RawPeerDeps } from './raw-peer.js';
import { SdkAgent } from './sdk-agent.js';

/** The polyfill and ws as the DOM constructors the peers expect (their shapes match where it matters). */
export const nodeDeps: RawPeerDeps = {
  WebSocket: WebSocket as unknown as RawPeerDeps['WebSocket'],
  RTCPeerConnection: RTCPeerConnection as unknown as RawPeerDeps['RTCPeerConnection'],
};

export function rawNodePeer(): RawPeer {
  return new RawPeer(nodeDeps);
}

/** Stops node-datachannel's native threads, so the test process can exit; call once, after the last peer. */
export function stopNodeDataChannel(): void {
  nodeDataChannel.cleanup();
}

/** A Node peer driven through the SDK, recording what it sees like the pages do. */
export function sdkNodePeer(): SdkAgent {
  return new SdkAgent(joinRoom, { rtc: { RTCPeerConnection }, WebSocket });
}
