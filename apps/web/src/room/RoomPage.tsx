/** A room's page: the pre-join screen, then the call, then a "you left" screen. */
import { useState } from 'preact/hooks';
import { Call } from '../lib/call.js';
import { useLeaveOnExit, useTitle } from '../lib/page-hooks.js';
import { navigate, relayOnly, roomHash, signalingUrl } from '../lib/route.js';
import { PreJoin, type PreJoinResult } from './PreJoin.js';
import { RoomView } from './RoomView.js';

type Phase = { at: 'prejoin'; busy: boolean; error?: string } | { at: 'call'; call: Call } | { at: 'left' };

export function RoomPage({ room }: { room: string }) {
  const [phase, setPhase] = useState<Phase>({ at: 'prejoin', busy: false });

  useTitle(`${room} · Parley`);
  useLeaveOnExit(phase.at === 'call' ? phase.call : undefined);

  const join = async ({ name, stream }: PreJoinResult) => {
    setPhase({ at: 'prejoin', busy: true });
    try {
      const joined = await Call.join({ url: signalingUrl(), room, name, stream, relay: relayOnly() });
      setPhase({ at: 'call', call: joined });
    } catch (err) {
      for (const t of stream.getTracks()) t.stop();
      setPhase({ at: 'prejoin', busy: false, error: `Could not join: ${(err as Error).message}` });
    }
  };

  if (phase.at === 'call') {
    return (
      <RoomView
        call={phase.call}
        onLeave={async () => {
          await phase.call.leave();
          setPhase({ at: 'left' });
        }}
      />
    );
  }
  if (phase.at === 'left') {
    return (
      <main class="page left">
        <h1>You left {room}</h1>
        <div class="row wrap">
          <button type="button" class="primary" onClick={() => setPhase({ at: 'prejoin', busy: false })}>
            Rejoin
          </button>
          <button type="button" onClick={() => navigate('#/')}>
            Home
          </button>
        </div>
      </main>
    );
  }
  return <PreJoin key={roomHash(room)} room={room} busy={phase.busy} error={phase.error} onJoin={join} />;
}
