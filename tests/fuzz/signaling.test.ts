import { test } from 'node:test';
import type { Case, Fuzzer } from './driver.js';
import { shortRun } from './short-run.js';
import { signaling } from './signaling.js';

test('signaling JSON: the committed corpus and 4 s of fuzzing leave the server up, answering, bounded', async () => {
  await shortRun(signaling as unknown as Fuzzer<Case>, 4);
});
