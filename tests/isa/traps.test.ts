// Trap entry and return: mcause/mepc/mtval, the mstatus stack (MPP/MPIE,
// SPP/SPIE), mret/sret and their privilege checks, delegation (medeleg,
// mideleg), vectored mtvec/stvec, ecall from M/S/U, ebreak, fetch faults,
// WFI, the CLINT timer (mtimecmp) and software interrupt (msip).
import { describe, it, expect } from 'vitest';
import { run, INTERRUPT, CAUSE } from './support';

const mpp = (status: bigint) => (status >> 11n) & 3n;
const bit = (v: bigint, n: number) => (v >> BigInt(n)) & 1n;

describe('exceptions from M, S and U', () => {
  it('ecall from M: cause 11, mepc = the ecall, mtval 0, MPP = M, MPIE = old MIE, MIE cleared', async () => {
    const r = await run(`
  csrsi mstatus, MSTATUS_MIE
at:
  ecall
  csrr a0, mstatus
  csrci mstatus, MSTATUS_MIE
`);
    expect(r.traps.map((t) => [t.mode, t.cause, t.epc, t.tval, mpp(t.status), bit(t.status, 7), bit(t.status, 3)]))
      .toEqual([[3n, CAUSE.ecallM, r.sym('at'), 0n, 3n, 1n, 0n]]);
    // mret restored MIE from MPIE, set MPIE and left MPP = U.
    expect([bit(r.reg('a0'), 3), bit(r.reg('a0'), 7), mpp(r.reg('a0'))]).toEqual([1n, 1n, 0n]);
  });

  it('ecall from S (9) and from U (8) go to M with MPP = S / U', async () => {
    const s = await run(`
  PMP_ALLOW_ALL
  ENTER_S sup
sup:
at:
  ecall
  EXIT_ECALL
`);
    expect(s.traps.map((t) => [t.mode, t.cause, t.epc, t.tval, mpp(t.status)])).toEqual([[3n, CAUSE.ecallS, s.sym('at'), 0n, 1n]]);
    const u = await run(`
  PMP_ALLOW_ALL
  ENTER_U user
user:
at:
  ecall
  EXIT_ECALL
`);
    expect(u.traps.map((t) => [t.mode, t.cause, t.epc, t.tval, mpp(t.status)])).toEqual([[3n, CAUSE.ecallU, u.sym('at'), 0n, 0n]]);
  });

  it('ebreak: breakpoint (3) with mtval 0, in M and U', async () => {
    const r = await run(`
  PMP_ALLOW_ALL
at:
  ebreak
  ENTER_U user
user:
atu:
  ebreak
  EXIT_ECALL
`);
    expect(r.traps.map((t) => [t.cause, t.epc, t.tval, mpp(t.status)])).toEqual([
      [CAUSE.breakpoint, r.sym('at'), 0n, 3n],
      [CAUSE.breakpoint, r.sym('atu'), 0n, 0n],
    ]);
  });

  it('instruction fetch from unmapped memory: access fault (1), mepc = mtval = the address', async () => {
    const r = await run(`
  li a1, 0x90000000
  jalr ra, 0(a1)
`);
    expect(r.traps.map((t) => [t.cause, t.epc, t.tval])).toEqual([[CAUSE.fetchAccess, 0x90000000n, 0x90000000n]]);
    const z = await run('  jr zero');
    expect(z.traps.map((t) => [t.cause, t.epc, t.tval])).toEqual([[CAUSE.fetchAccess, 0n, 0n]]);
  });
});

