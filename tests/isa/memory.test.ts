// Loads and stores: every width, sign and zero extension, misaligned accesses
// (performed without a trap, as QEMU does), access faults on unmapped
// addresses, the ROM, and the dirty-page bitmap.
import { describe, it, expect } from 'vitest';
import { checkCases, run, sext, CAUSE, type Case } from './support';

const SRC = [0x81, 0x92, 0xa3, 0xb4, 0xc5, 0xd6, 0xe7, 0xf8, 0x09, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e, 0x6f, 0x70];
const SRC_DATA = `  .data\n  .balign 8\nsrc: .byte ${SRC.map((b) => '0x' + b.toString(16)).join(', ')}\n  .balign 8\nbuf: .space 16\n  .text`;

function le(bytes: number[], off: number, n: number): bigint {
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[off + i]);
  return v;
}

const LOADS: [string, number, boolean][] = [
  ['lb', 1, true], ['lh', 2, true], ['lw', 4, true], ['ld', 8, true], ['lbu', 1, false], ['lhu', 2, false], ['lwu', 4, false],
];
const STORES: [string, number][] = [['sb', 1], ['sh', 2], ['sw', 4], ['sd', 8]];

describe('loads', () => {
  it('every width at every offset 0..8: sign/zero extension, misaligned loads performed', async () => {
    const cases: Case[] = [];
    for (const [op, n, signed] of LOADS) {
      for (let off = 0; off <= 8; off++) {
        const raw = le(SRC, off, n);
        cases.push({ name: `${op} src+${off}`, asm: `  la a1, src\n  ${op} a0, ${off}(a1)`, expected: signed ? sext(raw, n * 8) : raw });
      }
    }
    // Negative offsets, and rd == rs1.
    cases.push({ name: 'lw -4 from src+8', asm: '  la a1, src + 8\n  lw a0, -4(a1)', expected: sext(le(SRC, 4, 4), 32) });
    cases.push({ name: 'lbu -2048 offset', asm: '  la a1, src + 2048\n  lbu a0, -2048(a1)', expected: BigInt(SRC[0]) });
    cases.push({ name: 'ld rd == rs1', asm: '  la a0, src\n  ld a0, 0(a0)', expected: le(SRC, 0, 8) });
    const r = await checkCases(cases, {}, SRC_DATA);
    expect(r.traps).toEqual([]);
  });

  it('a load to x0 accesses memory but writes nothing', async () => {
    const r = await run(`
  la a1, src
  ld x0, 0(a1)
  lb zero, 1(a1)
  mv a0, x0
${SRC_DATA}`);
    expect(r.reg('a0')).toBe(0n);
    expect(r.traps).toEqual([]);
  });
});

describe('stores', () => {
  it('every width at every offset 0..7 writes exactly its bytes, misaligned included', async () => {
    const cases: Case[] = [];
    const pattern = 0x0123456789abcdefn;
    for (const [op, n] of STORES) {
      for (let off = 0; off < 8; off++) {
        const bytes = new Array<number>(16).fill(0);
        for (let i = 0; i < n; i++) bytes[off + i] = Number((pattern >> BigInt(8 * i)) & 0xffn);
        const prep = `  la a1, buf\n  sd zero, 0(a1)\n  sd zero, 8(a1)\n  li a2, ${pattern}\n  ${op} a2, ${off}(a1)`;
        cases.push({ name: `${op} at buf+${off}: low word`, asm: `${prep}\n  ld a0, 0(a1)`, expected: le(bytes, 0, 8) });
        cases.push({ name: `${op} at buf+${off}: high word`, asm: `${prep}\n  ld a0, 8(a1)`, expected: le(bytes, 8, 8) });
      }
    }
    cases.push({ name: 'sw with offset -1 (misaligned)', asm: '  la a1, buf + 1\n  sd zero, -1(a1)\n  li a2, -1\n  sw a2, -1(a1)\n  ld a0, -1(a1)', expected: 0xffffffffn });
    const r = await checkCases(cases, {}, SRC_DATA);
    expect(r.traps).toEqual([]);
  });

  it('misaligned accesses across a page boundary are performed', async () => {
    const r = await run(`
  li a1, 0x801ffffc
  li a2, 0x1122334455667788
  sd a2, 0(a1)
  ld a3, 0(a1)
  lw a4, 0(a1)
  lw a5, 4(a1)
  lhu a6, 3(a1)
  li a1, 0x80200fff
  sh a2, 0(a1)
  lh a7, 0(a1)
`);
    expect(r.traps).toEqual([]);
    expect(r.reg('a3')).toBe(0x1122334455667788n);
    expect(r.reg('a4')).toBe(0x55667788n);
    expect(r.reg('a5')).toBe(0x11223344n);
    expect(r.reg('a6')).toBe(0x4455n);
    expect(r.reg('a7')).toBe(sext(0x7788n, 16));
  });
});

