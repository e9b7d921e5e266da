// Captures the STUN/TURN requests real Chromium sends, for the fixtures in src/fixtures/chromium.ts.
// Playwright gives the browser a fresh temporary profile. Run: node --conditions=@parley/source --import tsx packages/stun/scripts/capture-chrome.ts [bind-address]
// It answers the first Allocate with 401 (REALM, NONCE) using this codec, so Chromium retries with
// long-term credentials; the authenticated retry is what the fixture's integrity test checks.
import { createSocket, type RemoteInfo } from 'node:dgram';
import {
  addAttribute,
  bytesToHex,
  decodeMessage,
  ErrorCodeAttribute,
  encodeMessage,
  MessageClass,
  Method,
  Nonce,
  Realm,
  reasonPhrase,
} from '@parley/stun';
import { chromium } from 'playwright-core';

const host = process.argv[2] ?? '192.0.2.2';
const REALM = 'parley.test';
const NONCE = 'bmVlZC1hLW5vbmNlLWZvci10ZXN0';
const ICE_PEER = { ufrag: 'prly', pwd: 'parley-ice-password-0123' };
const captured: Array<{ what: string; hex: string }> = [];

const sock = createSocket('udp4');
sock.on('message', (buf: Buffer, from: RemoteInfo) => {
  const bytes = new Uint8Array(buf);
  let msg: ReturnType<typeof decodeMessage>;
  try {
    msg = decodeMessage(bytes);
  } catch {
    return;
  }
  const kind = `${msg.method === Method.Binding ? 'Binding' : msg.method === Method.Allocate ? 'Allocate' : msg.method} class ${msg.class}`;
  if (
    captured.some(
      (c) =>
        c.what.startsWith(kind) && c.what.includes('auth') === msg.attributes.some((a) => a.type === 0x0008),
    )
  ) {
    return;
  }
  captured.push({
    what: `${kind}${msg.attributes.some((a) => a.type === 0x0008) ? ' auth' : ''}`,
    hex: bytesToHex(bytes),
  });
  if (msg.method === Method.Allocate && msg.class === MessageClass.Request) {
    const res = {
      class: MessageClass.ErrorResponse,
      method: Method.Allocate,
      transactionId: msg.transactionId,
      attributes: [],
    };
    addAttribute(res, ErrorCodeAttribute, { code: 401, reason: reasonPhrase(401) });
    addAttribute(res, Realm, REALM);
    addAttribute(res, Nonce, NONCE);
    sock.send(encodeMessage(res), from.port, from.address);
  }
});
await new Promise<void>((resolve) => sock.bind(0, host, resolve));
const port = sock.address().port;

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: [
    '--headless=new',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--use-fake-ui-for-media-stream',
  ],
});
try {
  const page = await browser.newPage();
  const version = browser.version();
  const localUfrag = await page.evaluate(
    async ({ host, port, icePeer }) => {
      const pc = new RTCPeerConnection({
        iceServers: [
          { urls: `stun:${host}:${port}` },
          { urls: `turn:${host}:${port}?transport=udp`, username: 'alice', credential: 'secret' },
        ],
      });
      pc.createDataChannel('x');
      await pc.setLocalDescription(await pc.createOffer());
      // A made-up answer whose only candidate is our socket: Chromium then sends ICE connectivity checks to
      // it, signed with the ice-pwd below, which the fixture test uses as the short-term password.
      const fingerprint = Array.from({ length: 32 }, () => 'ab').join(':');
      await pc.setRemoteDescription({
        type: 'answer',
        sdp: [
          'v=0',
          'o=- 1 2 IN IP4 127.0.0.1',
          's=-',
          't=0 0',
          'a=group:BUNDLE 0',
          'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
          'c=IN IP4 0.0.0.0',
          `a=ice-ufrag:${icePeer.ufrag}`,
          `a=ice-pwd:${icePeer.pwd}`,
          `a=fingerprint:sha-256 ${fingerprint}`,
          'a=setup:active',
          'a=mid:0',
          'a=sctp-port:5000',
          '',
        ].join('\r\n'),
      });
      await pc.addIceCandidate({
        candidate: `candidate:1 1 udp 2130706431 ${host} ${port} typ host`,
        sdpMid: '0',
      });
      await new Promise((r) => setTimeout(r, 3000));
      const localUfrag = /a=ice-ufrag:(\S+)/.exec(pc.localDescription?.sdp ?? '')?.[1];
      pc.close();
      return localUfrag;
    },
    { host, port, icePeer: ICE_PEER },
  );
  console.log(
    JSON.stringify(
      {
        chromium: version,
        ice: { ...ICE_PEER, localUfrag },
        realm: REALM,
        nonce: NONCE,
        username: 'alice',
        password: 'secret',
        captured,
      },
      null,
      2,
    ),
  );
} finally {
  await browser.close();
  sock.close();
}
