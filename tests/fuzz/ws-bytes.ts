/**
 * Fuzzer (a): WebSocket at the byte level over raw sockets. Each case is one connection: a handshake
 * (valid or mangled, any subprotocol offer), then frames of every kind, written in random pieces, with a
 * reset at a random moment. The case holds the exact bytes, so a committed case replays exactly.
 */
import type { Case, Fuzzer, RunOptions, RunResult } from './driver.js';
import { runFuzzer } from './driver.js';
import { Rng } from './random.js';
import { cut, HeldSockets, loopbackSource, pool, runRaw } from './raw-socket.js';
import type { Target } from './target.js';
import { encodeFrame, frames, handshake, splits } from './ws-grammar.js';

export interface WsBytesCase extends Case {
  src: string;
  /** The handshake (latin1) and where it is cut. */
  handshake: string;
  handshakeCuts: number[];
  /** Wait for the server's 101 before sending frames (else the frames follow the handshake at once). */
  wait: boolean;
  /** Every frame's bytes, hex, and where the byte stream is cut into writes. */
  frames: string;
  frameCount: number;
  frameCuts: number[];
  /** Reset after this many writes (undefined: close politely). */
  resetAfter?: number;
  lingerMs: number;
  /** Stay connected (from one address, 127.0.9.2): how many connections does the server let one keep? */
  hold?: true;
}

/** Connections ws-bytes cases keep open: up to 3000, each up to 60 s. */
const held = new HeldSockets(3000, 60_000);
const stats: Record<string, number> = {};

export const wsBytes: Fuzzer<WsBytesCase> = {
  name: 'ws-bytes',
  batch: 120,
  serveArgs: () => ({ args: [] }),
  generate(seed) {
    const r = new Rng(seed);
    // The port goes into Host; the real one is set at execution, so a case does not depend on it.
    const hs = handshake(r, 0);
    const list = frames(r);
    const bytes = Buffer.concat(list.map((f) => encodeFrame(f, r.bytes(4))));
    const handshakeCuts = r.chance(0.85) ? [hs.text.length] : splits(r, hs.text.length);
    const frameCuts = splits(r, bytes.length);
    const writes = handshakeCuts.length + frameCuts.length;
    const c: WsBytesCase = {
      seed,
      src: loopbackSource(r),
      handshake: hs.text,
      handshakeCuts,
      wait: r.chance(0.8),
      frames: bytes.toString('hex'),
      frameCount: list.length,
      frameCuts,
      lingerMs: r.pick([0, 5, 20, 50]),
    };
    if (r.chance(0.2)) c.resetAfter = r.range(1, writes);
    else if (hs.valid && r.chance(0.1)) {
      c.hold = true;
      c.src = '127.0.9.2';
    }
    return c;
  },
  async execute(target: Target, cases) {
    let inputs = 0;
    await pool(cases, 24, async (c) => {
      if (!target.alive()) return;
      const hs = Buffer.from(c.handshake.replace('127.0.0.1:0', `127.0.0.1:${target.serve.port}`), 'latin1');
      const head = cut(
        hs,
        c.handshakeCuts.map((n, i, a) => (i === a.length - 1 ? n + hs.length - c.handshake.length : n)),
      );
      const body = cut(Buffer.from(c.frames, 'hex'), c.frameCuts);
      const outcome = await runRaw({
        host: target.serve.host,
        port: target.serve.port,
        src: c.src,
        chunks: [...head, ...body],
        ...(c.wait ? { waitAfter: head.length - 1 } : {}),
        ...(c.resetAfter !== undefined ? { resetAfter: c.resetAfter } : {}),
        lingerMs: c.lingerMs,
        ...(c.hold ? { hold: (sock: import('node:net').Socket) => held.add(sock) } : {}),
      });
      inputs += 1 + c.frameCount;
      const k = `handshake ${/^HTTP\/1\.1 (\d{3})/.exec(outcome.firstLine)?.[1] ?? (outcome.firstLine ? 'other' : 'no answer')}`;
      stats[k] = (stats[k] ?? 0) + 1;
    });
    stats['held now'] = held.size;
    stats['held peak'] = held.peak;
    stats['held closed by server'] = held.closedByServer;
    return inputs;
  },
  stats,
};

export function run(o: RunOptions): Promise<RunResult> {
  return runFuzzer(wsBytes, o);
}
