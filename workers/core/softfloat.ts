// IEEE 754 binary32 and binary64 arithmetic in integers only, for the F and D
// extensions, bit-exact with QEMU 7.2's RISC-V softfloat: every rounding mode,
// exact flags, tininess detected after rounding, canonical NaN results (RISC-V
// does not propagate payloads), no flush-to-zero. Values are raw bits (binary64
// in u64, binary32 in u32). Nothing here allocates: locals, a few globals and
// integer arithmetic.
//
// Internally a finite value is (sign, e, sig) with sig < 2^63 and
//   binary64: value = sig * 2^(e - 1084),   binary32: value = sig * 2^(e - 188).
// With the leading bit of sig at bit 62, e is the biased exponent minus one,
// so packing is sign | (e << fractionBits) + (sig >> roundBits): the leading bit
// adds the missing one to the exponent, and a carry out of rounding moves the
// exponent up by itself. binary64 keeps 10 round bits below its 53, binary32 39
// below its 24, the lowest of them a sticky bit (OR of everything shifted out).

// Rounding modes (RISC-V encoding).
const RNE: u32 = 0;
const RTZ: u32 = 1;
const RDN: u32 = 2;
const RUP: u32 = 3;
const RMM: u32 = 4;

// fflags bits.
const NX: u32 = 1;
const UF: u32 = 2;
const OF: u32 = 4;
const DZ: u32 = 8;
const NV: u32 = 16;

/** The exception flags raised by operations, ORed in; the caller clears it. */
export let fpFlags: u32 = 0;
export const F64_CANONICAL_NAN: u64 = 0x7ff8000000000000;
export const F32_CANONICAL_NAN: u32 = 0x7fc00000;

const SIGN64: u64 = 0x8000000000000000;
const FRAC64: u64 = 0x000fffffffffffff;
const HIDDEN64: u64 = 0x0010000000000000;
const INF64: u64 = 0x7ff0000000000000;
const QUIET64: u64 = 0x0008000000000000;
const SIGN32: u32 = 0x80000000;
const FRAC32: u32 = 0x007fffff;
const HIDDEN32: u32 = 0x00800000;
const INF32: u32 = 0x7f800000;
const QUIET32: u32 = 0x00400000;
const TOP: u64 = 0x8000000000000000;
const LOW32: u64 = 0xffffffff;

// ---------------------------------------------------------------------------
// Integer helpers

/** x >> n with the bits shifted out ORed into bit 0 (any n). */
@inline function shiftRightJam64(x: u64, n: u32): u64 {
  return n < 64 ? (x >> <u64>n) | <u64>((x & ((<u64>1 << <u64>n) - 1)) != 0) : <u64>(x != 0);
}

/** Low half of the last mulWide. */
let wideLo: u64 = 0;

