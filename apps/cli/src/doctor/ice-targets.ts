/** The STUN and TURN servers a join hands out, read from their URLs. */
import type { IceServerConfig } from '@parley/protocol/client';
import { type IceUrl, parseIceUrl } from '@parley/server';

export interface IceTarget extends IceUrl {
  url: string;
  username?: string;
  credential?: string;
}

/** Every STUN and TURN URL of the ICE servers, read; URLs this doctor cannot read are left out. */
export function iceTargets(servers: readonly IceServerConfig[]): { stun: IceTarget[]; turn: IceTarget[] } {
  const stun: IceTarget[] = [];
  const turn: IceTarget[] = [];
  for (const s of servers) {
    for (const url of Array.isArray(s.urls) ? s.urls : [s.urls]) {
      const u = parseIceUrl(url);
      if (!u) continue;
      if (u.scheme === 'stun') {
        stun.push({ url, ...u });
        continue;
      }
      turn.push({
        url,
        ...u,
        ...(s.username !== undefined ? { username: s.username } : {}),
        ...(s.credential !== undefined ? { credential: s.credential } : {}),
      });
    }
  }
  return { stun, turn };
}
