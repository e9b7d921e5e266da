/** The check page's note on forcing the relay (`?relay=1`), for people diagnosing a network. */
import { relayOnly } from '../lib/route.js';

export function ForceRelayHelp() {
  const forced = relayOnly();
  const link = `${location.pathname}?relay=1#/`;
  return (
    <section class="card force-relay" aria-labelledby="force-relay-title" data-testid="force-relay">
      <h2 id="force-relay-title">Diagnosing a network: force the relay</h2>
      <p>
        Add <code>?relay=1</code> to the app's address, before the <code>#</code> (for example{' '}
        <code>{`${location.origin}${location.pathname}?relay=1#/r/my-room`}</code>), and every call you join
        goes through this server's TURN relay only, never directly. One side forcing it is enough for a pair.
        Tiles then say "relayed", and a tile's <strong>i</strong> button shows the relay pair, the round trip
        and the bitrate. Invite links keep the flag; <code>?relay=0</code> or no flag is the default (direct
        when possible).
      </p>
      <p>
        {forced ? (
          <strong data-testid="relay-forced">The relay is forced in this tab.</strong>
        ) : (
          <a href={link}>Open the app with the relay forced</a>
        )}
      </p>
    </section>
  );
}
