/**
 * Defect 5: one client source took every TURN allocation by presenting a fresh REST username per
 * allocation (signaling mints one per join). The per-source quota must refuse it with 486 while another
 * address, with credentials from a real signaling join, still gets an allocation.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { getAttribute, Lifetime, Method, RequestedTransport, XorRelayedAddress } from '@parley/stun';
import { attr, errorCode, UdpTurnClient } from '@parley/testing/turn';
import { mintRestCredential } from '@parley/turn';
import { WebSocket } from 'ws';
import { assertSurvived, bystanders, startServe, withServe } from './harness.js';
import { metric } from './metrics.js';

const SECRET = 'hostile-allocations';
const UDP = [attr(RequestedTransport, 17)];

/** TURN credentials as a browser gets them: join a room over signaling and read the `joined` frame. */
async function joinCredential(wsUrl: string): Promise<{ username: string; password: string }> {
  const ws = new WebSocket(wsUrl, ['parley.v1']);
  ws.on('error', () => {});
  await once(ws, 'open');
  ws.send(JSON.stringify({ type: 'join', room: `turn-${Date.now()}` }));
  const [data] = await once(ws, 'message');
  ws.close();
  const f = JSON.parse(String(data)) as { iceServers: { username?: string; credential?: string }[] };
  const turn = f.iceServers.find((s) => s.username);
  assert.ok(turn?.username && turn.credential, `no TURN credentials in ${String(data)}`);
  return { username: turn.username, password: turn.credential };
}

/**
 * `n` allocations from `local`, each under a new username and from its own UDP port (its own 5-tuple),
 * as a client looping over signaling joins would. One challenge per address: the nonce is bound to the IP,
 * and the 401 rate limit would otherwise throttle the loop.
 */
async function flood(port: number, local: string, n: number, tag: string): Promise<UdpTurnClient[]> {
  const server = { host: '127.0.0.1', port };
  const expires = Math.floor(Date.now() / 1000) + 3600;
  const first = await UdpTurnClient.open(server, mintRestCredential(SECRET, `${tag}-0`, expires), local);
  assert.equal(errorCode(await first.allocate(UDP)), undefined, 'allocation 1');
  const clients = [first];
  for (let i = 1; i < n; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, n - i) }, async (_, k) => {
        const c = await UdpTurnClient.open(
          server,
          mintRestCredential(SECRET, `${tag}-${i + k}`, expires),
          local,
        );
        c.stun.realm = first.stun.realm;
        c.stun.nonce = first.stun.nonce;
        const res = await c.request(Method.Allocate, UDP);
        assert.equal(errorCode(res), undefined, `allocation ${i + k + 1} from ${local}`);
        return c;
      }),
    );
    clients.push(...batch);
  }
  return clients;
}

async function closeAll(clients: UdpTurnClient[]): Promise<void> {
  await Promise.all(clients.map((c) => c.close()));
}

test('default: allocation 501 from one address gets 486 whatever the username; another address still allocates', async () => {
  await withServe(['--turn-secret', SECRET], async (serve, pair) => {
    const port = serve.turnPort!;
    const mine = await flood(port, '127.0.0.1', 500, 'flood');
    const expires = Math.floor(Date.now() / 1000) + 3600;
    const extra = await UdpTurnClient.open(
      { host: '127.0.0.1', port },
      mintRestCredential(SECRET, 'flood-500', expires),
    );
    try {
      extra.stun.realm = mine[0]!.stun.realm;
      extra.stun.nonce = mine[0]!.stun.nonce;
      assert.equal(
        errorCode(await extra.request(Method.Allocate, UDP)),
        486,
        'allocation 501 from 127.0.0.1',
      );
      // A real peer elsewhere: credentials from a signaling join, a client on 127.0.0.2.
      const real = await UdpTurnClient.open(
        { host: '127.0.0.1', port },
        await joinCredential(serve.wsUrl),
        '127.0.0.2',
      );
      try {
        const res = await real.allocate(UDP);
        assert.equal(errorCode(res), undefined, 'the real peer on 127.0.0.2 gets its allocation');
        assert.ok(getAttribute(res, XorRelayedAddress)?.port);
      } finally {
        await real.close();
      }
      await pair.roundTrip();
      console.log('# allocation 501 from 127.0.0.1 → 486; from 127.0.0.2 (signaling credentials) → success');
    } finally {
      await extra.close();
      await closeAll(mine);
    }
  });
});

