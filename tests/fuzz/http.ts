/**
 * Fuzzer (c): HTTP over raw sockets. A case is one connection carrying 1–4 pipelined requests (request
 * lines, methods, paths, headers such as Range in every form, Host, Upgrade, Origin, Connection, and
 * Transfer-Encoding/Content-Length conflicts, with bodies), written in random pieces, sometimes slowly
 * (bounded: at most 8 pieces, 0.5 s apart), sometimes reset. The server serves a static folder of files
 * of known sizes (0, 1, 200 bytes, 100 kB), made at start.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Case, Fuzzer, RunOptions, RunResult } from './driver.js';
import { runFuzzer } from './driver.js';
import { Rng } from './random.js';
import { cut, loopbackSource, pool, runRaw } from './raw-socket.js';
import type { Target } from './target.js';
import { splits } from './ws-grammar.js';

export interface HttpCase extends Case {
  src: string;
  /** The whole byte stream (latin1; `{HOST}` is replaced by the server's host:port) and its cuts. */
  stream: string;
  requests: number;
  cuts: number[];
  gapMs?: number;
  resetAfter?: number;
  lingerMs: number;
}

const NUMBERS = [
  0,
  1,
  2,
  5,
  10,
  99,
  100,
  199,
  200,
  201,
  102_399,
  102_400,
  102_401,
  2 ** 31,
  2 ** 53,
  2 ** 64,
];
const num = (r: Rng) =>
  r.weighted<() => string>([
    [8, () => String(r.pick(NUMBERS))],
    [2, () => String(r.int(300))],
    [1, () => r.pick(['-1', '1e3', '0x10', '', ' 5', '00000000000000000000001', '99999999999999999999999'])],
  ])();

function range(r: Rng): string {
  const spec = () =>
    r.weighted<() => string>([
      [5, () => `${num(r)}-${num(r)}`],
      [2, () => `${num(r)}-`],
      [2, () => `-${num(r)}`],
      [1, () => '-'],
      [1, () => ''],
      [1, () => ` ${num(r)} - ${num(r)} `],
    ])();
  const unit = r.weighted<string>([
    [10, 'bytes'],
    [1, 'BYTES'],
    [1, 'items'],
    [1, ''],
  ]);
  const n = r.weighted<number>([
    [8, 1],
    [2, 2],
    [1, r.range(3, 50)],
  ]);
  return `${unit}=${Array.from({ length: n }, spec).join(r.pick([',', ', ', ' ,']))}`;
}

function path(r: Rng): string {
  return r.weighted<() => string>([
    [5, () => r.pick(['/', '/index.html', '/empty.txt', '/one.txt', '/big.bin', '/assets/app.js'])],
    [3, () => r.pick(['/healthz', '/readyz', '/metrics', '/ws', '/healthz?x=1', '/metrics/'])],
    [2, () => `/${r.text(10).replace(/[\s]/g, '')}`],
    [
      2,
      () =>
        r.pick([
          '/../../../../etc/passwd',
          '/..%2f..%2f..%2fetc%2fpasswd',
          '/%2e%2e/%2e%2e/etc/passwd',
          '/%c0%ae%c0%ae/etc/passwd',
          '/%252e%252e/',
          '/..\\..\\windows',
          '/index.html%00.js',
          '/%',
          '/%zz',
          '/%ff%fe',
          '//etc/passwd',
          '/./index.html',
          '/assets/../index.html',
          '/big.bin/',
          '/index.html;x',
        ]),
    ],
    [1, () => `/${'a'.repeat(r.pick([255, 256, 4096, 8192, 16_000, 70_000]))}`],
    [1, () => `/${'../'.repeat(r.range(1, 500))}etc/passwd`],
    [
      1,
      () => r.pick(['*', '', 'http://127.0.0.1/index.html', 'http://{HOST}/', '//', '?', '#', 'index.html']),
    ],
  ])();
}

