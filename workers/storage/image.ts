/**
 * The snapshot image is stored in fixed-size chunks so that a write which
 * changes a few byte ranges rewrites only the chunks those ranges touch.
 * This module is the arithmetic; recording-store.ts does the I/O.
 *
 * A stored chunk holds at most IMAGE_CHUNK_SIZE bytes. The image's bytes
 * that no stored chunk holds (a missing chunk, or past the end of a short
 * one) are zero, so growing an image needs no writes for the new space.
 */

export const IMAGE_CHUNK_SIZE = 64 * 1024;

/** Bytes to write at an offset of the image. */
export interface ImageRange {
  offset: number;
  bytes: Uint8Array;
}

/** What a write does to one chunk. */
export interface ChunkPatch {
  index: number;
  /** The chunk's size in the new image: IMAGE_CHUNK_SIZE, or less for the last chunk. */
  size: number;
  /** Bytes to copy into the chunk, at offsets within it, in the caller's order (later ones win). */
  parts: { at: number; bytes: Uint8Array }[];
  /** The parts cover the whole chunk: its old contents need not be read. */
  covered: boolean;
}

/** Number of chunks of an image of `length` bytes. */
export function chunkCount(length: number): number {
  return Math.ceil(length / IMAGE_CHUNK_SIZE);
}

/** Size of chunk `index` in an image of `length` bytes. */
export function chunkSize(index: number, length: number): number {
  return Math.max(0, Math.min(IMAGE_CHUNK_SIZE, length - index * IMAGE_CHUNK_SIZE));
}

function isLength(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

/** Throws a RangeError unless `ranges` and `totalLength` describe a valid write. */
export function checkImageWrite(ranges: readonly ImageRange[], totalLength: number): void {
  if (!isLength(totalLength)) throw new RangeError(`writeImage: totalLength must be a whole number of bytes, not ${String(totalLength)}`);
  if (!Array.isArray(ranges)) throw new RangeError('writeImage: ranges must be an array');
  ranges.forEach((range, i) => {
    if (typeof range !== 'object' || range === null) throw new RangeError(`writeImage: range ${i} must be an object`);
    if (!isLength(range.offset)) throw new RangeError(`writeImage: range ${i} has an invalid offset ${String(range.offset)}`);
    if (!(range.bytes instanceof Uint8Array)) throw new RangeError(`writeImage: range ${i} bytes must be a Uint8Array`);
    if (range.offset + range.bytes.length > totalLength) {
      throw new RangeError(
        `writeImage: range ${i} (${range.bytes.length} bytes at offset ${range.offset}) runs past the image length ${totalLength}`,
      );
    }
  });
}

/** The chunks a write touches, in index order. Empty ranges touch nothing. */
export function planImageWrite(ranges: readonly ImageRange[], totalLength: number): ChunkPatch[] {
  checkImageWrite(ranges, totalLength);
  const patches = new Map<number, ChunkPatch>();
  for (const { offset, bytes } of ranges) {
    let at = 0;
    while (at < bytes.length) {
      const position = offset + at;
      const index = Math.floor(position / IMAGE_CHUNK_SIZE);
      const within = position - index * IMAGE_CHUNK_SIZE;
      const take = Math.min(bytes.length - at, IMAGE_CHUNK_SIZE - within);
      let patch = patches.get(index);
      if (!patch) {
        patch = { index, size: chunkSize(index, totalLength), parts: [], covered: false };
        patches.set(index, patch);
      }
      patch.parts.push({ at: within, bytes: bytes.subarray(at, at + take) });
      at += take;
    }
  }
  const out = [...patches.values()].sort((a, b) => a.index - b.index);
  for (const patch of out) patch.covered = covers(patch);
  return out;
}

function covers(patch: ChunkPatch): boolean {
  const spans = patch.parts.map((p) => [p.at, p.at + p.bytes.length] as const).sort((a, b) => a[0] - b[0]);
  let reached = 0;
  for (const [start, end] of spans) {
    if (start > reached) return false;
    reached = Math.max(reached, end);
  }
  return reached >= patch.size;
}

/** The new contents of a chunk: its old bytes (cut or zero-padded to the new size) with the parts copied in. */
export function applyPatch(patch: ChunkPatch, old: Uint8Array | undefined): Uint8Array {
  const out = new Uint8Array(patch.size);
  if (old && !patch.covered) out.set(old.length > patch.size ? old.subarray(0, patch.size) : old);
  for (const { at, bytes } of patch.parts) out.set(bytes, at);
  return out;
}

/** Assembles an image of `length` bytes from stored chunks (any order; missing bytes are zero). */
export function assembleImage(chunks: readonly { index: number; bytes: Uint8Array }[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (const { index, bytes } of chunks) {
    const start = index * IMAGE_CHUNK_SIZE;
    if (start >= length) continue;
    const n = Math.min(bytes.length, length - start);
    out.set(n === bytes.length ? bytes : bytes.subarray(0, n), start);
  }
  return out;
}
