/**
 * Network changes under a live data channel, in the NAT lab: a NAT that forgets its mappings (conntrack
 * flushed) and a host whose address changes. Each side sends a tick every 20 ms; the test measures the
 * longest silence the receiver saw, and requires the ticks to flow again (through the SDK's ICE recovery
 * where the old path is gone).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type LabProcess, startAgent, startLabServe } from './agents.js';
import { NodeEndpoint } from './endpoints.js';
import { Lab, labUnavailable } from './lab.js';

const skip = labUnavailable();

describe('NAT lab: recovery from network changes', { skip, timeout: 300_000 }, () => {
  const lab = new Lab();
  const agents: LabProcess[] = [];
  let serve: LabProcess | undefined;

  before(async () => {
    lab.create([
      { name: 'fc1', kind: 'full-cone' },
      { name: 'pr1', kind: 'port-restricted' },
      { name: 'sy1', kind: 'symmetric' },
    ]);
    serve = await startLabServe(lab);
  });
  after(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await serve?.stop();
    lab.destroy();
  });

  async function measure(t: TestContext, room: string, side: string, change: () => void): Promise<number> {
    const a = new NodeEndpoint(await startAgent(lab, side, lab.host(side).ns));
    const b = new NodeEndpoint(await startAgent(lab, 'fc1', lab.host('fc1').ns));
    agents.push(a.agent, b.agent);
    const aId = await a.join(room);
    const bId = await b.join(room);
    await Promise.all([a.opened(room, bId, 20_000), b.opened(room, aId, 20_000)]);
    a.agent.send({ cmd: 'ticks', room, to: bId, everyMs: 20 });
    b.agent.send({ cmd: 'ticks', room, to: aId, everyMs: 20 });
    await sleep(1000);
    const since = Date.now();
    change();
    // Ticks flowing again both ways for 2 s after the change ends the wait.
    const gaps = async () => {
      const out: { count: number; maxGapMs: number; last: number }[] = [];
      for (const [agent, from] of [
        [a.agent, bId],
        [b.agent, aId],
      ] as const) {
        const mark = agent.events.length;
        agent.send({ cmd: 'gaps', room, from, since });
        const e = await agent.waitFor((e) => e.ev === 'gaps', 5000, 'gaps', mark);
        out.push({ count: Number(e.count), maxGapMs: Number(e.maxGapMs), last: Number(e.gapEndedAt) });
      }
      return out;
    };
    const deadline = Date.now() + 90_000;
    let result = await gaps();
    for (;;) {
      const recent = await Promise.all(
        [
          [a.agent, bId],
          [b.agent, aId],
        ].map(async ([agent, from]) => {
          const ag = agent as LabProcess;
          const mark = ag.events.length;
          ag.send({ cmd: 'gaps', room, from, since: Date.now() - 2000 });
          const e = await ag.waitFor((e) => e.ev === 'gaps', 5000, 'gaps', mark);
          return Number(e.count);
        }),
      );
      if (Date.now() - since > 3000 && recent.every((c) => c > 50)) break;
      if (Date.now() > deadline) break;
      await sleep(1000);
    }
    result = await gaps();
    const silence = Math.max(...result.map((r) => r.maxGapMs));
    t.diagnostic(
      `longest silence ${silence} ms (a→b ${result[1]!.maxGapMs} ms, b→a ${result[0]!.maxGapMs} ms)`,
    );
    if (process.env.PARLEY_LAB_DEBUG === '1')
      for (const e of [a, b])
        t.diagnostic(
          `${e.agent.name}: ${e.agent.events
            .filter((x) => x.ev !== 'gaps' && x.ev !== 'info')
            .map((x) => `${x.at - since} ${x.ev} ${x.state ?? x.reason ?? x.selfId ?? ''}`)
            .join('; ')}`,
        );
    const info = await a.info(room, bId);
    t.diagnostic(`path afterwards: ${JSON.stringify(info)}`);
    assert.ok(
      Date.now() <= deadline,
      `ticks did not flow again both ways within 90 s: ${JSON.stringify(result)}`,
    );
    await Promise.all([a.leave(room), b.leave(room)]);
    return silence;
  }

  it('a port-keeping NAT that forgets its mappings: the same ports come back, the channel hardly notices', (t) =>
    measure(t, 'flush-pr', 'pr1', () => lab.flushConntrack('pr1')).then(() => undefined));

  it('a symmetric NAT that forgets its mappings: new ports, recovered by ICE recovery', (t) =>
    measure(t, 'flush-sy', 'sy1', () => lab.flushConntrack('sy1')).then(() => undefined));

  it('a host whose address changes: the channel comes back', (t) =>
    measure(t, 'renumber', 'pr1', () => lab.renumber(lab.host('pr1'), '10.2.0.9')).then(() => undefined));

  it('a host behind a symmetric NAT whose address changes: new mappings, recovered by ICE recovery', (t) =>
    measure(t, 'renumber-sy', 'sy1', () => lab.renumber(lab.host('sy1'), '10.3.0.9')).then(() => undefined));
});
