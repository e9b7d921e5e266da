// Test harness for real-socket tests (the TURN clients are @parley/testing/turn's): UDP sockets that record what they get, coturn
// binary checks and turnutils_uclient runs, child processes that are always killed, free ports, polling.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { freeUdpPort, type RunResult, requireBinary, run } from '@parley/testing';

export { type RunResult, requireBinary, run };

/** Starts a long-running helper (e.g. turnutils_peer); the returned stop() kills it and waits. */
export function startDaemon(cmd: string, args: string[]): { child: ChildProcess; stop: () => Promise<void> } {
  const child = spawn(cmd, args, { stdio: 'ignore' });
  return {
    child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('close', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

/**
 * A port below Linux's ephemeral range (32768–60999) for a listener that needs UDP and TCP on one port:
 * ephemeral ports can sit in TCP TIME-WAIT by the ten thousand while other benchmarks run, and then refuse
 * a TCP listen although they are free for UDP. Binding still decides; callers retry on EADDRINUSE.
 */
export function listenerPortCandidate(): number {
  return 20000 + Math.floor(Math.random() * 12000);
}

/** turnutils_uclient's summary line: "Total lost packets 0 (0.000000%), total send dropped 0 (…)". */
export function lostPackets(output: string): { lost: number; dropped: number } {
  const m = /Total lost packets (\d+) \([^)]*\), total send dropped (\d+)/.exec(output);
  assert.ok(m, `no loss summary in turnutils_uclient output:\n${output.slice(-2000)}`);
  return { lost: Number(m[1]), dropped: Number(m[2]) };
}

/** turnutils_uclient's last totals line: "start_mclient: tot_send_msgs=100, tot_recv_msgs=100". */
export function totals(output: string): { sent: number; received: number } {
  const m = [...output.matchAll(/tot_send_msgs=(\d+), tot_recv_msgs=(\d+)\s*$/gm)].at(-1);
  assert.ok(m, 'no message totals in turnutils_uclient output');
  return { sent: Number(m[1]), received: Number(m[2]) };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export { freeUdpPort, until } from '@parley/testing';

/** A UDP socket that keeps every datagram it receives in `inbox`. */
export type InboxSocket = Socket & { inbox: Buffer[] };

/** An {@link InboxSocket} bound to an ephemeral port on `host`, with a 1 MiB receive buffer. */
export async function udpSocket(host = '127.0.0.1'): Promise<InboxSocket> {
  const s = createSocket({
    type: host.includes(':') ? 'udp6' : 'udp4',
    recvBufferSize: 1 << 20,
  }) as InboxSocket;
  s.inbox = [];
  s.on('message', (m) => s.inbox.push(m));
  await new Promise<void>((r) => s.bind(0, host, () => r()));
  return s;
}

export function closeSocket(s: Socket): Promise<void> {
  return new Promise((r) => s.close(() => r()));
}

/** turnutils_peer (it echoes every datagram) on a free UDP port of `host`. */
export async function startEchoPeer(
  host = '127.0.0.1',
): Promise<{ port: number; stop: () => Promise<void> }> {
  const port = await freeUdpPort(host);
  const { stop } = startDaemon('turnutils_peer', ['-L', host, '-p', String(port)]);
  return { port, stop };
}

export interface UclientOptions {
  /** The REST user name (-u) and the shared secret it is minted with (-W). */
  user: string;
  secret: string;
  /** Our server's port (-p) and address. */
  port: number;
  server?: string;
  /** The turnutils_peer to relay to (-e, -r); none for client-to-client (-y) or TCP relays (-T). */
  peer?: { host: string; port: number };
  /** Messages per client (-n). */
  messages?: number;
}

/** Runs turnutils_uclient with `flags` first: two clients (-m 2), `messages` (50) messages of 100 bytes each. */
export function uclient(flags: readonly string[], o: UclientOptions): Promise<RunResult> {
  const args = [...flags, '-u', o.user, '-W', o.secret, '-p', String(o.port)];
  if (o.peer) args.push('-e', o.peer.host, '-r', String(o.peer.port));
  args.push('-n', String(o.messages ?? 50), '-m', '2', '-l', '100', o.server ?? '127.0.0.1');
  return run('turnutils_uclient', args, 90_000);
}

/** uclient exited 0, no STUN error code in its output, and it lost and dropped nothing. */
export function assertUclientLostNothing(r: RunResult): void {
  assert.equal(r.code, 0, r.output.slice(-2000));
  assert.doesNotMatch(r.output, /error \d{3}/);
  assert.deepEqual(lostPackets(r.output), { lost: 0, dropped: 0 });
}
