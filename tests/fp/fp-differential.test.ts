// F and D, differentially: a generated program (tests/fp/generate.ts) runs
// four million random FP operations (at least a million is asserted), over
// every F and D instruction in every rounding mode and on operands chosen to
// hit the corner cases (zeros, subnormals, infinities, signalling and quiet
// NaNs with payloads, improperly NaN-boxed singles, rounding, underflow and
// integer-conversion boundaries), and prints digests of the results, fflags,
// mstatus.FS, traps and instructions retired. QEMU's digests and Hindsight's
// must be the same. When they are not, both machines run the program again
// printing every operation of the first differing checkpoint window and of the
// stubs whose digests differ, and the assertion message says which operation
// differs first, with its operands and both machines' results. A second,
// shorter run does the same with PMP on, which puts every load and store of
// Hindsight on its slow path.
//
// FP_SEED and FP_OPS (environment) choose another seed or op count.
import { describe, it, expect } from 'vitest';
import { generate, bitsF32, bitsF64, f32Bits, f64Bits, type GenOptions, type Program } from './generate';
import {
  build, cleanup, runQemu, runHindsight, parse, complete, sameDigests, locate, runSummary, operandBits, type TraceRecord,
} from './harness';

const SEED = Number(process.env.FP_SEED ?? 0x5eed);
const OPS = Number(process.env.FP_OPS ?? 1 << 22);
/** With PMP on, Hindsight takes its slow memory path (about ten times slower here). */
const OPS_PMP = Math.max(1, Math.floor(OPS / 8));
const MIN_OPS = 1_000_000;

describe('F and D against qemu-system-riscv64', () => {
  it('the generator covers every F and D instruction in every rounding mode', () => {
    const { stubs } = generate({ seed: SEED, ops: 4096 });
    const names = new Set(stubs.map((s) => s.name));
    const missing: string[] = [];
    const want = (n: string) => { if (!names.has(n)) missing.push(n); };
    const rms = ['rne', 'rtz', 'rdn', 'rup', 'rmm', 'dyn'];
    for (const p of ['s', 'd']) {
      for (const op of ['fadd', 'fsub', 'fmul', 'fdiv', 'fsqrt', 'fmadd', 'fmsub', 'fnmsub', 'fnmadd']) {
        for (const rm of rms) want(`${op}.${p}.${rm}`);
      }
      for (const op of ['fadd', 'fmul', 'fdiv', 'fsqrt', 'fmadd']) for (const rm of ['rm5', 'rm6']) want(`${op}.${p}.${rm}`);
      for (const t of ['w', 'wu', 'l', 'lu']) {
        for (const rm of [...rms, 'rm5', 'rm6']) { want(`fcvt.${t}.${p}.${rm}`); want(`fcvt.${p}.${t}.${rm}`); }
      }
      for (const op of ['fmin', 'fmax', 'fsgnj', 'fsgnjn', 'fsgnjx', 'fmv', 'fneg', 'fabs', 'feq', 'flt', 'fle', 'fclass']) want(`${op}.${p}`);
    }
    for (const rm of [...rms, 'rm5', 'rm6']) { want(`fcvt.s.d.${rm}`); want(`fcvt.d.s.${rm}`); }
    for (const n of ['fmv.x.w', 'fmv.w.x', 'fmv.x.d', 'fmv.d.x', 'flw+0', 'flw+1', 'fld+0', 'fld+4', 'fsw+0', 'fsw+3', 'fsd+0', 'fsd+1',
      'c.fld+8', 'c.fsd+8', 'c.fldsp+504', 'c.fsdsp+504', 'csrrw.fcsr', 'csrrs.fflags', 'csrrc.frm', 'fs-off.fadd.d', 'reserved.fadd.q']) want(n);
    expect(missing).toEqual([]);
    expect(stubs.length).toBeGreaterThan(350);
  });

  it('QEMU\'s trace agrees with IEEE arithmetic for round-to-nearest-even operations (checks the harness)', async () => {
    const ops = 24_000;
    const plain = build({ seed: SEED + 1, ops });
    const traced = build({ seed: SEED + 1, ops, traceFrom: 0, traceTo: ops });
    try {
      const [a, b] = await Promise.all([runQemu(plain.elf), runQemu(traced.elf)]);
      const pa = parse(a.stdout);
      const pb = parse(b.stdout);
      expect(complete(pa, plain.program), runSummary('QEMU', a, pa)).toBe(true);
      expect(complete(pb, traced.program), runSummary('QEMU (traced)', b, pb)).toBe(true);
      // Tracing does not change what runs.
      expect(pb.hash).toBe(pa.hash);
      expect(pb.checkpoints).toEqual(pa.checkpoints);
      expect(pb.trace.map((t) => t.index)).toEqual(Array.from({ length: ops }, (_, i) => i));
      const wrong: string[] = [];
      let checked = 0;
      for (const t of pb.trace) {
        const expected = oracle(t, traced.program);
        if (expected === undefined) continue;
        checked++;
        if (t.f !== expected) wrong.push(`${t.line}: expected f = 0x${expected.toString(16)}`);
      }
      expect(wrong.slice(0, 10)).toEqual([]);
      expect(checked).toBeGreaterThan(1000);
    } finally {
      cleanup(plain);
      cleanup(traced);
    }
  });

  it(`${OPS} random FP operations (seed ${SEED}) give the same digests on Hindsight as on QEMU`, async () => {
    await differential({ seed: SEED, ops: OPS }, MIN_OPS);
  }, 600_000);

  it(`${OPS_PMP} random FP operations with PMP on (Hindsight's slow memory path; loads and stores to a locked page)`, async () => {
    await differential({ seed: SEED + 2, ops: OPS_PMP, pmp: true }, OPS_PMP);
  }, 600_000);
});

