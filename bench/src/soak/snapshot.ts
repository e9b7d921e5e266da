/**
 * A clean copy of the committed code (`git archive HEAD`) to run `parley serve` from, so that a soak runs
 * against the current main and not against whatever other engineers have half-edited in this checkout.
 * Its node_modules links to this checkout's (third-party packages), except @parley/*, which point into
 * the copy, so that the build bundles the copy's own workspace sources. Nothing in the checkout or its
 * .git is changed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';

export interface Snapshot {
  dir: string;
  rev: string;
}

function linkNodeModules(root: string, dir: string, sub: string): void {
  const from = join(root, sub, 'node_modules');
  if (!existsSync(from)) return;
  const to = join(dir, sub, 'node_modules');
  mkdirSync(to, { recursive: true });
  for (const e of readdirSync(from)) {
    if (e === '.cache') continue;
    if (e === '@parley') {
      mkdirSync(join(to, e), { recursive: true });
      for (const p of readdirSync(join(from, e))) {
        // Workspace links are relative (../../packages/server): the same path, taken from the copy.
        const target = readlinkSync(join(from, e, p));
        symlinkSync(resolve(join(to, e), target), join(to, e, p));
      }
      continue;
    }
    symlinkSync(join(from, e), join(to, e));
  }
}

export function snapshotHead(root: string, log: (line: string) => void): Snapshot {
  const rev = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  const dir = join(os.tmpdir(), `parley-soak-main-${rev.slice(0, 12)}`);
  const done = join(dir, '.soak-snapshot-complete');
  if (existsSync(done)) return { dir, rev };
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const tar = spawnSync('sh', ['-c', `git archive --format=tar ${rev} | tar -x -C "${dir}"`], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (tar.status !== 0) throw new Error(`git archive failed: ${tar.stderr}`);
  linkNodeModules(root, dir, '.');
  for (const ws of ['packages', 'apps', 'tests'])
    if (existsSync(join(root, ws)))
      for (const p of readdirSync(join(root, ws)))
        if (existsSync(join(dir, ws, p))) linkNodeModules(root, dir, join(ws, p));
  if (existsSync(join(root, 'bench'))) linkNodeModules(root, dir, 'bench');
  log(`building ${rev.slice(0, 12)} (git archive) in ${dir}`);
  const build = spawnSync(process.execPath, ['scripts/build.mjs'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (build.status !== 0) throw new Error(`build of the snapshot failed:\n${build.stdout}\n${build.stderr}`);
  // The TURN server's native UDP addon is built with node-gyp, which only warns when it fails (TURN then
  // runs on node:dgram): try once more, and say so if it is still missing.
  const addon = join(dir, 'packages/turn/native/build/Release/turn_udp.node');
  if (existsSync(join(dir, 'packages/turn/native/binding.gyp')) && !existsSync(addon)) {
    const again = spawnSync(process.execPath, ['scripts/build.mjs'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 600_000,
    });
    if (!existsSync(addon))
      log(
        `the snapshot has no native TURN addon (TURN on node:dgram): ${`${build.stdout}${again.stdout}${again.stderr}`.slice(-400)}`,
      );
  }
  if (!existsSync(join(dir, 'apps/cli/dist/main.js'))) throw new Error('the snapshot built no CLI');
  writeFileSync(done, `${rev}\n`);
  mkdirSync(dirname(done), { recursive: true });
  return { dir, rev };
}
