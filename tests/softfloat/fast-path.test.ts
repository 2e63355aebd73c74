// The native fast path of the F and D extensions (workers/core/fp-fast.ts)
// against softfloat.ts, differentially: for seeded random operands and for
// the ones its exactness argument is about (subnormals, zeros, infinities,
// NaNs, results at the underflow threshold and at the overflow threshold,
// cancellation into the subnormal range, ties that round to infinity),
// whenever the fast path gives a result it must be softfloat's
// round-to-nearest-even result bit for bit, and softfloat must have raised no
// flag but NX (the fast path runs only when NX is already set, so NX is all
// it may leave out). It must also decline every case softfloat flags with
// UF, OF, DZ or NV, and must not decline too much: ordinary operands take it.
//
// How the fast path is chosen (rounding mode, NX) is tested in tests/fp/jit-fp.test.ts,
// on the interpreter and on translated code.
import { beforeAll, describe, expect, it } from 'vitest';
import asc from 'assemblyscript/asc';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SEED = Number(process.env.FP_FAST_SEED ?? 0xfa57);
const CASES = Number(process.env.FP_FAST_CASES ?? 120_000);

type Fn = (...args: (number | bigint)[]) => number | bigint;
let ex: Record<string, Fn>;
let flagsCell: WebAssembly.Global;

/** The module compiled: softfloat.ts and fp-fast.ts (an entry given to the compiler from memory, not a file). */
const ENTRY = 'tests/softfloat/fast-entry.ts';
const ENTRY_SOURCE = `export * from '../../workers/core/softfloat';
export { fastArith64, fastSqrt64, fastArith32, fastSqrt32, NO_FAST64, NO_FAST32 } from '../../workers/core/fp-fast';
`;

beforeAll(async () => {
  const outputs: Record<string, Uint8Array | string> = {};
  const stderr = asc.createMemoryStream();
  const { error } = await asc.main(
    [ENTRY, '--baseDir', ROOT, '--outFile', 'fast.wasm', '--runtime', 'stub', '--optimizeLevel', '3', '--noAssert'],
    {
      readFile: (name, baseDir) => {
        if (path.basename(name) === 'asconfig.json') return null;
        if (path.resolve(baseDir, name) === path.resolve(ROOT, ENTRY)) return ENTRY_SOURCE;
        try { return readFileSync(path.resolve(baseDir, name), 'utf8'); } catch { return null; }
      },
      writeFile: (name, contents) => { outputs[path.basename(name)] = contents; },
      listFiles: () => [],
      stdout: asc.createMemoryStream(),
      stderr,
    },
  );
  if (error) throw new Error(`${error.message}\n${stderr.toString()}`);
  const binary = outputs['fast.wasm'];
  if (!(binary instanceof Uint8Array)) throw new Error('no wasm output');
  const instance = await WebAssembly.instantiate(await WebAssembly.compile(new Uint8Array(binary)), { env: { abort: () => { throw new Error('abort'); } } });
  ex = instance.exports as unknown as Record<string, Fn>;
  flagsCell = instance.exports.fpFlags as WebAssembly.Global;
});

const UF = 2, OF = 4, DZ = 8, NV = 16;
const OPS = ['add', 'sub', 'mul', 'div', 'sqrt'] as const;
type OpName = (typeof OPS)[number];

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
  bits(n: number): bigint {
    let r = 0n;
    for (let i = 0; i < n; i += 32) r = (r << 32n) | BigInt(this.u32());
    return r & ((1n << BigInt(n)) - 1n);
  }
}

/** One binary format: its width, fraction bits, and conversions between bits and host numbers. */
interface Fmt {
  name: 'binary64' | 'binary32';
  bits: number;
  frac: number;
  expMax: number;
  toNum(b: bigint): number;
  toBits(x: number): bigint;
  round(x: number): number;
}
const buf = new DataView(new ArrayBuffer(8));
const D: Fmt = {
  name: 'binary64', bits: 64, frac: 52, expMax: 0x7ff,
  toNum: (b) => { buf.setBigUint64(0, b); return buf.getFloat64(0); },
  toBits: (x) => { buf.setFloat64(0, x); return buf.getBigUint64(0); },
  round: (x) => x,
};
const S: Fmt = {
  name: 'binary32', bits: 32, frac: 23, expMax: 0xff,
  toNum: (b) => { buf.setUint32(0, Number(b)); return buf.getFloat32(0); },
  toBits: (x) => { buf.setFloat32(0, x); return BigInt(buf.getUint32(0)); },
  round: Math.fround,
};

const mask = (f: Fmt) => (1n << BigInt(f.bits)) - 1n;
const signBit = (f: Fmt) => 1n << BigInt(f.bits - 1);
const pack = (f: Fmt, sign: number, e: number, frac: bigint) => (BigInt(sign) << BigInt(f.bits - 1)) | (BigInt(e) << BigInt(f.frac)) | frac;
const minNormal = (f: Fmt) => pack(f, 0, 1, 0n);
const maxFinite = (f: Fmt) => pack(f, 0, f.expMax - 1, (1n << BigInt(f.frac)) - 1n);
/** x moved by k ulps in its bit pattern (staying on its side of zero and finite). */
const nudge = (f: Fmt, x: bigint, k: number) => {
  const sign = x & signBit(f);
  let mag = (x & ~signBit(f)) + BigInt(k);
  if (mag < 0n) mag = 0n;
  if (mag > maxFinite(f)) mag = maxFinite(f);
  return sign | mag;
};

