/** Messages between the orchestrator and its child processes (Node IPC, JSON). */
import type { SystemName } from './systems.js';

export interface SetupRequest {
  op: 'setup';
  system: SystemName;
  host: string;
  port: number;
  pairs: number;
  /** Unique per worker, so room names and client IDs never collide between workers. */
  prefix: string;
  concurrency: number;
  /** Whether clients send their system's own keep-alive frames (default true). */
  keepAlive?: boolean;
}
export interface RunRequest {
  op: 'run';
  /** Offered signal frames per second, summed over this worker's clients. */
  rate: number;
  warmupMs: number;
  windowMs: number;
  drainMs: number;
  /** The server's pid, so its CPU time can be read at the window's exact edges. */
  serverPid?: number;
}
export type WorkerRequest =
  | SetupRequest
  | RunRequest
  | { op: 'settle'; timeoutMs: number }
  /** Every client sends its system's keep-alive frame once, now; the reply is how many did. */
  | { op: 'beat' }
  | { op: 'close' };

export interface SetupReply {
  connected: number;
  failed: number;
  ms: number;
  errors: string[];
}
export interface RunReply {
  offered: number;
  /** Frames sent inside the measurement window, and those the client could not send (socket backlog). */
  sent: number;
  skipped: number;
  /** Of the frames sent in the window, how many arrived before the drain ended. */
  received: number;
  windowMs: number;
  /** Frames that arrived during the window (whenever sent): what the server relayed in it. */
  arrivedInWindow: number;
  /** The server's CPU use over the window, in cores, and in seconds (NaN without serverPid). */
  serverCpu: number;
  serverCpuSeconds: number;
  hist: Array<[number, number]>;
  /** The worker's own event-loop utilisation over the window (1 = the load generator was the bottleneck). */
  elu: number;
  /** The longest gap between the worker's send ticks in the window (a stall of the load generator itself). */
  maxTickGapMs: number;
  closes: number;
  closeReasons: string[];
  /** Error frames the server sent during this run (e.g. RATE_LIMITED), with a few samples. */
  errorFrames: number;
  errorSamples: string[];
}
export interface SettleReply {
  inflight: number;
  ms: number;
}

export type ServerRequest =
  | { op: 'mem' }
  | { op: 'gc-stats' }
  | { op: 'prof-start' }
  | { op: 'prof-stop'; file: string }
  | { op: 'heap-snapshot'; file: string }
  | { op: 'alloc-start' }
  | { op: 'alloc-stop' }
  | { op: 'exit' };
export interface MemReply {
  rss: number;
  /** V8 heap pages actually backed by memory (all spaces). */
  heapPhysical: number;
  /** Memory V8 itself malloc'ed outside its heap pages. */
  mallocedV8: number;
  /** Resident bytes of malloc's main arena (the `[heap]` mapping), 0 where unknown. */
  nativeHeap: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

/** GC pauses in the server since the previous gc-stats request. */
/** What the server allocated between alloc-start and alloc-stop (V8's sampling heap profiler, dead objects included). */
export interface AllocReply {
  bytes: number;
  ms: number;
  /** V8's young generation (both semi-spaces) at alloc-stop, read without forcing a GC. */
  youngGen: number;
}
export interface GcReply {
  scavenges: number;
  scavengeMs: number;
  scavengeP50Ms: number;
  scavengeMaxMs: number;
  /** Time in mark-sweep/compact and incremental marking steps. */
  majorMs: number;
  /** The server's event-loop delay (timer lateness, 1 ms resolution) since the previous request. */
  loopDelayMaxMs: number;
  loopDelayP99Ms: number;
}
