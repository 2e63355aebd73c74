// Instruction counting, QEMU's icount rules: an instruction counts when it
// completes or raises ecall, ebreak or illegal instruction (decoded as such);
// memory-access faults (load, store, AMO, fetch) and interrupts do not count.
// minstret/mcycle read the count including the reading instruction. WFI's
// sleep advances virtual time (the counters), not the retired count.
import { describe, it, expect } from 'vitest';
import { run, CAUSE } from './support';

/**
 * Each case runs `csrr a0, minstret`, then the instruction(s) under test,
 * which trap; the handler's first instruction reads minstret into a2 and
 * stores a2 - a0 (plus mcause) in the results, then resumes at the case's end.
 * A delta of 2 means the trapping instruction counted; 1 that it did not.
 */
function deltaBody(cases: { name: string; asm: string }[]): string {
  const parts = [
    '  la t0, h',
    '  csrw mtvec, t0',
    '  la s11, results',
  ];
  cases.forEach((c, i) => {
    parts.push(`  # ${c.name}`, `  la s1, 9${i}f`, '  csrr a0, minstret', c.asm, `9${i}:`);
  });
  parts.push(
    '  la t0, __mtrap',
    '  csrw mtvec, t0',
    '  EXIT',
    '  .balign 4',
    'h:',
    '  csrr a2, minstret',
    '  sub a2, a2, a0',
    '  sd a2, 0(s11)',
    '  csrr a3, mcause',
    '  sd a3, 8(s11)',
    '  addi s11, s11, 16',
    '  csrw mie, zero',
    '  csrw mepc, s1',
    '  mret',
    '  .data',
    '  .balign 8',
    `results: .space ${cases.length * 16}`,
    '  .text',
  );
  return parts.join('\n');
}

async function deltas(cases: { name: string; asm: string }[]) {
  const r = await run(deltaBody(cases));
  const w = r.words('results', cases.length * 2);
  return { r, got: Object.fromEntries(cases.map((c, i) => [c.name, [w[2 * i], w[2 * i + 1]]])) };
}

describe('what counts', () => {
  it('ecall, ebreak and decoded illegal instructions count; access and misaligned faults do not', async () => {
    const { got } = await deltas([
      { name: 'ecall', asm: '  ecall' },
      { name: 'ebreak', asm: '  ebreak' },
      { name: 'c.ebreak', asm: '  .option rvc\n  c.ebreak\n  .option norvc' },
      { name: 'illegal 32-bit', asm: '  .4byte 0xfe000033' },
      { name: 'illegal 16-bit', asm: '  .2byte 0' },
      { name: 'load access fault', asm: '  ld a1, 0(zero)' },
      { name: 'store access fault', asm: '  sd a1, 8(zero)' },
      { name: 'AMO misaligned', asm: '  la a4, results + 1\n  csrr a0, minstret\n  amoadd.w a1, a1, (a4)' },
      { name: 'LR misaligned', asm: '  la a4, results + 2\n  csrr a0, minstret\n  lr.w a1, (a4)' },
      { name: 'fetch fault (the jump counts)', asm: '  jr zero' },
    ]);
    expect(got).toEqual({
      'ecall': [2n, CAUSE.ecallM],
      'ebreak': [2n, CAUSE.breakpoint],
      'c.ebreak': [2n, CAUSE.breakpoint],
      'illegal 32-bit': [2n, CAUSE.illegal],
      'illegal 16-bit': [2n, CAUSE.illegal],
      'load access fault': [1n, CAUSE.loadAccess],
      'store access fault': [1n, CAUSE.storeAccess],
      'AMO misaligned': [1n, CAUSE.loadMisaligned],
      'LR misaligned': [1n, CAUSE.loadMisaligned],
      'fetch fault (the jump counts)': [2n, CAUSE.fetchAccess],
    });
  });

  it('taking an interrupt does not count (the store to msip does)', async () => {
    const { got } = await deltas([
      { name: 'msip', asm: '  li a4, MSIP\n  li a5, 1\n  li t0, 8\n  csrw mie, t0\n  csrsi mstatus, MSTATUS_MIE\n  csrr a0, minstret\n  sw a5, 0(a4)\n  nop' },
    ]);
    expect(got).toEqual({ msip: [2n, 1n << 63n | 3n] });
    // (the handler left msip set but mie clear)
  });

  // QEMU 7.2 raises these from helpers at run time, which unwinds the
  // instruction's count: unlike illegal instructions caught by the decoder,
  // they do not count.
  it('QEMU 7.2: an illegal instruction raised by a CSR check does not count', async () => {
    const { got } = await deltas([
      { name: 'unknown CSR', asm: '  csrr a1, 0x8ff' },
      { name: 'write to a read-only CSR', asm: '  csrw mhartid, a1' },
      { name: 'write to cycle', asm: '  csrw cycle, a1' },
    ]);
    expect(got).toEqual({
      'unknown CSR': [1n, CAUSE.illegal],
      'write to a read-only CSR': [1n, CAUSE.illegal],
      'write to cycle': [1n, CAUSE.illegal],
    });
  });

  it('mret, sret and CSR instructions count like any other', async () => {
    const r = await run(`
  PMP_ALLOW_ALL
  li t0, 7
  csrw mcounteren, t0
  la t0, 1f
  csrw mepc, t0
  li t0, MSTATUS_MPP
  csrs mstatus, t0
  csrr a0, minstret
  mret
1:
  csrr a1, minstret
  la t0, 2f
  csrw sepc, t0
  li t0, MSTATUS_SPP
  csrs mstatus, t0
  csrr a2, minstret
  sret
2:
  rdinstret a3
  rdinstret a4
  EXIT_ECALL
`);
    expect(r.reg('a1') - r.reg('a0')).toBe(2n); // mret, csrr
    expect(r.reg('a3') - r.reg('a2')).toBe(2n); // sret, rdinstret (in S)
    expect(r.traps).toEqual([]);
    expect(r.reg('a4') - r.reg('a3')).toBe(1n);
  });
});

