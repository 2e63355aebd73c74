// F and D in translated code (workers/engine/jit/translate-fp.ts) and the
// interpreter's native fast path (workers/core/fp-fast.ts), differentially:
//
// 1. Blocks of three instances of one arithmetic form (fadd/fsub/fmul/fdiv/
//    fsqrt/fmadd/fmsub/fnmsub/fnmadd, S and D, every static rounding mode and
//    the dynamic one with frm 0..4), on seeded random and edge operands, with
//    fflags' NX clear, set or random: on the interpreter and (once the block is
//    hot) translated, both must give softfloat's results and flags exactly
//    (softfloat.ts compiled on its own is the reference).
// 2. Random blocks of every F/D instruction (and some integer ones), with
//    loads and stores (in RAM, misaligned, faulting, into the block's own code),
//    random mstatus.FS (Off too), frm (reserved too) and fflags: translated
//    code must leave the interpreter's state (registers, f registers, CSRs,
//    pc, icount, memory) after every run.
// FP_JIT_SEED (environment) chooses another seed.
import { beforeAll, describe, expect, it } from 'vitest';
import asc from 'assemblyscript/asc';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Machine } from '../../workers/engine/machine';
import { BufferedInput } from '../../workers/engine/host-input';
import { coreModule, fingerprint } from '../jit/support';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SEED = Number(process.env.FP_JIT_SEED ?? 0x7e57);

type Fn = (...args: (number | bigint | boolean)[]) => number | bigint;
let sf: Record<string, Fn>;
let sfFlags: WebAssembly.Global;

beforeAll(async () => {
  const outputs: Record<string, Uint8Array | string> = {};
  const stderr = asc.createMemoryStream();
  const { error } = await asc.main(
    ['tests/softfloat/entry.ts', '--baseDir', ROOT, '--outFile', 'softfloat.wasm', '--runtime', 'stub', '--optimizeLevel', '3', '--noAssert'],
    {
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
  const instance = await WebAssembly.instantiate(await WebAssembly.compile(new Uint8Array(binary)), { env: { abort: () => { throw new Error('abort'); } } });
  sf = instance.exports as unknown as Record<string, Fn>;
  sfFlags = instance.exports.fpFlags as WebAssembly.Global;
});

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
  pick<T>(xs: readonly T[]): T { return xs[this.below(xs.length)]; }
}

// ---------------------------------------------------------------------------
// The machine: RAM at 0x8000_0000, a trap handler spinning at its base, blocks of code, a data page.

const RAM_BASE = 0x8000_0000n;
const RAM_MIB = 16;
const RAM_END = RAM_BASE + BigInt(RAM_MIB << 20);
const HANDLER = RAM_BASE;
const CODE = RAM_BASE + 0x1000n;
const BLOCK_BYTES = 0x100;
const DATA = RAM_BASE + 0x10_0000n;
const DATA_BYTES = 0x1000;
const CODE_BYTES = 64 * BLOCK_BYTES;
/** The dirty-page map of all of RAM (one byte per 4 KiB page), the executed-code map of the code (one per 64 bytes). */
const DIRTY_BYTES = (RAM_MIB << 20) >> 12;
const EXEC_BYTES = CODE_BYTES / 64;
const MSTATUS = 0x300, MTVEC = 0x305, FCSR = 0x003;
const FS_SHIFT = 13n;
const BOX = 0xffff_ffff_0000_0000n;
const J_SELF = 0x0000006f; // j .
const J_NEXT = 0x0040006f; // j +4

async function machine(jit: boolean): Promise<Machine> {
  const m = await Machine.create(coreModule(), new BufferedInput(new Uint8Array()), { ramMiB: RAM_MIB, jit });
  const bytes = m.core.bytes();
  const ram = m.core.layout.ram;
  new DataView(bytes.buffer).setUint32(ram, J_SELF, true);
  m.core.raw.writeCsr(MTVEC, HANDLER);
  return m;
}

function writeCode(ms: Machine[], at: bigint, words: number[]): void {
  for (const m of ms) {
    const v = m.core.view();
    words.forEach((w, i) => v.setUint32(m.core.layout.ram + Number(at - RAM_BASE) + i * 4, w >>> 0, true));
  }
}

interface State { x: bigint[]; f: bigint[]; fcsr: number; fs: number; pc: bigint; data?: Uint8Array }

function setState(m: Machine, s: State): void {
  const core = m.core;
  const v = core.view();
  for (let i = 1; i < 32; i++) core.writeReg(i, s.x[i]);
  for (let i = 0; i < 32; i++) v.setBigUint64(core.layout.fregs + i * 8, s.f[i], true);
  // fcsr first (writing it needs FS on and makes FS Dirty), then mstatus with the FS wanted.
  core.raw.writeCsr(MSTATUS, 3n << FS_SHIFT);
  core.raw.writeCsr(FCSR, BigInt(s.fcsr));
  core.raw.writeCsr(MSTATUS, BigInt(s.fs) << FS_SHIFT);
  core.raw.setPc(s.pc);
  if (s.data) core.bytes().set(s.data, core.layout.ram + Number(DATA - RAM_BASE));
  // The dirty-page map and the code's executed-code map start clear, so that every run must mark them itself.
  core.bytes().fill(0, core.layout.dirtyPages, core.layout.dirtyPages + DIRTY_BYTES);
  const exec = core.raw.execMapOffset() + Number(CODE - RAM_BASE) / 64;
  core.bytes().fill(0, exec, exec + EXEC_BYTES);
}

/** What a run can change, as one string: fingerprint() without RAM, plus the data page, the code and their maps. */
function observed(m: Machine): string {
  const core = m.core;
  const bytes = core.bytes();
  const hex = (from: number, length: number) => Buffer.from(bytes.subarray(from, from + length)).toString('hex');
  const at = (a: bigint) => core.layout.ram + Number(a - RAM_BASE);
  const exec = core.raw.execMapOffset() + Number(CODE - RAM_BASE) / 64;
  return [fingerprint(m, false), hex(at(DATA), DATA_BYTES), hex(at(CODE), CODE_BYTES), hex(core.layout.dirtyPages, DIRTY_BYTES), hex(exec, EXEC_BYTES)].join('\n');
}

// ---------------------------------------------------------------------------
// Encodings

const opFp = (funct5: number, fmt: number, rs2: number, rs1: number, rm: number, rd: number) =>
  ((funct5 << 27) | (fmt << 25) | (rs2 << 20) | (rs1 << 15) | (rm << 12) | (rd << 7) | 0x53) >>> 0;
const fused = (opcode: number, rs3: number, fmt: number, rs2: number, rs1: number, rm: number, rd: number) =>
  ((rs3 << 27) | (fmt << 25) | (rs2 << 20) | (rs1 << 15) | (rm << 12) | (rd << 7) | opcode) >>> 0;
const loadFp = (f3: number, rd: number, rs1: number, imm: number) => (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | 0x07) >>> 0;
const storeFp = (f3: number, rs2: number, rs1: number, imm: number) =>
  ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 31) << 7) | 0x27) >>> 0;
