import { test } from 'node:test';
import type { Case, Fuzzer } from './driver.js';
import { shortRun } from './short-run.js';
import { wsBytes } from './ws-bytes.js';

test('WebSocket bytes: the committed corpus and 4 s of fuzzing leave the server up, answering, bounded', async () => {
  await shortRun(wsBytes as unknown as Fuzzer<Case>, 4);
});
