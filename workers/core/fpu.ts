// The F and D extensions: decoding and execution of every floating-point
// instruction, on registers kept as raw bits in linear memory (FREGS). The
// arithmetic itself is softfloat.ts: integer-only IEEE 754, so results, NaN bits
// and flags are the same in every host (wasm's own f32/f64 ops would be
// neither exact in every rounding mode nor reproducible in their NaN bits).
//
// In round-to-nearest-even with NX already accrued, +, -, *, / and sqrt use
// wasm's own arithmetic where it is provably identical (fp-fast.ts).
//
// QEMU 7.2's rules, which decide what a program can observe:
// - with mstatus.FS = Off every FP instruction is illegal at decode (counted);
// - a reserved static rounding mode, or the dynamic one while frm holds a
//   reserved value, is refused when it runs (not counted);
// - FS becomes Dirty when an f register is written (loads, arithmetic,
//   conversions to FP, moves), not when only fflags or an x register change.
import { FREGS, REGS, RAM, RAM_BASE } from './layout';
import { mstatus, fflags, frm, dataLimit, MSTATUS_FS, faulted } from './state';
import { loadSlow, storeSlow, markDirty } from './bus';
import { loadOffset, storeOffset } from './mmu';
import { illegalInstruction, refusedInstruction } from './trap';
import * as SF from './softfloat';
import { fastArith64, fastSqrt64, fastArith32, fastSqrt32, NO_FAST64, NO_FAST32 } from './fp-fast';

const F32_BOX: u64 = 0xffffffff00000000;

@inline function rx(i: u32): u64 { return load<u64>(REGS + (i << 3)); }
@inline function wx(i: u32, v: u64): void { if (i != 0) store<u64>(REGS + (i << 3), v); }
@inline function rd64(i: u32): u64 { return load<u64>(FREGS + (i << 3)); }
/** A single-precision operand: an improperly NaN-boxed register reads as the canonical NaN. */
@inline function unbox(v: u64): u32 { return (v & F32_BOX) == F32_BOX ? <u32>v : SF.F32_CANONICAL_NAN; }
@inline function rd32(i: u32): u32 { return unbox(load<u64>(FREGS + (i << 3))); }
@inline function markDirtyFs(): void { mstatus |= MSTATUS_FS; }
@inline function wf64(i: u32, v: u64): void { store<u64>(FREGS + (i << 3), v); markDirtyFs(); }
@inline function wf32(i: u32, v: u32): void { store<u64>(FREGS + (i << 3), F32_BOX | <u64>v); markDirtyFs(); }
@inline function sx32(v: u32): u64 { return <u64><i64><i32>v; }

// OP-FP takes integer register rs1's value as an argument and leaves an integer result here rather
// than using REGS: translated code keeps integer registers in its own locals (jitFp passes the
// operand and takes the result); the interpreter's executeFp reads and writes REGS around it.
/** The integer result of the last fpOp, and whether it has one (FCVT to an integer, compares, FMV.X, FCLASS). */
let xResult: u64 = 0;
let xWritten: bool = false;
@inline function setX(v: u64): void { xResult = v; xWritten = true; }

/** Whether FP instructions are enabled (mstatus.FS != Off). */
@inline export function fpEnabled(): bool { return (mstatus & MSTATUS_FS) != 0; }

/** The effective rounding mode of an instruction's rm field, or -1 if it is reserved. */
function roundingMode(rm: u32): i32 {
  const mode = rm == 7 ? frm : rm;
  return mode <= 4 ? <i32>mode : -1;
}

@inline function accrue(): void { fflags |= SF.fpFlags; }

const NX: u32 = 1;
/** Whether the native fast path may run (fp-fast.ts): round-to-nearest-even in effect, NX already accrued. */
@inline function fastAllowed(mode: u32): bool { return mode == 0 && (fflags & NX) != 0; }

/**
 * Executes a LOAD-FP, STORE-FP, FMADD/FMSUB/FNMSUB/FNMADD or OP-FP instruction.
 * Returns false if it trapped (pc and icount are then already settled).
 */
