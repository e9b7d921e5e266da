/**
 * Fuzzer (d): TURN over UDP (native data path and node:dgram), TCP and TLS. A batch opens a few lanes
 * (clients that did the real exchange, turn-lanes.ts) and sends each case, one mutated message of the
 * lane's valid traffic (turn-messages.ts), without waiting for answers. UDP is paced in bursts so that
 * the kernel does not drop most of it. A case is its seed: replaying it regenerates the same mutation of
 * a fresh lane's traffic (only the nonce and credentials differ).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSignedCert } from '../../apps/cli/test/hostile/tls-cert.js';
import type { Case, Fuzzer, RunOptions, RunResult } from './driver.js';
import { runFuzzer } from './driver.js';
import { Rng } from './random.js';
import type { Target } from './target.js';
import { type Flood, flood } from './turn-flood.js';
import { type Lane, streamLane, TURN_SECRET, udpLane } from './turn-lanes.js';
import { fuzzMessage } from './turn-messages.js';

export type TurnCase = Case;
export type TurnTransport = 'udp' | 'tcp' | 'tls';

/** A self-signed certificate for TURN over TLS, made once per process with openssl. */
let certs: { cert: string; key: string } | undefined;
function selfSigned(): { cert: string; key: string } {
  if (certs) return certs;
  const dir = mkdtempSync(join(tmpdir(), 'parley-fuzz-tls-'));
  certs = selfSignedCert(dir);
  return certs;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function turnFuzzer(
  transport: TurnTransport,
  dataPath: 'native' | 'dgram' = 'native',
): Fuzzer<TurnCase> {
  const udp = transport === 'udp';
  const laneCount = udp ? 8 : 6;
  // Counts across a run: answers the server sent, lanes that could or could not be opened.
  const stats: Record<string, number> = {};
  const count = (k: string, n = 1) => {
    stats[k] = (stats[k] ?? 0) + n;
  };
  async function openLanes(target: Target, r: Rng): Promise<(Lane | undefined)[]> {
    const serve = target.serve;
    return Promise.all(
      Array.from({ length: laneCount }, (_, i) => {
        const src = `127.0.${1 + (i % 4)}.${r.range(1, 254)}`;
        const user = `fuzz${i}`;
        // The last two lanes have no allocation: traffic from a 5-tuple the server does not know.
        const allocate = i < laneCount - 2;
        return udp
          ? udpLane(r, serve, src, allocate, user)
          : streamLane(r, serve, src, transport === 'tls', { allocate, tcpRelay: i % 2 === 1, user });
      }),
    );
  }
  return {
    name: udp ? (dataPath === 'dgram' ? 'turn-udp-dgram' : 'turn-udp') : `turn-${transport}`,
    batch: udp ? 5000 : 500,
    stats,
    serveArgs() {
      const args = ['--turn-secret', TURN_SECRET, '--turn-allow-peer', '127.0.0.0/8'];
      if (transport === 'tls') {
        const { cert, key } = selfSigned();
        args.push('--turn-cert', cert, '--turn-key', key, '--turn-tls-port', '0');
      }
      return { args, ...(dataPath === 'dgram' ? { env: { PARLEY_TURN_NATIVE: '0' } } : {}) };
    },
    generate: (seed) => ({ seed }),
    async execute(target, cases) {
      if (!cases.length || !target.alive()) return 0;
      const r = new Rng(cases[0]!.seed ^ 0x5eed);
      // One batch in 64 (UDP) or 16 (streams), never a case being replayed, first floods from one address.
      const flooding: Flood | undefined =
        cases.length > 1 && r.chance(udp ? 1 / 64 : 1 / 16)
          ? await flood(r, target.serve, transport, count)
          : undefined;
      const lanes = await openLanes(target, r);
      count('lanes opened', lanes.filter(Boolean).length);
      count('lanes failed', lanes.filter((l) => !l).length);
      let inputs = 0;
      let reopened = 0;
      const pending: Uint8Array[][] = lanes.map(() => []);
      for (let i = 0; i < cases.length && target.alive(); i++) {
        const cr = new Rng(cases[i]!.seed);
        const li = cr.int(laneCount);
        let lane = lanes[li];
        if (!lane?.alive && !udp && reopened < 20) {
          // A stream the server closed (garbage ends a TCP connection): open another in its place.
          reopened++;
          lane = await streamLane(
            r,
            target.serve,
            `127.0.${1 + (li % 4)}.${r.range(1, 254)}`,
            transport === 'tls',
            {
              allocate: li < laneCount - 2,
              tcpRelay: li % 2 === 1,
              user: `fuzz${li}`,
            },
          );
          lanes[li] = lane;
        }
        if (!lane?.alive) continue;
        const { bytes } = fuzzMessage(cr, lane.auth);
        if (udp) {
          if (lane.send(bytes)) inputs++;
          // Bursts of 256, then let the server drain its socket.
          if (inputs % 256 === 0) await sleep(4);
        } else {
          // Streams: sometimes several messages in one write, sometimes one message in pieces.
          const q = pending[li]!;
          q.push(bytes);
          if (cr.chance(0.6) || q.length > 8) {
            const all = Buffer.concat(q);
            q.length = 0;
            if (cr.chance(0.2) && all.length > 1) {
              const at = cr.range(1, all.length - 1);
              lane.send(all.subarray(0, at));
              await new Promise((res) => setImmediate(res));
              lane.send(all.subarray(at));
            } else lane.send(all);
          }
          inputs++;
          if (inputs % 64 === 0) await new Promise((res) => setImmediate(res));
        }
      }
      for (const [li, q] of pending.entries()) if (q.length) lanes[li]?.send(Buffer.concat(q));
      await sleep(udp ? 30 : 50);
      for (const lane of lanes) if (lane) count('answers', lane.answers);
      await Promise.all(lanes.map((l) => l?.close()));
      await flooding?.release();
      return inputs;
    },
  };
}

export const turnUdp = turnFuzzer('udp');
export const turnUdpDgram = turnFuzzer('udp', 'dgram');
export const turnTcp = turnFuzzer('tcp');
export const turnTls = turnFuzzer('tls');

export function run(
  o: RunOptions & { transport?: TurnTransport; dataPath?: 'native' | 'dgram' },
): Promise<RunResult> {
  return runFuzzer(turnFuzzer(o.transport ?? 'udp', o.dataPath ?? 'native'), o);
}
