/**
 * @parley/client/files/node: Node's Source and Sink for the transfer engine (files and folders on disk;
 * `.parley-part` files renamed once verified). See docs/files.md.
 */
export { nodeSink, PART_SUFFIX } from './sink.js';
export { mimeOf, nodeSource, nodeSourceFile } from './source.js';

import { createHash } from 'node:crypto';
import type { HashFactory } from '../hash.js';

/** Node's native streaming SHA-256 (OpenSSL), for `SendOptions.hash` and `ReceiveOptions.hash`. */
export const nodeSha256: HashFactory = () => createHash('sha256');
