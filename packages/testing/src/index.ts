/** @parley/testing: helpers every package's tests share (never shipped). */
export { FakeClock } from './fake-clock.js';
export { until } from './until.js';