test('--turn-allocations-per-ip (here via PARLEY_TURN_ALLOCATIONS_PER_IP=5) sets the quota; freed allocations free the slot', async () => {
  await withServe(
    ['--turn-secret', SECRET],
    async (serve) => {
      const port = serve.turnPort!;
      const mine = await flood(port, '127.0.0.1', 5, 'env');
      const expires = Math.floor(Date.now() / 1000) + 3600;
      const sixth = await UdpTurnClient.open(
        { host: '127.0.0.1', port },
        mintRestCredential(SECRET, 'env-5', expires),
      );
      try {
        sixth.stun.realm = mine[0]!.stun.realm;
        sixth.stun.nonce = mine[0]!.stun.nonce;
        assert.equal(
          errorCode(await sixth.request(Method.Allocate, UDP)),
          486,
          'allocation 6 from 127.0.0.1',
        );
        // RFC 8656 §7.3: Refresh with LIFETIME 0 deletes one; its slot is free again.
        assert.equal(errorCode(await mine[0]!.request(Method.Refresh, [attr(Lifetime, 0)])), undefined);
        assert.equal(
          errorCode(await sixth.request(Method.Allocate, UDP)),
          undefined,
          'after one was deleted',
        );
        const other = await flood(port, '127.0.0.2', 5, 'env2');
        // The refusal is visible where operators look: /metrics on the signaling port.
        assert.equal(
          await metric(serve.httpUrl, 'parley_turn_limit_refusals_total', 'limit="allocationsPerSource"'),
          1,
        );
        assert.equal(await metric(serve.httpUrl, 'parley_turn_allocations'), 10);
        await closeAll(other);
      } finally {
        await sixth.close();
        await closeAll(mine);
      }
    },
    { PARLEY_TURN_ALLOCATIONS_PER_IP: '5' },
  );
});

test('default total at 400 descriptors: allocation 161 gets 486 (each holds a relay socket); /healthz and signaling stay up', async () => {
  const serve = await startServe(['--turn-secret', SECRET], {}, { fdLimit: 400 });
  const pair = await bystanders(serve.wsUrl);
  const clients: UdpTurnClient[] = [];
  try {
    const server = { host: '127.0.0.1', port: serve.turnPort! };
    const expires = Math.floor(Date.now() / 1000) + 3600;
    const codes: (number | undefined)[] = [];
    for (const local of ['127.0.0.1', '127.0.0.2']) {
      const first = await UdpTurnClient.open(
        server,
        mintRestCredential(SECRET, `${local}-0`, expires),
        local,
      );
      clients.push(first);
      codes.push(errorCode(await first.allocate(UDP)));
      for (let i = 1; i < 100; i += 33) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(33, 100 - i) }, async (_, k) => {
            const c = await UdpTurnClient.open(
              server,
              mintRestCredential(SECRET, `${local}-${i + k}`, expires),
              local,
            );
            clients.push(c);
            c.stun.realm = first.stun.realm;
            c.stun.nonce = first.stun.nonce;
            return errorCode(await c.request(Method.Allocate, UDP));
          }),
        );
        codes.push(...batch);
      }
    }
    const granted = codes.filter((c) => c === undefined).length;
    assert.equal(granted, 160, `granted ${granted} of 200: 40 % of 400 descriptors`);
    assert.deepEqual([...new Set(codes.filter((c) => c !== undefined))], [486], 'the rest get 486');
    const ms = await assertSurvived(serve, pair);
    console.log(
      `# 200 allocations at a 400-descriptor limit: 160 granted, 40 → 486; bystanders ${ms.toFixed(1)} ms`,
    );
  } finally {
    await closeAll(clients);
    pair.close();
    await serve.stop();
  }
});
