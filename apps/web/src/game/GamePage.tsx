/** The arena's page (`#/g/<room>`): a name, then the game; a link to invite others, and each player's ping. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { useLeaveOnExit, useTitle } from '../lib/page-hooks.js';
import { gameLink, navigate, relayOnly, signalingUrl } from '../lib/route.js';
import { Arena, FIELD, type PlayerView, RADIUS } from './arena.js';

type Phase = { at: 'name'; busy: boolean; error?: string } | { at: 'playing'; arena: Arena } | { at: 'left' };

export function GamePage({ room }: { room: string }) {
  const [phase, setPhase] = useState<Phase>({ at: 'name', busy: false });
  const [name, setName] = useState(() => localStorage.getItem('parley-name') ?? '');
  useTitle(`${room} · arena · Parley`);
  useLeaveOnExit(phase.at === 'playing' ? phase.arena : undefined);

  if (phase.at === 'playing')
    return <ArenaView arena={phase.arena} room={room} onLeave={() => setPhase({ at: 'left' })} />;
  if (phase.at === 'left')
    return (
      <main class="page left">
        <h1>You left the arena {room}</h1>
        <div class="row wrap">
          <button type="button" class="primary" onClick={() => setPhase({ at: 'name', busy: false })}>
            Play again
          </button>
          <button type="button" onClick={() => navigate('#/')}>
            Home
          </button>
        </div>
      </main>
    );
  const join = async (e: Event) => {
    e.preventDefault();
    const trimmed = name.trim() || 'Player';
    localStorage.setItem('parley-name', trimmed);
    setPhase({ at: 'name', busy: true });
    try {
      const joined = await Arena.join({ url: signalingUrl(), room, name: trimmed, relay: relayOnly() });
      setPhase({ at: 'playing', arena: joined });
    } catch (err) {
      setPhase({ at: 'name', busy: false, error: `Could not join: ${(err as Error).message}` });
    }
  };
  return (
    <main class="page">
      <h1>Arena: {room}</h1>
      <p class="muted">
        Tag, peer to peer, for 2–6 players. Move with the arrow keys or WASD, or click where to go.
      </p>
      <form class="card row wrap" onSubmit={join}>
        <label class="field grow">
          <span>Your name</span>
          <input
            value={name}
            maxLength={24}
            onInput={(e) => setName(e.currentTarget.value)}
            autocomplete="nickname"
          />
        </label>
        <button type="submit" class="primary" disabled={phase.busy}>
          Join game
        </button>
      </form>
      {phase.error && (
        <p role="alert" class="error">
          {phase.error}
        </p>
      )}
      <InviteLink room={room} />
    </main>
  );
}

function InviteLink({ room }: { room: string }) {
  const link = gameLink(room);
  const [copied, setCopied] = useState(false);
  return (
    <label class="field invite">
      <span>Invite others: send them this link</span>
      <span class="row">
        <input readOnly value={link} onFocus={(e) => e.currentTarget.select()} data-testid="game-link" />
        <button
          type="button"
          onClick={() =>
            navigator.clipboard.writeText(link).then(
              () => setCopied(true),
              () => setCopied(false),
            )
          }
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
      </span>
    </label>
  );
}

function ArenaView({ arena, room, onLeave }: { arena: Arena; room: string; onLeave: () => void }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [players, setPlayers] = useState<PlayerView[]>([]);
  useEffect(() => {
    const keys = ['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'KeyW', 'KeyA', 'KeyS', 'KeyD'];
    const onKey = (down: boolean) => (e: KeyboardEvent) => {
      if (!keys.includes(e.code) || (e.target as HTMLElement).tagName === 'INPUT') return;
      e.preventDefault();
      arena.key(e.code, down);
    };
    const onDown = onKey(true);
    const onUp = onKey(false);
    addEventListener('keydown', onDown);
    addEventListener('keyup', onUp);
    let frame = 0;
    let lastList = 0;
    const loop = (now: number) => {
      arena.step(now);
      const view = arena.view();
      draw(canvas.current, view);
      if (now - lastList > 100) {
        lastList = now;
        setPlayers(view);
      }
      frame = requestAnimationFrame(loop);
    };
    frame = requestAnimationFrame(loop);
    return () => {
      cancelAnimationFrame(frame);
      removeEventListener('keydown', onDown);
      removeEventListener('keyup', onUp);
    };
  }, [arena]);
  const onPointer = (e: PointerEvent) => {
    const c = canvas.current;
    if (!c || (e.type === 'pointermove' && e.buttons === 0)) return;
    const r = c.getBoundingClientRect();
    arena.goTo({
      x: ((e.clientX - r.left) / r.width) * FIELD.width,
      y: ((e.clientY - r.top) / r.height) * FIELD.height,
    });
  };
  const it = players.find((p) => p.it);
  return (
    <main class="arena">
      <div class="arena-top">
        <span class="room-title">Arena · {room}</span>
        <span class="muted grow">
          {it ? (it.self ? 'You are it: tag someone!' : `${it.name} is it: run!`) : 'Waiting…'}
        </span>
        <button
          type="button"
          class="danger"
          onClick={async () => {
            await arena.leave();
            onLeave();
          }}
        >
          Leave
        </button>
      </div>
      <div class="arena-body">
        <canvas
          ref={canvas}
          width={FIELD.width}
          height={FIELD.height}
          class="field-canvas"
          onPointerDown={onPointer}
          onPointerMove={onPointer}
          aria-label="The arena"
        />
        <aside class="arena-side">
          <h2>Players ({players.length})</h2>
          <ul class="players">
            {players.map((p) => (
              <li
                key={p.id}
                class="player"
                data-player-id={p.id}
                data-name={p.name}
                data-self={String(p.self)}
                data-host={String(p.host)}
                data-it={String(p.it)}
                data-x={p.x.toFixed(1)}
                data-y={p.y.toFixed(1)}
              >
                <span class="dot" style={{ background: p.color }} />
                <span class="grow">
                  {p.name}
                  {p.self && <span class="muted"> (you)</span>}
                  {p.host && <span class="badge">host</span>}
                  {p.it && <span class="badge it">it</span>}
                </span>
                <span class="muted small">
                  {p.self ? '' : p.pingMs === undefined ? '…' : `${Math.round(p.pingMs)} ms`}
                </span>
              </li>
            ))}
          </ul>
          <p class="muted small">
            Clock ±{Number.isFinite(arena.game.clock.error) ? arena.game.clock.error.toFixed(1) : '…'} ms
          </p>
          <InviteLink room={room} />
        </aside>
      </div>
    </main>
  );
}

function draw(c: HTMLCanvasElement | null, players: PlayerView[]): void {
  const ctx = c?.getContext('2d');
  if (!c || !ctx) return;
  ctx.fillStyle = '#12151b';
  ctx.fillRect(0, 0, c.width, c.height);
  ctx.strokeStyle = '#222834';
  ctx.lineWidth = 1;
  for (let x = 50; x < c.width; x += 50) line(ctx, x, 0, x, c.height);
  for (let y = 50; y < c.height; y += 50) line(ctx, 0, y, c.width, y);
  ctx.font = '600 15px system-ui, sans-serif';
  ctx.textAlign = 'center';
  for (const p of players) {
    if (p.it) {
      ctx.beginPath();
      ctx.arc(p.x, p.y, RADIUS + 7, 0, Math.PI * 2);
      ctx.strokeStyle = '#e5484d';
      ctx.lineWidth = 4;
      ctx.stroke();
    }
    ctx.beginPath();
    ctx.arc(p.x, p.y, RADIUS, 0, Math.PI * 2);
    ctx.fillStyle = p.color;
    ctx.fill();
    if (p.self) {
      ctx.strokeStyle = '#ffffff';
      ctx.lineWidth = 2;
      ctx.stroke();
    }
    ctx.fillStyle = '#e8eaf0';
    ctx.fillText(p.self ? `${p.name} (you)` : p.name, p.x, p.y - RADIUS - 12);
  }
}

function line(ctx: CanvasRenderingContext2D, x0: number, y0: number, x1: number, y1: number): void {
  ctx.beginPath();
  ctx.moveTo(x0, y0);
  ctx.lineTo(x1, y1);
  ctx.stroke();
}
