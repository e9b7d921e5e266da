import type { ClusterLink } from './cluster-link.js';

/** What the signaling core is given (transport, clock, randomness) and what it reports. */
export interface Transport<C> {
  /**
   * Sends one text frame: a string, or its UTF-8 bytes. `burst`: one of a resume's frames, which come at
   * once by design and must not count against the connection's send-queue bound.
   */
  send(conn: C, text: string | Uint8Array, burst?: boolean): void;
  close(conn: C, code: number, reason: string): void;
}
export interface Clock {
  now(): number;
  /** Runs `fn` after `ms`; returns a function that cancels it. */
  setTimeout(fn: () => void, ms: number): () => void;
}
export interface Random {
  peerId(): string;
  token(): string;
}
export interface CoreDeps<C> {
  transport: Transport<C>;
  clock: Clock;
  random: Random;
  /** Told about failures inside the core (never caused by a client's bytes alone). */
  onInternalError?: (err: unknown) => void;
  /** The other nodes of a cluster; absent: this node is alone (and nothing of a cluster is loaded). */
  cluster?: ClusterLink;
}

export interface CoreStats {
  connections: number;
  sessions: number;
  rooms: number;
  /** Frames received from clients, ever. */
  framesIn: number;
  /** Sequenced frames delivered (or kept for delivery) to sessions, ever. */
  framesOut: number;
  /** Error frames sent, by code, ever. */
  errors: Record<string, number>;
  /** Sessions whose socket dropped, waiting out their resume window. */
  dropped: number;
  /** Bytes held by every replay buffer together. */
  replayBytes: number;
  /** Times a replay buffer stopped keeping frames because replayTotalBytes was reached, ever. */
  replayOverBudget: number;
  /** Dropped sessions that gave their seat to a newcomer in a full room, ever. */
  seatsReclaimed: number;
  /** Connections closed for staying in no room past idleTimeoutMs, ever. */
  idleClosed: number;
  /** In a cluster: peers held by other nodes, frames relayed to and from them, ever, and frames lost. */
  cluster?: { remoteSessions: number; framesToNodes: number; framesFromNodes: number; unreachable: number };
}
