/** Recordings saved in the browser (IndexedDB). See docs/storage.md. */

export {
  RecordingStore,
  type ExportOptions,
  type NewRecording,
  type RecordingProgress,
  type RecordingStoreOptions,
  type StorageManagerLike,
  type StorageUsage,
} from './recording-store';
export { RecordingNotFoundError, StorageError, StorageFullError } from './errors';
export { IMAGE_CHUNK_SIZE, type ImageRange } from './image';
export {
  DEFAULT_DB_NAME,
  SCHEMA_VERSION,
  type RecordingEnded,
  type RecordingInfo,
  type RecordingSizes,
} from './schema';
