/**
 * RecordingStore: recordings saved in the browser's IndexedDB (through
 * `idb`). This is the only code that touches IndexedDB; docs/storage.md
 * describes the schema and the guarantees.
 *
 * Every write is one IndexedDB transaction, so it is stored whole or not at
 * all: a write that fails (the quota is used up, the tab is closed, the
 * browser refuses) leaves what was stored before it, and never touches
 * another recording. In particular each `appendLog` commits its own
 * transaction, holding the piece and the updated metadata: the stored log is
 * always a valid recording, at most one piece shorter than what the recorder
 * produced.
 */

import { concatBytes } from '../formats/bytes';
import { wrap, type IDBPDatabase, type IDBPTransaction } from 'idb';
import { parseRecording, type ParsedRecording } from '../formats/recording';
import { sha256Hex } from '../formats/sha256';
import { RecordingNotFoundError, StorageError, StorageFullError, describeError, isQuotaError } from './errors';
import { applyPatch, assembleImage, chunkCount, chunkSize, planImageWrite, IMAGE_CHUNK_SIZE, type ImageRange } from './image';
import { isChunkOfType, pieceProblem, splitIntoPieces, withSnapshot } from './log';
import { annotationsToJson, checkAnnotations, NO_ANNOTATIONS, type Annotations } from '../formats/annotations';
import { isoOrAsIs, newId, tight, time, utf8Length } from './rows';
import { applyProgress, checkId, checkName, checkNewRecording, checkProgress, checkSources, progressOf, type NormalizedProgress } from './checks';
import {
  DEFAULT_DB_NAME,
  SCHEMA_VERSION,
  recordingRange,
  upgradeSchema,
  type HindsightDB,
  type RecordingEnded,
  type RecordingInfo,
  type StoreName,
  type UpgradeTransaction,
} from './schema';

/** What `create` needs to know about a new recording. */
export interface NewRecording {
  name: string;
  programName: string;
  /** SHA-256 of the program, 64 lowercase hex digits; must match the first piece's META. */
  programSha256: string;
  /** When recording started: an ISO 8601 date-time or a Date. */
  createdAt: string | Date;
}

/** How far a recording got. */
export interface RecordingProgress {
  /** Instructions recorded (the icount reached): a bigint, a safe integer or a decimal string. */
  length: bigint | number | string;
  /** How the run ended; null: it has not (or not normally); absent: unchanged. */
  ended?: RecordingEnded | null;
}

export interface StorageUsage {
  /** Bytes each recording occupies (log + image + sources), newest recording first. */
  perRecording: { id: string; bytes: number }[];
  total: number;
  /** The browser's figures for the whole origin (navigator.storage.estimate), when it offers them. */
  estimate?: { usage: number; quota: number };
}

/** The parts of the browser's StorageManager the store uses. */
export interface StorageManagerLike {
  estimate?(): Promise<{ usage?: number; quota?: number }>;
  persist?(): Promise<boolean>;
}

export interface RecordingStoreOptions {
  /** The clock for `updatedAt` (default: the system clock). */
  now?: () => Date;
  /** The StorageManager for usage and persistence (default: navigator.storage, if any; null: none). */
  storage?: StorageManagerLike | null;
}

export interface ExportOptions {
  /**
   * Embed the stored snapshot image as the file's SNAP chunk (before END).
   * Refused if the recording's file already holds a SNAP chunk.
   */
  includeImage?: boolean;
}

export type { RecordingInfo, RecordingEnded, RecordingSizes } from './schema';

type Tx<S extends StoreName[], M extends IDBTransactionMode> = IDBPTransaction<HindsightDB, S, M>;

/** Builds the error for a failed transaction: `full` when the browser reported its quota used up. */
type Failure = (full: boolean, cause: unknown) => StorageError | Promise<StorageError>;


const noop = () => {};

/**
 * Requests issued inside a transaction. Each one's promise gets a handler at
 * once, so that a transaction aborted half-way (and its remaining requests
 * failing with AbortError) produces no unhandled rejection; `all` still
 * reports the first failure.
 */