describe('mret and sret', () => {
  it('mret: pc = mepc, privilege = MPP, MIE = MPIE, MPIE = 1, MPP = U', async () => {
    const r = await run(`
  PMP_ALLOW_ALL
  # to M with MPIE = 0: MIE becomes 0
  li t0, MSTATUS_MPP | MSTATUS_MIE
  csrs mstatus, t0
  li t0, MSTATUS_MPIE
  csrc mstatus, t0
  la t0, 1f
  csrw mepc, t0
  mret
  li a0, 99
1:
  csrr a1, mstatus
  # to S with MPIE = 1
  li t0, MSTATUS_MPIE
  csrs mstatus, t0
  ENTER_S sup
sup:
  ecall
  EXIT_ECALL
`);
    const a1 = r.reg('a1');
    expect(r.reg('a0')).toBe(0n);
    expect([bit(a1, 3), bit(a1, 7), mpp(a1)]).toEqual([0n, 1n, 0n]);
    // At the ecall from S: MPP = S, and MPIE = the MIE that mret set from MPIE = 1.
    expect(r.traps.map((t) => [t.cause, mpp(t.status), bit(t.status, 7)])).toEqual([[CAUSE.ecallS, 1n, 1n]]);
  });

  // Privileged spec 1.12: an xRET to a mode below M clears MPRV. QEMU 7.2
  // does not (that came in a later QEMU), so MPRV survives mret and sret to S.
  it('QEMU 7.2: mret or sret to S leaves mstatus.MPRV set', async () => {
    const r = await run(`
  PMP_ALLOW_ALL
  li t0, MSTATUS_MPRV
  csrs mstatus, t0
  ENTER_S sup
sup:
  ecall
  EXIT_ECALL
`);
    expect(r.traps.map((t) => [t.cause, mpp(t.status), bit(t.status, 17)])).toEqual([[CAUSE.ecallS, 1n, 1n]]);
    const s = await run(`
  PMP_ALLOW_ALL
  li t0, MSTATUS_MPRV | MSTATUS_SPP
  csrs mstatus, t0
  la t0, sup
  csrw sepc, t0
  sret
sup:
  ecall
  EXIT_ECALL
`);
    expect(s.traps.map((t) => [t.cause, mpp(t.status), bit(t.status, 17)])).toEqual([[CAUSE.ecallS, 1n, 1n]]);
  });

  it('sret: pc = sepc, privilege = SPP, SIE = SPIE, SPIE = 1, SPP = U; allowed in M', async () => {
    const r = await run(`
  PMP_ALLOW_ALL
  li t0, MSTATUS_SPP | MSTATUS_SPIE
  csrs mstatus, t0
  csrci mstatus, MSTATUS_SIE
  la t0, sup
  csrw sepc, t0
  sret
sup:
  csrr a1, sstatus
  la t0, user
  csrw sepc, t0
  sret
user:
  ecall
  EXIT_ECALL
`);
    const a1 = r.reg('a1');
    expect([bit(a1, 1), bit(a1, 5), bit(a1, 8)]).toEqual([1n, 1n, 0n]);
    expect(r.traps.map((t) => [t.cause, mpp(t.status)])).toEqual([[CAUSE.ecallU, 0n]]);
  });

  it('mret in S, and sret in S with TSR = 1, are illegal instructions', async () => {
    const r = await run(`
  PMP_ALLOW_ALL
  li t0, MSTATUS_TSR
  csrs mstatus, t0
  ENTER_S sup
sup:
s_mret:
  mret
s_sret:
  sret
  EXIT_ECALL
`);
    expect(r.traps.map((t) => [t.cause, t.epc, t.tval, mpp(t.status)])).toEqual([
      [CAUSE.illegal, r.sym('s_mret'), 0x30200073n, 1n],
      [CAUSE.illegal, r.sym('s_sret'), 0x10200073n, 1n],
    ]);
  });

  it('sret from U and mret from U are illegal', async () => {
    const r = await run(`
  PMP_ALLOW_ALL
  ENTER_U user
user:
u_mret:
  mret
u_sret:
  sret
  EXIT_ECALL
`);
    expect(r.traps.map((t) => [t.cause, t.epc, t.tval, mpp(t.status)])).toEqual([
      [CAUSE.illegal, r.sym('u_mret'), 0x30200073n, 0n],
      [CAUSE.illegal, r.sym('u_sret'), 0x10200073n, 0n],
    ]);
  });
});

