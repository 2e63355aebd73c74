import { describe, it, expect } from 'vitest';
import { createHash } from 'node:crypto';
import { crc32 as zlibCrc32 } from 'node:zlib';
import {
  RECORDING_MAGIC,
  RECORDING_VERSION,
  RecordingError,
  RecordingWriter,
  parseRecording,
  recordingIdOf,
  sha256Hex,
  type ParsedRecording,
  type RecordingEnd,
  type RecordingEvent,
  type RecordingMeta,
} from './recording';

// ---------------------------------------------------------------------------
// Helpers. The byte-level builders here are written independently of the
// codec (zlib's CRC, Node's SHA-256) so that the tests check the format, not
// the codec against itself.
// ---------------------------------------------------------------------------

/** mulberry32: a small deterministic generator. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function randomInt(next: () => number, below: number): number {
  return Math.floor(next() * below);
}

function randomBytes(next: () => number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = randomInt(next, 256);
  return out;
}

const utf8 = (s: string) => new TextEncoder().encode(s);
const hex = (n: number) => `0x${n.toString(16)}`;
const nodeSha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, true);
  return out;
}

function u64(n: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, n, true);
  return out;
}

function header(version = 3, flags = 0): Uint8Array {
  return concat(utf8('HSREC\r\n\x1a'), u32(version), u32(flags));
}

/** A chunk with a correct CRC (unless `crc` is given). */
function rawChunk(type: string, payload: Uint8Array, crc?: number): Uint8Array {
  const body = concat(utf8(type), u32(payload.length), payload);
  return concat(body, u32(crc ?? zlibCrc32(body)));
}

function rawEvent(kind: number, icount: bigint, payload: Uint8Array): Uint8Array {
  return concat(new Uint8Array([kind]), u64(icount), u32(payload.length), payload);
}

/** The chunks of a well-formed file, found without the codec. */
function chunksOf(file: Uint8Array): { type: string; offset: number; total: number }[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const out: { type: string; offset: number; total: number }[] = [];
  for (let at = 16; at < file.length; ) {
    const total = 8 + view.getUint32(at + 4, true) + 4;
    out.push({ type: String.fromCharCode(...file.subarray(at, at + 4)), offset: at, total });
    at += total;
  }
  return out;
}

const PROGRAM = concat(utf8('\x7fELF'), randomBytes(rng(1), 96));

function metaFor(program: Uint8Array, overrides: Partial<RecordingMeta> = {}): RecordingMeta {
  return {
    name: 'hello.elf',
    ramMiB: 128,
    commandLine: 'hello.elf --greeting "héllo wörld"',
    createdAt: '2025-03-04T05:06:07.890Z',
    recorder: 'hindsight 0.1.0',
    host: 'cli',
    programSha256: nodeSha256(program),
    ...overrides,
  };
}

const META = metaFor(PROGRAM);
const META_JSON = JSON.stringify(META);

const END: RecordingEnd = { icount: 123_456_789n, reason: 'exit', exitCode: 3, finalDigest: '0123456789abcdef0123456789abcdef' };

/** One event of each kind and the edge values. */
const ALL_KINDS: RecordingEvent[] = [
  { kind: 'wall-clock', icount: 0n, seconds: 1_741_064_767n },
  { kind: 'console-input', icount: 10n, bytes: utf8('line one\n') },
  { kind: 'output', icount: 10n, stream: 'stdout', bytes: utf8('héllo\n') },
  { kind: 'uart-input', icount: 500n, bytes: new Uint8Array([0, 0xff, 0x0d]) },
  { kind: 'output', icount: 600n, stream: 'stderr', bytes: new Uint8Array(0) },
  { kind: 'digest', icount: 1000n, digest: new Uint8Array(8).fill(0xab) },
  { kind: 'console-input', icount: 2000n, bytes: new Uint8Array(0) },
  { kind: 'digest', icount: 3000n, digest: randomBytes(rng(2), 64) },
  { kind: 'wall-clock', icount: 3000n, seconds: (1n << 64n) - 1n },
  { kind: 'uart-input', icount: 123_456_789n, bytes: utf8('x') },
];

function randomEvents(next: () => number, count: number, from = 0n): RecordingEvent[] {
  const events: RecordingEvent[] = [];
  let icount = from;
  for (let i = 0; i < count; i++) {
    icount += BigInt(randomInt(next, 3) === 0 ? 0 : randomInt(next, 100_000));
    const bytes = randomBytes(next, randomInt(next, 20));
    switch (randomInt(next, 5)) {
      case 0: events.push({ kind: 'console-input', icount, bytes }); break;
      case 1: events.push({ kind: 'wall-clock', icount, seconds: BigInt(randomInt(next, 2 ** 31)) }); break;
      case 2: events.push({ kind: 'uart-input', icount, bytes }); break;
      case 3: events.push({ kind: 'digest', icount, digest: randomBytes(next, 8 + randomInt(next, 57)) }); break;
      default: events.push({ kind: 'output', icount, stream: next() < 0.5 ? 'stdout' : 'stderr', bytes }); break;
    }
  }
  return events;
}

/** A small complete recording, with each chunk's events, for truncation and damage tests. */
function smallRecording() {
  const batches: RecordingEvent[][] = [ALL_KINDS.slice(0, 4), [], ALL_KINDS.slice(4, 7), ALL_KINDS.slice(7)];
  const snapshot = randomBytes(rng(3), 40);
  const pieces = [
    RecordingWriter.start(META, PROGRAM),
    RecordingWriter.events(batches[0]),
    RecordingWriter.events(batches[1]),
    RecordingWriter.snapshot(snapshot),
    RecordingWriter.events(batches[2]),
    RecordingWriter.events(batches[3]),
    RecordingWriter.end(END),
  ];
  const file = concat(...pieces);
  const chunks = chunksOf(file);
  // Events carried by each chunk, in chunk order (META, PROG, EVTS, EVTS, SNAP, EVTS, EVTS, END).
  const eventsByChunk = [[], [], batches[0], batches[1], [], batches[2], batches[3], []];
  return { file, chunks, eventsByChunk, snapshot };
}

function parseError(bytes: Uint8Array): RecordingError {
  try {
    parseRecording(bytes);
  } catch (e) {
    if (e instanceof RecordingError) return e;
    throw new Error(`expected a RecordingError, got ${String(e)}`);
  }
  throw new Error('expected a RecordingError, but the recording parsed');
}

