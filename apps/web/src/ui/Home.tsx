/** Home: start a new room with a readable random name, or join one by name or link. */
import { useState } from 'preact/hooks';
import { randomRoomName, roomFromInput } from '../lib/names.js';
import { gameHash, navigate, roomHash } from '../lib/route.js';

export function Home() {
  const [input, setInput] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const join = (e: Event) => {
    e.preventDefault();
    const room = roomFromInput(input);
    if (!room) {
      setError('Enter a room name (letters, digits, - _ . ~) or paste a room link.');
      return;
    }
    navigate(roomHash(room));
  };
  return (
    <main class="page home">
      <header>
        <h1>Parley</h1>
        <p class="muted">Video rooms, chat and file sharing, peer to peer. Nothing to install.</p>
      </header>
      <section class="card" aria-labelledby="new-room">
        <h2 id="new-room">Start a room</h2>
        <p class="muted">You get a room with a name like “swift-otter-42” and a link to share.</p>
        <button type="button" class="primary" onClick={() => navigate(roomHash(randomRoomName()))}>
          Create a room
        </button>
      </section>
      <section class="card" aria-labelledby="join-room">
        <h2 id="join-room">Join a room</h2>
        <form onSubmit={join} class="row wrap">
          <label class="field grow">
            <span>Room name or link</span>
            <input
              value={input}
              onInput={(e) => {
                setInput(e.currentTarget.value);
                setError(undefined);
              }}
              placeholder="swift-otter-42"
              autocomplete="off"
              aria-invalid={error ? 'true' : undefined}
              aria-describedby={error ? 'join-error' : undefined}
            />
          </label>
          <button type="submit">Join</button>
        </form>
        {error && (
          <p id="join-error" role="alert" class="error">
            {error}
          </p>
        )}
      </section>
      <section class="card" aria-labelledby="new-game">
        <h2 id="new-game">Play a game</h2>
        <p class="muted">
          A small arena game of tag for 2–6 players, peer to peer, with a link to invite others.
        </p>
        <button type="button" onClick={() => navigate(gameHash(randomRoomName()))}>
          Start an arena game
        </button>
      </section>
      <footer class="muted">
        <a href="#/check">Check your connection</a> (signaling, STUN and TURN)
      </footer>
    </main>
  );
}
