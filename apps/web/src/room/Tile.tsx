/** One participant's tile: video (or initials), name, mute, active speaker, connection info. */
import { useState } from 'preact/hooks';
import type { RemotePeer } from '../lib/call.js';
import { bitrate } from '../lib/format.js';
import type { PeerStats } from '../lib/stats.js';
import { Video } from './Video.js';

export interface TileProps {
  id: string;
  name: string;
  self: boolean;
  stream: MediaStream | undefined;
  showVideo: boolean;
  screen: boolean;
  muted: boolean;
  speaking: boolean;
  /** Remote peers only. */
  remote?: RemotePeer;
}

export function Tile(p: TileProps) {
  const [info, setInfo] = useState(false);
  const stats = p.remote?.stats;
  const conn = p.remote ? connectionLabel(p.remote) : undefined;
  const path = stats?.path ?? 'unknown';
  const spoken = [
    p.name,
    p.self ? '(you)' : '',
    p.muted ? 'muted' : '',
    p.screen ? 'sharing screen' : '',
    conn ?? '',
  ]
    .filter(Boolean)
    .join(', ');
  return (
    <figure
      class={`tile${p.speaking ? ' speaking' : ''}${p.screen ? ' screen' : ''}`}
      data-peer-id={p.id}
      data-name={p.name}
      data-self={p.self ? 'true' : undefined}
      data-muted={String(p.muted)}
      data-screen={String(p.screen)}
      data-frames={stats?.framesDecoded ?? 0}
      data-frame-size={stats?.frameWidth ? `${stats.frameWidth}x${stats.frameHeight}` : undefined}
      data-path={path}
      aria-label={spoken}
    >
      {/* Remote audio plays from this element even while the camera is off, so it stays mounted. */}
      {p.stream && (p.showVideo || !p.self) && (
        <Video
          stream={p.stream}
          muted={p.self}
          mirror={p.self && !p.screen}
          label={`${p.name}${p.screen ? ' screen' : ' video'}`}
        />
      )}
      {!p.showVideo && (
        <div class="avatar" aria-hidden="true">
          <span>{initials(p.name)}</span>
        </div>
      )}
      <figcaption>
        <span class="name">
          {p.name}
          {p.self && ' (you)'}
        </span>
        {p.muted && (
          <span class="badge muted-badge" title="Muted">
            Muted
          </span>
        )}
        {p.screen && <span class="badge">Screen</span>}
        {conn && <span class={`badge conn ${conn === 'reconnecting…' ? 'warn' : ''}`}>{conn}</span>}
        {p.remote && (
          <button
            type="button"
            class="info-toggle"
            aria-expanded={info}
            aria-label={`Connection info for ${p.name}`}
            onClick={() => setInfo(!info)}
          >
            i
          </button>
        )}
      </figcaption>
      {info && p.remote && <ConnectionInfo stats={stats} state={p.remote.connection} />}
    </figure>
  );
}

function ConnectionInfo({ stats, state }: { stats: PeerStats | undefined; state: RTCPeerConnectionState }) {
  return (
    <dl class="conn-info">
      <dt>State</dt>
      <dd>{state}</dd>
      <dt>Path</dt>
      <dd>{stats ? `${stats.path} · ${stats.pair}` : '—'}</dd>
      <dt>Round trip</dt>
      <dd>{stats?.rttMs !== undefined ? `${stats.rttMs} ms` : '—'}</dd>
      <dt>Bitrate</dt>
      <dd>{stats ? `↓ ${bitrate(stats.recvBps)} · ↑ ${bitrate(stats.sendBps)}` : '—'}</dd>
      <dt>Video in</dt>
      <dd>
        {stats?.frameWidth
          ? `${stats.frameWidth}×${stats.frameHeight} @ ${Math.round(stats.fps ?? 0)} fps`
          : '—'}
      </dd>
    </dl>
  );
}

/** What a tile says about the connection: direct, relayed, connecting, or reconnecting after a drop. */
function connectionLabel(rp: RemotePeer): string {
  if (rp.connection === 'connected')
    return rp.stats?.path === 'relayed' ? 'relayed' : rp.stats ? 'direct' : 'connected';
  if (rp.everConnected) return 'reconnecting…';
  return rp.connection === 'failed' ? 'retrying…' : 'connecting…';
}

function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  return (parts.length > 1 ? `${parts[0]?.[0]}${parts[1]?.[0]}` : name.slice(0, 2)).toUpperCase() || '?';
}