function request(r: Rng): string {
  const method = r.weighted<() => string>([
    [10, () => 'GET'],
    [3, () => 'HEAD'],
    [
      1,
      () =>
        r.pick(['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT', 'PRI', 'get', 'G\u0000T']),
    ],
    [1, () => 'A'.repeat(r.pick([1, 100, 5000]))],
  ])();
  const version = r.weighted<string>([
    [12, 'HTTP/1.1'],
    [3, 'HTTP/1.0'],
    [1, r.pick(['HTTP/0.9', 'HTTP/2.0', 'HTTP/1.2', 'HTTP/1', 'http/1.1', 'HTTP/1.1x', ''])],
  ]);
  const headers: string[] = [];
  const h = (k: string, v: string) => headers.push(`${k}: ${v}`);
  if (r.chance(0.9))
    h(
      'Host',
      r.chance(0.9)
        ? '{HOST}'
        : r.pick(['', '[::1]', 'a'.repeat(300), 'x:99999', '{HOST}, {HOST}', '\u00e9']),
    );
  if (r.chance(0.1)) h('Host', '{HOST}');
  if (r.chance(0.6)) h('Range', range(r));
  if (r.chance(0.05)) h('Range', range(r));
  if (r.chance(0.1)) h('If-Range', r.pick(['"x"', 'Wed, 21 Oct 2015 07:28:00 GMT', '']));
  if (r.chance(0.1)) h('If-None-Match', r.pick(['*', '"x"', 'W/"1"', '']));
  if (r.chance(0.2))
    h('Accept-Encoding', r.pick(['gzip', 'br', 'gzip, br', 'identity;q=0', '*', 'x'.repeat(1000)]));
  if (r.chance(0.2)) h('Connection', r.pick(['close', 'keep-alive', 'Upgrade', 'upgrade, close', '', 'x']));
  if (r.chance(0.15)) {
    h('Upgrade', r.pick(['websocket', 'h2c', 'WebSocket', 'x', '']));
    if (r.chance(0.6)) h('Connection', 'Upgrade');
    if (r.chance(0.4)) h('Sec-WebSocket-Key', r.pick(['dGhlIHNhbXBsZSBub25jZQ==', '', 'x']));
    if (r.chance(0.4)) h('Sec-WebSocket-Version', r.pick(['13', '8', 'x']));
  }
  if (r.chance(0.1)) h('Origin', r.pick(['http://127.0.0.1', 'null', 'http://evil.example', '']));
  if (r.chance(0.05)) h(`X-${r.int(100)}`, 'v'.repeat(r.pick([100, 8000, 20_000, 70_000])));
  if (r.chance(0.03)) for (let i = 0; i < r.range(50, 3000); i++) h(`X-${i}`, 'v');
  if (r.chance(0.03)) headers.push(r.pick([' folded', 'NoColon', ': empty-name', 'Bad Name: v', 'X:\u0000']));
  let body = '';
  const framing = r.weighted<string>([
    [12, 'none'],
    [2, 'cl'],
    [2, 'chunked'],
    [1, 'conflict'],
    [1, 'bad-cl'],
  ]);
  const payload = 'b'.repeat(r.size(2000));
  if (framing === 'cl') {
    h('Content-Length', String(payload.length));
    body = payload;
  } else if (framing === 'chunked' || framing === 'conflict') {
    h(
      'Transfer-Encoding',
      r.pick(['chunked', 'chunked', 'gzip, chunked', ' chunked', 'chunked, identity', 'CHUNKED']),
    );
    if (framing === 'conflict') h('Content-Length', String(r.pick([0, 5, payload.length, 1000000])));
    body = r.chance(0.8)
      ? `${payload.length.toString(16)}\r\n${payload}\r\n0\r\n\r\n`
      : r.pick([
          'zz\r\n',
          `${payload.length.toString(16)}\r\n${payload}`,
          'ffffffffffffffff\r\n',
          '5;x=y\r\nabcde\r\n0\r\n\r\n',
          '0\r\nX: y\r\n\r\n',
        ]);
  } else if (framing === 'bad-cl') {
    h('Content-Length', r.pick(['-1', 'abc', '1, 2', '99999999999999999999', '', '0x10']));
    if (r.chance(0.5)) h('Content-Length', '7');
    body = payload.slice(0, 10);
  }
  const eol = r.chance(0.97) ? '\r\n' : '\n';
  return `${method} ${path(r)} ${version}${eol}${headers.join(eol)}${eol}${eol}${body}`;
}

let staticDir: string | undefined;
function makeStatic(): string {
  if (staticDir) return staticDir;
  const dir = mkdtempSync(join(tmpdir(), 'parley-fuzz-static-'));
  writeFileSync(join(dir, 'index.html'), `<!doctype html><title>fuzz</title>${'<p>x</p>'.repeat(22)}\n`);
  writeFileSync(join(dir, 'empty.txt'), '');
  writeFileSync(join(dir, 'one.txt'), 'x');
  writeFileSync(join(dir, 'big.bin'), Buffer.alloc(102_400, 7));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'assets/app.js'), 'console.log(1);\n'.repeat(50));
  staticDir = dir;
  return dir;
}

/** Status lines the server answered with, across a run (is the grammar reaching the file server?). */
const stats: Record<string, number> = {};
const statusOf = (line: string) =>
  /^HTTP\/\d\.\d (\d{3})/.exec(line)?.[1] ?? (line ? 'not HTTP' : 'no answer');

export const http: Fuzzer<HttpCase> = {
  name: 'http',
  batch: 150,
  stats,
  serveArgs: () => ({ args: ['--static', makeStatic()] }),
  generate(seed) {
    const r = new Rng(seed);
    const requests = r.weighted<number>([
      [10, 1],
      [2, 2],
      [1, r.range(3, 4)],
    ]);
    const stream = Array.from({ length: requests }, () => request(r)).join('');
    const slow = r.chance(0.03);
    const cuts = slow ? splits(r, stream.length).slice(0, 8) : splits(r, stream.length);
    const c: HttpCase = {
      seed,
      src: loopbackSource(r),
      stream,
      requests,
      cuts,
      lingerMs: r.pick([0, 10, 50, 100]),
    };
    if (slow) c.gapMs = r.range(50, 500);
    if (r.chance(0.1)) c.resetAfter = r.range(0, cuts.length);
    return c;
  },
  async execute(target: Target, cases) {
    let inputs = 0;
    const host = `${target.serve.host}:${target.serve.port}`;
    await pool(cases, 24, async (c) => {
      if (!target.alive()) return;
      const bytes = Buffer.from(c.stream.replaceAll('{HOST}', host), 'latin1');
      const grown = bytes.length - c.stream.length;
      const lengths = c.cuts.map((n, i, a) => (i === a.length - 1 ? n + grown : n));
      const outcome = await runRaw({
        host: target.serve.host,
        port: target.serve.port,
        src: c.src,
        chunks: cut(bytes, lengths),
        ...(c.gapMs ? { gapMs: c.gapMs } : {}),
        ...(c.resetAfter !== undefined ? { resetAfter: c.resetAfter } : {}),
        lingerMs: c.lingerMs,
      });
      inputs += c.requests;
      const k = `first answer ${statusOf(outcome.firstLine)}`;
      stats[k] = (stats[k] ?? 0) + 1;
    });
    return inputs;
  },
};

export function run(o: RunOptions): Promise<RunResult> {
  return runFuzzer(http, o);
}
