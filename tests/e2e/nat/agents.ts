/**
 * Processes in lab namespaces: `parley serve` on the public segment, and the Node peer agents (agent.ts,
 * bundled once with esbuild so that each starts in a fraction of a second).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { LAB_PUBLIC_RANGES, type Lab, SERVER_IP } from './lab.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = join(REPO_ROOT, 'apps/cli/bin/parley.js');

export type LabEvent = { ev: string; at: number } & Record<string, unknown>;

/** A process whose stdout is JSON lines (or, for parley serve, anything), with waits on what it printed. */
export class LabProcess {
  readonly events: LabEvent[] = [];
  output = '';
  readonly #proc: ChildProcess;
  #waiters: (() => void)[] = [];
  readonly exited: Promise<void>;

  constructor(
    readonly name: string,
    ns: string,
    argv: string[],
    env: NodeJS.ProcessEnv = {},
  ) {
    this.#proc = spawn('ip', ['netns', 'exec', ns, ...argv], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
      cwd: REPO_ROOT,
    });
    this.exited = new Promise((r) => this.#proc.once('exit', () => r()));
    const wake = () => {
      for (const w of this.#waiters) w();
    };
    createInterface({ input: this.#proc.stdout! }).on('line', (line) => {
      this.output += `${line}\n`;
      if (line.startsWith('{')) {
        try {
          this.events.push(JSON.parse(line) as LabEvent);
        } catch {
          // not an event
        }
      }
      wake();
    });
    this.#proc.stderr!.setEncoding('utf8').on('data', (s: string) => {
      this.output += s;
      if (process.env.PARLEY_LAB_DEBUG === '1') process.stderr.write(`[${name}] ${s}`);
      wake();
    });
  }

  send(cmd: Record<string, unknown>): void {
    this.#proc.stdin!.write(`${JSON.stringify(cmd)}\n`);
  }

  /** Resolves with the first event from index `from` on that matches. */
  waitFor(match: (e: LabEvent) => boolean, timeoutMs: number, what: string, from = 0): Promise<LabEvent> {
    return this.#wait(() => this.events.slice(from).find(match), timeoutMs, what);
  }

  /** Resolves with the first match of `re` in everything printed. */
  waitForOutput(re: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    return this.#wait(() => re.exec(this.output) ?? undefined, timeoutMs, `${re}`);
  }

  #wait<T>(found: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const f = found();
        if (f === undefined) return false;
        clearTimeout(timer);
        this.#waiters = this.#waiters.filter((w) => w !== wake);
        resolve(f);
        return true;
      };
      const wake = () => void check();
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== wake);
        reject(new Error(`${this.name}: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      if (!check()) this.#waiters.push(wake);
    });
  }

  async stop(graceMs = 3000): Promise<void> {
    if (this.#proc.exitCode !== null || this.#proc.signalCode !== null) return;
    this.#proc.stdin!.end();
    this.#proc.kill('SIGTERM');
    const timer = setTimeout(() => this.#proc.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** `parley serve` on the public segment: signaling on :port, STUN/TURN on 3478, TURN allowed to the lab. */
export async function startLabServe(lab: Lab, extraArgs: string[] = []): Promise<LabProcess> {
  const args = [
    process.execPath,
    CLI,
    'serve',
    '--host',
    SERVER_IP,
    '--port',
    String(lab.signalingPort),
    '--turn-relay-ip',
    SERVER_IP,
    ...LAB_PUBLIC_RANGES.flatMap((r) => ['--turn-allow-peer', r]),
    ...extraArgs,
  ];
  const serve = new LabProcess('parley serve', lab.pub, args, { PARLEY_LOG_LEVEL: 'warn' });
  await serve.waitForOutput(/Press Ctrl\+C/, 20_000).catch((err: Error) => {
    throw new Error(`${err.message}\n${serve.output}`);
  });
  return serve;
}

let bundled: Promise<string> | undefined;

/** The agent as one ES module under .parley-tmp (node-datachannel and ws stay external). */
export function agentBundle(): Promise<string> {
  bundled ??= (async () => {
    const dir = join(REPO_ROOT, '.parley-tmp/nat-lab');
    mkdirSync(dir, { recursive: true });
    const outfile = join(dir, `agent-${process.pid}.mjs`);
    process.once('exit', () => rmSync(outfile, { force: true }));
    await build({
      entryPoints: [fileURLToPath(new URL('./agent.ts', import.meta.url))],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      conditions: ['@parley/source'],
      external: ['node-datachannel', 'node-datachannel/*', 'ws'],
      outfile,
      logLevel: 'silent',
    });
    return outfile;
  })();
  return bundled;
}

export const signalingUrl = (lab: Lab) => `ws://${SERVER_IP}:${lab.signalingPort}/ws`;

/** A Node peer agent in `ns`. */
export async function startAgent(lab: Lab, name: string, ns: string): Promise<LabProcess> {
  const agent = new LabProcess(name, ns, [process.execPath, await agentBundle(), signalingUrl(lab)]);
  await agent.waitFor((e) => e.ev === 'ready', 20_000, 'the agent to start');
  return agent;
}
