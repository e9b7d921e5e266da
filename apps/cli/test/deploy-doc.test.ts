// docs/deploy.md cannot rot: every ```sh test``` block in it runs here, on loopback, as written but for the
// substitutions in `localize` (names and addresses → 127.0.0.1, fixed ports → free ones, certificates →
// test ones). `parley serve` lines start in the background; every other line must exit 0.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freeTcpPort } from '@parley/testing';
import { type Coturn, startCoturn } from '@parley/testing/turn';
import { startServe } from './hostile/harness.js';
import { issueCert, testCa } from './hostile/tls-cert.js';

const DOC = fileURLToPath(new URL('../../../docs/deploy.md', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/parley.js', import.meta.url));
const ENV = {
  TURN_SECRET: 'deploy-doc-turn-secret',
  ROOM_SECRET: 'deploy-doc-room-secret-of-32-chars!',
  CLUSTER_SECRET: 'deploy-doc-cluster-secret-32-chars!',
};

interface Block {
  /** The words after `sh test`: `cluster`, `coturn`. */
  tags: string[];
  /** Commands, continuation lines joined. */
  commands: string[];
}

function blocks(markdown: string): Block[] {
  return [...markdown.matchAll(/^```sh test([^\n]*)\n([\s\S]*?)^```$/gm)].map((m) => ({
    tags: m[1]!.trim().split(/\s+/).filter(Boolean),
    commands: m[2]!
      .replace(/\\\n\s*/g, '')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#')),
  }));
}

/** What a block's commands need besides themselves. */
interface Context {
  cert: string;
  key: string;
  ca: string;
  /** The HTTP URL of the last `parley serve` the block started. */
  httpUrl?: string;
  redisPort?: number;
  coturnPort?: number;
}

/** The doc's command as it runs here. */
function localize(command: string, c: Context): string {
  let s = command
    .replace(/(^|\$\(|\|\s*)parley /g, `$1${process.execPath} ${BIN} `)
    .replaceAll('/etc/letsencrypt/live/parley.example.com/fullchain.pem', c.cert)
    .replaceAll('/etc/letsencrypt/live/parley.example.com/privkey.pem', c.key)
    .replace(/redis:\/\/10\.0\.0\.5:6379/g, `redis://127.0.0.1:${c.redisPort}`)
    .replace(/turn\.example\.com:3478/g, `127.0.0.1:${c.coturnPort}`);
  if (c.httpUrl) {
    const scheme = new URL(c.httpUrl).protocol;
    s = s.replace(
      /\b(https?:)\/\/(parley\.example\.com|203\.0\.113\.7:8080|10\.0\.0\.11:8080|127\.0\.0\.1:8080)/g,
      (_, doc) => {
        assert.equal(
          doc,
          scheme,
          `the doc says ${doc} where the server it started serves ${scheme}: ${command}`,
        );
        return c.httpUrl!;
      },
    );
  }
  s = s
    .replace(/--port (443|8080)\b/, '--port 0')
    .replace(/--http-redirect-port 80\b/, '--http-redirect-port 0')
    .replace(/\b(0\.0\.0\.0|203\.0\.113\.\d+|10\.0\.0\.\d+|192\.0\.2\.\d+)\b/g, '127.0.0.1');
  if (/ serve /.test(s))
    // Free TURN ports; TURN may relay between loopback addresses (the doctor's two relays are there).
    s += ' --turn-port 0 --turn-tls-port 0 --turn-allow-peer 127.0.0.0/8 --log-level warn';
  if (/ doctor /.test(s)) s += ` --ca ${c.ca}`;
  if (/^curl /.test(s)) s = s.replace(/^curl /, `curl --cacert ${c.ca} `);
  return s;
}

function sh(command: string): { code: number | null; output: string } {
  const r = spawnSync('sh', ['-c', command], {
    env: { ...process.env, ...ENV },
    encoding: 'utf8',
    timeout: 90_000,
  });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Starts a `parley serve` line in the background; resolves with its HTTP URL once it prints it. */
async function serveInBackground(command: string, children: ChildProcess[]): Promise<string> {
  const child = spawn('sh', ['-c', `exec ${command}`], {
    env: { ...process.env, ...ENV },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    out += d;
  });
  const deadline = Date.now() + 20_000;
  while (!/signaling\s+wss?:\S+/.test(out)) {
    assert.ok(child.exitCode === null && Date.now() < deadline, `${command}\ndid not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const ws = /signaling\s+(wss?:\S+)/.exec(out)![1]!;
  return ws.replace(/^ws/, 'http').replace(/\/ws$/, '');
}

async function stop(children: ChildProcess[]): Promise<void> {
  for (const c of children.splice(0)) {
    if (c.exitCode !== null || c.signalCode !== null) continue;
    const exited = once(c, 'exit');
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 6000);
    await exited;
    clearTimeout(t);
  }
}

function clusterBuilt(): boolean {
  return sh(`${process.execPath} ${BIN} serve --help`).output.includes('--redis');
}

describe('docs/deploy.md', () => {
  const markdown = readFileSync(DOC, 'utf8');
  let dir: string;
  let context: Context;
  let coturn: Coturn | undefined;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'parley-deploy-doc-'));
    const ca = testCa(dir);
    // Valid long enough for `parley doctor`, which fails a certificate within 7 days of its expiry.
    const pair = issueCert(ca, 'parley.example.com', ['parley.example.com', '127.0.0.1'], 30);
    context = { ...pair, ca: ca.cert };
  });
  after(async () => {
    await coturn?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const all = blocks(readFileSync(DOC, 'utf8'));
  test('has the blocks this test runs', () => {
    assert.ok(all.length >= 6, `only ${all.length} sh test blocks`);
    assert.ok(all.every((b) => b.commands.some((c) => c.startsWith('parley serve '))));
  });

  for (const [i, block] of all.entries()) {
    const name = `block ${i + 1} (${block.commands[0]!.slice(0, 60)}…)`;
    test(`runs as written: ${name}`, async (t) => {
      const children: ChildProcess[] = [];
      const c: Context = { ...context };
      try {
        if (block.tags.includes('cluster')) {
          if (!clusterBuilt()) return t.skip('cluster mode (--redis) is not in this build yet');
          c.redisPort = await freeTcpPort();
          const redis = spawn(
            'redis-server',
            ['--port', String(c.redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
            { stdio: 'ignore' },
          );
          children.push(redis);
        }
        if (block.tags.includes('coturn')) {
          coturn ??= await startCoturn({ secret: ENV.TURN_SECRET });
          c.coturnPort = coturn.port;
        }
        for (const command of block.commands) {
          const local = localize(command, c);
          if (command.startsWith('parley serve ')) {
            c.httpUrl = await serveInBackground(local, children);
            continue;
          }
          const r = sh(local);
          assert.equal(r.code, 0, `${command}\nran as: ${local}\n${r.output}`);
          t.diagnostic(`${command.slice(0, 50)}: ${r.output.split('\n').filter(Boolean).at(-1)}`);
        }
      } finally {
        await stop(children);
      }
    });
  }

  test('every metric it names is on /metrics', async () => {
    const names = new Set([...markdown.matchAll(/`(parley_[a-z_]+)`/g)].map((m) => m[1]!));
    assert.ok(names.size >= 10, `only ${names.size} metrics named`);
    const serve = await startServe();
    try {
      const text = await (await fetch(`${serve.httpUrl}/metrics`)).text();
      for (const n of names) assert.match(text, new RegExp(`^# TYPE ${n} `, 'm'), `${n} is not on /metrics`);
    } finally {
      await serve.stop();
    }
  });
});