/** Asserts that parsing throws a RecordingError at `offset` whose message matches. */
function expectRejected(bytes: Uint8Array, offset: number, message: RegExp | string): RecordingError {
  const error = parseError(bytes);
  expect(error.offset, error.message).toBe(offset);
  if (typeof message === 'string') expect(error.message).toContain(message);
  else expect(error.message).toMatch(message);
  expect(error.message).toContain(hex(offset));
  return error;
}

/** header + META (from JSON text or bytes) + PROG. */
function startWith(metaPayload: string | Uint8Array, program = PROGRAM): Uint8Array {
  const payload = typeof metaPayload === 'string' ? utf8(metaPayload) : metaPayload;
  return concat(header(), rawChunk('META', payload), rawChunk('PROG', program));
}

const START = RecordingWriter.start(META, PROGRAM);
const PROG_OFFSET = 16 + 8 + utf8(META_JSON).length + 4;
const AFTER_PROG = START.length;

// ---------------------------------------------------------------------------
// Writing and reading back
// ---------------------------------------------------------------------------

describe('round trip', () => {
  it('writes the header and the META and PROG chunks as specified', () => {
    expect(Array.from(RECORDING_MAGIC)).toEqual([0x48, 0x53, 0x52, 0x45, 0x43, 0x0d, 0x0a, 0x1a]);
    expect(RECORDING_VERSION).toBe(4);
    // A one-hart machine is still written as version 3, which readers before harts replay.
    expect(new DataView(START.buffer, START.byteOffset).getUint32(8, true)).toBe(3);
    expect(START).toEqual(startWith(META_JSON));
    expect(PROG_OFFSET + 8 + PROGRAM.length + 4).toBe(AFTER_PROG);
  });

  it('writes events as specified', () => {
    const chunk = RecordingWriter.events([
      { kind: 'console-input', icount: 1n, bytes: utf8('ab') },
      { kind: 'wall-clock', icount: 2n, seconds: 1700000000n },
      { kind: 'uart-input', icount: 3n, bytes: utf8('u') },
      { kind: 'digest', icount: 4n, digest: new Uint8Array(8).fill(7) },
      { kind: 'output', icount: 0x1_0000_0000n, stream: 'stderr', bytes: utf8('err') },
    ]);
    const payload = concat(
      rawEvent(1, 1n, utf8('ab')),
      rawEvent(2, 2n, u64(1700000000n)),
      rawEvent(3, 3n, utf8('u')),
      rawEvent(4, 4n, new Uint8Array(8).fill(7)),
      rawEvent(5, 0x1_0000_0000n, concat(new Uint8Array([2]), utf8('err'))),
    );
    expect(chunk).toEqual(rawChunk('EVTS', payload));
    expect(RecordingWriter.snapshot(utf8('img'))).toEqual(rawChunk('SNAP', utf8('img')));
    expect(RecordingWriter.end(END)).toEqual(
      rawChunk('END ', utf8('{"icount":"123456789","reason":"exit","exitCode":3,"finalDigest":"0123456789abcdef0123456789abcdef"}')),
    );
    expect(RecordingWriter.end({ icount: 0n, reason: 'halt', finalDigest: '00'.repeat(8) })).toEqual(
      rawChunk('END ', utf8('{"icount":"0","reason":"halt","finalDigest":"0000000000000000"}')),
    );
  });

  it('reads back what the writer wrote', () => {
    const snapshot = randomBytes(rng(4), 1000);
    const file = concat(START, RecordingWriter.events(ALL_KINDS), RecordingWriter.snapshot(snapshot), RecordingWriter.end(END));
    const parsed = parseRecording(file);
    expect(parsed).toEqual({
      version: 3,
      id: recordingIdOf(file),
      boardRevision: 2,
      meta: META,
      program: PROGRAM,
      events: ALL_KINDS,
      snapshot,
      end: END,
      validLength: file.length,
    } satisfies ParsedRecording);
    expect(parsed.truncation).toBeUndefined();
  });

  it('reads back a recording split into many EVTS chunks, including empty ones', () => {
    const next = rng(5);
    const events = randomEvents(next, 2000);
    const pieces = [START];
    let at = 0;
    let chunks = 0;
    while (at < events.length) {
      const take = randomInt(next, 4) === 0 ? 0 : randomInt(next, 60);
      pieces.push(RecordingWriter.events(events.slice(at, at + take)));
      at += take;
      chunks++;
    }
    const last = events[events.length - 1].icount;
    const end: RecordingEnd = { icount: last, reason: 'exit', exitCode: 0, finalDigest: 'ff'.repeat(32) };
    pieces.push(RecordingWriter.end(end));
    const parsed = parseRecording(concat(...pieces));
    expect(chunks).toBeGreaterThan(50);
    expect(parsed.events).toEqual(events);
    expect(parsed.meta).toEqual(META);
    expect(parsed.program).toEqual(PROGRAM);
    expect(parsed.end).toEqual(end);
    expect(parsed.snapshot).toBeUndefined();
  });

  it('reads a recording with no events and no END (the program has just started)', () => {
    const parsed = parseRecording(START);
    expect(parsed.events).toEqual([]);
    expect(parsed.end).toBeUndefined();
    expect(parsed.truncation).toBeUndefined();
    expect(parsed.validLength).toBe(START.length);
  });

  it('keeps a META with non-ASCII text and drops unknown META fields', () => {
    const meta = metaFor(PROGRAM, { name: 'プログラム ✓', commandLine: '\u0000 tab\t "quoted" \ud800', host: 'browser' });
    const parsed = parseRecording(RecordingWriter.start(meta, PROGRAM));
    expect(parsed.meta).toEqual(meta);
    const extra = parseRecording(startWith(JSON.stringify({ ...META, futureField: [1, 2] })));
    expect(extra.meta).toEqual(META);
  });

  it('accepts an END without exit code, and an END at the icount of the last event', () => {
    const end: RecordingEnd = { icount: 123_456_789n, reason: 'stopped by user', finalDigest: 'ab'.repeat(64) };
    const parsed = parseRecording(concat(START, RecordingWriter.events(ALL_KINDS), RecordingWriter.end(end)));
    expect(parsed.end).toEqual(end);
    expect('exitCode' in parsed.end!).toBe(false);
  });

  it('skips chunks of unknown optional types (first letter lowercase), wherever they are after PROG', () => {
    const file = concat(
      START,
      rawChunk('xTRA', utf8('future stuff')),
      RecordingWriter.events(ALL_KINDS.slice(0, 3)),
      rawChunk('q\x01\x02\x03', new Uint8Array(0)),
      RecordingWriter.events(ALL_KINDS.slice(3)),
      rawChunk('zzzz', randomBytes(rng(6), 100)),
      RecordingWriter.end(END),
    );
    const parsed = parseRecording(file);
    expect(parsed.events).toEqual(ALL_KINDS);
    expect(parsed.end).toEqual(END);
  });

  it('reads a recording from a view into a larger buffer without looking outside it', () => {
    const { file, chunks } = smallRecording();
    const buffer = concat(randomBytes(rng(7), 13), file, file);
    for (const cut of chunks.slice(2).map((c) => c.offset + c.total - 5).concat(file.length)) {
      const view = buffer.subarray(13, 13 + cut);
      const fromView = parseRecording(view);
      const fromCopy = parseRecording(Uint8Array.from(view));
      expect(fromView).toEqual(fromCopy);
    }
  });
});

