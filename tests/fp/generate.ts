// Generates a bare-metal RV64GC program that executes a long, seeded, random
// stream of F and D instructions and prints digests of everything it observes,
// so that two machines can be compared on it (tests/fp/fp-differential.test.ts).
//
// The program is one assembly file with its own start-up code (no C library):
//
// - a table of stubs, one per instruction variant: every F and D instruction
//   crossed with every static rounding mode and the dynamic one, the reserved
//   rounding modes 5 and 6, reserved encodings, misaligned and compressed loads
//   and stores, the FP CSRs, and instructions with mstatus.FS = Off. Each stub
//   loads its operands from memory into registers chosen at generation time,
//   runs its instruction and returns the FP result's 64 bits in a0 and the
//   integer result in a1;
// - a loop that, for each operation, picks a stub (weighted table), operands
//   (from pools of interesting values, random bits, neighbours of the
//   previous operands, or related triples: c cancelling a*b, b cancelling a,
//   exact quotients, underflow thresholds) and the fcsr to start from (random frm, sometimes a
//   reserved one; fflags usually clear, sometimes random) and an mstatus.FS
//   state (Dirty, Clean or Initial) with an in-guest xorshift64* generator,
//   runs the stub and folds the FP result, the integer result, fcsr, FS and SD,
//   any trap (cause, tval) and the number of instructions the stub retired
//   (minstret, so QEMU runs with -icount) into a running 64-bit hash and into
//   one hash per stub;
// - a trap handler that records the trap and resumes after the instruction
//   (traps outside the stubs end the program with status 3).
//
// Output, one record per line, buffered in RAM and written with semihosting
// SYS_WRITE0 (QEMU takes microseconds per UART character; a trace run prints
// megabytes):
//
//   FPDIFF seed <hex> ops <hex> stubs <hex>
//   C <ops done, hex> <hash>                    every 4096 operations
//   T <index> <stub id> <name> <a> <b> <c> <x> <fcsr in> <FS clear mask> -> <f> <x> <fcsr out> <fs> <traps> <cause> <tval> <insns>
//                                              in trace mode only (see GenOptions.trace*)
//   S <stub id> <hash>                          per stub, at the end
//   OPS <ops done, hex>
//   HASH <hash>
//   END
//
// The trace lines are printed for the operations whose index is in
// [traceFrom, traceTo) and for every operation of the stubs in traceStubs. A
// program generated with the same seed and op count but other trace options
// executes exactly the same operations.

export interface GenOptions {
  seed: number;
  /** Number of operations (default 1 << 22). */
  ops?: number;
  traceFrom?: number;
  traceTo?: number;
  /** Stub ids whose every operation is traced. */
  traceStubs?: number[];
  /**
   * Configure PMP: entry 0 locks a 4 KiB page against all access (M-mode included), entry 1 allows
   * the rest; adds stubs whose loads and stores hit that page. (Hindsight then takes its slow memory
   * path for every load and store.)
   */
  pmp?: boolean;
}

export type Pool = 'S' | 'D';
/** What an operand slot holds for a stub: a single (NaN-boxed) or double from a pool, or an integer. */
export type Operand = 'S' | 'D' | 'X';

export interface StubInfo {
  id: number;
  name: string;
  /** The assembly of the instruction under test (after operand set-up). */
  insn: string;
  /** Pool the a, b, c operands are drawn from. */
  pool: Pool;
  /** Operands the stub reads: a, b, c (FP) and x (integer). */
  uses: { a?: Operand; b?: Operand; c?: Operand; x?: Operand };
  /** Operand slots loaded with flw (so the register holds them NaN-boxed whatever their upper half). */
  flw: ('a' | 'b' | 'c')[];
  /** What the stub returns: in a0 (FP register bits, or memory) and a1. */
  result: { f?: 'S' | 'D' | 'mem'; x?: 'int' | 'csr' | 'mem' };
  weight: number;
  /** Entries of the 4096-entry selection table that pick this stub: it runs for about ops * slots / 4096 operations. */
  slots: number;
}

export interface Program {
  options: GenOptions;
  asm: string;
  stubs: StubInfo[];
  ops: number;
  seed: number;
}

export const CHECKPOINT_SHIFT = 12;
export const CHECKPOINT_EVERY = 1 << CHECKPOINT_SHIFT;
const POOL_BITS = 9;
const POOL_SIZE = 1 << POOL_BITS;
const SELECT_BITS = 12;
export const SELECT_SIZE = 1 << SELECT_BITS;
const OUT_BUF = 8192;

// Layout of the operand block (a0 in the stubs).
export const OB = {
  A: 0, B: 8, C: 16, X: 24, SCRATCH: 32, ID: 64, FCSR_IN: 72, FSMASK: 80, RES_F: 88, RES_X: 96,
  FCSR_OUT: 104, FSBITS: 112, TRAPCNT: 120, TRAPCAUSE: 128, TRAPTVAL: 136, ICOUNT: 144, SIZE: 160,
} as const;

// ---------------------------------------------------------------------------
// Host-side PRNG (splitmix64), for pools, register choices and weights.

class Rng {
  private s: bigint;
  constructor(seed: number) {
    // The seed picks the starting point through the output function: seeds that differ by one are not
    // neighbouring positions of the same sequence.
    this.s = Rng.mix(BigInt.asUintN(64, BigInt(seed) ^ 0x632be59bd9b4e019n));
  }
  private static mix(x: bigint): bigint {
    let z = x;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    return z ^ (z >> 31n);
  }
  next(): bigint {
    this.s = BigInt.asUintN(64, this.s + 0x9e3779b97f4a7c15n);
    return Rng.mix(this.s);
  }
  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Number(this.next() % BigInt(n));
  }
  bits(n: number): bigint {
    return n === 64 ? this.next() : this.next() & ((1n << BigInt(n)) - 1n);
  }
  chance(p: number): boolean {
    return this.int(1 << 20) < p * (1 << 20);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [xs[i], xs[j]] = [xs[j], xs[i]];
    }
    return xs;
  }
}

// ---------------------------------------------------------------------------
// Bit patterns.

const dv = new DataView(new ArrayBuffer(8));
export function f64Bits(x: number): bigint {
  dv.setFloat64(0, x, true);
  return dv.getBigUint64(0, true);
}
export function bitsF64(b: bigint): number {
  dv.setBigUint64(0, BigInt.asUintN(64, b), true);
  return dv.getFloat64(0, true);
}
export function f32Bits(x: number): bigint {
  dv.setFloat32(0, x, true);
  return BigInt(dv.getUint32(0, true));
}
export function bitsF32(b: bigint): number {
  dv.setUint32(0, Number(b & 0xffffffffn), true);
  return dv.getFloat32(0, true);
}

const BOX = 0xffffffff00000000n;

interface Format { sig: number; exp: number; bias: number; width: number }
const FMT_S: Format = { sig: 23, exp: 8, bias: 127, width: 32 };
const FMT_D: Format = { sig: 52, exp: 11, bias: 1023, width: 64 };

function make(f: Format, sign: number, exp: number, frac: bigint): bigint {
  return (BigInt(sign) << BigInt(f.width - 1)) | (BigInt(exp) << BigInt(f.sig)) | (frac & ((1n << BigInt(f.sig)) - 1n));
}

/** Bits of the value of `f` nearest to x (x representable, or rounded by the host's conversion). */
function valueBits(f: Format, x: number): bigint {
  return f === FMT_D ? f64Bits(x) : f32Bits(x);
}

