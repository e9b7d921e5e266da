import type { DecodedStunMessage } from '@parley/stun';
import type { ClientAddress, Now } from './types.js';

/** A request as the step functions see it. */
export interface Request {
  readonly msg: DecodedStunMessage;
  readonly client: ClientAddress;
  readonly now: Now;
}

/** A request whose MESSAGE-INTEGRITY verified under `key`. */
export interface AuthedRequest extends Request {
  readonly username: string;
  readonly user: string;
  readonly key: Uint8Array;
}
