/** Runs `parley doctor` as a user would, and reads what it printed. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/parley.js', import.meta.url));

export interface DoctorRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The status word of each check by id (`ok`, `FAIL`, `skip`), read from the text report. */
  status: Record<string, string>;
}

export function runDoctor(args: string[]): Promise<DoctorRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, 'doctor', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const status: Record<string, string> = {};
      for (const m of stdout.matchAll(/^ {2}(ok|FAIL|skip) +(\S+) /gm)) status[m[2]!] = m[1]!;
      resolve({ code, stdout, stderr, status });
    });
  });
}
