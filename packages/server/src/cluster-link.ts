/**
 * What the signaling core and a cluster adapter say to each other. The core works alone without one
 * (the single-node default); with one (cluster-redis.ts, loaded only for `--redis`) it sees peers held
 * by other nodes as remote sessions, hands frames for them to the adapter, and lets the adapter move a
 * session here when its client resumes on this node.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FrameBody, PeerLeaveReason } from '@parley/protocol';

/** What a node finds in the shared store when it takes a session over from another node. */
export interface TakeOver {
  room: string;
  /** The peer's `{id, metadata}` JSON. */
  descriptor: string;
  /** The last sequence number the previous node stamped for the session (0: none known). */
  seq: number;
  /** Frames stamped by the previous node and not acknowledged, in order: [seq, bytes]. */
  stamped: [number, Buffer][];
  /** Frames addressed to the peer that no node has stamped yet, in order: [id in the store, body]. */
  pending: [string, FrameBody][];
}

export interface ClusterLink {
  readonly nodeId: string;
  /** Whether the shared store is reachable now: frames for peers on other nodes can be relayed. */
  readonly connected: boolean;
  /** A resume token for a session of this node, verifiable on every node (see clusterTokens). */
  mintToken(peerId: string): string;
  tokenValid(peerId: string, token: string): boolean;
  /**
   * A session starts here: registered, then `then` learns the room's peers on other nodes that joined
   * before it ([id, node, descriptor]; none when the store failed to answer).
   */
  joined(
    peerId: string,
    room: string,
    descriptor: string,
    then: (members: [string, string, string][]) => void,
  ): void;
  /** A session of this node ended: every other node forgets it. */
  left(peerId: string, room: string): void;
  /** A frame for a peer whose client is not on this node now: relayed to the node that holds it. */
  forward(peerId: string, body: FrameBody): void;
  /** A frame this node stamped for one of its sessions, kept for a resume on any node. */
  stamped(peerId: string, seq: number, bytes: Buffer, pendingId: string | undefined): void;
  acked(peerId: string, seq: number): void;
  /** Makes this node the session's holder; `then` runs before frames for it that came meanwhile. */
  takeOver(peerId: string, then: (found: TakeOver | undefined) => void): void;
}

/** What the core offers the adapter. */
export interface ClusterSide {
  /** A peer joined on another node (or was found there after an outage; then announce it here). */
  remoteJoined(peerId: string, room: string, node: string, descriptor: string, announce: boolean): void;
  /** A peer of another node is gone; with a reason, tell this node's peers (its node could not). */
  remoteLeft(peerId: string, reason: PeerLeaveReason | undefined): void;
  /** A session moved to `node` (its client resumed there). */
  moved(peerId: string, node: string): void;
  /** A frame relayed from another node for a session of this one; `pendingId` names it in the store. */
  fromCluster(peerId: string, body: FrameBody, pendingId: string): void;
  /** A peer of a node that died was not resumed anywhere within the resume window. */
  timedOut(peerId: string): void;
  /** This node's sessions, to register again after the store came back. */
  localSessions(): Iterable<{ id: string; room: string; descriptor: string }>;
  /** The other nodes that hold sessions this node knows, with their sessions. */
  remoteNodes(): Map<string, string[]>;
  /** How many sessions this node holds that have not moved elsewhere (a drain waits for none). */
  readonly localCount: number;
}

/**
 * Resume tokens of a cluster: `<peer id>.<nonce><mac>`, the mac an HMAC of the id and nonce under the
 * cluster's shared secret, so that any node can check a token for a session it never held.
 */
export function clusterTokens(secret: string): Pick<ClusterLink, 'mintToken' | 'tokenValid'> {
  const mac = (peerId: string, nonce: string) =>
    createHmac('sha256', secret).update(`${peerId}.${nonce}`).digest('base64url').slice(0, MAC_CHARS);
  return {
    mintToken(peerId) {
      const nonce = randomBytes(12).toString('base64url');
      return `${peerId}.${nonce}${mac(peerId, nonce)}`;
    },
    tokenValid(peerId, token) {
      const prefix = `${peerId}.`;
      if (!token.startsWith(prefix) || token.length !== prefix.length + NONCE_CHARS + MAC_CHARS) return false;
      const nonce = token.slice(prefix.length, prefix.length + NONCE_CHARS);
      const expected = Buffer.from(mac(peerId, nonce));
      const got = Buffer.from(token.slice(prefix.length + NONCE_CHARS));
      return got.length === expected.length && timingSafeEqual(expected, got);
    },
  };
}

const NONCE_CHARS = 16;
const MAC_CHARS = 32;
