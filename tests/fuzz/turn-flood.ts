/**
 * The resource side of the TURN fuzzer: now and then a batch first floods the server from one source
 * address, as one abusive client would: many allocations (each its own 5-tuple), many channels and
 * permissions on each, and on streams many Connects (each a TCP connection the server opens to the
 * fuzzer's peer). Valid, signed requests, so only the server's limits can stop them. They are held for
 * the batch (RSS is sampled meanwhile) and released at its end; the stats say how many the server took.
 */
import {
  ChannelNumber,
  createMessage,
  MessageClass,
  Method,
  type StunAttribute,
  XorPeerAddress,
} from '@parley/stun';
import type { Rng } from './random.js';
import type { FuzzServe } from './target.js';
import { type Lane, streamLane, udpLane } from './turn-lanes.js';
import { sign } from './turn-messages.js';

export interface Flood {
  lanes: Lane[];
  release(): Promise<void>;
}

const FLOOD_LANES = 120;
const PER_LANE = 40;

export async function flood(
  r: Rng,
  serve: FuzzServe,
  transport: 'udp' | 'tcp' | 'tls',
  count: (k: string, n?: number) => void,
): Promise<Flood> {
  const src = '127.0.9.1';
  const lanes: Lane[] = [];
  for (let i = 0; i < FLOOD_LANES; i += 20) {
    const opened = await Promise.all(
      Array.from({ length: Math.min(20, FLOOD_LANES - i) }, (_, k) =>
        transport === 'udp'
          ? udpLane(r, serve, src, true, `flood${i + k}`, 1)
          : streamLane(r, serve, src, transport === 'tls', {
              allocate: true,
              tcpRelay: k % 2 === 1,
              user: `flood${i + k}`,
              attempts: 1,
            }),
      ),
    );
    for (const l of opened) if (l) lanes.push(l);
    const unanswered = opened.filter((l) => !l).length;
    count('flood lanes unanswered', unanswered);
    // The server stopped answering this address (or refusing connections from it): that is its answer.
    if (unanswered === opened.length) break;
  }
  const allocated = lanes.filter((l) => l.allocated);
  count('flood lanes', lanes.length);
  count('flood allocations granted', allocated.length);
  count('flood allocations refused', lanes.length - allocated.length);
  for (const lane of allocated) {
    for (let n = 0; n < PER_LANE; n++) {
      const t = r.bytes(12);
      const peer = {
        family: 'IPv4' as const,
        address: `127.${r.range(1, 254)}.${r.int(256)}.${r.range(1, 254)}`,
        port: r.range(1024, 65535),
      };
      const attrs: StunAttribute[] = [
        {
          type: XorPeerAddress.type,
          value: XorPeerAddress.encode(
            lane.auth.stream && n % 2 ? { family: 'IPv4', ...lane.auth.peer } : peer,
            t,
          ),
        },
      ];
      const kind = n % 3;
      let method: number = Method.CreatePermission;
      if (kind === 1) {
        method = Method.ChannelBind;
        attrs.unshift({
          type: ChannelNumber.type,
          value: ChannelNumber.encode(0x4000 + ((lane.auth.channel + n) % 0x3fff), t),
        });
      } else if (kind === 2 && lane.auth.stream) method = Method.Connect;
      lane.send(sign(createMessage(method, MessageClass.Request, t, attrs), lane.auth, false));
    }
    await new Promise((res) => setImmediate(res));
  }
  count('flood requests', allocated.length * PER_LANE);
  return {
    lanes,
    async release() {
      await Promise.all(lanes.map((l) => l.close()));
    },
  };
}
