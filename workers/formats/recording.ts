/**
 * The recording file format (.hsr): a program, its machine configuration and
 * every non-deterministic input it received, so that a run can be replayed
 * exactly. See docs/recording-format.md for the specification.
 *
 * This is a pure codec. It does no I/O and uses no Node APIs, so it runs in
 * the browser and in Node alike.
 *
 * Writing is incremental: {@link RecordingWriter} returns the bytes of each
 * piece (header + META + PROG, then EVTS chunks, an optional SNAP chunk, and
 * finally END) for the caller to append to a file as the program runs.
 *
 * Reading ({@link parseRecording}) accepts untrusted bytes. A file that was
 * cut off (the recorder crashed, the tab was closed) is read up to its last
 * complete chunk. Anything else wrong with the input is reported as a
 * {@link RecordingError} carrying the file offset of the problem; no other
 * exception type escapes `parseRecording`, whatever bytes it is given.
 */

import { concatBytes } from './bytes';
import { crc32 } from './crc32';
import { sha256Hex } from './sha256';
import { decodeAnnotations, encodeAnnotations, type Annotations } from './annotations';

export { sha256Hex } from './sha256';
export type { Annotations } from './annotations';

// ---------------------------------------------------------------------------
// Public types and constants
// ---------------------------------------------------------------------------

/** "HSREC\r\n\x1a": the first eight bytes of every recording. */
export const RECORDING_MAGIC: Uint8Array = new Uint8Array([0x48, 0x53, 0x52, 0x45, 0x43, 0x0d, 0x0a, 0x1a]);

/**
 * The format version this code writes, and the newest it reads. Version 4:
 * a machine of several harts (META harts); a one-hart recording is still
 * written as version 3, which older readers replay. Version 3: the
 * board has the PLIC, UART interrupts and virtio-mmio (board revision 2), and
 * a recording may carry the machine's disk image (a DISK chunk). Version 2:
 * the board before them (revision 1), replayed on that board. Version 1
 * recordings (RV64IMAC, digests over x0..x31 only) are refused with a message
 * that says so.
 */
export const RECORDING_VERSION = 4;
/** The version a recording of this machine is written in: 4 only when it needs it (several harts). */
export function recordingVersionFor(meta: { harts?: HartsConfig }): number {
  return meta.harts !== undefined && meta.harts.count > 1 ? 4 : 3;
}
/** Up to 8 harts, scheduled in turn in quanta (workers/core/harts.ts). */
export const MAX_HARTS = 8;
export const MAX_QUANTUM = 1_000_000_000;

/** The board revision (workers/core/state.ts) a recording of this format version was made on. */
export function boardRevisionOf(version: number): 1 | 2 {
  return version <= 2 ? 1 : 2;
}

export type RecordingEvent =
  /** Bytes a semihosting read returned to the guest; empty means end of input. */
  | { kind: 'console-input'; icount: bigint; bytes: Uint8Array }
  /** A wall-clock reading (semihosting SYS_TIME), in seconds since the Unix epoch. */
  | { kind: 'wall-clock'; icount: bigint; seconds: bigint }
  /** Bytes delivered to the UART receive FIFO at this instruction boundary. */
  | { kind: 'uart-input'; icount: bigint; bytes: Uint8Array }
  /** A digest (8 to 64 opaque bytes) of the machine state at this icount. */
  | { kind: 'digest'; icount: bigint; digest: Uint8Array }
  /** Bytes the guest wrote to the console. */
  | { kind: 'output'; icount: bigint; stream: 'stdout' | 'stderr'; bytes: Uint8Array };

export interface RecordingMeta {
  /** A display name, e.g. the program's file name. */
  name: string;
  /** Guest RAM size in MiB (a positive whole number; the machine checks its range). */
  ramMiB: number;
  /** The guest's command line, as semihosting SYS_GET_CMDLINE returns it. */
  commandLine: string;
  /** When recording started, as an ISO 8601 date-time, e.g. Date.prototype.toISOString(). */
  createdAt: string;
  /** The software that made the recording, e.g. "hindsight 0.1.0". */
  recorder: string;
  host: 'cli' | 'browser';
  /** SHA-256 of the PROG chunk's bytes: 64 lowercase hex digits. */
  programSha256: string;
  /** SHA-256 of the DISK chunk's bytes, if the machine has a disk (format version 3). */
  diskSha256?: string;
  /** Several harts and their schedule (format version 4); absent: one hart. */
  harts?: HartsConfig;
}

/** The harts of a machine and the schedule that interleaves them: part of what makes a run replay. */
export interface HartsConfig {
  /** 1..8. */
  count: number;
  /** Mean instructions per turn (1..10^9). */
  quantum: number;
  /** 0: every turn is `quantum` long; otherwise the seed of the turn lengths (a whole number below 2^53). */
  seed: number;
}

export interface RecordingEnd {
  /** The instruction count when the recording ended. */
  icount: bigint;
  /** Why the run ended, e.g. "exit". */
  reason: string;
  exitCode?: number;
  /** Digest of the final machine state: 8 to 64 bytes as lowercase hex. */
  finalDigest: string;
  /**
   * How many events the recording's EVTS chunks hold, all told (optional in
   * the file; writers write it). A reader checks it when present, so deleted
   * events, or an EVTS chunk retyped to be skipped, are found.
   */
  eventCount?: number;
  /** The total number of bytes of all OUTPUT events (optional in the file; writers write it; checked when present). */
  outputBytes?: number;
}