class Pending {
  private readonly list: Promise<unknown>[] = [];

  add<T>(request: Promise<T>): Promise<T> {
    request.catch(noop);
    this.list.push(request);
    return request;
  }

  async all(): Promise<void> {
    await Promise.all(this.list);
  }
}

export class RecordingStore {
  private closedReason: string | undefined;
  private readonly now: () => Date;
  private readonly storage: StorageManagerLike | undefined;

  private constructor(
    private readonly db: IDBPDatabase<HindsightDB>,
    options: RecordingStoreOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.storage = options.storage === null ? undefined : (options.storage ?? defaultStorageManager());
    // Another tab wants a newer schema: step aside rather than block it.
    db.addEventListener('versionchange', () => {
      this.closedReason =
        'browser storage was closed because another tab opened a newer version of Hindsight; reload this page';
      db.close();
    });
    db.addEventListener('close', () => {
      this.closedReason = 'the browser closed its storage (was site data cleared?); reload this page';
    });
  }

  /**
   * Opens (creating or upgrading as needed) the database `name` of `factory`
   * (default: the global indexedDB).
   */
  static async open(
    name: string = DEFAULT_DB_NAME,
    factory?: IDBFactory,
    options: RecordingStoreOptions = {},
  ): Promise<RecordingStore> {
    const idb = factory ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    if (!idb) {
      throw new StorageError('this browser offers no IndexedDB storage, so recordings cannot be saved (private browsing can turn it off)');
    }
    let request: IDBOpenDBRequest;
    try {
      request = idb.open(name, SCHEMA_VERSION);
    } catch (e) {
      throw new StorageError(`could not open browser storage (${describeError(e)})`, { cause: e });
    }
    request.addEventListener('upgradeneeded', (event) => {
      const tx = request.transaction;
      if (!tx) return;
      const upgrade = wrap(tx) as unknown as UpgradeTransaction;
      upgrade.done.catch(noop); // a failed upgrade is reported by the open request
      upgradeSchema(wrap(request.result) as unknown as IDBPDatabase<HindsightDB>, event.oldVersion, event.newVersion ?? SCHEMA_VERSION, upgrade);
    });
    let db: IDBPDatabase<HindsightDB>;
    try {
      db = (await wrap(request)) as unknown as IDBPDatabase<HindsightDB>;
    } catch (e) {
      const cause = request.error ?? e;
      if ((cause as { name?: unknown } | null)?.name === 'VersionError') {
        throw new StorageError(
          `the saved recordings were written by a newer version of Hindsight (storage schema newer than version ${SCHEMA_VERSION}); reload to use it`,
          { cause },
        );
      }
      throw new StorageError(`could not open browser storage (${describeError(cause)})`, { cause });
    }
    return new RecordingStore(db, options);
  }

  /** Closes the connection; later calls fail. */
  close(): void {
    this.closedReason ??= 'the recording store was closed';
    this.db.close();
  }

  // -------------------------------------------------------------------------
  // Writing a recording
  // -------------------------------------------------------------------------

  /**
   * Stores a new recording: its metadata and its first log piece (the
   * header, META and PROG: `RecordingWriter.start`). Returns its id.
   */
  async create(recording: NewRecording, firstPiece: Uint8Array): Promise<string> {
    const fields = checkNewRecording(recording);
    if (!(firstPiece instanceof Uint8Array)) throw new RangeError('create: firstPiece must be a Uint8Array');
    let parsed: ParsedRecording;
    try {
      parsed = parseRecording(firstPiece);
    } catch (e) {
      throw new RangeError(`create: the first piece is not the start of a recording: ${describeError(e)}`);
    }
    if (parsed.truncation !== undefined) throw new RangeError(`create: the first piece is cut off: ${parsed.truncation}`);
    if (parsed.meta.programSha256 !== fields.programSha256) {
      throw new RangeError(
        `create: programSha256 is ${fields.programSha256} but the first piece's META says ${parsed.meta.programSha256}`,
      );
    }
    return (await this.insert(parsed.id, fields, [firstPiece], progressOf(parsed), 'the recording could not be started; nothing was stored')).id;
  }

