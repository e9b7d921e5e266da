/**
 * The transfer code authenticates both ends (SPAKE2 bound to the DTLS fingerprints, docs/files.md "Threat
 * model"), shown with a man in the middle: a WebSocket relay between `parley send` / `parley receive` and a
 * real `parley serve` that reads and rewrites every frame. (a) It rewrites the `a=fingerprint` lines of the
 * relayed SDP; (b) it keeps the two sides apart and runs its own pair of peers toward each, in the room it
 * saw (it knows the code's number, not its words). Either way no file byte is delivered and both sides exit
 * 1 with AUTH_FAILED, saying why. The same relay passing frames untouched, and the right code, transfer;
 * a mistyped code fails on both sides at once.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { joinRoom, type Peer, type Room } from '@parley/client';
import {
  authenticate,
  type FileOffer,
  onFileOffers,
  sendFiles,
  transferMetadata,
} from '@parley/client/files';
import { nodeSource } from '@parley/client/files/node';
import { until } from '@parley/testing';
import { cleanup } from 'node-datachannel';
import { RTCPeerConnection } from 'node-datachannel/polyfill';
import { WebSocket } from 'ws';
import { Cli, listFiles, MiB, randomFile, sha256File, startServe } from './cli-helpers.js';
import { SignalingRelay } from './signaling-relay.js';

type Frame = Record<string, unknown> & { type?: string };
type Rewrite = (frame: Frame, toServer: boolean, client: { role?: string }) => Frame;

/** A signaling relay in front of the server that can read and rewrite every frame, both ways. */
class Relay extends SignalingRelay {
  constructor(upstream: string, rewrite: Rewrite) {
    super(upstream, () => {
      const who: { role?: string } = {};
      const pass = (data: string, toServer: boolean) => {
        try {
          const frame = JSON.parse(data) as Frame;
          if (frame.type === 'join') who.role = (frame.metadata as { transfer?: string })?.transfer;
          return JSON.stringify(rewrite(frame, toServer, who));
        } catch {
          return data; // not JSON: as it is
        }
      };
      return { toServer: (d) => pass(d, true), toClient: (d) => pass(d, false) };
    });
  }
}

/** Flips every hex digit of every `a=fingerprint` line: a well-formed fingerprint of no one's certificate. */
function forgeFingerprints(sdp: string): string {
  return sdp.replace(
    /^(a=fingerprint:\S+ )([0-9A-Fa-f:]+)/gm,
    (_, head: string, fp: string) =>
      head + fp.replace(/[0-9A-Fa-f]/g, (c) => (15 - Number.parseInt(c, 16)).toString(16).toUpperCase()),
  );
}