/** The END chunk's counts of a list of events: what {@link RecordingWriter.end} records. */
export interface RecordingCounts {
  eventCount: number;
  outputBytes: number;
}

/** The counts of `events`, to pass to {@link RecordingWriter.end}: add them up over every EVTS chunk written. */
export function countEvents(events: readonly RecordingEvent[], add: RecordingCounts = { eventCount: 0, outputBytes: 0 }): RecordingCounts {
  let outputBytes = add.outputBytes;
  for (const e of events) if (e.kind === 'output') outputBytes += e.bytes.length;
  return { eventCount: add.eventCount + events.length, outputBytes };
}

/**
 * Thrown by {@link parseRecording} for any input it cannot read. `offset` is
 * the file offset of the offending header, chunk or event; the message
 * includes it in hex.
 */
export class RecordingError extends Error {
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(message);
    this.name = 'RecordingError';
    this.offset = offset;
  }
}

export interface ParsedRecording {
  version: number;
  /**
   * The recording's identity: the first 128 bits of the SHA-256 of its META
   * chunk's payload, as 32 hex digits. It names the run (its program, disk,
   * machine and the moment it started), so every copy of the file, however
   * much of the run it holds, has the same id in every browser and the CLI.
   */
  id: string;
  /** The board the recording was made on (from its format version). */
  boardRevision: 1 | 2;
  /** The disk image the machine started with (a view into the input), if it has a disk. */
  disk?: Uint8Array;
  meta: RecordingMeta;
  /** The ELF bytes (a view into the input, not a copy). */
  program: Uint8Array;
  /** Events of all complete EVTS chunks, in file order. Byte fields are views into the input. */
  events: RecordingEvent[];
  /** The SNAP chunk's bytes (a view into the input), if there is one. */
  snapshot?: Uint8Array;
  /** The program's source files (path → text) from the SRCS chunk, if there is one. */
  sources?: Record<string, string>;
  /** Notes, breakpoints, watchpoints and the user's instant, from the `anno` chunk, if there is one. */
  annotations?: Annotations;
  /** Absent: the recording was cut off (crash, closed tab) before it ended normally. */
  end?: RecordingEnd;
  /** Bytes from the start of the file to the end of the last complete chunk. */
  validLength: number;
  /** Why reading stopped before the end of the input, if it did. */
  truncation?: string;
}

// ---------------------------------------------------------------------------
// Layout
// ---------------------------------------------------------------------------

const HEADER_SIZE = 16;
const CHUNK_HEADER_SIZE = 8; // u32 type, u32 length
const CHUNK_CRC_SIZE = 4;
const EVENT_HEADER_SIZE = 13; // u8 kind, u64 icount, u32 length
const MAX_U32 = 0xffff_ffff;
const MAX_U64 = (1n << 64n) - 1n;

const CHUNK_META = 'META';
const CHUNK_PROG = 'PROG';
const CHUNK_DISK = 'DISK';
const CHUNK_EVTS = 'EVTS';
const CHUNK_SNAP = 'SNAP';
const CHUNK_SRCS = 'SRCS';
const CHUNK_ANNO = 'anno';
const MAX_SOURCE_FILES = 1000;
const CHUNK_END = 'END ';

const KIND_CONSOLE_INPUT = 1;
const KIND_WALL_CLOCK = 2;
const KIND_UART_INPUT = 3;
const KIND_DIGEST = 4;
const KIND_OUTPUT = 5;

const STREAM_STDOUT = 1;
const STREAM_STDERR = 2;

const MIN_DIGEST_BYTES = 8;
const MAX_DIGEST_BYTES = 64;

// ---------------------------------------------------------------------------
// Validation shared by the writer and the reader: each returns a description
// of the first problem, or undefined. The writer refuses to produce anything
// the reader would reject.
// ---------------------------------------------------------------------------

const SHA256_HEX = /^[0-9a-f]{64}$/;
const DIGEST_HEX = /^(?:[0-9a-f]{2}){8,64}$/;
const DECIMAL = /^(?:0|[1-9][0-9]*)$/;
const ISO_DATE_TIME =
  /^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])T(?:[01][0-9]|2[0-3]):[0-5][0-9]:(?:[0-5][0-9]|60)(?:\.[0-9]+)?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$/;

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function metaProblem(meta: Record<string, unknown>): string | undefined {
  for (const field of ['name', 'commandLine', 'recorder', 'createdAt', 'host', 'programSha256'] as const) {
    if (typeof meta[field] !== 'string') return `field ${field} must be a string, found ${describe(meta[field])}`;
  }
  const ramMiB = meta.ramMiB;
  if (typeof ramMiB !== 'number' || !Number.isSafeInteger(ramMiB) || ramMiB < 1) {
    return `field ramMiB must be a positive whole number, found ${describe(ramMiB)}`;
  }
  if (!ISO_DATE_TIME.test(meta.createdAt as string)) {
    return `field createdAt must be an ISO 8601 date-time, found ${describe(meta.createdAt)}`;
  }
  if (meta.host !== 'cli' && meta.host !== 'browser') {
    return `field host must be "cli" or "browser", found ${describe(meta.host)}`;
  }
  if (!SHA256_HEX.test(meta.programSha256 as string)) {
    return `field programSha256 must be 64 lowercase hex digits, found ${describe(meta.programSha256)}`;
  }
  if (meta.diskSha256 !== undefined && (typeof meta.diskSha256 !== 'string' || !SHA256_HEX.test(meta.diskSha256))) {
    return `field diskSha256 must be 64 lowercase hex digits if present, found ${describe(meta.diskSha256)}`;
  }
  if (meta.harts !== undefined) return hartsProblem(meta.harts);
  return undefined;
}

