/** The signaling side seen from outside: the WebSocket handshake and protocol version, a probe join and leave. */
import { type IceServerConfig, SUPPORTED_VERSIONS, subprotocol } from '@parley/protocol/client';
import WebSocket from 'ws';
import { type CheckResult, fail, pass } from './report.js';
import type { Target } from './target.js';

export interface SignalingOptions {
  timeoutMs: number;
  room: string;
  token?: string;
  ca?: string;
}

export interface SignalingFindings {
  results: CheckResult[];
  /** What the probe join was handed, when it joined. */
  iceServers: IceServerConfig[] | undefined;
}

const PROXY_FIX =
  'a proxy in front must pass WebSocket upgrades on /ws (nginx: proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade")';

/** websocket (handshake, subprotocol) and join (a probe join in a room of its own, then leave). */
export async function signalingChecks(target: Target, o: SignalingOptions): Promise<SignalingFindings> {
  const offered = [...SUPPORTED_VERSIONS].reverse().map(subprotocol);
  const ws = new WebSocket(target.ws, offered, {
    handshakeTimeout: o.timeoutMs,
    ...(o.ca ? { ca: o.ca } : {}),
  });
  const frames: Record<string, unknown>[] = [];
  const waiting: (() => void)[] = [];
  ws.on('message', (data) => {
    try {
      frames.push(JSON.parse(String(data)) as Record<string, unknown>);
    } catch {
      frames.push({ type: 'not-json' });
    }
    for (const w of waiting.splice(0)) w();
  });
  try {
    const opened = await new Promise<{ ok: true } | { ok: false; why: string }>((resolve) => {
      ws.once('open', () => resolve({ ok: true }));
      ws.once('unexpected-response', (_req, res) =>
        resolve({ ok: false, why: `the upgrade was answered with HTTP ${res.statusCode}` }),
      );
      ws.once('error', (err) => resolve({ ok: false, why: err.message }));
    });
    if (!opened.ok)
      return {
        iceServers: undefined,
        results: [fail('websocket', `${target.ws}: ${opened.why}`, PROXY_FIX)],
      };
    const results: CheckResult[] = [];
    if (!offered.includes(ws.protocol))
      results.push(
        fail(
          'websocket',
          `${target.ws} open, but with subprotocol "${ws.protocol}" (this doctor speaks ${offered.join(', ')})`,
          'the proxy must pass the Sec-WebSocket-Protocol header both ways; or update parley',
        ),
      );
    else results.push(pass('websocket', `${target.ws} open, protocol ${ws.protocol}`));
    ws.send(JSON.stringify({ type: 'join', room: o.room, ...(o.token ? { token: o.token } : {}) }));
    const answer = await nextFrame(frames, waiting, ws, o.timeoutMs);
    if (answer?.type === 'joined') {
      const ice = (answer.iceServers ?? []) as IceServerConfig[];
      ws.send(JSON.stringify({ type: 'leave' }));
      const urls = ice.flatMap((s) => (Array.isArray(s.urls) ? s.urls : [s.urls]));
      const count = (scheme: RegExp) => urls.filter((u) => scheme.test(u)).length;
      results.push(
        pass(
          'join',
          `joined room ${o.room} as ${String(answer.selfId)} and left; handed ${count(/^stun:/)} STUN and ${count(/^turns?:/)} TURN URLs`,
        ),
      );
      return { iceServers: ice, results };
    }
    results.push(joinFailure(answer, o));
    return { iceServers: undefined, results };
  } finally {
    ws.terminate();
  }
}

function joinFailure(answer: Record<string, unknown> | undefined, o: SignalingOptions): CheckResult {
  if (!answer)
    return fail(
      'join',
      `no answer to a join within ${o.timeoutMs} ms`,
      'check the server log (parley serve --log-level debug)',
    );
  if (answer.type !== 'error')
    return fail(
      'join',
      `answered a join with "${String(answer.type)}"`,
      'is this a Parley server of the same protocol version?',
    );
  const code = String(answer.code);
  const fix =
    code === 'UNAUTHORIZED'
      ? 'the server wants a room token (--room-secret): pass --token, made with `parley token`'
      : code === 'SERVER_SHUTTING_DOWN'
        ? 'the node is draining: the load balancer should stop sending to it once /readyz turns 503'
        : 'see docs/protocol.md for the code';
  return fail('join', `refused: ${code}: ${String(answer.message)}`, fix);
}

/** The next frame the server sends, or undefined after `ms` or when the socket closes. */
async function nextFrame(
  frames: Record<string, unknown>[],
  waiting: (() => void)[],
  ws: WebSocket,
  ms: number,
): Promise<Record<string, unknown> | undefined> {
  if (!frames.length) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((r) => waiting.push(r)),
      new Promise<void>((r) => {
        timer = setTimeout(r, ms);
      }),
      new Promise<void>((r) => ws.once('close', () => r())),
    ]);
    clearTimeout(timer);
  }
  return frames.shift();
}
