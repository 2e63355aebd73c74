// A fast path for the F and D extensions' basic arithmetic: wasm's own f32/f64
// +, -, *, / and sqrt, used only where they are provably bit-identical to
// softfloat.ts (results and flags). Translated code (workers/engine/jit/
// translate-fp.ts) emits the same checks inline; tests/softfloat/fast-path.test.ts
// compares both with softfloat.
//
// Why this is exact. wasm's f32/f64 arithmetic is IEEE 754 binary32/binary64
// with round-to-nearest-even, gradual underflow (no flush to zero) and no excess
// precision: every non-NaN result is the correctly rounded one, as softfloat's
// is in RNE. They differ only in NaN bits and in not reporting flags. So with
// the rounding mode RNE in effect:
// - a NaN result never comes from here (NaN results fall back), so NaN bits
//   never matter;
// - the flags softfloat could raise beyond NX are NV (only with a NaN result),
//   DZ (an infinite result), OF (an infinite result in RNE) and UF (only for a
//   tiny, inexact result). So a finite result whose computation cannot have
//   been tiny and inexact raises at most NX;
// - the caller takes the fast path only when fflags already has NX (it is
//   sticky): raising NX again changes nothing, so the result is all there is.
// Tininess, per operation: a sum or difference that is subnormal is exact (both
// operands are multiples of the smallest subnormal, and so is the sum), so any
// finite sum qualifies. A product or quotient qualifies when the rounded result
// is above the smallest normal 2^-1022 (2^-126): then the exact value was above
// it too (it is within half an ulp of the result), so it was not tiny. (The
// smallest normal itself may be the rounding of a tiny value: that, zero and
// subnormal results fall back.) A square root of a non-negative finite value
// is never tiny unless exact (a zero) and never overflows, so any finite
// result qualifies (the square root of a negative value is a NaN, of +inf is
// not finite: both fall back).

/** What the fast path returns when it does not apply: softfloat must compute the result. */
export const NO_FAST64: u64 = 0x7ff8dead0000fa57;
export const NO_FAST32: u32 = 0x7fc0fa57;

const MAG64: u64 = 0x7fffffffffffffff;
const INF64: u64 = 0x7ff0000000000000;
/** The smallest normal binary64, as bits. */
const MIN_NORMAL64: u64 = 0x0010000000000000;
const MAG32: u32 = 0x7fffffff;
const INF32: u32 = 0x7f800000;
const MIN_NORMAL32: u32 = 0x00800000;

/**
 * fadd/fsub/fmul/fdiv.d (funct5 0..3) of binary64 bits a, b in RNE, or NO_FAST64 if
 * the result may raise a flag other than NX (see above). The caller ensures RNE and NX set.
 */
export function fastArith64(funct5: u32, a: u64, b: u64): u64 {
  const x = reinterpret<f64>(a), y = reinterpret<f64>(b);
  const r = funct5 == 0 ? x + y : funct5 == 1 ? x - y : funct5 == 2 ? x * y : x / y;
  const bits = reinterpret<u64>(r);
  const mag = bits & MAG64;
  if (funct5 <= 1) return mag < INF64 ? bits : NO_FAST64;
  // Strictly between the smallest normal and infinity (unsigned wrap-around makes one comparison).
  return mag - (MIN_NORMAL64 + 1) < INF64 - (MIN_NORMAL64 + 1) ? bits : NO_FAST64;
}

/** fsqrt.d of binary64 bits a in RNE, or NO_FAST64. */
export function fastSqrt64(a: u64): u64 {
  const bits = reinterpret<u64>(Math.sqrt(reinterpret<f64>(a)));
  return (bits & MAG64) < INF64 ? bits : NO_FAST64;
}

/** fadd/fsub/fmul/fdiv.s (funct5 0..3) of binary32 bits a, b (already unboxed) in RNE, or NO_FAST32. */
export function fastArith32(funct5: u32, a: u32, b: u32): u32 {
  const x = reinterpret<f32>(a), y = reinterpret<f32>(b);
  const r: f32 = funct5 == 0 ? x + y : funct5 == 1 ? x - y : funct5 == 2 ? x * y : x / y;
  const bits = reinterpret<u32>(r);
  const mag = bits & MAG32;
  if (funct5 <= 1) return mag < INF32 ? bits : NO_FAST32;
  return mag - (MIN_NORMAL32 + 1) < INF32 - (MIN_NORMAL32 + 1) ? bits : NO_FAST32;
}

/** fsqrt.s of binary32 bits a (unboxed) in RNE, or NO_FAST32. */
export function fastSqrt32(a: u32): u32 {
  const bits = reinterpret<u32>(Mathf.sqrt(reinterpret<f32>(a)));
  return (bits & MAG32) < INF32 ? bits : NO_FAST32;
}
