/**
 * RFC 5780 discovery sockets under hostile input: `parley serve --stun-alternate-ip` opens three more UDP
 * sockets (the alternate IP on both ports, the primary IP on the alternate port) and answers Binding
 * requests from whichever socket CHANGE-REQUEST names. Each test sends its input to all four sockets of a
 * real process, then checks the process is alive, /healthz answers, the bystanders still exchange a
 * message, and discovery itself still answers correctly.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { test } from 'node:test';
import {
  AttributeType,
  addAttribute,
  ChangeRequest,
  createMessage,
  type DecodedStunMessage,
  decodeMessage,
  encodeMessage,
  getAttribute,
  MessageClass,
  Method,
  OtherAddress,
  Padding,
  ResponseOrigin,
  ResponsePort,
  Software,
  XorMappedAddress,
} from '@parley/stun';
import { freeTcpUdpPort, SeededRandom } from '@parley/testing';
import { nodeCrypto } from '@parley/testing/turn';
import { discoverNatBehavior } from '@parley/turn';
import { type Serve, withServe } from './harness.js';

const PRIMARY = '127.0.0.1';
const ALTERNATE = '127.0.0.2';

interface Target {
  readonly address: string;
  readonly port: number;
}

/** `parley serve` with discovery on 127.0.0.1 / 127.0.0.2 times two free ports, and its four sockets. */
async function discoveryServe<T>(fn: (serve: Serve, sockets: Target[]) => Promise<T>): Promise<T> {
  const port = await freeTcpUdpPort();
  let alt = await freeTcpUdpPort();
  while (alt === port) alt = await freeTcpUdpPort();
  const args = [
    '--turn-port',
    String(port),
    '--stun-alternate-ip',
    ALTERNATE,
    '--stun-alternate-port',
    String(alt),
  ];
  return withServe(args, (serve) =>
    fn(serve, [
      { address: PRIMARY, port },
      { address: PRIMARY, port: alt },
      { address: ALTERNATE, port },
      { address: ALTERNATE, port: alt },
    ]),
  );
}

async function client(): Promise<Socket> {
  const s = createSocket('udp4');
  s.on('error', () => {});
  await new Promise<void>((r) => s.bind(0, PRIMARY, () => r()));
  return s;
}

/** A Binding request (with an attribute, so it takes the path that does RFC 5780, not the bare fast path). */
function binding(extra?: (m: ReturnType<typeof createMessage>) => void): { bytes: Buffer; tid: string } {
  const tid = new Uint8Array(randomBytes(12));
  const msg = createMessage(Method.Binding, MessageClass.Request, tid);
  addAttribute(msg, Software, 'hostile');
  extra?.(msg);
  return {
    bytes: Buffer.from(encodeMessage(msg, { fingerprint: true, crypto: nodeCrypto })),
    tid: Buffer.from(tid).toString('hex'),
  };
}

/** Sends `bytes` to `to` and resolves with the answer for `tid` and the address it came from (or undefined). */
async function ask(
  to: Target,
  req: { bytes: Buffer; tid: string },
  ms = 1500,
): Promise<{ msg: DecodedStunMessage; from: Target } | undefined> {
  const s = await client();
  try {
    return await new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), ms);
      s.on('message', (bytes, rinfo) => {
        try {
          const msg = decodeMessage(bytes);
          if (Buffer.from(msg.transactionId).toString('hex') !== req.tid) return;
          clearTimeout(timer);
          resolve({ msg, from: { address: rinfo.address, port: rinfo.port } });
        } catch {
          // not STUN: ignore
        }
      });
      s.send(req.bytes, to.port, to.address);
    });
  } finally {
    s.close();
  }
}

/** Discovery still works: every socket answers, CHANGE-REQUEST moves the answer, and loopback is "no NAT". */
async function assertDiscoveryWorks(sockets: Target[]): Promise<void> {
  for (const s of sockets) {
    const r = await ask(
      s,
      binding((m) => addAttribute(m, ChangeRequest, { changeIp: true, changePort: true })),
    );
    assert.ok(r, `no answer from ${s.address}:${s.port}`);
    const origin = getAttribute(r.msg, ResponseOrigin);
    assert.ok(
      origin && origin.address !== s.address && origin.port !== s.port,
      'answered from the other socket',
    );
    assert.deepEqual(
      r.from,
      { address: origin.address, port: origin.port },
      'RESPONSE-ORIGIN is where it came from',
    );
  }
  const report = await discoverNatBehavior({ host: PRIMARY, port: sockets[0]!.port });
  assert.equal(report.otherAddress, `${ALTERNATE}:${sockets[3]!.port}`);
  assert.equal(report.mapping, 'no-nat', 'loopback: the mapped address is our own');
  assert.equal(report.filtering, 'endpoint-independent');
}