const addi = (rd: number, rs1: number, imm: number) => (((imm & 0xfff) << 20) | (rs1 << 15) | (rd << 7) | 0x13) >>> 0;

// ---------------------------------------------------------------------------
// Operands

interface Fmt { bits: number; frac: number; expMax: number }
const D: Fmt = { bits: 64, frac: 52, expMax: 0x7ff };
const S: Fmt = { bits: 32, frac: 23, expMax: 0xff };
const pack = (f: Fmt, sign: number, e: number, frac: bigint) => (BigInt(sign) << BigInt(f.bits - 1)) | (BigInt(e) << BigInt(f.frac)) | frac;

function fracBits(rng: Rng, f: Fmt): bigint {
  switch (rng.below(4)) {
    case 0: return 0n;
    case 1: return (1n << BigInt(f.frac)) - 1n - BigInt(rng.below(4));
    case 2: return rng.bits(f.frac) & rng.bits(f.frac);
    default: return rng.bits(f.frac);
  }
}

/** Raw bits of one operand of format f: every class, boundaries over-represented, mostly ordinary values. */
function value(rng: Rng, f: Fmt): bigint {
  const sign = rng.below(2);
  const bias = f.expMax >> 1;
  switch (rng.below(16)) {
    case 0: return pack(f, sign, 0, 0n);
    case 1: return pack(f, sign, 0, fracBits(rng, f) || 1n);
    case 2: return pack(f, sign, 1 + rng.below(2), fracBits(rng, f));
    case 3: return pack(f, sign, f.expMax - 1 - rng.below(2), fracBits(rng, f));
    case 4: return pack(f, sign, f.expMax, 0n);
    case 5: return pack(f, sign, f.expMax, (1n << BigInt(f.frac - 1)) | rng.bits(f.frac - 1));
    case 6: return pack(f, sign, f.expMax, rng.bits(f.frac - 1) || 1n);
    case 7: return pack(f, sign, bias - f.frac + rng.below(2 * f.frac), 0n); // small integers, powers of two
    case 8: return pack(f, sign, 1 + rng.below(f.expMax - 1), fracBits(rng, f));
    default: return pack(f, sign, bias - 20 + rng.below(41), fracBits(rng, f));
  }
}

