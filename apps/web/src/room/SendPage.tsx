/**
 * `#/send`: send files to a terminal (`parley receive CODE`) or another browser (the link): pick files, get a
 * code, and every peer that joins with it is offered them on the transfer engine.
 */
import { joinRoom, type Room } from '@parley/client';
import { claimCode } from '@parley/client/files';
import { fileListSource } from '@parley/client/files/browser';
import { useEffect, useReducer, useState } from 'preact/hooks';
import { useTitle } from '../lib/page-hooks.js';
import { signalingUrl } from '../lib/route.js';
import { FileShare } from '../lib/transfers.js';
import { TransferRow } from './FilesPanel.js';

export function SendPage() {
  useTitle('Send files · Parley');
  const [, render] = useReducer((n: number, _: unknown) => n + 1, 0);
  const [files] = useState(
    () =>
      new FileShare(
        () => render(undefined),
        () => 'the receiver',
      ),
  );
  const [code, setCode] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [room, setRoom] = useState<Room | undefined>(undefined);
  useEffect(() => () => void room?.leave(), [room]);
  const pick = async (e: Event) => {
    const sources = fileListSource((e.currentTarget as HTMLInputElement).files ?? []);
    if (!sources.length || room) return;
    try {
      // A fresh code whose room nobody is in (another number while one is taken).
      const { code: c, room: r } = await claimCode((name) =>
        joinRoom({ url: signalingUrl(), room: name, metadata: { name: 'Browser' } }),
      );
      setCode(c);
      const offer = (peer: Parameters<FileShare['watch']>[0]) => files.send(sources, [peer]);
      for (const peer of r.peers.values()) offer(peer);
      r.on('peer-joined', offer);
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
      {code && (
        <p>
          Code <strong data-testid="send-code">{code}</strong>: on the other machine run{' '}
          <code>parley receive {code}</code>, or open <a href={link}>{link}</a>.
        </p>
      )}
      {error && <p role="alert">Could not reach the server: {error}</p>}
      <ul class="transfers" aria-label="Transfers">
        {files.list.map((t) => (
          <TransferRow key={t.id} t={t} files={files} />
        ))}
      </ul>
    </main>
  );
}
