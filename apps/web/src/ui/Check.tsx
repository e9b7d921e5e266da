/** The connectivity check page: signaling, STUN and TURN, each with a plain verdict. */
import { useEffect, useState } from 'preact/hooks';
import {
  type CheckResult,
  describeCandidates,
  fetchIceServers,
  gather,
  stunVerdict,
  urlsOf,
} from '../lib/check.js';
import { checkRelayPath } from '../lib/relay-check.js';
import { signalingUrl } from '../lib/route.js';
import { ForceRelayHelp } from './ForceRelayHelp.js';

interface Row {
  name: string;
  result: CheckResult | undefined;
}

export function Check() {
  const [rows, setRows] = useState<Row[]>([]);
  const [run, setRun] = useState(0);
  useEffect(() => {
    let live = true;
    const list: Row[] = [];
    const show = () => live && setRows(list.map((r) => ({ ...r })));
    const step = (name: string) => {
      const row: Row = { name, result: undefined };
      list.push(row);
      show();
      return (result: CheckResult) => {
        row.result = result;
        show();
      };
    };
    void (async () => {
      const signaling = step('Signaling server');
      let servers: RTCIceServer[];
      try {
        servers = await fetchIceServers(signalingUrl());
        signaling({ ok: true, detail: `reached ${signalingUrl()}` });
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
      const stunDone = step(`STUN ${stun.join(', ') || '(none offered)'}`);
      if (stun.length === 0) stunDone({ ok: false, detail: 'the server offers no STUN server' });
      else {
        stunDone(stunVerdict(await gather([{ urls: stun }], 'srflx')));
      }
      if (turn.length === 0) step('TURN')({ ok: false, detail: 'the server offers no TURN server' });
      await Promise.all(
        turn.map(async (server) => {
          const done = step(`TURN ${String(server.urls)}`);
          const { found, errors } = await gather([server], 'relay');
          // A relay that allocates may still carry nothing: send data through it (row added after this one).
          const path = found.length ? step(`Relay path through ${String(server.urls)}`) : undefined;
          done(
            found.length
              ? { ok: true, detail: `relay address: ${describeCandidates(found)}` }
              : {
                  ok: false,
                  detail: `no relay candidate${errors.length ? ` (${errors[0]})` : ''}: TURN is blocked, unreachable, or refused the credentials`,
                },
          );
          path?.(await checkRelayPath(server));
        }),
      );
    })();
    return () => {
      live = false;
    };
  }, [run]);

  const finished = rows.length > 0 && rows.every((r) => r.result);
  const failed = rows.filter((r) => r.result && !r.result.ok);
  return (
    <main class="page check">
      <p>
        <a href="#/">← Home</a>
      </p>
      <h1>Connection check</h1>
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
      {finished && (
        <p role="status" class={failed.length ? 'error' : 'ok'} data-testid="check-summary">
          {failed.length === 0
            ? 'Everything works: calls can connect directly, and through the relay when a network blocks direct paths.'
            : `${failed.length} of ${rows.length} checks failed. ${
                failed.some((r) => r.name.startsWith('TURN'))
                  ? 'Without TURN, people behind strict firewalls cannot join calls. '
                  : failed.some((r) => r.name.startsWith('Relay path'))
                    ? 'The relay gives addresses but carries no data: calls that need it stay "connecting…". '
                    : ''
              }${failed.some((r) => r.name.startsWith('Signaling')) ? 'Without signaling, no call can start.' : ''}`}
        </p>
      )}
      <button type="button" onClick={() => setRun(run + 1)} disabled={!finished}>
        Check again
      </button>
      <ForceRelayHelp />
    </main>
  );
}