describe('counters, the engine and virtual time', () => {
  it('the first instruction of the body reads 6 (reset stub) + the prelude + 1', async () => {
    const r = await run('first:\n  csrr a0, minstret\n  csrr a1, mcycle\n  csrr a2, minstret');
    const prelude = (r.sym('first') - 0x80000000n) / 4n;
    expect(r.reg('a0')).toBe(6n + prelude + 1n);
    expect(r.reg('a1')).toBe(6n + prelude + 2n);
    // The engine's count at __exit: everything retired so far (the csrr and the jump to __exit).
    expect(r.icount).toBe(r.reg('a2') + 1n);
  });

  it('a faulting instruction attempt does not advance the engine icount; the next attempt is the handler', async () => {
    const r = await run(`
  li a1, 5
fault:
  ld a1, 0(zero)
`, { breakpoints: ['fault'], stop: 'breakpoint', qemu: false });
    const m = r.machine;
    const before = m.icount;
    expect(m.stepAttempt()).toBeUndefined();
    expect(m.icount).toBe(before);
    expect(m.pc).toBe(r.sym('__mtrap'));
    expect(BigInt.asUintN(64, m.readCsr(0x342) ?? -1n)).toBe(CAUSE.loadAccess);
    expect(m.registers()[11]).toBe(5n);
    m.stepAttempt();
    expect(m.icount).toBe(before + 1n);
  });

  it('WFI sleeping until the timer advances minstret/mcycle/time but not the retired count', async () => {
    const r = await run(`
  li a1, MTIME
  li a2, MTIMECMP
  ld a3, 0(a1)
  addi a3, a3, 100
  sd a3, 0(a2)
  li t0, 0x80
  csrw mie, t0
  csrr a4, minstret
  wfi
  csrr a5, minstret
  rdtime a6
  csrw mie, zero
`);
    // 100 ticks of 100 ns: about 10000 instructions' worth of virtual time went by.
    const slept = r.reg('a5') - r.reg('a4');
    expect(slept).toBeGreaterThan(9800n);
    expect(slept).toBeLessThan(10100n);
    expect(r.reg('a6')).toBeGreaterThanOrEqual(r.reg('a3'));
    expect(r.icount).toBeLessThan(200n);
  });
});
