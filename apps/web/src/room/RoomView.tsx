/** In the call: the grid of tiles, the controls, and the chat / files side panel. */
import { droppedSource } from '@parley/client/files/browser';
import { useEffect, useState } from 'preact/hooks';
import type { Call } from '../lib/call.js';
import { isOver } from '../lib/transfers.js';
import { ShareLink } from '../ui/ShareLink.js';
import { ChatPanel } from './ChatPanel.js';
import { DeviceToggle } from './DeviceToggle.js';
import { FilesPanel } from './FilesPanel.js';
import { Tile } from './Tile.js';
import { useCall } from './use-call.js';

type Panel = 'chat' | 'files' | 'share' | undefined;

export function RoomView({ call, onLeave }: { call: Call; onLeave: () => void }) {
  useCall(call);
  const [panel, setPanel] = useState<Panel>(undefined);
  const [dragging, setDragging] = useState(false);
  useEffect(() => call.setChatOpen(panel === 'chat'), [call, panel]);
  // Escape closes the side panel.
  useEffect(() => {
    if (!panel) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setPanel(undefined);
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [panel]);
  const toggle = (p: Panel) => setPanel(panel === p ? undefined : p);
  const peers = [...call.peers.values()];
  const count = peers.length + 1;
  const active = call.files.list.filter((t) => !isOver(t)).length;
  // Received files stay counted, and announced while the panel is closed, until saved or dismissed.
  const waiting = call.files.list.flatMap((t) =>
    t.files.filter((f) => f.waiting).map((f) => ({ t, f, name: f.path.split('/').pop() })),
  );
  // Offers waiting for an answer are announced too while the panel is closed.
  const offers = call.files.offers;
  const filesCount = active + waiting.length + offers.length;

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    if (!e.dataTransfer) return;
    // The entries are taken now (a drop's data is gone once the handler returns); walking folders goes on.
    void droppedSource(e.dataTransfer).then(
      (files) => {
        if (!files.length) return;
        call.sendFiles(files);
        setPanel('files');
      },
      (err: Error) => call.say(`Could not read what was dropped: ${err.message}`),
    );
  };

  return (
    <div class={`room${panel ? ' with-panel' : ''}`}>
      <header class="topbar">
        <h1 class="room-title">{call.room.name}</h1>
        <span class="muted">
          {count} {count === 1 ? 'person' : 'people'}
        </span>
        {call.roomState !== 'connected' && (
          <span class="badge warn" role="status" data-testid="room-state">
            {call.roomState === 'reconnecting'
              ? 'Reconnecting to the server… the call continues'
              : 'Disconnected'}
          </span>
        )}
        {offers.length > 0 && panel !== 'files' && (
          <span class="notice" role="status" data-testid="offers-waiting">
            {offers.length === 1
              ? `${offers[0]?.peerName} offers ${offers[0]?.files.length === 1 ? offers[0]?.files[0]?.path : `${offers[0]?.files.length} files`}.`
              : `${offers.length} offers of files wait for your answer.`}{' '}
            <button type="button" class="link" onClick={() => setPanel('files')}>
              Show
            </button>
          </span>
        )}
        {waiting.length > 0 && panel !== 'files' && (
          <span class="notice files-waiting" role="status" data-testid="files-waiting">
            {waiting.length === 1
              ? `${waiting[0]?.name} from ${waiting[0]?.t.peerName} is ready to save.`
              : `${waiting.length} received files are ready to save.`}{' '}
            <button type="button" class="link" onClick={() => setPanel('files')}>
              Show
            </button>
            <button
              type="button"
              class="link"
              onClick={() => {
                for (const w of waiting) call.files.settle(w.t.id, w.f.path, false);
              }}
              aria-label="Dismiss"
              data-testid="files-waiting-dismiss"
            >
              ✕
            </button>
          </span>
        )}
        {call.notice && (
          <span class="notice" role="status">
            {call.notice}{' '}
            <button type="button" class="link" onClick={() => call.say(undefined)} aria-label="Dismiss">
              ✕
            </button>
          </span>
        )}
      </header>
      <main
        class={`stage${dragging ? ' dragging' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        {count === 1 && (
          <div class="alone" role="status" data-testid="alone">
            <span>Nobody else is here yet. Share the link to invite people.</span>
            <button type="button" onClick={() => setPanel('share')}>
              Invite people
            </button>
          </div>
        )}
        <section class="grid" data-count={Math.min(count, 6)} aria-label="Participants">
          <Tile
            id={call.room.selfId}
            name={call.name}
            self
            stream={call.preview}
            showVideo={call.cameraOn || !!call.screen}
            screen={!!call.screen}
            muted={call.muted}
            speaking={call.speaker === 'self'}
          />
          {peers.map((rp) => (
            <Tile
              key={rp.id}
              id={rp.id}
              name={rp.name}
              self={false}
              stream={rp.stream}
              showVideo={!!rp.stream?.getVideoTracks().length && (rp.camera || rp.screen)}
              screen={rp.screen}
              muted={rp.muted}
              speaking={call.speaker === rp.id}
              remote={rp}
            />
          ))}
        </section>
      </main>
      {panel && (
        <aside class="panel" aria-label={panel === 'chat' ? 'Chat' : panel === 'files' ? 'Files' : 'Invite'}>
          <div class="panel-head">
            <h2>{panel === 'chat' ? 'Chat' : panel === 'files' ? 'Files' : 'Invite people'}</h2>
            <button type="button" class="link" onClick={() => setPanel(undefined)} aria-label="Close panel">
              ✕
            </button>
          </div>
          {panel === 'chat' && <ChatPanel call={call} />}
          {panel === 'files' && <FilesPanel call={call} onInvite={() => setPanel('share')} />}
          {panel === 'share' && <ShareLink room={call.room.name} />}
        </aside>
      )}
      <nav class="controls" aria-label="Call controls">
        <DeviceToggle
          device="microphone"
          on={!call.muted}
          onClick={() => void call.toggleMic()}
          testId="mute"
        />
        <DeviceToggle
          device="camera"
          on={call.cameraOn}
          onClick={() => void call.toggleCamera()}
          testId="camera"
        />
        <button
          type="button"
          aria-pressed={!!call.screen}
          onClick={() => void call.toggleScreen()}
          data-testid="screen"
        >
          {call.screen ? 'Stop sharing' : 'Share screen'}
        </button>
        <button
          type="button"
          aria-pressed={panel === 'chat'}
          onClick={() => toggle('chat')}
          data-testid="chat-toggle"
        >
          Chat
          {call.unread > 0 && (
            <>
              <span class="count" data-testid="unread" aria-hidden="true">
                {call.unread}
              </span>
              <span class="sr-only">, {call.unread} unread</span>
            </>
          )}
        </button>
        <button
          type="button"
          aria-pressed={panel === 'files'}
          onClick={() => toggle('files')}
          data-testid="files-toggle"
        >
          Files
          {filesCount > 0 && (
            <>
              <span
                class={`count${waiting.length ? ' save' : ''}`}
                data-testid="files-count"
                aria-hidden="true"
              >
                {filesCount}
              </span>
              <span class="sr-only">
                {offers.length > 0 && `, ${offers.length} offered to you`}
                {active > 0 && `, ${active} under way`}
                {waiting.length > 0 && `, ${waiting.length} to save`}
              </span>
            </>
          )}
        </button>
        <button type="button" aria-pressed={panel === 'share'} onClick={() => toggle('share')}>
          Invite
        </button>
        <button type="button" class="danger" onClick={onLeave}>
          Leave
        </button>
      </nav>
    </div>
  );
}
