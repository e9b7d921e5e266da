// A consumer's web page, built by Vite against the installed @parley/client: it joins the room named in the
// URL's hash on the server that serves it, says hello to every peer and shows what they answer.
import { joinRoom, type Peer } from '@parley/client';

const log = (line: string) => {
  document.querySelector('#log')!.textContent += `${line}\n`;
};

function greet(peer: Peer): void {
  peer.on('open', () => peer.send('hello from the browser'));
  peer.on('message', (data) => log(`message ${String(data)}`));
}

joinRoom({ url: `ws://${location.host}/ws`, room: location.hash.slice(1) }).then(
  (room) => {
    log(`joined ${room.selfId}`);
    for (const peer of room.peers.values()) greet(peer);
    room.on('peer-joined', greet);
  },
  (err: unknown) => log(`failed ${String(err)}`),
);