function hartsProblem(harts: unknown): string | undefined {
  if (!isRecord(harts)) return `field harts must be an object if present, found ${describe(harts)}`;
  const whole = (v: unknown, lo: number, hi: number) => typeof v === 'number' && Number.isSafeInteger(v) && v >= lo && v <= hi;
  if (!whole(harts.count, 1, MAX_HARTS)) return `field harts.count must be a whole number from 1 to ${MAX_HARTS}, found ${describe(harts.count)}`;
  if (!whole(harts.quantum, 1, MAX_QUANTUM)) return `field harts.quantum must be a whole number from 1 to ${MAX_QUANTUM}, found ${describe(harts.quantum)}`;
  if (!whole(harts.seed, 0, Number.MAX_SAFE_INTEGER)) return `field harts.seed must be a whole number of 0 or more, found ${describe(harts.seed)}`;
  return undefined;
}

function endFieldsProblem(end: Record<string, unknown>): string | undefined {
  if (typeof end.reason !== 'string') return `field reason must be a string, found ${describe(end.reason)}`;
  if (end.exitCode !== undefined && (typeof end.exitCode !== 'number' || !Number.isSafeInteger(end.exitCode))) {
    return `field exitCode must be a whole number if present, found ${describe(end.exitCode)}`;
  }
  if (typeof end.finalDigest !== 'string' || !DIGEST_HEX.test(end.finalDigest)) {
    return `field finalDigest must be 8 to 64 bytes as lowercase hex, found ${describe(end.finalDigest)}`;
  }
  for (const field of ['eventCount', 'outputBytes'] as const) {
    const v = end[field];
    if (v !== undefined && (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)) {
      return `field ${field} must be a whole number of 0 or more if present, found ${describe(v)}`;
    }
  }
  return undefined;
}

function isU64(value: unknown): value is bigint {
  return typeof value === 'bigint' && value >= 0n && value <= MAX_U64;
}

// ---------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------

/**
 * Produces the bytes of a recording, piece by piece, for the caller to append:
 * `start` once, then any number of `events` chunks and at most one `snapshot`,
 * and `end` when the run ended normally. Each piece is self-contained, so a
 * file holding any prefix of the pieces is a readable (cut-off) recording.
 *
 * The writer is stateless: events must be in non-decreasing icount order
 * within a call (checked) and across calls (the caller's responsibility; a
 * reader rejects a file where they are not). Invalid arguments throw a
 * RangeError.
 */
export class RecordingWriter {
  /**
   * The 16-byte header, the META chunk, the PROG chunk and (with a disk) the
   * DISK chunk. `version` is for rewriting an older recording in its own
   * format (its board revision depends on it).
   */
  static start(meta: RecordingMeta, program: Uint8Array, disk?: Uint8Array, version: number = recordingVersionFor(meta)): Uint8Array {
    if (version < 2 || version > RECORDING_VERSION) throw writerError('start', `cannot write format version ${version}`);
    if (disk !== undefined && version < 3) throw writerError('start', `format version ${version} has no disk`);
    if (isRecord(meta) && isRecord(meta.harts) && typeof meta.harts.count === 'number' && meta.harts.count > 1 && version < 4) {
      throw writerError('start', `format version ${version} has one hart`);
    }
    if (!isRecord(meta)) throw writerError('start', 'meta must be an object');
    const problem = metaProblem(meta as unknown as Record<string, unknown>);
    if (problem) throw writerError('start', `META ${problem}`);
    if (!(program instanceof Uint8Array)) throw writerError('start', 'program must be a Uint8Array');
    const actual = sha256Hex(program);
    if (actual !== meta.programSha256) {
      throw writerError('start', `meta.programSha256 is ${meta.programSha256} but the program's SHA-256 is ${actual}`);
    }
    if ((disk === undefined) !== (meta.diskSha256 === undefined)) {
      throw writerError('start', 'a disk and meta.diskSha256 go together');
    }
    if (disk !== undefined && sha256Hex(disk) !== meta.diskSha256) {
      throw writerError('start', `meta.diskSha256 is ${meta.diskSha256} but the disk's SHA-256 is ${sha256Hex(disk)}`);
    }
    // Only the known fields, in a fixed order.
    const json = JSON.stringify({
      name: meta.name,
      ramMiB: meta.ramMiB,
      commandLine: meta.commandLine,
      createdAt: meta.createdAt,
      recorder: meta.recorder,
      host: meta.host,
      programSha256: meta.programSha256,
      ...(meta.diskSha256 !== undefined ? { diskSha256: meta.diskSha256 } : {}),
      ...(meta.harts !== undefined ? { harts: { count: meta.harts.count, quantum: meta.harts.quantum, seed: meta.harts.seed } } : {}),
    });
    const header = new Uint8Array(HEADER_SIZE);
    header.set(RECORDING_MAGIC, 0);
    const view = new DataView(header.buffer);
    view.setUint32(8, version, true);
    view.setUint32(12, 0, true);
    const pieces = [header, chunk(CHUNK_META, new TextEncoder().encode(json)), chunk(CHUNK_PROG, program)];
    if (disk !== undefined) pieces.push(chunk(CHUNK_DISK, disk));
    return concatBytes(pieces);
  }

