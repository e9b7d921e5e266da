/**
 * A man in the middle of signaling who waits for the code check to pass, then forces the peer connection
 * to be rebuilt and terminates DTLS itself on both new connections (docs/files.md "Threat model"): a
 * WebSocket relay between `parley send` / `parley receive` and a real `parley serve`, mid-transfer, sends
 * the sender a forged offer "from the receiver" (its own node-datachannel peer's SDP). The sender's SDK
 * cannot take a new DTLS identity on the live connection, so it answers on a fresh one; the receiver's
 * connection dies with the old one and its SDK offers anew, which the relay answers with another peer of
 * its own. It relays every channel between the two, reading all of it. Both sides must notice by the
 * re-binding (the new connection's fingerprints differ from the ones the code check confirmed, and the
 * relay does not hold the session secret): both exit 1 with AUTH_FAILED and not one file byte reaches the
 * man in the middle on the new connections.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { until } from '@parley/testing';
import { cleanup } from 'node-datachannel';
import { RTCPeerConnection } from 'node-datachannel/polyfill';
import type { WebSocket } from 'ws';
import { Cli, listFiles, MiB, randomFile, startServe } from './cli-helpers.js';
import { SignalingRelay } from './signaling-relay.js';

type Frame = Record<string, unknown> & { type?: string };
type Role = 'sender' | 'receiver';
type Data = { description?: RTCSessionDescriptionInit; candidate?: RTCIceCandidateInit | null };
const other = (r: Role): Role => (r === 'sender' ? 'receiver' : 'sender');

interface Client {
  socket: WebSocket;
  id?: string;
  /** The last sequence number the server gave this client, and frames injected since. */
  seq: number;
  injected: number;
}

/**
 * A relay that renumbers the server's sequence numbers (×1000) so it can slip frames of its own in
 * between, and, once `active`, keeps the two sides' signals to itself and answers them with its own peers.
 */
class MitmRelay extends SignalingRelay {
  readonly clients = new Map<Role, Client>();
  active = false;
  onSignal: (from: Role, data: Data) => void = () => {};
  constructor(upstream: string) {
    super(upstream, (socket) => {
      const client: Client = { socket, seq: 0, injected: 0 };
      let role: Role | undefined;
      return {
        toServer: (text) => {
          const f = JSON.parse(text) as Frame;
          if (f.type === 'join') {
            role = (f.metadata as { transfer?: Role }).transfer;
            if (role) this.clients.set(role, client);
          }
          if (f.type === 'ack' && typeof f.seq === 'number') f.seq = Math.floor(f.seq / 1000);
          if (f.type === 'resume' && typeof f.lastSeq === 'number') f.lastSeq = Math.floor(f.lastSeq / 1000);
          if (this.active && role && f.type === 'signal' && f.to === this.clients.get(other(role))?.id) {
            this.onSignal(role, f.data as Data);
            return undefined;
          }
          return JSON.stringify(f);
        },
        toClient: (text) => {
          const f = JSON.parse(text) as Frame;
          if ((f.type === 'joined' || f.type === 'resumed') && typeof f.selfId === 'string')
            client.id = f.selfId;
          if (typeof f.seq === 'number') {
            client.seq = f.seq;
            client.injected = 0;
            f.seq *= 1000;
          }
          return JSON.stringify(f);
        },
      };
    });
  }
  /** A signal to `to` as if from the other side. */
  inject(to: Role, data: Data): void {
    const c = this.clients.get(to) as Client;
    const from = this.clients.get(other(to))?.id;
    const seq = c.seq * 1000 + ++c.injected;
    c.socket.send(JSON.stringify({ type: 'signal', seq, from, to: c.id, data }));
  }
}

/** The man in the middle's own peers, one toward each side, and every channel relayed between them. */
class Attacker {
  readonly pcs = new Map<Role, RTCPeerConnection>();
  readonly #pending = new Map<Role, RTCIceCandidateInit[]>();
  readonly #channels = new Map<string, Map<Role, RTCDataChannel>>();
  readonly #queued = new Map<RTCDataChannel, (string | ArrayBuffer)[]>();
  /** File bytes (binary frames on a file channel) that reached it from the sender. */
  fileBytes = 0;
  /** Messages it relayed on the code check's channel (the re-binding), per direction. */
  readonly authMessages: string[] = [];
  constructor(readonly relay: MitmRelay) {
    // A description its peer refuses (one replaced meanwhile) is no matter: the next one comes.
    relay.onSignal = (from, data) => void this.#onSignal(from, data).catch(() => {});
  }

