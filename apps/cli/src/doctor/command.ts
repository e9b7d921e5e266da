/** `parley doctor [URL]`: checks a running deployment from outside, line by line, with a fix for each failure. */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { httpChecks } from './http-checks.js';
import { type CheckResult, healthy, jsonReport, skip, textReport } from './report.js';
import { signalingChecks } from './signaling-checks.js';
import { parseTarget, type Target } from './target.js';
import { turnChecks } from './turn-checks.js';

interface DoctorFlags {
  json?: boolean;
  room?: string;
  token?: string;
  ca?: string;
  timeout: number;
}

export function doctorCommand(): Command {
  return new Command('doctor')
    .description(
      'check a running deployment from outside: HTTP health and readiness, the clock, the TLS certificate, the WebSocket and a probe join, STUN, TURN over UDP, TCP and TLS, and a relayed round trip',
    )
    .argument(
      '[url]',
      'the deployment: http(s)://host[:port] or ws(s)://host[:port]/ws',
      'http://127.0.0.1:8080',
    )
    .option('--json', 'print the results as JSON (for scripts and monitoring)')
    .addOption(new Option('--room <name>', 'room of the probe join (default: doctor- and a random suffix)'))
    .addOption(
      new Option(
        '--token <jwt>',
        'room token for the probe join, when the server wants one (--room-secret)',
      ).env('PARLEY_DOCTOR_TOKEN'),
    )
    .addOption(
      new Option('--ca <file>', 'also trust this CA certificate (PEM), for HTTPS, WSS and TURN over TLS'),
    )
    .addOption(
      new Option('--timeout <seconds>', 'how long each check may wait for an answer')
        .default(5)
        .argParser(timeoutArg),
    )
    .addHelpText(
      'after',
      [
        '',
        'Every check prints ok, FAIL (with a fix) or skip (not offered by this deployment).',
        'The exit code is 0 only when no check failed.',
        '',
        'Examples:',
        '  parley doctor                                  # parley serve on this machine, port 8080',
        '  parley doctor https://parley.example.com       # a deployment behind TLS',
        '  parley doctor --json https://parley.example.com | jq .healthy',
        '  parley doctor --room doctor --token "$(parley token --room doctor --secret "$ROOM_SECRET")" https://parley.example.com',
      ].join('\n'),
    )
    .action(async (url: string, flags: DoctorFlags) => {
      let target: Target;
      try {
        target = parseTarget(url);
      } catch (err) {
        console.error(`parley doctor: ${(err as Error).message}`);
        process.exit(2);
      }
      const ca = flags.ca ? readFileSync(flags.ca, 'utf8') : undefined;
      const results = await doctor(target, { ...flags, ...(ca ? { ca } : {}) });
      console.log(flags.json ? jsonReport(url, results) : textReport(url, results));
      process.exitCode = healthy(results) ? 0 : 1;
    });
}

/** Runs every check in order; one that cannot run because an earlier one failed is skipped, saying why. */
export async function doctor(
  target: Target,
  flags: Omit<DoctorFlags, 'ca'> & { ca?: string },
): Promise<CheckResult[]> {
  const timeoutMs = flags.timeout * 1000;
  const ca = flags.ca;
  const http = await httpChecks(target, { timeoutMs, ...(ca ? { ca } : {}) });
  if (!http.reachable) return [...http.results, skip('signaling', 'skipped: the server is not reachable')];
  const signaling = await signalingChecks(target, {
    timeoutMs,
    room: flags.room ?? `doctor-${randomBytes(4).toString('hex')}`,
    ...(flags.token ? { token: flags.token } : {}),
    ...(ca ? { ca } : {}),
  });
  const results = [...http.results, ...signaling.results];
  if (!signaling.iceServers)
    return [...results, skip('turn', 'skipped: needs the ICE servers of a probe join')];
  return [...results, ...(await turnChecks(signaling.iceServers, { timeoutMs, ...(ca ? { ca } : {}) }))];
}

function timeoutArg(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > 600)
    throw new InvalidArgumentError('seconds, more than 0 and at most 600');
  return n;
}