export function executeFp(insn: u32, raw: u32, p: u64): bool {
  if (!fpEnabled()) { illegalInstruction(raw); return false; }
  const rd = (insn >> 7) & 31;
  const rs1 = (insn >> 15) & 31;
  const rs2 = (insn >> 20) & 31;
  const f3 = (insn >> 12) & 7;
  const opcode = insn & 0x7f;
  if (opcode == 0x07) return fpLoad(insn, raw, rd, rs1, f3);
  if (opcode == 0x27) return fpStore(insn, raw, rs1, rs2, f3);
  const fmt = (insn >> 25) & 3;
  if (fmt > 1) { illegalInstruction(raw); return false; } // H and Q are not implemented
  if (opcode != 0x53) return fpFused(insn, raw, rd, rs1, rs2, f3, fmt, opcode);
  xWritten = false;
  if (!fpOp(insn, raw, rd, rs1, rs2, f3, fmt, rx(rs1))) return false;
  if (xWritten) wx(rd, xResult);
  return true;
}

/**
 * For translated code (workers/engine/jit/translate-fp.ts): executes the
 * OP-FP or fused instruction `insn`, with `x` the value of integer register
 * rs1, and returns its integer result (0 if it has none). The translator only
 * calls it for an instruction that cannot trap here: a legal encoding, with FS
 * on and the rounding mode valid (it checks those, and leaves the block for
 * the interpreter otherwise). So this is the interpreter's executeFp, minus
 * those checks: one implementation of the arithmetic for both.
 */
export function jitFp(insn: u32, x: u64): u64 {
  const rd = (insn >> 7) & 31;
  const rs1 = (insn >> 15) & 31;
  const rs2 = (insn >> 20) & 31;
  const f3 = (insn >> 12) & 7;
  const opcode = insn & 0x7f;
  const fmt = (insn >> 25) & 3;
  xWritten = false;
  xResult = 0;
  const done = opcode == 0x53 ? fpOp(insn, insn, rd, rs1, rs2, f3, fmt, x) : fpFused(insn, insn, rd, rs1, rs2, f3, fmt, opcode);
  // A trap here would be a translator bug (the machine's state would then be wrong): stop loudly.
  if (!done) unreachable();
  return xResult;
}

/**
 * For translated code: a fused multiply-add on operand values (f register
 * contents, unboxed here for singles), so that the block need not pass the
 * instruction for decoding. ctl: bit 0 negates the product, bit 1 the addend
 * (fmsub, fnmsub, fnmadd), bit 2 selects single precision, bits 3..5 hold
 * the rm field (7: frm, which the translator has checked is not reserved).
 * Returns rd's new contents; accrues the flags and makes FS Dirty, as fpFused.
 */
export function jitFma(a: u64, b: u64, c: u64, ctl: u32): u64 {
  const rm = ctl >> 3;
  const mode = rm == 7 ? frm : rm;
  const negateProduct = (ctl & 1) != 0;
  const negateAddend = (ctl & 2) != 0;
  SF.fpFlags = 0;
  let r: u64;
  if ((ctl & 4) != 0) r = F32_BOX | <u64>SF.f32MulAdd(unbox(a), unbox(b), unbox(c), negateProduct, negateAddend, mode);
  else r = SF.f64MulAdd(a, b, c, negateProduct, negateAddend, mode);
  accrue();
  markDirtyFs();
  return r;
}

function fpLoad(insn: u32, raw: u32, rd: u32, rs1: u32, f3: u32): bool {
  if (f3 != 2 && f3 != 3) { illegalInstruction(raw); return false; }
  const addr = rx(rs1) + <u64>(<i32>insn >> 20);
  const size: u64 = f3 == 2 ? 4 : 8;
  const off = loadOffset(addr, size);
  let v: u64;
  if (off < dataLimit) {
    v = size == 4 ? <u64>load<u32>(RAM + <usize>off) : load<u64>(RAM + <usize>off);
  } else {
    v = loadSlow(addr, size);
    if (faulted) { faulted = false; return false; }
  }
  if (size == 4) wf32(rd, <u32>v); else wf64(rd, v);
  return true;
}