describe('parley send / receive with a man in the middle of signaling', () => {
  let serve: Cli;
  let server: string;
  let dir: string;
  let src: string;
  let hash: string;
  const relays: Relay[] = [];
  const rooms: Room[] = [];
  const procs: Cli[] = [];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-mitm-'));
    src = join(dir, 'secret.bin');
    hash = await randomFile(src, 3 * MiB);
    ({ serve, server } = await startServe());
  });
  after(async () => {
    for (const p of procs) p.proc.kill('SIGKILL');
    for (const r of rooms) await r.leave().catch(() => {});
    for (const r of relays) await r.close();
    serve.proc.kill('SIGTERM');
    await serve.exited;
    await rm(dir, { recursive: true, force: true });
    cleanup(); // node-datachannel's threads (the man in the middle's peers) would keep the process alive
  });

  /** `parley send` then `parley receive` through `url`; both exit codes and outputs. */
  async function run(url: string, out: string, receiveCode?: (code: string) => string) {
    const env = { PARLEY_SERVER: url };
    const send = new Cli(['send', '--json', src], env);
    procs.push(send);
    await until(() => !!send.last('ready'), 'the sender is ready', 15_000);
    const code = send.last('ready')!.code as string;
    const receive = new Cli(['receive', '--json', '--yes', '--out', out, receiveCode?.(code) ?? code], env);
    procs.push(receive);
    let errs = '';
    receive.proc.stderr?.on('data', (d) => {
      errs += d;
    });
    send.proc.stderr?.on('data', (d) => {
      errs += d;
    });
    const [sent, received] = await Promise.all([send.exit(60_000), receive.exit(60_000)]).catch((e) => {
      console.log(`# receiver's output:\n${receive.stdout}\n# stderr of both:\n${errs}`);
      throw e;
    });
    return { code, send, receive, sent, received };
  }

  function assertBothRefused(r: Awaited<ReturnType<typeof run>>) {
    const out = `sender:\n${r.send.stdout}\nreceiver:\n${r.receive.stdout}`;
    assert.equal(r.sent, 1, out);
    assert.equal(r.received, 1, out);
    for (const side of [r.send, r.receive]) {
      const e = side.last('error');
      assert.equal(e?.code, 'AUTH_FAILED', out);
      assert.match(String(e?.message), /the code did not match, or someone is in the middle/, out);
    }
    assert.equal(r.receive.last('offer'), undefined, 'the receiver saw no offer');
    assert.equal(r.receive.last('done'), undefined);
  }

  it('the right code through an honest relay: authenticated, and the file arrives with its SHA-256', async () => {
    let frames = 0;
    const relay = new Relay(server, (f) => {
      frames++;
      return f;
    });
    relays.push(await relay.listening());
    const out = join(dir, 'out-honest');
    const r = await run(relay.url, out);
    assert.equal(r.received, 0, r.receive.stdout);
    assert.equal(r.sent, 0, r.send.stdout);
    assert.ok(frames > 4, `${frames} frames relayed`);
    assert.deepEqual(await listFiles(out), ['secret.bin']);
    assert.equal(await sha256File(join(out, 'secret.bin')), hash);
    assert.match(r.code, /^[0-9]{1,4}-[a-z]+-[a-z]+$/);
  });

  it('a mistyped code: both sides refuse at once with AUTH_FAILED', async () => {
    const out = join(dir, 'out-typo');
    const started = performance.now();
    const r = await run(server, out, (code) =>
      code.replace(/-[a-z]+$/, (w) => (w === '-oak' ? '-fox' : '-oak')),
    );
    assertBothRefused(r);
    assert.ok(performance.now() - started < 25_000, 'refused by the confirmation, not by a timeout');
    assert.deepEqual(await listFiles(out).catch(() => []), []);
  });

  it('(a) the relay rewrites the SDP fingerprints: no byte delivered, both sides say AUTH_FAILED', async () => {
    let forged = 0;
    const relay = new Relay(server, (f, toServer) => {
      const desc = (f.data as { description?: { sdp?: string } } | undefined)?.description;
      // On the way to the server only: flipping again on the way down would undo it.
      if (toServer && f.type === 'signal' && desc?.sdp) {
        const sdp = forgeFingerprints(desc.sdp);
        if (sdp !== desc.sdp) forged++;
        desc.sdp = sdp;
      }
      return f;
    });
    relays.push(await relay.listening());
    const out = join(dir, 'out-forged');
    const r = await run(relay.url, out);
    assert.ok(forged >= 2, `${forged} descriptions forged`);
    assertBothRefused(r);
    assert.deepEqual(await listFiles(out).catch(() => []), []);
  });

  it('(b) the relay runs its own peers toward each side with the room it saw: no byte delivered, both say AUTH_FAILED', async () => {
    // Each side is sent to a room of its own, where the man in the middle waits as the other side.
    const seen: string[] = [];
    const relay = new Relay(server, (f, toServer, who) => {
      if (toServer && f.type === 'join' && typeof f.room === 'string') {
        seen.push(f.room);
        return { ...f, room: `mitm-${who.role}-${f.room}` };
      }
      return f;
    });
    relays.push(await relay.listening());
    const rtc = { RTCPeerConnection };
    const mitm = async (role: 'sender' | 'receiver', room: string) => {
      const r = await joinRoom({
        url: server,
        room,
        rtc,
        WebSocket,
        iceServers: [],
        metadata: transferMetadata(role),
      });
      rooms.push(r);
      return r;
    };
    const out = join(dir, 'out-mitm');
    const env = { PARLEY_SERVER: relay.url };
    const send = new Cli(['send', '--json', src], env);
    procs.push(send);
    await until(() => !!send.last('ready'), 'the sender is ready', 15_000);
    const code = send.last('ready')!.code as string;
    const number = code.split('-')[0];
    assert.deepEqual(seen, [`send-${number}`], 'the server (and the relay) saw the number only');
    // The man in the middle knows the room, so the number; it guesses the words.
    const guess = `${number}-acid-acid` === code ? `${number}-also-also` : `${number}-acid-acid`;
    const eachPeer = (room: Room, fn: (peer: Peer) => void) => {
      for (const peer of room.peers.values()) fn(peer);
      room.on('peer-joined', fn);
    };
    const offers: FileOffer[] = [];
    const mitmResults: string[] = [];
    eachPeer(await mitm('receiver', `mitm-sender-send-${number}`), (peer) => {
      onFileOffers(peer, (o) => offers.push(o));
      authenticate(peer, guess, 'receiver').catch((e: { code: string }) => mitmResults.push(e.code));
    });
    const files = await nodeSource([src]);
    eachPeer(await mitm('sender', `mitm-receiver-send-${number}`), (peer) => {
      authenticate(peer, guess, 'sender').catch((e: { code: string }) => mitmResults.push(e.code));
      // And offers the file without any proof: an unauthenticated offer must not be taken.
      sendFiles(peer, files).done.catch(() => {});
    });
    const receive = new Cli(['receive', '--json', '--yes', '--out', out, code], env);
    procs.push(receive);
    const [sent, received] = await Promise.all([send.exit(60_000), receive.exit(60_000)]);
    assertBothRefused({ code, send, receive, sent, received });
    assert.equal(offers.length, 0, 'the sender offered nothing to the man in the middle');
    assert.deepEqual(await listFiles(out).catch(() => []), []);
    await until(() => mitmResults.length === 2, 'the man in the middle failed too', 35_000);
    assert.deepEqual(mitmResults.sort(), ['AUTH_FAILED', 'AUTH_FAILED']);
  });
});