/** Special and boundary values of a format, as bit patterns of that width. */
function specials(f: Format): bigint[] {
  const W = BigInt(f.width);
  const signBit = 1n << (W - 1n);
  const expAll = (1 << f.exp) - 1;
  const fracAll = (1n << BigInt(f.sig)) - 1n;
  const quiet = 1n << BigInt(f.sig - 1);
  const out: bigint[] = [];
  const both = (b: bigint) => { out.push(b, b | signBit); };
  both(0n); // zero
  both(1n); // min subnormal
  both(2n);
  both(3n);
  both(fracAll); // max subnormal
  both(fracAll - 1n);
  both(quiet); // half of min normal
  both(quiet + 1n);
  both(make(f, 0, 1, 0n)); // min normal
  both(make(f, 0, 1, 1n));
  both(make(f, 0, 1, fracAll));
  both(make(f, 0, 2, 0n));
  both(make(f, 0, expAll - 1, fracAll)); // max normal
  both(make(f, 0, expAll - 1, fracAll - 1n));
  both(make(f, 0, expAll - 1, 0n)); // 2^emax
  both(make(f, 0, expAll - 2, fracAll));
  both(make(f, 0, expAll, 0n)); // inf
  both(make(f, 0, expAll, quiet)); // canonical qNaN (and its negative)
  both(make(f, 0, expAll, quiet | 1n)); // qNaN with payload
  both(make(f, 0, expAll, fracAll)); // qNaN, all-ones payload
  both(make(f, 0, expAll, 1n)); // sNaN, payload 1
  both(make(f, 0, expAll, quiet >> 1n)); // sNaN
  both(make(f, 0, expAll, quiet - 1n)); // sNaN, max payload
  // 1.0 and neighbours, small numbers, halfway cases.
  for (const x of [1, 2, 0.5, 1.5, 2.5, 3, 0.75, 0.25, 3.5, 4, 5, 7, 10, 100, 0.1, 1 / 3, 2 / 3, Math.PI, Math.E, 0.49999999999999994,
    0.5000000000000001, 0.9999999999999999, 1e-10, 1e10, 65536, 16777216, 8388608, 9007199254740992, 4503599627370496]) {
    const b = valueBits(f, x);
    both(b);
  }
  const one = valueBits(f, 1);
  for (const d of [1n, 2n, 3n]) { both(one + d); both(one - d); }
  const two = valueBits(f, 2);
  both(two - 1n); both(two + 1n);
  // Integer boundaries: 2^31, 2^32, 2^63, 2^64 and their neighbours in this format, and x.5 values near them.
  for (const e of [31, 32, 63, 64, 24, 53, 52, 23, 62, 30]) {
    const b = make(f, 0, f.bias + e, 0n);
    for (const d of [-2n, -1n, 0n, 1n, 2n]) both(b + d);
  }
  for (const x of [2147483647, 2147483647.5, 2147483646.5, 2147483648.5, 2147483649, 4294967295, 4294967295.5, 4294967296.5,
    4294967294.5, -2147483648.5, -2147483649, -2147483647.5, 0.9, 0.1, -0.9, -0.1, -1.0000001, 0.4999, 0.5001, 1.4999, 1.5001]) {
    out.push(valueBits(f, x));
  }
  // Values whose squares or products overflow or underflow, and square roots' neighbours.
  for (const e of [f.bias / 2, -(f.bias / 2), (f.bias + 1) / 2, -((f.bias - 1) / 2) - f.sig / 2]) {
    const ee = Math.round(e) + f.bias;
    if (ee > 0 && ee < expAll) for (const fr of [0n, 1n, fracAll, quiet]) both(make(f, 0, ee, fr));
  }
  return out;
}

/** A random value of format f with structure: chosen exponent range and mantissa shape. */
function structured(r: Rng, f: Format): bigint {
  const expAll = (1 << f.exp) - 1;
  const sig = BigInt(f.sig);
  const sign = r.int(2);
  let exp: number;
  switch (r.int(8)) {
    case 0: exp = r.int(expAll + 1); break; // anything, inf/NaN included
    case 1: exp = r.int(4); break; // subnormal, min normal
    case 2: exp = expAll - 1 - r.int(4); break; // near overflow
    case 3: exp = f.bias + [31, 32, 63, 64, 0, -1, 23, 24, 52, 53][r.int(10)] + r.int(3) - 1; break; // integer boundaries
    case 4: exp = f.bias - f.sig - 1 - r.int(f.sig + 4); break; // small
    default: exp = f.bias - 8 + r.int(17); // around 1
  }
  exp = Math.max(0, Math.min(expAll, exp));
  let frac: bigint;
  switch (r.int(8)) {
    case 0: frac = 0n; break;
    case 1: frac = (1n << sig) - 1n; break;
    case 2: frac = 1n << BigInt(r.int(f.sig)); break;
    case 3: { const k = BigInt(r.int(f.sig)); frac = r.bits(f.sig) & ~((1n << k) - 1n); break; } // short mantissa
    case 4: { const k = BigInt(1 + r.int(f.sig - 1)); frac = (r.bits(f.sig) & ~((1n << k) - 1n)) | (1n << (k - 1n)); break; } // halfway-like tail
    case 5: { const k = BigInt(r.int(f.sig)); frac = r.bits(f.sig) | ((1n << k) - 1n); break; } // trailing ones
    default: frac = r.bits(f.sig);
  }
  return make(f, sign, exp, frac);
}

/** Doubles near singles: a single widened, plus a tail in the 29 bits a narrowing drops. */
function nearSingle(r: Rng): bigint {
  const s = r.chance(0.3) ? specials(FMT_S)[r.int(60)] : structured(r, FMT_S);
  const x = bitsF32(s);
  if (!Number.isFinite(x)) return f64Bits(x);
  let d = f64Bits(x);
  const tails = [0n, 1n << 28n, (1n << 28n) + 1n, (1n << 28n) - 1n, 1n, (1n << 29n) - 1n, r.bits(29)];
  const t = r.pick(tails);
  // Subnormal singles have fewer bits; the tail still lands between two of them, which is what counts.
  d = r.chance(0.5) ? d + t : d - t;
  return BigInt.asUintN(64, d);
}

function doublePool(r: Rng): bigint[] {
  const out = specials(FMT_D);
  // Singles' boundaries as doubles (for fcvt.s.d): single max, min normal, min subnormal and halfway points.
  for (const x of [3.4028234663852886e38, 3.4028235677973366e38, 3.4028235677973362e38, 3.402823567797337e38,
    1.1754943508222875e-38, 1.401298464324817e-45, 7.006492321624085e-46, 7.006492321624087e-46, 2.1019476964872256e-45,
    1.1754942106924411e-38, 1.1754943e-38]) {
    out.push(f64Bits(x), f64Bits(-x));
  }
  for (let i = 0; i < 48; i++) out.push(nearSingle(r));
  while (out.length < POOL_SIZE) out.push(structured(r, FMT_D));
  return r.shuffle(out.slice(0, POOL_SIZE));
}

function singlePool(r: Rng): bigint[] {
  const vals = specials(FMT_S).map((b) => b | BOX);
  while (vals.length < POOL_SIZE) vals.push(structured(r, FMT_S) | BOX);
  const out = r.shuffle(vals.slice(0, POOL_SIZE));
  // Improperly NaN-boxed singles: a 64-bit register whose upper half is not all ones reads as the canonical NaN.
  const uppers = [0n, 0xfffffffen, 0x7fffffffn, 0xffff0000n, 0x00000001n, 0x3ff00000n, 0x7ff80000n];
  for (let i = 0; i < 28; i++) {
    const low = out[i] & 0xffffffffn;
    const up = i < uppers.length ? uppers[i] : r.bits(32);
    out[i] = up === 0xffffffffn ? low : (up << 32n) | low;
  }
  // Doubles fed to a single-precision instruction.
  out[28] = f64Bits(1);
  out[29] = f64Bits(-2.5);
  out[30] = 0x7ff8000000000000n;
  out[31] = 0xfff0000000000000n;
  return r.shuffle(out);
}

/** A finite value of moderate magnitude: exponent within ±spread of 1, mantissa random or short. */
function moderate(r: Rng, f: Format, spread: number): bigint {
  const frac = r.chance(0.3) ? r.bits(f.sig) & ~((1n << BigInt(r.int(f.sig))) - 1n) : r.bits(f.sig);
  return make(f, r.int(2), f.bias - spread + r.int(2 * spread + 1), frac);
}

/**
 * Related operand triples (a, b, c), used together for one operation in eight: c cancelling a*b
 * (the FMA result is then the product's rounding error, or an exact zero whose sign depends on the
 * rounding mode), b cancelling a, exact quotients, products and sums at the underflow threshold,
 * signed zeros and equal magnitudes of opposite signs, infinities times zeros.
 */
function triples(r: Rng, f: Format): bigint[] {
  const isD = f === FMT_D;
  const val = (b: bigint) => (isD ? bitsF64(b) : bitsF32(b));
  const bits = (x: number) => (isD ? f64Bits(x) : f32Bits(x));
  const round = (x: number) => (isD ? x : Math.fround(x));
  const sign = 1n << BigInt(f.width - 1);
  const minNormal = make(f, 0, 1, 0n);
  const out: bigint[] = [];
  for (let i = 0; i < 256; i++) {
    let a = moderate(r, f, 20);
    let b = moderate(r, f, 20);
    let c = structured(r, f);
    switch (i % 8) {
      case 0: case 1: { // c = -(a*b), exactly or a few ulps off
        const p = bits(round(val(a) * val(b)));
        c = (p ^ sign) + BigInt(r.pick([0, 0, 0, 1, -1, 2]));
        break;
      }
      case 2: // b = -a, exactly or a few ulps off
        b = (a ^ (r.chance(0.8) ? sign : 0n)) + BigInt(r.int(5) - 2);
        break;
      case 3: { // a = b * k: an exact quotient (when representable)
        const k = 1 + r.int(12);
        a = bits(round(val(b) * k));
        c = bits(k);
        break;
      }
      case 4: { // a*b near the smallest normal, c = ± the smallest normal or zero
        const e1 = 1 + r.int(f.bias - 1);
        a = make(f, r.int(2), e1, r.bits(f.sig));
        b = make(f, r.int(2), Math.max(1, f.bias - e1 + r.int(3) - 1), r.chance(0.5) ? r.bits(f.sig) : 0n);
        c = r.pick([minNormal, minNormal | sign, 0n, sign, 1n, minNormal - 1n]);
        break;
      }
      case 6: { // signed zeros and equal magnitudes of opposite signs
        a = r.pick([0n, sign, a, 1n, 1n | sign, make(f, 0, (1 << f.exp) - 1, 0n)]);
        b = r.chance(0.75) ? a ^ sign : a;
        c = r.pick([0n, sign, a, a ^ sign]);
        break;
      }
      case 7: { // invalid products and sums: inf * 0 (+ a quiet NaN: still NV), inf * x - inf
        const inf = make(f, 0, (1 << f.exp) - 1, 0n);
        const qnan = make(f, 0, (1 << f.exp) - 1, 1n << BigInt(f.sig - 1));
        const snan = make(f, 0, (1 << f.exp) - 1, 1n);
        const zeroOrInf = () => r.pick([0n, inf]) | (r.chance(0.5) ? sign : 0n);
        a = r.chance(0.8) ? zeroOrInf() : a;
        b = r.chance(0.8) ? zeroOrInf() : b;
        c = r.pick([qnan, qnan | sign, qnan | 5n, snan, inf, inf | sign, 0n, sign, c]);
        break;
      }
      default: { // sums at the rounding boundary: b half an ulp of a (or next to it)
        const ea = Number((a >> BigInt(f.sig)) & BigInt((1 << f.exp) - 1));
        const eb = ea - f.sig - 1;
        if (eb > 0) b = make(f, r.int(2), eb, r.pick([0n, 1n, (1n << BigInt(f.sig)) - 1n]));
      }
    }
    const m = (1n << BigInt(f.width)) - 1n;
    out.push(...[a, b, c].map((x) => (isD ? x & m : (x & m) | BOX)));
  }
  return out;
}