function fpStore(insn: u32, raw: u32, rs1: u32, rs2: u32, f3: u32): bool {
  if (f3 != 2 && f3 != 3) { illegalInstruction(raw); return false; }
  const imm = ((<i32>insn >> 20) & ~31) | ((insn >> 7) & 31);
  const addr = rx(rs1) + <u64><i64>imm;
  const size: u64 = f3 == 2 ? 4 : 8;
  // fsw stores the low 32 bits as they are: no NaN-boxing check.
  const v = rd64(rs2);
  const off = storeOffset(addr, size);
  if (off < dataLimit) {
    if (size == 4) store<u32>(RAM + <usize>off, <u32>v); else store<u64>(RAM + <usize>off, v);
    markDirty(off, size);
  } else {
    storeSlow(addr, size, v);
    if (faulted) { faulted = false; return false; }
  }
  return true;
}

function fpFused(insn: u32, raw: u32, rd: u32, rs1: u32, rs2: u32, rm: u32, fmt: u32, opcode: u32): bool {
  const mode = roundingMode(rm);
  if (mode < 0) { refusedInstruction(raw); return false; }
  const rs3 = insn >> 27;
  // fmadd: a*b+c; fmsub: a*b-c; fnmsub: -(a*b)+c; fnmadd: -(a*b)-c.
  const negateProduct = opcode == 0x4b || opcode == 0x4f;
  const negateAddend = opcode == 0x47 || opcode == 0x4f;
  SF.fpFlags = 0;
  if (fmt == 0) wf32(rd, SF.f32MulAdd(rd32(rs1), rd32(rs2), rd32(rs3), negateProduct, negateAddend, <u32>mode));
  else wf64(rd, SF.f64MulAdd(rd64(rs1), rd64(rs2), rd64(rs3), negateProduct, negateAddend, <u32>mode));
  accrue();
  return true;
}

