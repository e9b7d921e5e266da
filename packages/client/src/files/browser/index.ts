/**
 * @parley/client/files/browser: the browser's Sources and Sinks for the transfer engine (docs/files.md):
 * Files and dropped folder trees; staging in the Origin Private File System (resumable after a reload),
 * a streamed download through a service worker, a folder the user picked, and a bounded in-memory last
 * resort; saving a verified file where the user says.
 */
export { DOWNLOAD_PATH, downloadSink, registerDownloadWorker } from './download.js';
export {
  listStaged,
  opfsAvailable,
  opfsSink,
  STAGING_DIR,
  type StagedFile,
  type StagedState,
  stagedFile,
  sweepStaged,
} from './opfs.js';
export {
  folderSink,
  MEMORY_LIMIT,
  type MemoryFile,
  memorySink,
  pickFolder,
  type SaveCapabilities,
  saveAs,
  saveCapabilities,
  saveToFolder,
} from './save.js';
export { browserSourceFile, droppedSource, fileListSource, relativePath } from './source.js';
