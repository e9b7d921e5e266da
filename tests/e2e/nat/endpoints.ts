/**
 * The two kinds of peer the matrix puts behind lab routers: a Node agent (node-datachannel) and a Chromium
 * page (for what only a browser has: TURN over TCP and TLS), both driving the SDK.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from '../harness/chromium.js';
import { type LabProcess, signalingUrl } from './agents.js';
import { type Lab, SERVER_IP } from './lab.js';

export interface PathInfo {
  type: 'direct' | 'relayed';
  localCandidateType: string;
  remoteCandidateType: string;
  relayProtocol?: string;
}

export interface Endpoint {
  readonly kind: 'node' | 'chromium';
  join(room: string): Promise<string>;
  /** Resolves with the time (ms since epoch) the default channel to `peerId` opened. */
  opened(room: string, peerId: string, timeoutMs: number): Promise<number>;
  info(room: string, peerId: string): Promise<PathInfo | null>;
  leave(room: string): Promise<void>;
}

export class NodeEndpoint implements Endpoint {
  readonly kind = 'node';
  constructor(readonly agent: LabProcess) {}

  async join(room: string): Promise<string> {
    const from = this.agent.events.length;
    this.agent.send({ cmd: 'join', room });
    const e = await this.agent.waitFor(
      (e) => (e.ev === 'joined' || e.ev === 'error') && e.room === room,
      15_000,
      `${room} joined`,
      from,
    );
    if (e.ev === 'error') throw new Error(`${this.agent.name}: join ${room}: ${e.message}`);
    return String(e.selfId);
  }

  async opened(room: string, peerId: string, timeoutMs: number): Promise<number> {
    const e = await this.agent.waitFor(
      (e) => e.ev === 'open' && e.room === room && e.peer === peerId,
      timeoutMs,
      `the channel in ${room} to open`,
    );
    return e.at;
  }

  async info(room: string, peerId: string): Promise<PathInfo | null> {
    const from = this.agent.events.length;
    this.agent.send({ cmd: 'info', room, to: peerId });
    const e = await this.agent.waitFor((e) => e.ev === 'info' && e.room === room, 5000, 'info', from);
    return e.info as PathInfo | null;
  }

  async leave(room: string): Promise<void> {
    const from = this.agent.events.length;
    this.agent.send({ cmd: 'leave', room });
    await this.agent.waitFor((e) => e.ev === 'left' && e.room === room, 5000, `${room} left`, from);
  }
}

/** Chromium started inside a namespace (through `ip netns exec`), its pages loaded from `parley serve`. */
export class ChromiumInNamespace {
  #browser: Browser | undefined;
  readonly #dir = mkdtempSync(join(tmpdir(), 'parley-lab-chromium-'));

  constructor(
    readonly lab: Lab,
    readonly ns: string,
  ) {}

  async start(): Promise<void> {
    const wrapper = join(this.#dir, 'chromium.sh');
    writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${this.ns} ${CHROMIUM_PATH} "$@"\n`);
    chmodSync(wrapper, 0o755);
    this.#browser = await chromium.launch({
      executablePath: wrapper,
      // The lab's TURN-over-TLS certificate is made by the test, for the server's IP address.
      args: [...CHROMIUM_FLAGS, '--ignore-certificate-errors'],
      timeout: 60_000,
    });
  }

  /** A page of its own at `url`. */
  async newPage(url: string): Promise<Page> {
    if (!this.#browser) throw new Error('Chromium is not started');
    const page = await (await this.#browser.newContext({ ignoreHTTPSErrors: true })).newPage();
    await page.goto(url);
    return page;
  }

  async endpoint(): Promise<ChromiumEndpoint> {
    if (!this.#browser) throw new Error('Chromium is not started');
    const context = await this.#browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(`http://${SERVER_IP}:${this.lab.signalingPort}/sdk.html`);
    await page.waitForFunction(() => (window as unknown as { e2e?: { ready?: boolean } }).e2e?.ready, null, {
      timeout: 20_000,
    });
    return new ChromiumEndpoint(page, signalingUrl(this.lab));
  }

  async stop(): Promise<void> {
    await this.#browser?.close().catch(() => undefined);
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

type PageSdk = {
  e2e: {
    sdk: {
      join(url: string, room: string): Promise<{ selfId: string }>;
      isOpen(peerId: string): boolean;
      leave(): Promise<void>;
      room?: { peers: Map<string, { connectionInfo(): Promise<PathInfo | undefined> }> };
    };
  };
};

export class ChromiumEndpoint implements Endpoint {
  readonly kind = 'chromium';
  constructor(
    readonly page: Page,
    readonly url: string,
  ) {}

  async join(room: string): Promise<string> {
    const r = await this.page.evaluate(
      ({ url, room }) => (window as unknown as PageSdk).e2e.sdk.join(url, room),
      { url: this.url, room },
    );
    return r.selfId;
  }

  async opened(_room: string, peerId: string, timeoutMs: number): Promise<number> {
    await this.page.waitForFunction((id) => (window as unknown as PageSdk).e2e.sdk.isOpen(id), peerId, {
      timeout: timeoutMs,
      polling: 10,
    });
    return Date.now();
  }

  async info(_room: string, peerId: string): Promise<PathInfo | null> {
    const info = await this.page.evaluate(
      (id) => (window as unknown as PageSdk).e2e.sdk.room?.peers.get(id)?.connectionInfo(),
      peerId,
    );
    return info ?? null;
  }

  /** What the page's SDK agent saw, for a failure message. */
  describe(): Promise<string> {
    return this.page.evaluate(async () => {
      const e2e = (
        window as unknown as {
          e2e: {
            describe(): object;
            sdk: { room?: { peers: Map<string, { getStats(): Promise<RTCStatsReport> }> } };
          };
        }
      ).e2e;
      const stats: string[] = [];
      for (const peer of e2e.sdk.room?.peers.values() ?? []) {
        (await peer.getStats()).forEach((s: Record<string, unknown>) => {
          if (s.type === 'candidate-pair')
            stats.push(
              `pair ${s.state} ${s.localCandidateId}→${s.remoteCandidateId} req ${s.requestsSent} resp ${s.responsesReceived}`,
            );
          if (s.type === 'local-candidate' || s.type === 'remote-candidate')
            stats.push(
              `${s.type} ${s.id} ${s.candidateType} ${s.address}:${s.port} ${s.relayProtocol ?? ''}`,
            );
        });
      }
      return JSON.stringify({ state: e2e.describe(), stats });
    });
  }

  async leave(): Promise<void> {
    await this.page.evaluate(() => (window as unknown as PageSdk).e2e.sdk.leave());
    await this.page.context().close();
  }
}
