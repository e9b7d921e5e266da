/**
 * TURN REST credentials (draft-uberti-behave-turn-rest §2.2, as coturn's `--use-auth-secret`): the one
 * place they are minted and checked. The username is `expiry:user` with the expiry in Unix seconds, the
 * password base64(HMAC-SHA1(secret, username)), so any TURN server that knows the secret can check a
 * credential without talking to whoever minted it.
 */
import { createHmac } from 'node:crypto';

/** The TURN REST password of a username under a secret: base64(HMAC-SHA1(secret, username)). */
export function restPassword(secret: string, username: string): string {
  return createHmac('sha1', secret).update(username, 'utf8').digest('base64');
}

/** Mints a TURN REST username and password valid until `expiresAtSec` (Unix seconds). */
export function mintRestCredential(
  secret: string,
  user: string,
  expiresAtSec: number,
  separator = ':',
): { username: string; password: string } {
  const username = user === '' ? String(expiresAtSec) : `${expiresAtSec}${separator}${user}`;
  return { username, password: restPassword(secret, username) };
}

/** The expiry (Unix seconds) a REST username carries, or undefined when it carries none. */
export function restExpiry(username: string, separator = ':'): number | undefined {
  const at = username.indexOf(separator);
  const head = at < 0 ? username : username.slice(0, at);
  return /^\d{1,12}$/.test(head) ? Number(head) : undefined;
}
