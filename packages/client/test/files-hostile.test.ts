/**
 * A hostile sender's manifest (`../x`, `/etc/x`, `a/../../x`, `CON`, names with NUL or newline) sent by a
 * real peer through a real server: the receiver writes every file inside the target folder, under a
 * sanitised name, and nothing anywhere else.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join as joinPath } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunningServer } from '@parley/server';
import { onFileOffers, type SourceFile, sanitizePath, sendFiles } from '../src/files/index.js';
import { nodeSink } from '../src/files/node/index.js';
import type { Room } from '../src/index.js';
import { listFiles, pair, remove, tempDir } from './files-helpers.js';
import { releaseNative, startTestServer } from './helpers.js';

const HOSTILE = [
  '../x',
  '/etc/x',
  'a/../../x',
  'CON',
  'nul.txt',
  'COM1',
  'a\u0000b',
  'new\nline',
  '..\\..\\win',
  'C:\\evil',
  'trailing. ',
  '\u001b[31mred',
];

function memorySource(path: string, text: string): SourceFile {
  const bytes = new TextEncoder().encode(text);
  return {
    path,
    size: bytes.byteLength,
    mime: 'text/plain',
    mtime: 1_700_000_000_000,
    read: async (offset, length) => bytes.slice(offset, offset + length),
  };
}

describe('hostile file names', () => {
  it('sanitizePath turns every hostile name into a relative path with no .., device name or control character', () => {
    for (const name of HOSTILE) {
      const safe = sanitizePath(name);
      assert.ok(!safe.startsWith('/'), `${JSON.stringify(name)} → ${safe}`);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters
      assert.ok(!/[\u0000-\u001f\u007f]/.test(safe), `${JSON.stringify(name)} → ${JSON.stringify(safe)}`);
      for (const seg of safe.split('/')) {
        assert.notEqual(seg, '..');
        assert.notEqual(seg, '.');
        assert.ok(!/^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i.test(seg), `${name} → ${safe}`);
        assert.ok(!/[\\:<>"|?*]/.test(seg), `${name} → ${safe}`);
      }
    }
    assert.equal(sanitizePath('../x'), 'x');
    assert.equal(sanitizePath('/etc/x'), 'etc/x');
    assert.equal(sanitizePath('a/../../x'), 'a/x');
    assert.equal(sanitizePath('CON'), '_CON');
    assert.equal(sanitizePath('a\u0000b'), 'a_b');
    assert.equal(sanitizePath('new\nline'), 'new_line');
    assert.throws(() => sanitizePath('../..'), { code: 'BAD_FILE_NAME' });
  });

  describe('over a real connection', () => {
    let server: RunningServer;
    let dir: string;
    const rooms: Room[] = [];
    before(async () => {
      server = await startTestServer();
      dir = await tempDir('hostile');
    });
    after(async () => {
      for (const r of rooms) await r.leave();
      await server.close();
      await remove(dir);
      releaseNative();
    });

    it('a hostile manifest writes nothing outside the target folder', async () => {
      // dir/deep/target is the folder; dir, dir/deep and /etc must stay as they were.
      const target = joinPath(dir, 'deep', 'target');
      const { a, b, bOnA, aOnB } = await pair(server.wsUrl, 'files-hostile');
      rooms.push(a, b);
      let offered: string[] = [];
      onFileOffers(aOnB, (offer) => {
        offered = offer.files.map((f) => f.path);
        offer.accept(nodeSink(target));
      });
      const files = HOSTILE.map((name, i) => memorySource(name, `file ${i}`));
      const summary = await sendFiles(bOnA, files).done;
      assert.equal(summary.files.length, HOSTILE.length);
      assert.deepEqual(offered, HOSTILE.map(sanitizePath));
      // Everything under dir is inside the target folder.
      const all = await listFiles(dir);
      assert.ok(
        all.every((p) => p.startsWith('deep/target/')),
        `files outside the target: ${all.filter((p) => !p.startsWith('deep/target/'))}`,
      );
      assert.deepEqual(await readdir(joinPath(dir, 'deep')), ['target']);
      assert.equal(all.length, HOSTILE.length);
      assert.ok(all.includes('deep/target/x'));
      assert.ok(all.includes('deep/target/etc/x'));
      assert.ok(all.includes('deep/target/_CON'));
    });
  });
});
