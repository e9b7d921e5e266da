/**
 * `#receive=<code>`: the page `parley send`'s link opens. It meets the sender in the room the code's number
 * names (`roomOf` from @parley/client/files, as `parley receive` does), checks that the sender knows the
 * code's words (SPAKE2, `authenticatePeers`), and only then receives what it offers on the transfer engine,
 * staged and verified as in a call, each file then saved from here. No camera, no call.
 */
import { joinRoom, type Room } from '@parley/client';
import { authenticatePeers, roomOf, transferMetadata } from '@parley/client/files';
import { useEffect, useState } from 'preact/hooks';
import { useTitle } from '../lib/page-hooks.js';
import { signalingUrl } from '../lib/route.js';
import { useFileShare } from '../lib/transfers.js';
import { TransferRow } from './FilesPanel.js';

export function ReceivePage({ code }: { code: string }) {
  useTitle(`Receive ${code} · Parley`);
  const files = useFileShare('the sender');
  const [error, setError] = useState<string | undefined>(undefined);
  const [authError, setAuthError] = useState<string | undefined>(undefined);
  const [room, setRoom] = useState<Room | undefined>(undefined);
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
      <p>
        Code <strong data-testid="receive-code">{code}</strong>:{' '}
        {error
          ? `could not reach the server: ${error}`
          : authError
            ? ''
            : !room
              ? 'connecting…'
              : files.list.length === 0
                ? 'waiting for the sender (`parley send`)…'
                : 'files from the sender, verified before they are offered for saving.'}
      </p>
      {authError && (
        <p role="alert" data-testid="auth-error">
          {authError}. Nothing was received; check the code with the sender.
        </p>
      )}
      <ul class="transfers" aria-label="Transfers">
        {files.list.map((t) => (
          <TransferRow key={t.id} t={t} files={files} />
        ))}
      </ul>
    </main>
  );
}
