/**
 * Resume tokens: `<peer id>.<secret>`. The id finds the session without a second map; the secret,
 * compared in constant time, proves the right to resume it.
 */
import { timingSafeEqual } from 'node:crypto';

export function resumeToken(peerId: string, secret: string): string {
  return `${peerId}.${secret}`;
}

/** The peer id a token names, or undefined when it names none. */
export function peerIdOf(token: string): string | undefined {
  const dot = token.lastIndexOf('.');
  return dot > 0 ? token.slice(0, dot) : undefined;
}

/** Whether `token` is one of the session's: its current token, or the one its last resume used. */
export function tokenMatches(
  session: { readonly resumeToken: string; readonly previousResumeToken: string | undefined },
  token: string,
): boolean {
  const previous = session.previousResumeToken;
  return sameSecret(session.resumeToken, token) || (previous !== undefined && sameSecret(previous, token));
}

/** Compares two secrets in constant time (for equal lengths; resume tokens all have one length). */
function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
