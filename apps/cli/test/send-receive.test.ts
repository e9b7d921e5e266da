/**
 * `parley send` and `parley receive` as a user runs them, through a real `parley serve`: 1 GiB of random
 * data and a folder of 1,000 small files arrive with equal SHA-256, and the receiver's peak RSS stays flat.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { until } from '@parley/testing';
import { Cli, listFiles, MiB, randomFile, sha256File, startServe } from './cli-helpers.js';

describe('parley send / parley receive', () => {
  let serve: Cli;
  let server: string;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-send-'));
    ({ serve, server } = await startServe());
  });
  after(async () => {
    serve.proc.kill('SIGTERM');
    await serve.exited;
    await rm(dir, { recursive: true, force: true });
  });

  it('1 GiB of random data and a folder of 1,000 small files arrive with equal SHA-256, receiver RSS flat', async () => {
    const src = join(dir, 'src');
    await mkdir(join(src, 'many'), { recursive: true });
    const bigHash = await randomFile(join(src, 'big.bin'), 1024 * MiB);
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
    try {
      assert.equal(await receive.exit(140_000), 0, receive.stdout.slice(-2000));
      assert.equal(await send.exit(10_000), 0);
    } catch (err) {
      console.log(`# sender's output:\n${send.stdout.slice(-3000)}`);
      send.proc.kill('SIGKILL');
      receive.proc.kill('SIGKILL');
      throw err;
    }
    const done = receive.last('done')!;
    const files = done.files as { path: string; sha256: string; savedAs: string }[];
    assert.equal(files.length, 1001);
    assert.deepEqual(await listFiles(out), await listFiles(src));
    for (const f of files.slice(1))
      assert.equal(await sha256File(join(out, f.savedAs)), await sha256File(join(src, f.path)), f.path);
    assert.equal(files[0]!.sha256, bigHash);
    assert.equal(await sha256File(join(out, 'big.bin')), bigHash);
    const rss = done.maxRssBytes as number;
    console.log(
      `# 1 GiB + 1,000 files: ${((done.ms as number) / 1000).toFixed(1)} s, receiver peak RSS ${(rss / MiB).toFixed(0)} MiB`,
    );
    assert.ok(rss < 200 * MiB, `receiver peak RSS ${rss}`);
  });
});