/** OP-FP; x is integer register rs1's value, an integer result goes to setX. */
function fpOp(insn: u32, raw: u32, rd: u32, rs1: u32, rs2: u32, f3: u32, fmt: u32, x: u64): bool {
  const funct5 = insn >> 27;
  const single = fmt == 0;
  SF.fpFlags = 0;
  switch (funct5) {
    case 0x00: case 0x01: case 0x02: case 0x03: { // fadd, fsub, fmul, fdiv
      const mode = roundingMode(f3);
      if (mode < 0) { refusedInstruction(raw); return false; }
      const m = <u32>mode;
      if (single) {
        const a = rd32(rs1), b = rd32(rs2);
        if (fastAllowed(m)) {
          const r = fastArith32(funct5, a, b);
          if (r != NO_FAST32) { wf32(rd, r); break; }
        }
        wf32(rd, funct5 == 0 ? SF.f32Add(a, b, m) : funct5 == 1 ? SF.f32Sub(a, b, m) : funct5 == 2 ? SF.f32Mul(a, b, m) : SF.f32Div(a, b, m));
      } else {
        const a = rd64(rs1), b = rd64(rs2);
        if (fastAllowed(m)) {
          const r = fastArith64(funct5, a, b);
          if (r != NO_FAST64) { wf64(rd, r); break; }
        }
        wf64(rd, funct5 == 0 ? SF.f64Add(a, b, m) : funct5 == 1 ? SF.f64Sub(a, b, m) : funct5 == 2 ? SF.f64Mul(a, b, m) : SF.f64Div(a, b, m));
      }
      break;
    }
    case 0x0b: { // fsqrt
      if (rs2 != 0) { illegalInstruction(raw); return false; }
      const mode = roundingMode(f3);
      if (mode < 0) { refusedInstruction(raw); return false; }
      if (single) {
        const a = rd32(rs1);
        const r = fastAllowed(<u32>mode) ? fastSqrt32(a) : NO_FAST32;
        wf32(rd, r != NO_FAST32 ? r : SF.f32Sqrt(a, <u32>mode));
      } else {
        const a = rd64(rs1);
        const r = fastAllowed(<u32>mode) ? fastSqrt64(a) : NO_FAST64;
        wf64(rd, r != NO_FAST64 ? r : SF.f64Sqrt(a, <u32>mode));
      }
      break;
    }
    case 0x04: { // fsgnj, fsgnjn, fsgnjx
      if (f3 > 2) { illegalInstruction(raw); return false; }
      if (single) {
        const a = rd32(rs1), b = rd32(rs2);
        const sign = f3 == 0 ? b : f3 == 1 ? ~b : a ^ b;
        wf32(rd, (a & 0x7fffffff) | (sign & 0x80000000));
      } else {
        const a = rd64(rs1), b = rd64(rs2);
        const sign = f3 == 0 ? b : f3 == 1 ? ~b : a ^ b;
        wf64(rd, (a & 0x7fffffffffffffff) | (sign & 0x8000000000000000));
      }
      break;
    }
    case 0x05: { // fmin, fmax
      if (f3 > 1) { illegalInstruction(raw); return false; }
      if (single) wf32(rd, f3 == 0 ? SF.f32Min(rd32(rs1), rd32(rs2)) : SF.f32Max(rd32(rs1), rd32(rs2)));
      else wf64(rd, f3 == 0 ? SF.f64Min(rd64(rs1), rd64(rs2)) : SF.f64Max(rd64(rs1), rd64(rs2)));
      break;
    }
    case 0x08: { // fcvt.s.d, fcvt.d.s
      if (rs2 != (single ? 1 : 0)) { illegalInstruction(raw); return false; }
      const mode = roundingMode(f3);
      if (mode < 0) { refusedInstruction(raw); return false; }
      if (single) wf32(rd, SF.f64ToF32(rd64(rs1), <u32>mode));
      else wf64(rd, SF.f32ToF64(rd32(rs1)));
      break;
    }
    case 0x14: { // fle, flt, feq
      if (f3 > 2) { illegalInstruction(raw); return false; }
      let r: bool;
      if (single) {
        const a = rd32(rs1), b = rd32(rs2);
        r = f3 == 0 ? SF.f32Le(a, b) : f3 == 1 ? SF.f32Lt(a, b) : SF.f32Eq(a, b);
      } else {
        const a = rd64(rs1), b = rd64(rs2);
        r = f3 == 0 ? SF.f64Le(a, b) : f3 == 1 ? SF.f64Lt(a, b) : SF.f64Eq(a, b);
      }
      setX(r ? 1 : 0);
      break;
    }
    case 0x18: { // fcvt.{w,wu,l,lu}.{s,d}
      if (rs2 > 3) { illegalInstruction(raw); return false; }
      const mode = roundingMode(f3);
      if (mode < 0) { refusedInstruction(raw); return false; }
      const m = <u32>mode;
      let v: u64;
      if (single) {
        const a = rd32(rs1);
        v = rs2 == 0 ? SF.f32ToI32(a, m) : rs2 == 1 ? SF.f32ToU32(a, m) : rs2 == 2 ? SF.f32ToI64(a, m) : SF.f32ToU64(a, m);
      } else {
        const a = rd64(rs1);
        v = rs2 == 0 ? SF.f64ToI32(a, m) : rs2 == 1 ? SF.f64ToU32(a, m) : rs2 == 2 ? SF.f64ToI64(a, m) : SF.f64ToU64(a, m);
      }
      setX(v);
      break;
    }
    case 0x1a: { // fcvt.{s,d}.{w,wu,l,lu}
      if (rs2 > 3) { illegalInstruction(raw); return false; }
      const mode = roundingMode(f3);
      if (mode < 0) { refusedInstruction(raw); return false; }
      const m = <u32>mode;
      const a = x;
      if (single) wf32(rd, rs2 == 0 ? SF.i32ToF32(a, m) : rs2 == 1 ? SF.u32ToF32(a, m) : rs2 == 2 ? SF.i64ToF32(a, m) : SF.u64ToF32(a, m));
      else wf64(rd, rs2 == 0 ? SF.i32ToF64(a, m) : rs2 == 1 ? SF.u32ToF64(a, m) : rs2 == 2 ? SF.i64ToF64(a, m) : SF.u64ToF64(a, m));
      break;
    }
    case 0x1c: { // fmv.x.{w,d}, fclass
      if (rs2 != 0 || f3 > 1) { illegalInstruction(raw); return false; }
      if (f3 == 0) setX(single ? sx32(<u32>rd64(rs1)) : rd64(rs1));
      else setX(<u64>(single ? SF.f32Classify(rd32(rs1)) : SF.f64Classify(rd64(rs1))));
      break;
    }
    case 0x1e: { // fmv.{w,d}.x
      if (rs2 != 0 || f3 != 0) { illegalInstruction(raw); return false; }
      if (single) wf32(rd, <u32>x); else wf64(rd, x);
      break;
    }
    default:
      illegalInstruction(raw);
      return false;
  }
  accrue();
  return true;
}
