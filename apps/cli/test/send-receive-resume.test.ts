/**
 * A `parley receive` killed with SIGKILL mid-transfer and started again with the same code and folder
 * resumes from its last verified block, through a real `parley serve`, and the file is whole.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
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

  it('a receiver killed with SIGKILL and started again resumes from its last verified block', async () => {
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
    // Sent twice: only what was on its way, never verified: the block in progress, the sender's 1 MiB
    // buffer and what the killed receiver had queued (it asks the sender to hold at 8 MiB).
    assert.ok((sent.resentBytes as number) <= 10 * MiB, `sent twice: ${sent.resentBytes}`);
    assert.equal(await sha256File(join(out, 'k.bin')), hash);
  });
});
