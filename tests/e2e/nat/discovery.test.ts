/**
 * RFC 5780 NAT behaviour discovery in the lab: `parley serve --stun-alternate-ip` on the public segment's
 * two addresses, and `parley nat --json` run behind each kind of lab router must name that router's
 * behaviour (full cone, restricted cone, port-restricted, symmetric; UDP blocked). The web app's check
 * page, in Chromium behind the full cone and the symmetric NAT, must tell a cone from a symmetric mapping.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LabProcess, REPO_ROOT, startLabServe } from './agents.js';
import { ChromiumInNamespace } from './endpoints.js';
import { Lab, labUnavailable, type RouterSpec, SERVER_ALT_IP, SERVER_IP } from './lab.js';

const ROUTERS: (RouterSpec & { expect: { kind: string; mapping: string; filtering: string } })[] = [
  {
    name: 'fc',
    kind: 'full-cone',
    expect: { kind: 'full-cone', mapping: 'endpoint-independent', filtering: 'endpoint-independent' },
  },
  {
    name: 'rc',
    kind: 'restricted',
    expect: { kind: 'restricted-cone', mapping: 'endpoint-independent', filtering: 'address-dependent' },
  },
  {
    name: 'pr',
    kind: 'port-restricted',
    expect: {
      kind: 'port-restricted',
      mapping: 'endpoint-independent',
      filtering: 'address-and-port-dependent',
    },
  },
  {
    name: 'sy',
    kind: 'symmetric',
    expect: {
      kind: 'symmetric',
      mapping: 'address-and-port-dependent',
      filtering: 'address-and-port-dependent',
    },
  },
  {
    name: 'udp',
    kind: 'udp-blocked',
    expect: { kind: 'udp-blocked', mapping: 'unknown', filtering: 'unknown' },
  },
];

const CLI = join(REPO_ROOT, 'apps/cli/bin/parley.js');

describe('NAT lab: RFC 5780 discovery names each router’s behaviour', {
  skip: labUnavailable(),
  timeout: 120_000,
}, () => {
  const lab = new Lab();
  let serve: LabProcess | undefined;

  before(async () => {
    lab.create(ROUTERS);
    serve = await startLabServe(lab, ['--stun-alternate-ip', SERVER_ALT_IP]);
  });

  after(async () => {
    await serve?.stop();
    lab.destroy();
  });

  for (const [router, expect] of [
    ['fc', /Cone NAT \(endpoint-independent mapping\)/],
    ['sy', /Symmetric NAT: /],
  ] as const) {
    it(`the check page in Chromium behind ${router} says ${expect.source}`, async () => {
      const browser = new ChromiumInNamespace(lab, lab.host(router).ns);
      await browser.start();
      try {
        const page = await browser.newPage(`http://${SERVER_IP}:${lab.signalingPort}/#/check`);
        const row = await page.waitForFunction(
          () =>
            [...document.querySelectorAll('[data-testid=check-row]')]
              .map((r) => r.textContent ?? '')
              .find((t) => t.includes('NAT type') && !t.includes('Checking')),
          null,
          { timeout: 30_000 },
        );
        assert.match(String(await row.jsonValue()), expect);
      } finally {
        await browser.stop();
      }
    });
  }

  it('parley serve --host 0.0.0.0 answers STUN from the address each request came to', async () => {
    // A second server on every address of the public namespace (203.0.113.10 and .11 on its loopback,
    // 198.18.k.1 towards each router). Asked on .11, the answer must come from .11: one from the outgoing
    // interface's 198.18.k.1 would be dropped by the port-restricted NAT, and the client would see no UDP.
    const wild = new LabProcess('parley serve 0.0.0.0', lab.pub, [
      process.execPath,
      CLI,
      'serve',
      '--host',
      '0.0.0.0',
      '--port',
      '8081',
      '--turn-port',
      '3490',
      '--turn-relay-ip',
      SERVER_IP,
    ]);
    try {
      await wild.waitForOutput(/Press Ctrl\+C/, 20_000);
      for (const ip of [SERVER_IP, SERVER_ALT_IP]) {
        const run = new LabProcess(`nat pr via ${ip}`, lab.host('pr').ns, [
          process.execPath,
          CLI,
          'nat',
          '--server',
          `stun:${ip}:3490`,
          '--json',
        ]);
        await run.exited;
        const report = JSON.parse(run.output.slice(run.output.indexOf('{'))) as {
          udp: boolean;
          mapped?: string;
        };
        assert.equal(report.udp, true, `an answer to ${ip}: ${run.output}`);
        assert.match(report.mapped ?? '', /^198\.18\./);
      }
    } finally {
      await wild.stop();
    }
  });

  for (const r of ROUTERS) {
    it(`${r.kind}: parley nat says ${r.expect.kind}`, async (t) => {
      const run = new LabProcess(`nat ${r.name}`, lab.host(r.name).ns, [
        process.execPath,
        CLI,
        'nat',
        '--server',
        `stun:${SERVER_IP}:3478`,
        '--json',
      ]);
      await run.exited;
      const json = run.output.slice(run.output.indexOf('{'));
      const report = JSON.parse(json) as {
        kind: string;
        mapping: string;
        filtering: string;
        summary: string;
      };
      t.diagnostic(report.summary);
      assert.deepEqual(
        { kind: report.kind, mapping: report.mapping, filtering: report.filtering },
        r.expect,
        run.output,
      );
    });
  }
});
