/** Shared by the send/receive tests: `parley` child processes, a running `parley serve`, random files. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { until } from '@parley/testing';

export { listFiles, randomFile, sha256File } from '@parley/testing';

const bin = fileURLToPath(new URL('../bin/parley.js', import.meta.url));
export const MiB = 1024 * 1024;
export type Line = { event: string } & Record<string, unknown>;

/** A `parley` child process whose stdout JSON lines are collected. */
export class Cli {
  readonly lines: Line[] = [];
  readonly proc: ChildProcess;
  stdout = '';
  readonly exited: Promise<number | null>;
  constructor(args: string[], env: Record<string, string> = {}) {
    this.proc = spawn(process.execPath, [bin, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    this.proc.stderr!.on('data', () => {});
    createInterface({ input: this.proc.stdout! }).on('line', (line) => {
      this.stdout += `${line}\n`;
      try {
        this.lines.push(JSON.parse(line) as Line);
      } catch {
        // a human line
      }
    });
    this.exited = new Promise((resolve) => this.proc.on('exit', (code) => resolve(code)));
  }

  /** Resolves with the exit code; rejects with the output so far when it takes longer than `ms`. */
  exit(ms: number): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`still running after ${ms} ms:\n${this.stdout.slice(-3000)}`)),
        ms,
      );
    });
    return Promise.race([this.exited, late]).finally(() => clearTimeout(timer));
  }

  last(event: string): Line | undefined {
    return [...this.lines].reverse().find((l) => l.event === event);
  }
}

/** `parley serve` on free ports; resolves with it and its signaling URL. */
export async function startServe(): Promise<{ serve: Cli; server: string }> {
  const serve = new Cli(['serve', '--port', '0', '--turn-port', '0', '--log-level', 'silent']);
  await until(() => /signaling\s+(ws:\S+)/.test(serve.stdout), 'parley serve started', 15_000);
  return { serve, server: /signaling\s+(ws:\S+)/.exec(serve.stdout)![1]! };
}
