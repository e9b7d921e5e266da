/**
 * Optional room tokens: HS256 JWTs signed with a secret the server and the app backend share. A token
 * names the room it opens (`room`, or `"*"` for any) and expires (`exp`, required).
 */
import { createSigner, createVerifier } from 'fast-jwt';

export interface RoomTokenClaims {
  room: string;
  /** Seconds since the epoch. */
  exp: number;
  sub?: string;
}

/** A sync check for `CoreOptions.authorize`: true when `token` opens `room` and has not expired. */
export function roomTokenAuthorizer(secrets: string[], clock: () => number = Date.now) {
  const verifiers = secrets.map((key) =>
    createVerifier({ key, algorithms: ['HS256'], requiredClaims: ['room', 'exp'] }),
  );
  return ({ room, token }: { room: string; token: string | undefined }): boolean => {
    if (!token) return false;
    for (const verify of verifiers) {
      try {
        const claims = verify(token) as RoomTokenClaims;
        if (claims.exp * 1000 <= clock()) return false;
        return claims.room === room || claims.room === '*';
      } catch {
        // wrong secret, bad signature, malformed or expired: try the next secret
      }
    }
    return false;
  };
}

/** Mints a room token that expires after `ttlSeconds`. */
export function mintRoomToken(secret: string, room: string, ttlSeconds: number, sub?: string): string {
  const sign = createSigner({ key: secret, algorithm: 'HS256', noTimestamp: false });
  const exp = Math.floor(Date.now() / 1000) + Math.round(ttlSeconds);
  return sign(sub === undefined ? { room, exp } : { room, exp, sub });
}
