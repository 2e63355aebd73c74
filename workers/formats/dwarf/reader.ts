/**
 * Bounds-checked little-endian reading of DWARF sections, shared by the
 * line-number, debug-info and call-frame readers.
 *
 * Every read checks its range and throws a {@link DwarfError} that names the
 * section and the offset, so a malformed section can never make us read
 * outside it. 64-bit values are returned as JavaScript numbers: exact below
 * 2^53, approximate (but finite and harmless) above, where the callers
 * treat them as invalid addresses or sizes.
 */

/** A malformed or unsupported DWARF section. The message says which section, where, and what. */
export class DwarfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DwarfError';
  }
}

export const TWO_32 = 0x1_0000_0000;
export const TWO_53 = 2 ** 53;

export function hex(n: number): string {
  return Number.isSafeInteger(n) && n >= 0 ? '0x' + n.toString(16) : String(n);
}

/** A cursor over one DWARF section. `limit` is the end of the current unit (or of the section). */
export class Reader {
  pos: number;
  limit: number;
  private readonly view: DataView;

  constructor(
    readonly data: Uint8Array,
    /** Section name, for messages: ".debug_line". */
    readonly section: string,
    pos = 0,
    limit = data.length,
  ) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.pos = pos;
    this.limit = Math.min(limit, data.length);
  }

  /** A DwarfError "<section> at offset 0x…: <message>", at `at` (default: the current position). */
  error(message: string, at = this.pos): DwarfError {
    return new DwarfError(`DWARF ${this.section} at offset ${hex(at)}: ${message}`);
  }

  get remaining(): number {
    return this.limit - this.pos;
  }

  need(size: number, what: string): void {
    if (!(size >= 0 && size <= this.limit - this.pos)) {
      throw this.error(`${what} (${size} bytes) runs past the end of the ${this.limit < this.data.length ? 'unit' : 'section'}`);
    }
  }

  u8(what = 'byte'): number {
    this.need(1, what);
    return this.data[this.pos++];
  }

  i8(what = 'byte'): number {
    this.need(1, what);
    return this.view.getInt8(this.pos++);
  }

  u16(what = '2-byte value'): number {
    this.need(2, what);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u24(what = '3-byte value'): number {
    this.need(3, what);
    const v = this.data[this.pos] | (this.data[this.pos + 1] << 8) | (this.data[this.pos + 2] << 16);
    this.pos += 3;
    return v;
  }

  u32(what = '4-byte value'): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** An unsigned 64-bit value as a number (approximate above 2^53). */
  u64(what = '8-byte value'): number {
    this.need(8, what);
    const lo = this.view.getUint32(this.pos, true);
    const hi = this.view.getUint32(this.pos + 4, true);
    this.pos += 8;
    return hi * TWO_32 + lo;
  }

  i16(what = '2-byte value'): number {
    this.need(2, what);
    const v = this.view.getInt16(this.pos, true);
    this.pos += 2;
    return v;
  }

  i32(what = '4-byte value'): number {
    this.need(4, what);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  i64(what = '8-byte value'): number {
    this.need(8, what);
    const lo = this.view.getUint32(this.pos, true);
    const hi = this.view.getInt32(this.pos + 4, true);
    this.pos += 8;
    return hi * TWO_32 + lo;
  }

  /** An unsigned integer of `size` bytes (1, 2, 4 or 8). */
  uint(size: number, what = 'value'): number {
    switch (size) {
      case 1: return this.u8(what);
      case 2: return this.u16(what);
      case 4: return this.u32(what);
      case 8: return this.u64(what);
      default: throw this.error(`unsupported size ${size} for ${what}`);
    }
  }

  /** A section offset: 4 bytes in 32-bit DWARF, 8 in 64-bit DWARF. */
  offset(offsetSize: number, what = 'offset'): number {
    return offsetSize === 8 ? this.u64(what) : this.u32(what);
  }

  /** Unsigned LEB128. Values above 2^53 come back approximate; the callers range-check them. */
  uleb(what = 'ULEB128 value'): number {
    let result = 0;
    let scale = 1;
    const start = this.pos;
    for (;;) {
      if (this.pos >= this.limit) throw this.error(`${what}: LEB128 number runs past the end`, start);
      const b = this.data[this.pos++];
      if (scale < 2 ** 64) result += (b & 0x7f) * scale;
      scale *= 128;
      if ((b & 0x80) === 0) return result;
    }
  }

  /** Signed LEB128, as a number (approximate beyond ±2^53). */
  sleb(what = 'SLEB128 value'): number {
    let result = 0;
    let scale = 1;
    const start = this.pos;
    for (;;) {
      if (this.pos >= this.limit) throw this.error(`${what}: LEB128 number runs past the end`, start);
      const b = this.data[this.pos++];
      if (scale < 2 ** 64) result += (b & 0x7f) * scale;
      scale *= 128;
      if ((b & 0x80) === 0) {
        if (b & 0x40 && scale <= 2 ** 64) result -= scale;
        return result;
      }
    }
  }

  skip(size: number, what: string): void {
    this.need(size, what);
    this.pos += size;
  }

  bytes(size: number, what: string): Uint8Array {
    this.need(size, what);
    const out = this.data.subarray(this.pos, this.pos + size);
    this.pos += size;
    return out;
  }

  /** A NUL-terminated string stored inline; the position moves past the NUL. */
  cstring(what = 'string'): string {
    const start = this.pos;
    const end = this.data.subarray(0, this.limit).indexOf(0, start);
    if (end < 0) throw this.error(`${what} is not NUL-terminated`, start);
    this.pos = end + 1;
    return decode(this.data, start, end);
  }

  /**
   * The initial length of a unit: returns the unit's length and offset size
   * (4 for 32-bit DWARF, 8 for 64-bit DWARF), checking that the unit fits.
   */
  initialLength(what: string): { length: number; offsetSize: 4 | 8 } {
    const at = this.pos;
    let length = this.u32(`${what} length`);
    let offsetSize: 4 | 8 = 4;
    if (length === 0xffffffff) {
      length = this.u64(`${what} 64-bit length`);
      offsetSize = 8;
    } else if (length >= 0xfffffff0) {
      throw this.error(`${what} has reserved initial length ${hex(length)}`, at);
    }
    if (length > this.limit - this.pos) {
      throw this.error(
        `${what} length ${hex(length)} runs past the end of the section (${hex(this.limit - this.pos)} bytes left)`,
        at,
      );
    }
    return { length, offsetSize };
  }
}

const utf8 = new TextDecoder('utf-8');

export function decode(data: Uint8Array, start: number, end: number): string {
  if (end <= start) return '';
  // ASCII fast path (almost every path and name).
  if (end - start < 256) {
    let ascii = true;
    for (let i = start; i < end; i++) {
      if (data[i] >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) return String.fromCharCode(...data.subarray(start, end));
  }
  // slice() copies, so this works even if the input is backed by a SharedArrayBuffer.
  return utf8.decode(data.slice(start, end));
}

/**
 * A string section (.debug_str, .debug_line_str) read by offset. NUL
 * positions are found by binary search over a sorted list, and the total
 * length of distinct strings decoded is capped, so crafted offsets into one
 * long unterminated run cannot cost quadratic time or memory.
 */
export class StringSection {
  private nuls: Uint32Array | undefined;
  private readonly cache = new Map<number, string>();
  private budget: number;

  constructor(
    private readonly data: Uint8Array | undefined,
    readonly name: string,
  ) {
    this.budget = (data?.length ?? 0) * 4 + 0x10000;
  }

  private nulPositions(data: Uint8Array): Uint32Array {
    if (this.nuls === undefined) {
      let count = 0;
      for (let i = 0; i < data.length; i++) if (data[i] === 0) count++;
      const nuls = new Uint32Array(count);
      let k = 0;
      for (let i = 0; i < data.length; i++) if (data[i] === 0) nuls[k++] = i;
      this.nuls = nuls;
    }
    return this.nuls;
  }

  /** The string at `offset`; `where` describes the referring place for the error message. */
  get(offset: number, where: string): string {
    const cached = this.cache.get(offset);
    if (cached !== undefined) return cached;
    const data = this.data;
    if (data === undefined) throw new DwarfError(`${where}: refers to ${this.name}, but there is no such section`);
    if (!(offset >= 0 && offset < data.length)) {
      throw new DwarfError(`${where}: string offset ${hex(offset)} is outside ${this.name} (${hex(data.length)} bytes)`);
    }
    const nuls = this.nulPositions(data);
    let lo = 0;
    let hi = nuls.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (nuls[mid] < offset) lo = mid + 1;
      else hi = mid;
    }
    if (lo === nuls.length) throw new DwarfError(`${where}: string at ${this.name} offset ${hex(offset)} is not NUL-terminated`);
    const end = nuls[lo];
    this.budget -= end - offset;
    if (this.budget < 0) {
      throw new DwarfError(`${where}: the strings read from ${this.name} add up to far more than its size (overlapping strings?)`);
    }
    const s = decode(data, offset, end);
    this.cache.set(offset, s);
    return s;
  }
}
