// The wire protocol as one JSON Schema (draft 2020-12), generated from the TypeBox definitions in
// ../src/frames.ts, for clients written in other languages. The committed copy is docs/protocol-v1.schema.json;
// json-schema.test.ts fails when it is stale. Regenerate: npm run schema
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  CLIENT_FRAMES,
  CLOSE_CODES,
  ERROR_CODES,
  MAX_JSON_DEPTH,
  PROTOCOL_VERSION,
  SERVER_FRAMES,
  subprotocol,
} from '@parley/protocol';

export const SCHEMA_PATH = fileURLToPath(
  new URL(`../../../docs/protocol-v${PROTOCOL_VERSION}.schema.json`, import.meta.url),
);

const defName = (side: 'client' | 'server', type: string) => `${side}-${type}`;

/** TypeBox schemas are JSON Schema already; a JSON round trip drops TypeBox's symbol-keyed markers. */
function plain(schema: unknown): unknown {
  return JSON.parse(JSON.stringify(schema));
}

function frames(side: 'client' | 'server', map: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(map).map(([type, s]) => [defName(side, type), plain(s)]));
}

export function protocolJsonSchema(): Record<string, unknown> {
  const union = (side: 'client' | 'server', map: Record<string, unknown>) => ({
    oneOf: Object.keys(map).map((type) => ({ $ref: `#/$defs/${defName(side, type)}` })),
  });
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: `Parley signaling protocol v${PROTOCOL_VERSION}`,
    description:
      `Generated from packages/protocol/src/frames.ts (npm run schema); docs/protocol.md describes each frame. ` +
      `Signaling is JSON over one WebSocket with the subprotocol ${subprotocol(PROTOCOL_VERSION)}; every text ` +
      'message is one frame, a JSON object whose `type` names it. A frame is either a client frame ' +
      '(#/$defs/ClientFrame, sent to the server) or a server frame (#/$defs/ServerFrame). Beyond this schema ' +
      `the server refuses a client frame with a duplicate key, nested deeper than ${MAX_JSON_DEPTH} levels, or ` +
      'larger than its size limit (64 KiB by default).',
    oneOf: [{ $ref: '#/$defs/ClientFrame' }, { $ref: '#/$defs/ServerFrame' }],
    $defs: {
      ClientFrame: union('client', CLIENT_FRAMES),
      ServerFrame: union('server', SERVER_FRAMES),
      ...frames('client', CLIENT_FRAMES),
      ...frames('server', SERVER_FRAMES),
      ErrorCode: {
        description: 'The `code` of an `error` frame this version of the server sends.',
        enum: Object.keys(ERROR_CODES),
      },
      CloseCode: {
        description: 'WebSocket close codes the server uses: 4xxx are Parley’s own (see docs/protocol.md).',
        enum: [...new Set(Object.values(CLOSE_CODES))],
      },
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(SCHEMA_PATH, `${JSON.stringify(protocolJsonSchema(), null, 2)}\n`);
  // In the repository's JSON style, so that `biome check` passes; the test compares the parsed content.
  spawnSync('npx', ['--no-install', 'biome', 'format', '--write', SCHEMA_PATH], { stdio: 'inherit' });
  console.log(`wrote ${SCHEMA_PATH}`);
}