function intPool(r: Rng): bigint[] {
  const v: bigint[] = [];
  const push = (x: bigint) => v.push(BigInt.asUintN(64, x));
  for (const x of [0n, 1n, -1n, 2n, -2n, 3n, 7n, 10n, 100n, -100n]) push(x);
  for (const e of [24n, 25n, 31n, 32n, 53n, 54n, 62n, 63n, 64n]) {
    const b = 1n << e;
    for (const d of [-3n, -2n, -1n, 0n, 1n, 2n, 3n]) { push(b + d); push(-(b + d)); }
  }
  // Rounding boundaries of int -> single (24 bits) and int -> double (53 bits): halfway and just off it.
  for (const p of [24n, 53n]) {
    for (let i = 0; i < 12; i++) {
      const shift = BigInt(r.int(Number(64n - p) - 1) + 1);
      const top = (1n << (p - 1n)) | r.bits(Number(p) - 1);
      const half = 1n << (shift - 1n);
      const base = top << shift;
      for (const d of [half, half - 1n, half + 1n]) { push(base + d); push(-(base + d)); }
    }
  }
  for (const x of [0x7fffffffn, 0x80000000n, 0xffffffffn, 0x7fffff80n, 0x7fffffc0n, 0xffffff80n, 0xffffff7fn,
    0x7ffffffffffffc00n, 0x7ffffffffffffdffn, 0x7ffffffffffffe00n, 0xfffffffffffff800n, 0xfffffffffffffbffn, 0xfffffffffffffc00n,
    0x7fffff8000000000n, 0xffffff8000000000n]) push(x);
  // Low 32 bits interesting, upper half garbage (the .w/.wu conversions must ignore it).
  for (let i = 0; i < 32; i++) push((r.bits(32) << 32n) | (v[r.int(v.length)] & 0xffffffffn));
  while (v.length < POOL_SIZE) {
    const x = r.next() >> BigInt(r.int(64));
    push(r.chance(0.5) ? -x : x);
  }
  return r.shuffle(v.slice(0, POOL_SIZE));
}

// ---------------------------------------------------------------------------
// Stubs.

const RMS = ['rne', 'rtz', 'rdn', 'rup', 'rmm', 'dyn'] as const;
const RM_CODE: Record<string, number> = { rne: 0, rtz: 1, rdn: 2, rup: 3, rmm: 4, dyn: 7 };
const INT_REGS = ['t0', 't1', 't2', 't3', 't4', 't5', 't6', 'a1', 'a2', 'a3', 'a4', 'a5', 'a7'];

interface Draft {
  name: string;
  pool: Pool;
  weight: number;
  uses: StubInfo['uses'];
  result: StubInfo['result'];
  /** Set-up before the FS change (loads of operands). */
  setup: string[];
  /** The instruction(s) under test. */
  test: string[];
  /** Read-out: a0 = FP bits, a1 = integer result. */
  readout: string[];
}

class Regs {
  private usedF = new Set<number>();
  private usedX = new Set<string>();
  constructor(private r: Rng) {}
  f(): string {
    let n: number;
    do n = this.r.int(32); while (this.usedF.has(n));
    this.usedF.add(n);
    return `f${n}`;
  }
  /** A register from f8..f15 (compressed encodings). */
  fc(): string {
    let n: number;
    do n = 8 + this.r.int(8); while (this.usedF.has(n));
    this.usedF.add(n);
    return `f${n}`;
  }
  x(): string {
    let n: string;
    do n = this.r.pick(INT_REGS); while (this.usedX.has(n));
    this.usedX.add(n);
    return n;
  }
}

const SLOT = { a: OB.A, b: OB.B, c: OB.C } as const;

function loadF(r: Rng, kind: Operand, reg: string, slot: 'a' | 'b' | 'c'): string {
  // Singles come in as raw 64-bit register images (so improperly boxed values reach the instruction),
  // and sometimes through flw (which boxes them).
  if (kind === 'S' && r.chance(0.2)) return `flw ${reg}, ${SLOT[slot]}(a0)`;
  return `fld ${reg}, ${SLOT[slot]}(a0)`;
}

function readF(reg: string): string[] {
  return [`fmv.x.d a0, ${reg}`, 'li a1, 0'];
}
function readX(reg: string): string[] {
  return [`mv a1, ${reg}`, 'li a0, 0'];
}

