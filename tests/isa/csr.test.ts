// CSR instructions: csrrw/csrrs/csrrc and the immediate forms, the rules for
// rd = x0 / rs1 = x0 / uimm = 0, read-only and unknown CSRs (illegal, mtval =
// the instruction), privilege checks, the counters and their enables
// (mcounteren/scounteren), and WARL fields.
import { describe, it, expect } from 'vitest';
import { run, u64, CAUSE } from './support';

/** The 32-bit encoding of a CSR instruction. */
function csrInsn(f3: number, rd: number, rs1: number, csr: number): bigint {
  return BigInt(((csr << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | 0x73) >>> 0);
}
const CSRRW = 1, CSRRS = 2, CSRRC = 3, CSRRWI = 5, CSRRSI = 6, CSRRCI = 7;

describe('CSR read-modify-write', () => {
  it('csrrw, csrrs, csrrc and their immediate forms return the old value and write the new one', async () => {
    const r = await run(`
  li a1, 0x0f0f
  csrw mscratch, a1
  li a2, 0xff00
  csrrw a3, mscratch, a2
  li a2, 0x00f0
  csrrs a4, mscratch, a2
  li a2, 0x0f00
  csrrc a5, mscratch, a2
  csrrwi a6, mscratch, 31
  csrrsi a7, mscratch, 0
  csrrci s1, mscratch, 5
  csrrsi s2, mscratch, 0x10
  csrr s3, mscratch
  li a2, -1
  csrrw s4, mscratch, a2
  csrrc s5, mscratch, zero
  csrrwi s6, mscratch, 0
  csrr s7, mscratch
`);
    expect(r.traps).toEqual([]);
    expect(r.reg('a3')).toBe(0x0f0fn);
    expect(r.reg('a4')).toBe(0xff00n);
    expect(r.reg('a5')).toBe(0xfff0n);
    expect(r.reg('a6')).toBe(0xf0f0n);
    expect(r.reg('a7')).toBe(31n);
    expect(r.reg('s1')).toBe(31n);
    expect(r.reg('s2')).toBe(26n);
    expect(r.reg('s3')).toBe(26n | 0x10n);
    expect(r.reg('s4')).toBe(26n | 0x10n);
    expect(r.reg('s5')).toBe(u64(-1n));
    expect(r.reg('s6')).toBe(u64(-1n));
    expect(r.reg('s7')).toBe(0n);
  });

  it('rd = x0 still writes; the same register as rd and rs1 reads the old value', async () => {
    const r = await run(`
  li a1, 5
  csrrw zero, mscratch, a1
  csrr a2, mscratch
  li a3, 9
  csrrw a3, mscratch, a3
  csrr a4, mscratch
`);
    expect(r.reg('a2')).toBe(5n);
    expect(r.reg('a3')).toBe(5n);
    expect(r.reg('a4')).toBe(9n);
  });
});

describe('read-only and unknown CSRs', () => {
  it('reading mhartid, mvendorid, mconfigptr is allowed (all 0 here); misa reads RV64 ACDFIMSU', async () => {
    const r = await run(`
  li a0, -1
  li a1, -1
  li a2, -1
  csrr a0, mhartid
  csrr a1, mvendorid
  csrr a2, 0xf15
  csrr a3, misa
`, { qemu: false }); // QEMU's default CPU also reports H, which is not implemented here
    expect(r.traps).toEqual([]);
    expect([r.reg('a0'), r.reg('a1'), r.reg('a2')]).toEqual([0n, 0n, 0n]);
    const ext = (c: string) => 1n << BigInt(c.charCodeAt(0) - 65);
    expect(r.reg('a3')).toBe((2n << 62n) | ext('A') | ext('C') | ext('D') | ext('F') | ext('I') | ext('M') | ext('S') | ext('U'));
  });

  it('writes to read-only CSRs are illegal, even of 0 or with rd = x0; rs1 = x0 and uimm = 0 forms do not write', async () => {
    const MHARTID = 0xf14, CYCLE = 0xc00;
    const bad = [
      csrInsn(CSRRW, 0, 11, MHARTID), // csrw mhartid, a1
      csrInsn(CSRRW, 0, 12, MHARTID), // csrw mhartid, a2 (a2 = 0)
      csrInsn(CSRRWI, 10, 0, MHARTID), // csrrwi a0, mhartid, 0
      csrInsn(CSRRS, 10, 11, MHARTID), // csrrs a0, mhartid, a1
      csrInsn(CSRRC, 10, 11, MHARTID), // csrrc a0, mhartid, a1
      csrInsn(CSRRW, 0, 11, CYCLE), // csrw cycle, a1
      csrInsn(CSRRSI, 10, 1, 0xc02), // csrrsi a0, instret, 1
    ];
    const good = [
      csrInsn(CSRRS, 13, 0, MHARTID), // csrr a3, mhartid
      csrInsn(CSRRC, 13, 0, MHARTID), // csrrc a3, mhartid, x0
      csrInsn(CSRRSI, 13, 0, MHARTID), // csrrsi a3, mhartid, 0
      csrInsn(CSRRCI, 13, 0, MHARTID), // csrrci a3, mhartid, 0
      csrInsn(CSRRS, 14, 0, CYCLE), // rdcycle a4
    ];
    const r = await run(`
  li a0, 77
  li a1, 5
  li a2, 0
  li a3, 9
${[...bad, ...good].map((b) => `  .4byte 0x${b.toString(16)}`).join('\n')}
`);
    expect(r.traps.map((t) => [t.cause, t.tval])).toEqual(bad.map((b) => [CAUSE.illegal, b]));
    expect(r.reg('a0')).toBe(77n);
    expect(r.reg('a3')).toBe(0n);
    expect(r.reg('a4')).toBeGreaterThan(0n);
  });

  // The ISA manual: csrrs/csrrc with rs1 != x0 always attempt a write, so on a
  // read-only CSR they are illegal even when rs1 holds 0. QEMU 7.2 decides on
  // the value (the write mask): with 0 in rs1 it only reads.
  it('QEMU 7.2: csrrs/csrrc on a read-only CSR with rs1 != x0 holding 0 read without trapping', async () => {
    const r = await run(`
  li a0, 77
  li a1, 77
  li a2, 0
  csrrs a0, mhartid, a2
  csrrc a1, mhartid, a2
`);
    expect(r.traps).toEqual([]);
    expect(r.reg('a0')).toBe(0n);
    expect(r.reg('a1')).toBe(0n);
  });

  it('unknown CSRs are illegal with mtval = the instruction bits (custom, RV32-only, FPU)', async () => {
    const bad = [
      csrInsn(CSRRS, 10, 0, 0x8ff), // custom U read/write
      csrInsn(CSRRW, 0, 11, 0x5c0), // custom S
      csrInsn(CSRRS, 10, 0, 0xbc0), // custom M
      csrInsn(CSRRS, 10, 0, 0xc80), // cycleh: RV32 only
      csrInsn(CSRRS, 10, 0, 0xb80), // mcycleh: RV32 only
      csrInsn(CSRRS, 10, 0, 0x001), // fflags: no usable FPU
      csrInsn(CSRRS, 10, 0, 0x3c0), // pmpaddr16: beyond the 16 entries
    ];
    const r = await run(`
  li a0, 77
  li a1, 1
${bad.map((b) => `  .4byte 0x${b.toString(16)}`).join('\n')}
`);
    expect(r.traps.map((t) => [t.cause, t.tval])).toEqual(bad.map((b) => [CAUSE.illegal, b]));
    expect(r.reg('a0')).toBe(77n);
  });
});

describe('privilege', () => {
  it('U-mode: M and S CSRs are illegal (mtval = the instruction); S-mode: M CSRs are illegal, S CSRs fine', async () => {
    const r = await run(`
  PMP_ALLOW_ALL
  li a1, 42
  csrw sscratch, a1
  ENTER_U user
user:
  li a0, 7
u_m:
  csrr a0, mscratch
u_s:
  csrr a0, sscratch
u_w:
  csrw sstatus, zero
  EXIT_ECALL
`);
    const insn = (at: string) => r.words(r.sym(at), 1, 4)[0];
    expect(r.traps.map((t) => [t.cause, t.epc, t.tval, (t.status >> 11n) & 3n])).toEqual([
      [CAUSE.illegal, r.sym('u_m'), insn('u_m'), 0n],
      [CAUSE.illegal, r.sym('u_s'), insn('u_s'), 0n],
      [CAUSE.illegal, r.sym('u_w'), insn('u_w'), 0n],
    ]);
    expect(r.reg('a0')).toBe(7n);

    const s = await run(`
  PMP_ALLOW_ALL
  ENTER_S sup
sup:
  li a0, 5
  csrw sscratch, a0
  csrr a1, sscratch
s_m:
  csrr a0, mstatus
s_w:
  csrw mscratch, a0
  csrr a2, sstatus
  EXIT_ECALL
`);
    const sInsn = (at: string) => s.words(s.sym(at), 1, 4)[0];
    expect(s.traps.map((t) => [t.cause, t.epc, t.tval, (t.status >> 11n) & 3n])).toEqual([
      [CAUSE.illegal, s.sym('s_m'), sInsn('s_m'), 1n],
      [CAUSE.illegal, s.sym('s_w'), sInsn('s_w'), 1n],
    ]);
    expect(s.reg('a1')).toBe(5n);
    expect(s.reg('a0')).toBe(5n);
  });
});

describe('counters', () => {
  it('consecutive reads of minstret/mcycle differ by the instructions in between; time = minstret / 100', async () => {
    const r = await run(`
  csrr a0, minstret
  csrr a1, minstret
  nop
  nop
  csrr a2, minstret
  csrr a3, mcycle
  rdinstret a4
  rdcycle a5
  rdtime a6
  csrr a7, minstret
`);
    const [a0, a1, a2, a3, a4, a5, a6, a7] = ['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7'].map((n) => r.reg(n as 'a0'));
    expect(a1 - a0).toBe(1n);
    expect(a2 - a1).toBe(3n);
    expect(a3 - a2).toBe(1n); // mcycle = minstret here: one instruction per cycle
    expect([a4 - a3, a5 - a4]).toEqual([1n, 1n]);
    expect(a6).toBe((a5 + 1n) / 100n); // mtime ticks every 100 instructions
    expect(a7 - a5).toBe(2n);
  });

  it('writing minstret/mcycle sets them; they count on from there (the reading instruction included)', async () => {
    const r = await run(`
  li a1, 1000
  csrw minstret, a1
  csrr a0, minstret
  li a1, 5000
  csrw mcycle, a1
  nop
  csrr a2, mcycle
`);
    expect(r.reg('a0')).toBe(1001n);
    expect(r.reg('a2')).toBe(5002n);
  });

  it('U-mode needs mcounteren and scounteren; S-mode needs mcounteren (cycle, time, instret separately)', async () => {
    const r = await run(`
  PMP_ALLOW_ALL
  # 1: nothing enabled
  csrw mcounteren, zero
  csrw scounteren, zero
  ENTER_U u1
u1:
  rdcycle a0
  rdtime a0
  rdinstret a0
  EXIT_ECALL
`);
    expect(r.traps.map((t) => t.cause)).toEqual([CAUSE.illegal, CAUSE.illegal, CAUSE.illegal]);

    const s = await run(`
  PMP_ALLOW_ALL
  li t0, 7
  csrw mcounteren, t0
  csrw scounteren, zero
  ENTER_S s1
s1:
  li a0, 0
  li a1, 0
  li a2, 0
  rdcycle a0
  rdtime a1
  rdinstret a2
  # S lets U see cycle and instret only
  li t0, 5
  csrw scounteren, t0
  csrr a3, scounteren
  la t0, u2
  csrw sepc, t0
  li t0, 0x100
  csrc sstatus, t0
  sret
u2:
  li a4, 0
  li a6, 0
  rdcycle a4
u_time:
  rdtime a5
  rdinstret a6
  EXIT_ECALL
`);
    expect(s.traps.map((t) => [t.cause, t.epc])).toEqual([[CAUSE.illegal, s.sym('u_time')]]);
    expect(s.reg('a0')).toBeGreaterThan(0n);
    expect(s.reg('a2')).toBe(s.reg('a0') + 2n);
    expect(s.reg('a1')).toBe((s.reg('a0') + 1n) / 100n);
    expect(s.reg('a3')).toBe(5n);
    expect(s.reg('a4')).toBeGreaterThan(s.reg('a2'));
    expect(s.reg('a6')).toBeGreaterThan(s.reg('a4'));

    // mcounteren without TM: time is illegal for S as well.
    const t = await run(`
  PMP_ALLOW_ALL
  li t0, 5
  csrw mcounteren, t0
  ENTER_S s2
s2:
  rdcycle a0
s_time:
  rdtime a1
  EXIT_ECALL
`);
    expect(t.traps.map((x) => [x.cause, x.epc])).toEqual([[CAUSE.illegal, t.sym('s_time')]]);
  });

  it('hpmcounter3 reads 0 when enabled', async () => {
    const r = await run(`
  li t0, 0xf
  csrw mcounteren, t0
  csrr a0, mcounteren
  csrw scounteren, t0
  csrr a1, scounteren
  li a2, 5
  csrr a2, hpmcounter3
  li a3, 5
  csrr a3, mhpmcounter3
`);
    expect(r.traps).toEqual([]);
    expect(r.reg('a0')).toBe(0xfn);
    expect(r.reg('a1')).toBe(0xfn);
    expect(r.reg('a2')).toBe(0n);
    expect(r.reg('a3')).toBe(0n);
  });
});

describe('WARL fields', () => {
  it('mtvec/stvec keep modes 0 and 1 and ignore writes of the reserved modes 2 and 3', async () => {
    const r = await run(`
  la t0, 1f
  ori t1, t0, 1
  csrw mtvec, t1
  csrr a0, mtvec
  ori t1, t0, 2
  csrw mtvec, t1
  csrr a1, mtvec
  ori t1, t0, 3
  csrw mtvec, t1
  csrr a2, mtvec
  csrw stvec, t1
  csrr a3, stvec
  ori t1, t0, 1
  csrw stvec, t1
  csrr a4, stvec
  la t0, __mtrap
  csrw mtvec, t0
  EXIT
  .balign 64
1:
`);
    const base = r.reg('a0') & ~3n;
    expect(r.reg('a0')).toBe(base | 1n);
    expect(r.reg('a1')).toBe(base | 1n);
    expect(r.reg('a2')).toBe(base | 1n);
    expect(r.reg('a3')).toBe(r.sym('__strap'));
    expect(r.reg('a4')).toBe(base | 1n);
  });

  it('mstatus: UXL/SXL read 2; sstatus is a view of the S fields; MIE cannot be set through sstatus', async () => {
    const r = await run(`
  csrr a0, mstatus
  li t0, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_MIE | MSTATUS_MPIE
  csrs sstatus, t0
  csrr a1, mstatus
  csrr a2, sstatus
  csrc sstatus, t0
  csrr a3, mstatus
  li t0, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP
  csrs mstatus, t0
  csrr a4, mstatus
  csrr a5, sstatus
  csrc mstatus, t0
`);
    const XL = (2n << 32n) | (2n << 34n);
    expect(r.reg('a0') & XL).toBe(XL);
    expect(r.reg('a1') & 0x1ffffn).toBe(0x2n | 0x20n | 0x100n);
    expect(r.reg('a2')).toBe(0x2n | 0x20n | 0x100n | (2n << 32n));
    expect(r.reg('a3') & 0x1ffffn).toBe(0n);
    expect(r.reg('a4') & 0x1ffffn).toBe(0x8n | 0x80n | 0x1800n);
    expect(r.reg('a5') & 0x1ffffn).toBe(0n);
  });

  it('medeleg/mideleg: delegable bits stick; mideleg takes the S interrupts only; sie is mie through mideleg', async () => {
    const r = await run(`
  li t0, (1 << 8) | (1 << 2) | (1 << 9)
  csrw medeleg, t0
  csrr a0, medeleg
  li t0, 0x2 | 0x20 | 0x200 | 0x80 | 0x8
  csrw mideleg, t0
  csrr a1, mideleg
  li t0, 0xaaa
  and a1, a1, t0
  li t0, 0x2 | 0x20 | 0x8
  csrw mie, t0
  csrr a2, sie
  csrw mideleg, zero
  csrr a3, sie
  csrw mie, zero
  csrw medeleg, zero
`);
    expect(r.reg('a0')).toBe((1n << 8n) | (1n << 2n) | (1n << 9n));
    expect(r.reg('a1')).toBe(0x2n | 0x20n | 0x200n);
    expect(r.reg('a2')).toBe(0x22n);
    expect(r.reg('a3')).toBe(0n);
  });

  // The privileged spec hardwires medeleg[11] (ecall from M) to 0; QEMU 7.2
  // lets it be written (it has no effect: traps from M are never delegated).
  it('QEMU 7.2: medeleg bit 11 (ecall from M) is writable, and ecall from M still goes to M', async () => {
    const r = await run(`
  li t0, (1 << 11) | (1 << 8)
  csrw medeleg, t0
  csrr a0, medeleg
at:
  ecall
  csrw medeleg, zero
`);
    expect(r.reg('a0')).toBe((1n << 11n) | (1n << 8n));
    expect(r.traps.map((t) => [t.mode, t.cause, t.epc])).toEqual([[3n, CAUSE.ecallM, r.sym('at')]]);
  });
});
