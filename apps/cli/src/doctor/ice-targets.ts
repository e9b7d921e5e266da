/** The STUN and TURN servers a join hands out, read from their URLs (RFC 7064, RFC 7065). */
import type { IceServerConfig } from '@parley/protocol/client';

export type TurnTransport = 'udp' | 'tcp' | 'tls';

export interface IceTarget {
  url: string;
  host: string;
  port: number;
  /** STUN is always tried over UDP. */
  transport: TurnTransport;
  username?: string;
  credential?: string;
}

const URL_RE = /^(stuns?|turns?):(\[[^\]]+\]|[^:?]+)(?::(\d+))?(?:\?transport=(udp|tcp))?$/i;

/** Every STUN and TURN URL of the ICE servers, read; URLs this doctor cannot read are left out. */
export function iceTargets(servers: readonly IceServerConfig[]): { stun: IceTarget[]; turn: IceTarget[] } {
  const stun: IceTarget[] = [];
  const turn: IceTarget[] = [];
  for (const s of servers) {
    for (const url of Array.isArray(s.urls) ? s.urls : [s.urls]) {
      const m = URL_RE.exec(url);
      if (!m) continue;
      const scheme = m[1]!.toLowerCase();
      const secure = scheme.endsWith('s');
      const host = m[2]!.replace(/^\[|\]$/g, '');
      const port = m[3] ? Number(m[3]) : secure ? 5349 : 3478;
      if (scheme.startsWith('stun')) {
        if (!secure) stun.push({ url, host, port, transport: 'udp' });
        continue;
      }
      const transport: TurnTransport = secure ? 'tls' : m[4]?.toLowerCase() === 'tcp' ? 'tcp' : 'udp';
      turn.push({
        url,
        host,
        port,
        transport,
        ...(s.username !== undefined ? { username: s.username } : {}),
        ...(s.credential !== undefined ? { credential: s.credential } : {}),
      });
    }
  }
  return { stun, turn };
}