/** Builds the list of stub drafts for one seed. */
function drafts(r: Rng, pmp: boolean): Draft[] {
  const out: Draft[] = [];
  const P = ['s', 'd'] as const;
  const poolOf = (p: 's' | 'd'): Pool => (p === 's' ? 'S' : 'D');
  /** An integer destination: sometimes x0 (the instruction must still raise its flags). */
  const xdest = (g: Regs) => (r.chance(0.12) ? 'zero' : g.x());

  // Operations with an FP result and FP sources, with a rounding mode.
  const fpOp = (name: string, p: 's' | 'd', nsrc: number, rm: string | number, weight: number) => {
    const g = new Regs(r);
    const srcs = Array.from({ length: nsrc }, () => g.f());
    const d = r.chance(0.3) ? r.pick(srcs) : g.f();
    const k = poolOf(p);
    const uses: StubInfo['uses'] = {};
    const slots = ['a', 'b', 'c'] as const;
    srcs.forEach((_, i) => { uses[slots[i]] = k; });
    let test: string;
    const mn = `${name}.${p}`;
    if (typeof rm === 'number') test = encodeRm(mn, d, srcs, rm);
    else test = `${mn} ${[d, ...srcs].join(', ')}, ${rm}`;
    out.push({
      name: `${mn}.${typeof rm === 'number' ? `rm${rm}` : rm}`, pool: k, weight, uses, result: { f: k },
      setup: srcs.map((s, i) => loadF(r, k, s, slots[i])), test: [test], readout: readF(d),
    });
  };
  for (const p of P) {
    for (const op of ['fadd', 'fsub', 'fmul', 'fdiv']) for (const rm of RMS) fpOp(op, p, 2, rm, 3);
    for (const rm of RMS) fpOp('fsqrt', p, 1, rm, 3);
    for (const op of ['fmadd', 'fmsub', 'fnmsub', 'fnmadd']) for (const rm of RMS) fpOp(op, p, 3, rm, 3);
    for (const op of ['fadd', 'fsub', 'fmul', 'fdiv', 'fsqrt', 'fmadd', 'fnmadd']) for (const rm of [5, 6]) {
      fpOp(op, p, op === 'fsqrt' ? 1 : op === 'fmadd' || op === 'fnmadd' ? 3 : 2, rm, 0.12);
    }
  }

  // No rounding mode: min/max, sign injection, compares, classify.
  for (const p of P) {
    const k = poolOf(p);
    for (const op of ['fmin', 'fmax', 'fsgnj', 'fsgnjn', 'fsgnjx']) {
      for (const same of [false, true]) {
        if (same && (op === 'fmin' || op === 'fmax') && r.chance(0.5)) continue;
        const g = new Regs(r);
        const a = g.f();
        const b = same ? a : g.f();
        const d = r.chance(0.3) ? a : g.f();
        const setup = same ? [loadF(r, k, a, 'a')] : [loadF(r, k, a, 'a'), loadF(r, k, b, 'b')];
        const mn = same && op.startsWith('fsgnj') ? { fsgnj: 'fmv', fsgnjn: 'fneg', fsgnjx: 'fabs' }[op] : op;
        const test = same && op.startsWith('fsgnj') ? `${mn}.${p} ${d}, ${a}` : `${op}.${p} ${d}, ${a}, ${b}`;
        out.push({
          name: `${mn}.${p}${same && !op.startsWith('fsgnj') ? '.same' : ''}`, pool: k, weight: 1.5,
          uses: same ? { a: k } : { a: k, b: k }, result: { f: k }, setup, test: [test], readout: readF(d),
        });
      }
    }
    for (const op of ['feq', 'flt', 'fle']) {
      for (const same of [false, true]) {
        const g = new Regs(r);
        const a = g.f();
        const b = same ? a : g.f();
        const d = xdest(g);
        out.push({
          name: `${op}.${p}${same ? '.same' : ''}`, pool: k, weight: same ? 0.5 : 1.5, uses: same ? { a: k } : { a: k, b: k },
          result: { x: 'int' }, setup: same ? [loadF(r, k, a, 'a')] : [loadF(r, k, a, 'a'), loadF(r, k, b, 'b')],
          test: [`${op}.${p} ${d}, ${a}, ${b}`], readout: readX(d),
        });
      }
    }
    {
      const g = new Regs(r);
      const a = g.f();
      const d = xdest(g);
      out.push({
        name: `fclass.${p}`, pool: k, weight: 1.5, uses: { a: k }, result: { x: 'int' },
        setup: [loadF(r, k, a, 'a')], test: [`fclass.${p} ${d}, ${a}`], readout: readX(d),
      });
    }
  }

  // Conversions.
  for (const p of P) {
    const k = poolOf(p);
    for (const t of ['w', 'wu', 'l', 'lu']) {
      for (const rm of [...RMS, 5, 6]) {
        const g = new Regs(r);
        const a = g.f();
        const d = xdest(g);
        const mn = `fcvt.${t}.${p}`;
        out.push({
          name: `${mn}.${typeof rm === 'number' ? `rm${rm}` : rm}`, pool: k, weight: typeof rm === 'number' ? 0.12 : 2,
          uses: { a: k }, result: { x: 'int' }, setup: [loadF(r, k, a, 'a')],
          test: [typeof rm === 'number' ? encodeRm(mn, d, [a], rm) : `${mn} ${d}, ${a}, ${rm}`], readout: readX(d),
        });
      }
      for (const rm of [...RMS, 5, 6]) {
        const g = new Regs(r);
        const s = r.chance(0.03) ? 'zero' : g.x();
        const d = g.f();
        const mn = `fcvt.${p}.${t}`;
        // fcvt.d.w and fcvt.d.wu are exact: the assembler takes no rounding mode, the encoding has one.
        const exact = p === 'd' && (t === 'w' || t === 'wu');
        const test = typeof rm === 'number' || exact ? encodeRm(mn, d, [s], RM_CODE[rm] ?? (rm as number)) : `${mn} ${d}, ${s}, ${rm}`;
        out.push({
          name: `${mn}.${typeof rm === 'number' ? `rm${rm}` : rm}`, pool: k, weight: typeof rm === 'number' ? 0.12 : 2,
          uses: { x: 'X' }, result: { f: k }, setup: s === 'zero' ? [] : [`ld ${s}, ${OB.X}(a0)`], test: [test], readout: readF(d),
        });
      }
    }
  }
  for (const [mn, from, to] of [['fcvt.s.d', 'D', 'S'], ['fcvt.d.s', 'S', 'D']] as const) {
    for (const rm of [...RMS, 5, 6]) {
      const g = new Regs(r);
      const a = g.f();
      const d = r.chance(0.3) ? a : g.f();
      const test = typeof rm === 'number' || mn === 'fcvt.d.s' ? encodeRm(mn, d, [a], RM_CODE[rm] ?? (rm as number)) : `${mn} ${d}, ${a}, ${rm}`;
      out.push({
        name: `${mn}.${typeof rm === 'number' ? `rm${rm}` : rm}`, pool: from, weight: typeof rm === 'number' ? 0.12 : 3,
        uses: { a: from }, result: { f: to }, setup: [loadF(r, from, a, 'a')], test: [test], readout: readF(d),
      });
    }
  }

  // Moves between register files.
  for (const [mn, k] of [['fmv.x.w', 'S'], ['fmv.x.d', 'D']] as const) {
    const g = new Regs(r);
    const a = g.f();
    const d = xdest(g);
    out.push({
      name: mn, pool: k, weight: 1, uses: { a: k }, result: { x: 'int' }, setup: [`fld ${a}, ${OB.A}(a0)`],
      test: [`${mn} ${d}, ${a}`], readout: readX(d),
    });
  }
  for (const [mn, k] of [['fmv.w.x', 'S'], ['fmv.d.x', 'D']] as const) {
    for (let i = 0; i < 2; i++) {
      const g = new Regs(r);
      const s = i === 1 ? 'zero' : g.x();
      const d = g.f();
      out.push({
        name: `${mn}${s === 'zero' ? '.x0' : ''}`, pool: k, weight: i === 1 ? 0.2 : 1, uses: s === 'zero' ? {} : { x: 'X' }, result: { f: k },
        setup: s === 'zero' ? [] : [`ld ${s}, ${OB.X}(a0)`], test: [`${mn} ${d}, ${s}`], readout: readF(d),
      });
    }
  }

  // Loads: from the operand block (a, b, c, x: 32 bytes), aligned and misaligned, plain and compressed.
  for (const [mn, k, size] of [['flw', 'S', 4], ['fld', 'D', 8]] as const) {
    const offsets = size === 4 ? [0, 4, 8, 12, 20, 1, 2, 3, 6, 13] : [0, 8, 16, 24, 1, 4, 7, 13];
    // The operand block is filled from the double pool: random bit patterns for flw too.
    for (const off of offsets) {
      const g = new Regs(r);
      const d = g.f();
      const base = r.chance(0.5) ? 'a0' : g.x();
      const setup = base === 'a0' ? [] : [`addi ${base}, a0, ${off + 4}`];
      const o = base === 'a0' ? off : -4;
      out.push({
        name: `${mn}+${off}`, pool: 'D', weight: off % size ? 0.4 : 0.8, uses: { a: 'D', b: 'D', c: 'D', x: 'X' }, result: { f: k },
        setup, test: [`${mn} ${d}, ${o}(${base})`], readout: readF(d),
      });
    }
  }
  for (const off of [0, 8, 16, 24]) {
    const g = new Regs(r);
    const d = g.fc();
    const base = r.pick(['a0', 'a1', 'a2', 'a3', 'a4', 'a5']);
    out.push({
      name: `c.fld+${off}`, pool: 'D', weight: 0.6, uses: { a: 'D', b: 'D', c: 'D', x: 'X' }, result: { f: 'D' },
      setup: base === 'a0' ? [] : [`mv ${base}, a0`], test: [`c.fld ${d}, ${off}(${base})`], readout: readF(d),
    });
  }
  for (const off of [0, 16, 248, 504]) {
    const g = new Regs(r);
    const d = g.f();
    out.push({
      name: `c.fldsp+${off}`, pool: 'D', weight: 0.6, uses: { a: 'D' }, result: { f: 'D' },
      setup: [`ld t0, ${OB.A}(a0)`, `sd t0, ${off}(sp)`], test: [`c.fldsp ${d}, ${off}(sp)`], readout: readF(d),
    });
  }

  // Stores: into the scratch area (pre-filled from b and c), read back as 16 bytes.
  const prefill = [`ld t0, ${OB.B}(a0)`, `sd t0, ${OB.SCRATCH}(a0)`, `ld t0, ${OB.C}(a0)`, `sd t0, ${OB.SCRATCH + 8}(a0)`];
  const readMem = [`ld a0, ${OB.SCRATCH}(a0)`];
  for (const [mn, k, size] of [['fsw', 'S', 4], ['fsd', 'D', 8]] as const) {
    const offsets = size === 4 ? [0, 4, 8, 12, 1, 2, 3, 7, 10] : [0, 8, 1, 3, 4, 7];
    for (const off of offsets) {
      const g = new Regs(r);
      const s = g.f();
      const base = r.chance(0.5) ? 'a0' : g.x();
      const setup = [...prefill, loadF(r, k, s, 'a'), ...(base === 'a0' ? [] : [`addi ${base}, a0, ${OB.SCRATCH + off + 8}`])];
      const o = base === 'a0' ? OB.SCRATCH + off : -8;
      out.push({
        name: `${mn}+${off}`, pool: k, weight: off % size ? 0.4 : 0.8, uses: { a: k, b: 'D', c: 'D' }, result: { f: 'mem', x: 'mem' },
        setup, test: [`${mn} ${s}, ${o}(${base})`], readout: [`ld a1, ${OB.SCRATCH + 8}(a0)`, ...readMem],
      });
    }
  }
  for (const off of [0, 8]) {
    const g = new Regs(r);
    const s = g.fc();
    const base = r.pick(['a1', 'a2', 'a3', 'a4', 'a5']);
    out.push({
      name: `c.fsd+${off}`, pool: 'D', weight: 0.6, uses: { a: 'D', b: 'D', c: 'D' }, result: { f: 'mem', x: 'mem' },
      setup: [...prefill, `fld ${s}, ${OB.A}(a0)`, `addi ${base}, a0, ${OB.SCRATCH}`], test: [`c.fsd ${s}, ${off}(${base})`],
      readout: [`ld a1, ${OB.SCRATCH + 8}(a0)`, ...readMem],
    });
  }
  for (const off of [8, 256, 504]) {
    const g = new Regs(r);
    const s = g.f();
    out.push({
      name: `c.fsdsp+${off}`, pool: 'D', weight: 0.6, uses: { a: 'D', b: 'D' }, result: { f: 'mem' },
      setup: [`ld t0, ${OB.B}(a0)`, `sd t0, ${off}(sp)`, `fld ${s}, ${OB.A}(a0)`], test: [`c.fsdsp ${s}, ${off}(sp)`],
      readout: [`ld a0, ${off}(sp)`, 'li a1, 0'],
    });
  }

  // Loads and stores that fault: unmapped memory, and accesses straddling the end of RAM (128 MiB, as
  // both machines have by default). The destination of a faulting load keeps its value (c).
  const UNMAPPED = '0x50000';
  const RAM_END = 0x88000000;
  const faulting: [string, Pool, string, string, string[]][] = [
    // name, pool, address, instruction (FD destination, FS source, B base), extra read-out
    ['flw.unmapped', 'S', UNMAPPED, 'flw FD, 4(B)', []],
    ['fld.unmapped', 'D', UNMAPPED, 'fld FD, 0(B)', []],
    ['fsw.unmapped', 'S', UNMAPPED, 'fsw FS, 0(B)', []],
    ['fsd.unmapped', 'D', UNMAPPED, 'fsd FS, 8(B)', []],
    ['c.fld.unmapped', 'D', UNMAPPED, 'c.fld FC, 8(B)', []],
    ['flw.ram-end', 'S', hex(BigInt(RAM_END - 2)), 'flw FD, 0(B)', []],
    ['fld.ram-end', 'D', hex(BigInt(RAM_END - 4)), 'fld FD, 0(B)', []],
    ['fsd.ram-end', 'D', hex(BigInt(RAM_END - 4)), 'fsd FS, 0(B)', ['lwu a1, 0(B)']],
    ['fsw.ram-end', 'S', hex(BigInt(RAM_END - 1)), 'fsw FS, 0(B)', ['lbu a1, 0(B)']],
  ];
  if (pmp) {
    faulting.push(
      ['flw.pmp', 'S', 'pmp_page + 8', 'flw FD, 4(B)', []],
      ['fld.pmp', 'D', 'pmp_page + 16', 'fld FD, -8(B)', []],
      ['fsw.pmp', 'S', 'pmp_page + 4', 'fsw FS, 0(B)', []],
      ['fsd.pmp', 'D', 'pmp_page + 8', 'fsd FS, 0(B)', []],
      ['c.fld.pmp', 'D', 'pmp_page', 'c.fld FC, 24(B)', []],
      // Not an access that starts below the locked page and ends in it: QEMU's mtval for that depends
      // on whether its TLB holds the lower page (the access's address if not, the locked page's if so).
    );
  }
  for (const [name, k, addr, tmpl, extra] of faulting) {
    const g = new Regs(r);
    const [fd, fs, fc] = [g.f(), g.f(), g.fc()];
    const base = r.pick(['a1', 'a2', 'a3', 'a4', 'a5']);
    const sub = (t: string) => t.replace('FD', fd).replace('FS', fs).replace('FC', fc).replace(/B\)/g, `${base})`);
    const rd = tmpl.includes('FC') ? fc : fd;
    const prefill = addr.startsWith('0x8') ? RAM_END - Number(addr) : 0;
    out.push({
      name, pool: k, weight: 0.3, uses: { a: k, b: 'D', c: k }, result: { f: k, x: 'mem' },
      setup: [`fld ${fs}, ${OB.A}(a0)`, `fld ${rd}, ${OB.C}(a0)`, `${addr.startsWith('pmp') ? 'la' : 'li'} ${base}, ${addr}`,
        // The bytes below the end of RAM start as b's.
        ...(prefill ? [`ld t0, ${OB.B}(a0)`, `${{ 1: 'sb', 2: 'sh', 4: 'sw' }[prefill]} t0, 0(${base})`] : [])],
      test: [sub(tmpl)], readout: [`fmv.x.d a0, ${rd}`, ...(extra.length ? extra.map(sub) : ['li a1, 0'])],
    });
  }

  // The FP CSRs: reads, writes, sets and clears of fflags, frm and fcsr, with registers and immediates.
  for (const csr of ['fflags', 'frm', 'fcsr']) {
    for (const op of ['csrrw', 'csrrs', 'csrrc']) {
      const g = new Regs(r);
      const s = g.x();
      const d = xdest(g);
      out.push({
        name: `${op}.${csr}`, pool: 'D', weight: 0.5, uses: { x: 'X' }, result: { x: 'csr' },
        setup: [`ld ${s}, ${OB.X}(a0)`], test: [`${op} ${d}, ${csr}, ${s}`], readout: readX(d),
      });
      const imm = r.int(32);
      const g2 = new Regs(r);
      const d2 = xdest(g2);
      out.push({
        name: `${op}i.${csr}.${imm}`, pool: 'D', weight: 0.3, uses: {}, result: { x: 'csr' },
        setup: [], test: [`${op}i ${d2}, ${csr}, ${imm}`], readout: readX(d2),
      });
    }
    const g = new Regs(r);
    const d = g.x();
    out.push({
      name: `csrr.${csr}`, pool: 'D', weight: 0.3, uses: {}, result: { x: 'csr' }, setup: [], test: [`csrr ${d}, ${csr}`], readout: readX(d),
    });
  }

  // Reserved encodings: illegal instructions.
  const reserved: [string, string][] = [
    ['fsgnj.s.f3', '.insn r 0x53, 3, 0x10, FD, FA, FB'],
    ['fminmax.d.f3', '.insn r 0x53, 2, 0x15, FD, FA, FB'],
    ['fcmp.s.f3', '.insn r 0x53, 3, 0x50, XD, FA, FB'],
    ['fcvt.w.s.rs2=4', '.insn r 0x53, 0, 0x60, XD, FA, x4'],
    ['fcvt.d.w.rs2=5', '.insn r 0x53, 0, 0x69, FD, XS, x5'],
    ['fsqrt.d.rs2=1', '.insn r 0x53, 0, 0x2d, FD, FA, x1'],
    ['fcvt.s.s', '.insn r 0x53, 0, 0x20, FD, FA, x0'],
    ['fcvt.d.d', '.insn r 0x53, 0, 0x21, FD, FA, x1'],
    ['fmv.x.w.f3=2', '.insn r 0x53, 2, 0x70, XD, FA, x0'],
    ['fclass.d.rs2=1', '.insn r 0x53, 1, 0x71, XD, FA, x1'],
    ['fmv.w.x.f3=1', '.insn r 0x53, 1, 0x78, FD, XS, x0'],
    ['fadd.q', '.insn r 0x53, 0, 0x03, FD, FA, FB'],
    ['fmadd.q', '.insn r4 0x43, 0, 3, FD, FA, FB, FC'],
    ['flq', '.insn i 0x07, 4, FD, 0(a0)'],
    // Zfh and V are not in QEMU 7.2's default rv64 CPU.
    ['fadd.h', '.insn r 0x53, 0, 0x02, FD, FA, FB'],
    ['fmadd.h', '.insn r4 0x43, 0, 2, FD, FA, FB, FC'],
    ['fcvt.d.h', '.insn r 0x53, 0, 0x21, FD, FA, x2'],
    ['flh', '.insn i 0x07, 1, FD, 2(a0)'],
    ['fsh', '.insn s 0x27, 1, FA, 34(a0)'],
    ['vle8.v', '.insn i 0x07, 0, FD, 0(a0)'],
    ['fsq', '.insn s 0x27, 4, FA, 32(a0)'],
  ];
  for (const [name, tmpl] of reserved) {
    const g = new Regs(r);
    const [fd, fa, fb, fc, xd, xs] = [g.f(), g.f(), g.f(), g.f(), g.x(), g.x()];
    const test = tmpl.replace('FD', fd).replace('FA', fa).replace('FB', fb).replace('FC', fc).replace('XD', xd).replace('XS', xs);
    out.push({
      name: `reserved.${name}`, pool: 'D', weight: 0.12, uses: { a: 'D', b: 'D', c: 'D', x: 'X' }, result: { f: 'D', x: 'int' },
      setup: [`fld ${fa}, ${OB.A}(a0)`, `fld ${fb}, ${OB.B}(a0)`, `fld ${fc}, ${OB.C}(a0)`, `ld ${xs}, ${OB.X}(a0)`, `fld ${fd}, ${OB.C}(a0)`,
        `li ${xd}, -1`],
      test: [test], readout: [`fmv.x.d a0, ${fd}`, `mv a1, ${xd}`],
    });
  }

  // mstatus.FS = Off: every FP instruction and FP CSR access is illegal.
  const fsOff: [string, Pool, string][] = [
    ['fadd.d', 'D', 'fadd.d FD, FA, FB, rne'],
    ['fmadd.s', 'S', 'fmadd.s FD, FA, FB, FA, dyn'],
    ['flw', 'S', 'flw FD, 4(a0)'],
    ['fsd', 'D', `fsd FA, ${OB.SCRATCH}(a0)`],
    ['c.fld', 'D', 'c.fld FC, 8(a0)'],
    ['fmv.x.w', 'S', 'fmv.x.w XD, FA'],
    ['fmv.d.x', 'D', 'fmv.d.x FD, XD'],
    ['fcvt.w.d', 'D', 'fcvt.w.d XD, FA, rtz'],
    ['feq.s', 'S', 'feq.s XD, FA, FB'],
    ['frflags', 'D', 'frflags XD'],
    ['fscsr', 'D', 'fscsr XD, XD'],
    ['csrrwi.frm', 'D', 'csrrwi XD, frm, 2'],
  ];
  for (const [name, k, tmpl] of fsOff) {
    const g = new Regs(r);
    const [fd, fa, fb, xd] = [g.f(), g.f(), g.f(), g.x()];
    const fcr = g.fc();
    const test = tmpl.replace('FD', fd).replace(/FA/g, fa).replace('FB', fb).replace('FC', fcr).replace(/XD/g, xd);
    out.push({
      name: `fs-off.${name}`, pool: k, weight: 0.15, uses: { a: k, b: k, x: 'X' }, result: { f: 'D', x: 'int' },
      setup: [`fld ${fa}, ${OB.A}(a0)`, `fld ${fb}, ${OB.B}(a0)`, `fld ${fd}, ${OB.C}(a0)`, `fld ${fcr}, ${OB.C}(a0)`, `ld ${xd}, ${OB.X}(a0)`],
      test: ['li t0, 0x6000', 'csrc mstatus, t0', test, 'csrs mstatus, t0'],
      readout: [`fmv.x.d a0, ${name === 'c.fld' ? fcr : fd}`, `mv a1, ${xd}`],
    });
  }
  return out;
}

