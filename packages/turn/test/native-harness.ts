// Shared by the native-udp-*.test.ts files: a server on the native UDP data path, raw Binding requests
// and their answers, and an authenticated request that survives a clock jump.
import { createSocket } from 'node:dgram';
import { errorCode, type UdpTurnClient } from '@parley/testing/turn';
import { mintRestCredential, startTurnServer, type TurnServer, type TurnServerOptions } from '@parley/turn';
import { closeSocket, type InboxSocket, until } from './harness.js';

const SECRET = 'native-secret';
/** A REST credential for the user 'native', valid for an hour. */
export const credential = () => mintRestCredential(SECRET, 'native', Math.floor(Date.now() / 1000) + 3600);

/** A UDP server on loopback with udpDataPath 'native', so it fails to start when the addon is not built. */
export function start(extra: Partial<TurnServerOptions> = {}): Promise<TurnServer> {
  return startTurnServer({
    listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }],
    realm: 'parley.test',
    secrets: [SECRET],
    allowPeers: ['127.0.0.0/8', '::1/128'],
    udpDataPath: 'native',
    log: () => {},
    ...extra,
  });
}

/** A Binding request: no attributes, or only FINGERPRINT. */
export function bindingRequest(tid: Buffer, fingerprint: boolean): Buffer {
  const header = Buffer.alloc(20);
  header.writeUInt16BE(0x0001, 0);
  header.writeUInt32BE(0x2112a442, 4);
  tid.copy(header, 8);
  if (!fingerprint) return header;
  const msg = Buffer.concat([header, Buffer.alloc(8)]);
  msg.writeUInt16BE(8, 2);
  msg.writeUInt16BE(0x8028, 20);
  msg.writeUInt16BE(4, 22);
  msg.writeUInt32BE((crc32(msg.subarray(0, 20)) ^ 0x5354554e) >>> 0, 24);
  return msg;
}

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** Sends a request and returns the answer with its transaction id. */
export async function ask(s: InboxSocket, bytes: Buffer, port: number, host: string): Promise<Buffer> {
  const tid = bytes.subarray(8, 20);
  const match = () => s.inbox.find((m) => m.length >= 20 && m.subarray(8, 20).equals(tid));
  s.send(bytes, port, host);
  await until(() => match() !== undefined, 'an answer');
  const answer = match()!;
  s.inbox.splice(s.inbox.indexOf(answer), 1);
  return answer;
}

/** An authenticated request, retried once after a 438 (the nonce went stale when the clock jumped). */
export async function authed(
  c: UdpTurnClient,
  method: number,
  attrs: Parameters<UdpTurnClient['request']>[1] = [],
): Promise<ReturnType<typeof errorCode>> {
  const first = errorCode(await c.request(method, attrs));
  return first === 438 ? errorCode(await c.request(method, attrs)) : first;
}

/** The error a socket connected to 127.0.0.1:`port` reports after sending there, if any within 1 s. */
export async function errorOnConnectedSend(port: number): Promise<string | undefined> {
  const s = createSocket('udp4');
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((r) => s.connect(port, '127.0.0.1', () => r()));
    const error = new Promise<string | undefined>((r) => {
      s.once('error', (e: NodeJS.ErrnoException) => r(e.code));
      timer = setTimeout(() => r(undefined), 1000);
    });
    s.send(Buffer.from('anyone there?'));
    return await error;
  } finally {
    clearTimeout(timer);
    await closeSocket(s);
  }
}
