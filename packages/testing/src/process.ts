/** Child processes for tests: run a command to completion, and fail early when a tool is missing. */
import { spawn, spawnSync } from 'node:child_process';

export interface RunResult {
  code: number | null;
  output: string;
}

/** Runs a command to completion (killed after `timeoutMs`), collecting stdout and stderr together. */
export function run(cmd: string, args: string[], timeoutMs = 60_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** Fails (not skips) with an actionable message when a coturn tool is missing. */
export function requireBinary(name: string): void {
  const r = spawnSync('sh', ['-c', `command -v ${name}`]);
  if (r.status !== 0)
    throw new Error(
      `${name} not found: install Debian's 'coturn' package (apt-get install coturn) to run this test`,
    );
}
