// The software IEEE 754 arithmetic of workers/core/softfloat.ts, compiled on its
// own, against two oracles nobody here wrote: the host's own binary64 arithmetic
// (round-to-nearest-even results of +, -, *, /, sqrt; binary32 through
// Math.fround of the binary64 result, exact since 53 >= 2 * 24 + 2), and an exact
// reference written below in BigInt rationals that rounds once in any mode and
// derives NX/UF/OF by comparison, for every operation, rounding mode and flag.
// Plus the spec's own cases: the FCVT table, fmin/fmax, inf*0+qNaN, tininess.
import { beforeAll, describe, expect, it } from 'vitest';
import asc from 'assemblyscript/asc';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

type Arg = number | bigint;
type Export = (...args: Arg[]) => Arg;
let ex: Record<string, Export>;
let flagsCell: WebAssembly.Global;
let moduleImports: WebAssembly.ModuleImportDescriptor[];

beforeAll(async () => {
  const outputs: Record<string, Uint8Array | string> = {};
  const stderr = asc.createMemoryStream();
  const { error } = await asc.main(
    ['tests/softfloat/entry.ts', '--baseDir', ROOT, '--outFile', 'softfloat.wasm', '--runtime', 'stub', '--optimizeLevel', '3', '--noAssert'],
    {
      // Only the sources: the project's asconfig.json is for the whole core.
      readFile: (name, baseDir) => {
        if (path.basename(name) === 'asconfig.json') return null;
        try { return readFileSync(path.resolve(baseDir, name), 'utf8'); } catch { return null; }
      },
      writeFile: (name, contents) => { outputs[path.basename(name)] = contents; },
      listFiles: () => [],
      stdout: asc.createMemoryStream(),
      stderr,
    },
  );
  if (error) throw new Error(`${error.message}\n${stderr.toString()}`);
  const binary = outputs['softfloat.wasm'];
  if (!(binary instanceof Uint8Array)) throw new Error('no wasm output');
  const module = await WebAssembly.compile(new Uint8Array(binary));
  moduleImports = WebAssembly.Module.imports(module);
  const instance = await WebAssembly.instantiate(module, { env: { abort: () => { throw new Error('abort'); } } });
  ex = instance.exports as unknown as Record<string, Export>;
  flagsCell = instance.exports.fpFlags as WebAssembly.Global;
});

// ---------------------------------------------------------------------------
// The exact reference

const RNE = 0, RTZ = 1, RDN = 2, RUP = 3, RMM = 4;
const NX = 1, UF = 2, OF = 4, DZ = 8, NV = 16;

interface Fmt { p: number; w: number; bias: number; bits: number }
const D: Fmt = { p: 53, w: 11, bias: 1023, bits: 64 };
const S: Fmt = { p: 24, w: 8, bias: 127, bits: 32 };

interface Res { v: bigint; flags: number }
type Cls = 'zero' | 'sub' | 'norm' | 'inf' | 'qnan' | 'snan';
/** A decoded value: (-1)^sign * m * 2^e. */
interface Val { cls: Cls; sign: number; m: bigint; e: number }

const canon = (f: Fmt): bigint => (f.bits === 64 ? 0x7ff8000000000000n : 0x7fc00000n);
const signBit = (f: Fmt, sign: number): bigint => BigInt(sign) << BigInt(f.bits - 1);
const infBits = (f: Fmt, sign: number): bigint => signBit(f, sign) | (((1n << BigInt(f.w)) - 1n) << BigInt(f.p - 1));
const maxBits = (f: Fmt, sign: number): bigint => infBits(f, sign) - 1n;
const isNaN_ = (v: Val): boolean => v.cls === 'qnan' || v.cls === 'snan';
const invalid = (f: Fmt): Res => ({ v: canon(f), flags: NV });

