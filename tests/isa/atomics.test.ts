// A extension: LR/SC success and failure, every AMO in .w and .d forms (the .w
// results sign-extended, .w min/max comparing 32-bit values), alignment traps,
// and the reservation rules QEMU 7.2 applies.
import { describe, it, expect } from 'vitest';
import { checkCases, run, li, u64, s64, u32, s32, sext, CAUSE, type Case } from './support';

const DATA = '  .data\n  .balign 8\nword: .dword 0\nword2: .dword 0\n  .text';

type Amo = [string, (old: bigint, src: bigint, w: boolean) => bigint];
const AMOS: Amo[] = [
  ['amoswap', (_o, s) => s],
  ['amoadd', (o, s) => o + s],
  ['amoxor', (o, s) => o ^ s],
  ['amoand', (o, s) => o & s],
  ['amoor', (o, s) => o | s],
  ['amomin', (o, s, w) => (w ? (s32(o) < s32(s) ? o : s) : (s64(o) < s64(s) ? o : s))],
  ['amomax', (o, s, w) => (w ? (s32(o) > s32(s) ? o : s) : (s64(o) > s64(s) ? o : s))],
  ['amominu', (o, s, w) => (w ? (u32(o) < u32(s) ? o : s) : (u64(o) < u64(s) ? o : s))],
  ['amomaxu', (o, s, w) => (w ? (u32(o) > u32(s) ? o : s) : (u64(o) > u64(s) ? o : s))],
];
// (memory, rs2) pairs that separate signed from unsigned and 32 from 64 bits.
const PAIRS: [bigint, bigint][] = [
  [0x80000000n, 1n],
  [1n, 0x80000000n],
  [0xffffffffn, 0x7fffffffn],
  [5n, -3n],
  [0x7fffffffffffffffn, -0x8000000000000000n],
  [0x00000001ffffffffn, 0xdeadbeef00000002n], // upper halves differ: .w ignores them
];

describe('AMOs', () => {
  for (const [w, suffix] of [[true, 'w'], [false, 'd']] as const) {
    it(`every amo*.${suffix}: rd gets the old value${w ? ' sign-extended' : ''}, memory the result`, async () => {
      const cases: Case[] = [];
      const store = w ? 'sw' : 'sd';
      const load = w ? 'lwu' : 'ld';
      for (const [op, f] of AMOS) {
        for (const [mem, src] of PAIRS) {
          const old = w ? u32(mem) : u64(mem);
          const prep = `  la a1, word\n  li a2, -1\n  sd a2, 0(a1)\n${li('a2', mem)}\n  ${store} a2, 0(a1)\n${li('a3', src)}\n  ${op}.${suffix} a0, a3, (a1)`;
          const result = w ? u32(f(old, u32(src), true)) : u64(f(old, u64(src), false));
          cases.push({ name: `${op}.${suffix} mem=${mem} rs2=${src}: rd`, asm: prep, expected: w ? sext(old, 32) : old });
          cases.push({ name: `${op}.${suffix} mem=${mem} rs2=${src}: memory`, asm: `${prep}\n  ${load} a0, 0(a1)`, expected: result });
          if (w) {
            // The word after the target is untouched.
            cases.push({ name: `${op}.w mem=${mem} rs2=${src}: next word`, asm: `${prep}\n  lwu a0, 4(a1)`, expected: 0xffffffffn });
          }
        }
      }
      await checkCases(cases, {}, DATA);
    });
  }

  it('aq/rl variants behave the same; rd = x0 still updates memory', async () => {
    const r = await run(`
  la a1, word
  li a2, 10
  sd a2, 0(a1)
  li a3, 3
  amoadd.d.aq a4, a3, (a1)
  amoadd.d.rl a5, a3, (a1)
  amoadd.d.aqrl a6, a3, (a1)
  amoadd.d zero, a3, (a1)
  ld a7, 0(a1)
  lr.d.aqrl s1, (a1)
  sc.d.aqrl s2, a3, (a1)
  ld s3, 0(a1)
${DATA}`);
    expect([r.reg('a4'), r.reg('a5'), r.reg('a6'), r.reg('a7')]).toEqual([10n, 13n, 16n, 22n]);
    expect([r.reg('s1'), r.reg('s2'), r.reg('s3')]).toEqual([22n, 0n, 3n]);
  });
});

