/**
 * Admits TCP connections to the HTTP/WebSocket port: at most `perAddress` open at once from one client
 * address (an IPv6 client counts by its /64) and `total` in all. A connection past either bound is
 * answered `503` with `X-Parley-Error` and closed before any request of it is read, so a flood from one
 * machine costs it, not everyone else.
 */
import type { Socket } from 'node:net';
import type { ErrorCode } from '@parley/protocol';
import { addressKey } from './address-key.js';

export interface ConnectionLimits {
  perAddress: number;
  total: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = { perAddress: 256, total: 60_000 };

export class ConnectionGate {
  private readonly byAddress = new Map<string, number>();
  private open = 0;
  /** Connections refused, ever, by the bound that refused them. */
  readonly refused = { perAddress: 0, total: 0 };

  constructor(private readonly limits: ConnectionLimits) {}

  get connections(): number {
    return this.open;
  }

  /** Counts a new socket in, or refuses it (and ends it). Attach before anything else reads the socket. */
  admit(socket: Socket): boolean {
    const key = addressKey(socket.remoteAddress);
    const held = this.byAddress.get(key) ?? 0;
    const why =
      this.open >= this.limits.total ? 'total' : held >= this.limits.perAddress ? 'perAddress' : undefined;
    if (why) {
      this.refused[why]++;
      socket.on('error', noop);
      // Written at once (a fresh socket takes a small write synchronously), then closed: no request on
      // this connection is ever read.
      socket.write(
        'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n' +
          `X-Parley-Error: ${REFUSAL[why]}\r\n\r\n`,
      );
      socket.destroy();
      return false;
    }
    this.open++;
    this.byAddress.set(key, held + 1);
    socket.once('close', () => {
      this.open--;
      const n = (this.byAddress.get(key) ?? 1) - 1;
      if (n > 0) this.byAddress.set(key, n);
      else this.byAddress.delete(key);
    });
    return true;
  }
}

const REFUSAL: Record<'total' | 'perAddress', ErrorCode> = {
  total: 'SERVER_FULL',
  perAddress: 'TOO_MANY_CONNECTIONS',
};

function noop(): void {}