describe('delegation', () => {
  it('medeleg: ecall from U and illegal from S go to the S handler (scause/sepc/stval/SPP/SPIE); from M never', async () => {
    const r = await run(`
  PMP_ALLOW_ALL
  li t0, (1 << 8) | (1 << 2)
  csrw medeleg, t0
m_ill:
  .4byte 0xfe000033
  csrsi sstatus, MSTATUS_SIE
  ENTER_S sup
sup:
s_ill:
  .4byte 0xfe000033
  csrci sstatus, MSTATUS_SIE
  la t0, user
  csrw sepc, t0
  li t0, MSTATUS_SPP
  csrc sstatus, t0
  sret
user:
u_ecall:
  ecall
  EXIT_ECALL
`);
    expect(r.traps.map((t) => [t.mode, t.cause, t.epc, t.tval])).toEqual([
      [3n, CAUSE.illegal, r.sym('m_ill'), 0xfe000033n],
      [1n, CAUSE.illegal, r.sym('s_ill'), 0xfe000033n],
      [1n, CAUSE.ecallU, r.sym('u_ecall'), 0n],
    ]);
    const [, s, u] = r.traps;
    // sstatus at the S handler: SPP = S and SPIE = 1 (SIE was set, and is now clear); then SPP = U.
    expect([bit(s.status, 8), bit(s.status, 5), bit(s.status, 1)]).toEqual([1n, 1n, 0n]);
    expect(bit(u.status, 8)).toBe(0n);
    expect(r.csr(0x342)).toBe(CAUSE.ecallS); // mcause: the final ecall from S (through the S handler)
  });

  it('mideleg: a delegated supervisor software interrupt is taken in S when SIE is set', async () => {
    const r = await run(`
  PMP_ALLOW_ALL
  li t0, 0x2
  csrw mideleg, t0
  csrs mie, t0
  csrs mip, t0
  # S with SIE = 0: the interrupt waits
  ENTER_S sup
sup:
  nop
  nop
  csrsi sstatus, MSTATUS_SIE
first:
  nop
  csrci sstatus, MSTATUS_SIE
  EXIT_ECALL
`);
    expect(r.traps.map((t) => [t.mode, t.cause, t.epc, t.tval])).toEqual([[1n, INTERRUPT | 1n, r.sym('first'), 0n]]);
  });

  it('a non-delegated interrupt is taken in M from S and U whatever mstatus.MIE says', async () => {
    const r = await run(`
  PMP_ALLOW_ALL
  csrci mstatus, MSTATUS_MIE
  li t0, 0x8
  csrw mie, t0
  ENTER_U user
user:
  li a1, MSIP
  li a2, 1
  sw a2, 0(a1)
after:
  nop
  sw zero, 0(a1)
  EXIT_ECALL
`);
    expect(r.traps.map((t) => [t.mode, t.cause, t.epc, mpp(t.status)])).toEqual([[3n, INTERRUPT | 3n, r.sym('after'), 0n]]);
  });
});

