import { readFileSync } from 'node:fs';
import type { LimitName, TurnCounters } from '../core/counters.js';
import { sourceKey } from '../core/source-key.js';

/** Limits on TCP/TLS client connections, which cost a file descriptor and buffers each. */
export interface StreamLimits {
  /**
   * Open TCP and TLS client connections (handshaking, control and RFC 6062 data connections alike) from one
   * source (IPv4 address, or IPv6 cut to the quotas' `sourcePrefixV6`). Default 256: dozens of browsers
   * behind one NAT, each with a TCP and a TLS candidate per peer connection.
   */
  readonly connectionsPerSource: number;
  /**
   * Open TCP and TLS client connections on the whole server. Default: 40 % of the process's open-file
   * limit (see descriptorShare), at most 10 000; 4096 when the limit is unknown.
   */
  readonly connectionsTotal: number;
  /** A connection that has not delivered a whole STUN message (TLS handshake included) by then is closed. */
  readonly firstMessageTimeoutMs: number;
  /** A connection holding no allocation is closed after this long without a byte either way. */
  readonly idleTimeoutMs: number;
  /**
   * A connection holding an allocation is closed after this long without a byte either way. Default 11
   * minutes: longer than the default allocation lifetime, so a client that only refreshes keeps it.
   */
  readonly allocatedIdleTimeoutMs: number;
  /**
   * Largest STUN or ChannelData frame, in bytes with header and padding. A header declaring more closes
   * the connection; a partial frame is buffered in exactly its declared size. Default 16 384 (WebRTC
   * sends MTU-sized packets; STUN messages are far smaller).
   */
  readonly maxFrameBytes: number;
}

/** The soft limit on open files, from /proc (Linux); undefined elsewhere. */
export function openFileLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line ? Number(line.split(/\s{2,}/)[1]) : Number.NaN;
    return Number.isFinite(soft) && soft > 0 ? soft : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The share of the open-file limit one kind of TURN descriptor may take by default, at most `max`: TCP/TLS
 * client connections get 40 %, relay sockets (allocations) 40 %, so that even with both full, signaling,
 * /healthz and the process itself keep a fifth of the descriptors. `fallback` when the limit is unknown.
 */
export function descriptorShare(max: number, fallback: number, files: number | undefined): number {
  return files === undefined ? Math.min(max, fallback) : Math.max(16, Math.min(max, Math.floor(files * 0.4)));
}

export function defaultStreamLimits(): StreamLimits {
  return {
    connectionsPerSource: 256,
    connectionsTotal: descriptorShare(10_000, 4096, openFileLimit()),
    firstMessageTimeoutMs: 5000,
    idleTimeoutMs: 30_000,
    allocatedIdleTimeoutMs: 660_000,
    maxFrameBytes: 16_384,
  };
}

/** Counts open client stream connections per source and in total, across all TCP and TLS listeners. */
export class StreamGate {
  private total = 0;
  private readonly bySource = new Map<string, number>();

  constructor(
    readonly limits: StreamLimits,
    private readonly counters: TurnCounters,
    private readonly prefixV6: number,
  ) {}

  /** Takes a slot for a new connection from `address`; returns false (and counts why) when none is left. */
  admit(address: string): boolean {
    const key = sourceKey(address, this.prefixV6);
    const mine = this.bySource.get(key) ?? 0;
    const over: LimitName | undefined =
      mine >= this.limits.connectionsPerSource
        ? 'streamConnectionsPerSource'
        : this.total >= this.limits.connectionsTotal
          ? 'streamConnectionsTotal'
          : undefined;
    if (over) {
      this.counters.limits[over]++;
      return false;
    }
    this.bySource.set(key, mine + 1);
    this.total++;
    return true;
  }

  /** Gives back the slot of a closed connection. */
  release(address: string): void {
    const key = sourceKey(address, this.prefixV6);
    const n = (this.bySource.get(key) ?? 1) - 1;
    if (n <= 0) this.bySource.delete(key);
    else this.bySource.set(key, n);
    this.total = Math.max(0, this.total - 1);
  }

  count(limit: LimitName): void {
    this.counters.limits[limit]++;
  }

  get open(): number {
    return this.total;
  }
}
