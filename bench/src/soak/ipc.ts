/** Messages between the soak orchestrator (soak.ts) and its worker processes (Node IPC, JSON). */

/** Well-behaved fleet: one worker holds whole rooms, so sender and receiver share one clock. */
export interface FleetSetup {
  op: 'setup';
  /** Index of this worker, for unique room names and a seed of its own. */
  worker: number;
  host: string;
  port: number;
  clients: number;
  roomSize: number;
  /** Source addresses to spread this worker's clients over (127.0.0.x). */
  localAddresses: string[];
  concurrency: number;
  seed: number;
  /** Give up on a client that has not been welcomed after this long. */
  joinTimeoutMs: number;
}
export interface FleetSetupReply {
  connected: number;
  failed: number;
  ms: number;
  errors: string[];
}

export interface FleetRun {
  op: 'run';
  /** Frames per second each client sends (message or signal, to its room's peers in turn). */
  rate: number;
  durationMs: number;
  /** Share of the clients that drop their socket now and then (terminate, no leave) and resume. */
  dropFraction: number;
  /** Mean seconds between two drops of one dropping client (exponential). */
  dropEverySec: number;
  /** A dropped client reconnects after a uniform delay in [min, max] ms, inside the resume window. */
  resumeDelayMs: [number, number];
  /** Stop scheduling drops this long before the end, so every resume finishes in the run. */
  quietTailMs: number;
}

/** Counters of one worker after the run (the orchestrator sums them). */
export interface FleetTotals {
  clients: number;
  /** Clients welcomed and still in the game at the end (connected, or resumed). */
  aliveAtEnd: number;
  sent: number;
  sentMessage: number;
  sentSignal: number;
  /** Distinct (sender, frame number) pairs that arrived at their target. */
  receivedUnique: number;
  /** Arrivals of a frame its target already had (by the sender's number, whatever the seq). */
  duplicates: number;
  /** Frames sent to a target and never received by it. */
  lost: number;
  /**
   * Of `lost`, those sent to a session a failed resume ended (its client gave up, or joined again as a new
   * peer); the rest were lost although their target kept its session: exactly-once broken.
   */
  lostToFailedResume: number;
  /** Frames that arrived for another client than the one they were sent to (should be 0). */
  misdelivered: number;
  /** Arrivals whose `seq` was not the previous one + 1 on that session (gap or repeat). */
  seqGaps: number;
  seqRepeats: number;
  /** Arrived as part of a resume's replay (seq ≤ the `seq` in `resumed`). */
  replayed: number;
  drops: number;
  resumesOk: number;
  resumesFailed: number;
  resumeFailReasons: Record<string, number>;
  /** Attempts that went wrong (timeout, socket closed, refused) and were tried again or given up. */
  resumeRetryReasons: Record<string, number>;
  /** When resume attempts timed out, and whether their socket had completed its upgrade. */
  resumeTimeoutSamples: string[];
  /** Time from sending `resume` to `resumed`, summed, and the slowest. */
  resumeMsSum: number;
  resumeMsMax: number;
  /** After a failed resume the client joins again (new peer id). */
  rejoins: number;
  /** Sockets that closed without the client asking (server closed them). */
  unexpectedCloses: number;
  closeReasons: Record<string, number>;
  errorFrames: Record<string, number>;
  errorSamples: string[];
  /** Sends skipped because the client's socket held more than 1 MiB unsent. */
  skippedBackpressure: number;
  /** Latency histograms (sparse, see ../signaling/histogram.ts): live relays and replayed frames. */
  liveHist: Array<[number, number]>;
  replayHist: Array<[number, number]>;
  liveMaxUs: number;
  replayMaxUs: number;
  /** The worker's own event-loop utilisation over the run (near 1: the load generator was the limit). */
  elu: number;
}

export interface FleetProgress {
  progress: true;
  worker: number;
  connected: number;
  sent: number;
  drops: number;
  resumesOk: number;
  resumesFailed: number;
}

/** Hostile mix, all from its own loopback addresses. */
export interface HostileRun {
  op: 'hostile';
  host: string;
  port: number;
  turnPort: number;
  turnSecret: string;
  durationMs: number;
  /** Addresses, one per kind that needs its own (so a per-address limit sees one attacker). */
  addresses: {
    paused: string;
    flood: string;
    malformed: string;
    oversized: string;
    http: string;
    slowloris: string;
    turn: string;
  };
  seed: number;
  /** Path of a file the server serves statically, for the Range requests. */
  staticPath: string;
}

export interface HostileKindStats {
  /** What was sent: connections, frames, requests or allocations, per kind (see `unit`). */
  sent: number;
  unit: string;
  /** Outcomes by label (HTTP status, close code, error code, STUN error code, …). */
  outcomes: Record<string, number>;
  notes: string[];
}
export type HostileReply = Record<string, HostileKindStats>;