/** The high half of the 128-bit product a * b; the low half goes to wideLo. */
@inline function mulWide(a: u64, b: u64): u64 {
  const a0 = a & LOW32, a1 = a >> 32, b0 = b & LOW32, b1 = b >> 32;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0;
  const mid = (p00 >> 32) + (p01 & LOW32) + (p10 & LOW32);
  wideLo = (mid << 32) | (p00 & LOW32);
  return a1 * b1 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

/** Remainder of the last divWide. */
let divRem: u64 = 0;

/**
 * floor(u * 2^64 / v) for u < v and v >= 2^63 (two 64-by-32-bit quotient digits,
 * each estimated by one hardware division and corrected at most twice); the
 * remainder goes to divRem.
 */
function divWide(u: u64, v: u64): u64 {
  const v1 = v >> 32, v0 = v & LOW32;
  let q1 = u / v1;
  let r = u - q1 * v1;
  while (q1 > LOW32 || q1 * v0 > (r << 32)) {
    q1--;
    r += v1;
    if (r > LOW32) break;
  }
  const u21 = (u << 32) - q1 * v;
  let q0 = u21 / v1;
  r = u21 - q0 * v1;
  while (q0 > LOW32 || q0 * v0 > (r << 32)) {
    q0--;
    r += v1;
    if (r > LOW32) break;
  }
  divRem = (u21 << 32) - q0 * v;
  return (q1 << 32) | q0;
}

/** Remainder of the last sqrtRem56. */
let sqrtRest: u64 = 0;

/**
 * floor(sqrt(n)) for n in [2^54, 2^56), remainder in sqrtRest: Zimmermann's
 * Karatsuba square root, 56 -> 28 -> 14 bits, the last by digit recurrence.
 */
function sqrtRem56(n: u64): u64 {
  // 14-bit radicand in [2^12, 2^14): seven steps of the bitwise method.
  let x = <u32>(n >> 42);
  let s: u32 = 0;
  let bit: u32 = 1 << 12;
  while (bit != 0) {
    const t = s + bit;
    const fits = x >= t;
    x = select<u32>(x - t, x, fits);
    s = (s >> 1) + select<u32>(bit, 0, fits);
    bit >>= 2;
  }
  // 28 bits: (s, x) is sqrtrem of the top 14 bits, B = 2^7.
  let root = <u64>s, rest = <u64>x;
  let t = (rest << 7) | ((n >> 35) & 0x7f);
  let q = t / (root << 1);
  let u = t - q * (root << 1);
  root = (root << 7) + q;
  let rr = <i64>((u << 7) | ((n >> 28) & 0x7f)) - <i64>(q * q);
  if (rr < 0) { rr += <i64>(root << 1) - 1; root--; }
  // 56 bits, B = 2^14.
  t = (<u64>rr << 14) | ((n >> 14) & 0x3fff);
  q = t / (root << 1);
  u = t - q * (root << 1);
  root = (root << 14) + q;
  rr = <i64>((u << 14) | (n & 0x3fff)) - <i64>(q * q);
  if (rr < 0) { rr += <i64>(root << 1) - 1; root--; }
  sqrtRest = <u64>rr;
  return root;
}

/** The rounding increment for `bits` round bits: half for the nearest modes, all ones when rounding away from zero. */
@inline function roundIncrement(negative: bool, rm: u32, half: u64): u64 {
  const away = select<u64>(half + (half - 1), 0, rm == (negative ? RDN : RUP));
  return select<u64>(half, away, rm == RNE || rm == RMM);
}

// ---------------------------------------------------------------------------
// Rounding and packing

/** Rounds sign * sig * 2^(e - 1084) (sig's leading bit at 62, or e <= 0) to binary64. */
function roundPack64(sign: u64, e: i32, sig: u64, rm: u32): u64 {
  const inc = roundIncrement(sign != 0, rm, 0x200);
  let roundBits = sig & 0x3ff;
  if (<u32>e >= 0x7fd) {
    if (e < 0) {
      // Tiny if the result rounded to 53 bits with unbounded exponent is below the minimum normal.
      const tiny = e < -1 || sig + inc < TOP;
      sig = shiftRightJam64(sig, <u32>-e);
      e = 0;
      roundBits = sig & 0x3ff;
      if (tiny && roundBits != 0) fpFlags |= UF;
    } else if (e > 0x7fd || sig + inc >= TOP) {
      fpFlags |= OF | NX;
      return (sign | INF64) - <u64>(inc == 0);
    }
  }
  fpFlags |= <u32>(roundBits != 0); // NX is bit 0
  sig = (sig + inc) >> 10;
  sig &= ~<u64>(roundBits == 0x200 && rm == RNE);
  return sign | ((<u64>e << 52) + sig);
}

/** roundPack64 for any non-zero sig < 2^63. */
@inline function normRoundPack64(sign: u64, e: i32, sig: u64, rm: u32): u64 {
  const shift = <i32>clz(sig) - 1;
  return roundPack64(sign, e - shift, sig << <u64>shift, rm);
}

/** Rounds sign * sig * 2^(e - 188) (sig's leading bit at 62, or e <= 0) to binary32. */
function roundPack32(sign: u32, e: i32, sig: u64, rm: u32): u32 {
  const inc = roundIncrement(sign != 0, rm, <u64>1 << 38);
  let roundBits = sig & 0x7fffffffff;
  if (<u32>e >= 0xfd) {
    if (e < 0) {
      const tiny = e < -1 || sig + inc < TOP;
      sig = shiftRightJam64(sig, <u32>-e);
      e = 0;
      roundBits = sig & 0x7fffffffff;
      if (tiny && roundBits != 0) fpFlags |= UF;
    } else if (e > 0xfd || sig + inc >= TOP) {
      fpFlags |= OF | NX;
      return (sign | INF32) - <u32>(inc == 0);
    }
  }
  fpFlags |= <u32>(roundBits != 0); // NX
  let r = <u32>((sig + inc) >> 39);
  r &= ~<u32>(roundBits == 0x4000000000 && rm == RNE);
  return sign | ((<u32>e << 23) + r);
}

@inline function normRoundPack32(sign: u32, e: i32, sig: u64, rm: u32): u32 {
  const shift = <i32>clz(sig) - 1;
  return roundPack32(sign, e - shift, sig << <u64>shift, rm);
}

// ---------------------------------------------------------------------------
// Classification helpers

@inline function isNaN64(a: u64): bool { return (a << 1) > 0xffe0000000000000; }
@inline function isSNaN64(a: u64): bool { return isNaN64(a) && (a & QUIET64) == 0; }
@inline function isInf64(a: u64): bool { return (a << 1) == 0xffe0000000000000; }
@inline function isNaN32(a: u32): bool { return (a << 1) > 0xff000000; }
@inline function isSNaN32(a: u32): bool { return isNaN32(a) && (a & QUIET32) == 0; }
@inline function isInf32(a: u32): bool { return (a << 1) == 0xff000000; }

/** The canonical NaN, with NV if either operand is a signalling NaN. */
function nan2_64(a: u64, b: u64): u64 {
  if (isSNaN64(a) || isSNaN64(b)) fpFlags |= NV;
  return F64_CANONICAL_NAN;
}
function nan2_32(a: u32, b: u32): u32 {
  if (isSNaN32(a) || isSNaN32(b)) fpFlags |= NV;
  return F32_CANONICAL_NAN;
}
function invalid64(): u64 { fpFlags |= NV; return F64_CANONICAL_NAN; }
function invalid32(): u32 { fpFlags |= NV; return F32_CANONICAL_NAN; }

// ---------------------------------------------------------------------------
// binary64 arithmetic

function add64(x: u64, y: u64, rm: u32): u64 {
  // Order by magnitude: |a| >= |b|; then a is special whenever b is. (Selects, not branches: signs and
  // magnitudes of real operands are not predictable.)
  const swap = (x << 1) < (y << 1);
  const a = select<u64>(y, x, swap);
  const b = select<u64>(x, y, swap);
  let ea = <i32>(a >> 52) & 0x7ff;
  let eb = <i32>(b >> 52) & 0x7ff;
  if (ea == 0x7ff) {
    if (isNaN64(a) || isNaN64(b)) return nan2_64(a, b);
    if (eb == 0x7ff && <i64>(a ^ b) < 0) return invalid64(); // inf - inf
    return a;
  }
  const sign = a & SIGN64;
  let ma = a & FRAC64, mb = b & FRAC64;
  if (ea != 0) ma |= HIDDEN64; else ea = 1;
  if (eb != 0) mb |= HIDDEN64; else eb = 1;
  const sa = ma << 9;
  const sb = shiftRightJam64(mb << 9, <u32>(ea - eb));
  const subtract = <i64>(a ^ b) < 0;
  const sig = select<u64>(sa - sb, sa + sb, subtract);
  // An exact zero: x + (-x) is +0 (-0 rounding down); zeros of one sign keep it.
  if (sig == 0) return subtract ? (rm == RDN ? SIGN64 : 0) : sign;
  return normRoundPack64(sign, ea, sig, rm);
}

export function f64Add(a: u64, b: u64, rm: u32): u64 { return add64(a, b, rm); }
export function f64Sub(a: u64, b: u64, rm: u32): u64 { return add64(a, b ^ SIGN64, rm); }

export function f64Mul(a: u64, b: u64, rm: u32): u64 {
  const sign = (a ^ b) & SIGN64;
  let ea = <i32>(a >> 52) & 0x7ff;
  let eb = <i32>(b >> 52) & 0x7ff;
  let ma = a & FRAC64, mb = b & FRAC64;
  if (ea == 0x7ff || eb == 0x7ff) {
    if (isNaN64(a) || isNaN64(b)) return nan2_64(a, b);
    if ((a << 1) == 0 || (b << 1) == 0) return invalid64(); // inf * 0
    return sign | INF64;
  }
  if (ea == 0) {
    if (ma == 0) return sign;
    const s = <i32>clz(ma) - 11;
    ma <<= <u64>s;
    ea = 1 - s;
  } else ma |= HIDDEN64;
  if (eb == 0) {
    if (mb == 0) return sign;
    const s = <i32>clz(mb) - 11;
    mb <<= <u64>s;
    eb = 1 - s;
  } else mb |= HIDDEN64;
  const hi = mulWide(ma << 10, mb << 11);
  return normRoundPack64(sign, ea + eb - 1023, hi | <u64>(wideLo != 0), rm);
}

export function f64Div(a: u64, b: u64, rm: u32): u64 {
  const sign = (a ^ b) & SIGN64;
  let ea = <i32>(a >> 52) & 0x7ff;
  let eb = <i32>(b >> 52) & 0x7ff;
  let ma = a & FRAC64, mb = b & FRAC64;
  if (ea == 0x7ff) {
    if (isNaN64(a) || isNaN64(b)) return nan2_64(a, b);
    if (eb == 0x7ff) return invalid64(); // inf / inf
    return sign | INF64;
  }
  if (eb == 0x7ff) {
    if (mb != 0) return nan2_64(a, b);
    return sign; // x / inf
  }
  if (eb == 0) {
    if (mb == 0) {
      if ((a << 1) == 0) return invalid64(); // 0 / 0
      fpFlags |= DZ;
      return sign | INF64;
    }
    const s = <i32>clz(mb) - 11;
    mb <<= <u64>s;
    eb = 1 - s;
  } else mb |= HIDDEN64;
  if (ea == 0) {
    if (ma == 0) return sign;
    const s = <i32>clz(ma) - 11;
    ma <<= <u64>s;
    ea = 1 - s;
  } else ma |= HIDDEN64;
  // q = (ma / mb) * 2^63, in (2^62, 2^64).
  const q = divWide(ma << 10, mb << 11);
  const sig = (q >> 1) | (q & 1) | <u64>(divRem != 0);
  return normRoundPack64(sign, ea - eb + 1022, sig, rm);
}

export function f64Sqrt(a: u64, rm: u32): u64 {
  let ea = <i32>(a >> 52) & 0x7ff;
  let ma = a & FRAC64;
  if (ea == 0x7ff) {
    if (ma != 0) return nan2_64(a, a);
    return <i64>a < 0 ? invalid64() : a;
  }
  if ((a << 1) == 0) return a; // sqrt(+-0) = +-0
  if (<i64>a < 0) return invalid64();
  if (ea == 0) {
    const s = <i32>clz(ma) - 11;
    ma <<= <u64>s;
    ea = 1 - s;
  } else ma |= HIDDEN64;
  // value = ma * 2^(ea - 1075); make the exponent even, then root of ma * 2^58 (112 bits) is 56 bits.
  let ex = ea - 1023;
  ma <<= <u64>(ex & 1);
  ex -= ex & 1;
  // Top half of ma * 2^58 is ma << 2; one more Karatsuba step with B = 2^28 and zero low digits.
  const s1 = sqrtRem56(ma << 2);
  const t = sqrtRest << 28;
  const q = t / (s1 << 1);
  const u = t - q * (s1 << 1);
  let root = (s1 << 28) + q;
  let rr = <i64>(u << 28) - <i64>(q * q);
  if (rr < 0) { rr += <i64>(root << 1) - 1; root--; }
  const sig = (root << 7) | <u64>(rr != 0);
  return roundPack64(0, (ex >> 1) + 1022, sig, rm);
}

/** 128-bit (hi, lo) shifted right by n (any n) with jamming: the result's high half, the low half in wideLo. */
@inline function shiftRightJam128(hi: u64, lo: u64, n: u32): u64 {
  // All three cases computed and selected (the shift distance is data); x << (64 - k) is written
  // (x << 1) << (63 - k), which is right for k = 0 as well.
  const k = <u64>(n & 63);
  const lo1 = ((hi << 1) << (63 - k)) | (lo >> k) | <u64>(((lo << 1) << (63 - k)) != 0);
  const lo2 = (hi >> k) | <u64>(((hi & ((<u64>1 << k) - 1)) | lo) != 0);
  const lo3 = <u64>((hi | lo) != 0);
  wideLo = select<u64>(lo1, select<u64>(lo2, lo3, n < 128), n < 64);
  return select<u64>(hi >> k, 0, n < 64);
}

export function f64MulAdd(a: u64, b: u64, c: u64, negateProduct: bool, negateAddend: bool, rm: u32): u64 {
  const signP = ((a ^ b) & SIGN64) ^ (negateProduct ? SIGN64 : 0);
  const signC = (c & SIGN64) ^ (negateAddend ? SIGN64 : 0);
  let ea = <i32>(a >> 52) & 0x7ff;
  let eb = <i32>(b >> 52) & 0x7ff;
  let ec = <i32>(c >> 52) & 0x7ff;
  let ma = a & FRAC64, mb = b & FRAC64, mc = c & FRAC64;
  const zeroP = (a << 1) == 0 || (b << 1) == 0;
  if (ea == 0x7ff || eb == 0x7ff || ec == 0x7ff) {
    const infZero = (isInf64(a) && (b << 1) == 0) || (isInf64(b) && (a << 1) == 0);
    if (isNaN64(a) || isNaN64(b) || isNaN64(c)) {
      // RISC-V: inf * 0 is invalid even when the addend is a quiet NaN.
      if (infZero || isSNaN64(a) || isSNaN64(b) || isSNaN64(c)) fpFlags |= NV;
      return F64_CANONICAL_NAN;
    }
    if (infZero) return invalid64();
    if (ea == 0x7ff || eb == 0x7ff) {
      if (ec == 0x7ff && signC != signP) return invalid64(); // inf - inf
      return signP | INF64;
    }
    return signC | INF64;
  }
  if (zeroP) {
    if ((c << 1) == 0) return signP == signC ? signP : (rm == RDN ? SIGN64 : 0);
    return signC | (c & ~SIGN64);
  }
  if (ea == 0) {
    const s = <i32>clz(ma) - 11;
    ma <<= <u64>s;
    ea = 1 - s;
  } else ma |= HIDDEN64;
  if (eb == 0) {
    const s = <i32>clz(mb) - 11;
    mb <<= <u64>s;
    eb = 1 - s;
  } else mb |= HIDDEN64;
  // Exact product as 128 bits with its leading bit at 126: value = (pHi:pLo) * 2^(eP - 1148).
  let pHi = mulWide(ma << 10, mb << 11);
  let pLo = wideLo;
  const up = <u64>(pHi < 0x4000000000000000);
  pHi = (pHi << up) | ((pLo >> 63) & up);
  pLo <<= up;
  const eP = ea + eb - 1023 - <i32>up;
  if ((c << 1) == 0) return roundPack64(signP, eP, pHi | <u64>(pLo != 0), rm);
  if (ec == 0) {
    const s = <i32>clz(mc) - 11;
    mc <<= <u64>s;
    ec = 1 - s;
  } else mc |= HIDDEN64;
  // The addend likewise: (cHi:0) * 2^(eC - 1148), leading bit at 126.
  const cHi = mc << 10;
  const eC = ec - 1;
  const d = eP - eC;
  // The operand of larger magnitude goes first, the other is aligned to it (selects: which one is
  // larger, and whether they add or subtract, are not predictable).
  const pBig = (<u32>(d > 0) | (<u32>(d == 0) & (<u32>(pHi > cHi) | (<u32>(pHi == cHi) & <u32>(pLo != 0))))) != 0;
  const bigHi = select<u64>(pHi, cHi, pBig);
  const bigLo = select<u64>(pLo, 0, pBig);
  const sign = select<u64>(signP, signC, pBig);
  let e = select<i32>(eP, eC, pBig);
  let smallHi = shiftRightJam128(select<u64>(cHi, pHi, pBig), select<u64>(0, pLo, pBig), <u32>select<i32>(d, -d, pBig));
  let smallLo = wideLo;
  // A subtraction adds the two's complement: the difference of magnitudes is never negative.
  const subtract = signP != signC;
  const negLo = 0 - smallLo;
  const negHi = ~smallHi + <u64>(smallLo == 0);
  smallLo = select<u64>(negLo, smallLo, subtract);
  smallHi = select<u64>(negHi, smallHi, subtract);
  let lo = bigLo + smallLo;
  let hi = bigHi + smallHi + <u64>(lo < bigLo);
  if ((hi | lo) == 0) return rm == RDN ? SIGN64 : 0; // exact cancellation
  if (hi == 0) {
    // Cancellation of 64 bits or more (exact: the low 20 bits of both are zero then).
    hi = lo >> 1;
    lo <<= 63;
    e -= 63;
  }
  // A carry out of an addition goes back down one bit, then the leading bit goes to 126.
  const carry = hi >= TOP;
  lo = select<u64>((lo >> 1) | (hi << 63) | (lo & 1), lo, carry);
  hi = select<u64>(hi >> 1, hi, carry);
  e += <i32>carry;
  const s = <u64>clz(hi) - 1;
  hi = (hi << s) | ((lo >> 1) >> (63 - s));
  lo <<= s;
  return roundPack64(sign, e - <i32>s, hi | <u64>(lo != 0), rm);
}

/** Whether a < b in the order -inf < ... < -0 < +0 < ... < +inf (neither a NaN). */
@inline function totalLess64(a: u64, b: u64): bool {
  return (<i64>(a ^ b) < 0) ? <i64>a < 0 : (a != b && ((<i64>a < 0) != (a < b)));
}

@inline function minMax64(a: u64, b: u64, max: bool): u64 {
  const an = isNaN64(a), bn = isNaN64(b);
  if (an || bn) {
    if (isSNaN64(a) || isSNaN64(b)) fpFlags |= NV;
    if (an && bn) return F64_CANONICAL_NAN;
    return an ? b : a;
  }
  return totalLess64(a, b) != max ? a : b;
}

export function f64Min(a: u64, b: u64): u64 { return minMax64(a, b, false); }
export function f64Max(a: u64, b: u64): u64 { return minMax64(a, b, true); }

export function f64Eq(a: u64, b: u64): bool {
  if (isNaN64(a) || isNaN64(b)) {
    if (isSNaN64(a) || isSNaN64(b)) fpFlags |= NV;
    return false;
  }
  return a == b || ((a | b) << 1) == 0;
}

export function f64Lt(a: u64, b: u64): bool {
  if (isNaN64(a) || isNaN64(b)) { fpFlags |= NV; return false; }
  if (<i64>(a ^ b) < 0) return <i64>a < 0 && ((a | b) << 1) != 0;
  return a != b && ((<i64>a < 0) != (a < b));
}

export function f64Le(a: u64, b: u64): bool {
  if (isNaN64(a) || isNaN64(b)) { fpFlags |= NV; return false; }
  if (<i64>(a ^ b) < 0) return <i64>a < 0 || ((a | b) << 1) == 0;
  return a == b || ((<i64>a < 0) != (a < b));
}

export function f64Classify(a: u64): u32 {
  const negative = <i64>a < 0;
  const e = <u32>(a >> 52) & 0x7ff;
  const f = a & FRAC64;
  if (e == 0x7ff) {
    if (f == 0) return negative ? 1 : 1 << 7;
    return (f & QUIET64) != 0 ? 1 << 9 : 1 << 8;
  }
  if (e == 0) {
    if (f == 0) return negative ? 1 << 3 : 1 << 4;
    return negative ? 1 << 2 : 1 << 5;
  }
  return negative ? 1 << 1 : 1 << 6;
}

// ---------------------------------------------------------------------------
// Conversions to integers

const KIND_I32: u32 = 0;
const KIND_U32: u32 = 1;
const KIND_I64: u32 = 2;
const KIND_U64: u32 = 3;

/** The saturated result for NaN, infinities and out-of-range values, with NV. */
function saturate(negative: bool, kind: u32): u64 {
  fpFlags |= NV;
  if (kind == KIND_I32) return negative ? 0xffffffff80000000 : 0x7fffffff;
  if (kind == KIND_U32) return negative ? 0 : 0xffffffffffffffff;
  if (kind == KIND_I64) return negative ? 0x8000000000000000 : 0x7fffffffffffffff;
  return negative ? 0 : 0xffffffffffffffff;
}

/**
 * The register value of (-1)^negative * m * 2^exp (m non-zero, m < 2^53) rounded
 * to an integer in rm and converted to kind: NX if inexact, NV (alone) when out of range.
 */
function toInt(negative: bool, m: u64, exp: i32, rm: u32, kind: u32): u64 {
  let mag: u64;
  let inexact = false;
  if (exp >= 0) {
    if (exp > <i32>clz(m)) return saturate(negative, kind);
    mag = m << <u64>exp;
  } else {
    let frac: u64;
    if (exp < -63) {
      mag = 0;
      frac = 1; // below one half
    } else {
      const n = <u64>-exp;
      mag = m >> n;
      frac = m << (64 - n);
    }
    inexact = frac != 0;
    let inc: bool;
    if (rm == RNE) inc = frac > TOP || (frac == TOP && (mag & 1) != 0);
    else if (rm == RMM) inc = frac >= TOP;
    else if (rm == RTZ) inc = false;
    else inc = inexact && (rm == RDN) == negative;
    mag += <u64>inc;
  }
  let r: u64;
  if (negative) {
    const limit: u64 = kind == KIND_I32 ? 0x80000000 : kind == KIND_I64 ? 0x8000000000000000 : 0;
    if (mag > limit) return saturate(true, kind);
    r = 0 - mag;
  } else {
    const limit: u64 = kind == KIND_I32 ? 0x7fffffff : kind == KIND_U32 ? 0xffffffff : kind == KIND_I64 ? 0x7fffffffffffffff : 0xffffffffffffffff;
    if (mag > limit) return saturate(false, kind);
    r = mag;
  }
  if (inexact) fpFlags |= NX;
  return kind <= KIND_U32 ? <u64><i64><i32>r : r;
}

function f64ToInt(a: u64, rm: u32, kind: u32): u64 {
  const e = <i32>(a >> 52) & 0x7ff;
  const f = a & FRAC64;
  if (e == 0x7ff) return saturate(f == 0 && <i64>a < 0, kind);
  if (e == 0) {
    if (f == 0) return 0;
    return toInt(<i64>a < 0, f, -1074, rm, kind);
  }
  return toInt(<i64>a < 0, f | HIDDEN64, e - 1075, rm, kind);
}

export function f64ToI32(a: u64, rm: u32): u64 { return f64ToInt(a, rm, KIND_I32); }
export function f64ToU32(a: u64, rm: u32): u64 { return f64ToInt(a, rm, KIND_U32); }
export function f64ToI64(a: u64, rm: u32): u64 { return f64ToInt(a, rm, KIND_I64); }
export function f64ToU64(a: u64, rm: u32): u64 { return f64ToInt(a, rm, KIND_U64); }

// ---------------------------------------------------------------------------
// Conversions from integers

/** (-1)^negative * mag rounded to binary64. */
function intToF64(negative: bool, mag: u64, rm: u32): u64 {
  if (mag == 0) return 0;
  const s = <i32>clz(mag);
  const sig = mag << <u64>s;
  return roundPack64(negative ? SIGN64 : 0, 1085 - s, (sig >> 1) | (sig & 1), rm);
}

export function i32ToF64(a: u64, rm: u32): u64 {
  const v = <i64><i32>a;
  return intToF64(v < 0, v < 0 ? <u64>-v : <u64>v, rm);
}
export function u32ToF64(a: u64, rm: u32): u64 { return intToF64(false, a & LOW32, rm); }
export function i64ToF64(a: u64, rm: u32): u64 { return intToF64(<i64>a < 0, <i64>a < 0 ? 0 - a : a, rm); }
export function u64ToF64(a: u64, rm: u32): u64 { return intToF64(false, a, rm); }

function intToF32(negative: bool, mag: u64, rm: u32): u32 {
  if (mag == 0) return 0;
  const s = <i32>clz(mag);
  const sig = mag << <u64>s;
  return roundPack32(negative ? SIGN32 : 0, 189 - s, (sig >> 1) | (sig & 1), rm);
}

export function i32ToF32(a: u64, rm: u32): u32 {
  const v = <i64><i32>a;
  return intToF32(v < 0, v < 0 ? <u64>-v : <u64>v, rm);
}
export function u32ToF32(a: u64, rm: u32): u32 { return intToF32(false, a & LOW32, rm); }
export function i64ToF32(a: u64, rm: u32): u32 { return intToF32(<i64>a < 0, <i64>a < 0 ? 0 - a : a, rm); }
export function u64ToF32(a: u64, rm: u32): u32 { return intToF32(false, a, rm); }

// ---------------------------------------------------------------------------
// Between the formats

export function f64ToF32(a: u64, rm: u32): u32 {
  const sign = <u32>(a >> 32) & SIGN32;
  let e = <i32>(a >> 52) & 0x7ff;
  let m = a & FRAC64;
  if (e == 0x7ff) {
    if (m != 0) {
      if ((m & QUIET64) == 0) fpFlags |= NV;
      return F32_CANONICAL_NAN;
    }
    return sign | INF32;
  }
  if (e == 0) {
    if (m == 0) return sign;
    const s = <i32>clz(m) - 11;
    m <<= <u64>s;
    e = 1 - s;
  } else m |= HIDDEN64;
  return roundPack32(sign, e - 897, m << 10, rm);
}

export function f32ToF64(a: u32): u64 {
  const sign = <u64>(a & SIGN32) << 32;
  let e = <i32>(a >> 23) & 0xff;
  let m = a & FRAC32;
  if (e == 0xff) {
    if (m != 0) {
      if ((m & QUIET32) == 0) fpFlags |= NV;
      return F64_CANONICAL_NAN;
    }
    return sign | INF64;
  }
  if (e == 0) {
    if (m == 0) return sign;
    const s = <i32>clz(m) - 8;
    m = (m << <u32>s) & FRAC32;
    e = 1 - s;
  }
  return sign | (<u64>(e + 896) << 52) | (<u64>m << 29);
}

// ---------------------------------------------------------------------------
// binary32 arithmetic (64-bit significands inside)

function add32(x: u32, y: u32, rm: u32): u32 {
  const swap = (x << 1) < (y << 1);
  const a = select<u32>(y, x, swap);
  const b = select<u32>(x, y, swap);
  let ea = <i32>(a >> 23) & 0xff;
  let eb = <i32>(b >> 23) & 0xff;
  if (ea == 0xff) {
    if (isNaN32(a) || isNaN32(b)) return nan2_32(a, b);
    if (eb == 0xff && <i32>(a ^ b) < 0) return invalid32();
    return a;
  }
  const sign = a & SIGN32;
  let ma = <u64>(a & FRAC32), mb = <u64>(b & FRAC32);
  if (ea != 0) ma |= HIDDEN32; else ea = 1;
  if (eb != 0) mb |= HIDDEN32; else eb = 1;
  const sa = ma << 38;
  const sb = shiftRightJam64(mb << 38, <u32>(ea - eb));
  const subtract = <i32>(a ^ b) < 0;
  const sig = select<u64>(sa - sb, sa + sb, subtract);
  if (sig == 0) return subtract ? (rm == RDN ? SIGN32 : 0) : sign;
  return normRoundPack32(sign, ea, sig, rm);
}

export function f32Add(a: u32, b: u32, rm: u32): u32 { return add32(a, b, rm); }
export function f32Sub(a: u32, b: u32, rm: u32): u32 { return add32(a, b ^ SIGN32, rm); }

export function f32Mul(a: u32, b: u32, rm: u32): u32 {
  const sign = (a ^ b) & SIGN32;
  let ea = <i32>(a >> 23) & 0xff;
  let eb = <i32>(b >> 23) & 0xff;
  let ma = a & FRAC32, mb = b & FRAC32;
  if (ea == 0xff || eb == 0xff) {
    if (isNaN32(a) || isNaN32(b)) return nan2_32(a, b);
    if ((a << 1) == 0 || (b << 1) == 0) return invalid32();
    return sign | INF32;
  }
  if (ea == 0) {
    if (ma == 0) return sign;
    const s = <i32>clz(ma) - 8;
    ma <<= <u32>s;
    ea = 1 - s;
  } else ma |= HIDDEN32;
  if (eb == 0) {
    if (mb == 0) return sign;
    const s = <i32>clz(mb) - 8;
    mb <<= <u32>s;
    eb = 1 - s;
  } else mb |= HIDDEN32;
  // Exact 48-bit product, leading bit at 46 or 47.
  return normRoundPack32(sign, ea + eb - 127, (<u64>ma * <u64>mb) << 15, rm);
}

export function f32Div(a: u32, b: u32, rm: u32): u32 {
  const sign = (a ^ b) & SIGN32;
  let ea = <i32>(a >> 23) & 0xff;
  let eb = <i32>(b >> 23) & 0xff;
  let ma = a & FRAC32, mb = b & FRAC32;
  if (ea == 0xff) {
    if (isNaN32(a) || isNaN32(b)) return nan2_32(a, b);
    if (eb == 0xff) return invalid32();
    return sign | INF32;
  }
  if (eb == 0xff) {
    if (mb != 0) return nan2_32(a, b);
    return sign;
  }
  if (eb == 0) {
    if (mb == 0) {
      if ((a << 1) == 0) return invalid32();
      fpFlags |= DZ;
      return sign | INF32;
    }
    const s = <i32>clz(mb) - 8;
    mb <<= <u32>s;
    eb = 1 - s;
  } else mb |= HIDDEN32;
  if (ea == 0) {
    if (ma == 0) return sign;
    const s = <i32>clz(ma) - 8;
    ma <<= <u32>s;
    ea = 1 - s;
  } else ma |= HIDDEN32;
  const n = <u64>ma << 39;
  const q = n / <u64>mb;
  const sig = q | <u64>(n - q * <u64>mb != 0);
  return normRoundPack32(sign, ea - eb + 149, sig, rm);
}

export function f32Sqrt(a: u32, rm: u32): u32 {
  let ea = <i32>(a >> 23) & 0xff;
  let ma = a & FRAC32;
  if (ea == 0xff) {
    if (ma != 0) return nan2_32(a, a);
    return <i32>a < 0 ? invalid32() : a;
  }
  if ((a << 1) == 0) return a;
  if (<i32>a < 0) return invalid32();
  if (ea == 0) {
    const s = <i32>clz(ma) - 8;
    ma <<= <u32>s;
    ea = 1 - s;
  } else ma |= HIDDEN32;
  let ex = ea - 127;
  const m = <u64>ma << <u64>(ex & 1);
  ex -= ex & 1;
  const root = sqrtRem56(m << 31);
  return roundPack32(0, (ex >> 1) + 126, (root << 35) | <u64>(sqrtRest != 0), rm);
}

export function f32MulAdd(a: u32, b: u32, c: u32, negateProduct: bool, negateAddend: bool, rm: u32): u32 {
  const signP = ((a ^ b) & SIGN32) ^ (negateProduct ? SIGN32 : 0);
  const signC = (c & SIGN32) ^ (negateAddend ? SIGN32 : 0);
  let ea = <i32>(a >> 23) & 0xff;
  let eb = <i32>(b >> 23) & 0xff;
  let ec = <i32>(c >> 23) & 0xff;
  let ma = a & FRAC32, mb = b & FRAC32, mc = c & FRAC32;
  const zeroP = (a << 1) == 0 || (b << 1) == 0;
  if (ea == 0xff || eb == 0xff || ec == 0xff) {
    const infZero = (isInf32(a) && (b << 1) == 0) || (isInf32(b) && (a << 1) == 0);
    if (isNaN32(a) || isNaN32(b) || isNaN32(c)) {
      if (infZero || isSNaN32(a) || isSNaN32(b) || isSNaN32(c)) fpFlags |= NV;
      return F32_CANONICAL_NAN;
    }
    if (infZero) return invalid32();
    if (ea == 0xff || eb == 0xff) {
      if (ec == 0xff && signC != signP) return invalid32();
      return signP | INF32;
    }
    return signC | INF32;
  }
  if (zeroP) {
    if ((c << 1) == 0) return signP == signC ? signP : (rm == RDN ? SIGN32 : 0);
    return signC | (c & ~SIGN32);
  }
  if (ea == 0) {
    const s = <i32>clz(ma) - 8;
    ma <<= <u32>s;
    ea = 1 - s;
  } else ma |= HIDDEN32;
  if (eb == 0) {
    const s = <i32>clz(mb) - 8;
    mb <<= <u32>s;
    eb = 1 - s;
  } else mb |= HIDDEN32;
  // Exact product with its leading bit at 61: value = p * 2^(eP - 188).
  let p = <u64>ma * <u64>mb;
  const ps = <i32>clz(p) - 2;
  p <<= <u64>ps;
  const eP = ea + eb - 112 - ps;
  if ((c << 1) == 0) return normRoundPack32(signP, eP, p, rm);
  if (ec == 0) {
    const s = <i32>clz(mc) - 8;
    mc <<= <u32>s;
    ec = 1 - s;
  } else mc |= HIDDEN32;
  const cs = <u64>mc << 38;
  const d = eP - ec;
  const pBig = (<u32>(d > 0) | (<u32>(d == 0) & <u32>(p >= cs))) != 0;
  const big = select<u64>(p, cs, pBig);
  const small = shiftRightJam64(select<u64>(cs, p, pBig), <u32>select<i32>(d, -d, pBig));
  const sig = select<u64>(big - small, big + small, signP != signC);
  if (sig == 0) return rm == RDN ? SIGN32 : 0; // exact cancellation
  return normRoundPack32(select<u32>(signP, signC, pBig), select<i32>(eP, ec, pBig), sig, rm);
}

@inline function totalLess32(a: u32, b: u32): bool {
  return (<i32>(a ^ b) < 0) ? <i32>a < 0 : (a != b && ((<i32>a < 0) != (a < b)));
}

@inline function minMax32(a: u32, b: u32, max: bool): u32 {
  const an = isNaN32(a), bn = isNaN32(b);
  if (an || bn) {
    if (isSNaN32(a) || isSNaN32(b)) fpFlags |= NV;
    if (an && bn) return F32_CANONICAL_NAN;
    return an ? b : a;
  }
  return totalLess32(a, b) != max ? a : b;
}

export function f32Min(a: u32, b: u32): u32 { return minMax32(a, b, false); }
export function f32Max(a: u32, b: u32): u32 { return minMax32(a, b, true); }

export function f32Eq(a: u32, b: u32): bool {
  if (isNaN32(a) || isNaN32(b)) {
    if (isSNaN32(a) || isSNaN32(b)) fpFlags |= NV;
    return false;
  }
  return a == b || ((a | b) << 1) == 0;
}

export function f32Lt(a: u32, b: u32): bool {
  if (isNaN32(a) || isNaN32(b)) { fpFlags |= NV; return false; }
  if (<i32>(a ^ b) < 0) return <i32>a < 0 && ((a | b) << 1) != 0;
  return a != b && ((<i32>a < 0) != (a < b));
}

export function f32Le(a: u32, b: u32): bool {
  if (isNaN32(a) || isNaN32(b)) { fpFlags |= NV; return false; }
  if (<i32>(a ^ b) < 0) return <i32>a < 0 || ((a | b) << 1) == 0;
  return a == b || ((<i32>a < 0) != (a < b));
}

export function f32Classify(a: u32): u32 {
  const negative = <i32>a < 0;
  const e = (a >> 23) & 0xff;
  const f = a & FRAC32;
  if (e == 0xff) {
    if (f == 0) return negative ? 1 : 1 << 7;
    return (f & QUIET32) != 0 ? 1 << 9 : 1 << 8;
  }
  if (e == 0) {
    if (f == 0) return negative ? 1 << 3 : 1 << 4;
    return negative ? 1 << 2 : 1 << 5;
  }
  return negative ? 1 << 1 : 1 << 6;
}

function f32ToInt(a: u32, rm: u32, kind: u32): u64 {
  const e = <i32>(a >> 23) & 0xff;
  const f = <u64>(a & FRAC32);
  if (e == 0xff) return saturate(f == 0 && <i32>a < 0, kind);
  if (e == 0) {
    if (f == 0) return 0;
    return toInt(<i32>a < 0, f, -149, rm, kind);
  }
  return toInt(<i32>a < 0, f | HIDDEN32, e - 150, rm, kind);
}

export function f32ToI32(a: u32, rm: u32): u64 { return f32ToInt(a, rm, KIND_I32); }
export function f32ToU32(a: u32, rm: u32): u64 { return f32ToInt(a, rm, KIND_U32); }
export function f32ToI64(a: u32, rm: u32): u64 { return f32ToInt(a, rm, KIND_I64); }
export function f32ToU64(a: u32, rm: u32): u64 { return f32ToInt(a, rm, KIND_U64); }
