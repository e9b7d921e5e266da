/**
 * `@parley/protocol/client`: what the SDK needs from the protocol, without the TypeBox schemas: the light
 * decoder of server frames, error and close codes, version negotiation, the room-name rule, and the
 * frame types (types only, erased at build). A browser bundle that imports only this carries no TypeBox.
 */
export * from './decode-light.js';
export * from './errors.js';
export type * from './frames.js';
export * from './room-name.js';
export * from './version.js';
