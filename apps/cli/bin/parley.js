#!/usr/bin/env node
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error(
    'parley: the CLI is not built yet. Run `npm run build` in the repository root (npm install does it too).',
  );
  process.exit(1);
}
await import(main.href);
