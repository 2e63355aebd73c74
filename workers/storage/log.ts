/**
 * Chunk-level views of recording-file bytes (see docs/recording-format.md):
 * the framing check for appended pieces, the split of an imported file into
 * pieces, and where a SNAP chunk goes on export. Content (META, events, END)
 * is the codec's business: workers/formats/recording.ts.
 */

import { crc32 } from '../formats/crc32';
import { concatBytes } from '../formats/bytes';
import { RecordingWriter } from '../formats/recording';
import { StorageError } from './errors';

const HEADER_SIZE = 16;
const CHUNK_OVERHEAD = 12; // type, length, CRC-32

export interface ChunkSpan {
  type: string;
  /** File offset of the chunk. */
  offset: number;
  /** The whole chunk: header, payload and CRC. */
  size: number;
}

function typeAt(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
}

/**
 * Why `piece` is not a whole number of complete, checksummed chunks that may
 * follow PROG, or undefined if it is. A stored log built from such pieces is
 * framed correctly whatever was cut off after it.
 */
export function pieceProblem(piece: Uint8Array): string | undefined {
  if (piece.length === 0) return 'a piece holds at least one chunk; this one is empty';
  const view = new DataView(piece.buffer, piece.byteOffset, piece.byteLength);
  let at = 0;
  while (at < piece.length) {
    const left = piece.length - at;
    if (left < CHUNK_OVERHEAD) return `the last ${left} bytes (at offset ${at}) are not a complete chunk`;
    const length = view.getUint32(at + 4, true);
    if (CHUNK_OVERHEAD + length > left) {
      return `the chunk at offset ${at} is cut off: ${left} of ${CHUNK_OVERHEAD + length} bytes present`;
    }
    const type = typeAt(piece, at);
    if (type === 'META' || type === 'PROG') return `a ${type} chunk (at offset ${at}) can only start a recording`;
    const crcAt = at + 8 + length;
    if (view.getUint32(crcAt, true) !== crc32(piece.subarray(at, crcAt))) {
      return `the chunk at offset ${at} fails its checksum`;
    }
    at = crcAt + 4;
  }
  return undefined;
}

/** Whether `piece` is exactly one chunk of this type. */
export function isChunkOfType(piece: Uint8Array, type: string): boolean {
  return piece.length >= CHUNK_OVERHEAD && typeAt(piece, 0) === type && piece.length === CHUNK_OVERHEAD + new DataView(piece.buffer, piece.byteOffset).getUint32(4, true);
}

/** The chunks of `bytes[0, end)`, which must be correctly framed (a parsed recording's valid part). */
export function chunkSpans(bytes: Uint8Array, end = bytes.length): ChunkSpan[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const spans: ChunkSpan[] = [];
  let at = HEADER_SIZE;
  while (at + CHUNK_OVERHEAD <= end) {
    const size = CHUNK_OVERHEAD + view.getUint32(at + 4, true);
    if (at + size > end) break;
    spans.push({ type: typeAt(bytes, at), offset: at, size });
    at += size;
  }
  return spans;
}

/**
 * Splits the valid part of a recording file into the pieces a recorder would
 * have appended: header + META + PROG, then one piece per chunk. The pieces
 * are views into `bytes`.
 */
export function splitIntoPieces(bytes: Uint8Array, validLength: number): Uint8Array[] {
  const spans = chunkSpans(bytes, validLength);
  if (spans.length < 2) throw new RangeError('a recording starts with META and PROG chunks');
  const startEnd = spans[1].offset + spans[1].size;
  const pieces = [bytes.subarray(0, startEnd)];
  for (const span of spans.slice(2)) pieces.push(bytes.subarray(span.offset, span.offset + span.size));
  return pieces;
}

/** The log with the image added as its SNAP chunk, before END if there is one. */
export function withSnapshot(log: Uint8Array, image: Uint8Array): Uint8Array {
  const spans = chunkSpans(log);
  if (spans.some((span) => span.type === 'SNAP')) {
    throw new StorageError('this recording file already holds a snapshot (SNAP chunk), so its stored image cannot be embedded as well');
  }
  const end = spans.find((span) => span.type === 'END ');
  const at = end ? end.offset : log.length;
  return concatBytes([log.subarray(0, at), RecordingWriter.snapshot(image), log.subarray(at)]);
}
