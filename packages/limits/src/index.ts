// @parley/limits: rate limits shared by the signaling and TURN servers. Pure: no I/O, no clock of its own.
export { LruMap } from './lru-map.js';
export { type Bucket, fullBucket, takeToken } from './token-bucket.js';
