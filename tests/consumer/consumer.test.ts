/**
 * Parley as a user gets it: every published package packed (scripts/pack.mjs), the tarballs installed
 * into a project under the OS temp folder (no workspace links, no repository paths), then
 * - a TypeScript program type-checked against the installed declarations and run: two Node peers join a
 *   room on the installed `parley serve` and exchange a message;
 * - a Vite app built against the installed @parley/client, opened in Chromium: it connects to a Node peer;
 * - @parley/turn installed where there is no compiler: the install succeeds, the server runs on node:dgram
 *   and says so.
 * PARLEY_KEEP_CONSUMER=1 keeps the temporary folder.
 */
import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { workspaceDependencies } from '../../scripts/workspace.mjs';
import { launchChromium } from '../e2e/harness/chromium.js';
import { REPO_ROOT, startParleyServe } from '../e2e/harness/parley-serve.js';
import { waitUntil } from '../e2e/harness/wait.js';

const tmp = realpathSync(mkdtempSync(join(tmpdir(), 'parley-consumer-')));
const packs = join(tmp, 'packs');
const project = join(tmp, 'project');
/** Third-party packages the consumer project uses, at the versions the repository has installed. */
const TOOLS = ['typescript', 'vite', 'ws', 'node-datachannel', '@types/node', '@types/ws'];

/** The environment of a process in the consumer project: nothing of the repository's npm run. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^npm_|^INIT_CWD$|^NODE_OPTIONS$/i.test(k)),
  );
  return { ...env, npm_config_update_notifier: 'false', npm_config_fund: 'false', ...extra };
}

function sh(cmd: string, args: string[], cwd: string, env = cleanEnv()): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 120_000 });
  assert.equal(
    r.status,
    0,
    `${cmd} ${args.join(' ')} (in ${cwd}) failed:\n${r.stdout}${r.stderr}${r.error ?? ''}`,
  );
  return r;
}

/** npm's own entry script, so that it can run with a PATH that holds nothing but node and sh. */
const npmCli = realpathSync(spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim());
const npmInstall = (cwd: string, env?: NodeJS.ProcessEnv) =>
  sh(
    process.execPath,
    [npmCli, 'install', '--no-audit', '--prefer-offline', '--foreground-scripts'],
    cwd,
    env,
  );

/** A package.json that installs `names` from the tarballs, each @parley/* dependency pinned to them too. */
function manifest(tarballs: Map<string, string>, names: string[], extra: Record<string, string> = {}) {
  const dependencies: Record<string, string> = { ...extra };
  const overrides: Record<string, string> = {};
  for (const name of names) {
    dependencies[name] = `file:${tarballs.get(name)}`;
    overrides[name] = `$${name}`;
  }
  return `${JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies, overrides }, null, 2)}\n`;
}

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory() && e.name !== 'node_modules') walk(p, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}

let tarballs = new Map<string, string>();

// Packing and installing take ~85 s here and building the Vite app ~60 s; on a busy machine twice that, so
// these steps get 6 minutes each instead of the suite's 3.
const SLOW = { timeout: 360_000 };

before(() => {
  const started = Date.now();
  sh(process.execPath, ['scripts/pack.mjs', '--out', packs], REPO_ROOT, process.env);
  const made = readdirSync(packs).filter((f) => f.endsWith('.tgz'));
  tarballs = new Map(
    made.map((f) => [f.replace(/^parley-(.*)-\d+\.\d+\.\d+.*\.tgz$/, '@parley/$1'), join(packs, f)]),
  );
  cpSync(new URL('project', import.meta.url), project, { recursive: true });
  const tools = Object.fromEntries(
    TOOLS.map((t) => [
      t,
      JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', t, 'package.json'), 'utf8')).version,
    ]),
  );
  writeFileSync(join(project, 'package.json'), manifest(tarballs, [...tarballs.keys()], tools));
  npmInstall(project);
  console.log(`# consumer: packed ${made.length} packages and installed them in ${Date.now() - started} ms`);
}, SLOW);