describe('access faults', () => {
  it('a load from address 0 raises load access fault (5) with mtval 0 and writes no register', async () => {
    const r = await run(`
  li a0, 123
at:
  ld a0, 0(zero)
  lw a1, 0x40(zero)
`);
    expect(r.traps.map((t) => [t.cause, t.epc, t.tval])).toEqual([
      [CAUSE.loadAccess, r.sym('at'), 0n],
      [CAUSE.loadAccess, r.sym('at') + 4n, 0x40n],
    ]);
    expect(r.reg('a0')).toBe(123n);
  });

  it('a store to unmapped memory raises store/AMO access fault (7) with mtval = the address', async () => {
    const r = await run(`
  li a1, 0x90000000
  li a2, 5
at:
  sw a2, 0x10(zero)
  sd a2, 0(a1)
  sb a2, 8(a1)
`);
    expect(r.traps.map((t) => [t.cause, t.epc, t.tval])).toEqual([
      [CAUSE.storeAccess, r.sym('at'), 0x10n],
      [CAUSE.storeAccess, r.sym('at') + 4n, 0x90000000n],
      [CAUSE.storeAccess, r.sym('at') + 8n, 0x90000008n],
    ]);
  });

  it('loads just past the end of RAM fault; the last bytes of RAM are accessible', async () => {
    // 16 MiB of RAM: 0x80000000..0x80ffffff.
    const r = await run(`
  li a1, 0x80fffff8
  li a2, 0x0102030405060708
  sd a2, 0(a1)
  ld a3, 0(a1)
  lbu a4, 7(a1)
  li a1, 0x81000000
  lb a5, 0(a1)
`);
    expect(r.reg('a3')).toBe(0x0102030405060708n);
    expect(r.reg('a4')).toBe(1n);
    expect(r.traps.map((t) => [t.cause, t.tval])).toEqual([[CAUSE.loadAccess, 0x81000000n]]);
  });

  // QEMU 7.2 splits an access that crosses into unmapped memory: the fault is
  // reported for the first unmapped address, and a store's bytes that fall in
  // RAM are written before the fault.
  it('QEMU 7.2: a load crossing the end of RAM faults with mtval = the first address past RAM', async () => {
    const r = await run(`
  li a1, 0x80fffffc
at:
  ld a3, 0(a1)
  li a1, 0x80ffffff
at2:
  lh a4, 0(a1)
`);
    expect(r.traps.map((t) => [t.cause, t.epc, t.tval])).toEqual([
      [CAUSE.loadAccess, r.sym('at'), 0x81000000n],
      [CAUSE.loadAccess, r.sym('at2'), 0x81000000n],
    ]);
  });

  it('QEMU 7.2: a store crossing the end of RAM writes the bytes in RAM, then faults at the first address past RAM', async () => {
    const r = await run(`
  li a1, 0x80fffff8
  li a2, -1
  sd a2, 0(a1)
  li a2, 0x1122334455667788
at:
  sd a2, 4(a1)
  ld a3, 0(a1)
`);
    expect(r.traps.map((t) => [t.cause, t.epc, t.tval])).toEqual([[CAUSE.storeAccess, r.sym('at'), 0x81000000n]]);
    expect(r.reg('a3')).toBe(0x55667788ffffffffn);
  });
});

describe('ROM and devices', () => {
  it('the reset ROM at 0x1000 is readable and ignores writes', async () => {
    const r = await run(`
  li a1, 0x1000
  ld a2, 0(a1)
  li a3, -1
  sd a3, 0(a1)
  ld a4, 0(a1)
  lwu a5, 20(a1)
`);
    expect(r.traps).toEqual([]);
    // auipc t0, 0 ; addi a2, t0, 40
    expect(r.reg('a2')).toBe(0x0282861300000297n);
    expect(r.reg('a4')).toBe(0x0282861300000297n);
    expect(r.reg('a5')).toBe(0x00028067n); // jr t0
  });
});

describe('dirty pages', () => {
  const body = `
  li a1, 0x80100000
  sb zero, 0(a1)
  li a1, 0x80200ffe
  sw zero, 0(a1)
  li a1, 0x80300ffc
  sw zero, 0(a1)
  li a1, 0x80400000
  li a2, 1
  amoadd.w a3, a2, (a1)
  li a1, 0x80500000
  lr.d a3, (a1)
  sc.d a4, a3, (a1)
  li a1, 0x80600000
  sc.d a5, a3, (a1)
  li a1, 0x80700000
  ld a3, 0(a1)
  lw a3, 8(a1)
  li a1, 0x80800000
  .option rvc
  c.sd a2, 0(a1)
  .option norvc
  li sp, 0x80900000
  .option rvc
  c.swsp a2, 4(sp)
  .option norvc
`;
  // RAM offset / 4096 of each store above; the SC without reservation and the loads mark nothing.
  const expected = [0x100, 0x200, 0x201, 0x300, 0x400, 0x500, 0x800, 0x900];

  it('stores of every kind mark their pages (both pages when crossing); loads and failed SCs do not', async () => {
    const r = await run(body);
    expect(r.reg('a4')).toBe(0n); // the SC succeeded
    expect(r.reg('a5')).toBe(1n); // this one had no reservation
    expect(r.dirty).toEqual(expected);
  });

  it('the same through the slow path', async () => {
    const r = await run(body, { setup: (m) => m.core.raw.setSlowPathOnly(1) });
    expect(r.dirty).toEqual(expected);
  });

  it('the same with a watchpoint armed elsewhere (the fast path through the TLB)', async () => {
    const r = await run(body, { setup: (m) => m.setWatchpoint(0, 0x80f00000n, 8, { read: true, write: true }) });
    expect(r.dirty).toEqual(expected);
  });

  it('clearDirtyPages forgets earlier stores', async () => {
    const r = await run(`
  li a1, 0x80100000
  sd zero, 0(a1)
pause:
  li a1, 0x80200000
  sd zero, 0(a1)
`, { qemu: false, breakpoints: ['pause'], stop: 'breakpoint' });
    expect(r.dirty).toEqual([0x100]);
    r.machine.clearDirtyPages();
    expect(r.machine.dirtyPages()).toEqual([]);
    r.machine.setBreakpoints([r.sym('__exit')]);
    expect(r.machine.run(100n).reason).toBe('breakpoint');
    expect(r.machine.dirtyPages()).toEqual([0x200]);
  });
});
