import { test } from 'node:test';
import { shortRun } from './short-run.js';
import { turnTcp, turnTls } from './turn.js';

test('TURN over TCP: corpus and 3 s of fuzzing leave the server up, answering, bounded', async () => {
  await shortRun(turnTcp, 3);
});

test('TURN over TLS (self-signed certificate made now): corpus and 3 s of fuzzing, the same', async () => {
  await shortRun(turnTls, 3);
});
