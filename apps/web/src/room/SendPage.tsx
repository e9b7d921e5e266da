/**
 * `#/send`: send files to a terminal (`parley receive CODE`) or another browser (the link): pick files, get a
 * code, and every peer that joins with it and proves it knows the code's words (SPAKE2, authenticatePeers
 * from @parley/client/files, as `parley send` does) is offered them on the transfer engine. A failed proof
 * burns the code: no further peer is tried.
 */
import { joinRoom, type Room } from '@parley/client';
import { authenticatePeers, claimCode, transferMetadata } from '@parley/client/files';
import { fileListSource } from '@parley/client/files/browser';
import { useEffect, useState } from 'preact/hooks';
import { useTitle } from '../lib/page-hooks.js';
import { signalingUrl } from '../lib/route.js';
import { useFileShare } from '../lib/transfers.js';
import { TransferRow } from './FilesPanel.js';

export function SendPage() {
  useTitle('Send files · Parley');
  const files = useFileShare('the receiver');
  const [code, setCode] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [authError, setAuthError] = useState<string | undefined>(undefined);
  const [room, setRoom] = useState<Room | undefined>(undefined);
  useEffect(() => () => void room?.leave(), [room]);
  const pick = async (e: Event) => {
    const sources = fileListSource((e.currentTarget as HTMLInputElement).files ?? []);
    if (!sources.length || room) return;
    try {
      // A fresh code whose room nobody is in (another number while one is taken).
      const { code: c, room: r } = await claimCode((name) =>
        joinRoom({
          url: signalingUrl(),
          room: name,
          metadata: transferMetadata('sender', { name: 'Browser' }),
        }),
      );
      setCode(c);
      let burnt = false;
      const stop = authenticatePeers(r, c, 'sender', {
        authenticated: (peer, session) => {
          files.guard(peer, session.gate);
          if (!burnt) files.send(sources, [peer]);
        },
        failed: (_peer, err) => {
          if (err.code !== 'AUTH_FAILED') return;
          burnt = true;
          stop();
          setAuthError(err.message);
        },
      });
      setRoom(r);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const link = code ? `${location.origin}${location.pathname}#receive=${code}` : '';
  return (
    <main class="page send-page" data-testid="send-page">
      <h1>Send files</h1>
      {!code && <input type="file" multiple onChange={(e) => void pick(e)} data-testid="send-input" />}
      {code && !authError && (
        <p>
          Code <strong data-testid="send-code">{code}</strong>: on the other machine run{' '}
          <code>parley receive {code}</code>, or open <a href={link}>{link}</a>.
        </p>
      )}
      {code && authError && (
        <p>
          Code <strong data-testid="send-code">{code}</strong>: no longer usable.
        </p>
      )}
      {error && (
        <p role="alert" class="error" data-testid="send-error">
          Could not reach the server: {error}. Check your connection and pick the files again.
        </p>
      )}
      {authError && (
        <div role="alert" class="error" data-testid="auth-error">
          <p>
            {`${authError.charAt(0).toUpperCase()}${authError.slice(1)}`.replace(/\.?$/, '.')} Nothing was
            sent to that receiver, and this code is burnt: no one else can use it. Check the code with the
            receiver, then start again with a new code.
          </p>
          <button type="button" class="primary" onClick={() => location.reload()} data-testid="start-again">
            Start again with a new code
          </button>
        </div>
      )}
      <ul class="transfers" aria-label="Transfers">
        {files.list.map((t) => (
          <TransferRow key={t.id} t={t} files={files} />
        ))}
      </ul>
    </main>
  );
}