// ---------------------------------------------------------------------------
// Cut-off files
// ---------------------------------------------------------------------------

describe('truncation', () => {
  it('reads a file cut at every byte offset up to its last complete chunk', () => {
    const { file, chunks, eventsByChunk } = smallRecording();
    const progEnd = chunks[1].offset + chunks[1].total;
    expect(chunks.map((c) => c.type)).toEqual(['META', 'PROG', 'EVTS', 'EVTS', 'SNAP', 'EVTS', 'EVTS', 'END ']);
    for (let cut = 0; cut <= file.length; cut++) {
      const bytes = file.subarray(0, cut);
      if (cut < progEnd) {
        const error = parseError(bytes);
        expect(error.message, `cut at ${cut}`).toMatch(/^recording is too short to contain its program: /);
        continue;
      }
      const parsed = parseRecording(bytes);
      const complete = chunks.filter((c) => c.offset + c.total <= cut);
      const validLength = complete.length ? complete[complete.length - 1].offset + complete[complete.length - 1].total : 16;
      expect(parsed.validLength, `cut at ${cut}`).toBe(validLength);
      expect(parsed.events, `cut at ${cut}`).toEqual(eventsByChunk.slice(0, complete.length).flat());
      expect(parsed.meta).toEqual(META);
      expect(parsed.program).toEqual(PROGRAM);
      expect(parsed.end !== undefined).toBe(cut === file.length);
      expect(parsed.snapshot !== undefined).toBe(complete.length > 4);
      if (cut === validLength) {
        expect(parsed.truncation, `cut at ${cut}`).toBeUndefined();
      } else {
        const cutChunk = chunks[complete.length];
        const present = cut - cutChunk.offset;
        const name = present >= 4 ? `${cutChunk.type} ` : '';
        expect(parsed.truncation, `cut at ${cut}`).toContain(`the last chunk (${name}at offset ${hex(cutChunk.offset)}) is cut off: ${present} of`);
      }
    }
  });

  it('describes a cut-off chunk precisely', () => {
    const evts = RecordingWriter.events(ALL_KINDS);
    expect(parseRecording(concat(START, evts.subarray(0, 120))).truncation).toBe(
      `the last chunk (EVTS at offset ${hex(AFTER_PROG)}) is cut off: 120 of ${evts.length} bytes present`,
    );
    expect(parseRecording(concat(START, evts.subarray(0, 6))).truncation).toBe(
      `the last chunk (EVTS at offset ${hex(AFTER_PROG)}) is cut off: 6 of its 8 header bytes present`,
    );
    expect(parseRecording(concat(START, evts.subarray(0, 2))).truncation).toBe(
      `the last chunk (at offset ${hex(AFTER_PROG)}) is cut off: 2 of its 8 header bytes present`,
    );
  });

  it('says where a file too short to hold its program ends', () => {
    expectRejected(new Uint8Array(0), 0, 'recording is too short to contain its program: the 16-byte header is cut off: 0 bytes present');
    expectRejected(RECORDING_MAGIC.subarray(0, 5), 0, 'the 16-byte header is cut off: 5 bytes present');
    expectRejected(header(), 16, 'recording is too short to contain its program: it ends at offset 0x10, after the header');
    expectRejected(START.subarray(0, PROG_OFFSET), PROG_OFFSET, `it ends at offset ${hex(PROG_OFFSET)}, after the META chunk`);
    expectRejected(
      START.subarray(0, PROG_OFFSET + 20),
      PROG_OFFSET,
      `recording is too short to contain its program: the last chunk (PROG at offset ${hex(PROG_OFFSET)}) is cut off: 20 of ${PROGRAM.length + 12} bytes present`,
    );
  });

  it('treats a zero-filled tail (space a crash left unwritten) as the end of the file', () => {
    const evts = RecordingWriter.events(ALL_KINDS);
    const zeros = concat(START, evts, new Uint8Array(100));
    const parsed = parseRecording(zeros);
    expect(parsed.events).toEqual(ALL_KINDS);
    expect(parsed.validLength).toBe(AFTER_PROG + evts.length);
    expect(parsed.truncation).toBe(`the file ends with 100 zero bytes at offset ${hex(AFTER_PROG + evts.length)}, space a crash left unwritten`);

    // A chunk whose end (checksum included) was never written.
    const torn = concat(START, evts);
    torn.fill(0, torn.length - 30);
    const tornParsed = parseRecording(concat(torn, new Uint8Array(7)));
    expect(tornParsed.events).toEqual([]);
    expect(tornParsed.validLength).toBe(AFTER_PROG);
    expect(tornParsed.truncation).toContain(`EVTS at offset ${hex(AFTER_PROG)}) was never completely written`);

    // But damage followed by zeros is damage if the checksum itself survived.
    const damaged = concat(START, evts, new Uint8Array(10));
    damaged[AFTER_PROG + 20] ^= 1;
    expectRejected(damaged, AFTER_PROG, 'chunk EVTS checksum mismatch');
  });

  it('treats a hostile 4 GiB chunk length as a cut-off chunk without allocating it', () => {
    const hostile = concat(utf8('EVTS'), u32(0xffff_ffff), new Uint8Array(50));
    const started = performance.now();
    const parsed = parseRecording(concat(START, hostile));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(parsed.truncation).toBe(`the last chunk (EVTS at offset ${hex(AFTER_PROG)}) is cut off: 58 of 4294967307 bytes present`);
    expect(parsed.validLength).toBe(AFTER_PROG);
    expectRejected(concat(header(), utf8('META'), u32(0xffff_ffff), utf8('{}')), 16, 'too short to contain its program');
  });
});

