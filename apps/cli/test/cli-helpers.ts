/** Shared by the send/receive tests: `parley` child processes, a running `parley serve`, random files. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { until } from '@parley/testing';

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

/** A file of `size` random bytes (an AES-CTR keystream: fast); resolves with its SHA-256. */
export async function randomFile(path: string, size: number): Promise<string> {
  const cipher = createCipheriv('aes-128-ctr', randomBytes(16), randomBytes(16));
  const zeros = Buffer.alloc(8 * MiB);
  const hash = createHash('sha256');
  const h = await open(path, 'w');
  try {
    for (let done = 0; done < size; done += zeros.byteLength) {
      const bytes = cipher.update(zeros.subarray(0, Math.min(zeros.byteLength, size - done)));
      hash.update(bytes);
      await h.write(bytes);
    }
  } finally {
    await h.close();
  }
  return hash.digest('hex');
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile()) out.push(relative(dir, join(e.parentPath, e.name)));
  return out.sort();
}
