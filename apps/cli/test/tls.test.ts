/**
 * `parley serve` over HTTPS and WSS on its own port, as a user runs it: with a certificate from their own
 * CA (`--tls-cert`, `--tls-key`), which it reads again when the files change and on SIGHUP; and with
 * `--tls-self-signed`, which makes one certificate for the machine and keeps it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect } from 'node:tls';
import { promisify } from 'node:util';
import { bystanders, httpsGetText, type Serve, startServe } from './hostile/harness.js';
import { issueCert, type TestCa, testCa } from './hostile/tls-cert.js';

const run = promisify(execFile);

/** The SHA-256 fingerprint of the certificate a TLS server on `port` presents (trusting `ca`). */
function servedFingerprint(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      const fp = s.getPeerCertificate().fingerprint256;
      s.end();
      resolve(fp);
    });
    s.on('error', reject);
  });
}

const fingerprintOf = (pem: string) => new X509Certificate(readFileSync(pem)).fingerprint256;

/** Waits until the process has logged a line that matches (its output comes through a pipe). */
async function logged(serve: Serve, line: RegExp, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!line.test(serve.output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.match(serve.output(), line);
}

/** Polls until the served certificate is `want`; resolves with the time it took. */
async function servedWithin(port: number, ca: string, want: string, timeoutMs: number): Promise<number> {
  const started = Date.now();
  let last = '';
  while (Date.now() - started < timeoutMs) {
    last = await servedFingerprint(port, ca).catch((e: Error) => e.message);
    if (last === want) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`still serving ${last} after ${timeoutMs} ms, not ${want}`);
}

describe('parley serve --tls-cert --tls-key', () => {
  let dir: string;
  let ca: TestCa;
  let caPem: string;
  let serving: { cert: string; key: string };
  let first: { cert: string; key: string };
  let second: { cert: string; key: string };
  let serve: Serve;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-tls-'));
    ca = testCa(dir);
    caPem = readFileSync(ca.cert, 'utf8');
    first = issueCert(ca, 'first', ['127.0.0.1', 'localhost']);
    second = issueCert(ca, 'second', ['127.0.0.1', 'localhost']);
    // The files parley serve reads: a renewal replaces their contents.
    serving = { cert: join(dir, 'server-cert.pem'), key: join(dir, 'server-key.pem') };
    copyFileSync(first.cert, serving.cert);
    copyFileSync(first.key, serving.key);
    serve = await startServe(
      [
        '--tls-cert',
        serving.cert,
        '--tls-key',
        serving.key,
        '--turn-tls-port',
        '0',
        '--http-redirect-port',
        '0',
        '--log-level',
        'info',
      ],
      {},
      { ca: caPem },
    );
  });
  after(async () => {
    await serve?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('prints https and wss URLs; curl --cacert gets /healthz with the security headers', async () => {
    assert.match(serve.wsUrl, /^wss:\/\/127\.0\.0\.1:\d+\/ws$/);
    assert.match(serve.output(), /health\s+https:\/\/127\.0\.0\.1:\d+\/healthz/);
    assert.match(serve.output(), new RegExp(`SHA-256 ${fingerprintOf(first.cert)}`));
    const { stdout } = await run('curl', [
      '--silent',
      '--show-error',
      '--include',
      '--cacert',
      ca.cert,
      `${serve.httpUrl}/healthz`,
    ]);
    console.log(`# curl --cacert ca.pem ${serve.httpUrl}/healthz → ${stdout.split('\r\n')[0]}`);
    assert.match(stdout, /^HTTP\/1\.1 200/);
    assert.match(stdout, /"status":"ok"/);
    assert.match(stdout, /content-security-policy: default-src 'self'/i);
    assert.match(stdout, /x-frame-options: DENY/i);
    // Without the CA, curl refuses the certificate: nothing is trusted blindly.
    const untrusted = await run('curl', ['--silent', `${serve.httpUrl}/healthz`]).catch(
      (e: { code: number }) => e.code,
    );
    assert.equal(untrusted, 60, 'curl exit 60: peer certificate cannot be authenticated');
  });

  test('two peers join over WSS from Node (ws, trusting the CA) and exchange a message', async () => {
    const pair = await bystanders(serve.wsUrl, 'tls-room', {}, { ca: caPem });
    try {
      const ms = await pair.roundTrip();
      console.log(`# wss: message delivered between two peers in ${ms.toFixed(1)} ms`);
    } finally {
      pair.close();
    }
  });

  test('TURN over TLS serves the same certificate', async () => {
    const m = /stun\/turn\s+udp \d+, tcp \d+, tls (\d+)/.exec(serve.output());
    assert.ok(m, `no TURN TLS port in the banner:\n${serve.output()}`);
    assert.equal(await servedFingerprint(Number(m[1]), caPem), fingerprintOf(first.cert));
  });

  test('--http-redirect-port sends plain HTTP to the HTTPS port, same host and path', async () => {
    const m = /redirect\s+http:\/\/127\.0\.0\.1:(\d+)\/ to https/.exec(serve.output());
    assert.ok(m, `no redirect line in the banner:\n${serve.output()}`);
    const res = await new Promise<{ status: number; location: string | undefined }>((resolve, reject) => {
      httpGet(
        { host: '127.0.0.1', port: Number(m[1]), path: '/#/r/demo?x=1', headers: { host: 'parley.lan:80' } },
        (r) => {
          r.resume();
          resolve({ status: r.statusCode ?? 0, location: r.headers.location });
        },
      ).on('error', reject);
    });
    assert.equal(res.status, 307);
    assert.equal(res.location, `https://parley.lan:${serve.port}/#/r/demo?x=1`);
  });

  test('a certificate replaced on disk is served without a restart: on a file change and on SIGHUP', async () => {
    const a = fingerprintOf(first.cert);
    const b = fingerprintOf(second.cert);
    const turnTls = Number(/stun\/turn\s+udp \d+, tcp \d+, tls (\d+)/.exec(serve.output())?.[1]);
    assert.equal(await servedFingerprint(serve.port, caPem), a);
    assert.equal(await servedFingerprint(turnTls, caPem), a);

    // A renewal writes the new files in place; the poll notices and reads them once they are still.
    copyFileSync(second.cert, serving.cert);
    copyFileSync(second.key, serving.key);
    const byFile = await servedWithin(serve.port, caPem, b, 10_000);
    // TURN over TLS serves the certificate of --tls-cert, so it follows the renewal too.
    assert.equal(await servedFingerprint(turnTls, caPem), b, 'TURN over TLS after the file change');
    console.log(
      `# file change: served fingerprint ${a.slice(0, 11)}… → ${b.slice(0, 11)}… after ${byFile} ms`,
    );
    await logged(serve, new RegExp(`"trigger":"file change","fingerprint":"${b}"`));

    // SIGHUP reads them at once (the file poll waits a second of quiet, so this is the signal's doing).
    copyFileSync(first.cert, serving.cert);
    copyFileSync(first.key, serving.key);
    const sent = Date.now();
    process.kill(serve.pid, 'SIGHUP');
    const byHup = await servedWithin(serve.port, caPem, a, 10_000);
    console.log(
      `# SIGHUP: served fingerprint ${b.slice(0, 11)}… → ${a.slice(0, 11)}… after ${Date.now() - sent} ms`,
    );
    assert.ok(byHup < 10_000);
    await logged(serve, new RegExp(`"trigger":"SIGHUP","fingerprint":"${a}"`));
    assert.ok(serve.alive(), 'SIGHUP must not stop parley serve');
    assert.equal(await servedFingerprint(turnTls, caPem), a, 'TURN over TLS after SIGHUP');

    // A broken renewal is logged and the certificate being served stays.
    writeFileSync(
      serving.cert,
      '-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n',
    );
    process.kill(serve.pid, 'SIGHUP');
    await logged(serve, /"trigger":"SIGHUP".*TLS certificate not reloaded; still serving the previous one/);
    assert.equal(await servedFingerprint(serve.port, caPem), a);
    assert.equal(await serve.healthz(), 200);
    // A key that does not fit the certificate is refused the same way.
    copyFileSync(second.cert, serving.cert);
    process.kill(serve.pid, 'SIGHUP');
    await logged(serve, /key values mismatch/);
    assert.equal(await servedFingerprint(serve.port, caPem), a);
    assert.equal(await servedFingerprint(turnTls, caPem), a);
  });

  test('/metrics counts failed TLS handshakes', async () => {
    // A client that does not trust the certificate aborts the handshake.
    await servedFingerprint(serve.port, '').catch(() => undefined);
    const text = (await httpsGetText(`${serve.httpUrl}/metrics`, caPem)).body;
    const failed = Number(/parley_http_tls_handshake_failures_total (\d+)/.exec(text)?.[1]);
    assert.ok(failed >= 1, `handshake failures counted: ${failed}`);
  });
});

describe('parley serve --tls-self-signed', () => {
  let state: string;
  before(() => {
    state = mkdtempSync(join(tmpdir(), 'parley-state-'));
  });
  after(() => rmSync(state, { recursive: true, force: true }));

  test('makes a certificate for this machine once, keeps it, and serves it (curl trusts that file)', async () => {
    const args = ['--tls-self-signed', '--state-dir', state, '--no-turn'];
    const one = await startServe(args);
    const certPath = join(state, 'tls/self-signed-cert.pem');
    let fp: string;
    try {
      fp = fingerprintOf(certPath);
      const out = one.output();
      assert.match(out, /tls\s+self-signed certificate for localhost, .*127\.0\.0\.1/);
      assert.match(out, /made now: new/);
      assert.match(out, new RegExp(`SHA-256 ${fp}`));
      assert.match(out, /Browsers warn about it: this machine signed it/);
      const cert = new X509Certificate(readFileSync(certPath));
      assert.match(cert.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
      assert.match(cert.subjectAltName ?? '', /DNS:localhost/);
      assert.equal(cert.ca, false);
      const days = (Date.parse(cert.validTo) - Date.now()) / 86_400_000;
      assert.ok(days > 390 && days < 398, `valid for ${days.toFixed(0)} days`);
      const { stdout } = await run('curl', ['--silent', '--cacert', certPath, `${one.httpUrl}/healthz`]);
      assert.match(stdout, /"status":"ok"/);
      console.log(`# self-signed: ${cert.subjectAltName}; SHA-256 ${fp}; curl --cacert it: ${stdout}`);
    } finally {
      await one.stop();
    }
    const two = await startServe(args);
    try {
      assert.match(two.output(), /self-signed-cert\.pem \(kept\)/);
      assert.equal(fingerprintOf(certPath), fp, 'the same certificate on the next run');
      assert.equal(await servedFingerprint(two.port, readFileSync(certPath, 'utf8')), fp);
    } finally {
      await two.stop();
    }
  });

  test('refuses flags that do not go together, with a clear message', async () => {
    const cases: [string[], RegExp][] = [
      [['--tls-cert', 'x.pem'], /--tls-cert and --tls-key go together/],
      [['--http-redirect-port', '0'], /--http-redirect-port needs HTTPS/],
      [
        ['--tls-cert', '/nonexistent.pem', '--tls-key', '/nonexistent.pem'],
        /cannot read --tls-cert \/nonexistent\.pem: ENOENT/,
      ],
      [['--tls-self-signed', '--tls-cert', 'x.pem'], /cannot be used with option '--tls-cert/],
    ];
    for (const [args, message] of cases) {
      const r = await run(process.execPath, [
        join(import.meta.dirname, '../bin/parley.js'),
        'serve',
        '--port',
        '0',
        '--no-turn',
        ...args,
      ]).catch((e: { code: number; stderr: string }) => e);
      assert.ok('code' in r && r.code === 1, `${args.join(' ')} exits 1`);
      assert.match((r as { stderr: string }).stderr, message);
    }
  });
});
