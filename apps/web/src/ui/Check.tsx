/** The connectivity check page: signaling, STUN and TURN, each with a plain verdict. */
import { useEffect, useState } from 'preact/hooks';
import {
  type CheckResult,
  fetchIceServers,
  gather,
  relayTransport,
  stunVerdict,
  transportName,
  turnVerdict,
  urlsOf,
} from '../lib/check.js';
import { gatherReflexive, mappingVerdict, stunPair } from '../lib/nat-check.js';
import { checkRelayPath } from '../lib/relay-check.js';
import { signalingUrl } from '../lib/route.js';
import { ForceRelayHelp } from './ForceRelayHelp.js';

type Kind = 'signaling' | 'stun' | 'nat' | 'turn' | 'relay-path';

interface Row {
  kind: Kind;
  name: string;
  result: CheckResult | undefined;
}

/** The verdict in one sentence, from the rows that failed (the details stay in the rows below it). */
function verdict(rows: readonly Row[]): string {
  const failed = rows.filter((r) => r.result && !r.result.ok);
  if (failed.length === 0)
    return 'Everything works: calls can connect directly, and through the relay when a network blocks direct paths.';
  const has = (kind: Kind) => failed.some((r) => r.kind === kind);
  return `${failed.length} of ${rows.length} checks failed. ${
    has('signaling')
      ? 'Without signaling, no call can start.'
      : has('turn')
        ? 'Without the relay (TURN), people behind strict firewalls cannot join calls.'
        : has('relay-path')
          ? 'The relay gives addresses but carries no data: calls that need it stay "connecting…".'
          : 'Direct connections may fail; calls can still go through the relay.'
  }`;
}

export function Check() {
  const [rows, setRows] = useState<Row[]>([]);
  const [run, setRun] = useState(0);
  useEffect(() => {
    let live = true;
    const list: Row[] = [];
    const show = () => live && setRows(list.map((r) => ({ ...r })));
    const step = (kind: Kind, name: string) => {
      const row: Row = { kind, name, result: undefined };
      list.push(row);
      show();
      return (result: CheckResult) => {
        row.result = result;
        show();
      };
    };
    void (async () => {
      const signaling = step('signaling', 'Signaling server');
      let servers: RTCIceServer[];
      try {
        servers = await fetchIceServers(signalingUrl());
        signaling({ ok: true, detail: `Reached ${signalingUrl()}.` });
      } catch (err) {
        signaling({ ok: false, detail: (err as Error).message });
        return;
      }
      const stun = servers.flatMap((s) => urlsOf(s).filter((u) => u.startsWith('stun:')));
      const turn = servers.flatMap((s) =>
        urlsOf(s)
          .filter((u) => /^turns?:/.test(u))
          .map((u) => ({ ...s, urls: u })),
      );
      const stunDone = step('stun', 'Your address as others see it (STUN)');
      if (stun.length === 0) stunDone({ ok: false, detail: 'The server offers no STUN server.' });
      else stunDone(stunVerdict(await gather([{ urls: stun }], 'srflx')));
      const pair = stunPair(stun);
      step(
        'nat',
        'Your NAT type (as far as a browser can tell)',
      )(mappingVerdict(pair, pair ? await gatherReflexive(pair) : undefined));
      if (turn.length === 0)
        step('turn', 'Relay (TURN)')({ ok: false, detail: 'The server offers no TURN relay.' });
      await Promise.all(
        turn.map(async (server) => {
          const via = transportName(relayTransport(String(server.urls)));
          const done = step('turn', `Relay over ${via} (TURN)`);
          const gathered = await gather([server], 'relay');
          // A relay that allocates may still carry nothing: send data through it (row added after this one).
          const path = gathered.found.length
            ? step('relay-path', `Data through the relay over ${via}`)
            : undefined;
          done(turnVerdict(server, gathered));
          path?.(await checkRelayPath(server));
        }),
      );
    })();
    return () => {
      live = false;
    };
  }, [run]);

  const finished = rows.length > 0 && rows.every((r) => r.result);
  const failed = rows.some((r) => r.result && !r.result.ok);
  return (
    <main class="page check">
      <p>
        <a href="#/">← Home</a>
      </p>
      <h1>Connection check</h1>
      {finished ? (
        <p role="status" class={`verdict ${failed ? 'error' : 'ok'}`} data-testid="check-summary">
          {verdict(rows)}
        </p>
      ) : (
        <p role="status" class="verdict muted">
          Checking your connection to this server…
        </p>
      )}
      <ul class="checks" aria-live="polite">
        {rows.map((r) => (
          <li
            key={r.name}
            class={r.result ? (r.result.ok ? 'ok' : 'bad') : 'pending'}
            data-testid="check-row"
          >
            <strong>
              {r.result ? (r.result.ok ? '✔ Works' : '✘ Fails') : '… Checking'}: {r.name}
            </strong>
            <span class="muted">{r.result?.detail}</span>
          </li>
        ))}
      </ul>
      <button type="button" onClick={() => setRun(run + 1)} disabled={!finished}>
        Check again
      </button>
      <ForceRelayHelp />
    </main>
  );
}