/** A random fraction: uniform, sparse, all ones, or a tie-ish pattern. */
function frac(rng: Rng, f: Fmt): bigint {
  const all = (1n << BigInt(f.frac)) - 1n;
  switch (rng.below(5)) {
    case 0: return 0n;
    case 1: return all;
    case 2: return rng.bits(f.frac) & rng.bits(f.frac) & rng.bits(f.frac);
    case 3: return (1n << BigInt(rng.below(f.frac))) | (rng.below(2) ? all >> BigInt(rng.below(f.frac) + 1) : 0n);
    default: return rng.bits(f.frac);
  }
}

/** One operand: every class, with the boundaries of the normal range over-represented. */
function operand(rng: Rng, f: Fmt): bigint {
  const sign = rng.below(2);
  switch (rng.below(14)) {
    case 0: return pack(f, sign, 0, 0n);
    case 1: return pack(f, sign, 0, frac(rng, f) || 1n); // subnormal
    case 2: return nudge(f, pack(f, sign, 1, 0n), rng.below(9) - 4); // around the smallest normal
    case 3: return nudge(f, pack(f, sign, f.expMax - 1, (1n << BigInt(f.frac)) - 1n), -rng.below(5)); // near the largest finite
    case 4: return pack(f, sign, f.expMax, 0n); // infinity
    case 5: return pack(f, sign, f.expMax, (1n << BigInt(f.frac - 1)) | rng.bits(f.frac - 1)); // quiet NaN
    case 6: return pack(f, sign, f.expMax, (rng.bits(f.frac - 1)) || 1n); // signalling NaN
    case 7: case 8: return pack(f, sign, 1 + rng.below(f.expMax - 1), frac(rng, f)); // any normal
    default: { // an ordinary value: exponent within 2^±40 of one
      const bias = (f.expMax >> 1);
      return pack(f, sign, bias - 40 + rng.below(81), frac(rng, f));
    }
  }
}

/** Operand pairs that put the result at an edge the fast path must decline or handle exactly. */
function pair(rng: Rng, f: Fmt, op: OpName): [bigint, bigint] {
  const kind = rng.below(10);
  if (kind < 4) return [operand(rng, f), operand(rng, f)];
  const sign = () => (rng.below(2) ? -1 : 1);
  const ordinary = () => f.toNum(pack(f, 0, (f.expMax >> 1) - 30 + rng.below(61), rng.bits(f.frac)));
  const near = (x: number) => nudge(f, f.toBits(f.round(x)), rng.below(7) - 3);
  const tiny = f.toNum(minNormal(f));
  const huge = f.toNum(maxFinite(f));
  const a = ordinary();
  switch (op) {
    case 'mul': return kind < 7 ? [f.toBits(a * sign()), near(sign() * tiny / a)] : [f.toBits(a * sign()), near(sign() * huge / a)];
    case 'div': return kind < 7 ? [f.toBits(a * sign()), near(sign() * a / tiny)] : [f.toBits(a * sign()), near(sign() * a / huge)];
    case 'sqrt': return [kind < 7 ? nudge(f, pack(f, 0, rng.below(3), rng.bits(f.frac)), rng.below(3) - 1) : near(huge * (0.5 + rng.below(2) / 2)), 0n];
    default: {
      // Cancellation into or near the subnormal range, or a sum that may round to infinity.
      if (kind < 7) {
        const x = nudge(f, pack(f, rng.below(2), 1 + rng.below(3), rng.bits(f.frac)), 0);
        const y = nudge(f, x, rng.below(9) - 4) ^ (op === 'add' ? signBit(f) : 0n);
        return [x, y];
      }
      const big = nudge(f, maxFinite(f), -rng.below(3));
      const halfUlp = f.toNum(big) * 2 ** -(f.frac + 1);
      return [big | (rng.below(2) ? signBit(f) : 0n), near((op === 'add' ? 1 : -1) * halfUlp * (0.5 + rng.below(4) / 2))];
    }
  }
}

const SOFT: Record<OpName, string> = { add: 'Add', sub: 'Sub', mul: 'Mul', div: 'Div', sqrt: 'Sqrt' };

function softfloat(f: Fmt, op: OpName, a: bigint, b: bigint): { v: bigint; flags: number } {
  flagsCell.value = 0;
  const fn = ex[`${f.bits === 64 ? 'f64' : 'f32'}${SOFT[op]}`];
  const A = f.bits === 64 ? a : Number(a);
  const B = f.bits === 64 ? b : Number(b);
  const v = op === 'sqrt' ? fn(A, 0) : fn(A, B, 0);
  return { v: BigInt.asUintN(f.bits, BigInt(v)), flags: flagsCell.value as number };
}

