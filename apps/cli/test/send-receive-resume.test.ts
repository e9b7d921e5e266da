/**
 * A `parley receive` killed with SIGKILL mid-transfer and started again with the same code and folder
 * resumes from what it kept (mid-block), through a real `parley serve`, and the file is whole: at most one
 * block is sent twice. Garbage written into the kept, not yet verified part of the part file before the
 * restart is caught by its block's hash and that block is sent again.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, open, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BLOCK_SIZE } from '@parley/client/files';
import { until } from '@parley/testing';
import { Cli, MiB, randomFile, sha256File, startServe } from './cli-helpers.js';

describe('parley receive, killed and started again', () => {
  let serve: Cli;
  let server: string;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-resume-'));
    ({ serve, server } = await startServe());
  });
  after(async () => {
    serve.proc.kill('SIGTERM');
    await serve.exited;
    await rm(dir, { recursive: true, force: true });
  });

  it('a receiver killed with SIGKILL and started again resumes from what it kept', async () => {
    const src = join(dir, 'src');
    await mkdir(src, { recursive: true });
    const hash = await randomFile(join(src, 'k.bin'), 96 * MiB);
    const out = join(dir, 'out');
    const env = { PARLEY_SERVER: server };
    const send = new Cli(['send', '--json', '--code', '42-elm-owl', join(src, 'k.bin')], env);
    await until(() => !!send.last('ready'), 'the sender is ready', 15_000);
    const first = new Cli(['receive', '--json', '--yes', '--out', out, '42-elm-owl'], env);
    await until(
      () => ((first.last('progress')?.bytes as number) ?? 0) >= 16 * MiB,
      '16 MiB received',
      60_000,
    );
    first.proc.kill('SIGKILL');
    await first.exited;
    const second = new Cli(['receive', '--json', '--yes', '--out', out, '42-elm-owl'], env);
    try {
      assert.equal(await second.exit(100_000), 0, second.stdout.slice(-2000));
      assert.equal(await send.exit(10_000), 0);
    } catch (err) {
      console.log(`# sender's output:\n${send.stdout.slice(-3000)}`);
      send.proc.kill('SIGKILL');
      second.proc.kill('SIGKILL');
      throw err;
    }
    const done = second.last('done')!;
    const sent = send.last('done')!;
    console.log(
      `# SIGKILLed receiver: resumed from ${((done.resumedBytes as number) / MiB).toFixed(0)} MiB, bytes sent twice ${sent.resentBytes}`,
    );
    assert.ok((done.resumedBytes as number) >= 8 * MiB, 'resumed, not started over');
    // Sent twice: only what the killed receiver had not acknowledged as kept (written to its part file):
    // the sender keeps at most one block (WINDOW) of that out.
    assert.ok((sent.resentBytes as number) <= BLOCK_SIZE, `sent twice: ${sent.resentBytes}`);
    assert.equal(done.corruptBlocks, 0);
    assert.equal(await sha256File(join(out, 'k.bin')), hash);
  });

  it('garbage in the kept, unverified bytes of the part file is caught by the block hash and re-sent', async () => {
    const src = join(dir, 'src2');
    await mkdir(src, { recursive: true });
    const hash = await randomFile(join(src, 'g.bin'), 48 * MiB);
    const out = join(dir, 'out2');
    const env = { PARLEY_SERVER: server };
    const send = new Cli(['send', '--json', '--code', '43-elm-owl', join(src, 'g.bin')], env);
    await until(() => !!send.last('ready'), 'the sender is ready', 15_000);
    const first = new Cli(['receive', '--json', '--yes', '--out', out, '43-elm-owl'], env);
    await until(() => ((first.last('progress')?.bytes as number) ?? 0) >= 8 * MiB, '8 MiB received', 60_000);
    first.proc.kill('SIGKILL');
    await first.exited;
    // Overwrite (or extend) the bytes past the last verified block with garbage.
    const part = join(out, 'g.bin.parley-part');
    const state = JSON.parse(await readFile(`${part}.json`, 'utf8')) as { verified: number };
    const kept = (await stat(part)).size;
    const garbage = new Uint8Array(Math.max(1, Math.min(4096, kept - state.verified))).fill(0xa5);
    const h = await open(part, 'r+');
    await h.write(garbage, 0, garbage.byteLength, state.verified);
    await h.close();
    const second = new Cli(['receive', '--json', '--yes', '--out', out, '43-elm-owl'], env);
    try {
      assert.equal(await second.exit(100_000), 0, second.stdout.slice(-2000));
      assert.equal(await send.exit(10_000), 0);
    } catch (err) {
      console.log(`# sender's output:\n${send.stdout.slice(-3000)}`);
      send.proc.kill('SIGKILL');
      second.proc.kill('SIGKILL');
      throw err;
    }
    const done = second.last('done')!;
    const sent = send.last('done')!;
    console.log(
      `# garbage past block ${state.verified / BLOCK_SIZE} (${kept - state.verified} bytes kept): blocks re-requested ${done.corruptBlocks}, bytes sent twice ${sent.resentBytes}`,
    );
    assert.equal(done.corruptBlocks, 1, 'the block with garbage was asked for again');
    assert.ok((done.resumedBytes as number) >= state.verified, 'resumed, not started over');
    assert.equal(await sha256File(join(out, 'g.bin')), hash);
  });
});
