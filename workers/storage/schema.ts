/**
 * The IndexedDB schema of the recording store: database "hindsight".
 *
 * The schema is versioned. {@link MIGRATIONS} holds one step per version:
 * step i takes a database at version i to version i + 1. Opening runs every
 * step from the stored version to {@link SCHEMA_VERSION}, so a browser that
 * last saw version 1 and one that has no database at all both end up with
 * the same schema. A later version appends a step; existing steps are never
 * edited, since browsers in the field have already run them.
 *
 * See docs/storage.md.
 */

import type { DBSchema, IDBPDatabase, IDBPTransaction, StoreNames } from 'idb';

export const DEFAULT_DB_NAME = 'hindsight';

/** Why a recording ended, when it ended normally (the END chunk's reason and exit code). */
export interface RecordingEnded {
  reason: string;
  exitCode?: number;
}

/** Stored sizes of one recording, in bytes. */
export interface RecordingSizes {
  /** The recording file (all log pieces). */
  log: number;
  /** The snapshot image (its length; the image is stored exactly, in chunks). */
  image: number;
  /** The source files: UTF-8 size of their texts. */
  sources: number;
  /** log + image + sources. */
  total: number;
}

/** One row of the `recordings` store: a recording's metadata. */
export interface RecordingInfo {
  id: string;
  /** Display name; the user may rename it. */
  name: string;
  /** The program's name (META's `name` for an imported file). */
  programName: string;
  /** SHA-256 of the program (ELF) bytes, 64 lowercase hex digits. */
  programSha256: string;
  /** When recording started, ISO 8601. */
  createdAt: string;
  /** When anything of the recording was last stored, ISO 8601. */
  updatedAt: string;
  /** Instructions recorded so far (the icount reached), as a decimal string. */
  length: string;
  /** How the run ended, or null while it runs or if it was cut off. */
  ended: RecordingEnded | null;
  /** How many log pieces are stored (they have seq 0 to pieces - 1). */
  pieces: number;
  /** Length in bytes of the snapshot image, or null if none was written. */
  imageLength: number | null;
  sizes: RecordingSizes;
  /**
   * An imported recording: SHA-256 of the file as it was given, 64 lowercase
   * hex digits, so that the same file imported again is recognised. Absent
   * for recordings made in the browser (and for rows stored before it existed).
   */
  fileSha256?: string;
  /** Why saving stopped before the run ended (storage full, ...), when that could be noted (`setInterruption`). */
  interruption?: string;
  /**
   * The user's notes, breakpoints, watchpoints and instant, in the JSON form
   * of the file's `anno` chunk (workers/formats/annotations.ts), checked when
   * read. Kept here rather than in the log, so that they can change; an
   * export writes them as the anno chunk.
   */
  annotations?: Record<string, unknown>;
}

/** One row of `logChunks`: one appended piece of the recording file, byte for byte. */
export interface LogChunkRow {
  recordingId: string;
  seq: number;
  bytes: Uint8Array;
}

/** One row of `imageChunks`: bytes [index * IMAGE_CHUNK_SIZE, ...) of the snapshot image. */
export interface ImageChunkRow {
  recordingId: string;
  index: number;
  /** At most IMAGE_CHUNK_SIZE bytes; bytes of the image past its end (within the image) are zero. */
  bytes: Uint8Array;
}

/** One row of `sources`: a source file of the recorded program. */
export interface SourceRow {
  recordingId: string;
  path: string;
  text: string;
}

export interface HindsightDB extends DBSchema {
  recordings: { key: string; value: RecordingInfo };
  logChunks: { key: [string, number]; value: LogChunkRow };
  imageChunks: { key: [string, number]; value: ImageChunkRow };
  sources: { key: [string, string]; value: SourceRow };
}

export type StoreName = StoreNames<HindsightDB>;

export type UpgradeTransaction = IDBPTransaction<HindsightDB, StoreName[], 'versionchange'>;

/** A schema step: runs inside the upgrade transaction; may create stores and indexes, and migrate rows. */
export type Migration = (db: IDBPDatabase<HindsightDB>, tx: UpgradeTransaction) => void;

export const MIGRATIONS: readonly Migration[] = [
  // Version 1: the four stores. Every per-recording row is keyed by
  // [recordingId, ...], so one key range, [id] to [id, []], covers all the
  // rows of a recording (an array sorts after every number and string).
  (db) => {
    db.createObjectStore('recordings', { keyPath: 'id' });
    db.createObjectStore('logChunks', { keyPath: ['recordingId', 'seq'] });
    db.createObjectStore('imageChunks', { keyPath: ['recordingId', 'index'] });
    db.createObjectStore('sources', { keyPath: ['recordingId', 'path'] });
  },
];

/** The schema version this code creates and understands. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** The `upgradeneeded` handler: runs the steps from `oldVersion` up to `newVersion`. */
export function upgradeSchema(
  db: IDBPDatabase<HindsightDB>,
  oldVersion: number,
  newVersion: number,
  tx: UpgradeTransaction,
  steps: readonly Migration[] = MIGRATIONS,
): void {
  for (let version = oldVersion; version < newVersion; version++) {
    const step = steps[version];
    if (!step) throw new RangeError(`no schema step from version ${version} to ${version + 1}`);
    step(db, tx);
  }
}

/** Every row of one recording in a per-recording store. */
export function recordingRange(id: string): IDBKeyRange {
  return IDBKeyRange.bound([id], [id, []]);
}