/** Runs the program on both machines; on a difference, fails with a report of where they first disagree. */
async function differential(opts: GenOptions, minOps: number): Promise<void> {
  const b = build(opts);
  const t0 = Date.now();
  try {
    const [q, h] = await Promise.all([runQemu(b.elf), runHindsight(b.elf)]);
    const qp = parse(q.stdout);
    const hp = parse(h.stdout);
    expect(complete(qp, b.program), runSummary('QEMU', q, qp)).toBe(true);
    expect(qp.ops).toBeGreaterThanOrEqual(minOps);
    if (complete(hp, b.program) && sameDigests(qp, hp)) {
      expect(h.status).toBe(0);
      return;
    }
    const message = await locate(b.program, qp, hp, [runSummary('QEMU', q, qp), runSummary('Hindsight', h, hp)]);
    expect.fail(`${message}\n(${Date.now() - t0} ms)`);
  } finally {
    cleanup(b);
  }
}

// ---------------------------------------------------------------------------
// An independent reference for the operations the host computes exactly: the
// basic operations, square root and conversions between S and D in
// round-to-nearest-even (IEEE double arithmetic; for singles, rounding the
// double result once more is exact for +, -, *, / and sqrt), and sign
// injection. NaN results are the canonical NaN.

const CANON_D = 0x7ff8000000000000n;
const CANON_S = 0xffffffff7fc00000n;

function single(bits: bigint): number {
  return bits >> 32n === 0xffffffffn ? bitsF32(bits) : NaN;
}

function oracle(t: TraceRecord, program: Program): bigint | undefined {
  if (t.traps) return undefined;
  const stub = program.stubs[t.id];
  const A = operandBits(t, stub, 'a');
  const B = operandBits(t, stub, 'b');
  const m = /^(fadd|fsub|fmul|fdiv|fsqrt|fsgnj|fsgnjn|fsgnjx|fcvt\.s|fcvt\.d)\.(s|d)(?:\.(rne|dyn))?$/.exec(stub.name);
  if (!m) return undefined;
  const [, op, p, rm] = m;
  if (rm === 'dyn' && (t.fcsrIn >> 5) !== 0) return undefined;
  if (!op.startsWith('fsgnj') && rm === undefined) return undefined;
  const boxS = (x: number) => (Number.isNaN(x) ? CANON_S : f32Bits(x) | 0xffffffff00000000n);
  const boxD = (x: number) => (Number.isNaN(x) ? CANON_D : f64Bits(x));
  if (op === 'fcvt.s') return p === 'd' ? boxS(Math.fround(bitsF64(A))) : undefined;
  if (op === 'fcvt.d') return p === 's' ? boxD(single(A)) : undefined;
  if (op.startsWith('fsgnj')) {
    // The magnitude of a with a sign from b: bits, no canonicalisation (except of an improperly boxed single).
    const unbox = (x: bigint) => (p === 's' ? (x >> 32n === 0xffffffffn ? x & 0xffffffffn : 0x7fc00000n) : x);
    const a = unbox(A);
    const b = unbox(B);
    const sign = p === 's' ? 1n << 31n : 1n << 63n;
    const s = op === 'fsgnj' ? b & sign : op === 'fsgnjn' ? ~b & sign : (a ^ b) & sign;
    const r = (a & ~sign) | s;
    return p === 's' ? r | 0xffffffff00000000n : r;
  }
  const val = (bits: bigint) => (p === 's' ? single(bits) : bitsF64(bits));
  const a = val(A);
  const b = val(B);
  const x = op === 'fadd' ? a + b : op === 'fsub' ? a - b : op === 'fmul' ? a * b : op === 'fdiv' ? a / b : Math.sqrt(a);
  return p === 's' ? boxS(Math.fround(x)) : boxD(x);
}