  /**
   * Appends one piece of the recording file (one or more complete chunks, as
   * RecordingWriter produces them) and, if given, the progress it brings, in
   * one transaction: both are stored, or (on failure) neither.
   */
  async appendLog(id: string, piece: Uint8Array, progress?: RecordingProgress): Promise<void> {
    checkId(id, 'appendLog');
    if (!(piece instanceof Uint8Array)) throw new RangeError('appendLog: the piece must be a Uint8Array');
    const problem = pieceProblem(piece);
    if (problem) throw new RangeError(`appendLog: ${problem}`);
    const update = progress === undefined ? undefined : checkProgress(progress, 'appendLog');
    await this.run(['recordings', 'logChunks'], 'readwrite', (full, cause) => this.stopped(id, full, cause), async (tx, pending) => {
      const recordings = tx.objectStore('recordings');
      const info = await recordings.get(id);
      if (!info) throw new RecordingNotFoundError(id);
      pending.add(tx.objectStore('logChunks').put({ recordingId: id, seq: info.pieces, bytes: tight(piece) }));
      info.pieces += 1;
      info.sizes.log += piece.length;
      if (update) applyProgress(info, update);
      pending.add(recordings.put(this.touch(info)));
      await pending.all();
    });
  }

  /** Records how far the recording got (its length in instructions, and how it ended). */
  async setProgress(id: string, progress: RecordingProgress): Promise<void> {
    checkId(id, 'setProgress');
    const update = checkProgress(progress, 'setProgress');
    await this.update(id, (full, cause) => this.stopped(id, full, cause), (info) => applyProgress(info, update));
  }

  /**
   * Writes byte ranges of the recording's snapshot image, whose length becomes
   * `totalLength`. Only the 64 KiB chunks the ranges touch are rewritten
   * (plus, when the image shrinks, the one its new end falls in). Bytes no
   * write ever covered read as zero. All or nothing.
   */
  async writeImage(id: string, ranges: ImageRange[], totalLength: number): Promise<void> {
    checkId(id, 'writeImage');
    const patches = planImageWrite(ranges, totalLength);
    const failure = failureOf('the snapshot image was not updated and keeps its previous contents');
    await this.run(['recordings', 'imageChunks'], 'readwrite', failure, async (tx, pending) => {
      const recordings = tx.objectStore('recordings');
      const chunks = tx.objectStore('imageChunks');
      const info = await recordings.get(id);
      if (!info) throw new RecordingNotFoundError(id);
      const oldLength = info.imageLength ?? 0;
      const olds = await Promise.all(
        patches.map((patch) => (patch.covered || patch.index >= chunkCount(oldLength) ? undefined : pending.add(chunks.get([id, patch.index])))),
      );
      patches.forEach((patch, i) => {
        pending.add(chunks.put({ recordingId: id, index: patch.index, bytes: applyPatch(patch, olds[i]?.bytes) }));
      });
      if (totalLength < oldLength) {
        // Shrinking: drop the chunks past the new end, and cut the one it falls
        // in, so that growing again later reads zeros there, not old bytes.
        const keep = chunkCount(totalLength);
        pending.add(chunks.delete(IDBKeyRange.bound([id, keep], [id, []])));
        const last = keep - 1;
        const size = chunkSize(last, totalLength);
        if (size > 0 && size < IMAGE_CHUNK_SIZE && !patches.some((p) => p.index === last)) {
          const old = await pending.add(chunks.get([id, last]));
          if (old && old.bytes.length > size) pending.add(chunks.put({ ...old, bytes: old.bytes.slice(0, size) }));
        }
      }
      info.imageLength = totalLength;
      info.sizes.image = totalLength;
      pending.add(recordings.put(this.touch(info)));
      await pending.all();
    });
  }