// Encodings for the forms the assembler does not take (reserved rounding modes, or a rounding mode on an exact conversion).
const FUNCT: Record<string, [string, number, number]> = {
  // name: [format, funct7 or funct2, rs2 selector]
  'fadd.s': ['r', 0x00, -1], 'fsub.s': ['r', 0x04, -1], 'fmul.s': ['r', 0x08, -1], 'fdiv.s': ['r', 0x0c, -1], 'fsqrt.s': ['r', 0x2c, 0],
  'fadd.d': ['r', 0x01, -1], 'fsub.d': ['r', 0x05, -1], 'fmul.d': ['r', 0x09, -1], 'fdiv.d': ['r', 0x0d, -1], 'fsqrt.d': ['r', 0x2d, 0],
  'fmadd.s': ['r4', 0x43, 0], 'fmsub.s': ['r4', 0x47, 0], 'fnmsub.s': ['r4', 0x4b, 0], 'fnmadd.s': ['r4', 0x4f, 0],
  'fmadd.d': ['r4', 0x43, 1], 'fmsub.d': ['r4', 0x47, 1], 'fnmsub.d': ['r4', 0x4b, 1], 'fnmadd.d': ['r4', 0x4f, 1],
  'fcvt.w.s': ['r', 0x60, 0], 'fcvt.wu.s': ['r', 0x60, 1], 'fcvt.l.s': ['r', 0x60, 2], 'fcvt.lu.s': ['r', 0x60, 3],
  'fcvt.w.d': ['r', 0x61, 0], 'fcvt.wu.d': ['r', 0x61, 1], 'fcvt.l.d': ['r', 0x61, 2], 'fcvt.lu.d': ['r', 0x61, 3],
  'fcvt.s.w': ['r', 0x68, 0], 'fcvt.s.wu': ['r', 0x68, 1], 'fcvt.s.l': ['r', 0x68, 2], 'fcvt.s.lu': ['r', 0x68, 3],
  'fcvt.d.w': ['r', 0x69, 0], 'fcvt.d.wu': ['r', 0x69, 1], 'fcvt.d.l': ['r', 0x69, 2], 'fcvt.d.lu': ['r', 0x69, 3],
  'fcvt.s.d': ['r', 0x20, 1], 'fcvt.d.s': ['r', 0x21, 0],
};