  /** One EVTS chunk holding `events` (which may be empty). */
  static events(events: RecordingEvent[]): Uint8Array {
    if (!Array.isArray(events)) throw writerError('events', 'events must be an array');
    let size = 0;
    let previous = 0n;
    events.forEach((event, i) => {
      const problem = eventProblem(event);
      if (problem) throw writerError('events', `event ${i}: ${problem}`);
      if (event.icount < previous) {
        throw writerError('events', `event ${i}: icount ${event.icount} is before the previous event's ${previous}`);
      }
      previous = event.icount;
      size += EVENT_HEADER_SIZE + eventPayloadSize(event);
    });
    if (size > MAX_U32) throw writerError('events', `the events need ${size} bytes; one chunk holds at most ${MAX_U32}`);
    const payload = new Uint8Array(size);
    const view = new DataView(payload.buffer);
    let at = 0;
    for (const event of events) {
      const length = eventPayloadSize(event);
      view.setUint8(at, eventKindCode(event));
      view.setBigUint64(at + 1, event.icount, true);
      view.setUint32(at + 9, length, true);
      at += EVENT_HEADER_SIZE;
      switch (event.kind) {
        case 'console-input':
        case 'uart-input':
          payload.set(event.bytes, at);
          break;
        case 'wall-clock':
          view.setBigUint64(at, event.seconds, true);
          break;
        case 'digest':
          payload.set(event.digest, at);
          break;
        case 'output':
          payload[at] = event.stream === 'stdout' ? STREAM_STDOUT : STREAM_STDERR;
          payload.set(event.bytes, at + 1);
          break;
      }
      at += length;
    }
    return chunk(CHUNK_EVTS, payload);
  }

  /**
   * The SRCS chunk: the program's source files, so a teammate sees the source
   * view too. UTF-8 JSON {"files": [{"path", "text"}]}. At most one.
   */
  static sources(files: Record<string, string>): Uint8Array {
    const list = Object.entries(files).map(([path, text]) => ({ path, text }));
    if (list.length > MAX_SOURCE_FILES) throw writerError('sources', `at most ${MAX_SOURCE_FILES} files`);
    for (const f of list) {
      if (typeof f.text !== 'string' || f.path.length === 0) throw writerError('sources', 'each file needs a path and text');
    }
    return chunk(CHUNK_SRCS, new TextEncoder().encode(JSON.stringify({ files: list })));
  }

  /** The `anno` chunk: the user's notes, breakpoints, watchpoints and instant (annotations.ts). At most one. */
  static annotations(a: Annotations): Uint8Array {
    try {
      return chunk(CHUNK_ANNO, encodeAnnotations(a));
    } catch (e) {
      throw writerError('annotations', e instanceof Error ? e.message : String(e));
    }
  }

  /** The SNAP chunk: an opaque snapshot image. A recording has at most one. */
  static snapshot(image: Uint8Array): Uint8Array {
    if (!(image instanceof Uint8Array)) throw writerError('snapshot', 'image must be a Uint8Array');
    return chunk(CHUNK_SNAP, image);
  }

  /**
   * The SNAP chunk written in pieces, for an image too large to hold in
   * memory: `header` goes first, then the image's bytes, each piece passed
   * to `update` in order, then `finish()`'s CRC. The result is byte for byte
   * what `snapshot(image)` makes.
   */
  static snapshotStream(length: number): { header: Uint8Array; update(piece: Uint8Array): void; finish(): Uint8Array } {
    if (!Number.isSafeInteger(length) || length < 0 || length > MAX_U32) throw writerError('snapshot', `a SNAP chunk holds 0 to ${MAX_U32} bytes, not ${length}`);
    const header = new Uint8Array(CHUNK_HEADER_SIZE);
    for (let i = 0; i < 4; i++) header[i] = CHUNK_SNAP.charCodeAt(i);
    new DataView(header.buffer).setUint32(4, length, true);
    let crc = crc32(header);
    let seen = 0;
    return {
      header,
      update(piece: Uint8Array): void { crc = crc32(piece, crc); seen += piece.length; },
      finish(): Uint8Array {
        if (seen !== length) throw writerError('snapshot', `the image was announced as ${length} bytes but ${seen} were written`);
        const out = new Uint8Array(CHUNK_CRC_SIZE);
        new DataView(out.buffer).setUint32(0, crc, true);
        return out;
      },
    };
  }