/** An f register holding a single (boxed; one in sixteen improperly boxed) or a double. */
function fValue(rng: Rng, single: boolean): bigint {
  if (!single) return value(rng, D);
  const v = value(rng, S);
  return rng.below(16) === 0 ? (rng.bits(32) << 32n) | v : BOX | v;
}

function fcsrFor(rng: Rng, frmChoices: readonly number[]): number {
  const frm = rng.pick(frmChoices);
  const r = rng.below(4);
  const flags = r === 0 ? 0 : r === 1 ? 1 : rng.bits(5) === 0n ? 0 : Number(rng.bits(5));
  return (frm << 5) | flags;
}

// ---------------------------------------------------------------------------
// Part 1: the softfloat reference for the arithmetic forms

const ARITH = ['fadd', 'fsub', 'fmul', 'fdiv', 'fsqrt', 'fmadd', 'fmsub', 'fnmsub', 'fnmadd'] as const;
type Arith = (typeof ARITH)[number];
const FUSED_OPCODE: Record<string, number> = { fmadd: 0x43, fmsub: 0x47, fnmsub: 0x4b, fnmadd: 0x4f };
const FUNCT5: Record<string, number> = { fadd: 0, fsub: 1, fmul: 2, fdiv: 3, fsqrt: 0x0b };

/** softfloat's result (f register bits) and flags for one arithmetic instruction in effective rounding mode rm. */
function reference(op: Arith, single: boolean, a: bigint, b: bigint, c: bigint, rm: number): { v: bigint; flags: number } {
  const canon = 0x7fc0_0000;
  const s = (x: bigint) => (x >> 32n === 0xffff_ffffn ? Number(x & 0xffff_ffffn) : canon);
  sfFlags.value = 0;
  const p = single ? 'f32' : 'f64';
  const A = single ? s(a) : a, B = single ? s(b) : b, C = single ? s(c) : c;
  let v: number | bigint;
  if (op === 'fsqrt') v = sf[`${p}Sqrt`](A, rm);
  else if (op in FUSED_OPCODE) v = sf[`${p}MulAdd`](A, B, C, op === 'fnmsub' || op === 'fnmadd', op === 'fmsub' || op === 'fnmadd', rm);
  else v = sf[`${p}${op[1].toUpperCase()}${op.slice(2)}`](A, B, rm);
  const bits = single ? BOX | BigInt((v as number) >>> 0) : BigInt.asUintN(64, v as bigint);
  return { v: bits, flags: sfFlags.value as number };
}