  #peer(toward: Role): RTCPeerConnection {
    this.pcs.get(toward)?.close();
    const pc = new RTCPeerConnection({ iceServers: [] });
    this.pcs.set(toward, pc);
    this.#pending.set(toward, []);
    pc.onicecandidate = (ev) => {
      if (ev.candidate?.candidate)
        this.relay.inject(toward, {
          candidate: { candidate: ev.candidate.candidate, sdpMid: ev.candidate.sdpMid ?? null },
        });
    };
    pc.ondatachannel = (ev) => this.#adopt(toward, ev.channel);
    return pc;
  }

  /** A forged offer to `to`, as if from the other side: its SDK rebuilds the connection to take it. */
  async forgeOffer(to: Role): Promise<void> {
    const pc = this.#peer(to);
    this.#adopt(to, pc.createDataChannel('parley'));
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    const sdp = pc.localDescription?.sdp ?? offer.sdp;
    this.relay.inject(to, { description: { type: 'offer', sdp } });
  }

  async #onSignal(from: Role, data: Data): Promise<void> {
    if (data.description?.type === 'offer') {
      const pc = this.#peer(from);
      await pc.setRemoteDescription(data.description);
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      this.relay.inject(from, {
        description: { type: 'answer', sdp: pc.localDescription?.sdp ?? answer.sdp },
      });
      for (const c of this.#pending.get(from)?.splice(0) ?? []) await pc.addIceCandidate(c).catch(() => {});
    } else if (data.description?.type === 'answer') {
      const pc = this.pcs.get(from);
      await pc?.setRemoteDescription(data.description);
      for (const c of this.#pending.get(from)?.splice(0) ?? []) await pc?.addIceCandidate(c).catch(() => {});
    } else if (data.candidate) {
      const pc = this.pcs.get(from);
      if (pc?.remoteDescription) await pc.addIceCandidate(data.candidate).catch(() => {});
      else this.#pending.get(from)?.push(data.candidate);
    }
  }

  /** A channel toward `side`: paired with the same label toward the other side, and relayed both ways. */
  #adopt(side: Role, dc: RTCDataChannel): void {
    dc.binaryType = 'arraybuffer';
    const ends = this.#channels.get(dc.label) ?? new Map<Role, RTCDataChannel>();
    this.#channels.set(dc.label, ends);
    ends.set(side, dc);
    this.#queued.set(dc, []);
    const far = this.pcs.get(other(side));
    if (far && !ends.has(other(side))) this.#adopt(other(side), far.createDataChannel(dc.label));
    dc.onopen = () => {
      for (const m of this.#queued.get(dc)?.splice(0) ?? []) relay(dc, m);
    };
    dc.onmessage = (ev: MessageEvent) => {
      const data = ev.data as string | ArrayBuffer;
      if (typeof data !== 'string' && side === 'sender' && dc.label.startsWith('parley-files/'))
        this.fileBytes += data.byteLength;
      if (dc.label === 'parley-auth/1' && typeof data === 'string')
        this.authMessages.push(`${side}: ${data}`);
      const to = ends.get(other(side));
      if (!to) return;
      if (to.readyState === 'open') relay(to, data);
      else this.#queued.get(to)?.push(data);
    };
  }

  close(): void {
    for (const pc of this.pcs.values()) pc.close();
  }
}

/** Sends on one of the man in the middle's channels; one closing meanwhile is not its problem. */
function relay(dc: RTCDataChannel, data: string | ArrayBuffer): void {
  try {
    dc.send(data as string);
  } catch {
    // closed under it
  }
}

describe('parley send / receive: a man in the middle who forces a rebuilt connection after the code check', () => {
  let serve: Cli;
  let server: string;
  let dir: string;
  const procs: Cli[] = [];
  const relays: MitmRelay[] = [];
  const attackers: Attacker[] = [];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-rebind-'));
    ({ serve, server } = await startServe());
  });
  after(async () => {
    for (const p of procs) p.proc.kill('SIGKILL');
    for (const a of attackers) a.close();
    for (const r of relays) await r.close();
    serve.proc.kill('SIGTERM');
    await serve.exited;
    await rm(dir, { recursive: true, force: true });
    cleanup(); // node-datachannel's threads (the man in the middle's peers) would keep the process alive
  });

  it('terminates DTLS on both new connections: both sides exit 1 with AUTH_FAILED, it gets no file byte', async () => {
    const src = join(dir, 'secret.bin');
    await randomFile(src, 96 * MiB);
    const relay = await new MitmRelay(server).listening();
    relays.push(relay);
    const attacker = new Attacker(relay);
    attackers.push(attacker);
    const env = { PARLEY_SERVER: relay.url };
    const out = join(dir, 'out');
    const send = new Cli(['send', '--json', src], env);
    procs.push(send);
    await until(() => !!send.last('ready'), 'the sender is ready', 15_000);
    const code = send.last('ready')?.code as string;
    const receive = new Cli(['receive', '--json', '--yes', '--out', out, code], env);
    procs.push(receive);
    // The code check passed and file bytes move on the honest connection: now the attack.
    await until(() => ((receive.last('progress')?.bytes as number) ?? 0) >= MiB, 'the transfer runs', 30_000);
    const before = receive.last('progress')?.bytes as number;
    relay.active = true;
    await attacker.forgeOffer('sender');
    const [sent, received] = await Promise.all([send.exit(90_000), receive.exit(90_000)]);
    const outputs = `sender:\n${send.stdout.slice(-1500)}\nreceiver:\n${receive.stdout.slice(-1500)}\nrelayed on the auth channel:\n${attacker.authMessages.join('\n')}`;
    console.log(
      `# attack at ${before} B received; the man in the middle got ${attacker.fileBytes} file bytes; ` +
        `${attacker.authMessages.length} messages relayed on the auth channel`,
    );
    assert.ok(attacker.pcs.size === 2, `the man in the middle had a peer toward each side\n${outputs}`);
    assert.equal(attacker.fileBytes, 0, `no file byte reached the man in the middle\n${outputs}`);
    assert.equal(sent, 1, outputs);
    assert.equal(received, 1, outputs);
    for (const side of [send, receive]) {
      const e = side.last('error');
      assert.equal(e?.code, 'AUTH_FAILED', outputs);
      assert.match(
        String(e?.message),
        /the connection was replaced and the new one could not prove/,
        outputs,
      );
    }
    assert.ok(
      attacker.authMessages.some((m) => m.startsWith('sender: {"t":"rebind"')) &&
        attacker.authMessages.some((m) => m.startsWith('receiver: {"t":"rebind"')),
      `both sides ran the re-binding through it\n${outputs}`,
    );
    assert.equal(receive.last('done'), undefined);
    assert.ok(!(await listFiles(out)).includes('secret.bin'), 'nothing was saved as the file');
  });
});
