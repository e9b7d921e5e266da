/**
 * How each system under test speaks: where clients connect, how they learn their peer ID, and what a
 * relayed ICE candidate looks like on the wire. Every system relays the same candidate object, with the
 * sender's clock (13 digits, µs) inside the candidate string so the receiver can measure the relay latency
 * without adding fields that a strict schema would refuse.
 */
export type SystemName = 'parley' | 'peerjs' | 'ws-relay' | 'parley-noreplay' | 'parley-noping';
/** Diagnostic variants of our server, run only with --experiment: never a product setting. */
export const EXPERIMENTS = ['parley-noreplay', 'parley-noping'] as const;

export const SYSTEM_LABELS: Record<SystemName, string> = {
  parley: 'Parley (@parley/server)',
  peerjs: 'PeerJS server (peer 1.0.2)',
  'ws-relay': 'bare ws relay (40 lines)',
  'parley-noreplay': 'Parley, replay buffer off (experiment)',
  'parley-noping': 'Parley, WebSocket pings off (experiment)',
};

export const TS_DIGITS = 13;
/** What precedes the timestamp in every relayed frame; the receiver finds it with one indexOf. */
export const TS_MARK = Buffer.from('"candidate:');

const CANDIDATE_TAIL = ' 1 udp 2122260223 192.0.2.2 54321 typ host","sdpMid":"0","sdpMLineIndex":0}';

export interface Dialect {
  subprotocol?: string;
  path(clientId: string): string;
  /** The frame a client sends once open, if any (Parley's join). */
  hello(clientId: string, room: string): string | null;
  /** The peer ID a frame grants this client, when it is the server's welcome. */
  welcome(frame: { type?: unknown; selfId?: unknown }, clientId: string): string | null;
  /** A signal frame to `to` split around the timestamp digits. */
  signal(to: string): { prefix: string; suffix: string };
  /** Whether clients must acknowledge sequenced frames (Parley's replay buffer). */
  acks: boolean;
  /**
   * A keep-alive frame the system's own client sends on a timer (PeerJS's HEARTBEAT), and what the
   * server sends back for it, if anything.
   */
  heartbeat?: { everyMs: number; frame: string; reply?: string };
}

const PARLEY: Dialect = {
  subprotocol: 'parley.v1',
  path: () => '/ws',
  hello: (_id, room) => JSON.stringify({ type: 'join', room }),
  welcome: (f) => (f.type === 'joined' && typeof f.selfId === 'string' ? f.selfId : null),
  signal: (to) => ({
    prefix: `{"type":"signal","to":${JSON.stringify(to)},"data":{"candidate":{"candidate":"candidate:`,
    suffix: `${CANDIDATE_TAIL}}}`,
  }),
  acks: true,
  // The SDK's heartbeat (packages/client/src/heartbeat.ts) pings after 20 s without hearing from the
  // server; an idle client hears nothing else, so it pings every 20–25 s. Every 20 s here.
  heartbeat: { everyMs: 20_000, frame: '{"type":"ping","id":1}', reply: 'pong' },
};

export const DIALECTS: Record<SystemName, Dialect> = {
  parley: PARLEY,
  'parley-noreplay': PARLEY,
  'parley-noping': PARLEY,
  peerjs: {
    path: (id) => `/peerjs?key=peerjs&id=${encodeURIComponent(id)}&token=t${id}`,
    hello: () => null,
    welcome: (f, id) => (f.type === 'OPEN' ? id : null),
    // The PeerJS client (lib/socket.ts) sends one every `pingInterval`, 5 s by default; its server drops
    // a client that stays silent for `alive_timeout` (60 s).
    signal: (to) => ({
      prefix: `{"type":"CANDIDATE","dst":${JSON.stringify(to)},"payload":{"candidate":{"candidate":"candidate:`,
      suffix: `${CANDIDATE_TAIL}}}`,
    }),
    acks: false,
    heartbeat: { everyMs: 5000, frame: '{"type":"HEARTBEAT"}' },
  },
  'ws-relay': {
    path: (id) => `/?id=${encodeURIComponent(id)}`,
    // It has no client of its own. A frame on Parley's interval that it parses and drops (it has no `to`)
    // gives the floor: what merely receiving a keep-alive costs a server on `ws`.
    heartbeat: { everyMs: 20_000, frame: '{"type":"ping"}' },
    hello: () => null,
    welcome: (f, id) => (f.type === 'open' ? id : null),
    signal: (to) => ({
      prefix: `{"to":${JSON.stringify(to)},"data":{"candidate":{"candidate":"candidate:`,
      suffix: `${CANDIDATE_TAIL}}}`,
    }),
    acks: false,
  },
};
