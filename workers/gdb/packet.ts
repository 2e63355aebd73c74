// The GDB remote serial protocol's framing: packets, checksums, acks, escapes,
// run-length encoding and the interrupt byte. Pure functions and a byte-stream
// reader with no host dependency: the Node TCP server and a browser bridge
// both feed it whatever bytes arrive.
//
//   $<data>#<2 hex digits: sum of the data bytes mod 256>
//
// Outside packets the peer sends '+' (received), '-' (resend) and 0x03 (stop).

export const INTERRUPT = 0x03;
/** Largest packet we accept, advertised as PacketSize in qSupported. */
export const PACKET_SIZE = 0x4000;
/**
 * Bytes that may arrive outside any valid packet (garbage, the tails of
 * oversized packets) before the reader gives up on the peer.
 */
export const GARBAGE_LIMIT = 1 << 20;

const DOLLAR = 0x24, HASH = 0x23, ESCAPE = 0x7d, STAR = 0x2a, PLUS = 0x2b, MINUS = 0x2d;

export type ReaderEvent =
  /** A well-formed packet: checksum good, run-length encoding expanded. */
  | { kind: 'packet'; data: Uint8Array }
  /** Checksum wrong or not hex: the peer should be asked to resend ('-'). */
  | { kind: 'bad-checksum' }
  /** Checksum good but the content cannot be decoded (bad run-length encoding). */
  | { kind: 'malformed'; reason: string }
  /** A packet longer than PACKET_SIZE was dropped. */
  | { kind: 'oversized' }
  | { kind: 'ack' }
  | { kind: 'nack' }
  | { kind: 'interrupt' }
  /** Too many bytes outside valid packets: the peer is not speaking the protocol. */
  | { kind: 'flood' };

const enum State { Idle, Data, Check1, Check2, Discard, DiscardCheck1, DiscardCheck2 }

/** Turns a byte stream into protocol events. Bounded memory whatever arrives. */
export class PacketReader {
  private state = State.Idle;
  private buf: Uint8Array;
  private len = 0;
  private sum = 0;
  private check = 0;
  private garbage = 0;
  private flooded = false;

  constructor(private readonly maxPacket = PACKET_SIZE, private readonly garbageLimit = GARBAGE_LIMIT) {
    this.buf = new Uint8Array(Math.min(maxPacket, 4096));
  }

  push(chunk: Uint8Array): ReaderEvent[] {
    const events: ReaderEvent[] = [];
    if (this.flooded) return events;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      switch (this.state) {
        case State.Idle:
          if (b === DOLLAR) this.begin();
          else if (b === PLUS) events.push({ kind: 'ack' });
          else if (b === MINUS) events.push({ kind: 'nack' });
          else if (b === INTERRUPT) events.push({ kind: 'interrupt' });
          else this.garbage++;
          break;
        case State.Data:
          if (b === HASH) { this.state = State.Check1; break; }
          if (b === DOLLAR) { this.garbage += this.len + 1; this.begin(); break; } // a new packet: the unfinished one was noise
          if (this.len >= this.maxPacket) { this.state = State.Discard; this.garbage += this.len; this.len = 0; break; }
          this.append(b);
          this.sum = (this.sum + b) & 0xff;
          break;
        case State.Check1: {
          const h = hexValue(b);
          this.check = h < 0 ? -256 : h << 4;
          this.state = State.Check2;
          break;
        }
        case State.Check2: {
          const h = hexValue(b);
          this.state = State.Idle;
          if (h < 0 || this.check < 0 || ((this.check | h) !== this.sum)) { events.push({ kind: 'bad-checksum' }); this.garbage += this.len; break; }
          const decoded = expandRunLength(this.buf.subarray(0, this.len), this.maxPacket);
          if (typeof decoded === 'string') events.push({ kind: 'malformed', reason: decoded });
          else { events.push({ kind: 'packet', data: decoded }); this.garbage = 0; }
          break;
        }
        case State.Discard:
          this.garbage++;
          if (b === HASH) this.state = State.DiscardCheck1;
          break;
        case State.DiscardCheck1:
          this.garbage++;
          this.state = State.DiscardCheck2;
          break;
        case State.DiscardCheck2:
          this.garbage++;
          this.state = State.Idle;
          events.push({ kind: 'oversized' });
          break;
      }
      if (this.garbage > this.garbageLimit) {
        this.flooded = true;
        events.push({ kind: 'flood' });
        return events;
      }
    }
    return events;
  }

  /** Whether the reader is in the middle of a packet. */
  get partial(): boolean { return this.state !== State.Idle; }

  private begin(): void {
    this.state = State.Data;
    this.len = 0;
    this.sum = 0;
  }

  private append(b: number): void {
    if (this.len === this.buf.length) {
      const bigger = new Uint8Array(Math.min(this.maxPacket, this.buf.length * 2));
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.len++] = b;
  }
}

