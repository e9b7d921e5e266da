import { test } from 'node:test';
import { shortRun } from './short-run.js';
import { turnUdp, turnUdpDgram } from './turn.js';

test('TURN over UDP, native data path: corpus and 3 s of fuzzing leave the server up, answering, bounded', async () => {
  await shortRun(turnUdp, 3);
});

test('TURN over UDP, node:dgram (PARLEY_TURN_NATIVE=0): corpus and 3 s of fuzzing, the same', async () => {
  await shortRun(turnUdpDgram, 3);
});