  /** The snapshot image, or undefined if the recording has none (or does not exist). */
  async readImage(id: string): Promise<Uint8Array | undefined> {
    checkId(id, 'readImage');
    return this.run(['recordings', 'imageChunks'], 'readonly', failureOf('the snapshot image could not be read'), async (tx) => {
      const info = await tx.objectStore('recordings').get(id);
      if (!info || info.imageLength === null) return undefined;
      const chunks = await tx.objectStore('imageChunks').getAll(recordingRange(id));
      return assembleImage(chunks, info.imageLength);
    });
  }

  /** Replaces the recording's source files (path → text) with `files`. All or nothing. */
  async putSources(id: string, files: Record<string, string>): Promise<void> {
    checkId(id, 'putSources');
    const entries = checkSources(files);
    const failure = failureOf('the source files were not saved; the previous ones are kept');
    await this.run(['recordings', 'sources'], 'readwrite', failure, async (tx, pending) => {
      const recordings = tx.objectStore('recordings');
      const sources = tx.objectStore('sources');
      const info = await recordings.get(id);
      if (!info) throw new RecordingNotFoundError(id);
      pending.add(sources.delete(recordingRange(id)));
      let bytes = 0;
      for (const [path, text] of entries) {
        pending.add(sources.put({ recordingId: id, path, text }));
        bytes += utf8Length(text);
      }
      info.sizes.sources = bytes;
      pending.add(recordings.put(this.touch(info)));
      await pending.all();
    });
  }

  /** The recording's source files (path → text): empty if none were saved, undefined if the recording does not exist. */
  async getSources(id: string): Promise<Record<string, string> | undefined> {
    checkId(id, 'getSources');
    return this.run(['recordings', 'sources'], 'readonly', failureOf('the source files could not be read'), async (tx) => {
      if ((await tx.objectStore('recordings').getKey(id)) === undefined) return undefined;
      const rows = await tx.objectStore('sources').getAll(recordingRange(id));
      return Object.fromEntries(rows.map((row) => [row.path, row.text]));
    });
  }

  // -------------------------------------------------------------------------
  // The list of recordings
  // -------------------------------------------------------------------------

