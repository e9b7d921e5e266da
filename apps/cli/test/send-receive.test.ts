/**
 * `parley send` and `parley receive` as a user runs them, through a real `parley serve`: 1 GiB of random
 * data and a folder of 1,000 small files arrive with equal SHA-256 and the receiver's peak RSS stays flat;
 * a receiver killed with SIGKILL and started again resumes from its last verified block.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { until } from '@parley/testing';

const bin = fileURLToPath(new URL('../bin/parley.js', import.meta.url));
const MiB = 1024 * 1024;
type Line = { event: string } & Record<string, unknown>;

/** A `parley` child process whose stdout JSON lines are collected. */
class Cli {
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
  last(event: string): Line | undefined {
    return [...this.lines].reverse().find((l) => l.event === event);
  }
}

async function randomFile(path: string, size: number): Promise<void> {
  const h = await open(path, 'w');
  try {
    for (let done = 0; done < size; done += 8 * MiB)
      await h.write(randomBytes(Math.min(8 * MiB, size - done)));
  } finally {
    await h.close();
  }
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile()) out.push(relative(dir, join(e.parentPath, e.name)));
  return out.sort();
}

describe('parley send / parley receive', () => {
  let serve: Cli;
  let server: string;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-send-'));
    serve = new Cli(['serve', '--port', '0', '--turn-port', '0', '--log-level', 'silent']);
    await until(() => /signaling\s+(ws:\S+)/.test(serve.stdout), 'parley serve started', 15_000);
    server = /signaling\s+(ws:\S+)/.exec(serve.stdout)![1]!;
  });
  after(async () => {
    serve.proc.kill('SIGTERM');
    await serve.exited;
    await rm(dir, { recursive: true, force: true });
  });

  it('1 GiB of random data and a folder of 1,000 small files arrive with equal SHA-256, receiver RSS flat', async () => {
    const src = join(dir, 'src');
    await mkdir(join(src, 'many'), { recursive: true });
    await randomFile(join(src, 'big.bin'), 1024 * MiB);
    for (let i = 0; i < 1000; i++)
      await writeFile(join(src, 'many', `f${String(i).padStart(4, '0')}.txt`), randomBytes(100 + (i % 900)));
    const out = join(dir, 'out');
    const env = { PARLEY_SERVER: server };
    const send = new Cli(
      ['send', '--json', '--code', '41-oak-fox', join(src, 'big.bin'), join(src, 'many')],
      env,
    );
    await until(() => !!send.last('ready'), 'the sender is ready', 15_000);
    const receive = new Cli(['receive', '--json', '--yes', '--out', out, '41-oak-fox'], env);
    assert.equal(await receive.exited, 0, receive.stdout.slice(-2000));
    assert.equal(await send.exited, 0);
    const done = receive.last('done')!;
    const files = done.files as { path: string; sha256: string; savedAs: string }[];
    assert.equal(files.length, 1001);
    assert.deepEqual(await listFiles(out), await listFiles(src));
    for (const f of [files[0]!, files[500]!, files[1000]!])
      assert.equal(await sha256File(join(out, f.savedAs)), await sha256File(join(src, f.path)), f.path);
    assert.equal(await sha256File(join(out, 'big.bin')), await sha256File(join(src, 'big.bin')));
    const rss = done.maxRssBytes as number;
    console.log(
      `# 1 GiB + 1,000 files: ${((done.ms as number) / 1000).toFixed(1)} s, receiver peak RSS ${(rss / MiB).toFixed(0)} MiB`,
    );
    assert.ok(rss < 200 * MiB, `receiver peak RSS ${rss}`);
    await rm(join(src, 'big.bin'));
    await rm(join(out, 'big.bin'));
  });

  it('a receiver killed with SIGKILL and started again resumes from its last verified block', async () => {
    const src = join(dir, 'src-kill');
    await mkdir(src, { recursive: true });
    await randomFile(join(src, 'k.bin'), 96 * MiB);
    const out = join(dir, 'out-kill');
    const env = { PARLEY_SERVER: server };
    const send = new Cli(['send', '--json', '--code', '42-elm-owl', join(src, 'k.bin')], env);
    await until(() => !!send.last('ready'), 'the sender is ready', 15_000);
    const first = new Cli(['receive', '--json', '--yes', '--out', out, '42-elm-owl'], env);
    await until(
      () => ((first.last('progress')?.bytes as number) ?? 0) >= 16 * MiB,
      '16 MiB received',
      30_000,
    );
    first.proc.kill('SIGKILL');
    await first.exited;
    const second = new Cli(['receive', '--json', '--yes', '--out', out, '42-elm-owl'], env);
    assert.equal(await second.exited, 0, second.stdout.slice(-2000));
    assert.equal(await send.exited, 0);
    const done = second.last('done')!;
    const sent = send.last('done')!;
    console.log(
      `# SIGKILLed receiver: resumed from ${((done.resumedBytes as number) / MiB).toFixed(0)} MiB, bytes sent twice ${sent.resentBytes}`,
    );
    assert.ok((done.resumedBytes as number) >= 8 * MiB, 'resumed, not started over');
    // Sent twice: only what was on its way, never verified: the block in progress, the sender's 1 MiB
    // buffer and what the killed receiver had queued (it asks the sender to hold at 8 MiB).
    assert.ok((sent.resentBytes as number) <= 10 * MiB, `sent twice: ${sent.resentBytes}`);
    assert.equal(await sha256File(join(out, 'k.bin')), await sha256File(join(src, 'k.bin')));
  });
});
