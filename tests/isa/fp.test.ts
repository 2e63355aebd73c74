// F and D: the machine-level rules around the arithmetic (mstatus.FS, fcsr,
// rounding-mode traps and how they count, NaN boxing, compressed FP loads and
// stores), each compared with QEMU's final state and instruction counts. The
// arithmetic itself is covered by tests/softfloat (against exact references),
// tests/fp (a million random operations against QEMU) and riscv-tests.
import { describe, it, expect } from 'vitest';
import { checkCases, run, li, CAUSE, type Case } from './support';

const FS_INITIAL = 0x2000n;
const FS_MASK = 0x6000n;
const ENABLE_FP = `  li t0, ${FS_INITIAL}\n  csrs mstatus, t0`;

function c(name: string, asm: string, expected: bigint): Case { return { name, asm, expected }; }

describe('mstatus.FS', () => {
  it('with FS Off every FP instruction and fcsr access traps as illegal; decode-time ones count', async () => {
    const r = await run(`
  li t0, ${FS_MASK}
  csrc mstatus, t0
  fadd.d f1, f2, f3
  fld f1, 0(sp)
  fmv.x.d a0, f1
  csrr a1, fcsr
  csrw frm, zero
  .option rvc
  c.fldsp f1, 8(sp)
  .option norvc
  EXIT
`);
    expect(r.traps.map((t) => t.cause)).toEqual([CAUSE.illegal, CAUSE.illegal, CAUSE.illegal, CAUSE.illegal, CAUSE.illegal, CAUSE.illegal]);
    // mtval holds the instruction bits (the 16-bit ones for c.fldsp): compared with QEMU's in the trap log.
    expect(r.traps[5].tval).toBeLessThan(0x10000n);
  });

  it('becomes Dirty when an f register or fcsr is written, not when only fflags or an x register change', async () => {
    const clean = 0x4000n;
    const cases: Case[] = [
      c('initial, feq', `  li t0, ${FS_MASK}\n  csrc mstatus, t0\n  li t0, ${FS_INITIAL}\n  csrs mstatus, t0\n  feq.d a1, f0, f0\n  csrr a0, mstatus\n  srli a0, a0, 13\n  andi a0, a0, 3`, 1n),
      c('clean, fcvt.w.d', `  li t0, ${FS_MASK}\n  csrc mstatus, t0\n  li t0, ${clean}\n  csrs mstatus, t0\n  fcvt.w.d a1, f0\n  csrr a0, mstatus\n  srli a0, a0, 13\n  andi a0, a0, 3`, 2n),
      c('clean, fsd', `  li t0, ${FS_MASK}\n  csrc mstatus, t0\n  li t0, ${clean}\n  csrs mstatus, t0\n  la a2, scratch\n  fsd f0, 0(a2)\n  csrr a0, mstatus\n  srli a0, a0, 13\n  andi a0, a0, 3`, 2n),
      c('clean, fmv.d.x', `  li t0, ${FS_MASK}\n  csrc mstatus, t0\n  li t0, ${clean}\n  csrs mstatus, t0\n  fmv.d.x f5, zero\n  csrr a0, mstatus\n  srli a0, a0, 13\n  andi a0, a0, 3`, 3n),
      c('clean, csrw fflags', `  li t0, ${FS_MASK}\n  csrc mstatus, t0\n  li t0, ${clean}\n  csrs mstatus, t0\n  csrw fflags, zero\n  csrr a0, mstatus\n  srli a0, a0, 13\n  andi a0, a0, 3`, 3n),
      c('SD follows FS Dirty', `  csrr a0, mstatus\n  srli a0, a0, 63`, 1n),
      c('sstatus shows FS', `  csrr a0, sstatus\n  srli a0, a0, 13\n  andi a0, a0, 3`, 3n),
    ];
    await checkCases(cases, {}, '  .data\n  .balign 8\nscratch: .space 16\n  .text');
  });
});

