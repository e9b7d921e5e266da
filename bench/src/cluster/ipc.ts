/** Messages between bench:cluster's idle phase (cluster.ts) and its load workers (idle-worker.ts). */

export interface IdleSetup {
  op: 'setup';
  host: string;
  /** Every node's port: a room's two members join on two different ones. */
  ports: number[];
  pairs: number;
  /** Global index of this worker's first room, so rooms spread evenly over node pairs. */
  firstPair: number;
  prefix: string;
  /** Source addresses (127.0.0.x), `perAddress` consecutive clients on each. */
  localAddresses: string[];
  perAddress: number;
  concurrency: number;
  /** Send the SDK's keep-alive ping every 20 s per client. */
  keepAlive: boolean;
}
export interface IdleSetupReply {
  connected: number;
  failed: number;
  ms: number;
  errors: string[];
  /** Join latency (connect to `joined`), µs, sparse histogram. */
  joinHist: Array<[number, number]>;
}
export interface CheckReply {
  rooms: number;
  mismatches: number;
  samples: string[];
  /** Sockets the worker saw closed since setup (should be 0 while idle). */
  closes: number;
  closeReasons: string[];
}
export interface LeaveReply {
  rooms: number;
  /** Partners that never got `peer-left` for the member that left. */
  missing: number;
  ms: number;
  samples: string[];
}
export type IdleRequest =
  | IdleSetup
  | { op: 'check'; every: number }
  | { op: 'leave'; every: number; timeoutMs: number }
  | { op: 'close' };