describe('F and D arithmetic, interpreted and translated, against softfloat', () => {
  it('every arithmetic form in every rounding mode, NX clear and set: softfloat\'s results and flags on both tiers', { timeout: 300_000 }, async () => {
    const rng = new Rng(SEED);
    const plain = await machine(false);
    const fast = await machine(true);
    const wrong: string[] = [];
    let slot = 0;
    let cases = 0;
    for (const op of ARITH) {
      for (const single of [false, true]) {
        for (const rm of [0, 1, 2, 3, 4, 7]) {
          // Three instances, each on its own registers (rd = 1, 2, 3; sources 10.., 14.., 18..), then j +4.
          const at = CODE + BigInt(slot++ * BLOCK_BYTES);
          const words: number[] = [];
          for (let i = 0; i < 3; i++) {
            const [rd, r1, r2, r3] = [1 + i, 10 + 4 * i, 11 + 4 * i, 12 + 4 * i];
            words.push(op in FUSED_OPCODE ? fused(FUSED_OPCODE[op], r3, single ? 0 : 1, r2, r1, rm, rd)
              : opFp(FUNCT5[op], single ? 0 : 1, op === 'fsqrt' ? 0 : r2, r1, rm, rd));
          }
          words.push(J_NEXT, J_SELF);
          writeCode([plain, fast], at, words);
          for (let n = 0; n < 120; n++) {
            const f = Array.from({ length: 32 }, () => fValue(rng, single));
            // One operand in four is related to another (cancellation, exact multiples, the same value).
            if (rng.below(4) === 0) f[11] = rng.below(2) ? f[10] : f[10] ^ (single ? 0x8000_0000n : 1n << 63n);
            const state: State = { x: new Array<bigint>(32).fill(0n), f, fcsr: fcsrFor(rng, [0, 0, 0, 1, 2, 3, 4]), fs: rng.pick([1, 2, 3, 3]), pc: at };
            // The expected state: each instance in order, flags accruing.
            let flags = state.fcsr & 31;
            const frm = state.fcsr >> 5;
            const expectF = [...f];
            for (let i = 0; i < 3; i++) {
              const r = reference(op, single, expectF[10 + 4 * i], expectF[11 + 4 * i], expectF[12 + 4 * i], rm === 7 ? frm : rm);
              expectF[1 + i] = r.v;
              flags |= r.flags;
            }
            for (const m of [plain, fast]) {
              setState(m, state);
              const stop = m.run(4n);
              const got = m.core.fpRegisters();
              const fcsr = Number(m.core.raw.readCsr(FCSR));
              const fs = Number((m.core.raw.readCsr(MSTATUS) >> FS_SHIFT) & 3n);
              const tier = m === fast ? 'translated' : 'interpreted';
              for (let i = 1; i <= 3; i++) {
                if (got[i] !== expectF[i]) {
                  wrong.push(`${tier} ${op}.${single ? 's' : 'd'} rm ${rm} fcsr 0x${state.fcsr.toString(16)} #${i}: ` +
                    `(0x${f[6 + 4 * i].toString(16)}, 0x${f[7 + 4 * i].toString(16)}, 0x${f[8 + 4 * i].toString(16)}) -> 0x${got[i].toString(16)}, softfloat 0x${expectF[i].toString(16)}`);
                }
              }
              if (fcsr !== ((frm << 5) | flags)) wrong.push(`${tier} ${op} rm ${rm}: fcsr 0x${fcsr.toString(16)}, softfloat 0x${((frm << 5) | flags).toString(16)}`);
              if (fs !== 3) wrong.push(`${tier} ${op}: FS ${fs}, not Dirty`);
              if (stop.reason !== 'budget' || m.pc !== at + 16n) wrong.push(`${tier} ${op}: stopped ${stop.reason} at 0x${m.pc.toString(16)}`);
            }
            cases++;
            if (wrong.length >= 10) break;
          }
          if (wrong.length >= 10) break;
        }
      }
    }
    expect(wrong).toEqual([]);
    // The blocks were hot: most of the translated machine's instructions ran translated.
    expect(cases).toBe(ARITH.length * 2 * 6 * 120);
    expect(Number(fast.core.jitStats().instructions)).toBeGreaterThan(0.7 * Number(fast.icount));
  });
});

// ---------------------------------------------------------------------------
// Part 2: random blocks of everything, translated against interpreted

/** One random instruction of a block: F/D (every kind), an integer addi, or rarely an uncovered FP encoding. */
function randomInsn(rng: Rng): number {
  const fmt = rng.below(2);
  const rm = rng.pick([0, 1, 2, 3, 4, 7, 7, 7, 0]);
  const fr = () => rng.below(32);
  // Integer destinations stay off the base registers x5..x7 (x0 sometimes: the result is dropped, flags stay).
  const xd = () => (rng.below(8) === 0 ? 0 : 8 + rng.below(24));
  const xs = () => rng.below(32);
  switch (rng.below(20)) {
    case 0: case 1: case 2: return opFp(rng.below(4), fmt, fr(), fr(), rm, fr());
    case 3: return opFp(0x0b, fmt, 0, fr(), rm, fr());
    case 4: case 5: return fused(rng.pick([0x43, 0x47, 0x4b, 0x4f]), fr(), fmt, fr(), fr(), rm, fr());
    case 6: return opFp(0x04, fmt, fr(), fr(), rng.below(3), fr());
    case 7: return opFp(0x05, fmt, fr(), fr(), rng.below(2), fr());
    case 8: return opFp(0x08, fmt, fmt === 0 ? 1 : 0, fr(), rm, fr());
    case 9: return opFp(0x14, fmt, fr(), fr(), rng.below(3), xd());
    case 10: return opFp(0x18, fmt, rng.below(4), fr(), rm, xd());
    case 11: return opFp(0x1a, fmt, rng.below(4), xs(), rm, fr());
    case 12: return opFp(0x1c, fmt, 0, fr(), rng.below(2), xd());
    case 13: return opFp(0x1e, fmt, 0, xs(), 0, fr());
    case 14: case 15: return loadFp(rng.pick([2, 3]), fr(), 5 + rng.below(3), rng.below(129) - 64);
    case 16: case 17: return storeFp(rng.pick([2, 3]), fr(), 5 + rng.below(3), rng.below(129) - 64);
    case 18: return addi(xd(), xs(), rng.below(4096) - 2048);
    default: return rng.below(4) === 0 ? opFp(0, 2, fr(), fr(), 0, fr()) : opFp(rng.below(4), fmt, fr(), fr(), rm, fr());
  }
}

