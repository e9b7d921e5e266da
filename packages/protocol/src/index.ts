export * from './decode.js';
export * from './errors.js';
export * from './frames.js';
export * from './version.js';