  /**
   * The END chunk. Nothing may be appended after it. `counts`: the events of
   * every EVTS chunk written ({@link countEvents}); writers should always pass
   * them (they override `end`'s own, which a rewritten recording carries over).
   */
  static end(end: RecordingEnd, counts?: RecordingCounts): Uint8Array {
    if (!isRecord(end)) throw writerError('end', 'end must be an object');
    if (counts !== undefined) end = { ...end, eventCount: counts.eventCount, outputBytes: counts.outputBytes };
    if (!isU64(end.icount)) throw writerError('end', `icount must be a bigint from 0 to 2^64-1, found ${describe(end.icount)}`);
    const problem = endFieldsProblem(end as unknown as Record<string, unknown>);
    if (problem) throw writerError('end', `END ${problem}`);
    const json = JSON.stringify({
      icount: end.icount.toString(),
      reason: end.reason,
      ...(end.exitCode !== undefined ? { exitCode: end.exitCode } : {}),
      finalDigest: end.finalDigest,
      ...(end.eventCount !== undefined ? { eventCount: end.eventCount } : {}),
      ...(end.outputBytes !== undefined ? { outputBytes: end.outputBytes } : {}),
    });
    return chunk(CHUNK_END, new TextEncoder().encode(json));
  }
}

function writerError(method: string, detail: string): RangeError {
  return new RangeError(`RecordingWriter.${method}: ${detail}`);
}

function eventProblem(event: RecordingEvent): string | undefined {
  if (!isRecord(event)) return 'not an object';
  if (!isU64(event.icount)) return `icount must be a bigint from 0 to 2^64-1, found ${describe(event.icount)}`;
  switch (event.kind) {
    case 'console-input':
    case 'uart-input':
    case 'output':
      if (!(event.bytes instanceof Uint8Array)) return `${event.kind} bytes must be a Uint8Array`;
      if (event.kind === 'output' && event.stream !== 'stdout' && event.stream !== 'stderr') {
        return `output stream must be "stdout" or "stderr", found ${describe(event.stream)}`;
      }
      if (event.bytes.length > MAX_U32 - 1) return `${event.kind} has too many bytes for one event`;
      return undefined;
    case 'wall-clock':
      return isU64(event.seconds) ? undefined : `wall-clock seconds must be a bigint from 0 to 2^64-1, found ${describe(event.seconds)}`;
    case 'digest':
      if (!(event.digest instanceof Uint8Array)) return 'digest must be a Uint8Array';
      if (event.digest.length < MIN_DIGEST_BYTES || event.digest.length > MAX_DIGEST_BYTES) {
        return `a digest is ${MIN_DIGEST_BYTES} to ${MAX_DIGEST_BYTES} bytes, not ${event.digest.length}`;
      }
      return undefined;
    default:
      return `unknown event kind ${describe((event as { kind: unknown }).kind)}`;
  }
}

function eventKindCode(event: RecordingEvent): number {
  switch (event.kind) {
    case 'console-input': return KIND_CONSOLE_INPUT;
    case 'wall-clock': return KIND_WALL_CLOCK;
    case 'uart-input': return KIND_UART_INPUT;
    case 'digest': return KIND_DIGEST;
    case 'output': return KIND_OUTPUT;
  }
}

function eventPayloadSize(event: RecordingEvent): number {
  switch (event.kind) {
    case 'console-input':
    case 'uart-input':
      return event.bytes.length;
    case 'wall-clock':
      return 8;
    case 'digest':
      return event.digest.length;
    case 'output':
      return 1 + event.bytes.length;
  }
}

/** type + length + payload + CRC-32 over the first three. */
function chunk(type: string, payload: Uint8Array): Uint8Array {
  if (payload.length > MAX_U32) throw new RangeError(`RecordingWriter: a ${type} chunk holds at most ${MAX_U32} bytes, not ${payload.length}`);
  const out = new Uint8Array(CHUNK_HEADER_SIZE + payload.length + CHUNK_CRC_SIZE);
  for (let i = 0; i < 4; i++) out[i] = type.charCodeAt(i);
  const view = new DataView(out.buffer);
  view.setUint32(4, payload.length, true);
  out.set(payload, CHUNK_HEADER_SIZE);
  const end = CHUNK_HEADER_SIZE + payload.length;
  view.setUint32(end, crc32(out.subarray(0, end)), true);
  return out;
}

// ---------------------------------------------------------------------------
// Reader
// ---------------------------------------------------------------------------

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function hex32(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

function corrupt(offset: number, detail: string): RecordingError {
  return new RecordingError(`corrupt recording at offset ${hex(offset)}: ${detail}`, offset);
}

/** A chunk type as text if it is printable ASCII, else as hex bytes. */
function chunkName(bytes: Uint8Array, at: number): string {
  let text = '';
  for (let i = 0; i < 4; i++) {
    const b = bytes[at + i];
    if (b < 0x20 || b > 0x7e) {
      return `0x${Array.from(bytes.subarray(at, at + 4), (x) => x.toString(16).padStart(2, '0')).join('')}`;
    }
    text += String.fromCharCode(b);
  }
  return text;
}

/** The UTF-8 JSON object in a META or END chunk, or a corruption error. */
function jsonObject(payload: Uint8Array, type: string, offset: number): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(payload);
  } catch {
    throw corrupt(offset, `${type} chunk is not valid UTF-8`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw corrupt(offset, `${type} chunk is not valid JSON (${e instanceof Error ? e.message : 'parse error'})`);
  }
  if (!isRecord(value)) throw corrupt(offset, `${type} chunk must hold a JSON object, found ${describe(value)}`);
  return value;
}