describe('interrupts', () => {
  it('vectored mtvec: interrupts go to base + 4 * cause, exceptions to base', async () => {
    const r = await run(`
  la t0, vtable
  ori t0, t0, 1
  csrw mtvec, t0
  li s1, 0
  li t0, 0x80
  csrw mie, t0
  csrsi mstatus, MSTATUS_MIE
  nop
  ecall
  la t0, __mtrap
  csrw mtvec, t0
  EXIT
  .balign 256
vtable:
  j exc
  .rept 6
  j bad
  .endr
  j mti
  .rept 8
  j bad
  .endr
exc:
  addi s1, s1, 1
  csrr s2, mcause
  csrr t0, mepc
  addi t0, t0, 4
  csrw mepc, t0
  mret
mti:
  addi s1, s1, 10
  csrr s3, mcause
  csrw mie, zero
  mret
bad:
  li s1, -1
  EXIT
`);
    expect(r.reg('s1')).toBe(11n);
    expect(r.reg('s2')).toBe(CAUSE.ecallM);
    expect(r.reg('s3')).toBe(INTERRUPT | 7n);
  });

  it('vectored stvec: a delegated software interrupt goes to base + 4', async () => {
    const r = await run(`
  PMP_ALLOW_ALL
  la t0, svec
  ori t0, t0, 1
  csrw stvec, t0
  li t0, 0x2
  csrw mideleg, t0
  csrs mie, t0
  csrs mip, t0
  li s1, 0
  ENTER_S sup
sup:
  csrsi sstatus, MSTATUS_SIE
  nop
  EXIT_ECALL
  .balign 256
svec:
  j sbad
  j ssi
  j sbad
ssi:
  addi s1, s1, 1
  csrr s2, scause
  li t0, 2
  csrc sip, t0
  sret
sbad:
  li s1, -1
  EXIT_ECALL
`);
    expect(r.reg('s1')).toBe(1n);
    expect(r.reg('s2')).toBe(INTERRUPT | 1n);
  });

  it('software interrupt: a store to msip sets mip.MSIP; the interrupt comes at the next instruction', async () => {
    const r = await run(`
  li a1, MSIP
  lw a3, 0(a1)
  li a2, 1
  sw a2, 0(a1)
  lw a4, 0(a1)
  csrr a5, mip
  li t0, 0x8
  csrs mie, t0
  csrsi mstatus, MSTATUS_MIE
after:
  nop
  sw zero, 0(a1)
  csrr a6, mip
  lw a7, 0(a1)
  csrci mstatus, MSTATUS_MIE
`);
    expect([r.reg('a3'), r.reg('a4'), bit(r.reg('a5'), 3), bit(r.reg('a6'), 3), r.reg('a7')]).toEqual([0n, 1n, 1n, 0n, 0n]);
    expect(r.traps.map((t) => [t.cause, t.epc, t.tval])).toEqual([[INTERRUPT | 3n, r.sym('after'), 0n]]);
  });

  it('priority: with MSI and MTI both pending, MSI (3) is taken first', async () => {
    const r = await run(`
  li a1, MSIP
  li a2, 1
  sw a2, 0(a1)
  li t0, 0x88
  csrw mie, t0
  csrsi mstatus, MSTATUS_MIE
  nop
  sw zero, 0(a1)
  csrci mstatus, MSTATUS_MIE
`);
    // mtimecmp is 0 from power-on, so MTIP is pending too; the standard handler disables mie after the first.
    expect(r.traps.map((t) => t.cause)).toEqual([INTERRUPT | 3n]);
  });

  it('timer: mtimecmp in the future clears MTIP; the interrupt comes when mtime reaches it', async () => {
    const r = await run(`
  li a1, MTIME
  li a2, MTIMECMP
  ld a3, 0(a1)
  addi a3, a3, 20
  sd a3, 0(a2)
  csrr a4, mip
  li t0, 0x80
  csrw mie, t0
  csrsi mstatus, MSTATUS_MIE
  li s1, 0
1:
  addi s1, s1, 1
  csrr t0, mie
  bnez t0, 1b
  ld a5, 0(a1)
  csrr a6, mip
  li t0, -1
  sd t0, 0(a2)
  csrr a7, mip
  csrci mstatus, MSTATUS_MIE
`);
    expect(bit(r.reg('a4'), 7)).toBe(0n);
    expect(r.traps.map((t) => [t.cause, t.tval])).toEqual([[INTERRUPT | 7n, 0n]]);
    expect(r.reg('a5')).toBeGreaterThanOrEqual(r.reg('a3'));
    expect(r.reg('a5') - r.reg('a3')).toBeLessThan(2n);
    expect(bit(r.reg('a6'), 7)).toBe(1n);
    expect(bit(r.reg('a7'), 7)).toBe(0n);
    // 20 ticks of 100 instructions, three instructions per loop iteration.
    expect(r.reg('s1')).toBeGreaterThan(600n);
    expect(r.reg('s1')).toBeLessThan(700n);
  });

  it('CLINT: 32-bit halves of mtime and mtimecmp; mtime counts 100 instructions per tick', async () => {
    const r = await run(`
  li a1, MTIME
  li a2, MTIMECMP
  lwu a3, 0(a1)
  lwu a4, 4(a1)
  li t0, -1
  sw t0, 4(a2)
  li t0, 0x12345678
  sw t0, 0(a2)
  ld a5, 0(a2)
  lwu a6, 4(a2)
  csrr a7, mip
  li t0, 0
  .rept 200
  addi t0, t0, 1
  .endr
  ld s1, 0(a1)
  sub s1, s1, a3
`);
    expect(r.reg('a4')).toBe(0n);
    expect(r.reg('a5')).toBe(0xffffffff12345678n);
    expect(r.reg('a6')).toBe(0xffffffffn);
    expect(bit(r.reg('a7'), 7)).toBe(0n);
    expect([2n, 3n]).toContain(r.reg('s1'));
  });

  it('the timer interrupts U-mode code; mepc is the interrupted instruction', async () => {
    const r = await run(`
  PMP_ALLOW_ALL
  li a1, MTIME
  li a2, MTIMECMP
  ld a3, 0(a1)
  addi a3, a3, 5
  sd a3, 0(a2)
  li t0, 0x80
  csrw mie, t0
  ENTER_U user
user:
  li s1, 0
1:
  addi s1, s1, 1
  j 1b
`, { budget: 5000n, stop: 'budget', qemu: false });
    expect(r.traps.length).toBe(1);
    const [t] = r.traps;
    expect([t.cause, mpp(t.status)]).toEqual([INTERRUPT | 7n, 0n]);
    expect([r.sym('user') + 4n, r.sym('user') + 8n]).toContain(t.epc);
  });
});

