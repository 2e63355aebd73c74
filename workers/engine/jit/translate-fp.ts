// The F and D extensions in translated code (hooked into translate.ts's
// covered() and translateBlock's switch). Every legal F/D encoding is covered;
// each leaves exactly the interpreter's state (workers/core/fpu.ts):
//
// - f registers stay in the core's memory (FREGS), where the interpreter and
//   the core's helper read them; integer registers are the block's locals;
// - fflags, frm and mstatus are the core's own globals, imported (index.ts);
// - the block stops (leaves at the instruction's pc, the ones before it
//   retired) where the interpreter would trap: at its first FP instruction if
//   mstatus.FS is Off, at its first instruction with the dynamic rounding mode
//   if frm holds a reserved value, at a load or store its fast path would not
//   take (translate.ts's accessOffset, the same check as integer accesses).
//   Within a block none of those can change afterwards (FS only becomes
//   Dirty, nothing writes frm), so each is checked once per block;
// - FS becomes Dirty at the block's first instruction that writes an f
//   register (every later one runs after it, the block being straight-line);
// - the basic operations run natively where that is provably exact
//   (workers/core/fp-fast.ts says why: round-to-nearest-even in effect, NX
//   already accrued, a result that cannot have raised another flag), as do
//   loads, stores, moves, sign injection, compares of non-NaNs and the exact
//   conversions; everything else, and every operand that fails a check, calls
//   the core's jitFp, which is the interpreter's own implementation (fused
//   multiply-adds call its jitFma, softfloat's on the operand values).
import { Op, I64 } from './wasm';
import { HELPER_INVALIDATE, type BlockEmitter, type Insn } from './translate';

/** Function indices of the core's jitFp(insn: i32, x: i64) -> i64 and jitFma(a, b, c: i64, ctl: i32) -> i64 (see index.ts). */
export const HELPER_FP = 3;
export const HELPER_FMA = 4;
/** Global indices of the core's fflags (i32), frm (i32) and mstatus (i64), in index.ts's import order. */
export const GLOBAL_FFLAGS = 0;
export const GLOBAL_FRM = 1;
export const GLOBAL_MSTATUS = 2;

// Opcodes the integer translator does not use.
const GLOBAL_GET = 0x23;
const GLOBAL_SET = 0x24;
const BR_IF = 0x0d;
const SELECT = 0x1b;
const F64_LOAD = 0x2b;
const I32_GT_U = 0x4b;
const F32_EQ = 0x5b;
const F32_LT = 0x5d;
const F32_LE = 0x5f;
const F64_EQ = 0x61;
const F64_LT = 0x63;
const F64_LE = 0x65;
const F32_SQRT = 0x91;
const F32_ADD = 0x92;
const F32_SUB = 0x93;
const F32_MUL = 0x94;
const F32_DIV = 0x95;
const F64_SQRT = 0x9f;
const F64_ADD = 0xa0;
const F64_SUB = 0xa1;
const F64_MUL = 0xa2;
const F64_DIV = 0xa3;
const F64_CONVERT_I32_S = 0xb7;
const F64_CONVERT_I32_U = 0xb8;
const F64_PROMOTE_F32 = 0xbb;
const I32_REINTERPRET_F32 = 0xbc;
const I64_REINTERPRET_F64 = 0xbd;
const F32_REINTERPRET_I32 = 0xbe;

const MSTATUS_FS = 0x6000n;
const NX = 1;
const SIGN64 = 0x8000_0000_0000_0000n;
const MAG64 = 0x7fff_ffff_ffff_ffffn;
const INF64 = 0x7ff0_0000_0000_0000n;
const MIN_NORMAL64 = 0x0010_0000_0000_0000n;
const INF32 = 0x7f80_0000n;
const MIN_NORMAL32 = 0x0080_0000n;
/** A NaN-boxed single: the upper 32 bits all ones, so at least this as an unsigned 64-bit value. */
const BOX = 0xffff_ffff_0000_0000n;
const F32_CANONICAL_NAN = 0x7fc0_0000n;

// ---------------------------------------------------------------------------
// Decoding: what is covered is exactly what fpu.ts's executeFp does not reject
// as an illegal encoding or a reserved static rounding mode.

const LOAD_FP = 0x07;
const STORE_FP = 0x27;
const OP_FP = 0x53;

/** Whether the rm field is a static rounding mode (0..4) or the dynamic one (7), i.e. not reserved. */
const validRm = (rm: number): boolean => rm <= 4 || rm === 7;

