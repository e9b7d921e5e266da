import type { Allocation, Channel } from '../core/allocation-record.js';
import type { TurnCounters } from '../core/counters.js';
import type { DataPathMirror } from '../core/state.js';
import type { NativeUdp } from './native-udp.js';

/**
 * Keeps the native engine's relay tables in step with the core (a DataPathMirror): an allocation whose
 * client speaks UDP to a native listener, and whose relay socket is native, is mirrored; its permissions
 * and channels follow as the core installs, refreshes, expires and removes them. Everything the fast path
 * relays is counted natively and folded back into the core's counters by `sync` (and when an allocation
 * closes), so `counters()` stays exact.
 */
export class NativeMirror implements DataPathMirror {
  /** native relay socket id → mirrored allocation */
  private readonly mirrored = new Map<number, Allocation>();
  /** allocation id → native relay socket id */
  private readonly relayOf = new Map<number, number>();
  counters: TurnCounters | undefined;

  constructor(
    private readonly udp: NativeUdp,
    /** Native socket id of an allocation's relay socket, if it has a native one. */
    private readonly relaySocket: (allocation: number) => number | undefined,
    /** Native socket id of a UDP listener, if the addon owns it. */
    private readonly listenerSocket: (listener: number) => number | undefined,
  ) {}

  opened(a: Allocation): void {
    if (a.transport !== 'udp' || a.client.transport !== 'udp') return;
    const relay = this.relaySocket(a.id);
    const listener = this.listenerSocket(a.client.listener);
    if (relay === undefined || listener === undefined) return;
    this.udp.addon.relay(this.udp.engine, relay, listener, a.client.address, a.client.port, a.expiresAt);
    this.mirrored.set(relay, a);
    this.relayOf.set(a.id, relay);
  }

  refreshed(a: Allocation): void {
    const relay = this.relayOf.get(a.id);
    if (relay !== undefined) this.udp.addon.expires(this.udp.engine, relay, a.expiresAt);
  }

  closed(a: Allocation): void {
    const relay = this.relayOf.get(a.id);
    if (relay === undefined) return;
    this.apply(this.udp.addon.takeCounters(this.udp.engine, relay));
    this.udp.addon.unrelay(this.udp.engine, relay);
    this.mirrored.delete(relay);
    this.relayOf.delete(a.id);
  }

  permission(a: Allocation, ip: string, expiresAt: number): void {
    const relay = this.relayOf.get(a.id);
    if (relay !== undefined) this.udp.addon.permission(this.udp.engine, relay, ip, expiresAt);
  }

  permissionRemoved(a: Allocation, ip: string): void {
    const relay = this.relayOf.get(a.id);
    if (relay !== undefined) this.udp.addon.permission(this.udp.engine, relay, ip, 0);
  }

  channel(a: Allocation, ch: Channel): void {
    const relay = this.relayOf.get(a.id);
    if (relay === undefined) return;
    this.udp.addon.channel(this.udp.engine, relay, ch.number, ch.peerAddress, ch.peerPort, ch.expiresAt);
  }

  channelRemoved(a: Allocation, ch: Channel): void {
    const relay = this.relayOf.get(a.id);
    if (relay !== undefined) this.udp.addon.unchannel(this.udp.engine, relay, ch.number);
  }

  /** Folds what the fast path relayed since the last call into the core's counters. */
  sync(): void {
    this.apply(this.udp.addon.takeCounters(this.udp.engine, -1));
  }

  private apply(t: number[]): void {
    const c = this.counters;
    if (!c) return;
    c.received += t[0] ?? 0;
    for (let i = 1; i + 4 < t.length; i += 5) {
      const toPeerPackets = t[i + 1]!;
      const toPeerBytes = t[i + 2]!;
      const toClientPackets = t[i + 3]!;
      const toClientBytes = t[i + 4]!;
      c.packetsToPeers += toPeerPackets;
      c.bytesToPeers += toPeerBytes;
      c.packetsToClients += toClientPackets;
      c.bytesToClients += toClientBytes;
      const u = this.mirrored.get(t[i]!)?.counters;
      if (!u) continue;
      u.packetsToPeers += toPeerPackets;
      u.bytesToPeers += toPeerBytes;
      u.packetsToClients += toClientPackets;
      u.bytesToClients += toClientBytes;
    }
  }
}
