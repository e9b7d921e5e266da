// Every published package's declarations, checked with skipLibCheck off (tsconfig.declarations.json): they
// must compile in a consumer's project on their own, with nothing from the repository.
import type * as client from '@parley/client';
import type * as limits from '@parley/limits';
import type * as protocol from '@parley/protocol';
import type * as server from '@parley/server';
import type * as stun from '@parley/stun';
import type * as turn from '@parley/turn';

export type Published = [
  typeof client,
  typeof limits,
  typeof protocol,
  typeof server,
  typeof stun,
  typeof turn,
];
