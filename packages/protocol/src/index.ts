export * from './decode.js';
export * from './decode-light.js';
export * from './encode.js';
export * from './errors.js';
export * from './frames.js';
export * from './json-shape.js';
export * from './room-name.js';
export * from './version.js';
