// Physical memory protection as QEMU 7.2 applies it: with no entry configured
// S and U can access nothing; entries are checked in order, the first match
// decides; partial matches fail; M-mode is only bound by locked entries (or by
// MPRV's effective privilege).
import { describe, it, expect } from 'vitest';
import { run, CAUSE } from './support';

const mpp = (status: bigint) => (status >> 11n) & 3n;

describe('no PMP entry', () => {
  // QEMU 7.2's mret refuses to go below M while no PMP entry is configured:
  // it raises illegal instruction (mtval = the mret) and the hart stays in M.
  for (const [target, mppBits] of [['U', '0'], ['S', '0x800']]) {
    it(`QEMU 7.2: mret to ${target} with no PMP entry is an illegal instruction`, async () => {
      const r = await run(`
  li t0, MSTATUS_MPP
  csrc mstatus, t0
  li t0, ${mppBits}
  csrs mstatus, t0
  la t0, lower
  csrw mepc, t0
at:
  mret
  li a0, 2
  EXIT
lower:
  li a0, 1
`);
      expect(r.traps.map((t) => [t.cause, t.epc, t.tval, mpp(t.status)])).toEqual([[CAUSE.illegal, r.sym('at'), 0x30200073n, 3n]]);
      expect(r.reg('a0')).toBe(2n);
    });
  }

  it('sret to U with no PMP entry: U cannot fetch (instruction access fault at the target)', async () => {
    const r = await run(`
  li t0, MSTATUS_SPP
  csrc mstatus, t0
  la t0, user
  csrw sepc, t0
  sret
user:
  li a0, 1
`);
    expect(r.traps.map((t) => [t.cause, t.epc, t.tval, mpp(t.status)])).toEqual([[CAUSE.fetchAccess, r.sym('user'), r.sym('user'), 0n]]);
    expect(r.reg('a0')).toBe(0n);
  });

  it('M-mode with MPRV and MPP = U loads and stores with U permissions: denied', async () => {
    const r = await run(`
  la a1, word
  li t0, MSTATUS_MPRV
  csrs mstatus, t0
at:
  ld a2, 0(a1)
  # (QEMU caches the handler's M-mode translation of this page until mstatus.MPRV changes)
  csrc mstatus, t0
  csrs mstatus, t0
at_store:
  sd a2, 0(a1)
  csrc mstatus, t0
  # MPP = M: MPRV changes nothing
  li t0, MSTATUS_MPRV | MSTATUS_MPP
  csrs mstatus, t0
  ld a3, 0(a1)
  csrc mstatus, t0
  .data
  .balign 8
word: .dword 42
  .text
`);
    expect(r.traps.map((t) => [t.cause, t.epc, t.tval])).toEqual([
      [CAUSE.loadAccess, r.sym('at'), r.sym('word')],
      [CAUSE.storeAccess, r.sym('at_store'), r.sym('word')],
    ]);
    expect(r.reg('a3')).toBe(42n);
  });
});