function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  return -1;
}

/**
 * Expands run-length encoding: `X*n` stands for X followed by (n - 29) more
 * copies of X, n a printable character. Returns an error message when the
 * encoding is broken or the result would exceed `limit` bytes.
 */
export function expandRunLength(data: Uint8Array, limit = PACKET_SIZE): Uint8Array | string {
  if (data.indexOf(STAR) < 0) return data.slice();
  const out: number[] = [];
  for (let i = 0; i < data.length; i++) {
    const b = data[i];
    if (b !== STAR) { out.push(b); continue; }
    if (out.length === 0) return 'run-length encoding with nothing to repeat';
    if (i + 1 >= data.length) return 'run-length encoding without a count';
    const n = data[++i];
    if (n < 32 || n > 126 || n === DOLLAR || n === HASH) return 'run-length count out of range';
    const repeat = n - 29;
    if (out.length + repeat > limit) return 'run-length encoding expands past the packet size';
    const last = out[out.length - 1];
    for (let k = 0; k < repeat; k++) out.push(last);
  }
  return Uint8Array.from(out);
}

export function checksum(data: Uint8Array): number {
  let s = 0;
  for (const b of data) s = (s + b) & 0xff;
  return s;
}

const encoder = new TextEncoder();

/** Frames a packet. The data is sent as is: escape binary payloads with escapeBinary first. */
export function encodePacket(data: Uint8Array | string): Uint8Array {
  const bytes = typeof data === 'string' ? latin1(data) : data;
  const out = new Uint8Array(bytes.length + 4);
  out[0] = DOLLAR;
  out.set(bytes, 1);
  out[bytes.length + 1] = HASH;
  const cs = checksum(bytes).toString(16).padStart(2, '0');
  out[bytes.length + 2] = cs.charCodeAt(0);
  out[bytes.length + 3] = cs.charCodeAt(1);
  return out;
}

/** Escapes '$', '#', '}' and '*' in binary data ('}' then the byte XOR 0x20). */
export function escapeBinary(data: Uint8Array): Uint8Array {
  let extra = 0;
  for (const b of data) if (b === DOLLAR || b === HASH || b === ESCAPE || b === STAR) extra++;
  if (extra === 0) return data;
  const out = new Uint8Array(data.length + extra);
  let o = 0;
  for (const b of data) {
    if (b === DOLLAR || b === HASH || b === ESCAPE || b === STAR) { out[o++] = ESCAPE; out[o++] = b ^ 0x20; } else out[o++] = b;
  }
  return out;
}

/** Undoes escapeBinary; undefined when the data ends in the middle of an escape. */
export function unescapeBinary(data: Uint8Array): Uint8Array | undefined {
  if (data.indexOf(ESCAPE) < 0) return data;
  const out: number[] = [];
  for (let i = 0; i < data.length; i++) {
    if (data[i] !== ESCAPE) { out.push(data[i]); continue; }
    if (++i >= data.length) return undefined;
    out.push(data[i] ^ 0x20);
  }
  return Uint8Array.from(out);
}

/** Bytes of a string whose characters are all below 256 (protocol text is ASCII). */
export function latin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

export function latin1String(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return s;
}

const HEX = '0123456789abcdef';

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += HEX[b >> 4] + HEX[b & 15];
  return s;
}

/** Text (UTF-8) as hex, for 'O' packets and qRcmd output. */
export function textToHex(text: string): string {
  return toHex(encoder.encode(text));
}

/** Strict hex decoding: even length, hex digits only. */
export function fromHex(hex: string): Uint8Array | undefined {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return undefined;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** A hex number as the protocol writes addresses and lengths (1-16 digits, big-endian). */
export function parseHexNumber(s: string, maxDigits = 16): bigint | undefined {
  if (s.length === 0 || s.length > maxDigits || !/^[0-9a-fA-F]+$/.test(s)) return undefined;
  return BigInt('0x' + s);
}

/** A 64-bit register value in target (little-endian) byte order, as hex. */
export function registerHex(value: bigint, bytes = 8): string {
  let s = '';
  let v = BigInt.asUintN(bytes * 8, value);
  for (let i = 0; i < bytes; i++) { const b = Number(v & 0xffn); s += HEX[b >> 4] + HEX[b & 15]; v >>= 8n; }
  return s;
}