/** The recording id ({@link ParsedRecording.id}) of a META chunk's payload bytes. */
export function recordingIdOfMeta(metaPayload: Uint8Array): string {
  return sha256Hex(metaPayload).slice(0, 32);
}

/** The recording id of a file's first piece (header, META, ...), without reading the rest. */
export function recordingIdOf(bytes: Uint8Array): string {
  if (bytes.length < HEADER_SIZE + CHUNK_HEADER_SIZE) throw new RecordingError('recording is too short to hold its META chunk, at offset 0x0', 0);
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(HEADER_SIZE + 4, true);
  const start = HEADER_SIZE + CHUNK_HEADER_SIZE;
  if (length > bytes.length - start) throw new RecordingError('recording is too short to hold its META chunk, at offset 0x10', HEADER_SIZE);
  return recordingIdOfMeta(bytes.subarray(start, start + length));
}

function parseMeta(payload: Uint8Array, offset: number): RecordingMeta {
  const json = jsonObject(payload, 'META', offset);
  const problem = metaProblem(json);
  if (problem) throw corrupt(offset, `META ${problem}`);
  return {
    name: json.name as string,
    ramMiB: json.ramMiB as number,
    commandLine: json.commandLine as string,
    createdAt: json.createdAt as string,
    recorder: json.recorder as string,
    host: json.host as RecordingMeta['host'],
    programSha256: json.programSha256 as string,
    ...(json.diskSha256 !== undefined ? { diskSha256: json.diskSha256 as string } : {}),
    ...(isRecord(json.harts) ? { harts: { count: json.harts.count as number, quantum: json.harts.quantum as number, seed: json.harts.seed as number } } : {}),
  };
}

function parseEnd(payload: Uint8Array, offset: number): RecordingEnd {
  const json = jsonObject(payload, 'END', offset);
  const icount = json.icount;
  if (typeof icount !== 'string' || !DECIMAL.test(icount) || icount.length > 20 || BigInt(icount) > MAX_U64) {
    throw corrupt(offset, `END field icount must be a decimal string from 0 to 2^64-1, found ${describe(icount)}`);
  }
  const problem = endFieldsProblem(json);
  if (problem) throw corrupt(offset, `END ${problem}`);
  return {
    icount: BigInt(icount),
    reason: json.reason as string,
    ...(json.exitCode !== undefined ? { exitCode: json.exitCode as number } : {}),
    finalDigest: json.finalDigest as string,
    ...(json.eventCount !== undefined ? { eventCount: json.eventCount as number } : {}),
    ...(json.outputBytes !== undefined ? { outputBytes: json.outputBytes as number } : {}),
  };
}

/** Appends the events of one EVTS chunk to `out`; returns the last icount. */
function parseEvents(
  bytes: Uint8Array,
  view: DataView,
  chunkOffset: number,
  payloadLength: number,
  previous: bigint,
  out: RecordingEvent[],
): bigint {
  const start = chunkOffset + CHUNK_HEADER_SIZE;
  const end = start + payloadLength;
  const where = `(EVTS chunk at offset ${hex(chunkOffset)})`;
  let at = start;
  while (at < end) {
    if (end - at < EVENT_HEADER_SIZE) {
      throw corrupt(at, `event header cut off by the end of its chunk: ${end - at} of ${EVENT_HEADER_SIZE} bytes ${where}`);
    }
    const kind = bytes[at];
    const icount = view.getBigUint64(at + 1, true);
    const length = view.getUint32(at + 9, true);
    const body = at + EVENT_HEADER_SIZE;
    if (length > end - body) {
      throw corrupt(at, `event payload length ${length} runs past the end of its chunk (${end - body} bytes left) ${where}`);
    }
    if (icount < previous) {
      throw corrupt(at, `event icount ${icount} is before the previous event's icount ${previous} ${where}`);
    }
    const data = bytes.subarray(body, body + length);
    switch (kind) {
      case KIND_CONSOLE_INPUT:
        out.push({ kind: 'console-input', icount, bytes: data });
        break;
      case KIND_WALL_CLOCK:
        if (length !== 8) throw corrupt(at, `wall-clock event payload must be 8 bytes, not ${length} ${where}`);
        out.push({ kind: 'wall-clock', icount, seconds: view.getBigUint64(body, true) });
        break;
      case KIND_UART_INPUT:
        out.push({ kind: 'uart-input', icount, bytes: data });
        break;
      case KIND_DIGEST:
        if (length < MIN_DIGEST_BYTES || length > MAX_DIGEST_BYTES) {
          throw corrupt(at, `digest event payload must be ${MIN_DIGEST_BYTES} to ${MAX_DIGEST_BYTES} bytes, not ${length} ${where}`);
        }
        out.push({ kind: 'digest', icount, digest: data });
        break;
      case KIND_OUTPUT: {
        if (length < 1) throw corrupt(at, `output event has no stream byte ${where}`);
        const stream = data[0];
        if (stream !== STREAM_STDOUT && stream !== STREAM_STDERR) {
          throw corrupt(at, `output event stream must be 1 (stdout) or 2 (stderr), not ${stream} ${where}`);
        }
        out.push({ kind: 'output', icount, stream: stream === STREAM_STDOUT ? 'stdout' : 'stderr', bytes: data.subarray(1) });
        break;
      }
      default:
        throw corrupt(at, `unknown event kind ${kind} ${where}`);
    }
    previous = icount;
    at = body + length;
  }
  return previous;
}