/** Whether the F/D instruction (expanded) is covered: its encoding is legal and its static rounding mode not reserved. */
export function fpCovered(insn: number): boolean {
  const op = insn & 0x7f;
  const f3 = (insn >>> 12) & 7;
  if (op === LOAD_FP || op === STORE_FP) return f3 === 2 || f3 === 3;
  const fmt = (insn >>> 25) & 3;
  if (fmt > 1) return false;
  if (op !== OP_FP) return op === 0x43 || op === 0x47 || op === 0x4b || op === 0x4f ? validRm(f3) : false;
  const rs2 = (insn >>> 20) & 31;
  switch (insn >>> 27) {
    case 0x00: case 0x01: case 0x02: case 0x03: return validRm(f3);
    case 0x0b: return rs2 === 0 && validRm(f3);
    case 0x04: return f3 <= 2;
    case 0x05: return f3 <= 1;
    case 0x08: return rs2 === (fmt === 0 ? 1 : 0) && validRm(f3);
    case 0x14: return f3 <= 2;
    case 0x18: case 0x1a: return rs2 <= 3 && validRm(f3);
    case 0x1c: return rs2 === 0 && f3 <= 1;
    case 0x1e: return rs2 === 0 && f3 === 0;
    default: return false;
  }
}

/** Whether the instruction uses its rounding mode (and so is refused while the dynamic one is reserved). */
function usesRm(insn: number): boolean {
  const op = insn & 0x7f;
  if (op === LOAD_FP || op === STORE_FP) return false;
  if (op !== OP_FP) return true;
  const funct5 = insn >>> 27;
  return funct5 <= 0x03 || funct5 === 0x0b || funct5 === 0x08 || funct5 === 0x18 || funct5 === 0x1a;
}

/** Whether the instruction writes f register rd (else it writes integer register rd, or memory). */
function writesF(insn: number): boolean {
  const op = insn & 0x7f;
  if (op === STORE_FP) return false;
  if (op !== OP_FP) return true;
  const funct5 = insn >>> 27;
  return funct5 !== 0x14 && funct5 !== 0x18 && funct5 !== 0x1c;
}

/** Whether the instruction reads integer register rs1 (besides loads and stores, which use it as their base). */
function readsX(insn: number): boolean {
  const funct5 = insn >>> 27;
  return (insn & 0x7f) === OP_FP && (funct5 === 0x1a || funct5 === 0x1e);
}

// ---------------------------------------------------------------------------
// Emission

/** What the block has already established at the current instruction (each is true for the rest of the block). */
interface BlockFacts { fsOn: boolean; frmValid: boolean; fsDirty: boolean }
const facts = new WeakMap<BlockEmitter, BlockFacts>();

class FpEmitter {
  private readonly fregs: number;
  constructor(readonly e: BlockEmitter, private readonly tmp: number) {
    this.fregs = e.layout.fregs;
  }

  byte(b: number): this { this.e.code.byte(b); return this; }
  globalGet(g: number): this { this.e.code.byte(GLOBAL_GET).u32(g); return this; }
  brIf(depth: number): this { this.e.code.byte(BR_IF).u32(depth); return this; }
  br(depth: number): this { this.e.code.byte(Op.br).u32(depth); return this; }
  /** Pushes f register r's 64 bits. */
  fbits(r: number): this { this.e.i32(0); this.e.code.byte(Op.i64Load).u32(3).u32(this.fregs + r * 8); return this; }
  /** Pushes f register r as an f64. */
  f64(r: number): this { this.e.i32(0); this.e.code.byte(F64_LOAD).u32(3).u32(this.fregs + r * 8); return this; }
  /** Stores into f register r the i64 on top of the stack, above an i32 0 pushed before it. */
  storeF(r: number): this { this.e.code.byte(Op.i64Store).u32(3).u32(this.fregs + r * 8); return this; }
  tee(): this { this.e.tee(this.tmp); return this; }
  get(): this { this.e.get(this.tmp); return this; }
  /** Pushes the low half of tmp as an f32. */
  f32OfTmp(): this { this.get().e.op(Op.i32WrapI64); return this.byte(F32_REINTERPRET_I32); }

  /**
   * Pushes f register r as an f32 (its bits left in tmp), or branches to the
   * label `slow` if it is not properly NaN-boxed (it then reads as the
   * canonical NaN, which only the helper handles).
   */
  boxedF32(r: number, slow: number): this {
    this.fbits(r).tee().e.i64(BOX).op(Op.i64LtU);
    return this.brIf(slow).f32OfTmp();
  }

