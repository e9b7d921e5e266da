/**
 * What `parley serve` prints on stdout when it is up: its URLs, and what people on other devices need to
 * join (the URL on each interface, a QR code of the first one, the certificate's fingerprint, or why
 * calls from other devices will not work over plain HTTP).
 */
import type { RunningServer } from '@parley/server';
import { renderUnicodeCompact } from 'uqr';
import { reachableAddresses, urlOf } from './addresses.js';
import type { ServedTls } from './tls.js';
import type { StartedTurn } from './turn.js';

export interface BannerInput {
  server: RunningServer;
  turn: StartedTurn | undefined;
  staticDir: string | undefined;
  tls: ServedTls | undefined;
  /** The --host it listens on. */
  host: string;
  /** Other TURN servers handed to peers (--turn-url). */
  turnUrls?: string[];
}

/** Label column: two spaces, the label, padded to 13 characters. */
const INDENT = ' '.repeat(13);
const row = (label: string, text: string) => `  ${label.padEnd(INDENT.length - 2)}${text}`;

export function banner({ server, turn, staticDir, tls, host, turnUrls = [] }: BannerInput): string {
  const lines = ['Parley is running', row('signaling', server.wsUrl)];
  if (turn) {
    const by = (t: string) => turn.endpoints.filter((e) => e.transport === t).map((e) => e.port);
    const [udp, tcp, tlsPorts] = [by('udp'), by('tcp'), by('tls')];
    lines.push(
      row(
        'stun/turn',
        `udp ${udp.join(',')}, tcp ${tcp.join(',')}${tlsPorts.length ? `, tls ${tlsPorts.join(',')}` : ''} (relay ${turn.relayIp})`,
      ),
    );
    if (turn.secretGenerated)
      lines.push(
        `${INDENT}secret generated at start; pass --turn-secret to share it with other TURN servers`,
      );
  } else {
    lines.push(row('stun/turn', 'off (--no-turn)'));
  }
  for (const url of turnUrls) lines.push(row('turn', `${url}  (--turn-url)`));
  lines.push(row('health', `${server.httpUrl}/healthz  (also /readyz, /metrics)`));
  lines.push(row('web app', `${server.httpUrl}/${staticDir ? '' : '  (not built yet)'}`));
  if (server.redirectUrl) lines.push(row('redirect', `${server.redirectUrl}/ to https`));
  if (tls) lines.push(...tlsLines(tls));
  lines.push(...networkLines(host, new URL(server.httpUrl), Boolean(tls)));
  lines.push('Press Ctrl+C to stop.');
  return lines.join('\n');
}

function tlsLines(tls: ServedTls): string[] {
  const lines = [
    row('tls', tls.selfSigned ? `self-signed certificate for ${tls.names.join(', ')}` : tls.certPath),
  ];
  if (tls.selfSigned)
    lines.push(
      `${INDENT}${tls.certPath} (${tls.selfSigned.made ? `made now: ${tls.selfSigned.made}` : 'kept'})`,
    );
  lines.push(`${INDENT}SHA-256 ${tls.fingerprint}`);
  if (tls.selfSigned)
    lines.push(
      `${INDENT}Browsers warn about it: this machine signed it, not an authority they know. When the`,
      `${INDENT}fingerprint the browser shows is the one above, go on (Advanced, then Proceed or Accept),`,
      `${INDENT}or trust the file on each device; --tls-cert and --tls-key with a trusted one: no warning.`,
    );
  else lines.push(`${INDENT}read again on SIGHUP or when the files change`);
  return lines;
}

/** The URL on each interface other devices can reach, a QR code of the first, or why calls will fail. */
function networkLines(host: string, served: URL, secure: boolean): string[] {
  const reachable = reachableAddresses(host);
  if (reachable.length === 0) return [];
  const port = Number(served.port);
  const urls = reachable.map((a) => ({
    url: urlOf(secure ? 'https' : 'http', a.address, port),
    name: a.name,
  }));
  const width = Math.max(...urls.map((u) => u.url.length));
  const lines = urls.map((u, i) =>
    (i === 0 ? (label: string) => row('network', label) : (label: string) => INDENT + label)(
      `${u.url.padEnd(width)}${u.name ? `  (${u.name})` : ''}`,
    ),
  );
  if (!secure)
    lines.push(
      row('warning', 'other devices get this page over plain HTTP, where browsers allow no camera or'),
      `${INDENT}microphone: calls from them will not work. Restart with --tls-self-signed (or with`,
      `${INDENT}--tls-cert FILE --tls-key FILE).`,
    );
  const first = urls[0]?.url as string;
  lines.push(`${INDENT}scan to open ${first} on a phone:`);
  for (const line of qr(first)) lines.push(INDENT + line);
  return lines;
}

/** A QR code in half-block characters: its light modules are drawn, as a terminal with light text on a dark background needs. */
export function qr(text: string): string[] {
  return renderUnicodeCompact(text, { ecc: 'L', border: 2 }).split('\n');
}