describe('fcsr', () => {
  it('fflags, frm and fcsr are views of one register', async () => {
    await checkCases([
      c('fcsr write, read back', `${ENABLE_FP}\n  li a1, 0xff\n  csrw fcsr, a1\n  csrr a0, fcsr`, 0xffn),
      c('frm of it', '  csrr a0, frm', 7n),
      c('fflags of it', '  csrr a0, fflags', 0x1fn),
      c('upper bits ignored', '  li a1, -1\n  csrw fcsr, a1\n  csrr a0, fcsr', 0xffn),
      c('fsrm swaps', '  li a1, 2\n  fsrm a0, a1', 7n),
      c('fflags accrue (inexact 1/3)', '  csrw fflags, zero\n  li a1, 1\n  li a2, 3\n  fcvt.d.w f1, a1\n  fcvt.d.w f2, a2\n  fdiv.d f3, f1, f2\n  csrr a0, fflags', 1n),
      c('divide by zero', '  csrw fflags, zero\n  fcvt.d.w f2, zero\n  fdiv.d f3, f1, f2\n  csrr a0, fflags', 8n),
      c('invalid: 0/0', '  csrw fflags, zero\n  fdiv.d f3, f2, f2\n  fmv.x.d a1, f3\n  csrr a0, fflags', 0x10n),
    ]);
  });

  it('a reserved static rounding mode, or dyn while frm is reserved, is refused when it runs (not counted)', async () => {
    const r = await run(`${ENABLE_FP}
  li a1, 1
  fcvt.d.w f1, a1
  .insn r 0x53, 5, 0x01, f2, f1, f1
  .insn r 0x53, 6, 0x01, f2, f1, f1
  li a1, 5
  csrw frm, a1
  fadd.d f2, f1, f1, dyn
  fadd.d f2, f1, f1, rne
  csrw frm, zero
  fadd.d f3, f1, f1, dyn
  fmv.x.d a0, f3
  EXIT
`);
    expect(r.traps.map((t) => t.cause)).toEqual([CAUSE.illegal, CAUSE.illegal, CAUSE.illegal]);
    expect(r.reg('a0')).toBe(0x4000000000000000n);
  });
});

describe('NaN boxing', () => {
  it('single-precision results are boxed; an unboxed operand reads as the canonical NaN', async () => {
    await checkCases([
      c('flw boxes', `${ENABLE_FP}\n  la a1, one_s\n  flw f1, 0(a1)\n  fmv.x.d a0, f1`, 0xffffffff3f800000n),
      c('fadd.s of a boxed value', '  fadd.s f2, f1, f1\n  fmv.x.d a0, f2', 0xffffffff40000000n),
      c('fmv.x.w sign-extends', '  fmv.x.w a0, f2', 0x40000000n),
      c('unboxed operand: canonical NaN', '  li a1, 0x3f800000\n  fmv.d.x f3, a1\n  fadd.s f4, f3, f1\n  fmv.x.d a0, f4', 0xffffffff7fc00000n),
      c('fsgnj.s checks boxing', '  fsgnj.s f4, f3, f1\n  fmv.x.d a0, f4', 0xffffffff7fc00000n),
      c('fclass.s of unboxed: quiet NaN', '  fclass.s a0, f3', 0x200n),
      c('fsw stores the low bits as they are', '  la a1, scratch\n  fsw f3, 0(a1)\n  lwu a0, 0(a1)', 0x3f800000n),
      c('fcvt.d.s of unboxed: canonical NaN', '  fcvt.d.s f5, f3\n  fmv.x.d a0, f5', 0x7ff8000000000000n),
      c('fmv.w.x boxes', '  li a1, -1\n  fmv.w.x f6, a1\n  fmv.x.d a0, f6', 0xffffffffffffffffn),
    ], {}, '  .data\n  .balign 8\none_s: .word 0x3f800000\n  .balign 8\nscratch: .space 16\n  .text');
  });
});

describe('compressed FP loads and stores', () => {
  it('c.fld, c.fsd, c.fldsp, c.fsdsp', async () => {
    await checkCases([
      c('c.fld', `${ENABLE_FP}\n  la s0, words\n  .option rvc\n  c.fld f8, 8(s0)\n  .option norvc\n  fmv.x.d a0, f8`, 0x1122334455667788n),
      c('c.fsd', '  .option rvc\n  c.fsd f8, 16(s0)\n  .option norvc\n  ld a0, 16(s0)', 0x1122334455667788n),
      c('c.fldsp', '  mv t1, sp\n  la sp, words\n  .option rvc\n  c.fldsp f1, 8(sp)\n  c.fsdsp f1, 24(sp)\n  .option norvc\n  mv sp, t1\n  ld a0, 24(s0)', 0x1122334455667788n),
    ], {}, '  .data\n  .balign 8\nwords: .dword 0, 0x1122334455667788, 0, 0\n  .text');
  });
});

