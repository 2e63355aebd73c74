// A small WebAssembly binary writer: just what the translator emits (one
// module of functions of one type, importing the core's memory and helpers).

export const Op = {
  block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, return: 0x0f, call: 0x10, drop: 0x1a,
  localGet: 0x20, localSet: 0x21, localTee: 0x22,
  i32Load8U: 0x2d, i64Load: 0x29, i64Load8S: 0x30, i64Load8U: 0x31, i64Load16S: 0x32, i64Load16U: 0x33,
  i64Load32S: 0x34, i64Load32U: 0x35, i32Store: 0x36, i64Store: 0x37, i32Store8: 0x3a,
  i64Store8: 0x3c, i64Store16: 0x3d, i64Store32: 0x3e,
  i32Const: 0x41, i64Const: 0x42,
  i32Eqz: 0x45,
  i64Eqz: 0x50, i64Eq: 0x51, i64Ne: 0x52, i64LtS: 0x53, i64LtU: 0x54, i64GtS: 0x55, i64GtU: 0x56,
  i64LeS: 0x57, i64LeU: 0x58, i64GeS: 0x59, i64GeU: 0x5a,
  i32Add: 0x6a, i32Sub: 0x6b, i32Mul: 0x6c, i32And: 0x71, i32Or: 0x72, i32Shl: 0x74, i32ShrS: 0x75, i32ShrU: 0x76,
  i64Add: 0x7c, i64Sub: 0x7d, i64Mul: 0x7e, i64And: 0x83, i64Or: 0x84, i64Xor: 0x85,
  i64Shl: 0x86, i64ShrS: 0x87, i64ShrU: 0x88,
  i32WrapI64: 0xa7, i64ExtendI32S: 0xac, i64ExtendI32U: 0xad,
} as const;

export const I32 = 0x7f;
export const I64 = 0x7e;
export const VOID_BLOCK = 0x40;

/** A growable byte buffer with LEB128 writers. */
export class Bytes {
  private buf = new Uint8Array(256);
  length = 0;

  byte(b: number): this {
    if (this.length === this.buf.length) {
      const bigger = new Uint8Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.length++] = b;
    return this;
  }
  bytes(b: ArrayLike<number>): this {
    for (let i = 0; i < b.length; i++) this.byte(b[i]);
    return this;
  }
  u32(v: number): this {
    let x = v >>> 0;
    do {
      const b = x & 0x7f;
      x >>>= 7;
      this.byte(x !== 0 ? b | 0x80 : b);
    } while (x !== 0);
    return this;
  }
  /** Signed LEB128 of a 32-bit value. */
  s32(v: number): this {
    let x = v | 0;
    for (;;) {
      const b = x & 0x7f;
      x >>= 7;
      const done = (x === 0 && (b & 0x40) === 0) || (x === -1 && (b & 0x40) !== 0);
      this.byte(done ? b : b | 0x80);
      if (done) return this;
    }
  }
  /** Signed LEB128 of a 64-bit value (taken modulo 2^64 as a signed number). */
  s64(v: bigint): this {
    let x = BigInt.asIntN(64, v);
    if (x >= -0x8000_0000n && x < 0x8000_0000n) return this.s32(Number(x));
    for (;;) {
      const b = Number(x & 0x7fn);
      x >>= 7n;
      const done = (x === 0n && (b & 0x40) === 0) || (x === -1n && (b & 0x40) !== 0);
      this.byte(done ? b : b | 0x80);
      if (done) return this;
    }
  }
  name(s: string): this {
    const b = new TextEncoder().encode(s);
    return this.u32(b.length).bytes(b);
  }
  /** A section: id, then the contents' length and the contents. */
  section(id: number, contents: Bytes): this {
    return this.byte(id).u32(contents.length).bytes(contents.view());
  }
  view(): Uint8Array { return this.buf.subarray(0, this.length); }
}

export interface FuncType { params: number[]; results: number[] }
export interface FuncImport { module: string; name: string; type: number }
/** An imported global (global indices 0, 1... in order): its value type and whether it is mutable. */
export interface GlobalImport { module: string; name: string; type: number; mutable: boolean }

/**
 * A module: `types`, function imports (indices 0..imports-1), the memory import
 * env.memory, the global imports `globals`, then `bodies` (each a complete function body: locals and code
 * ending in `end`) all of type `bodyType`, exported as "f0", "f1"...
 */
export function buildModule(types: FuncType[], imports: FuncImport[], bodyType: number, bodies: Uint8Array[], globals: GlobalImport[] = []): Uint8Array {
  const out = new Bytes().bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  const typeSec = new Bytes().u32(types.length);
  for (const t of types) {
    typeSec.byte(0x60).u32(t.params.length).bytes(t.params).u32(t.results.length).bytes(t.results);
  }
  out.section(1, typeSec);
  const importSec = new Bytes().u32(imports.length + 1 + globals.length);
  for (const imp of imports) importSec.name(imp.module).name(imp.name).byte(0x00).u32(imp.type);
  importSec.name('env').name('memory').byte(0x02).byte(0x00).u32(0);
  for (const g of globals) importSec.name(g.module).name(g.name).byte(0x03).byte(g.type).byte(g.mutable ? 1 : 0);
  out.section(2, importSec);
  const funcSec = new Bytes().u32(bodies.length);
  for (let i = 0; i < bodies.length; i++) funcSec.u32(bodyType);
  out.section(3, funcSec);
  const exportSec = new Bytes().u32(bodies.length);
  for (let i = 0; i < bodies.length; i++) exportSec.name(`f${i}`).byte(0x00).u32(imports.length + i);
  out.section(7, exportSec);
  const codeSec = new Bytes().u32(bodies.length);
  for (const b of bodies) codeSec.u32(b.length).bytes(b);
  out.section(10, codeSec);
  return out.view().slice();
}