after(() => {
  if (process.env.PARLEY_KEEP_CONSUMER === '1') console.log(`# consumer project kept in ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
});

test('the installed packages are built files only, with nothing from the repository', () => {
  // every workspace that is not private is published (a new one too), these six at least
  const root = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
  const published = root.workspaces
    .map((dir) => JSON.parse(readFileSync(join(REPO_ROOT, dir, 'package.json'), 'utf8')))
    .filter((m) => !m.private)
    .map((m) => m.name as string);
  assert.deepEqual([...tarballs.keys()].sort(), published.sort());
  for (const name of ['cli', 'client', 'protocol', 'server', 'stun', 'turn'])
    assert.ok(tarballs.has(`@parley/${name}`), name);
  for (const name of tarballs.keys()) {
    const dir = join(project, 'node_modules', name);
    assert.ok(!lstatSync(dir).isSymbolicLink(), `${name} is a link`);
    const files = walk(dir);
    for (const f of files) {
      assert.doesNotMatch(f.slice(dir.length), /\.test\.|\/src\/|(?<!\.d)\.ts$/, `${name} ships ${f}`);
      const text = readFileSync(f, 'latin1');
      assert.ok(!text.includes(REPO_ROOT), `${f} names the repository (${REPO_ROOT})`);
      if (f.endsWith('.d.ts')) assert.doesNotMatch(text, /@parley\/testing|\.\.\/src\//, f);
    }
  }
  // the CLI carries the web app; the TURN addon was built on install (this machine has a compiler)
  assert.ok(existsSync(join(project, 'node_modules/@parley/cli/dist/web/index.html')));
  assert.ok(
    existsSync(join(project, 'node_modules/@parley/turn/native/build/Release/turn_udp.node')),
    'the TURN addon was not built on install: python3, make and g++ are needed (see README)',
  );
});

test(
  'a TypeScript program type-checks against the installed declarations; two Node peers talk through the installed `parley serve`',
  SLOW,
  async () => {
    const tsc = (config: string) =>
      sh(process.execPath, ['node_modules/typescript/bin/tsc', '-p', config], project);
    tsc('tsconfig.declarations.json'); // the declarations alone, skipLibCheck off
    tsc('tsconfig.json'); // the program, built to build/
    const cli = join(project, 'node_modules/@parley/cli/bin/parley.js');
    const serve = await startParleyServe(['--turn-port', '0', '--log-level', 'info'], { cli, cwd: project });
    try {
      assert.match(serve.output(), /UDP data path native/);
      const page = await fetch(`${serve.httpUrl}/`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<title>[^<]*Parley/i, 'the web app the CLI carries');
      const run = sh(process.execPath, ['build/peers.js', 'pair', serve.wsUrl], project);
      const result = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}');
      assert.deepEqual(result, { ok: true, protocol: 'parley.v1', got: ['b got: hello from a'] });
    } finally {
      await serve.stop();
    }
  },
);

test(
  'a Vite app built against the installed @parley/client connects to a Node peer in Chromium',
  SLOW,
  async () => {
    sh(
      process.execPath,
      ['node_modules/vite/bin/vite.js', 'build', 'web', '--outDir', '../web-dist', '--logLevel', 'warn'],
      project,
    );
    const cli = join(project, 'node_modules/@parley/cli/bin/parley.js');
    const serve = await startParleyServe(['--turn-port', '0', '--static', join(project, 'web-dist')], {
      cli,
      cwd: project,
    });
    const browser = await launchChromium();
    const peer = spawn(process.execPath, ['build/peers.js', 'echo', serve.wsUrl, 'consumer-web'], {
      cwd: project,
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let peerOutput = '';
    peer.stdout.setEncoding('utf8').on('data', (s: string) => (peerOutput += s));
    peer.stderr.setEncoding('utf8').on('data', (s: string) => (peerOutput += s));
    try {
      await waitUntil(() => peerOutput.includes('"joined"'), {
        what: 'the Node peer to join',
        describe: () => peerOutput,
      });
      const page = await browser.newPage();
      await page.goto(`${serve.httpUrl}/#consumer-web`);
      const log = () => page.locator('#log').textContent();
      await waitUntil(async () => (await log())?.includes('message node got: hello from the browser'), {
        what: 'the Node peer to answer the page over WebRTC',
        timeoutMs: 30_000,
        describe: async () => ({ page: await log(), peer: peerOutput }),
      });
      await waitUntil(() => peer.exitCode === 0, {
        what: 'the Node peer to leave',
        describe: () => peerOutput,
      });
    } finally {
      peer.kill();
      await browser.close();
      await serve.stop();
    }
  },
);

test('@parley/turn installs where there is no compiler, and runs on node:dgram saying so', SLOW, () => {
  // PATH: node, sh and python3 only (no cc, gcc, g++, c++ or make).
  const bin = join(tmp, 'bin-without-compiler');
  mkdirSync(bin);
  for (const tool of ['node', 'sh', 'python3']) {
    const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    if (found) symlinkSync(realpathSync(found), join(bin, tool));
  }
  const env = cleanEnv({ PATH: bin, PARLEY_LOG_LEVEL: 'info' });
  const dir = join(tmp, 'no-compiler');
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'package.json'),
    manifest(tarballs, [
      '@parley/turn',
      ...workspaceDependencies('@parley/turn').map((p) => p.manifest.name),
    ]),
  );
  const install = npmInstall(dir, env);
  assert.match(
    install.stdout + install.stderr,
    /native UDP addon was not built \(.*\); TURN runs on node:dgram/,
  );
  const start = `import { startTurnServer } from '@parley/turn';
    const s = await startTurnServer({ listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }], realm: 'r', secrets: ['s'] });
    console.log(s.udpDataPath);
    await s.close();`;
  const run = sh(process.execPath, ['--input-type=module', '-e', start], dir, env);
  assert.equal(run.stdout.trim(), 'dgram');
  const said = run.stderr.match(/parley turn: UDP data path node:dgram \(addon not built: [^)]*\)/g) ?? [];
  assert.equal(said.length, 1, `said once at start:\n${run.stderr}`);
});
