// A consumer's Node program, type-checked against the installed declarations and then run:
//   node build/peers.js pair URL        two peers join a room and exchange a message both ways
//   node build/peers.js echo URL ROOM   one peer answers the first message it gets, then leaves
import { joinRoom, type Peer, type Room } from '@parley/client';
import { PROTOCOL_VERSION, subprotocol } from '@parley/protocol';
import nodeDataChannel from 'node-datachannel';
import * as rtc from 'node-datachannel/polyfill';
import { WebSocket } from 'ws';

const [mode, url, roomName = 'consumer-pair'] = process.argv.slice(2);
if (!url || (mode !== 'pair' && mode !== 'echo')) throw new Error('usage: peers.js pair|echo URL [ROOM]');

const join = (name: string): Promise<Room> =>
  joinRoom({ url, room: roomName, metadata: { name }, rtc, WebSocket });

/** Calls `f` for every peer of the room, present and future. */
function eachPeer(room: Room, f: (peer: Peer) => void): void {
  for (const peer of room.peers.values()) f(peer);
  room.on('peer-joined', f);
}

function done(code: number, line: string): never {
  console.log(line);
  nodeDataChannel.cleanup();
  process.exit(code);
}

setTimeout(() => done(1, JSON.stringify({ ok: false, why: 'timed out' })), 30_000).unref();

if (mode === 'pair') {
  const a = await join('a');
  const b = await join('b');
  const got: string[] = [];
  const finished = new Promise<void>((resolve) => {
    eachPeer(b, (peer) => peer.on('message', (data) => peer.send(`b got: ${String(data)}`)));
    eachPeer(a, (peer) => {
      peer.on('open', () => peer.send('hello from a'));
      peer.on('message', (data) => {
        got.push(String(data));
        resolve();
      });
    });
  });
  await finished;
  await Promise.all([a.leave(), b.leave()]);
  done(0, JSON.stringify({ ok: true, protocol: subprotocol(PROTOCOL_VERSION), got }));
} else {
  const room = await join('node');
  console.log(JSON.stringify({ joined: room.selfId }));
  eachPeer(room, (peer) =>
    peer.on('message', (data) => {
      peer.send(`node got: ${String(data)}`);
      setTimeout(() => void room.leave().then(() => done(0, JSON.stringify({ ok: true }))), 500);
    }),
  );
}
