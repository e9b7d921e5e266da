/**
 * Runs the real `parley serve` command as a child process on an ephemeral port and reads its signaling
 * URL from stdout. Everything it prints is kept, so a failing test can save it as an artifact.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The CLI entry; PARLEY_E2E_CLI runs the suite against another build of the same command. */
const CLI =
  process.env.PARLEY_E2E_CLI ?? fileURLToPath(new URL('../../../apps/cli/bin/parley.js', import.meta.url));

export interface ParleyServe {
  /** `ws://127.0.0.1:PORT/ws` (`wss://` with TLS), as the server printed it. */
  readonly wsUrl: string;
  /** `http://127.0.0.1:PORT` (`https://` with TLS): the same server's HTTP side (health, static files). */
  readonly httpUrl: string;
  /** The STUN/TURN ports it printed, unless it runs without TURN. */
  readonly turn: { readonly udp: number; readonly tcp: number } | undefined;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. Resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

const URL_LINE = /signaling\s+(wss?:\/\/\S+)/;
const TURN_LINE = /stun\/turn\s+udp (\d+), tcp (\d+)/;

/** `cli` and `cwd`: another `parley` (the consumer test runs an installed one, in its own project). */
export async function startParleyServe(
  extraArgs: readonly string[] = [],
  /** `prefix`: a command that runs it, e.g. `ip netns exec NAME` to run it in a network namespace. */
  { timeoutMs = 15_000, cli = CLI, cwd = REPO_ROOT, prefix = [] as readonly string[] } = {},
): Promise<ParleyServe> {
  const argv = [process.execPath, cli, 'serve', '--port', '0', '--host', '127.0.0.1', ...extraArgs];
  const [command, ...args] = [...prefix, ...argv] as [string, ...string[]];
  const child = spawn(command, args, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PARLEY_LOG_LEVEL: process.env.PARLEY_LOG_LEVEL ?? 'info' },
  });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => {
    output += s;
  });
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    output += s;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const wsUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => fail(`printed no "signaling ws://…" line within ${timeoutMs} ms`),
      timeoutMs,
    );
    const onData = () => {
      const m = URL_LINE.exec(output);
      if (m?.[1]) {
        cleanup();
        resolve(m[1]);
      }
    };
    const onExit = (code: number | null, signal: string | null) =>
      fail(`exited (code ${code}, signal ${signal}) before printing its URL`);
    const onError = (err: Error) => fail(`failed to start: ${err.message}`);
    function cleanup() {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
    }
    function fail(why: string) {
      cleanup();
      child.kill('SIGKILL');
      reject(new Error(`parley serve ${why}. Output:\n${output}`));
    }
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });

  const turn = TURN_LINE.exec(output);
  return {
    wsUrl,
    turn: turn ? { udp: Number(turn[1]), tcp: Number(turn[2]) } : undefined,
    httpUrl: wsUrl.replace(/^ws/, 'http').replace(/\/ws$/, ''),
    output: () => output,
    stop: (graceMs = 5_000) => stopChild(child, exited, graceMs),
  };
}

async function stopChild(child: ChildProcess, exited: Promise<void>, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