  /** Every recording's metadata, newest (by createdAt) first. */
  async list(): Promise<RecordingInfo[]> {
    const all = await this.run(['recordings'], 'readonly', failureOf('the list of recordings could not be read'), (tx) =>
      tx.objectStore('recordings').getAll(),
    );
    return all.sort(
      (a, b) => time(b.createdAt) - time(a.createdAt) || time(b.updatedAt) - time(a.updatedAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
  }

  /** One recording's metadata, or undefined. */
  async get(id: string): Promise<RecordingInfo | undefined> {
    checkId(id, 'get');
    return this.run(['recordings'], 'readonly', failureOf('the recording could not be read'), (tx) => tx.objectStore('recordings').get(id));
  }

  async rename(id: string, newName: string): Promise<void> {
    checkId(id, 'rename');
    const name = checkName(newName, 'rename');
    await this.update(id, failureOf('the recording was not renamed'), (info) => {
      info.name = name;
    });
  }

  /**
   * Notes why the stored recording stops short of the run (saving failed:
   * the storage is full, the browser refused). Only the metadata is
   * written, so it may succeed where a piece did not; if it fails too, the
   * recording reads as interrupted without a reason (a closed tab).
   */
  async setInterruption(id: string, reason: string): Promise<void> {
    checkId(id, 'setInterruption');
    if (typeof reason !== 'string' || reason.length === 0) throw new RangeError('setInterruption: the reason must be a non-empty string');
    await this.update(id, failureOf('the reason the recording stopped was not saved'), (info) => {
      info.interruption = reason;
    });
  }

  /** Deletes the recording and all its rows, in one transaction. Returns whether it existed. */
  async delete(id: string): Promise<boolean> {
    checkId(id, 'delete');
    const stores: StoreName[] = ['recordings', 'logChunks', 'imageChunks', 'sources'];
    return this.run(stores, 'readwrite', failureOf('the recording was not deleted'), async (tx, pending) => {
      const existed = (await tx.objectStore('recordings').getKey(id)) !== undefined;
      pending.add(tx.objectStore('recordings').delete(id));
      pending.add(tx.objectStore('logChunks').delete(recordingRange(id)));
      pending.add(tx.objectStore('imageChunks').delete(recordingRange(id)));
      pending.add(tx.objectStore('sources').delete(recordingRange(id)));
      await pending.all();
      return existed;
    });
  }

  // -------------------------------------------------------------------------
  // Files
  // -------------------------------------------------------------------------

  /**
   * The recording as a .hsr file: its log pieces concatenated, byte for byte.
   * With `includeImage`, the stored snapshot image (if any) is added as the
   * SNAP chunk. Source files have no place in the format; see getSources.
   */
  async exportFile(id: string, options: ExportOptions = {}): Promise<Uint8Array> {
    checkId(id, 'exportFile');
    const stores: StoreName[] = ['recordings', 'logChunks', 'imageChunks'];
    const { info, pieces, image } = await this.run(stores, 'readonly', failureOf('the recording could not be read'), async (tx) => {
      const info = await tx.objectStore('recordings').get(id);
      if (!info) throw new RecordingNotFoundError(id);
      const pieces = await tx.objectStore('logChunks').getAll(recordingRange(id));
      const image =
        options.includeImage && info.imageLength !== null
          ? assembleImage(await tx.objectStore('imageChunks').getAll(recordingRange(id)), info.imageLength)
          : undefined;
      return { info, pieces, image };
    });
    if (pieces.length !== info.pieces || pieces.some((row, i) => row.seq !== i)) {
      throw new StorageError(
        `the stored recording ${JSON.stringify(info.name)} is damaged: ${info.pieces} pieces of its file were saved but ${pieces.length} are present`,
      );
    }
    const log = concatBytes(pieces.map((row) => row.bytes));
    return image ? withSnapshot(log, image) : log;
  }

  /**
   * Stores a recording file. The codec reads it first: a file it refuses
   * (bad checksum, newer version, program hash mismatch, ...) is refused
   * with its RecordingError, unchanged, and nothing is stored. A cut-off
   * file is stored up to its last complete chunk, as the codec reads it.
   * Returns the new recording's id; a file already imported (the same bytes,
   * by SHA-256) is not stored again: the stored recording's id is returned
   * (`importFileOnce` says which happened).
   */
  async importFile(bytes: Uint8Array, name?: string): Promise<string> {
    return (await this.importFileOnce(bytes, name)).id;
  }

  /** `importFile`, saying whether the file was already stored (`existing`: nothing was written). */
  async importFileOnce(bytes: Uint8Array, name?: string): Promise<{ id: string; existing: boolean }> {
    if (!(bytes instanceof Uint8Array)) throw new RangeError('importFile: bytes must be a Uint8Array');
    const displayName = name === undefined ? undefined : checkName(name, 'importFile');
    const parsed = parseRecording(bytes);
    const fileSha256 = sha256Hex(bytes);
    const fields = {
      name: displayName ?? (parsed.meta.name || 'recording'),
      programName: parsed.meta.name,
      programSha256: parsed.meta.programSha256,
      createdAt: isoOrAsIs(parsed.meta.createdAt),
      fileSha256,
    };
    // The anno chunk is kept in the row (it changes as the user works), not in the log.
    const pieces = splitIntoPieces(bytes, parsed.validLength).filter((piece) => !isChunkOfType(piece, 'anno'));
    const annotations = parsed.annotations ? annotationsToJson(parsed.annotations) : undefined;
    return this.insert(parsed.id, { ...fields, ...(annotations ? { annotations } : {}) }, pieces, progressOf(parsed),
      'the recording was not imported; nothing was stored');
  }

  /** The notes, breakpoints, watchpoints and instant saved with a recording (none if it has none, or if they are unreadable). */
  async getAnnotations(id: string): Promise<Annotations> {
    const info = await this.get(id);
    if (!info) throw new RecordingNotFoundError(id);
    if (!info.annotations) return NO_ANNOTATIONS;
    try {
      return checkAnnotations(info.annotations);
    } catch {
      return NO_ANNOTATIONS;
    }
  }

  /** Saves a recording's annotations (replacing what was saved). */
  async setAnnotations(id: string, annotations: Annotations): Promise<void> {
    checkId(id, 'setAnnotations');
    const json = annotationsToJson(annotations);
    checkAnnotations(json);
    await this.update(id, failureOf('the notes, breakpoints and watchpoints were not saved'), (info) => {
      info.annotations = json;
    });
  }

  /** The stored recording imported from a file with this SHA-256, if any. */
  async findByFileSha256(fileSha256: string): Promise<RecordingInfo | undefined> {
    return (await this.list()).find((info) => info.fileSha256 === fileSha256);
  }

  // -------------------------------------------------------------------------
  // Space
  // -------------------------------------------------------------------------

  async usage(): Promise<StorageUsage> {
    const perRecording = (await this.list()).map((info) => ({ id: info.id, bytes: info.sizes.total }));
    const total = perRecording.reduce((n, r) => n + r.bytes, 0);
    let estimate: StorageUsage['estimate'];
    if (this.storage?.estimate) {
      try {
        const e = await this.storage.estimate();
        if (typeof e.usage === 'number' && typeof e.quota === 'number') estimate = { usage: e.usage, quota: e.quota };
      } catch {
        // The browser's estimate is a nicety; the per-recording figures stand without it.
      }
    }
    return estimate ? { perRecording, total, estimate } : { perRecording, total };
  }

  /**
   * Asks the browser not to evict this site's storage under pressure.
   * Returns whether it agreed, or undefined if the browser has no such request.
   */
  async requestPersistence(): Promise<boolean | undefined> {
    if (!this.storage?.persist) return undefined;
    try {
      return await this.storage.persist();
    } catch {
      return false;
    }
  }

  // -------------------------------------------------------------------------
  // Internals
  // -------------------------------------------------------------------------

  private touch(info: RecordingInfo): RecordingInfo {
    info.updatedAt = this.now().toISOString();
    info.sizes.total = info.sizes.log + info.sizes.image + info.sizes.sources;
    return info;
  }

  /**
   * Stores a new recording under its content id (ParsedRecording.id). A file
   * of a recording already stored (the same id) is not stored twice: if it
   * holds more of the run than the stored copy, it replaces the stored log
   * (the snapshots and sources, of the same run, stay); otherwise the stored
   * copy stays, taking the file's annotations if it brings any.
   */
  private async insert(
    contentId: string,
    fields: Pick<RecordingInfo, 'name' | 'programName' | 'programSha256' | 'createdAt' | 'fileSha256' | 'annotations'>,
    pieces: Uint8Array[],
    progress: Required<NormalizedProgress>,
    whenFailed: string,
  ): Promise<{ id: string; existing: boolean }> {
    let id = contentId;
    const log = pieces.reduce((n, p) => n + p.length, 0);
    const info: RecordingInfo = {
      id,
      ...fields,
      updatedAt: '',
      length: progress.length,
      ended: progress.ended,
      pieces: pieces.length,
      imageLength: null,
      sizes: { log, image: 0, sources: 0, total: 0 },
    };
    return this.run(['recordings', 'logChunks'], 'readwrite', failureOf(whenFailed), async (tx, pending) => {
      const recordings = tx.objectStore('recordings');
      const logChunks = tx.objectStore('logChunks');
      const imported = fields.fileSha256 !== undefined;
      if (imported) {
        // In the same transaction as the write: two imports of one file at once still store it once.
        for (const row of await recordings.getAll()) {
          if (row.fileSha256 === fields.fileSha256) return { id: row.id, existing: true };
        }
      }
      const stored = await recordings.get(contentId);
      if (stored && !imported) {
        // A second recording started from the same META (the same program at the same millisecond): a fresh id.
        info.id = id = newId();
      } else if (stored) {
        if (BigInt(stored.length) >= BigInt(progress.length)) {
          if (fields.annotations) pending.add(recordings.put(this.touch({ ...stored, annotations: fields.annotations })));
          await pending.all();
          return { id: contentId, existing: true };
        }
        pending.add(logChunks.delete(recordingRange(contentId)));
        info.imageLength = stored.imageLength;
        info.sizes = { ...stored.sizes, log };
        info.name = stored.name;
        if (!fields.annotations && stored.annotations) info.annotations = stored.annotations;
        pending.add(recordings.put(this.touch(info)));
        pieces.forEach((piece, seq) => pending.add(logChunks.put({ recordingId: id, seq, bytes: tight(piece) })));
        await pending.all();
        return { id, existing: true };
      }
      pending.add(recordings.add(this.touch(info)));
      pieces.forEach((piece, seq) => pending.add(logChunks.put({ recordingId: id, seq, bytes: tight(piece) })));
      await pending.all();
      return { id, existing: false };
    });
  }

  /** Read-modify-write of one recording's metadata. */
  private async update(id: string, failure: Failure, change: (info: RecordingInfo) => void): Promise<void> {
    await this.run(['recordings'], 'readwrite', failure, async (tx) => {
      const recordings = tx.objectStore('recordings');
      const info = await recordings.get(id);
      if (!info) throw new RecordingNotFoundError(id);
      change(info);
      await recordings.put(this.touch(info));
    });
  }

  /** The error for a failed write to a recording in progress: says where the stored recording stops. */
  private async stopped(id: string, full: boolean, cause: unknown): Promise<StorageError> {
    let at = 'its last saved point';
    try {
      const info = await this.get(id);
      if (info) at = `icount ${info.length}`;
    } catch {
      // Keep the vaguer wording.
    }
    return full
      ? new StorageFullError(`browser storage is full: the recording was stopped at ${at} and keeps everything written before`, { cause })
      : new StorageError(
          `browser storage failed (${describeError(cause)}): the recording was stopped at ${at} and keeps everything written before`,
          { cause },
        );
  }

  /**
   * Runs `body` in one transaction. If anything fails, the transaction is
   * aborted (so none of its writes is stored) before the error is thrown:
   * the store's own errors (a missing recording, bad arguments) as they are,
   * the browser's as a StorageError (StorageFullError for the quota) built
   * by `failure`.
   */
  private async run<S extends StoreName[], M extends IDBTransactionMode, T>(
    stores: S,
    mode: M,
    failure: Failure,
    body: (tx: Tx<S, M>, pending: Pending) => Promise<T>,
  ): Promise<T> {
    let tx: Tx<S, M>;
    try {
      tx = this.db.transaction(stores, mode);
    } catch (e) {
      throw this.closedReason ? new StorageError(this.closedReason, { cause: e }) : await failure(isQuotaError(e), e);
    }
    const done = tx.done;
    done.catch(noop);
    try {
      const result = await body(tx, new Pending());
      await done;
      return result;
    } catch (e) {
      try {
        tx.abort();
      } catch {
        // Already finished (committed or aborted by the browser).
      }
      await done.catch(noop);
      if (e instanceof StorageError || e instanceof RangeError) throw e;
      if (this.closedReason) throw new StorageError(this.closedReason, { cause: e });
      const txError = (tx as unknown as { error?: unknown }).error;
      const full = isQuotaError(e) || isQuotaError(txError);
      throw await failure(full, full && !isQuotaError(e) ? txError : e);
    }
  }
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

function failureOf(whenFailed: string): Failure {
  return (full, cause) =>
    full
      ? new StorageFullError(`browser storage is full: ${whenFailed}`, { cause })
      : new StorageError(`browser storage failed (${describeError(cause)}): ${whenFailed}`, { cause });
}

function defaultStorageManager(): StorageManagerLike | undefined {
  const nav = (globalThis as { navigator?: { storage?: StorageManagerLike } }).navigator;
  return nav?.storage ?? undefined;
}