  /** Pushes whether the native fast path may run: NX accrued and round-to-nearest-even in effect (static rm 0, or 7 with frm 0). */
  fastAllowed(rm: number): this {
    this.globalGet(GLOBAL_FFLAGS).e.i32(NX).op(Op.i32And);
    if (rm === 7) this.globalGet(GLOBAL_FRM).e.op(Op.i32Eqz).op(Op.i32And);
    return this;
  }

  /** Calls the core's implementation of the instruction, with x = rs1's value if it reads one: pushes its integer result. */
  helper(insn: number, rs1: number): this {
    this.e.i32(insn | 0);
    if (readsX(insn)) this.e.reg(rs1); else this.e.i64(0n);
    this.e.op(Op.call);
    this.e.code.u32(HELPER_FP);
    return this;
  }

  /** Sets integer register rd to the i64 `value` pushes (for x0 it still runs: it may raise flags). */
  setX(rd: number, value: () => void): void {
    if (rd === 0) { value(); this.e.op(Op.drop); return; }
    this.e.setReg(rd, value);
  }

  /**
   * An instruction that writes f register rd, natively where `fast` manages
   * (it may give up with `br_if 0`), else through the helper:
   *   block $done  block $slow  [condition, br_if 0]  fast  br 1  end  helper  end
   * Without `fast`, just the helper.
   */
  fOrHelper(insn: number, rs1: number, fast?: () => void, condition?: () => void): void {
    const { e } = this;
    if (fast === undefined) { this.helper(insn, rs1).e.op(Op.drop); return; }
    e.open(Op.block);
    e.open(Op.block);
    if (condition) { condition(); e.op(Op.i32Eqz); this.brIf(0); }
    fast();
    this.br(1);
    e.close();
    this.helper(insn, rs1).e.op(Op.drop);
    e.close();
  }
}

/** Emits instruction k of the block (an F/D instruction fpCovered accepted), at pc + delta. */
export function translateFp(e: BlockEmitter, d: Insn, k: number, delta: number, nextDelta: number, tmp: number): void {
  const { insn } = d;
  const op = insn & 0x7f;
  const rd = (insn >>> 7) & 31;
  const rs1 = (insn >>> 15) & 31;
  const rs2 = (insn >>> 20) & 31;
  const f3 = (insn >>> 12) & 7;
  let known = facts.get(e);
  if (known === undefined) { known = { fsOn: false, frmValid: false, fsDirty: false }; facts.set(e, known); }
  const f = new FpEmitter(e, tmp);

  // The traps of executeFp, in its order: FS Off (illegal), then a reserved dynamic rounding mode (refused).
  if (!known.fsOn) {
    f.globalGet(GLOBAL_MSTATUS).e.i64(MSTATUS_FS).op(Op.i64And).op(Op.i64Eqz).open(Op.if);
    e.leaveEarly(k, delta);
    e.close();
    known.fsOn = true;
  }
  if (usesRm(insn) && f3 === 7 && !known.frmValid) {
    f.globalGet(GLOBAL_FRM).e.i32(4).op(I32_GT_U).open(Op.if);
    e.leaveEarly(k, delta);
    e.close();
    known.frmValid = true;
  }

  if (op === LOAD_FP) emitLoad(f, insn, rd, rs1, f3, k, delta);
  else if (op === STORE_FP) emitStore(f, insn, rs1, rs2, f3, k, delta, nextDelta);
  else if (op === OP_FP) emitOp(f, insn, rd, rs1, rs2, f3);
  else emitFused(f, insn, rd, rs1, rs2, f3);

  // FS becomes Dirty with the first f register written (fpu.ts's wf32/wf64; the helper does it too).
  if (writesF(insn) && !known.fsDirty) {
    f.globalGet(GLOBAL_MSTATUS).e.i64(MSTATUS_FS).op(Op.i64Or);
    f.byte(GLOBAL_SET).e.code.u32(GLOBAL_MSTATUS);
    known.fsDirty = true;
  }
}

function emitLoad(f: FpEmitter, insn: number, rd: number, rs1: number, f3: number, k: number, delta: number): void {
  const { e } = f;
  const size = f3 === 2 ? 4 : 8;
  e.accessOffset(rs1, insn >> 20, size, false, k, delta);
  e.i32(0);
  e.offAsAddress();
  if (size === 8) {
    e.code.byte(Op.i64Load).u32(0).u32(e.layout.ram);
  } else {
    e.code.byte(Op.i64Load32U).u32(0).u32(e.layout.ram);
    e.i64(BOX).op(Op.i64Or);
  }
  f.storeF(rd);
}