describe('WFI', () => {
  it('wakes on a pending enabled interrupt even with MIE = 0 and continues without a trap', async () => {
    const r = await run(`
  li a1, MTIME
  li a2, MTIMECMP
  ld a3, 0(a1)
  addi a3, a3, 50
  sd a3, 0(a2)
  li t0, 0x80
  csrw mie, t0
  wfi
  ld a4, 0(a1)
  csrr a5, mip
  csrw mie, zero
`);
    expect(r.traps).toEqual([]);
    expect(r.reg('a4')).toBeGreaterThanOrEqual(r.reg('a3'));
    expect(bit(r.reg('a5'), 7)).toBe(1n);
  });

  // Not compared with QEMU: QEMU 7.2 does not end its translation block at a
  // WFI, and when the WFI does not sleep it counts the rest of that block
  // twice (here the csrr: minstret advances by 3).
  it('with an interrupt already pending and enabled, WFI does not wait', async () => {
    const r = await run(`
  li t0, 0x80
  csrw mie, t0
  csrr a0, minstret
  wfi
  csrr a1, minstret
  csrw mie, zero
`, { qemu: false });
    expect(r.reg('a1') - r.reg('a0')).toBe(2n);
  });

  it('an interrupt taken out of WFI has mepc = the instruction after the WFI', async () => {
    const r = await run(`
  li a1, MTIME
  li a2, MTIMECMP
  ld a3, 0(a1)
  addi a3, a3, 3
  sd a3, 0(a2)
  li t0, 0x80
  csrw mie, t0
  csrsi mstatus, MSTATUS_MIE
  wfi
after:
  csrci mstatus, MSTATUS_MIE
`);
    expect(r.traps.map((t) => [t.cause, t.epc])).toEqual([[INTERRUPT | 7n, r.sym('after')]]);
  });

  it('WFI in U-mode, and in S-mode with TW = 1, is an illegal instruction', async () => {
    const r = await run(`
  PMP_ALLOW_ALL
  li t0, MSTATUS_TW
  csrs mstatus, t0
  ENTER_S sup
sup:
s_wfi:
  wfi
  la t0, user
  csrw sepc, t0
  li t0, MSTATUS_SPP
  csrc sstatus, t0
  sret
user:
u_wfi:
  wfi
  EXIT_ECALL
`);
    expect(r.traps.map((t) => [t.cause, t.epc, t.tval])).toEqual([
      [CAUSE.illegal, r.sym('s_wfi'), 0x10500073n],
      [CAUSE.illegal, r.sym('u_wfi'), 0x10500073n],
    ]);
  });

  it('with nothing that could wake it, the run stops as idle', async () => {
    const r = await run('  csrw mie, zero\n  wfi\n', { stop: 'idle', qemu: false });
    expect(r.stop.reason).toBe('idle');
  });
});

describe('the first device access after a trap', () => {
  // A trap raised by the instruction itself (ecall, ebreak, illegal) must not
  // make the next slow-path access look as if it had faulted.
  it('a UART write right after an ecall, ebreak or illegal instruction is performed once', async () => {
    const r = await run(`
  li t2, UART
  ecall
  li a2, 0x41
  sb a2, 0(t2)
  ebreak
  li a2, 0x42
  sb a2, 0(t2)
  .4byte 0xfe000033
  li a2, 0x43
  sb a2, 0(t2)
  li a2, 0x0a
  sb a2, 0(t2)
`);
    expect(r.uart).toBe('ABC\n');
  });

  it('a UART read right after an ecall consumes one byte', async () => {
    const r = await run(`
  li t2, UART
  ecall
  lbu a0, 0(t2)
  lbu a1, 0(t2)
`, { qemu: false, setup: (m) => { m.sendUartInput(new TextEncoder().encode('xy')); } });
    expect([r.reg('a0'), r.reg('a1')]).toEqual([0x78n, 0x79n]);
  });
});
