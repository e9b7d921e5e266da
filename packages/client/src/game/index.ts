/**
 * @parley/client/game: real-time game state over a Parley room (docs/games.md). A subpath of its own, so
 * the core SDK's browser bundle does not carry it.
 */
export { type ClockSample, ClockSync, clockSample } from './clock.js';
export {
  createGame,
  EVENTS_LABEL,
  Game,
  type GameClock,
  type GameEvents,
  type GameOptions,
  type LaneStats,
  type Player,
  type PlayerInfo,
  STATE_LABEL,
  type Topology,
} from './game.js';
export { lerpNumbers, StateBuffer } from './interpolate.js';
export { type PacerOptions, SendPacer } from './pacer.js';
export { type Fields, type FieldType, type Schema, schema, type ValueOf } from './schema.js';
export { decodeFrame, MAX_FRAME, playerTag } from './wire.js';
