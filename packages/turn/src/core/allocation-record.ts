import { type Bucket, takeToken } from '@parley/limits';
import { bytesToHex } from '@parley/stun';
import type { UserCounters } from './counters.js';
import type { ClientAddress, IpFamily, Now, PeerAddress, RelayTransport } from './types.js';

/** RFC 6062 §5.2/§5.3: a TCP connection to a peer, from Connect or from the peer, until it is bound. */
export interface PeerConnection {
  readonly id: number;
  readonly allocation: number;
  readonly peer: PeerAddress;
  /** 'connecting' (outgoing, not yet up), 'pending' (up, waiting for ConnectionBind), 'bound'. */
  state: 'connecting' | 'pending' | 'bound';
  /** When a pending connection is closed for want of a ConnectionBind (30 s, RFC 6062 §5.2/§5.3). */
  bindDeadline: Now;
}

/** RFC 8656 §12: a channel binding; lives 10 minutes unless refreshed. */
export interface Channel {
  readonly number: number;
  readonly peerAddress: string;
  readonly peerPort: number;
  expiresAt: Now;
  /** Counted in the channel gauges: true from binding until expiry (it then cools down uncounted). */
  counted: boolean;
  /** For a channel to another allocation's relayed address (relay to relay): that address's key. */
  readonly toRelay?: string;
}

/** Per-allocation byte budget (optional bandwidth cap): a token bucket in bytes, a second's worth deep. */
export interface ByteBucket extends Bucket {
  readonly bytesPerSecond: number;
}

/** RFC 8656 §2 allocation: relayed transport address, 5-tuple, credentials, permissions, channels. */
export interface Allocation {
  readonly id: number;
  readonly client: ClientAddress;
  readonly username: string;
  /** Quota and counter identity: the REST user part, or the static username. */
  readonly user: string;
  readonly key: Uint8Array;
  readonly family: IpFamily;
  readonly transport: RelayTransport;
  readonly counters: UserCounters;
  /** 'pending' until the I/O layer reports the relay socket bound; 'closed' once forgotten. */
  state: 'pending' | 'open' | 'closed';
  relayAddress: string;
  relayPort: number;
  expiresAt: Now;
  /** Transaction id of the Allocate that made it, and the success response, for retransmissions. */
  readonly allocateTransaction: string;
  allocateResponse: Uint8Array | undefined;
  /** Whether the Allocate carried FINGERPRINT (answers then carry it too). */
  readonly fingerprint: boolean;
  /** Lifetime granted, in seconds (for the Allocate response). */
  readonly lifetimeSec: number;
  readonly reserveToken: string | undefined;
  /** Installed permissions: canonical peer IP → expiry. */
  readonly permissions: Map<string, Now>;
  readonly channels: Map<number, Channel>;
  /** Same channels keyed peer IP → port, for the peer → client hot path without string building. */
  readonly channelsByPeer: Map<string, Map<number, Channel>>;
  readonly bucket: ByteBucket | undefined;
  /** RFC 6062 peer connections of a TCP allocation, by connection id. */
  readonly connections: Map<number, PeerConnection>;
}

/** Allocations by 5-tuple without building key strings: address → (port · 256 + listener) → allocation. */
export class FiveTupleMap<T> {
  private readonly byAddress = new Map<string, Map<number, T>>();

  get(c: ClientAddress): T | undefined {
    return this.byAddress.get(c.address)?.get(c.port * 256 + c.listener);
  }

  set(c: ClientAddress, value: T): void {
    let m = this.byAddress.get(c.address);
    if (!m) {
      m = new Map();
      this.byAddress.set(c.address, m);
    }
    m.set(c.port * 256 + c.listener, value);
  }

  delete(c: ClientAddress): void {
    const m = this.byAddress.get(c.address);
    if (!m) return;
    m.delete(c.port * 256 + c.listener);
    if (m.size === 0) this.byAddress.delete(c.address);
  }
}

/** Finds the live channel bound to a peer transport address. */
export function channelForPeer(a: Allocation, address: string, port: number, now: Now): Channel | undefined {
  const ch = a.channelsByPeer.get(address)?.get(port);
  return ch && ch.expiresAt > now ? ch : undefined;
}

/** True when a live permission exists for the peer IP (RFC 8656 §9: port is ignored). */
export function hasPermission(a: Allocation, address: string, now: Now): boolean {
  const exp = a.permissions.get(address);
  return exp !== undefined && exp > now;
}

/** Takes `bytes` from the allocation's bandwidth budget; false means drop the packet. */
export function takeBandwidth(a: Allocation, bytes: number, now: Now): boolean {
  const b = a.bucket;
  return !b || takeToken(b, now, b.bytesPerSecond, b.bytesPerSecond, bytes);
}

/** Hex text of a transaction id or token, usable as a Map key. */
export function transactionKey(id: Uint8Array): string {
  return bytesToHex(id);
}