function bitlen(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

function decode(f: Fmt, x: bigint): Val {
  const fracBits = BigInt(f.p - 1);
  const sign = Number((x >> BigInt(f.bits - 1)) & 1n);
  const ex_ = Number((x >> fracBits) & ((1n << BigInt(f.w)) - 1n));
  const frac = x & ((1n << fracBits) - 1n);
  if (ex_ === (1 << f.w) - 1) {
    if (frac === 0n) return { cls: 'inf', sign, m: 0n, e: 0 };
    return { cls: (frac >> (fracBits - 1n)) & 1n ? 'qnan' : 'snan', sign, m: 0n, e: 0 };
  }
  if (ex_ === 0) return { cls: frac === 0n ? 'zero' : 'sub', sign, m: frac, e: 1 - f.bias - (f.p - 1) };
  return { cls: 'norm', sign, m: frac | (1n << fracBits), e: ex_ - f.bias - (f.p - 1) };
}

/** Rounds (M + sticky) * 2^E (sticky: the true value is a little above, below the next unit) to a multiple of 2^q. */
function quantize(M: bigint, E: number, sticky: boolean, q: number, sign: number, rm: number): { R: bigint; inexact: boolean } {
  const s = q - E;
  if (s <= 0) {
    if (sticky) throw new Error('reference: not enough bits');
    return { R: M << BigInt(-s), inexact: false };
  }
  const sh = BigInt(s);
  let R = M >> sh;
  const rem = M & ((1n << sh) - 1n);
  const half = 1n << (sh - 1n);
  const inexact = rem !== 0n || sticky;
  const above = rem > half || (rem === half && sticky);
  const tie = rem === half && !sticky;
  let up = false;
  if (rm === RNE) up = above || (tie && (R & 1n) === 1n);
  else if (rm === RMM) up = above || tie;
  else if (rm === RDN) up = inexact && sign === 1;
  else if (rm === RUP) up = inexact && sign === 0;
  if (up) R += 1n;
  return { R, inexact };
}

/** (-1)^sign * (M + sticky) * 2^E, M > 0, rounded once to the format, with its flags. */
function round(f: Fmt, sign: number, M: bigint, E: number, sticky: boolean, rm: number): Res {
  const lead = bitlen(M) - 1 + E;
  const emin = 1 - f.bias;
  const qMin = emin - (f.p - 1);
  let q = Math.max(lead - (f.p - 1), qMin);
  const b = quantize(M, E, sticky, q, sign, rm);
  let R = b.R;
  let flags = b.inexact ? NX : 0;
  if (bitlen(R) > f.p) { R >>= 1n; q += 1; }
  if (R !== 0n && bitlen(R) - 1 + q > f.bias) {
    const toInf = rm === RNE || rm === RMM || (rm === RUP && sign === 0) || (rm === RDN && sign === 1);
    return { v: toInf ? infBits(f, sign) : maxBits(f, sign), flags: OF | NX };
  }
  // Tininess after rounding: the result rounded to p bits with an unbounded exponent is below 2^emin.
  const qu = lead - (f.p - 1);
  const u = quantize(M, E, sticky, qu, sign, rm);
  if (b.inexact && bitlen(u.R) - 1 + qu < emin) flags |= UF;
  let v = signBit(f, sign);
  if (R !== 0n) {
    if (bitlen(R) === f.p) v |= (BigInt(q + f.p - 1 + f.bias) << BigInt(f.p - 1)) | (R - (1n << BigInt(f.p - 1)));
    else if (q === qMin) v |= R;
    else throw new Error('reference: bad subnormal');
  }
  return { v, flags };
}

const signed = (v: Val): bigint => (v.sign ? -v.m : v.m);
const zero = (f: Fmt, sign: number): Res => ({ v: signBit(f, sign), flags: 0 });

/** Exact sum x + y (both finite) rounded; zeroSign decides an exact zero. */
function sumRound(f: Fmt, xm: bigint, xe: number, ym: bigint, ye: number, bothZeroSign: number | null, rm: number): Res {
  const E = Math.min(xe, ye);
  const s = (xm << BigInt(xe - E)) + (ym << BigInt(ye - E));
  if (s === 0n) return zero(f, bothZeroSign ?? (rm === RDN ? 1 : 0));
  return round(f, s < 0n ? 1 : 0, s < 0n ? -s : s, E, false, rm);
}

function refAdd(f: Fmt, a: bigint, b: bigint, rm: number): Res {
  const x = decode(f, a), y = decode(f, b);
  if (isNaN_(x) || isNaN_(y)) return { v: canon(f), flags: x.cls === 'snan' || y.cls === 'snan' ? NV : 0 };
  if (x.cls === 'inf' && y.cls === 'inf') return x.sign !== y.sign ? invalid(f) : { v: infBits(f, x.sign), flags: 0 };
  if (x.cls === 'inf') return { v: infBits(f, x.sign), flags: 0 };
  if (y.cls === 'inf') return { v: infBits(f, y.sign), flags: 0 };
  const bothZero = x.cls === 'zero' && y.cls === 'zero' && x.sign === y.sign ? x.sign : null;
  return sumRound(f, signed(x), x.e, signed(y), y.e, bothZero, rm);
}

function refMul(f: Fmt, a: bigint, b: bigint, rm: number): Res {
  const x = decode(f, a), y = decode(f, b);
  const sign = x.sign ^ y.sign;
  if (isNaN_(x) || isNaN_(y)) return { v: canon(f), flags: x.cls === 'snan' || y.cls === 'snan' ? NV : 0 };
  if ((x.cls === 'inf' && y.cls === 'zero') || (x.cls === 'zero' && y.cls === 'inf')) return invalid(f);
  if (x.cls === 'inf' || y.cls === 'inf') return { v: infBits(f, sign), flags: 0 };
  if (x.cls === 'zero' || y.cls === 'zero') return zero(f, sign);
  return round(f, sign, x.m * y.m, x.e + y.e, false, rm);
}

function refDiv(f: Fmt, a: bigint, b: bigint, rm: number): Res {
  const x = decode(f, a), y = decode(f, b);
  const sign = x.sign ^ y.sign;
  if (isNaN_(x) || isNaN_(y)) return { v: canon(f), flags: x.cls === 'snan' || y.cls === 'snan' ? NV : 0 };
  if (x.cls === 'inf') return y.cls === 'inf' ? invalid(f) : { v: infBits(f, sign), flags: 0 };
  if (y.cls === 'inf') return zero(f, sign);
  if (y.cls === 'zero') return x.cls === 'zero' ? invalid(f) : { v: infBits(f, sign), flags: DZ };
  if (x.cls === 'zero') return zero(f, sign);
  const K = f.p + 3 + bitlen(y.m);
  const n = x.m << BigInt(K);
  return round(f, sign, n / y.m, x.e - y.e - K, n % y.m !== 0n, rm);
}

function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt((bitlen(n) + 1) >> 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

function refSqrt(f: Fmt, a: bigint, rm: number): Res {
  const x = decode(f, a);
  if (isNaN_(x)) return { v: canon(f), flags: x.cls === 'snan' ? NV : 0 };
  if (x.cls === 'zero') return zero(f, x.sign);
  if (x.sign) return invalid(f);
  if (x.cls === 'inf') return { v: infBits(f, 0), flags: 0 };
  let m = x.m, e = x.e;
  if (e & 1) { m <<= 1n; e -= 1; }
  const K = f.p + 3;
  const n = m << BigInt(2 * K);
  const r = isqrt(n);
  return round(f, 0, r, e / 2 - K, r * r !== n, rm);
}

function refFma(f: Fmt, a: bigint, b: bigint, c: bigint, negP: number, negC: number, rm: number): Res {
  const x = decode(f, a), y = decode(f, b), z = decode(f, c);
  const sp = x.sign ^ y.sign ^ negP, sc = z.sign ^ negC;
  const infZero = (x.cls === 'inf' && y.cls === 'zero') || (x.cls === 'zero' && y.cls === 'inf');
  if (isNaN_(x) || isNaN_(y) || isNaN_(z)) {
    const snan = x.cls === 'snan' || y.cls === 'snan' || z.cls === 'snan';
    return { v: canon(f), flags: snan || infZero ? NV : 0 };
  }
  if (infZero) return invalid(f);
  const pInf = x.cls === 'inf' || y.cls === 'inf';
  if (pInf && z.cls === 'inf' && sp !== sc) return invalid(f);
  if (pInf) return { v: infBits(f, sp), flags: 0 };
  if (z.cls === 'inf') return { v: infBits(f, sc), flags: 0 };
  const pm = x.m * y.m;
  const bothZero = pm === 0n && z.m === 0n && sp === sc ? sp : null;
  return sumRound(f, sp ? -pm : pm, x.e + y.e, sc ? -z.m : z.m, z.e, bothZero, rm);
}

interface IntKind { signed: boolean; bits: 32 | 64 }
const I32: IntKind = { signed: true, bits: 32 }, U32: IntKind = { signed: false, bits: 32 };
const I64: IntKind = { signed: true, bits: 64 }, U64: IntKind = { signed: false, bits: 64 };

/** The register value of a kind's integer: 32-bit results sign-extended, also the unsigned ones. */
function register(k: IntKind, v: bigint): bigint {
  return k.bits === 32 ? BigInt.asUintN(64, BigInt.asIntN(32, v)) : BigInt.asUintN(64, v);
}

function refToInt(f: Fmt, k: IntKind, a: bigint, rm: number): Res {
  const x = decode(f, a);
  const max = k.signed ? (1n << BigInt(k.bits - 1)) - 1n : (1n << BigInt(k.bits)) - 1n;
  const min = k.signed ? -(1n << BigInt(k.bits - 1)) : 0n;
  if (isNaN_(x) || (x.cls === 'inf' && !x.sign)) return { v: register(k, max), flags: NV };
  if (x.cls === 'inf') return { v: register(k, min), flags: NV };
  if (x.cls === 'zero') return { v: 0n, flags: 0 };
  const { R, inexact } = x.e >= 0 ? { R: x.m << BigInt(x.e), inexact: false } : quantize(x.m, x.e, false, 0, x.sign, rm);
  const v = x.sign ? -R : R;
  if (v > max) return { v: register(k, max), flags: NV };
  if (v < min) return { v: register(k, min), flags: NV };
  return { v: register(k, v), flags: inexact ? NX : 0 };
}

function refFromInt(f: Fmt, k: IntKind, reg: bigint, rm: number): Res {
  const v = k.signed ? BigInt.asIntN(k.bits, reg) : BigInt.asUintN(k.bits, reg);
  if (v === 0n) return zero(f, 0);
  return round(f, v < 0n ? 1 : 0, v < 0n ? -v : v, 0, false, rm);
}

function refConvert(from: Fmt, to: Fmt, a: bigint, rm: number): Res {
  const x = decode(from, a);
  if (isNaN_(x)) return { v: canon(to), flags: x.cls === 'snan' ? NV : 0 };
  if (x.cls === 'inf') return { v: infBits(to, x.sign), flags: 0 };
  if (x.cls === 'zero') return zero(to, x.sign);
  return round(to, x.sign, x.m, x.e, false, rm);
}

/** -1, 0 or 1 comparing two non-NaN values numerically (-0 == +0). */
function compare(x: Val, y: Val): number {
  const rank = (v: Val): number => (v.cls === 'inf' ? (v.sign ? -1 : 1) : 0);
  if (rank(x) !== rank(y)) return rank(x) < rank(y) ? -1 : 1;
  if (x.cls === 'inf') return 0;
  const E = Math.min(x.e, y.e);
  const A = signed(x) << BigInt(x.e - E), B = signed(y) << BigInt(y.e - E);
  return A < B ? -1 : A > B ? 1 : 0;
}

function refCompare(f: Fmt, op: 'eq' | 'lt' | 'le', a: bigint, b: bigint): Res {
  const x = decode(f, a), y = decode(f, b);
  if (isNaN_(x) || isNaN_(y)) {
    const quietOnly = op === 'eq' && x.cls !== 'snan' && y.cls !== 'snan';
    return { v: 0n, flags: quietOnly ? 0 : NV };
  }
  const c = compare(x, y);
  const r = op === 'eq' ? c === 0 : op === 'lt' ? c < 0 : c <= 0;
  return { v: r ? 1n : 0n, flags: 0 };
}

function refMinMax(f: Fmt, max: boolean, a: bigint, b: bigint): Res {
  const x = decode(f, a), y = decode(f, b);
  const flags = x.cls === 'snan' || y.cls === 'snan' ? NV : 0;
  if (isNaN_(x) && isNaN_(y)) return { v: canon(f), flags };
  if (isNaN_(x)) return { v: b, flags };
  if (isNaN_(y)) return { v: a, flags };
  let c = compare(x, y);
  if (c === 0 && x.cls === 'zero' && y.cls === 'zero') c = y.sign - x.sign; // -0 < +0
  const aFirst = max ? c >= 0 : c <= 0;
  return { v: aFirst ? a : b, flags: 0 };
}

function refClassify(f: Fmt, a: bigint): Res {
  const x = decode(f, a);
  const bit: Record<Cls, [number, number]> = {
    inf: [7, 0], norm: [6, 1], sub: [5, 2], zero: [4, 3], snan: [8, 8], qnan: [9, 9],
  };
  return { v: 1n << BigInt(bit[x.cls][x.sign]), flags: 0 };
}

// ---------------------------------------------------------------------------
// Inputs

class Rng {
  private s: number;
  constructor(seed: number) { this.s = seed >>> 0; }
  u32(): number { // mulberry32
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  below(n: number): number { return Math.floor((this.u32() / 4294967296) * n); }
  chance(p: number): boolean { return this.u32() < p * 4294967296; }
  bits(n: number): bigint {
    let r = 0n;
    for (let i = 0; i < n; i += 32) r = (r << 32n) | BigInt(this.u32());
    return r & ((1n << BigInt(n)) - 1n);
  }
  pick<T>(xs: readonly T[]): T { return xs[this.below(xs.length)]; }
}

/** A fraction of n bits: uniform, sparse, runs of ones, near-tie patterns at a random position. */
function randomFrac(rng: Rng, n: number): bigint {
  const all = (1n << BigInt(n)) - 1n;
  switch (rng.below(7)) {
    case 0: case 1: return rng.bits(n);
    case 2: {
      let r = 0n;
      for (let k = 1 + rng.below(3); k > 0; k--) r |= 1n << BigInt(rng.below(n));
      return r;
    }
    case 3: return all ^ ((1n << BigInt(rng.below(n + 1))) - 1n);
    case 4: return all >> BigInt(rng.below(n + 1));
    case 5: {
      const k = 1 + rng.below(n);
      const high = (rng.bits(n) >> BigInt(k)) << BigInt(k);
      const pattern = rng.chance(0.5) ? 1n << BigInt(k - 1) : (1n << BigInt(k - 1)) - 1n;
      return high | pattern | (rng.chance(0.3) ? 1n : 0n);
    }
    default: return rng.pick([0n, 1n, all, 1n << BigInt(n - 1)]);
  }
}

function specials(f: Fmt): bigint[] {
  const fracBits = BigInt(f.p - 1);
  const inf = infBits(f, 0), sgn = signBit(f, 1);
  const one = BigInt(f.bias) << fracBits;
  const minNormal = 1n << fracBits;
  const quiet = 1n << (fracBits - 1n);
  const list = [
    0n, 1n, minNormal - 1n, minNormal, minNormal + 1n, maxBits(f, 0), maxBits(f, 0) - 1n, inf,
    one, one + 1n, one - 1n, one + minNormal, one - minNormal, 2n, minNormal - 2n, 3n,
    inf | quiet, inf | quiet | 0x1234n, inf | 1n, inf | (quiet - 1n), inf | 0x55n,
  ];
  return [...list, ...list.map((x) => x | sgn)];
}

function floatWithExp(rng: Rng, f: Fmt, biased: number): bigint {
  const maxE = (1 << f.w) - 1;
  const e = Math.min(Math.max(biased, 0), maxE - 1);
  const sign = rng.below(2);
  return signBit(f, sign) | (BigInt(e) << BigInt(f.p - 1)) | randomFrac(rng, f.p - 1);
}

/** A random float: specials, any exponent, edges of the range, around 1, or around a hinted exponent. */
function randomFloat(rng: Rng, f: Fmt, hint?: number): bigint {
  const maxE = (1 << f.w) - 1;
  if (rng.chance(0.05)) return rng.pick(specials(f));
  const r = rng.below(10);
  let e: number;
  if (hint !== undefined && r < 5) e = hint + rng.below(2 * f.p + 9) - (f.p + 4);
  else if (r < 7) e = rng.below(maxE);
  else if (r < 8) e = rng.chance(0.5) ? rng.below(4) : maxE - 1 - rng.below(4);
  else e = f.bias - 6 + rng.below(13);
  return floatWithExp(rng, f, e);
}

const expOf = (f: Fmt, x: bigint): number => Number((x >> BigInt(f.p - 1)) & ((1n << BigInt(f.w)) - 1n));

/** A target exponent for a product or quotient: near underflow, near overflow, or anywhere. */
function targetExp(rng: Rng, f: Fmt): number {
  const maxE = (1 << f.w) - 1;
  const r = rng.below(3);
  if (r === 0) return -f.p - 2 + rng.below(f.p + 6);
  if (r === 1) return maxE - 3 + rng.below(5);
  return rng.below(maxE);
}

function genAdd(f: Fmt) {
  return (rng: Rng): bigint[] => {
    const a = randomFloat(rng, f);
    const r = rng.below(10);
    if (r < 2) {
      // b close to -a (or a): cancellation
      const flip = rng.chance(0.8) ? signBit(f, 1) : 0n;
      const delta = rng.bits(1 + rng.below(f.p + 2));
      return [a, (a ^ flip) + (rng.chance(0.5) ? delta : -delta) & ((1n << BigInt(f.bits)) - 1n)];
    }
    if (r < 7) return [a, randomFloat(rng, f, expOf(f, a))];
    return [a, randomFloat(rng, f)];
  };
}

/** A value next to a boundary of the range: the minimum normal, the largest finite, or zero (signed). */
function boundary(rng: Rng, f: Fmt): bigint {
  const minNormal = 1n << BigInt(f.p - 1);
  const base = rng.pick([minNormal, minNormal, maxBits(f, 0), minNormal >> BigInt(rng.below(f.p))]);
  const near = base + BigInt(rng.below(5)) - 2n;
  return signBit(f, rng.below(2)) | (near < 0n ? 0n : near);
}

/** b with a * b (or a / b) within an ulp or so of a boundary of the range: tininess and overflow decided by rounding. */
function towardBoundary(rng: Rng, f: Fmt, a: bigint, div: boolean): bigint {
  const r = boundary(rng, f);
  const b = refDiv(f, div ? a : r, div ? r : a, rng.below(5)).v;
  return decode(f, b).cls === 'norm' || decode(f, b).cls === 'sub' ? b : randomFloat(rng, f);
}

function genMul(f: Fmt, div: boolean) {
  return (rng: Rng): bigint[] => {
    const a = randomFloat(rng, f);
    if (rng.chance(0.25)) {
      const x = floatWithExp(rng, f, f.bias - 20 + rng.below(41));
      return [x, towardBoundary(rng, f, x, div)];
    }
    if (rng.chance(0.4)) return [a, randomFloat(rng, f)];
    const t = targetExp(rng, f), ea = expOf(f, a);
    return [a, floatWithExp(rng, f, div ? ea + f.bias - t : t - ea + f.bias)];
  };
}

function genFma(f: Fmt) {
  return (rng: Rng): bigint[] => {
    const [a, b] = genMul(f, false)(rng);
    const negs = [BigInt(rng.below(2)), BigInt(rng.below(2))];
    const r = rng.below(10);
    const ep = expOf(f, a) + expOf(f, b) - f.bias;
    let c: bigint;
    if (r < 1) {
      // a tiny product next to a boundary addend: the sum rounds across the minimum normal
      c = boundary(rng, f);
      const y = floatWithExp(rng, f, f.bias - f.p - 10 + rng.below(21));
      const x = floatWithExp(rng, f, expOf(f, c) - f.p - 3 + rng.below(7) - expOf(f, y) + f.bias);
      return [x, y, c, ...negs];
    }
    if (r < 2) {
      // c close to the product: massive cancellation
      const p = refMul(f, a, b, rng.below(5)).v;
      const delta = rng.chance(0.5) ? 0n : rng.bits(1 + rng.below(8));
      c = ((p ^ (rng.chance(0.8) ? signBit(f, 1) : 0n)) + delta) & ((1n << BigInt(f.bits)) - 1n);
    } else if (r < 7) c = randomFloat(rng, f, ep);
    else c = randomFloat(rng, f);
    return [a, b, c, ...negs];
  };
}

function genOne(f: Fmt) {
  return (rng: Rng): bigint[] => [randomFloat(rng, f)];
}

function genToInt(f: Fmt) {
  return (rng: Rng): bigint[] => {
    if (rng.chance(0.7)) return [floatWithExp(rng, f, f.bias - 3 + rng.below(70))];
    return [randomFloat(rng, f)];
  };
}

function genFromInt(rng: Rng): bigint[] {
  const len = rng.below(65);
  let v = len === 0 ? 0n : (1n << BigInt(len - 1)) | randomFrac(rng, Math.max(len - 1, 1)) & ((1n << BigInt(Math.max(len - 1, 0))) - 1n);
  const r = rng.below(10);
  if (r < 3) v = BigInt.asUintN(64, -v);
  else if (r < 5) {
    // a 32-bit value with garbage, a sign extension or zeros above
    const low = BigInt.asUintN(32, v >> BigInt(Math.max(len - 32, 0)));
    const low32 = rng.chance(0.4) ? BigInt.asUintN(32, -low) : low;
    const upper = rng.pick([0n, 0xffffffffn, rng.bits(32)]);
    v = (upper << 32n) | low32;
  } else if (r < 6) {
    v = rng.pick([0n, 1n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0xffffffff80000000n, 0x8000000000000000n,
      0x7fffffffffffffffn, 0xffffffffffffffffn, (1n << 53n) + 1n, (1n << 24n) + 1n, 0x100000001n]);
  }
  return [v];
}

function genF64ToF32(rng: Rng): bigint[] {
  if (rng.chance(0.2)) {
    // next to a binary32 boundary (the minimum normal, the largest finite)
    const base = refConvert(S, D, boundary(rng, S), RNE).v;
    const delta = rng.bits(1 + rng.below(31));
    return [(rng.chance(0.5) ? base + delta : base - delta) & 0xffffffffffffffffn];
  }
  if (rng.chance(0.7)) {
    const e = 1023 - 127 - 30 + rng.below(290);
    let x = floatWithExp(rng, D, e);
    // land near a binary32 rounding boundary
    if (rng.chance(0.5)) x = (x & ~((1n << 29n) - 1n)) | rng.pick([1n << 28n, (1n << 28n) - 1n, (1n << 28n) + 1n, 0n, 1n]);
    return [x];
  }
  return [randomFloat(rng, D)];
}

function genPair(f: Fmt) {
  return (rng: Rng): bigint[] => {
    const a = randomFloat(rng, f);
    const r = rng.below(10);
    if (r < 2) return [a, a];
    if (r < 4) return [a, a ^ signBit(f, 1)];
    if (r < 5) return [a, rng.pick(specials(f))];
    if (r < 8) return [a, randomFloat(rng, f, expOf(f, a))];
    return [a, randomFloat(rng, f)];
  };
}

// ---------------------------------------------------------------------------
// Running

type Kind = 'd' | 's' | 'x' | 'b';
interface Op {
  name: string;
  args: Kind[];
  rm: boolean;
  gen: (rng: Rng) => bigint[];
  ref: (args: bigint[], rm: number) => Res;
}

const hex = (v: bigint): string => '0x' + v.toString(16);

function call(name: string, args: bigint[], kinds: Kind[], rm: number | null): Res {
  const fn = ex[name];
  const callArgs: Arg[] = args.map((v, i) => (kinds[i] === 'd' || kinds[i] === 'x' ? v : Number(v)));
  if (rm !== null) callArgs.push(rm);
  flagsCell.value = 0;
  const raw = fn(...callArgs);
  const v = typeof raw === 'bigint' ? BigInt.asUintN(64, raw) : BigInt(raw >>> 0);
  return { v, flags: flagsCell.value as number };
}

/** How often the reference's results fell on each side of the tininess boundary, and overflowed, per operation. */
const coverage: Record<string, { notTiny: number; tiny: number; overflow: number }> = {};

function runOp(op: Op, n: number, seed: number): { failures: string[]; count: number } {
  const rng = new Rng(seed);
  const failures: string[] = [];
  const cov = (coverage[op.name] = { notTiny: 0, tiny: 0, overflow: 0 });
  const f = op.args[0] === 's' && op.name !== 'f32ToF64' ? S : D;
  const target = op.name === 'f64ToF32' || op.name.endsWith('ToF32') ? S : f;
  const minNormal = 1n << BigInt(target.p - 1);
  let count = 0;
  for (let i = 0; i < n; i++) {
    const args = op.gen(rng);
    const rm = op.rm ? rng.below(5) : null;
    const got = call(op.name, args, op.args, rm);
    const want = op.ref(args, rm ?? 0);
    const magnitude = want.v & ~signBit(target, 1);
    // rounded up to the minimum normal from below (toward zero it stays a subnormal), yet not tiny
    if (magnitude === minNormal && want.flags === NX && (op.ref(args, RTZ).v & ~signBit(target, 1)) < minNormal) cov.notTiny++;
    if (magnitude === minNormal && want.flags === (UF | NX)) cov.tiny++;
    if (want.flags & OF) cov.overflow++;
    if (got.v !== want.v || got.flags !== want.flags) {
      count++;
      if (failures.length < 6) {
        failures.push(`${op.name}(${args.map(hex).join(', ')}${rm === null ? '' : `, rm=${rm}`}) = ${hex(got.v)} flags ${got.flags}, want ${hex(want.v)} flags ${want.flags}`);
      }
    }
  }
  return { failures, count };
}

// SOFTFLOAT_CASES and SOFTFLOAT_SEED run a longer or different campaign by hand; the defaults are what CI runs.
const N = Number(process.env.SOFTFLOAT_CASES ?? 20000);
const SEED = Number(process.env.SOFTFLOAT_SEED ?? 0x5eed0000);

const ops: Op[] = [];
for (const [f, t] of [[D, 'f64'], [S, 'f32']] as const) {
  const k: Kind = f === D ? 'd' : 's';
  ops.push(
    { name: `${t}Add`, args: [k, k], rm: true, gen: genAdd(f), ref: ([a, b], rm) => refAdd(f, a, b, rm) },
    { name: `${t}Sub`, args: [k, k], rm: true, gen: genAdd(f), ref: ([a, b], rm) => refAdd(f, a, b ^ signBit(f, 1), rm) },
    { name: `${t}Mul`, args: [k, k], rm: true, gen: genMul(f, false), ref: ([a, b], rm) => refMul(f, a, b, rm) },
    { name: `${t}Div`, args: [k, k], rm: true, gen: genMul(f, true), ref: ([a, b], rm) => refDiv(f, a, b, rm) },
    { name: `${t}Sqrt`, args: [k], rm: true, gen: genOne(f), ref: ([a], rm) => refSqrt(f, a, rm) },
    {
      name: `${t}MulAdd`, args: [k, k, k, 'b', 'b'], rm: true, gen: genFma(f),
      ref: ([a, b, c, np, nc], rm) => refFma(f, a, b, c, Number(np), Number(nc), rm),
    },
    { name: `${t}Min`, args: [k, k], rm: false, gen: genPair(f), ref: ([a, b]) => refMinMax(f, false, a, b) },
    { name: `${t}Max`, args: [k, k], rm: false, gen: genPair(f), ref: ([a, b]) => refMinMax(f, true, a, b) },
    { name: `${t}Eq`, args: [k, k], rm: false, gen: genPair(f), ref: ([a, b]) => refCompare(f, 'eq', a, b) },
    { name: `${t}Lt`, args: [k, k], rm: false, gen: genPair(f), ref: ([a, b]) => refCompare(f, 'lt', a, b) },
    { name: `${t}Le`, args: [k, k], rm: false, gen: genPair(f), ref: ([a, b]) => refCompare(f, 'le', a, b) },
    { name: `${t}Classify`, args: [k], rm: false, gen: genOne(f), ref: ([a]) => refClassify(f, a) },
  );
  for (const [ik, iname] of [[I32, 'I32'], [U32, 'U32'], [I64, 'I64'], [U64, 'U64']] as const) {
    ops.push({ name: `${t}To${iname}`, args: [k], rm: true, gen: genToInt(f), ref: ([a], rm) => refToInt(f, ik, a, rm) });
    ops.push({ name: `${iname.toLowerCase()}To${t.toUpperCase()}`, args: ['x'], rm: true, gen: genFromInt, ref: ([a], rm) => refFromInt(f, ik, a, rm) });
  }
}
ops.push(
  { name: 'f64ToF32', args: ['d'], rm: true, gen: genF64ToF32, ref: ([a], rm) => refConvert(D, S, a, rm) },
  { name: 'f32ToF64', args: ['s'], rm: false, gen: genOne(S), ref: ([a]) => refConvert(S, D, a, RNE) },
);

describe('softfloat against the exact BigInt reference', () => {
  it('compiles to a module that imports nothing', () => {
    expect(moduleImports).toEqual([]);
  });
  ops.forEach((op, i) => {
    it(`${op.name}: ${N} seeded cases over all rounding modes, result and flags`, () => {
      const { failures, count } = runOp(op, N, SEED + i);
      expect(failures, `${count} mismatches`).toEqual([]);
    });
  });
  it('the random cases reach both sides of the tininess boundary and overflow', () => {
    for (const name of ['f64Mul', 'f64Div', 'f64MulAdd', 'f32Mul', 'f32Div', 'f32MulAdd', 'f64ToF32']) {
      const c = coverage[name];
      // A quotient of two p-bit significands is never within 2^-p of a power of two below it, so a
      // division cannot round up onto the minimum normal without being tiny.
      if (!name.endsWith('Div')) expect(c.notTiny, `${name}: minimum normal from below, not tiny`).toBeGreaterThan(10);
      expect(c.tiny, `${name}: minimum normal, tiny`).toBeGreaterThan(10);
      expect(c.overflow, `${name}: overflow`).toBeGreaterThan(10);
    }
  });
});

// ---------------------------------------------------------------------------
// The host's binary64 arithmetic as the round-to-nearest-even oracle

const f64 = new Float64Array(1), u64 = new BigUint64Array(f64.buffer);
const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);
const toNum64 = (b: bigint): number => { u64[0] = b; return f64[0]; };
const toBits64 = (x: number): bigint => { f64[0] = x; return u64[0]; };
const toNum32 = (b: bigint): number => { u32[0] = Number(b); return f32[0]; };
const toBits32 = (x: number): bigint => { f32[0] = x; return BigInt(u32[0]); };

const hostOps: [string, (x: number, y: number) => number, number][] = [
  ['Add', (x, y) => x + y, 2], ['Sub', (x, y) => x - y, 2], ['Mul', (x, y) => x * y, 2],
  ['Div', (x, y) => x / y, 2], ['Sqrt', (x) => Math.sqrt(x), 1],
];
const HOST_N = 3 * N;

describe('softfloat against the host in round-to-nearest-even', () => {
  hostOps.forEach(([name, op, arity], i) => {
    for (const f of [D, S]) {
      const t = f === D ? 'f64' : 'f32';
      it(`${t}${name}: ${HOST_N} seeded cases`, () => {
        const rng = new Rng(SEED + 0x1000 + i * 2 + (f === D ? 0 : 1));
        const gen = name === 'Add' || name === 'Sub' ? genAdd(f) : name === 'Sqrt' ? genOne(f) : genMul(f, name === 'Div');
        const failures: string[] = [];
        for (let n = 0; n < HOST_N; n++) {
          const args = gen(rng).slice(0, arity);
          const got = call(`${t}${name}`, args, args.map(() => (f === D ? 'd' : 's')), RNE).v;
          let want: bigint;
          if (f === D) {
            const r = op(toNum64(args[0]), arity === 2 ? toNum64(args[1]) : 0);
            want = Number.isNaN(r) ? canon(D) : toBits64(r);
          } else {
            const r = Math.fround(op(toNum32(args[0]), arity === 2 ? toNum32(args[1]) : 0));
            want = Number.isNaN(r) ? canon(S) : toBits32(r);
          }
          if (got !== want && failures.length < 6) failures.push(`${t}${name}(${args.map(hex).join(', ')}) = ${hex(got)}, want ${hex(want)}`);
        }
        expect(failures).toEqual([]);
      });
    }
  });
});

// ---------------------------------------------------------------------------
// Cases from the spec, written out

const d = (x: number): bigint => toBits64(x);
const s = (x: number): bigint => toBits32(x);
const D_QNAN = 0x7ff8000000000000n, D_SNAN = 0x7ff0000000000001n, D_NQNAN = 0xfff8000000001234n;
const S_QNAN = 0x7fc00000n, S_SNAN = 0x7f800001n, S_NQNAN = 0xffc01234n;
const D_INF = 0x7ff0000000000000n, D_NINF = 0xfff0000000000000n;
const S_INF = 0x7f800000n, S_NINF = 0xff800000n;

function expectCall(name: string, args: bigint[], kinds: Kind[], rm: number | null, v: bigint, flags: number): void {
  const got = call(name, args, kinds, rm);
  expect({ v: hex(got.v), flags: got.flags }, `${name}(${args.map(hex).join(', ')}, rm=${rm})`).toEqual({ v: hex(v), flags });
}

describe('softfloat: cases from the spec', () => {
  it('FCVT.int.fmt: the table of invalid inputs (NaN -> max positive) and the edges of each range', () => {
    const ALL = 0xffffffffffffffffn;
    // [input, rm, i32, u32, i64, u64, flags for i32, u32, i64, u64]
    const table: [number, number, bigint, bigint, bigint, bigint, number[]][] = [
      [Infinity, RNE, 0x7fffffffn, ALL, 0x7fffffffffffffffn, ALL, [NV, NV, NV, NV]],
      [-Infinity, RNE, 0xffffffff80000000n, 0n, 0x8000000000000000n, 0n, [NV, NV, NV, NV]],
      [NaN, RNE, 0x7fffffffn, ALL, 0x7fffffffffffffffn, ALL, [NV, NV, NV, NV]],
      [-0, RNE, 0n, 0n, 0n, 0n, [0, 0, 0, 0]],
      [-0.5, RTZ, 0n, 0n, 0n, 0n, [NX, NX, NX, NX]],
      [-0.5, RDN, ALL, 0n, ALL, 0n, [NX, NV, NX, NV]],
      [-1, RNE, ALL, 0n, ALL, 0n, [0, NV, 0, NV]],
      [2147483647.5, RNE, 0x7fffffffn, 0xffffffff80000000n, 2147483648n, 2147483648n, [NV, NX, NX, NX]],
      [2147483647.5, RTZ, 0x7fffffffn, 0x7fffffffn, 2147483647n, 2147483647n, [NX, NX, NX, NX]],
      [-2147483648.5, RUP, 0xffffffff80000000n, 0n, BigInt.asUintN(64, -2147483648n), 0n, [NX, NV, NX, NV]],
      [-2147483648.5, RDN, 0xffffffff80000000n, 0n, BigInt.asUintN(64, -2147483649n), 0n, [NV, NV, NX, NV]],
      [4294967295.5, RDN, 0x7fffffffn, ALL, 4294967295n, 4294967295n, [NV, NX, NX, NX]],
      [4294967296, RNE, 0x7fffffffn, ALL, 4294967296n, 4294967296n, [NV, NV, 0, 0]],
      [2 ** 63, RNE, 0x7fffffffn, ALL, 0x7fffffffffffffffn, 0x8000000000000000n, [NV, NV, NV, 0]],
      [-(2 ** 63), RNE, 0xffffffff80000000n, 0n, 0x8000000000000000n, 0n, [NV, NV, 0, NV]],
      [2 ** 64, RNE, 0x7fffffffn, ALL, 0x7fffffffffffffffn, ALL, [NV, NV, NV, NV]],
      [2.5, RNE, 2n, 2n, 2n, 2n, [NX, NX, NX, NX]],
      [2.5, RMM, 3n, 3n, 3n, 3n, [NX, NX, NX, NX]],
      [-2.5, RMM, BigInt.asUintN(64, -3n), 0n, BigInt.asUintN(64, -3n), 0n, [NX, NV, NX, NV]],
      [5e-324, RUP, 1n, 1n, 1n, 1n, [NX, NX, NX, NX]],
    ];
    for (const [x, rm, ...rest] of table) {
      const results = rest.slice(0, 4) as bigint[];
      const flags = rest[4] as number[];
      ['I32', 'U32', 'I64', 'U64'].forEach((k, i) => {
        expectCall(`f64To${k}`, [d(x)], ['d'], rm, results[i], flags[i]);
        // the same through binary32 when the value is one
        if (Object.is(Math.fround(x), x) || Number.isNaN(x)) expectCall(`f32To${k}`, [s(x)], ['s'], rm, results[i], flags[i]);
      });
    }
    expectCall('f64ToI32', [D_SNAN], ['d'], RNE, 0x7fffffffn, NV);
    expectCall('f32ToU64', [S_NQNAN], ['s'], RNE, ALL, NV);
  });

  it('FMIN/FMAX: -0 < +0, one NaN gives the other operand, two give the canonical NaN, NV only for sNaN', () => {
    for (const [min, max, k, z, nz, one, q, sn, nq, c] of [
      ['f64Min', 'f64Max', 'd', d(0), d(-0), d(1), D_QNAN, D_SNAN, D_NQNAN, canon(D)],
      ['f32Min', 'f32Max', 's', s(0), s(-0), s(1), S_QNAN, S_SNAN, S_NQNAN, canon(S)],
    ] as const) {
      const kk: Kind[] = [k, k];
      expectCall(min, [z, nz], kk, null, nz, 0);
      expectCall(min, [nz, z], kk, null, nz, 0);
      expectCall(max, [z, nz], kk, null, z, 0);
      expectCall(max, [nz, z], kk, null, z, 0);
      expectCall(min, [q, one], kk, null, one, 0);
      expectCall(max, [one, nq], kk, null, one, 0);
      expectCall(min, [sn, one], kk, null, one, NV);
      expectCall(max, [one, sn], kk, null, one, NV);
      expectCall(min, [q, nq], kk, null, c, 0);
      expectCall(max, [sn, q], kk, null, c, NV);
    }
  });

  it('comparisons: feq is quiet, flt and fle signal on any NaN, -0 == +0', () => {
    for (const [t, k, q, sn, z, nz] of [['f64', 'd', D_QNAN, D_SNAN, d(0), d(-0)], ['f32', 's', S_QNAN, S_SNAN, s(0), s(-0)]] as const) {
      const kk: Kind[] = [k, k];
      expectCall(`${t}Eq`, [q, z], kk, null, 0n, 0);
      expectCall(`${t}Eq`, [sn, z], kk, null, 0n, NV);
      expectCall(`${t}Lt`, [q, z], kk, null, 0n, NV);
      expectCall(`${t}Le`, [z, q], kk, null, 0n, NV);
      expectCall(`${t}Eq`, [z, nz], kk, null, 1n, 0);
      expectCall(`${t}Lt`, [nz, z], kk, null, 0n, 0);
      expectCall(`${t}Le`, [z, nz], kk, null, 1n, 0);
    }
  });

  it('fused multiply-add: inf*0 is invalid even with a quiet NaN addend; NaN results are canonical', () => {
    const kk: Kind[] = ['d', 'd', 'd', 'b', 'b'];
    expectCall('f64MulAdd', [D_INF, d(0), D_QNAN, 0n, 0n], kk, RNE, canon(D), NV);
    expectCall('f64MulAdd', [d(-0), D_NINF, D_NQNAN, 1n, 1n], kk, RNE, canon(D), NV);
    expectCall('f64MulAdd', [D_INF, d(0), d(1), 0n, 0n], kk, RNE, canon(D), NV);
    expectCall('f64MulAdd', [D_INF, d(2), D_NINF, 0n, 0n], kk, RNE, canon(D), NV);
    expectCall('f64MulAdd', [D_INF, d(2), D_INF, 0n, 1n], kk, RNE, canon(D), NV); // fmsub: inf - inf
    expectCall('f64MulAdd', [D_INF, d(2), D_INF, 1n, 1n], kk, RNE, D_NINF, 0); // fnmadd: -inf - inf
    expectCall('f64MulAdd', [D_NQNAN, d(1), d(1), 0n, 0n], kk, RNE, canon(D), 0);
    expectCall('f64MulAdd', [d(1), d(1), D_SNAN, 0n, 0n], kk, RNE, canon(D), NV);
    // one rounding: (1 + 2^-52)(1 - 2^-52) - 1 = -2^-104 exactly
    expectCall('f64MulAdd', [d(1 + 2 ** -52), d(1 - 2 ** -52), d(1), 0n, 1n], kk, RNE, d(-(2 ** -104)), 0);
    // exact zeros: x*y - x*y is +0, or -0 rounding down; -0 + -0 keeps its sign
    expectCall('f64MulAdd', [d(3), d(5), d(15), 0n, 1n], kk, RNE, d(0), 0);
    expectCall('f64MulAdd', [d(3), d(5), d(15), 0n, 1n], kk, RDN, d(-0), 0);
    expectCall('f64MulAdd', [d(-0), d(5), d(-0), 0n, 0n], kk, RNE, d(-0), 0);
    expectCall('f64MulAdd', [d(0), d(5), d(0), 1n, 0n], kk, RUP, d(0), 0);
    const ks: Kind[] = ['s', 's', 's', 'b', 'b'];
    expectCall('f32MulAdd', [S_INF, s(0), S_QNAN, 0n, 0n], ks, RNE, canon(S), NV);
    expectCall('f32MulAdd', [s(1 + 2 ** -23), s(1 - 2 ** -23), s(1), 0n, 1n], ks, RNE, s(-(2 ** -46)), 0);
    expectCall('f32MulAdd', [s(0), S_INF, S_NQNAN, 0n, 0n], ks, RNE, canon(S), NV);
  });

  it('arithmetic: canonical NaNs, invalid operations, division by zero, signed zeros', () => {
    const kk: Kind[] = ['d', 'd'];
    expectCall('f64Add', [D_NQNAN, d(1)], kk, RNE, canon(D), 0);
    expectCall('f64Add', [D_INF, D_NINF], kk, RNE, canon(D), NV);
    expectCall('f64Sub', [D_INF, D_INF], kk, RNE, canon(D), NV);
    expectCall('f64Mul', [d(0), D_NINF], kk, RNE, canon(D), NV);
    expectCall('f64Div', [d(0), d(-0)], kk, RNE, canon(D), NV);
    expectCall('f64Div', [D_INF, D_NINF], kk, RNE, canon(D), NV);
    expectCall('f64Div', [d(-3), d(0)], kk, RNE, D_NINF, DZ);
    expectCall('f64Div', [D_INF, d(0)], kk, RNE, D_INF, 0);
    expectCall('f64Sqrt', [d(-0)], ['d'], RNE, d(-0), 0);
    expectCall('f64Sqrt', [d(-1e-300)], ['d'], RNE, canon(D), NV);
    expectCall('f64Sqrt', [D_NINF], ['d'], RNE, canon(D), NV);
    expectCall('f64Add', [d(1.5), d(-1.5)], kk, RNE, d(0), 0);
    expectCall('f64Add', [d(1.5), d(-1.5)], kk, RDN, d(-0), 0);
    expectCall('f64Sub', [d(-0), d(0)], kk, RNE, d(-0), 0);
    expectCall('f32Div', [s(1), s(-0)], ['s', 's'], RNE, S_NINF, DZ);
    expectCall('f32Sqrt', [S_SNAN], ['s'], RNE, canon(S), NV);
    expectCall('f64ToF32', [D_SNAN], ['d'], RNE, canon(S), NV);
    expectCall('f64ToF32', [D_NQNAN], ['d'], RNE, canon(S), 0);
    expectCall('f32ToF64', [S_SNAN], ['s'], null, canon(D), NV);
    expectCall('f32ToF64', [S_NQNAN], ['s'], null, canon(D), 0);
  });

  it('overflow gives infinity or the largest finite value by rounding mode, with OF|NX', () => {
    const big = d(1.5 * 2 ** 1023), max = d(Number.MAX_VALUE);
    const kk: Kind[] = ['d', 'd'];
    expectCall('f64Mul', [big, d(2)], kk, RNE, D_INF, OF | NX);
    expectCall('f64Mul', [big, d(2)], kk, RTZ, max, OF | NX);
    expectCall('f64Mul', [big, d(2)], kk, RDN, max, OF | NX);
    expectCall('f64Mul', [big, d(-2)], kk, RDN, D_NINF, OF | NX);
    expectCall('f64Mul', [big, d(-2)], kk, RUP, d(-Number.MAX_VALUE), OF | NX);
    expectCall('f64Mul', [big, d(2)], kk, RMM, D_INF, OF | NX);
    expectCall('f64ToF32', [d(2 ** 128)], ['d'], RTZ, s(3.4028234663852886e38), OF | NX);
    // the largest finite plus half an ulp rounds up only in RNE
    expectCall('f64Add', [max, d(2 ** 970)], kk, RNE, D_INF, OF | NX);
    expectCall('f64Add', [max, d(2 ** 969)], kk, RNE, max, NX);
  });

  it('tininess is detected after rounding: UF only if the result rounded to full precision is below the minimum normal', () => {
    const kk: Kind[] = ['d', 'd'];
    const minNormal = 0x0010000000000000n, maxSub = 0x000fffffffffffffn;
    // (1 + 2^-27)(1 - 2^-27) * 2^-1022 = (1 - 2^-54) * 2^-1022: to 53 bits it rounds up to 2^-1022 in RNE and RUP,
    // so it is not tiny: the minimum normal with NX alone. Rounding down it stays below: UF.
    const a = d((1 + 2 ** -27) * 2 ** -511), b = d((1 - 2 ** -27) * 2 ** -511);
    expectCall('f64Mul', [a, b], kk, RNE, minNormal, NX);
    expectCall('f64Mul', [a, b], kk, RUP, minNormal, NX);
    expectCall('f64Mul', [a, b], kk, RMM, minNormal, NX);
    expectCall('f64Mul', [a, b], kk, RTZ, maxSub, UF | NX);
    expectCall('f64Mul', [a, b], kk, RDN, maxSub, UF | NX);
    // (1 - 2^-53) * 2^-1022 has 53 bits: tiny; it still rounds up to the minimum normal in RUP (and RNE, a tie), with UF.
    const c = d(1 - 2 ** -53);
    expectCall('f64Mul', [c, d(2 ** -1022)], kk, RUP, minNormal, UF | NX);
    expectCall('f64Mul', [c, d(2 ** -1022)], kk, RNE, minNormal, UF | NX);
    expectCall('f64Mul', [c, d(2 ** -1022)], kk, RTZ, maxSub, UF | NX);
    // (1 + 2^-26)(1 - 2^-26) * 2^-1022 = 2^-1022 - 2^-1074: an exact subnormal result, no UF
    expectCall('f64Mul', [d((1 + 2 ** -26) * 2 ** -511), d((1 - 2 ** -26) * 2 ** -511)], kk, RNE, maxSub, 0);
    expectCall('f64Div', [d(2 ** -1070), d(8)], kk, RNE, 2n ** 1n, 0);
    expectCall('f64Div', [d(2 ** -1074), d(2)], kk, RNE, 0n, UF | NX);
    expectCall('f64Div', [d(2 ** -1074), d(2)], kk, RUP, 1n, UF | NX);
    // binary32: (1 + 2^-12)(1 - 2^-12) * 2^-126 = (1 - 2^-24) * 2^-126 has 24 bits: tiny, and a tie in the subnormals
    const ks: Kind[] = ['s', 's'];
    const sa = s((1 + 2 ** -12) * 2 ** -63), sb = s((1 - 2 ** -12) * 2 ** -63);
    expectCall('f32Mul', [sa, sb], ks, RNE, 0x00800000n, UF | NX);
    expectCall('f32Mul', [sa, sb], ks, RTZ, 0x007fffffn, UF | NX);
    expectCall('f64ToF32', [d((1 - 2 ** -25) * 2 ** -126)], ['d'], RNE, 0x00800000n, NX);
    expectCall('f64ToF32', [d((1 - 2 ** -24) * 2 ** -126)], ['d'], RNE, 0x00800000n, UF | NX);
    // the reference agrees with all of these
    expect(refMul(D, a, b, RNE)).toEqual({ v: minNormal, flags: NX });
    expect(refMul(D, c, d(2 ** -1022), RUP)).toEqual({ v: minNormal, flags: UF | NX });
  });

  it('conversions from integers: the W forms read the low 32 bits; exact and rounded cases', () => {
    expectCall('i32ToF64', [0xdeadbeefffffffffn], ['x'], RNE, d(-1), 0);
    expectCall('u32ToF64', [0xdeadbeefffffffffn], ['x'], RNE, d(4294967295), 0);
    expectCall('i64ToF64', [0xffffffffffffffffn], ['x'], RNE, d(-1), 0);
    expectCall('u64ToF64', [0xffffffffffffffffn], ['x'], RNE, d(2 ** 64), NX);
    expectCall('u64ToF64', [0xffffffffffffffffn], ['x'], RTZ, d(2 ** 64 - 2048), NX);
    expectCall('i64ToF64', [0x8000000000000000n], ['x'], RNE, d(-(2 ** 63)), 0);
    expectCall('i32ToF32', [0x7fffffffn], ['x'], RNE, s(2 ** 31), NX);
    expectCall('i32ToF32', [0x7fffffffn], ['x'], RDN, s(2 ** 31 - 128), NX);
    expectCall('u32ToF32', [0x1000001n], ['x'], RNE, s(2 ** 24), NX);
    expectCall('u32ToF32', [0x1000003n], ['x'], RNE, s(2 ** 24 + 4), NX);
    expectCall('i64ToF32', [0n], ['x'], RDN, 0n, 0);
  });

  it('classify: the ten FCLASS bits', () => {
    const cases: [bigint, number][] = [
      [D_NINF, 0], [d(-1), 1], [0x800fffffffffffffn, 2], [d(-0), 3], [d(0), 4], [1n, 5], [d(1), 6], [D_INF, 7], [D_SNAN, 8], [D_QNAN, 9],
    ];
    for (const [x, bit] of cases) expectCall('f64Classify', [x], ['d'], null, 1n << BigInt(bit), 0);
    const cases32: [bigint, number][] = [
      [S_NINF, 0], [s(-1), 1], [0x807fffffn, 2], [s(-0), 3], [s(0), 4], [1n, 5], [s(1), 6], [S_INF, 7], [S_SNAN, 8], [S_NQNAN, 9],
    ];
    for (const [x, bit] of cases32) expectCall('f32Classify', [x], ['s'], null, 1n << BigInt(bit), 0);
  });
});
