/**
 * `#receive=<code>`: the page `parley send`'s link opens. It meets the sender in the room the code's number
 * names (`roomOf` from @parley/client/files, as `parley receive` does), checks that the sender knows the
 * code's words (SPAKE2, `authenticatePeers`), and only then receives what it offers on the transfer engine,
 * staged and verified as in a call, each file then saved from here. No camera, no call. Each offer asks
 * first, as in a call (OfferPrompts). The line under the title says where things stand: connecting, waiting
 * for the sender, checking the code with it, code checked, or why nothing was received.
 */
import { joinRoom, type Room } from '@parley/client';
import { authenticatePeers, roomOf, transferMetadata, transferRoleOf } from '@parley/client/files';
import { useEffect, useState } from 'preact/hooks';
import { useTitle } from '../lib/page-hooks.js';
import { signalingUrl } from '../lib/route.js';
import { useFileShare } from '../lib/transfers.js';
import { OfferPrompts, TransferRow } from './FilesPanel.js';

/** "authentication failed: …" as a sentence: capitalised, one full stop. */
const sentence = (m: string) => `${m.charAt(0).toUpperCase()}${m.slice(1)}`.replace(/\.?$/, '.');

export function ReceivePage({ code }: { code: string }) {
  useTitle(`Receive ${code} · Parley`);
  const files = useFileShare('the sender');
  const [error, setError] = useState<string | undefined>(undefined);
  const [authError, setAuthError] = useState<string | undefined>(undefined);
  const [room, setRoom] = useState<Room | undefined>(undefined);
  // A sender is in the room (its check is running), and then one proved it knows the code.
  const [sender, setSender] = useState(false);
  const [checked, setChecked] = useState(false);
  useEffect(() => {
    if (!room) return;
    const seen = () => setSender([...room.peers.values()].some((p) => transferRoleOf(p) === 'sender'));
    seen();
    const offs = [room.on('peer-joined', seen), room.on('peer-left', () => queueMicrotask(seen))];
    return () => {
      for (const off of offs) off();
    };
  }, [room]);
  useEffect(() => {
    let joined: Room | undefined;
    let gone = false;
    void (async () => {
      try {
        joined = await joinRoom({
          url: signalingUrl(),
          room: roomOf(code),
          metadata: transferMetadata('receiver', { name: 'Browser' }),
        });
        if (gone) return void joined.leave();
        const room = joined;
        authenticatePeers(room, code, 'receiver', {
          authenticated: (peer, session) => {
            setChecked(true);
            files.guard(peer, session.gate);
            files.watch(peer);
          },
          failed: (_peer, err) => {
            if (err.code !== 'AUTH_FAILED') return; // a sender that left may come back
            setAuthError(err.message);
            void room.leave();
          },
        });
        setRoom(joined);
      } catch (err) {
        setError((err as Error).message);
      }
    })();
    return () => {
      gone = true;
      void joined?.leave();
      files.dispose();
    };
  }, [code, files]);
  return (
    <main class="page receive-page" data-testid="receive-page">
      <h1>Receive</h1>
      <p data-testid="receive-status">
        Code <strong data-testid="receive-code">{code}</strong>:{' '}
        {error
          ? 'nothing received.'
          : authError
            ? 'the check with the sender failed.'
            : !room
              ? 'connecting to the server…'
              : files.list.length > 0
                ? 'files from the sender, verified before they are offered for saving.'
                : checked
                  ? 'code checked; waiting for the sender to offer its files…'
                  : sender
                    ? 'checking the code with the sender…'
                    : 'waiting for the sender (the page or `parley send` that gave you the code)…'}
      </p>
      {error && (
        <p role="alert" class="error" data-testid="receive-error">
          Could not reach the server: {error}. Check your connection and reload this page to try again.
        </p>
      )}
      {authError && (
        <p role="alert" class="error" data-testid="auth-error">
          {sentence(authError)} Nothing was received. Check the code with the sender and try again; if it was
          already used, ask the sender to start again with a new code.
        </p>
      )}
      <OfferPrompts files={files} />
      <ul class="transfers" aria-label="Transfers">
        {files.list.map((t) => (
          <TransferRow key={t.id} t={t} files={files} />
        ))}
      </ul>
    </main>
  );
}