describe('PMP entries', () => {
  it('a NAPOT entry over all memory with RWX lets U-mode run, load and store', async () => {
    const r = await run(`
  PMP_ALLOW_ALL
  ENTER_U user
user:
  la a1, word
  ld a2, 0(a1)
  addi a2, a2, 1
  sd a2, 0(a1)
  ld a3, 0(a1)
  ecall
  EXIT_ECALL
  .data
  .balign 8
word: .dword 41
  .text
`);
    expect(r.traps.map((t) => [t.cause, mpp(t.status)])).toEqual([[CAUSE.ecallU, 0n]]);
    expect(r.reg('a3')).toBe(42n);
  });

  it('permissions: R|X without W faults stores (7); R|W without X faults fetches (1)', async () => {
    const r = await run(`
  li t0, -1
  csrw pmpaddr0, t0
  li t0, 0x1d
  csrw pmpcfg0, t0
  ENTER_U user
user:
  la a1, word
  ld a2, 0(a1)
at:
  sd a2, 0(a1)
  EXIT_ECALL
  .data
  .balign 8
word: .dword 7
  .text
`);
    expect(r.traps.map((t) => [t.cause, t.epc, t.tval])).toEqual([[CAUSE.storeAccess, r.sym('at'), r.sym('word')]]);
    expect(r.reg('a2')).toBe(7n);

    const x = await run(`
  li t0, -1
  csrw pmpaddr0, t0
  li t0, 0x1b
  csrw pmpcfg0, t0
  ENTER_U user
user:
  li a0, 1
`);
    expect(x.traps.map((t) => [t.cause, t.epc, t.tval])).toEqual([[CAUSE.fetchAccess, x.sym('user'), x.sym('user')]]);
  });

  it('TOR: [0, top) is allowed; above it nothing matches and U is denied; an access straddling top fails', async () => {
    const r = await run(`
  li t0, 0x80100010 >> 2
  csrw pmpaddr0, t0
  li t0, 0x0f
  csrw pmpcfg0, t0
  li a1, 0x80100010
  li a2, 0x12345678
  sd a2, -16(a1)
  ENTER_U user
user:
  li a3, 0
  ld a3, -16(a1)
at_load:
  ld a4, 0(a1)
at_store:
  sw a2, 8(a1)
at_straddle:
  ld a5, -4(a1)
  lw a6, -8(a1)
  EXIT_ECALL
`);
    expect(r.traps.map((t) => [t.cause, t.epc, t.tval])).toEqual([
      [CAUSE.loadAccess, r.sym('at_load'), 0x80100010n],
      [CAUSE.storeAccess, r.sym('at_store'), 0x80100018n],
      [CAUSE.loadAccess, r.sym('at_straddle'), 0x8010000cn],
    ]);
    expect(r.reg('a3')).toBe(0x12345678n);
    expect(r.reg('a6')).toBe(0n);
  });

  it('the lowest-numbered matching entry decides (an NA4 hole in an allow-all entry)', async () => {
    const r = await run(`
  la a1, words
  srli t0, a1, 2
  csrw pmpaddr0, t0
  li t0, -1
  csrw pmpaddr1, t0
  # entry 0: NA4, no permissions; entry 1: NAPOT all, RWX
  li t0, (0x1f << 8) | 0x10
  csrw pmpcfg0, t0
  ENTER_U user
user:
at:
  lw a2, 0(a1)
  lw a3, 4(a1)
  EXIT_ECALL
  .data
  .balign 8
words: .word 1, 2
  .text
`);
    expect(r.traps.map((t) => [t.cause, t.epc, t.tval])).toEqual([[CAUSE.loadAccess, r.sym('at'), r.sym('words')]]);
    expect(r.reg('a3')).toBe(2n);
  });

  it('M-mode ignores unlocked entries, and is bound by a locked one; locked entries cannot be rewritten', async () => {
    const r = await run(`
  li a1, 0x80200000
  li a2, 5
  sd a2, 0(a1)
  sd a2, 8(a1)
  # entry 0: NA4 over 0x80200000 with no permissions, unlocked: M is not affected
  srli t0, a1, 2
  csrw pmpaddr0, t0
  li t0, 0x10
  csrw pmpcfg0, t0
  lw a3, 0(a1)
  # an access only partly inside an entry fails, even in M
at_partial:
  ld a3, 0(a1)
  # now locked: M is denied
  li t0, 0x90
  csrw pmpcfg0, t0
at:
  lw a4, 0(a1)
  sw a2, 0(a1)
  lw a5, 8(a1)
  # writes to a locked entry are ignored
  csrw pmpcfg0, zero
  csrr a6, pmpcfg0
  li t0, 0
  csrw pmpaddr0, t0
  csrr a7, pmpaddr0
`);
    expect(r.reg('a3')).toBe(5n);
    expect(r.traps.map((t) => [t.cause, t.epc, t.tval])).toEqual([
      [CAUSE.loadAccess, r.sym('at_partial'), 0x80200000n],
      [CAUSE.loadAccess, r.sym('at'), 0x80200000n],
      [CAUSE.storeAccess, r.sym('at') + 4n, 0x80200000n],
    ]);
    expect(r.reg('a5')).toBe(5n);
    expect(r.reg('a6') & 0xffn).toBe(0x90n);
    expect(r.reg('a7')).toBe(0x80200000n >> 2n);
  });

  it('pmpcfg0 and pmpaddr0 read back what was written (granularity 4 bytes)', async () => {
    const r = await run(`
  li t0, 0x1234567
  csrw pmpaddr0, t0
  csrr a0, pmpaddr0
  li t0, 0x0f0d0b09
  csrw pmpcfg0, t0
  csrr a1, pmpcfg0
  csrr a2, pmpaddr15
  csrw pmpcfg0, zero
`);
    expect(r.reg('a0')).toBe(0x1234567n);
    expect(r.reg('a1')).toBe(0x0f0d0b09n);
    expect(r.reg('a2')).toBe(0n);
  });

  // The spec makes pmpaddr's bits 63:54 read as 0 and R=0,W=1 a reserved
  // combination (WARL); QEMU 7.2 keeps whatever is written.
  it('QEMU 7.2: pmpaddr keeps all 64 bits and pmpcfg keeps the reserved W-without-R', async () => {
    const r = await run(`
  li t0, -1
  csrw pmpaddr1, t0
  csrr a0, pmpaddr1
  li t0, 0x0200
  csrw pmpcfg0, t0
  csrr a1, pmpcfg0
  csrw pmpcfg0, zero
`);
    expect(r.reg('a0')).toBe(0xffffffffffffffffn);
    expect(r.reg('a1')).toBe(0x0200n);
  });
});