// ---------------------------------------------------------------------------
// Damage
// ---------------------------------------------------------------------------

describe('corruption', () => {
  it('reports a flipped bit or byte in any chunk as corruption of that chunk, at its offset', () => {
    const { file, chunks } = smallRecording();
    let checked = 0;
    for (const chunk of chunks) {
      for (let i = chunk.offset; i < chunk.offset + chunk.total; i++) {
        for (const mask of [0x01, 0x80, 0xff]) {
          const damaged = Uint8Array.from(file);
          damaged[i] ^= mask;
          const where = `${chunk.type} byte ${i - chunk.offset} ^ ${hex(mask)}`;
          const inLength = i >= chunk.offset + 4 && i < chunk.offset + 8;
          const newTotal = 12 + new DataView(damaged.buffer).getUint32(chunk.offset + 4, true);
          if (inLength && chunk.offset + newTotal > file.length) {
            // A length pointing past the end of the file cannot be told apart from a cut-off file.
            if (chunk.type === 'META' || chunk.type === 'PROG') {
              expectRejected(damaged, chunk.offset, 'too short to contain its program');
            } else {
              const parsed = parseRecording(damaged);
              expect(parsed.validLength, where).toBe(chunk.offset);
              expect(parsed.truncation, where).toContain(`at offset ${hex(chunk.offset)}) is cut off`);
            }
            continue;
          }
          const error = parseError(damaged);
          expect(error.offset, where).toBe(chunk.offset);
          const name = i < chunk.offset + 4 ? '' : ` ${chunk.type}`;
          expect(error.message, where).toMatch(
            new RegExp(`^corrupt recording at offset ${hex(chunk.offset)}: chunk${name}.* checksum mismatch \\(stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\\)$`),
          );
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(1500);
  });

  it('reports damage to the header', () => {
    const { file } = smallRecording();
    for (let i = 0; i < 8; i++) {
      const damaged = Uint8Array.from(file);
      damaged[i] ^= 0x20;
      expectRejected(damaged, 0, 'not a Hindsight recording (bad magic)');
    }
    for (let i = 8; i < 12; i++) {
      const damaged = Uint8Array.from(file);
      damaged[i] ^= 0x40;
      expectRejected(damaged, 8, /recording format version \d+ is newer than this Hindsight understands \(4\)/);
    }
    for (let i = 12; i < 16; i++) {
      const damaged = Uint8Array.from(file);
      damaged[i] ^= 0x01;
      expectRejected(damaged, 12, /^recording header flags 0x[0-9a-f]{8} are not understood/);
    }
  });
});

// ---------------------------------------------------------------------------
// Rejections
// ---------------------------------------------------------------------------

describe('rejection', () => {
  it('rejects files that are not recordings, including text-mode mangled ones', () => {
    expectRejected(concat(utf8('\x7fELF'), new Uint8Array(100)), 0, 'not a Hindsight recording (bad magic)');
    expectRejected(utf8('HSREC'), 0, 'too short'); // a prefix of the magic
    expectRejected(utf8('HSRE!'), 0, 'not a Hindsight recording (bad magic)');
    const crlfToLf = concat(utf8('HSREC\n\x1a'), START.subarray(8));
    expectRejected(crlfToLf, 0, 'not a Hindsight recording (bad magic)');
    const lfToCrlf = concat(utf8('HSREC\r\r\n\x1a'), START.subarray(8));
    expectRejected(lfToCrlf, 0, 'not a Hindsight recording (bad magic)');
  });

  it('rejects a newer or invalid format version, and unknown header flags', () => {
    const error = expectRejected(concat(header(7), START.subarray(16)), 8, 'recording format version 7 is newer than this Hindsight understands (4)');
    expect(error.message).toBe('recording format version 7 is newer than this Hindsight understands (4), at offset 0x8');
    expectRejected(concat(header(0), START.subarray(16)), 8, 'corrupt recording at offset 0x8: format version 0 is not valid');
    expectRejected(concat(header(1), START.subarray(16)), 8, /format version 1 was made by an earlier Hindsight \(an RV64IMAC machine/);
    expectRejected(concat(header(2, 1), START.subarray(16)), 12, 'recording header flags 0x00000001 are not understood');
  });

  it('rejects META and PROG missing or out of order', () => {
    const meta = rawChunk('META', utf8(META_JSON));
    const prog = rawChunk('PROG', PROGRAM);
    const evts = RecordingWriter.events(ALL_KINDS);
    expectRejected(concat(header(), prog, meta), 16, 'the first chunk must be META, not PROG');
    expectRejected(concat(header(), evts), 16, 'the first chunk must be META, not EVTS');
    expectRejected(concat(header(), rawChunk('XTRA', new Uint8Array(0)), meta, prog), 16, 'the first chunk must be META, not XTRA');
    expectRejected(concat(header(), meta, evts, prog), PROG_OFFSET, 'the second chunk must be PROG, not EVTS');
    expectRejected(concat(header(), meta, meta, prog), PROG_OFFSET, 'the second chunk must be PROG, not META');
    expectRejected(concat(START, meta), AFTER_PROG, 'a second META chunk');
    expectRejected(concat(START, evts, prog), AFTER_PROG + evts.length, 'a second PROG chunk');
  });

  it('rejects a program that does not match its recorded SHA-256', () => {
    const other = Uint8Array.from(PROGRAM);
    other[50] ^= 1;
    expectRejected(startWith(META_JSON, other), PROG_OFFSET, 'the program in this recording does not match its recorded SHA-256');
  });

  it('rejects META that is not valid UTF-8 JSON with the right fields', () => {
    const bad = (payload: string | Uint8Array, message: string) => expectRejected(startWith(payload), 16, message);
    const withField = (field: string, value: unknown) => JSON.stringify({ ...META, [field]: value });
    const without = (field: string) => JSON.stringify({ ...META, [field]: undefined });
    bad(new Uint8Array([0x7b, 0xff, 0x7d]), 'META chunk is not valid UTF-8');
    bad('{"name": "x",', 'META chunk is not valid JSON');
    bad('', 'META chunk is not valid JSON');
    bad('[1, 2]', 'META chunk must hold a JSON object, found an array');
    bad('null', 'META chunk must hold a JSON object, found null');
    bad('"meta"', 'META chunk must hold a JSON object');
    bad('[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[['.repeat(20_000), 'META chunk is not valid JSON');
    bad(without('name'), 'META field name must be a string, found nothing');
    bad(withField('name', 5), 'META field name must be a string, found 5');
    bad(withField('commandLine', null), 'META field commandLine must be a string, found null');
    bad(withField('recorder', ['x']), 'META field recorder must be a string, found an array');
    bad(withField('ramMiB', '128'), 'META field ramMiB must be a positive whole number, found "128"');
    bad(withField('ramMiB', 0), 'META field ramMiB must be a positive whole number, found 0');
    bad(withField('ramMiB', 1.5), 'META field ramMiB must be a positive whole number, found 1.5');
    bad(without('ramMiB'), 'META field ramMiB must be a positive whole number, found nothing');
    bad(withField('createdAt', 'yesterday'), 'META field createdAt must be an ISO 8601 date-time, found "yesterday"');
    bad(withField('createdAt', '2025-13-01T00:00:00Z'), 'META field createdAt must be an ISO 8601 date-time');
    bad(withField('host', 'server'), 'META field host must be "cli" or "browser", found "server"');
    bad(withField('programSha256', META.programSha256.toUpperCase()), 'META field programSha256 must be 64 lowercase hex digits');
    bad(withField('programSha256', META.programSha256.slice(1)), 'META field programSha256 must be 64 lowercase hex digits');
    // Each message names the place precisely.
    expect(parseError(startWith('[]')).message).toBe('corrupt recording at offset 0x10: META chunk must hold a JSON object, found an array');
  });

  it('accepts the ISO 8601 forms toISOString and other clocks produce', () => {
    for (const createdAt of ['2025-03-04T05:06:07Z', '2025-03-04T05:06:07.123456789Z', '2025-03-04T05:06:07+01:00', new Date(0).toISOString()]) {
      expect(parseRecording(startWith(JSON.stringify({ ...META, createdAt }))).meta.createdAt).toBe(createdAt);
    }
  });

  it('rejects an END chunk followed by anything', () => {
    const end = RecordingWriter.end(END);
    const complete = concat(START, end);
    expectRejected(concat(complete, RecordingWriter.events([])), complete.length, 'corrupt recording at offset');
    expectRejected(concat(complete, end), complete.length, '28 bytes of data follow the END chunk'.replace('28', String(end.length)));
    expectRejected(concat(complete, new Uint8Array(1)), complete.length, '1 bytes of data follow the END chunk');
  });

  it('rejects malformed END chunks', () => {
    const bad = (json: unknown, message: string) =>
      expectRejected(concat(START, rawChunk('END ', utf8(JSON.stringify(json)))), AFTER_PROG, message);
    const base = { icount: '5', reason: 'exit', exitCode: 0, finalDigest: '00'.repeat(8) };
    bad({ ...base, icount: 5 }, 'END field icount must be a decimal string from 0 to 2^64-1, found 5');
    bad({ ...base, icount: '-5' }, 'END field icount must be a decimal string');
    bad({ ...base, icount: '05' }, 'END field icount must be a decimal string');
    bad({ ...base, icount: '0x5' }, 'END field icount must be a decimal string');
    bad({ ...base, icount: '18446744073709551616' }, 'END field icount must be a decimal string');
    bad({ ...base, icount: '9'.repeat(100_000) }, 'END field icount must be a decimal string');
    bad({ ...base, reason: undefined }, 'END field reason must be a string, found nothing');
    bad({ ...base, exitCode: null }, 'END field exitCode must be a whole number if present, found null');
    bad({ ...base, exitCode: 0.5 }, 'END field exitCode must be a whole number if present');
    bad({ ...base, finalDigest: '00'.repeat(7) }, 'END field finalDigest must be 8 to 64 bytes as lowercase hex');
    bad({ ...base, finalDigest: '00'.repeat(65) }, 'END field finalDigest must be 8 to 64 bytes as lowercase hex');
    bad({ ...base, finalDigest: 'AB'.repeat(8) }, 'END field finalDigest must be 8 to 64 bytes as lowercase hex');
    bad({ ...base, finalDigest: '0'.repeat(17) }, 'END field finalDigest must be 8 to 64 bytes as lowercase hex');
    bad([], 'END chunk must hold a JSON object, found an array');
    expect(parseRecording(concat(START, rawChunk('END ', utf8(JSON.stringify({ ...base, icount: '18446744073709551615' }))))).end?.icount).toBe(
      (1n << 64n) - 1n,
    );
    const evts = RecordingWriter.events([{ kind: 'console-input', icount: 6n, bytes: new Uint8Array(0) }]);
    expectRejected(
      concat(START, evts, rawChunk('END ', utf8(JSON.stringify(base)))),
      AFTER_PROG + evts.length,
      "END icount 5 is before the last event's icount 6",
    );
  });

  it('rejects a second SNAP chunk', () => {
    const snap = RecordingWriter.snapshot(utf8('image'));
    const once = parseRecording(concat(START, snap));
    expect(once.snapshot).toEqual(utf8('image'));
    expectRejected(concat(START, snap, snap), AFTER_PROG + snap.length, 'a second SNAP chunk');
  });

  describe('events', () => {
    const evtsAt = AFTER_PROG + 8; // the first event of the first EVTS chunk
    const withEvents = (...events: Uint8Array[]) => concat(START, rawChunk('EVTS', concat(...events)));
    const chunkNote = `(EVTS chunk at offset ${hex(AFTER_PROG)})`;
    const ok = rawEvent(1, 100n, utf8('hi'));

    it('rejects unknown event kinds', () => {
      for (const kind of [0, 6, 0x80, 0xff]) {
        expectRejected(withEvents(ok, rawEvent(kind, 100n, new Uint8Array(0))), evtsAt + ok.length, `unknown event kind ${kind} ${chunkNote}`);
      }
    });

    it('rejects events out of icount order, within and across chunks', () => {
      expectRejected(
        withEvents(ok, rawEvent(1, 99n, new Uint8Array(0))),
        evtsAt + ok.length,
        `corrupt recording at offset ${hex(evtsAt + ok.length)}: event icount 99 is before the previous event's icount 100 ${chunkNote}`,
      );
      const first = RecordingWriter.events([{ kind: 'uart-input', icount: 1000n, bytes: utf8('a') }]);
      const second = RecordingWriter.events([
        { kind: 'uart-input', icount: 0n, bytes: utf8('b') },
      ]);
      expectRejected(concat(START, first, second), AFTER_PROG + first.length + 8, 'event icount 0 is before the previous event');
      // Equal icounts are in order.
      expect(parseRecording(withEvents(ok, ok, ok)).events).toHaveLength(3);
    });

    it('rejects event lengths that run past their chunk, without allocating', () => {
      expectRejected(
        withEvents(ok, concat(new Uint8Array([1]), u64(100n), u32(0xffff_ffff), utf8('abc'))),
        evtsAt + ok.length,
        `event payload length 4294967295 runs past the end of its chunk (3 bytes left) ${chunkNote}`,
      );
      expectRejected(withEvents(ok, rawEvent(1, 100n, utf8('x')).subarray(0, 12)), evtsAt + ok.length, 'event header cut off by the end of its chunk: 12 of 13 bytes');
      expectRejected(withEvents(new Uint8Array([1])), evtsAt, 'event header cut off by the end of its chunk: 1 of 13 bytes');
    });

    it('rejects event payloads of the wrong shape', () => {
      expectRejected(withEvents(rawEvent(2, 1n, new Uint8Array(7))), evtsAt, 'wall-clock event payload must be 8 bytes, not 7');
      expectRejected(withEvents(rawEvent(2, 1n, new Uint8Array(9))), evtsAt, 'wall-clock event payload must be 8 bytes, not 9');
      expectRejected(withEvents(rawEvent(4, 1n, new Uint8Array(7))), evtsAt, 'digest event payload must be 8 to 64 bytes, not 7');
      expectRejected(withEvents(rawEvent(4, 1n, new Uint8Array(65))), evtsAt, 'digest event payload must be 8 to 64 bytes, not 65');
      expectRejected(withEvents(rawEvent(5, 1n, new Uint8Array(0))), evtsAt, 'output event has no stream byte');
      expectRejected(withEvents(rawEvent(5, 1n, new Uint8Array([3, 65]))), evtsAt, 'output event stream must be 1 (stdout) or 2 (stderr), not 3');
      expectRejected(withEvents(rawEvent(5, 1n, new Uint8Array([0]))), evtsAt, 'output event stream must be 1 (stdout) or 2 (stderr), not 0');
    });
  });
});

// ---------------------------------------------------------------------------
// Writer argument checks
// ---------------------------------------------------------------------------

describe('RecordingWriter', () => {
  it('snapshotStream writes, piece by piece, exactly the SNAP chunk snapshot() makes', () => {
    const image = new Uint8Array(70_001).map((_, i) => (i * 31 + (i >> 9)) & 0xff);
    const s = RecordingWriter.snapshotStream(image.length);
    const parts = [s.header];
    for (let at = 0; at < image.length; at += 4096) {
      const piece = image.subarray(at, at + 4096);
      s.update(piece);
      parts.push(piece);
    }
    parts.push(s.finish());
    expect(Buffer.concat(parts).equals(Buffer.from(RecordingWriter.snapshot(image)))).toBe(true);
    const short = RecordingWriter.snapshotStream(10);
    short.update(new Uint8Array(9));
    expect(() => short.finish()).toThrow(RangeError);
    expect(() => RecordingWriter.snapshotStream(-1)).toThrow(RangeError);
  });

  it('refuses to write what a reader would reject', () => {
    expect(() => RecordingWriter.start(metaFor(PROGRAM, { programSha256: '00'.repeat(32) }), PROGRAM)).toThrow(
      /RecordingWriter.start: meta.programSha256 is 0{64} but the program's SHA-256 is [0-9a-f]{64}/,
    );
    expect(() => RecordingWriter.start(metaFor(PROGRAM, { ramMiB: 0 }), PROGRAM)).toThrow(RangeError);
    expect(() => RecordingWriter.start(metaFor(PROGRAM, { createdAt: 'now' }), PROGRAM)).toThrow(/createdAt/);
    expect(() => RecordingWriter.start(metaFor(PROGRAM, { host: 'server' as 'cli' }), PROGRAM)).toThrow(/host/);
    expect(() => RecordingWriter.events([{ kind: 'digest', icount: 0n, digest: new Uint8Array(7) }])).toThrow(/8 to 64 bytes, not 7/);
    expect(() => RecordingWriter.events([{ kind: 'digest', icount: 0n, digest: new Uint8Array(65) }])).toThrow(RangeError);
    expect(() => RecordingWriter.events([{ kind: 'wall-clock', icount: -1n, seconds: 0n }])).toThrow(/icount/);
    expect(() => RecordingWriter.events([{ kind: 'wall-clock', icount: 1n << 64n, seconds: 0n }])).toThrow(/icount/);
    expect(() => RecordingWriter.events([{ kind: 'wall-clock', icount: 0n, seconds: -1n }])).toThrow(/seconds/);
    expect(() => RecordingWriter.events([{ kind: 'output', icount: 0n, stream: 'stdlog' as 'stdout', bytes: new Uint8Array(0) }])).toThrow(/stream/);
    expect(() => RecordingWriter.events([{ kind: 'mystery', icount: 0n } as unknown as RecordingEvent])).toThrow(/unknown event kind "mystery"/);
    expect(() => RecordingWriter.events([{ kind: 'console-input', icount: 0n, bytes: 'text' as unknown as Uint8Array }])).toThrow(/Uint8Array/);
    expect(() =>
      RecordingWriter.events([
        { kind: 'uart-input', icount: 5n, bytes: utf8('a') },
        { kind: 'uart-input', icount: 4n, bytes: utf8('b') },
      ]),
    ).toThrow(/event 1: icount 4 is before the previous event's 5/);
    expect(() => RecordingWriter.end({ ...END, icount: -1n })).toThrow(/icount/);
    expect(() => RecordingWriter.end({ ...END, finalDigest: 'xyz' })).toThrow(/finalDigest/);
    expect(() => RecordingWriter.end({ ...END, exitCode: 1.5 })).toThrow(/exitCode/);
  });

  it('writes the SHA-256 the reader checks', () => {
    expect(sha256Hex(PROGRAM)).toBe(nodeSha256(PROGRAM));
    expect(() => RecordingWriter.start(metaFor(PROGRAM), PROGRAM)).not.toThrow();
  });
});

// ---------------------------------------------------------------------------
// Fuzzing: whatever the input, parseRecording returns a consistent result or
// throws a RecordingError, and never anything else.
// ---------------------------------------------------------------------------

function checkedParse(bytes: Uint8Array, label: string): 'parsed' | 'rejected' {
  let parsed: ParsedRecording;
  try {
    parsed = parseRecording(bytes);
  } catch (e) {
    if (!(e instanceof RecordingError)) throw new Error(`${label}: threw ${String(e)}`);
    expect(Number.isInteger(e.offset) && e.offset >= 0 && e.offset <= bytes.length, `${label}: ${e.message}`).toBe(true);
    expect(e.message, label).toContain(hex(e.offset));
    return 'rejected';
  }
  expect(parsed.validLength, label).toBeLessThanOrEqual(bytes.length);
  expect(parsed.truncation === undefined, label).toBe(parsed.validLength === bytes.length);
  expect(parsed.end === undefined || parsed.validLength === bytes.length, label).toBe(true);
  for (let i = 1; i < parsed.events.length; i++) {
    expect(parsed.events[i].icount >= parsed.events[i - 1].icount, label).toBe(true);
  }
  expect(nodeSha256(parsed.program), label).toBe(parsed.meta.programSha256);
  return 'parsed';
}

describe('fuzz', () => {
  it('survives random bytes, with and without a valid header', () => {
    const next = rng(0xf00d);
    for (let i = 0; i < 2000; i++) {
      const body = randomBytes(next, randomInt(next, 300));
      const bytes = i % 2 === 0 ? body : concat(header(), body);
      expect(checkedParse(bytes, `random case ${i}`)).toBe('rejected');
    }
  });

  it('survives random mutations of a valid recording', () => {
    const { file } = smallRecording();
    const next = rng(0xbeef);
    const outcomes = { parsed: 0, rejected: 0 };
    const interesting = [0, 0xff, 0x7f, 0x80, 1, 13, 8, 64, 65];
    for (let i = 0; i < 4000; i++) {
      let bytes: Uint8Array = Uint8Array.from(file);
      const mutations = 1 + randomInt(next, 3);
      for (let m = 0; m < mutations; m++) {
        const at = randomInt(next, bytes.length + 1);
        switch (randomInt(next, 7)) {
          case 0: // flip a bit
            if (at < bytes.length) bytes[at] ^= 1 << randomInt(next, 8);
            break;
          case 1: // overwrite with an interesting value
            if (at < bytes.length) bytes[at] = interesting[randomInt(next, interesting.length)];
            break;
          case 2: // insert random bytes
            bytes = concat(bytes.subarray(0, at), randomBytes(next, 1 + randomInt(next, 16)), bytes.subarray(at));
            break;
          case 3: // delete a range
            bytes = concat(bytes.subarray(0, at), bytes.subarray(Math.min(bytes.length, at + 1 + randomInt(next, 16))));
            break;
          case 4: // truncate
            bytes = bytes.subarray(0, at);
            break;
          case 5: // overwrite a u32 (a length field, say) with something hostile
            if (at + 4 <= bytes.length) bytes.set(u32([0xffff_ffff, 0x8000_0000, 0x10000, 13, 0][randomInt(next, 5)]), at);
            break;
          default: // duplicate a range
            bytes = concat(bytes.subarray(0, at), bytes.subarray(at, at + randomInt(next, 64)), bytes.subarray(at));
            break;
        }
      }
      outcomes[checkedParse(bytes, `mutation case ${i}`)]++;
    }
    // Both outcomes are exercised.
    expect(outcomes.parsed).toBeGreaterThan(200);
    expect(outcomes.rejected).toBeGreaterThan(200);
  });

  it('survives damage to chunks with valid checksums (structure fuzzing)', () => {
    const next = rng(0xcafe);
    const kinds = [0, 1, 2, 3, 4, 5, 6, 255];
    for (let i = 0; i < 2000; i++) {
      const events: Uint8Array[] = [];
      const count = randomInt(next, 5);
      for (let e = 0; e < count; e++) {
        const raw = rawEvent(kinds[randomInt(next, kinds.length)], BigInt(randomInt(next, 50)), randomBytes(next, randomInt(next, 70)));
        if (next() < 0.2) raw.set(u32(randomInt(next, 200)), 9);
        events.push(raw);
      }
      const evts = concat(...events);
      const cut = next() < 0.2 ? evts.subarray(0, randomInt(next, evts.length + 1)) : evts;
      const tail =
        next() < 0.3
          ? rawChunk('END ', randomInt(next, 2) ? utf8(JSON.stringify({ icount: String(randomInt(next, 100)), reason: 'x', finalDigest: '00'.repeat(8) })) : randomBytes(next, 20))
          : new Uint8Array(0);
      checkedParse(concat(START, rawChunk('EVTS', cut), tail), `structure case ${i}`);
    }
  });
});

describe('SRCS chunk (source files)', () => {
  it('round trips source files and rejects malformed ones', async () => {
    const { RecordingWriter: W, parseRecording: parse } = await import('./recording');
    const { sha256Hex: sha } = await import('./sha256');
    const program = new Uint8Array([1, 2, 3]);
    const meta = { name: 'p', ramMiB: 16, commandLine: 'p', createdAt: '2026-01-01T00:00:00.000Z', recorder: 'test', host: 'cli' as const, programSha256: sha(program) };
    const files = { 'src/main.c': 'int main(void) { return 0; }\n', 'ünïcode.h': '// ✓\n' };
    const start = W.start(meta, program);
    const ok = new Uint8Array([...start, ...W.sources(files)]);
    expect(parse(ok).sources).toEqual(files);
    expect(parse(start).sources).toBeUndefined();
    const twice = new Uint8Array([...ok, ...W.sources(files)]);
    expect(() => parse(twice)).toThrow(/a second SRCS chunk/);
  });
});

describe('DISK chunk (the machine disk image) and board revisions', () => {
  const disk = randomBytes(rng(9), 4096);
  const withDisk = metaFor(PROGRAM, { diskSha256: nodeSha256(disk) });

  it('round trips a disk image as the third chunk, and a version 3 recording is on board revision 2', () => {
    const file = concat(RecordingWriter.start(withDisk, PROGRAM, disk), RecordingWriter.end(END));
    expect(chunksOf(file).map((c) => c.type)).toEqual(['META', 'PROG', 'DISK', 'END ']);
    const parsed = parseRecording(file);
    expect(parsed.version).toBe(3);
    expect(parsed.boardRevision).toBe(2);
    expect(parsed.meta.diskSha256).toBe(nodeSha256(disk));
    expect(Array.from(parsed.disk!)).toEqual(Array.from(disk));
    expect(parseRecording(START).disk).toBeUndefined();
  });

  it('a version 2 recording is replayed on board revision 1 and cannot name a disk', () => {
    const v2 = concat(header(2), rawChunk('META', utf8(META_JSON)), rawChunk('PROG', PROGRAM));
    expect(parseRecording(v2).boardRevision).toBe(1);
    const v2disk = concat(header(2), rawChunk('META', utf8(JSON.stringify(withDisk))), rawChunk('PROG', PROGRAM), rawChunk('DISK', disk));
    expect(() => parseRecording(v2disk)).toThrow(/META names a disk, which a format version 2 recording cannot have/);
    // Rewriting an old recording keeps its version (and so its board).
    expect(parseRecording(RecordingWriter.start(META, PROGRAM, undefined, 2)).version).toBe(2);
    expect(() => RecordingWriter.start(withDisk, PROGRAM, disk, 2)).toThrow(/has no disk/);
  });

  it('refuses a missing, forged, unnamed or second disk, and a file cut off inside it', () => {
    const v3 = (metaJson: string, ...chunks: Uint8Array[]) => concat(header(3), rawChunk('META', utf8(metaJson)), rawChunk('PROG', PROGRAM), ...chunks);
    const named = JSON.stringify(withDisk);
    expect(() => parseRecording(v3(named, rawChunk('EVTS', new Uint8Array())))).toThrow(/META names a disk, so the third chunk must be DISK, not EVTS/);
    const forged = Uint8Array.from(disk);
    forged[100] ^= 1;
    expect(() => parseRecording(v3(named, rawChunk('DISK', forged)))).toThrow(/disk image in this recording does not match its recorded SHA-256/);
    expect(() => parseRecording(v3(META_JSON, rawChunk('DISK', disk)))).toThrow(/a DISK chunk that META does not name/);
    expect(() => parseRecording(v3(named, rawChunk('DISK', disk), rawChunk('DISK', disk)))).toThrow(/a second DISK chunk/);
    const whole = v3(named, rawChunk('DISK', disk));
    expect(() => parseRecording(whole.subarray(0, whole.length - 100))).toThrow(/too short to contain its disk image/);
    expect(() => parseRecording(v3(JSON.stringify({ ...withDisk, diskSha256: 'xyz' })))).toThrow(/field diskSha256 must be 64 lowercase hex digits/);
    expect(() => RecordingWriter.start(META, PROGRAM, disk)).toThrow(/a disk and meta.diskSha256 go together/);
  });
});

describe('recording identity and annotations', () => {
  const notes = { version: 1, notes: [{ id: 1, icount: '14004', text: 'the store that corrupts calibration_offset' }, { id: 2, icount: '5', end: '9', text: 'a range' }],
    traps: [{ kind: 'watchpoint', address: '2147500000', label: 'calibration_offset', enabled: true, length: 8, access: 'write' },
      { kind: 'breakpoint', address: '2147483700', label: 'corruption.c:126', enabled: false }],
    position: { icount: '14004', hart: 0 } };

  it('the id is the first 128 bits of the SHA-256 of the META payload, the same however much of the run a copy holds', () => {
    const whole = concat(START, RecordingWriter.events(ALL_KINDS), RecordingWriter.end(END));
    const id = nodeSha256(utf8(META_JSON)).slice(0, 32);
    expect(parseRecording(START).id).toBe(id);
    expect(parseRecording(whole).id).toBe(id);
    expect(recordingIdOf(whole)).toBe(id);
    const other = RecordingWriter.start({ ...META, createdAt: '2030-01-01T00:00:00.000Z' }, PROGRAM);
    expect(parseRecording(other).id).not.toBe(id);
  });

  it('reads the anno chunk (an optional type) written independently, and the writer makes the same bytes', () => {
    const file = concat(START, rawChunk('anno', utf8(JSON.stringify(notes))), RecordingWriter.end(END));
    const a = parseRecording(file).annotations!;
    expect(a.notes.map((n) => [n.id, n.icount, n.end, n.text])).toEqual([[1, 14004n, undefined, notes.notes[0].text], [2, 5n, 9n, 'a range']]);
    expect(a.traps[0]).toEqual({ kind: 'watchpoint', address: 2147500000n, label: 'calibration_offset', enabled: true, length: 8, access: 'write' });
    expect(a.position).toEqual({ icount: 14004n, hart: 0 });
    expect(Array.from(RecordingWriter.annotations(a))).toEqual(Array.from(rawChunk('anno', utf8(JSON.stringify(notes)))));
  });

  it('refuses a bad anno chunk saying what is wrong, and a second one', () => {
    const bad = (value: unknown) => concat(START, rawChunk('anno', utf8(JSON.stringify(value))));
    expect(() => parseRecording(bad({ ...notes, version: 2 }))).toThrow(/anno chunk .* unreadable: annotations version 2 is newer/);
    expect(() => parseRecording(bad({ ...notes, notes: [{ id: 1, icount: '-1', text: 'x' }] }))).toThrow(/note 1's icount must be a decimal string/);
    expect(() => parseRecording(bad({ ...notes, notes: [{ id: 1, icount: '9', end: '3', text: 'x' }] }))).toThrow(/note 1 ends \(3\) before it starts \(9\)/);
    expect(() => parseRecording(bad({ ...notes, notes: [{ id: 1, icount: '1', text: 'x'.repeat(5000) }] }))).toThrow(/more than the 4000 allowed/);
    expect(() => parseRecording(bad({ ...notes, traps: [{ kind: 'watchpoint', address: '1', label: '', enabled: true, length: 0, access: 'write' }] }))).toThrow(/length must be 1 to 4096/);
    expect(() => parseRecording(bad({ ...notes, position: { icount: '1', hart: 9 } }))).toThrow(/position.hart/);
    expect(() => parseRecording(concat(START, rawChunk('anno', utf8('{not json'))))).toThrow(/not valid UTF-8 JSON/);
    const one = rawChunk('anno', utf8(JSON.stringify(notes)));
    expect(() => parseRecording(concat(START, one, one))).toThrow(/a second anno chunk/);
    expect(() => RecordingWriter.annotations({ notes: [{ id: 0, icount: 1n, text: '' }], traps: [] })).toThrow(/RecordingWriter.annotations: note 1 needs a unique/);
  });
});