describe('LR/SC', () => {
  it('lr.w sign-extends; sc.w/sc.d succeed after a matching LR, write rs2 and return 0', async () => {
    const r = await run(`
  la a1, word
  li a2, 0x80000001
  sw a2, 0(a1)
  lr.w a3, (a1)
  li a4, 0x1122334455667788
  sc.w a5, a4, (a1)
  ld a6, 0(a1)
  la s1, word2
  li a2, -2
  sd a2, 0(s1)
  lr.d s2, (s1)
  li a4, 77
  sc.d s3, a4, (s1)
  ld s4, 0(s1)
${DATA}`);
    expect(r.reg('a3')).toBe(0xffffffff80000001n);
    expect(r.reg('a5')).toBe(0n);
    expect(r.reg('a6')).toBe(0x55667788n); // only the low word was written
    expect(r.reg('s2')).toBe(u64(-2n));
    expect(r.reg('s3')).toBe(0n);
    expect(r.reg('s4')).toBe(77n);
  });

  it('sc fails (rd = 1, memory unchanged) without a reservation, at another address, and after an SC', async () => {
    const r = await run(`
  la a1, word
  la s1, word2
  li a2, 5
  sd a2, 0(a1)
  sd a2, 0(s1)
  li a3, 9
  sc.d a4, a3, (a1)
  lr.d a5, (a1)
  sc.d a6, a3, (s1)
  sc.d a7, a3, (a1)
  lr.d a5, (a1)
  sc.d s2, a3, (a1)
  sc.d s3, a3, (a1)
  ld s4, 0(s1)
  ld s5, 0(a1)
${DATA}`);
    expect(r.reg('a4')).toBe(1n); // no LR yet
    expect(r.reg('a6')).toBe(1n); // another address (and the reservation is gone after it)
    expect(r.reg('a7')).toBe(1n);
    expect(r.reg('s2')).toBe(0n);
    expect(r.reg('s3')).toBe(1n); // the successful SC used the reservation up
    expect(r.reg('s4')).toBe(5n);
    expect(r.reg('s5')).toBe(9n);
  });

  it('QEMU 7.2: SC compares values: it succeeds after a store of the same value, fails after a different one', async () => {
    const r = await run(`
  la a1, word
  li a2, 5
  sd a2, 0(a1)
  lr.d a3, (a1)
  sd a3, 0(a1)
  li a4, 6
  sc.d a5, a4, (a1)
  lr.d a3, (a1)
  li a4, 7
  sd a4, 0(a1)
  sc.d a6, a3, (a1)
  ld a7, 0(a1)
${DATA}`);
    expect(r.reg('a5')).toBe(0n);
    expect(r.reg('a6')).toBe(1n);
    expect(r.reg('a7')).toBe(7n);
  });

  it('QEMU 7.2: mret drops the reservation (every privilege change, trap or xRET, does)', async () => {
    const r = await run(`
  la a1, word
  lr.d a3, (a1)
  la t0, 1f
  csrw mepc, t0
  li t0, MSTATUS_MPP
  csrs mstatus, t0
  mret
1:
  sc.d a5, a3, (a1)
${DATA}`);
    expect(r.reg('a5')).toBe(1n);
  });

  it('QEMU 7.2: taking a trap drops the reservation (an SC in the handler fails)', async () => {
    const r = await run(`
  la t0, handler
  csrw mtvec, t0
  la a1, word
  li a2, 5
  sd a2, 0(a1)
  lr.d a3, (a1)
  li a4, 99
  ecall
  EXIT
  .balign 4
handler:
  sc.d a5, a4, (a1)
  ld a6, 0(a1)
  EXIT
${DATA}`);
    expect(r.csr(0x342)).toBe(CAUSE.ecallM);
    expect(r.reg('a5')).toBe(1n);
    expect(r.reg('a6')).toBe(5n);
  });
});