/** Chunk types a reader that does not know them may skip: those whose first byte is a lowercase ASCII letter. */
function isOptionalChunkType(firstByte: number): boolean {
  return firstByte >= 0x61 && firstByte <= 0x7a;
}

/** Whether END's counts (when present) agree with the events read. */
function endCountProblem(end: RecordingEnd, events: readonly RecordingEvent[]): string | undefined {
  if (end.eventCount !== undefined && end.eventCount !== events.length) {
    return `END records ${end.eventCount} events, but the EVTS chunks hold ${events.length}: events were removed or added, or an EVTS chunk was retyped`;
  }
  if (end.outputBytes !== undefined) {
    const { outputBytes } = countEvents(events);
    if (end.outputBytes !== outputBytes) {
      return `END records ${end.outputBytes} bytes of output, but the OUTPUT events hold ${outputBytes}: output was changed`;
    }
  }
  return undefined;
}

/** The offset from which every byte to the end of `bytes` is zero (bytes.length if the last byte is not). */
function zeroTailStart(bytes: Uint8Array): number {
  let i = bytes.length;
  while (i > 0 && bytes[i - 1] === 0) i--;
  return i;
}

/**
 * Reads a recording. Throws {@link RecordingError} if the bytes are not a
 * readable recording; a recording that was cut off is returned with
 * `truncation` set and no `end`.
 */
function parseSources(payload: Uint8Array, pos: number): Record<string, string> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch {
    throw corrupt(pos, 'the SRCS chunk is not valid UTF-8 JSON');
  }
  const files = (value as { files?: unknown } | null)?.files;
  if (!Array.isArray(files) || files.length > MAX_SOURCE_FILES) throw corrupt(pos, `the SRCS chunk must hold a list of at most ${MAX_SOURCE_FILES} files`);
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const f of files) {
    const r = f as { path?: unknown; text?: unknown } | null;
    if (!r || typeof r.path !== 'string' || r.path.length === 0 || typeof r.text !== 'string') {
      throw corrupt(pos, 'a file in the SRCS chunk needs a non-empty "path" and a "text"');
    }
    out[r.path] = r.text;
  }
  return out;
}