describe('Zba, Zbb, Zbc, Zbs', () => {
  const A = 0x8123456789abcdefn;
  const B = 0x00000000f0f0f005n;
  const mask = (v: bigint) => BigInt.asUintN(64, v);
  const clmul = (a: bigint, b: bigint, shift: bigint): bigint => {
    let r = 0n;
    for (let i = 0n; i < 64n; i++) if ((b >> i) & 1n) r ^= a << i;
    return mask(r >> shift);
  };
  const rr = (op: string, expected: bigint): Case => c(`${op}`, `${li('a1', A)}\n${li('a2', B)}\n  ${op} a0, a1, a2`, expected);
  const r1 = (op: string, v: bigint, expected: bigint): Case => c(`${op} ${v.toString(16)}`, `${li('a1', v)}\n  ${op} a0, a1`, expected);
  it('every instruction, compared with values computed here and with QEMU', async () => {
    const rotl = (v: bigint, n: bigint) => mask((v << n) | (v >> (64n - n)));
    const rotl32 = (v: bigint, n: bigint) => BigInt.asUintN(64, BigInt.asIntN(32, ((v << n) | (v >> (32n - n))) & 0xffffffffn));
    const popcount = (v: bigint) => BigInt([...v.toString(2)].filter((d) => d === '1').length);
    const orcb = (v: bigint) => { let r = 0n; for (let i = 0n; i < 64n; i += 8n) if ((v >> i) & 0xffn) r |= 0xffn << i; return r; };
    const A32 = A & 0xffffffffn;
    await checkCases([
      rr('sh1add', mask((A << 1n) + B)), rr('sh2add', mask((A << 2n) + B)), rr('sh3add', mask((A << 3n) + B)),
      rr('add.uw', mask((A & 0xffffffffn) + B)), rr('sh1add.uw', mask(((A & 0xffffffffn) << 1n) + B)),
      rr('sh2add.uw', mask(((A & 0xffffffffn) << 2n) + B)), rr('sh3add.uw', mask(((A & 0xffffffffn) << 3n) + B)),
      c('slli.uw', `${li('a1', A)}\n  slli.uw a0, a1, 7`, (A & 0xffffffffn) << 7n),
      rr('andn', A & ~B & 0xffffffffffffffffn), rr('orn', mask(A | ~B)), rr('xnor', mask(~(A ^ B))),
      r1('clz', A, 0n), r1('clz', 1n, 63n), r1('clz', 0n, 64n), r1('clzw', 0x1234n, 19n), r1('clzw', 0n, 32n),
      r1('ctz', 0x80n, 7n), r1('ctz', 0n, 64n), r1('ctzw', 0x100000000n, 32n), r1('cpop', A, popcount(A)), r1('cpopw', A, popcount(A32)),
      rr('max', B), rr('maxu', A), rr('min', A), rr('minu', B),
      r1('sext.b', 0x80n, 0xffffffffffffff80n), r1('sext.h', 0x7fffn, 0x7fffn), r1('zext.h', A, 0xcdefn),
      rr('rol', rotl(A, B & 63n)), rr('ror', rotl(A, 64n - (B & 63n))),
      c('rori', `${li('a1', A)}\n  rori a0, a1, 12`, rotl(A, 52n)),
      rr('rolw', rotl32(A32, B & 31n)), rr('rorw', rotl32(A32, 32n - (B & 31n))),
      c('roriw', `${li('a1', A)}\n  roriw a0, a1, 4`, 0xfffffffff89abcden),
      r1('orc.b', 0x0100000000ff0010n, orcb(0x0100000000ff0010n)), r1('rev8', A, 0xefcdab8967452381n),
      rr('clmul', clmul(A, B, 0n)),
      c('clmulh', `${li('a1', A)}\n${li('a2', B)}\n  clmulh a0, a1, a2`, (() => {
        let r = 0n;
        for (let i = 0n; i < 64n; i++) if ((B >> i) & 1n) r ^= A << i;
        return mask(r >> 64n);
      })()),
      c('clmulr', `${li('a1', A)}\n${li('a2', B)}\n  clmulr a0, a1, a2`, (() => {
        let r = 0n;
        for (let i = 0n; i < 64n; i++) if ((B >> i) & 1n) r ^= A << i;
        return mask(r >> 63n);
      })()),
      rr('bclr', A & ~(1n << (B & 63n))), rr('bext', (A >> (B & 63n)) & 1n), rr('binv', A ^ (1n << (B & 63n))),
      rr('bset', A | (1n << (B & 63n))),
      c('bclri', `${li('a1', A)}\n  bclri a0, a1, 63`, A & ~(1n << 63n)), c('bexti', `${li('a1', A)}\n  bexti a0, a1, 0`, 1n),
      c('binvi', `${li('a1', A)}\n  binvi a0, a1, 1`, A ^ 2n), c('bseti', `${li('a1', A)}\n  bseti a0, a1, 4`, A | 16n),
    ]);
  });

  it('Zicond is not on QEMU 7.2\'s CPU: czero.eqz is illegal there and here', async () => {
    const r = await run(`
  .insn r 0x33, 5, 0x07, a0, a1, a2
  EXIT
`);
    expect(r.traps.map((t) => t.cause)).toEqual([CAUSE.illegal]);
  });
});