function emitStore(f: FpEmitter, insn: number, rs1: number, rs2: number, f3: number, k: number, delta: number, nextDelta: number): void {
  const { e } = f;
  const size = f3 === 2 ? 4 : 8;
  const imm = ((insn >> 20) & ~31) | ((insn >>> 7) & 31);
  e.accessOffset(rs1, imm, size, true, k, delta);
  e.offAsAddress();
  f.fbits(rs2);
  // fsw stores the low 32 bits as they are: no NaN-boxing check (as fpu.ts).
  e.code.byte(size === 8 ? Op.i64Store : Op.i64Store32).u32(0).u32(e.layout.ram);
  // As translate.ts's integer stores: the dirty page (and the next one for a crossing store), then
  // the code map: a store into translated bytes drops those blocks and leaves right after the store.
  e.markPage(0);
  e.offAsAddress().i32(0xfff).op(Op.i32And).i32(size).op(Op.i32Add).i32(0x1000).op(I32_GT_U).open(Op.if);
  e.markPage(1);
  e.close();
  e.offAsAddress().i32(6).op(Op.i32ShrU);
  e.code.byte(Op.i32Load8U).u32(0).u32(e.layout.codeMap);
  e.offAsAddress().i32(size - 1).op(Op.i32Add).i32(6).op(Op.i32ShrU);
  e.code.byte(Op.i32Load8U).u32(0).u32(e.layout.codeMap);
  e.op(Op.i32Or).open(Op.if);
  e.offAsAddress().op(Op.i64ExtendI32U).i64(BigInt(size)).op(Op.call);
  e.code.u32(HELPER_INVALIDATE);
  e.pc(nextDelta);
  e.leaveWithPushedPc(k + 1, false);
  e.close();
}

/** fmadd, fmsub, fnmsub, fnmadd: softfloat's (wasm has no deterministic fma), called with the operands' values. */
function emitFused(f: FpEmitter, insn: number, rd: number, rs1: number, rs2: number, rm: number): void {
  const { e } = f;
  const op = insn & 0x7f;
  const negateProduct = op === 0x4b || op === 0x4f;
  const negateAddend = op === 0x47 || op === 0x4f;
  const single = ((insn >>> 25) & 3) === 0;
  const ctl = (negateProduct ? 1 : 0) | (negateAddend ? 2 : 0) | (single ? 4 : 0) | (rm << 3);
  e.i32(0);
  f.fbits(rs1).fbits(rs2).fbits(insn >>> 27);
  e.i32(ctl).op(Op.call);
  e.code.u32(HELPER_FMA);
  f.storeF(rd);
}

const ARITH64 = [F64_ADD, F64_SUB, F64_MUL, F64_DIV];
const ARITH32 = [F32_ADD, F32_SUB, F32_MUL, F32_DIV];

