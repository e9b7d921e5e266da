/** @parley/testing: helpers every package's tests share (never shipped). */
export { FakeClock } from './fake-clock.js';
export { listFiles, randomFile, sha256File } from './files.js';
export { NetnsLab, netnsUnavailable } from './netns.js';
export { freeTcpPort, freeTcpUdpPort, freeUdpPort } from './ports.js';
export { type RunResult, requireBinary, run } from './process.js';
export { startRedis, type TestRedis } from './redis.js';
export { SeededRandom } from './seeded-random.js';
export { type Truthy, until, type WaitOptions, waitUntil } from './until.js';
