/** /raw.js: a page peer that speaks protocol v1 by hand (see ../raw-peer.ts). */
import { RawPeer } from '../raw-peer.js';
import './globals.js';
import { showState } from './show-state.js';

const raw = new RawPeer({ WebSocket, RTCPeerConnection });
window.e2e = { ready: true, raw, describe: () => raw.describe() };
showState();