function encodeRm(mn: string, rd: string, srcs: string[], rm: number): string {
  const [fmt, f, sel] = FUNCT[mn];
  const text = `# ${mn} ${[rd, ...srcs].join(', ')}, ${['rne', 'rtz', 'rdn', 'rup', 'rmm', 'rm=5', 'rm=6', 'dyn'][rm]}`;
  if (fmt === 'r4') return `.insn r4 ${f}, ${rm}, ${sel}, ${rd}, ${srcs.join(', ')}  ${text}`;
  const rs2 = sel >= 0 ? `x${sel}` : srcs[1];
  return `.insn r 0x53, ${rm}, ${f}, ${rd}, ${srcs[0]}, ${rs2}  ${text}`;
}

// ---------------------------------------------------------------------------
// The program.

const HASH_MUL = 0x9e3779b97f4a7c15n;
const XS_MUL = 0x2545f4914f6cdd1dn;

function hex(b: bigint): string {
  return `0x${BigInt.asUintN(64, b).toString(16)}`;
}

function dwords(label: string, xs: bigint[]): string {
  const lines = [`  .balign 8`, `${label}:`];
  for (let i = 0; i < xs.length; i += 4) lines.push(`  .dword ${xs.slice(i, i + 4).map(hex).join(', ')}`);
  return lines.join('\n');
}

/** Assigns the SELECT_SIZE slots of the selection table to stubs in proportion to their weights (at least one each). */
function selectionTable(r: Rng, weights: number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  const counts = weights.map((w) => Math.max(1, Math.floor((w / total) * SELECT_SIZE)));
  let sum = counts.reduce((a, b) => a + b, 0);
  // Hand out the remaining slots by largest weight first (deterministic).
  const order = weights.map((w, i) => [w, i] as const).sort((x, y) => y[0] - x[0] || x[1] - y[1]).map((x) => x[1]);
  for (let k = 0; sum < SELECT_SIZE; k++, sum++) counts[order[k % order.length]]++;
  for (let k = 0; sum > SELECT_SIZE; k++) {
    const i = order[k % order.length];
    if (counts[i] > 1) { counts[i]--; sum--; }
  }
  const table: number[] = [];
  counts.forEach((c, i) => { for (let j = 0; j < c; j++) table.push(i); });
  return r.shuffle(table);
}

