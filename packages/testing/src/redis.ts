/**
 * A throwaway redis-server for tests: on a free loopback port, no persistence, killed after. `kill()`
 * and `start()` again (same port) stand for an outage and a restart.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createConnection } from 'node:net';
import { freeTcpPort } from './ports.js';
import { until } from './until.js';

export interface TestRedis {
  readonly port: number;
  /** `redis://127.0.0.1:PORT` */
  readonly url: string;
  /** The running redis-server's process id. */
  readonly pid: number | undefined;
  /** Starts it again on the same port (after kill). */
  start(): Promise<void>;
  /** Kills it (SIGKILL by default) and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
  const port = await freeTcpPort();
  let child: ChildProcess | undefined;
  const redis: TestRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child?.pid;
    },
    async start() {
      const proc = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        { stdio: 'ignore' },
      );
      child = proc;
      let failed: Error | undefined;
      proc.on('error', (err) => {
        failed = err;
      });
      await until(
        async () => {
          if (failed) throw new Error(`redis-server did not start: ${failed.message}`);
          if (proc.exitCode !== null) throw new Error(`redis-server exited with ${proc.exitCode}`);
          return answersPing(port);
        },
        `redis-server on port ${port}`,
        15_000,
      );
    },
    async kill(signal = 'SIGKILL') {
      const proc = child;
      child = undefined;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = once(proc, 'exit');
      proc.kill(signal);
      await exited;
    },
  };
  await redis.start();
  return redis;
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let got = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => {
      got += d;
      if (got.includes('\r\n')) done(got.startsWith('+PONG'));
    });
  });
}
