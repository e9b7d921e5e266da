/**
 * What one keep-alive message costs a server in allocation: idle clients (none of them on a keep-alive
 * timer), then every client sends its system's keep-alive frame once per round (Parley's server answers
 * with a pong; PeerJS's does not answer a HEARTBEAT). V8's sampling heap profiler, dead objects
 * included, counts the bytes; the same window with nothing sent is subtracted.
 *
 * Why it matters: V8 gives its young generation back only while a process allocates under 1,000 bytes/ms
 * (heap.cc, ShouldResizeNewSpace). Bytes per message times messages per millisecond says on which side of
 * that line an idle server with a given number of clients sits.
 */
import { allocationDuring, sleep, startRig } from './procs.js';
import type { SystemName } from './systems.js';

export interface KeepAliveCost {
  system: SystemName;
  clients: number;
  /** Keep-alive frames sent over all rounds. */
  messages: number;
  /** Allocation with nothing sent (the server's own liveness work), bytes/ms. */
  baselineBytesPerMs: number;
  /** Allocation per keep-alive message, the server's reply included, baseline subtracted. */
  bytesPerMessage: number;
}

const ROUNDS = 3;
const ROUND_MS = 1000;

export async function keepAliveCost(
  system: SystemName,
  clients: number,
  serverCpu: string | null,
  clientCpu: string | null,
): Promise<KeepAliveCost> {
  const rig = await startRig(system, {
    serverCpu,
    clientCpu,
    pairs: Math.floor(clients / 2),
    prefix: 'k',
    concurrency: 32,
    keepAlive: false,
  });
  const { server, worker, setup } = rig;
  try {
    await sleep(2000);
    const [base] = await allocationDuring([server], () => sleep(ROUNDS * ROUND_MS));
    let messages = 0;
    const [beats] = await allocationDuring([server], async () => {
      for (let i = 0; i < ROUNDS; i++) {
        messages += await worker.request<number>({ op: 'beat' });
        await sleep(ROUND_MS);
      }
    });
    if (!base || !beats) throw new Error('no allocation reply from the server');
    const baselineBytesPerMs = base.bytes / base.ms;
    return {
      system,
      clients: setup.connected,
      messages,
      baselineBytesPerMs,
      bytesPerMessage: messages ? (beats.bytes - baselineBytesPerMs * beats.ms) / messages : Number.NaN,
    };
  } finally {
    await rig.stop();
  }
}
