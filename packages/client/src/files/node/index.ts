/**
 * @parley/client/files/node: Node's Source and Sink for the transfer engine (files and folders on disk;
 * `.parley-part` files renamed once verified). See docs/files.md.
 */
export { nodeSink, PART_SUFFIX } from './sink.js';
export { mimeOf, nodeSource, nodeSourceFile } from './source.js';