function fast(f: Fmt, op: OpName, a: bigint, b: bigint): bigint | undefined {
  const funct5 = OPS.indexOf(op);
  let v: bigint;
  if (f.bits === 64) {
    v = BigInt.asUintN(64, BigInt(op === 'sqrt' ? ex.fastSqrt64(a) : ex.fastArith64(funct5, a, b)));
    return v === BigInt.asUintN(64, BigInt((ex.NO_FAST64 as unknown as WebAssembly.Global).value as bigint)) ? undefined : v;
  }
  v = BigInt((op === 'sqrt' ? ex.fastSqrt32(Number(a)) : ex.fastArith32(funct5, Number(a), Number(b))) as number >>> 0);
  return v === BigInt(((ex.NO_FAST32 as unknown as WebAssembly.Global).value as number) >>> 0) ? undefined : v;
}

const hex = (f: Fmt, x: bigint) => '0x' + (x & mask(f)).toString(16).padStart(f.bits / 4, '0');

describe('the native fast path against softfloat (round to nearest even, NX already set)', () => {
  for (const f of [D, S]) {
    for (const op of OPS) {
      it(`${f.name} ${op}: ${CASES} seeded cases (seed ${SEED})`, () => {
        const rng = new Rng(SEED ^ (OPS.indexOf(op) * 0x9e3779b1) ^ f.bits);
        const wrong: string[] = [];
        let taken = 0, declinedFlags = 0, ordinary = 0, ordinaryTaken = 0;
        for (let i = 0; i < CASES; i++) {
          const [a, b] = pair(rng, f, op);
          const ref = softfloat(f, op, a, b);
          const got = fast(f, op, a, b);
          const other = ref.flags & (UF | OF | DZ | NV);
          if (got !== undefined) {
            taken++;
            if (got !== ref.v || other !== 0) {
              wrong.push(`${op}(${hex(f, a)}, ${hex(f, b)}): fast ${hex(f, got)}, softfloat ${hex(f, ref.v)} flags ${ref.flags}`);
            }
          } else if (other !== 0) {
            declinedFlags++;
          }
          // Ordinary operands (normal, exponents near the bias, a normal result) must take the fast path.
          const ea = Number((a >> BigInt(f.frac)) & BigInt(f.expMax)), eb = Number((b >> BigInt(f.frac)) & BigInt(f.expMax));
          const er = Number((ref.v >> BigInt(f.frac)) & BigInt(f.expMax));
          const bias = f.expMax >> 1;
          if (Math.abs(ea - bias) < 60 && (op === 'sqrt' ? (a & signBit(f)) === 0n : Math.abs(eb - bias) < 60) && er > 1 && er < f.expMax) {
            ordinary++;
            if (got !== undefined) ordinaryTaken++;
          }
          if (wrong.length >= 10) break;
        }
        expect(wrong).toEqual([]);
        // Not vacuous: the edge operands did produce flagged results (declined), and ordinary ones were taken.
        expect(declinedFlags).toBeGreaterThan(CASES / 100);
        expect(taken).toBeGreaterThan(CASES / 5);
        expect(ordinary).toBeGreaterThan(CASES / 20);
        expect(ordinaryTaken).toBe(ordinary);
      });
    }
  }

  it('declines exactly at the boundaries its argument names', () => {
    const bits = (x: number) => D.toBits(x);
    const min = 2 ** -1022;
    // A product rounding to the smallest normal may be tiny (UF): declined; just above it is exact enough.
    expect(fast(D, 'mul', bits(min), bits(1))).toBeUndefined();
    expect(fast(D, 'mul', bits(min * (1 + 2 ** -52)), bits(1))).toBe(bits(min * (1 + 2 ** -52)));
    // A subnormal sum is exact: taken; a subnormal product is not: declined.
    expect(fast(D, 'add', bits(3 * min), bits(-2.5 * min))).toBe(bits(0.5 * min));
    expect(fast(D, 'mul', bits(min), bits(0.5))).toBeUndefined();
    // x - x is +0 in RNE, as softfloat; an overflow, a NaN, a division by zero and sqrt(-1) are declined.
    expect(fast(D, 'sub', bits(1.5), bits(1.5))).toBe(0n);
    expect(fast(D, 'add', maxFinite(D), bits(2 ** 970))).toBeUndefined();
    expect(fast(D, 'mul', bits(Infinity), bits(0))).toBeUndefined();
    expect(fast(D, 'div', bits(1), bits(0))).toBeUndefined();
    expect(fast(D, 'sqrt', bits(-1), 0n)).toBeUndefined();
    expect(fast(D, 'sqrt', bits(-0), 0n)).toBe(bits(-0));
    expect(fast(S, 'mul', S.toBits(2 ** -126), S.toBits(1))).toBeUndefined();
    expect(fast(S, 'div', S.toBits(1), S.toBits(3))).toBe(S.toBits(Math.fround(1 / 3)));
  });
});
