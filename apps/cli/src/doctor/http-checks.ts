/** The HTTP side of a deployment seen from outside: /healthz, the clock, /readyz and the TLS certificate. */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { type CheckResult, fail, pass, skip } from './report.js';
import type { Target } from './target.js';

export interface HttpOptions {
  timeoutMs: number;
  /** Extra CA certificates (PEM) to trust. */
  ca?: string;
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  sentAt: number;
  receivedAt: number;
  cert: PeerCertificate | undefined;
}

/** A GET with a deadline; rejects on a network or TLS error. */
export function get(url: string, o: HttpOptions): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const sentAt = Date.now();
    const secure = url.startsWith('https:');
    const req = (secure ? httpsRequest : httpRequest)(url, {
      method: 'GET',
      timeout: o.timeoutMs,
      ...(secure ? { ca: o.ca, agent: false } : { agent: false }),
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${o.timeoutMs} ms`)));
    req.on('error', reject);
    req.on('response', (res) => {
      const cert = secure ? (res.socket as TLSSocket).getPeerCertificate() : undefined;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        if (body.length < 65536) body += d;
      });
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          sentAt,
          receivedAt: Date.now(),
          cert,
        }),
      );
    });
    req.end();
  });
}

const REACH_FIX =
  'is parley serve running there? Check its --host and --port, the firewall, and that a proxy in front forwards to it';

/** Why a request failed, in words, and what to do about it. */
function networkFailure(err: Error & { code?: string }, url: string): { detail: string; fix: string } {
  const code = err.code ?? '';
  if (/CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS/.test(code))
    return {
      detail: `TLS: ${err.message} (${code})`,
      fix: "serve a certificate browsers trust (e.g. from Let's Encrypt, with the whole chain: fullchain.pem), or pass --ca <file> to check one you trust",
    };
  return { detail: `cannot reach ${url}: ${err.message}`, fix: REACH_FIX };
}

export interface HttpFindings {
  results: CheckResult[];
  /** Whether the HTTP side answered at all (the other checks are pointless otherwise). */
  reachable: boolean;
}

/** http (/healthz), clock, ready (/readyz: cluster readiness when the server reports it) and tls-cert. */
export async function httpChecks(target: Target, o: HttpOptions): Promise<HttpFindings> {
  const url = `${target.http}/healthz`;
  let health: Answer;
  try {
    health = await get(url, o);
  } catch (err) {
    const { detail, fix } = networkFailure(err as Error, url);
    return { reachable: false, results: [fail('http', detail, fix)] };
  }
  const results: CheckResult[] = [];
  const ms = health.receivedAt - health.sentAt;
  if (health.status === 200 && /"status":"ok"/.test(health.body))
    results.push(pass('http', `/healthz answered 200 in ${ms} ms`));
  else
    results.push(
      fail(
        'http',
        `/healthz answered ${health.status}: ${health.body.slice(0, 120)}`,
        `${REACH_FIX}; a proxy must pass /healthz, /readyz, /metrics and /ws through to Parley`,
      ),
    );
  results.push(clockCheck(health));
  results.push(await readyCheck(target, o));
  results.push(certCheck(target, health.cert));
  return { reachable: true, results };
}

/** REST credentials carry an expiry: a server clock far off the world's makes them expire early or late. */
const CLOCK_TOLERANCE_S = 30;

function clockCheck(a: Answer): CheckResult {
  const date = Date.parse(String(a.headers.date ?? ''));
  if (Number.isNaN(date)) return fail('clock', 'the server sent no Date header', 'answer with a Date header');
  // The header has whole seconds: compare with the middle of the exchange, plus half a second.
  const diff = (date + 500 - (a.sentAt + a.receivedAt) / 2) / 1000;
  const detail = `server clock ${Math.abs(diff).toFixed(1)} s ${diff >= 0 ? 'ahead of' : 'behind'} this one (±1 s)`;
  if (Math.abs(diff) <= CLOCK_TOLERANCE_S) return pass('clock', detail);
  return fail(
    'clock',
    detail,
    'TURN credentials carry their expiry: sync the clocks of every node and TURN server (and this machine) with NTP, e.g. chrony or systemd-timesyncd',
  );
}

async function readyCheck(target: Target, o: HttpOptions): Promise<CheckResult> {
  let a: Answer;
  try {
    a = await get(`${target.http}/readyz`, o);
  } catch (err) {
    return fail('ready', `/readyz: ${(err as Error).message}`, REACH_FIX);
  }
  const detail = `/readyz ${a.status}${readyDetail(a.body)}`;
  if (a.status === 200) return pass('ready', detail);
  return fail(
    'ready',
    detail,
    'the node is not ready: it is draining (SIGTERM) or, in a cluster, cannot reach Redis; check --redis, that redis-server runs and that this node reaches it',
  );
}

/** What a /readyz body says besides its status (cluster fields, when the server reports them). */
function readyDetail(body: string): string {
  try {
    const json = JSON.parse(body) as Record<string, unknown>;
    const parts = Object.entries(json).map(
      ([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`,
    );
    return parts.length ? `: ${parts.join(', ')}` : '';
  } catch {
    return body ? `: ${body.slice(0, 120)}` : '';
  }
}

/** Renewal tools renew 30 days before expiry; fail when less than a week is left. */
const CERT_MIN_DAYS = 7;

function certCheck(target: Target, cert: PeerCertificate | undefined): CheckResult {
  if (!target.secure)
    return skip(
      'tls-cert',
      'plain HTTP: no certificate to check',
      'browsers allow camera and microphone only on HTTPS (or localhost): serve with --tls-cert/--tls-key or behind a TLS proxy',
    );
  if (!cert?.valid_to) return fail('tls-cert', 'no certificate seen', 'serve a certificate');
  const days = (Date.parse(cert.valid_to) - Date.now()) / 86_400_000;
  const detail = `${cert.subject?.CN ?? '?'} by ${cert.issuer?.CN ?? '?'}, expires ${new Date(cert.valid_to).toISOString()} (${days.toFixed(1)} days)`;
  if (days >= CERT_MIN_DAYS) return pass('tls-cert', detail);
  return fail(
    'tls-cert',
    detail,
    'renew the certificate (certbot renew); parley serve re-reads --tls-cert on SIGHUP and when the file changes',
  );
}