export function generate(opts: GenOptions): Program {
  const ops = opts.ops ?? 1 << 22;
  if (!Number.isInteger(ops) || ops <= 0 || ops >= 2 ** 32) throw new Error(`bad op count ${ops}`);
  const r = new Rng(opts.seed);
  const ds = drafts(r, opts.pmp ?? false);
  const stubs: StubInfo[] = ds.map((d, id) => ({
    id, name: d.name, insn: d.test.filter((l) => !/^(li t0, 0x6000|csr[sc] mstatus, t0)$/.test(l)).join('; '),
    pool: d.pool, uses: d.uses, result: d.result, weight: d.weight, slots: 0,
    flw: d.setup.flatMap((l) => {
      const m = /^flw f\d+, (\d+)\(a0\)$/.exec(l);
      return m ? [(['a', 'b', 'c'] as const)[Number(m[1]) / 8]] : [];
    }),
  }));
  const names = new Set<string>();
  for (const s of stubs) {
    if (names.has(s.name)) throw new Error(`duplicate stub name ${s.name}`);
    names.add(s.name);
  }
  const select = selectionTable(r, ds.map((d) => d.weight));
  for (const id of select) stubs[id].slots++;
  const poolD = doublePool(r);
  const poolS = singlePool(r);
  const poolX = intPool(r);
  const triplesS = triples(r, FMT_S);
  const triplesD = triples(r, FMT_D);
  // frm for each operation: 30 of 32 draws valid (0..4), 2 reserved (two of 5, 6, 7, chosen per seed).
  const reservedFrm = r.shuffle([5, 6, 7]).slice(0, 2);
  const frmTable = Array.from({ length: 32 }, (_, i) => (i < 30 ? i % 5 : reservedFrm[i - 30]));
  r.shuffle(frmTable);
  let guestSeed = r.next();
  if (guestSeed === 0n) guestSeed = 1n;
  const traceMask = new Array<number>(stubs.length).fill(0);
  for (const id of opts.traceStubs ?? []) if (id >= 0 && id < stubs.length) traceMask[id] = 1;
  const traceFrom = opts.traceFrom ?? 0;
  const traceTo = opts.traceTo ?? 0;

  const stubCode: string[] = [];
  ds.forEach((d, id) => {
    stubCode.push(`  .balign 4`, `stub_${id}:                       # ${d.name}`);
    for (const l of d.setup) stubCode.push(`  ${l}`);
    stubCode.push('  csrc mstatus, a6');
    for (const l of d.test) stubCode.push(`  ${l}`);
    for (const l of d.readout) stubCode.push(`  ${l}`);
    stubCode.push('  ret');
  });

  const asm = `# Generated by tests/fp/generate.ts (seed ${opts.seed}, ${ops} operations, ${stubs.length} stubs). Do not edit.
  .option arch, +zicsr
  .option norelax
  .equ UART, 0x10000000
  .equ FINISHER, 0x100000
  .equ MSTATUS_FS, 0x6000
  .equ OB_A, ${OB.A}
  .equ OB_B, ${OB.B}
  .equ OB_C, ${OB.C}
  .equ OB_X, ${OB.X}
  .equ OB_ID, ${OB.ID}
  .equ OB_FCSR_IN, ${OB.FCSR_IN}
  .equ OB_FSMASK, ${OB.FSMASK}
  .equ OB_RES_F, ${OB.RES_F}
  .equ OB_RES_X, ${OB.RES_X}
  .equ OB_FCSR_OUT, ${OB.FCSR_OUT}
  .equ OB_FSBITS, ${OB.FSBITS}
  .equ OB_TRAPCNT, ${OB.TRAPCNT}
  .equ OB_TRAPCAUSE, ${OB.TRAPCAUSE}
  .equ OB_TRAPTVAL, ${OB.TRAPTVAL}
  .equ OB_ICOUNT, ${OB.ICOUNT}

# Register use in the loop (stubs may clobber only a0-a7 and t0-t6):
#   s0 xorshift state   s1 hash        s2 op index   s3 op count
#   s4 operand block    s5 stub table  s6 pool_d     s7 pool_s
#   s8 pool_x           s9 selection   s10 hash mul  s11 per-stub hashes
#   gp xorshift* mul    sp stub scratch (512 bytes above sp)

# t0 = next 64 random bits (xorshift64*).
  .macro NEXT rd
  srli t6, s0, 12
  xor s0, s0, t6
  slli t6, s0, 25
  xor s0, s0, t6
  srli t6, s0, 27
  xor s0, s0, t6
  mul \\rd, s0, gp
  .endm

  .macro MIX r
  mul \\r, \\r, s10
  srli t6, \\r, 29
  xor \\r, \\r, t6
  .endm

# One FP operand into the operand block at \\off, from the pool described at a5:
# 0(a5) pool base, 8(a5) sign bit position, 16(a5) NaN box.
  .macro OPERAND off, near
  NEXT t0
  srli t1, t0, 61
  srli t2, t0, 40
  andi t2, t2, ${POOL_SIZE - 1}
  slli t2, t2, 3
  ld t3, 0(a5)
  add t2, t2, t3
  ld t2, 0(t2)
  li t3, 5
  bltu t1, t3, 9f
  beq t1, t3, 5f
  li t3, 6
  beq t1, t3, 6f
  andi t3, t0, 2          # mode 7: pool value, bits +1 or -1 (the neighbour)
  addi t3, t3, -1
  add t2, t2, t3
  j 9f
5:                        # mode 5: random bits (boxed for singles)
  NEXT t2
  ld t3, 16(a5)
  or t2, t2, t3
  j 9f
6:                        # mode 6: the operand before (a: the last op's a; b: this a; c: this b), low bits and sign perhaps flipped
  ld t2, \\near(s4)
  andi t3, t0, 7
  xor t2, t2, t3
  srli t3, t0, 3
  andi t3, t3, 1
  ld t1, 8(a5)
  sll t3, t3, t1
  xor t2, t2, t3
9:
  sd t2, \\off(s4)
  .endm

# Appends byte \\r to the output buffer (clobbers t5, t6).
  .macro PUTC r
  ld t5, out_pos
  sb \\r, 0(t5)
  addi t5, t5, 1
  la t6, out_pos
  sd t5, 0(t6)
  .endm

  .text
  .globl _start
_start:
  la sp, stub_area
  la t0, trap_entry
  csrw mtvec, t0
  li t0, MSTATUS_FS
  csrs mstatus, t0
  csrwi fcsr, 0
${opts.pmp ? `  la t0, pmp_page                # PMP: entry 0 = pmp_page (4 KiB NAPOT), locked, no access; entry 1 = all, RWX
  srli t0, t0, 2
  ori t0, t0, 0x1ff
  csrw pmpaddr0, t0
  li t0, -1
  csrw pmpaddr1, t0
  li t0, 0x1f98
  csrw pmpcfg0, t0
` : ''}${Array.from({ length: 32 }, (_, i) => `  fmv.d.x f${i}, zero`).join('\n')}
  la s4, opbuf
  la s5, stub_table
  la s6, pool_d
  la s7, pool_s
  la s8, pool_x
  la s9, select_table
  la s11, stub_hash
  li s10, ${hex(HASH_MUL)}
  li gp, ${hex(XS_MUL)}
  ld s0, guest_seed
  li s1, 0x6a09e667f3bcc908
  li s2, 0
  ld s3, op_count
  la a0, msg_header
  call puts
  ld a0, seed_word
  li a1, 8
  call puthex
  la a0, msg_ops
  call puts
  mv a0, s3
  li a1, 8
  call puthex
  la a0, msg_stubs
  call puts
  li a0, ${stubs.length}
  li a1, 4
  call puthex
  call putnl

loop:
  NEXT t0                       # control: stub, frm, fflags, FS
  mv a4, t0
  slli t1, t0, ${64 - SELECT_BITS}
  srli t1, t1, ${63 - SELECT_BITS}
  add t1, t1, s9
  lhu t1, 0(t1)
  sd t1, OB_ID(s4)
  slli t2, t1, 4
  add t2, t2, s5
  ld a7, 0(t2)                  # stub address
  ld t4, 8(t2)                  # pool: 0 singles, 1 doubles
  srli t2, a4, 12
  andi t2, t2, 31
  la t3, frm_table
  add t3, t3, t2
  lbu t2, 0(t3)
  slli t2, t2, 5
  srli t3, a4, 17
  andi t3, t3, 3
  bnez t3, 1f
  srli t3, a4, 19               # one in four: start with random accrued flags
  andi t3, t3, 31
  or t2, t2, t3
1:
  sd t2, OB_FCSR_IN(s4)
  fscsr t2
  srli t3, a4, 24               # FS before the instruction: 1/8 Initial, 1/8 Clean, else Dirty
  andi t3, t3, 7
  li a6, 0
  li t1, 1
  bgtu t3, t1, 2f
  li a6, 0x2000
  beqz t3, 2f
  li a6, 0x4000
2:
  sd a6, OB_FSMASK(s4)
  la a5, pool_params
  slli t4, t4, 5
  add a5, a5, t4
  OPERAND OB_A, OB_A
  OPERAND OB_B, OB_A
  OPERAND OB_C, OB_B
  srli t3, a4, 27               # one in eight: a related triple instead
  andi t3, t3, 7
  bnez t3, 1f
  srli t2, a4, 30
  andi t2, t2, 255
  li t3, 24
  mul t2, t2, t3
  ld t3, 24(a5)
  add t2, t2, t3
  ld t3, 0(t2)
  sd t3, OB_A(s4)
  ld t3, 8(t2)
  sd t3, OB_B(s4)
  ld t3, 16(t2)
  sd t3, OB_C(s4)
1:
  NEXT t0                       # the integer operand
  srli t1, t0, 61
  srli t2, t0, 40
  andi t2, t2, ${POOL_SIZE - 1}
  slli t2, t2, 3
  li t3, 6
  bgeu t1, t3, 3f
  add t2, t2, s8
  ld t2, 0(t2)
  j 4f
3:
  bne t1, t3, 5f
  NEXT t2                       # random, shifted right by a random amount
  andi t3, t0, 63
  srl t2, t2, t3
  andi t3, t0, 64
  beqz t3, 4f
  neg t2, t2
  j 4f
5:
  add t2, t2, s6                # a double's bits
  ld t2, 0(t2)
4:
  sd t2, OB_X(s4)
  csrr t0, minstret
  sd t0, OB_ICOUNT(s4)
  li t0, 0                      # a stub whose instruction traps leaves its rd as it was: the same on every run
  li t1, 0
  li t2, 0
  li t3, 0
  li t4, 0
  li t5, 0
  li t6, 0
  li a1, 0
  li a2, 0
  li a3, 0
  li a4, 0
  li a5, 0
  mv a0, s4
  jalr a7
  csrr t0, minstret             # instructions retired by the stub (and the trap handler)
  ld t1, OB_ICOUNT(s4)
  sub t0, t0, t1
  sd t0, OB_ICOUNT(s4)
  sd a0, OB_RES_F(s4)
  sd a1, OB_RES_X(s4)
  csrr t0, mstatus
  srli t1, t0, 13
  andi t1, t1, 3
  srli t0, t0, 63
  slli t0, t0, 2
  or t1, t1, t0
  sd t1, OB_FSBITS(s4)
  li t0, MSTATUS_FS
  csrs mstatus, t0
  frcsr t2
  sd t2, OB_FCSR_OUT(s4)
  ld t3, OB_TRAPCNT(s4)
  ld t4, OB_TRAPCAUSE(s4)
  ld t5, OB_TRAPTVAL(s4)
  slli t1, t1, 8
  or t2, t2, t1
  slli t3, t3, 12
  or t2, t2, t3
  slli t4, t4, 20
  or t2, t2, t4
  ld t4, OB_ICOUNT(s4)
  slli t4, t4, 32
  or t2, t2, t4
  mv t0, a0                     # the operation's digest
  MIX t0
  xor t0, t0, a1
  MIX t0
  xor t0, t0, t2
  MIX t0
  xor t0, t0, t5
  MIX t0
  xor s1, s1, t0
  MIX s1
  ld t1, OB_ID(s4)
  slli t1, t1, 3
  add t1, t1, s11
  ld t2, 0(t1)
  xor t2, t2, t0
  MIX t2
  sd t2, 0(t1)
  la t0, trace_range            # trace this operation?
  ld t1, 0(t0)
  ld t2, 8(t0)
  bltu s2, t1, 6f
  bltu s2, t2, 7f
6:
  la t0, trace_mask
  ld t1, OB_ID(s4)
  add t0, t0, t1
  lbu t0, 0(t0)
  beqz t0, 8f
7:
  call trace_op
8:
  sd zero, OB_TRAPCNT(s4)
  sd zero, OB_TRAPCAUSE(s4)
  sd zero, OB_TRAPTVAL(s4)
  addi s2, s2, 1
  slli t0, s2, ${64 - CHECKPOINT_SHIFT}
  bnez t0, 9f
  li a0, 'C'
  call putc
  li a0, ' '
  call putc
  mv a0, s2
  li a1, 8
  call puthex
  li a0, ' '
  call putc
  mv a0, s1
  li a1, 16
  call puthex
  call putnl
9:
  bltu s2, s3, loop

  li s2, 0                      # per-stub hashes
10:
  li a0, 'S'
  call putc
  li a0, ' '
  call putc
  mv a0, s2
  li a1, 4
  call puthex
  li a0, ' '
  call putc
  slli t0, s2, 3
  add t0, t0, s11
  ld a0, 0(t0)
  li a1, 16
  call puthex
  call putnl
  addi s2, s2, 1
  li t0, ${stubs.length}
  bltu s2, t0, 10b
  la a0, msg_ops_final
  call puts
  mv a0, s3
  li a1, 8
  call puthex
  la a0, msg_hash
  call puts
  mv a0, s1
  li a1, 16
  call puthex
  la a0, msg_end
  call puts
  call flush
  li t0, FINISHER
  li t1, 0x5555
  sw t1, 0(t0)
11:
  j 11b

# Output is buffered in RAM and written with semihosting SYS_WRITE0 (one host call per few KiB: a
# character at a time through the UART is slow on QEMU).
# putc(a0); puts(a0 = string); puthex(a0 = value, a1 = digits): clobber t5, t6, a0-a3.
# putnl: a newline, then a flush if the buffer is more than half full; flush: clobber t5, t6, a0, a1.
putc:
  PUTC a0
  ret
puts:
  mv a2, a0
1:
  lbu a3, 0(a2)
  beqz a3, 2f
  PUTC a3
  addi a2, a2, 1
  j 1b
2:
  ret
puthex:
  slli a2, a1, 2
1:
  addi a2, a2, -4
  srl a3, a0, a2
  andi a3, a3, 15
  addi a3, a3, '0'
  li t6, '9'
  ble a3, t6, 2f
  addi a3, a3, 'a' - '9' - 1
2:
  PUTC a3
  bnez a2, 1b
  ret
putnl:
  li a0, 10
  PUTC a0
  la t6, out_buf + ${OUT_BUF / 2}
  bltu t5, t6, 1f
  j flush
1:
  ret
flush:
  ld t5, out_pos
  sb zero, 0(t5)
  la a1, out_buf
  la t6, out_pos
  sd a1, 0(t6)
  li a0, 4                      # SYS_WRITE0
  .option push
  .option norvc
  .balign 16
  slli zero, zero, 0x1f
  ebreak
  srai zero, zero, 7
  .option pop
  ret

# One trace line for the operation just done (state in the operand block).
  .macro FIELD off, digits, sep
  li a0, \\sep
  call putc
  ld a0, \\off(s4)
  li a1, \\digits
  call puthex
  .endm
trace_op:
  addi sp, sp, -16
  sd ra, 8(sp)
  li a0, 'T'
  call putc
  li a0, ' '
  call putc
  mv a0, s2
  li a1, 8
  call puthex
  FIELD OB_ID, 4, ' '
  li a0, ' '
  call putc
  ld t0, OB_ID(s4)
  slli t0, t0, 3
  la a0, stub_names
  add a0, a0, t0
  ld a0, 0(a0)
  call puts
  FIELD OB_A, 16, ' '
  FIELD OB_B, 16, ' '
  FIELD OB_C, 16, ' '
  FIELD OB_X, 16, ' '
  FIELD OB_FCSR_IN, 2, ' '
  FIELD OB_FSMASK, 4, ' '
  la a0, msg_arrow
  call puts
  FIELD OB_RES_F, 16, ' '
  FIELD OB_RES_X, 16, ' '
  FIELD OB_FCSR_OUT, 2, ' '
  FIELD OB_FSBITS, 1, ' '
  FIELD OB_TRAPCNT, 2, ' '
  FIELD OB_TRAPCAUSE, 2, ' '
  FIELD OB_TRAPTVAL, 8, ' '
  FIELD OB_ICOUNT, 2, ' '
  call putnl
  ld ra, 8(sp)
  addi sp, sp, 16
  ret

# Traps: inside a stub, record (count, last cause, last tval) and resume after the instruction; elsewhere, fatal.
  .balign 4
trap_entry:
  csrw mscratch, t0
  la t0, trap_save
  sd t1, 0(t0)
  sd t2, 8(t0)
  csrr t1, mepc
  la t2, stubs_begin
  bltu t1, t2, trap_fatal
  la t2, stubs_end
  bgeu t1, t2, trap_fatal
  lhu t2, 0(t1)
  andi t2, t2, 3
  addi t1, t1, 2
  addi t2, t2, -3
  bnez t2, 1f
  addi t1, t1, 2
1:
  csrw mepc, t1
  la t0, opbuf
  ld t1, OB_TRAPCNT(t0)
  addi t1, t1, 1
  sd t1, OB_TRAPCNT(t0)
  li t2, 16
  bgeu t1, t2, trap_fatal
  csrr t1, mcause
  sd t1, OB_TRAPCAUSE(t0)
  csrr t1, mtval
  sd t1, OB_TRAPTVAL(t0)
  la t0, trap_save
  ld t1, 0(t0)
  ld t2, 8(t0)
  csrr t0, mscratch
  mret
trap_fatal:
  la sp, stub_area
  la a0, msg_fatal
  call puts
  csrr a0, mcause
  li a1, 16
  call puthex
  li a0, ' '
  call putc
  csrr a0, mepc
  li a1, 16
  call puthex
  li a0, ' '
  call putc
  csrr a0, mtval
  li a1, 16
  call puthex
  li a0, ' '
  call putc
  mv a0, s2
  li a1, 8
  call puthex
  call putnl
  call flush
  li t0, FINISHER
  li t1, 0x33333
  sw t1, 0(t0)
1:
  j 1b

  .balign 4
stubs_begin:
${stubCode.join('\n')}
stubs_end:

  .section .rodata
msg_header: .asciz "FPDIFF seed "
msg_ops: .asciz " ops "
msg_stubs: .asciz " stubs "
msg_arrow: .asciz " ->"
msg_ops_final: .asciz "OPS "
msg_hash: .asciz "\\nHASH "
msg_end: .asciz "\\nEND\\n"
msg_fatal: .asciz "FATAL trap outside the stubs: mcause mepc mtval op "
${stubs.map((s) => `name_${s.id}: .asciz "${s.name}"`).join('\n')}
  .balign 8
stub_names:
${stubs.map((s) => `  .dword name_${s.id}`).join('\n')}
stub_table:
${stubs.map((s) => `  .dword stub_${s.id}, ${s.pool === 'D' ? 1 : 0}`).join('\n')}
pool_params:
  .dword pool_s, 31, ${hex(BOX)}, triples_s
  .dword pool_d, 63, 0, triples_d
seed_word: .dword ${opts.seed >>> 0}
guest_seed: .dword ${hex(guestSeed)}
op_count: .dword ${ops}
out_pos: .dword out_buf
trace_range: .dword ${traceFrom}, ${traceTo}
frm_table: .byte ${frmTable.join(', ')}
  .balign 2
select_table:
${Array.from({ length: SELECT_SIZE / 32 }, (_, i) => `  .half ${select.slice(i * 32, i * 32 + 32).join(', ')}`).join('\n')}
trace_mask:
${Array.from({ length: Math.ceil(traceMask.length / 32) }, (_, i) => `  .byte ${traceMask.slice(i * 32, i * 32 + 32).join(', ')}`).join('\n')}
${dwords('pool_d', poolD)}
${dwords('pool_s', poolS)}
${dwords('pool_x', poolX)}
${dwords('triples_s', triplesS)}
${dwords('triples_d', triplesD)}

  .section .bss
  .balign 16
opbuf: .space ${OB.SIZE}
trap_save: .space 16
stub_hash: .space ${stubs.length * 8}
  .balign 16
out_buf: .space ${OUT_BUF + 16}
stack: .space 4096
stub_area: .space 1024
${opts.pmp ? '  .balign 4096\npmp_page: .space 4096\n' : ''}`;
  return { options: opts, asm, stubs, ops, seed: opts.seed };
}