export function parseRecording(bytes: Uint8Array): ParsedRecording {
  if (!(bytes instanceof Uint8Array)) throw new RecordingError('a recording must be given as a Uint8Array, at offset 0x0', 0);
  const n = bytes.length;
  const tooShort = (why: string, offset: number) =>
    new RecordingError(`recording is too short to contain its program: ${why}`, offset);

  // Header.
  for (let i = 0; i < Math.min(n, RECORDING_MAGIC.length); i++) {
    if (bytes[i] !== RECORDING_MAGIC[i]) throw new RecordingError('not a Hindsight recording (bad magic), at offset 0x0', 0);
  }
  if (n < HEADER_SIZE) {
    throw tooShort(`the ${HEADER_SIZE}-byte header is cut off: ${n} bytes present at offset 0x0`, 0);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version === 0) throw corrupt(8, 'format version 0 is not valid');
  if (version === 1) {
    throw new RecordingError(
      'recording format version 1 was made by an earlier Hindsight (an RV64IMAC machine whose state digests do not cover the floating-point registers): it cannot be replayed exactly by this version; record the program again, at offset 0x8',
      8,
    );
  }
  if (version > RECORDING_VERSION) {
    throw new RecordingError(
      `recording format version ${version} is newer than this Hindsight understands (${RECORDING_VERSION}), at offset 0x8`,
      8,
    );
  }
  const flags = view.getUint32(12, true);
  if (flags !== 0) {
    throw new RecordingError(
      `recording header flags ${hex32(flags)} are not understood by this Hindsight (format version ${RECORDING_VERSION} defines none), at offset 0xc`,
      12,
    );
  }

  // Chunks.
  const zeroTail = zeroTailStart(bytes);
  let meta: RecordingMeta | undefined;
  let program: Uint8Array | undefined;
  let disk: Uint8Array | undefined;
  let snapshot: Uint8Array | undefined;
  let sources: Record<string, string> | undefined;
  let annotations: Annotations | undefined;
  let id = '';
  let end: RecordingEnd | undefined;
  const events: RecordingEvent[] = [];
  let lastIcount = 0n;
  let truncation: string | undefined;
  let pos = HEADER_SIZE;

  while (pos < n) {
    if (end) throw corrupt(pos, `${n - pos} bytes of data follow the END chunk`);
    if (pos >= zeroTail) {
      truncation = `the file ends with ${n - pos} zero bytes at offset ${hex(pos)}, space a crash left unwritten`;
      break;
    }
    if (n - pos < CHUNK_HEADER_SIZE) {
      const named = n - pos >= 4 ? `${chunkName(bytes, pos)} at offset ${hex(pos)}` : `at offset ${hex(pos)}`;
      truncation = `the last chunk (${named}) is cut off: ${n - pos} of its ${CHUNK_HEADER_SIZE} header bytes present`;
      break;
    }
    const type = chunkName(bytes, pos);
    const length = view.getUint32(pos + 4, true);
    const total = CHUNK_HEADER_SIZE + length + CHUNK_CRC_SIZE;
    if (total > n - pos) {
      truncation = `the last chunk (${type} at offset ${hex(pos)}) is cut off: ${n - pos} of ${total} bytes present`;
      break;
    }
    const crcAt = pos + CHUNK_HEADER_SIZE + length;
    const stored = view.getUint32(crcAt, true);
    const computed = crc32(bytes.subarray(pos, crcAt));
    if (stored !== computed) {
      if (zeroTail <= crcAt) {
        // The chunk's end, checksum included, and everything after it are zero:
        // a write that never reached the disk, not damage.
        truncation = `the last chunk (${type} at offset ${hex(pos)}) was never completely written: it ends in zero bytes and fails its checksum`;
        break;
      }
      throw corrupt(pos, `chunk ${type} checksum mismatch (stored ${hex32(stored)}, computed ${hex32(computed)})`);
    }
    const payload = bytes.subarray(pos + CHUNK_HEADER_SIZE, crcAt);

    if (meta === undefined) {
      if (type !== CHUNK_META) throw corrupt(pos, `the first chunk must be META, not ${type}`);
      meta = parseMeta(payload, pos);
      id = recordingIdOfMeta(payload);
      if (meta.diskSha256 !== undefined && version < 3) throw corrupt(pos, `META names a disk, which a format version ${version} recording cannot have`);
      if (meta.harts !== undefined && meta.harts.count > 1 && version < 4) {
        throw corrupt(pos, `META names ${meta.harts.count} harts, which a format version ${version} recording cannot have`);
      }
    } else if (program === undefined) {
      if (type !== CHUNK_PROG) throw corrupt(pos, `the second chunk must be PROG, not ${type}`);
      if (sha256Hex(payload) !== meta.programSha256) {
        throw corrupt(pos, 'the program in this recording does not match its recorded SHA-256');
      }
      program = payload;
    } else if (meta.diskSha256 !== undefined && disk === undefined) {
      if (type !== CHUNK_DISK) throw corrupt(pos, `META names a disk, so the third chunk must be DISK, not ${type}`);
      if (sha256Hex(payload) !== meta.diskSha256) throw corrupt(pos, 'the disk image in this recording does not match its recorded SHA-256');
      disk = payload;
    } else {
      switch (type) {
        case CHUNK_META:
        case CHUNK_PROG:
          throw corrupt(pos, `a second ${type} chunk`);
        case CHUNK_DISK:
          throw corrupt(pos, disk ? 'a second DISK chunk' : 'a DISK chunk that META does not name (no diskSha256)');
        case CHUNK_EVTS:
          lastIcount = parseEvents(bytes, view, pos, length, lastIcount, events);
          break;
        case CHUNK_SNAP:
          if (snapshot !== undefined) throw corrupt(pos, 'a second SNAP chunk');
          snapshot = payload;
          break;
        case CHUNK_SRCS:
          if (sources !== undefined) throw corrupt(pos, 'a second SRCS chunk');
          sources = parseSources(payload, pos);
          break;
        case CHUNK_ANNO:
          if (annotations !== undefined) throw corrupt(pos, 'a second anno chunk');
          try {
            annotations = decodeAnnotations(payload);
          } catch (e) {
            throw corrupt(pos, `the anno chunk (notes, breakpoints and watchpoints) is unreadable: ${e instanceof Error ? e.message : String(e)}`);
          }
          break;
        case CHUNK_END: {
          const parsed = parseEnd(payload, pos);
          if (parsed.icount < lastIcount) {
            throw corrupt(pos, `END icount ${parsed.icount} is before the last event's icount ${lastIcount}`);
          }
          const countProblem = endCountProblem(parsed, events);
          if (countProblem) throw corrupt(pos, countProblem);
          end = parsed;
          break;
        }
        default:
          // An unknown type whose first byte is a lowercase letter may be skipped (after its
          // checksum was verified); any other unknown type changes how the file is to be read.
          if (!isOptionalChunkType(bytes[pos])) {
            throw corrupt(pos, `chunk type ${type} is unknown and not marked optional (an optional type begins with a lowercase letter): ` +
              'the file needs a newer Hindsight, or is damaged');
          }
          break;
      }
    }
    pos += total;
  }

  if (program === undefined || meta === undefined) {
    if (truncation !== undefined) throw tooShort(truncation, pos);
    throw tooShort(`it ends at offset ${hex(pos)}, after the ${meta ? 'META chunk' : 'header'}`, pos);
  }
  if (meta.diskSha256 !== undefined && disk === undefined) {
    throw new RecordingError(`recording is too short to contain its disk image: ${truncation ?? `it ends at offset ${hex(pos)}`}`, pos);
  }
  return {
    version,
    id,
    boardRevision: boardRevisionOf(version),
    ...(disk !== undefined ? { disk } : {}),
    meta,
    program,
    events,
    ...(snapshot !== undefined ? { snapshot } : {}),
    ...(sources !== undefined ? { sources } : {}),
    ...(annotations !== undefined ? { annotations } : {}),
    ...(end !== undefined ? { end } : {}),
    validLength: pos,
    ...(truncation !== undefined ? { truncation } : {}),
  };
}
