import { test } from 'node:test';
import type { Case, Fuzzer } from './driver.js';
import { http } from './http.js';
import { shortRun } from './short-run.js';

test('HTTP: the committed corpus and 4 s of fuzzing leave the server up, answering, bounded', async () => {
  await shortRun(http as unknown as Fuzzer<Case>, 4);
});
