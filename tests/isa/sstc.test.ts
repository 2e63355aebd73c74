// Sstc (stimecmp) and menvcfg as QEMU 7.2's default CPU has them: every case
// also runs on QEMU and must end in the same state, instruction counts included.
import { describe, it, expect } from 'vitest';
import { run, CAUSE, INTERRUPT } from './support';

const STIP = 1n << 5n;
const bit = (v: bigint, n: number) => (v >> BigInt(n)) & 1n;

describe('Sstc', () => {
  it('menvcfg keeps FIOM, CBIE, CBCFE, CBZE, PBMTE and STCE; stimecmp in M: a past value raises STIP, a future one clears it', async () => {
    const r = await run(`
  li t0, -1
  csrw 0x30a, t0
  csrr a0, 0x30a
  csrw 0x30a, zero
  csrr a1, 0x30a
  csrr a2, 0x14d
  li t0, 12345
  csrw 0x14d, t0
  csrr a3, 0x14d
  csrr a4, mip
  csrw 0x14d, zero
  csrr a5, mip
  li t0, -1
  csrw 0x14d, t0
  csrr a6, mip
`);
    expect(r.reg('a0')).toBe(0xc0000000000000f1n);
    expect(r.reg('a1')).toBe(0n);
    expect(r.reg('a2')).toBe(0n);
    expect(r.reg('a3')).toBe(12345n);
    expect(r.reg('a4') & STIP).toBe(0n);
    expect(r.reg('a5') & STIP).toBe(STIP);
    expect(r.reg('a6') & STIP).toBe(0n);
  });

  it('mip.STIP is writable by software only while menvcfg.STCE is clear; clearing STCE leaves STIP as it is', async () => {
    const r = await run(`
  li t0, 0x20
  csrs mip, t0
  csrr a0, mip
  csrc mip, t0
  li t1, -1
  csrw 0x30a, t1
  csrs mip, t0
  csrr a1, mip
  csrw 0x14d, zero
  csrr a2, mip
  csrc mip, t0
  csrr a3, mip
  csrw 0x30a, zero
  csrr a4, mip
`);
    expect(bit(r.reg('a0'), 5)).toBe(1n);
    expect(bit(r.reg('a1'), 5)).toBe(0n);
    expect(bit(r.reg('a2'), 5)).toBe(1n);
    expect(bit(r.reg('a3'), 5)).toBe(1n);
    expect(bit(r.reg('a4'), 5)).toBe(1n);
  });

  it('from S, stimecmp needs mcounteren.TM and menvcfg.STCE, else it is an illegal instruction; from U never', async () => {
    const r = await run(`
  PMP_ALLOW_ALL
  ENTER_S s1
s1:
f1:
  csrr a0, 0x14d
  ecall
  EXIT_ECALL
`, {});
    expect(r.traps.filter((t) => t.cause === CAUSE.illegal).map((t) => t.epc)).toEqual([r.sym('f1')]);

    const ok = await run(`
  PMP_ALLOW_ALL
  li t0, 2
  csrw mcounteren, t0
  li t0, -1
  csrw 0x30a, t0
  ENTER_S s2
s2:
  li t0, 777
  csrw 0x14d, t0
  csrr a0, 0x14d
  EXIT_ECALL
`);
    expect(ok.reg('a0')).toBe(777n);
    expect(ok.traps.filter((t) => t.cause === CAUSE.illegal)).toEqual([]);

    const user = await run(`
  PMP_ALLOW_ALL
  li t0, 2
  csrw mcounteren, t0
  li t0, -1
  csrw 0x30a, t0
  ENTER_U u3
u3:
f3:
  csrr a1, 0x14d
  EXIT_ECALL
`);
    expect(user.traps.filter((t) => t.cause === CAUSE.illegal).map((t) => t.epc)).toEqual([user.sym('f3')]);
  });

  it('an S-mode timer interrupt from stimecmp, delegated to S, arrives when time reaches it; WFI sleeps until then', async () => {
    const r = await run(`
  PMP_ALLOW_ALL
  li t0, 2
  csrw mcounteren, t0
  li t0, -1
  csrw 0x30a, t0
  li t0, 0x20
  csrw mideleg, t0
  csrw mie, t0
  ENTER_S s1
s1:
  csrr a0, time
  addi a1, a0, 30
  csrw 0x14d, a1
  csrsi sstatus, MSTATUS_SIE
  li s1, 0
1:
  addi s1, s1, 1
  csrr t0, sie
  bnez t0, 1b
  csrr a2, time
  # Now sleep: the next deadline wakes WFI.
  csrr a3, time
  addi a3, a3, 50
  csrw 0x14d, a3
  li t0, 0x20
  csrs sie, t0
  wfi
  csrr a4, time
  csrr a5, sip
  EXIT_ECALL
`);
    const timer = r.traps.filter((t) => t.cause === (INTERRUPT | 5n));
    expect(timer.length).toBeGreaterThanOrEqual(1);
    expect(timer[0].mode).toBe(1n);
    expect(r.reg('a2')).toBeGreaterThanOrEqual(r.reg('a1'));
    expect(r.reg('s1')).toBeGreaterThan(500n);
    expect(r.reg('a4')).toBeGreaterThanOrEqual(r.reg('a3'));
    expect(bit(r.reg('a5'), 5)).toBe(1n);
  });
});