describe('random F/D blocks: translated code leaves the interpreter\'s state', () => {
  it('every F/D instruction, loads and stores, FS Off, reserved frm, NX clear and set', { timeout: 300_000 }, async () => {
    const rng = new Rng(SEED + 1);
    const plain = await machine(false);
    const fast = await machine(true);
    const BLOCKS = 48;
    const RUNS = 160;
    let first: string | undefined;
    for (let b = 0; b < BLOCKS && first === undefined; b++) {
      const at = CODE + BigInt(b * BLOCK_BYTES);
      const n = 4 + rng.below(20);
      const words = Array.from({ length: n }, () => randomInsn(rng));
      words.push(J_NEXT, J_SELF);
      writeCode([plain, fast], at, words);
      plain.core.raw.flushTranslations();
      fast.core.raw.flushTranslations();
      for (let r = 0; r < RUNS; r++) {
        const single = rng.below(2) === 0;
        const x = Array.from({ length: 32 }, () => (rng.below(2) ? rng.bits(64) : BigInt.asUintN(64, BigInt(rng.below(2001) - 1000))));
        // Bases: x5 in the data page, x6 there misaligned, x7 anywhere that matters (code, end of RAM, nowhere).
        x[5] = DATA + 64n + BigInt(rng.below((DATA_BYTES - 128) / 8) * 8);
        x[6] = DATA + 64n + BigInt(rng.below(DATA_BYTES - 128));
        x[7] = rng.pick([DATA + 0x800n, at + 64n, RAM_END - 4n, RAM_END - 64n, 0x4000_0000n, DATA + 0xffcn]);
        const data = new Uint8Array(DATA_BYTES);
        for (let i = 0; i < DATA_BYTES; i += 8) new DataView(data.buffer).setBigUint64(i, fValue(rng, rng.below(2) === 0), true);
        const state: State = {
          x, f: Array.from({ length: 32 }, () => fValue(rng, single)), pc: at, data,
          fcsr: fcsrFor(rng, [0, 0, 1, 2, 3, 4, 5, 6, 7]),
          fs: rng.pick([0, 1, 2, 3, 3, 3, 3, 3]),
        };
        for (const m of [plain, fast]) setState(m, state);
        const budget = BigInt(n + 1 + rng.below(3));
        const a = plain.run(budget);
        const c = fast.run(budget);
        const sa = observed(plain), sc = observed(fast);
        if (a.reason !== c.reason || sa !== sc) {
          first = `block ${b} run ${r} (${words.map((w) => w.toString(16)).join(' ')}), fcsr 0x${state.fcsr.toString(16)} FS ${state.fs}: ` +
            `interpreted ${a.reason} pc 0x${plain.pc.toString(16)}, translated ${c.reason} pc 0x${fast.pc.toString(16)}`;
          // Name the first differing f or x register, if any.
          const fp = plain.core.fpRegisters(), fc = fast.core.fpRegisters();
          const xp = plain.core.registers(), xc = fast.core.registers();
          for (let i = 0; i < 32; i++) {
            if (fp[i] !== fc[i]) { first += `; f${i} 0x${fp[i].toString(16)} vs 0x${fc[i].toString(16)}`; break; }
            if (xp[i] !== xc[i]) { first += `; x${i} 0x${xp[i].toString(16)} vs 0x${xc[i].toString(16)}`; break; }
          }
          break;
        }
        // Self-modifying stores leave the block rewritten: put it back (and drop what was translated from it).
        const v = plain.core.view();
        const changed = words.some((w, i) => v.getUint32(plain.core.layout.ram + Number(at - RAM_BASE) + i * 4, true) !== w >>> 0);
        if (changed) {
          writeCode([plain, fast], at, words);
          plain.core.raw.flushTranslations();
          fast.core.raw.flushTranslations();
        }
      }
    }
    expect(first).toBeUndefined();
    expect(fingerprint(fast)).toBe(fingerprint(plain));
    // Translated code did run (the blocks got hot), and not only up to its first FP instruction.
    expect(Number(fast.core.jitStats().instructions)).toBeGreaterThan(0.3 * Number(fast.icount));
  });
});