describe('alignment and access faults', () => {
  it('misaligned LR raises load address misaligned (4) with mtval = the address', async () => {
    const r = await run(`
  la a1, word
  addi a2, a1, 2
  addi a3, a1, 4
  li a4, 55
at:
  lr.w a4, (a2)
  lr.d a4, (a3)
${DATA}`);
    const w = r.sym('word');
    expect(r.traps.map((t) => [t.cause, t.epc, t.tval])).toEqual([
      [CAUSE.loadMisaligned, r.sym('at'), w + 2n],
      [CAUSE.loadMisaligned, r.sym('at') + 4n, w + 4n],
    ]);
    expect(r.reg('a4')).toBe(55n);
  });

  // The ISA manual gives store/AMO address misaligned (6) for AMOs; QEMU 7.2
  // (single-threaded TCG, as with -icount) checks the AMO's alignment on its
  // load and raises load address misaligned (4).
  it('QEMU 7.2: a misaligned AMO raises load address misaligned (4), touching nothing', async () => {
    const r = await run(`
  la a1, word
  li a2, 0x1111
  sd a2, 0(a1)
  addi a2, a1, 2
  addi a3, a1, 4
  li a4, 55
  li a5, 1
at:
  amoadd.w a4, a5, (a2)
  amoswap.d a4, a5, (a3)
  amoor.d a4, a5, (a2)
  ld a6, 0(a1)
${DATA}`);
    const w = r.sym('word');
    expect(r.traps.map((t) => [t.cause, t.epc, t.tval])).toEqual([
      [CAUSE.loadMisaligned, r.sym('at'), w + 2n],
      [CAUSE.loadMisaligned, r.sym('at') + 4n, w + 4n],
      [CAUSE.loadMisaligned, r.sym('at') + 8n, w + 2n],
    ]);
    expect(r.reg('a4')).toBe(55n);
    expect(r.reg('a6')).toBe(0x1111n);
  });

  it('QEMU 7.2: a misaligned SC fails quietly without a reservation, and traps (4) with one', async () => {
    const r = await run(`
  la a1, word
  addi a2, a1, 4
  li a5, 1
  sc.d a6, a5, (a2)
  lr.w a3, (a2)
at:
  sc.d a7, a5, (a2)
${DATA}`);
    expect(r.reg('a6')).toBe(1n);
    expect(r.traps.map((t) => [t.cause, t.epc, t.tval])).toEqual([[CAUSE.loadMisaligned, r.sym('at'), r.sym('word') + 4n]]);
  });

  it('LR from unmapped memory is a load access fault; SC there without a reservation just fails', async () => {
    const r = await run(`
  li a1, 0x40
  li a3, 7
at:
  lr.d a3, (a1)
  sc.d a4, a3, (a1)
`);
    expect(r.traps.map((t) => [t.cause, t.epc, t.tval])).toEqual([[CAUSE.loadAccess, r.sym('at'), 0x40n]]);
    expect(r.reg('a3')).toBe(7n);
    expect(r.reg('a4')).toBe(1n);
  });

  // QEMU 7.2 performs AMOs outside RAM as a load, the operation and a store
  // (single-threaded TCG): on unmapped memory the load faults first.
  it('QEMU 7.2: an AMO on unmapped memory raises load access fault (5)', async () => {
    const r = await run(`
  li a1, 0x40
  li a2, 1
at:
  amoadd.w a3, a2, (a1)
  amoswap.d a3, a2, (a1)
`);
    expect(r.traps.map((t) => [t.cause, t.epc, t.tval])).toEqual([
      [CAUSE.loadAccess, r.sym('at'), 0x40n],
      [CAUSE.loadAccess, r.sym('at') + 4n, 0x40n],
    ]);
  });

  it('QEMU 7.2: AMOs work on device registers (amoor.w/amoand.w on CLINT msip)', async () => {
    const r = await run(`
  li a1, MSIP
  li a2, 1
  amoor.w a3, a2, (a1)
  csrr a4, mip
  amoand.w a5, zero, (a1)
  csrr a6, mip
`);
    expect(r.traps).toEqual([]);
    expect(r.reg('a3')).toBe(0n);
    expect(r.reg('a4') & 8n).toBe(8n);
    expect(r.reg('a5')).toBe(1n);
    expect(r.reg('a6') & 8n).toBe(0n);
  });

  it('reserved A encodings are illegal: LR with rs2 != 0, unknown funct5, byte/half widths', async () => {
    const bad = [
      0x1005a52f | (1 << 20), // lr.w a0, (a1) with rs2 = x1
      0x28c5a52f, // funct5 00101
      0x00c5852f, // amoadd with funct3 000 (byte)
      0x00c5952f, // amoadd with funct3 001 (half)
    ];
    const r = await run(`
  la a1, word
  li a2, 1
  li a0, 3
${bad.map((b) => `  .4byte 0x${b.toString(16)}`).join('\n')}
${DATA}`);
    expect(r.traps.map((t) => [t.cause, t.tval])).toEqual(bad.map((b) => [CAUSE.illegal, BigInt(b)]));
    expect(r.reg('a0')).toBe(3n);
  });
});