test('garbage, truncated and malformed STUN to all four discovery sockets: no crash, discovery still answers', async () => {
  await discoveryServe(async (_serve, sockets) => {
    const rnd = new SeededRandom(5780);
    const s = await client();
    const valid = binding((m) => addAttribute(m, ChangeRequest, { changeIp: true, changePort: false })).bytes;
    const inputs: Buffer[] = [
      Buffer.alloc(0),
      Buffer.alloc(1),
      valid.subarray(0, 19), // shorter than a header
      valid.subarray(0, 24), // attribute cut in half
      Buffer.from(valid.map((b, i) => (i === 3 ? 0xff : b))), // length field beyond the datagram
      Buffer.from(valid.map((b, i) => (i >= 4 && i < 8 ? 0 : b))), // no magic cookie
    ];
    // CHANGE-REQUEST with a wrong length (0 and 8 bytes) and with every flag bit set.
    for (const len of [0, 8]) {
      const b = Buffer.from(valid);
      const at = b.indexOf(Buffer.from([0x00, 0x03, 0x00, 0x04]));
      assert.ok(at > 0, 'CHANGE-REQUEST found in the request');
      b.writeUInt16BE(len, at + 2);
      inputs.push(b);
    }
    inputs.push(
      binding((m) => addAttribute(m, ChangeRequest, { changeIp: true, changePort: true })).bytes.fill(
        0xff,
        24,
        28,
      ),
    );
    for (let i = 0; i < 2000; i++) {
      const b = Buffer.from(valid);
      // flip a few bytes of a valid request, or send random bytes with a STUN-looking header
      if (i % 2) for (let k = 0; k < 3; k++) b[rnd.int(b.length)] = rnd.int(256);
      else {
        const r = Buffer.from(Array.from({ length: rnd.range(20, 600) }, () => rnd.int(256)));
        r.writeUInt16BE(0x0001, 0);
        r.writeUInt32BE(0x2112a442, 4);
        inputs.push(r);
        continue;
      }
      inputs.push(b);
    }
    for (const input of inputs) for (const t of sockets) s.send(input, t.port, t.address);
    await new Promise((r) => setTimeout(r, 300));
    s.close();
    console.log(`# sent ${inputs.length} malformed datagrams to each of 4 discovery sockets`);
    await assertDiscoveryWorks(sockets);
  });
});

test('RESPONSE-PORT and PADDING are not honoured: an answer never goes to another port or grows with padding', async () => {
  await discoveryServe(async (serve, sockets) => {
    const listener = await client();
    const listenerPort = (listener.address() as { port: number }).port;
    let redirected = 0;
    listener.on('message', () => redirected++);
    try {
      for (const t of sockets) {
        // RESPONSE-PORT (comprehension-required): the server does not support it, so it must refuse the
        // request (420) and must not send anything to the named port (a reflection to a third party).
        const r = await ask(
          t,
          binding((m) => addAttribute(m, ResponsePort, listenerPort)),
        );
        assert.ok(r, `no answer from ${t.address}:${t.port}`);
        assert.equal(r.msg.class, MessageClass.ErrorResponse, 'RESPONSE-PORT is refused');
        // PADDING of 1,000 bytes: the answer is an ordinary Binding answer, no bigger than the request.
        const pad = binding((m) => addAttribute(m, Padding, new Uint8Array(1000)));
        const p = await ask(t, pad);
        assert.ok(p, 'a padded request is answered');
        assert.ok(getAttribute(p.msg, XorMappedAddress), 'with the mapped address');
        assert.equal(
          p.msg.attributes.filter((a) => a.type === AttributeType.Padding).length,
          0,
          'no padding echoed',
        );
      }
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      listener.close();
    }
    assert.equal(redirected, 0, 'nothing was sent to the RESPONSE-PORT');
    assert.ok(serve.alive());
  });
});

test('a flood of CHANGE-REQUESTs from clients that vanish: the process keeps serving and discovery answers', async () => {
  await discoveryServe(async (serve, sockets) => {
    const rssBefore = serve.rss();
    let sent = 0;
    const started = Date.now();
    // 200 short-lived sockets, each firing 250 CHANGE-REQUESTs at the four sockets and closing at once
    // (its answers meet a closed port: ICMP port unreachable back to the server).
    for (let c = 0; c < 200; c++) {
      const s = await client();
      for (let i = 0; i < 250; i++) {
        const t = sockets[i % 4]!;
        const change = { changeIp: (i & 1) === 1, changePort: (i & 2) === 2 };
        s.send(binding((m) => addAttribute(m, ChangeRequest, change)).bytes, t.port, t.address);
        sent++;
      }
      s.close();
    }
    const other = await ask(
      sockets[2]!,
      binding((m) => addAttribute(m, OtherAddress, { family: 'IPv4', address: '10.0.0.1', port: 9 })),
    );
    assert.ok(
      other,
      'a request carrying a client-sent OTHER-ADDRESS is answered (or refused), not dropped silently',
    );
    console.log(
      `# ${sent} CHANGE-REQUESTs in ${Date.now() - started} ms from 200 vanishing sockets; RSS ${(rssBefore / 2 ** 20).toFixed(0)} → ${(serve.rss() / 2 ** 20).toFixed(0)} MiB`,
    );
    await assertDiscoveryWorks(sockets);
  });
});
