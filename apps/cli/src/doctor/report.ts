/** What each check of `parley doctor` found, and how it is printed: a line per check, or JSON for scripts. */

export type Status = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  /** A stable name scripts can match: `http`, `clock`, `turn-udp`, … */
  id: string;
  status: Status;
  /** What was seen, in one line. */
  detail: string;
  /** What to do about a failure (or about a skipped check that could be enabled). */
  fix?: string;
}

export const pass = (id: string, detail: string): CheckResult => ({ id, status: 'pass', detail });
export const fail = (id: string, detail: string, fix: string): CheckResult => ({
  id,
  status: 'fail',
  detail,
  fix,
});
export const skip = (id: string, detail: string, fix?: string): CheckResult => ({
  id,
  status: 'skip',
  detail,
  ...(fix ? { fix } : {}),
});

/** Healthy when nothing failed; a skipped check is one the deployment does not offer. */
export function healthy(results: readonly CheckResult[]): boolean {
  return results.every((r) => r.status !== 'fail');
}

const MARK: Record<Status, string> = { pass: 'ok  ', fail: 'FAIL', skip: 'skip' };

export function textReport(target: string, results: readonly CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.id.length));
  const lines = [`parley doctor ${target}`];
  for (const r of results) {
    lines.push(`  ${MARK[r.status]}  ${r.id.padEnd(width)}  ${r.detail}`);
    if (r.fix && r.status === 'fail') lines.push(`  ${' '.repeat(6 + width)}  fix: ${r.fix}`);
    else if (r.fix) lines.push(`  ${' '.repeat(6 + width)}  hint: ${r.fix}`);
  }
  const count = (s: Status) => results.filter((r) => r.status === s).length;
  lines.push(
    `${count('pass')} passed, ${count('fail')} failed, ${count('skip')} skipped: ${healthy(results) ? 'healthy' : 'not healthy'}`,
  );
  return lines.join('\n');
}

export function jsonReport(target: string, results: readonly CheckResult[]): string {
  return JSON.stringify({ target, healthy: healthy(results), checks: results }, null, 2);
}