function emitOp(f: FpEmitter, insn: number, rd: number, rs1: number, rs2: number, f3: number): void {
  const { e } = f;
  const funct5 = insn >>> 27;
  const single = ((insn >>> 25) & 3) === 0;
  switch (funct5) {
    case 0x00: case 0x01: case 0x02: case 0x03: case 0x0b: { // fadd, fsub, fmul, fdiv, fsqrt
      // Only round-to-nearest-even has a native equivalent.
      if (f3 !== 0 && f3 !== 7) { f.fOrHelper(insn, rs1); return; }
      const sqrt = funct5 === 0x0b;
      // The result must be finite; a product or quotient also above the smallest normal (fp-fast.ts says why).
      const normal = funct5 === 0x02 || funct5 === 0x03;
      f.fOrHelper(insn, rs1, () => {
        // The result's bits go to tmp (a single's zero-extended), then unless they are acceptable: br_if 0.
        if (single) {
          f.boxedF32(rs1, 0);
          if (!sqrt) f.boxedF32(rs2, 0);
          f.byte(sqrt ? F32_SQRT : ARITH32[funct5]).byte(I32_REINTERPRET_F32);
          e.op(Op.i64ExtendI32U);
          f.tee();
          e.i64(0x7fff_ffffn).op(Op.i64And);
          if (normal) e.i64(MIN_NORMAL32 + 1n).op(Op.i64Sub).i64(INF32 - MIN_NORMAL32 - 1n);
          else e.i64(INF32);
        } else {
          f.f64(rs1);
          if (!sqrt) f.f64(rs2);
          f.byte(sqrt ? F64_SQRT : ARITH64[funct5]).byte(I64_REINTERPRET_F64);
          f.tee();
          e.i64(MAG64).op(Op.i64And);
          if (normal) e.i64(MIN_NORMAL64 + 1n).op(Op.i64Sub).i64(INF64 - MIN_NORMAL64 - 1n);
          else e.i64(INF64);
        }
        e.op(Op.i64GeU);
        f.brIf(0);
        e.i32(0);
        f.get();
        if (single) e.i64(BOX).op(Op.i64Or);
        f.storeF(rd);
      }, () => f.fastAllowed(f3));
      return;
    }
    case 0x04: { // fsgnj, fsgnjn, fsgnjx: bits only, never a flag
      // rd = magnitude of rs1 | the sign bit of: rs2 (fsgnj), ~rs2 (fsgnjn), rs1 ^ rs2 (fsgnjx).
      const sign = single ? 0x8000_0000n : SIGN64;
      // A single operand not properly boxed reads as the canonical NaN (fpu.ts rd32).
      const operand = (r: number) => {
        if (!single) { f.fbits(r); return; }
        f.fbits(r).e.i64(0xffff_ffffn).op(Op.i64And).i64(F32_CANONICAL_NAN);
        f.fbits(r).e.i64(BOX).op(Op.i64GeU);
        f.byte(SELECT);
      };
      e.i32(0);
      operand(rs1);
      e.i64(sign - 1n).op(Op.i64And);
      operand(rs2);
      if (f3 === 1) e.i64(sign).op(Op.i64Xor);
      if (f3 === 2) { operand(rs1); e.op(Op.i64Xor); }
      e.i64(sign).op(Op.i64And).op(Op.i64Or);
      if (single) e.i64(BOX).op(Op.i64Or);
      f.storeF(rd);
      return;
    }
    case 0x08: { // fcvt.s.d (helper), fcvt.d.s: a single widens exactly, unless it is a NaN (NV, canonical NaN)
      if (single) { f.fOrHelper(insn, rs1); return; }
      f.fOrHelper(insn, rs1, () => {
        f.boxedF32(rs1, 0);
        f.f32OfTmp().byte(F32_EQ).e.op(Op.i32Eqz);
        f.brIf(0);
        e.i32(0);
        f.f32OfTmp().byte(F64_PROMOTE_F32).byte(I64_REINTERPRET_F64);
        f.storeF(rd);
      });
      return;
    }
    case 0x14: { // fle, flt, feq: no flag unless an operand is a NaN (those go to the helper)
      const cmp = single ? [F32_LE, F32_LT, F32_EQ][f3] : [F64_LE, F64_LT, F64_EQ][f3];
      f.setX(rd, () => {
        e.open(Op.block, I64);
        e.open(Op.block);
        for (const r of [rs1, rs2]) {
          if (single) { f.boxedF32(r, 0); f.f32OfTmp().byte(F32_EQ); } else { f.f64(r); f.f64(r); f.byte(F64_EQ); }
          e.op(Op.i32Eqz);
          f.brIf(0);
        }
        if (single) { f.boxedF32(rs1, 0); f.boxedF32(rs2, 0); } else { f.f64(rs1); f.f64(rs2); }
        f.byte(cmp).e.op(Op.i64ExtendI32U);
        f.br(1);
        e.close();
        f.helper(insn, rs1);
        e.close();
      });
      return;
    }
    case 0x18: // fcvt.{w,wu,l,lu}.{s,d}: softfloat's
      f.setX(rd, () => f.helper(insn, rs1));
      return;
    case 0x1a: { // fcvt.{s,d}.{w,wu,l,lu}: from a 32-bit integer to binary64 is exact, the others softfloat's
      if (single || rs2 > 1) { f.fOrHelper(insn, rs1); return; }
      e.i32(0);
      e.reg(rs1).op(Op.i32WrapI64);
      f.byte(rs2 === 0 ? F64_CONVERT_I32_S : F64_CONVERT_I32_U).byte(I64_REINTERPRET_F64);
      f.storeF(rd);
      return;
    }
    case 0x1c: // fmv.x.w (the low 32 bits sign-extended, boxed or not), fmv.x.d; fclass (helper)
      if (f3 !== 0) { f.setX(rd, () => f.helper(insn, rs1)); return; }
      f.setX(rd, () => {
        e.i32(0);
        e.code.byte(single ? Op.i64Load32S : Op.i64Load).u32(single ? 2 : 3).u32(e.layout.fregs + rs1 * 8);
      });
      return;
    case 0x1e: // fmv.w.x (boxed), fmv.d.x
      e.i32(0);
      e.reg(rs1);
      if (single) e.i64(0xffff_ffffn).op(Op.i64And).i64(BOX).op(Op.i64Or);
      f.storeF(rd);
      return;
    default: // fmin, fmax: softfloat's
      f.fOrHelper(insn, rs1);
  }
}
