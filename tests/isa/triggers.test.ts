// Sdtrig debug triggers as QEMU 7.2 implements them for its default rv64 CPU
// (docs/machine.md, "Debug triggers"): tselect/tdata1/tdata2/tdata3/tinfo,
// two type-2 (mcontrol) or type-6 (mcontrol6) address-match triggers, execute
// triggers before the instruction, load/store triggers before the access, the
// m/s/u mode bits, and their coexistence with the debugger's own breakpoints
// and watchpoints. Every program runs on QEMU too and must end in the same
// state (registers, trap log with tval and minstret at each trap, data).
import { describe, it, expect } from 'vitest';
import { run, checkCases, assemble, wrap, newMachine, CAUSE, RAM_MIB, type Case } from './support';
import { Machine } from '../../workers/engine/machine';
import { BufferedInput } from '../../workers/engine/host-input';
import { loadCoreWasm } from '../../workers/cli/node-host';

const T2 = 2n << 60n;
const T6 = 6n << 60n;
const LD = 1n, ST = 2n, X = 4n, U = 8n, S = 0x10n, M = 0x40n;
const sizeLo = (s: bigint) => ((s & 3n) << 16n) | ((s >> 2n) << 21n);

const s64 = (v: bigint) => BigInt.asIntN(64, v);
/** Selects trigger `sel` and sets tdata2 = `addr` (a symbol, optionally + off) and tdata1 = `ctl` (clobbers t0). */
function arm(sel: number, ctl: bigint, addr: string, off = 0): string {
  return `  li t0, ${sel}\n  csrw tselect, t0\n  la t0, ${addr}\n  addi t0, t0, ${off}\n  csrw tdata2, t0\n  li t0, ${s64(ctl)}\n  csrw tdata1, t0`;
}
/** Both triggers back to their reset value (type 2, nothing enabled); writing 0 would be ignored (type 0). */
const DISARM = `  csrw tselect, zero\n  li t0, ${T2}\n  csrw tdata1, t0\n  li t0, 1\n  csrw tselect, t0\n  li t0, ${T2}\n  csrw tdata1, t0\n  csrw tselect, zero`;

/** A case that writes `v` to `csr` and reads back `back`. */
function wr(name: string, csr: string, v: bigint, expected: bigint, back = 'tdata1'): Case {
  return { name, asm: `  li t0, ${s64(v)}\n  csrw ${csr}, t0\n  csrr a0, ${back}`, expected };
}
const rd = (name: string, csr: string, expected: bigint): Case => ({ name, asm: `  csrr a0, ${csr}`, expected });

describe('trigger CSRs: reset values and WARL fields, as QEMU 7.2', () => {
  it('tselect, tdata1..3 and tinfo at reset and under writes', async () => {
    const all = (1n << 60n) - 1n;
    const cases: Case[] = [
      rd('tselect at reset', 'tselect', 0n),
      rd('tdata1 at reset: type 2, nothing else', 'tdata1', T2),
      rd('tdata2 at reset', 'tdata2', 0n),
      rd('tdata3 reads 0', 'tdata3', 0n),
      rd('tinfo: types 2 and 6', 'tinfo', 0x44n),
      wr('tselect = 2 (only 2 triggers): ignored', 'tselect', 2n, 0n, 'tselect'),
      wr('tselect = 1', 'tselect', 1n, 1n, 'tselect'),
      wr('tselect = -1: ignored', 'tselect', -1n, 1n, 'tselect'),
      wr('tselect = 0', 'tselect', 0n, 0n, 'tselect'),
      // Type 2 keeps m, s, u, execute, store, load and a supported size; dmode, maskmax, hit, select,
      // timing, action, chain, match and bit 5 read 0; sizes 4 and 6..15 are not supported (size reads 0).
      wr('type 2, every bit set', 'tdata1', T2 | all, T2 | 0x5fn),
      wr('type 2 with dmode, action 1, chain, match 1', 'tdata1', T2 | (1n << 59n) | (1n << 12n) | (1n << 11n) | (1n << 7n) | M | X, T2 | M | X),
      ...[0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 15n].map((s) => wr(`type 2 size ${s}`, 'tdata1', T2 | 0x5fn | sizeLo(s),
        T2 | 0x5fn | ([0n, 1n, 2n, 3n, 5n].includes(s) ? sizeLo(s) : 0n))),
      // Type 6 also keeps vs and vu (bits 24, 23); its size is bits 16..19.
      wr('type 6, every bit set', 'tdata1', T6 | all, T6 | (3n << 23n) | 0x5fn),
      ...[0n, 1n, 2n, 3n, 4n, 5n, 6n, 15n].map((s) => wr(`type 6 size ${s}`, 'tdata1', T6 | 0x5fn | (s << 16n),
        T6 | 0x5fn | ([0n, 1n, 2n, 3n, 5n].includes(s) ? s << 16n : 0n))),
      wr('back to type 2', 'tdata1', T2 | M | X, T2 | M | X),
      // Any other type leaves tdata1 as it was.
      ...[0n, 3n, 4n, 5n, 7n, 15n].map((t) => wr(`type ${t}: ignored`, 'tdata1', (t << 60n) | 0x47n, T2 | M | X)),
      wr('tdata2 keeps all 64 bits', 'tdata2', -3n, BigInt.asUintN(64, -3n), 'tdata2'),
      wr('tdata3: writes ignored', 'tdata3', -1n, 0n, 'tdata3'),
      wr('tinfo: writes ignored', 'tinfo', 5n, 0x44n, 'tinfo'),
      { name: 'trigger 1 is separate', asm: '  li t0, 1\n  csrw tselect, t0\n  csrr a0, tdata1', expected: T2 },
      wr('trigger 1 type 6', 'tdata1', T6 | LD, T6 | LD),
      { name: 'trigger 0 unchanged', asm: '  csrw tselect, zero\n  csrr a0, tdata1', expected: T2 | M | X },
      { name: 'no CSR access trapped', asm: '  la a0, __trap_log\n  ld a0, 0(a0)', expected: 0n },
      { name: 'disarm', asm: `${DISARM}\n  li a0, 0`, expected: 0n },
    ];
    await checkCases(cases);
  });

  it('tcontrol, mcontext, scontext and the debug-mode CSRs do not exist (illegal instruction)', async () => {
    const r = await run(['0x7a5', '0x7a8', '0x5a8', '0x6a8', '0x7aa', '0x7b0'].map((n, i) => `c${i}: csrr a0, ${n}`).join('\n'));
    expect(r.traps.map((t) => [t.cause, t.epc])).toEqual([0, 1, 2, 3, 4, 5].map((i) => [CAUSE.illegal, r.sym(`c${i}`)]));
  });

  it('from S and U mode every trigger CSR is an illegal instruction (M-mode CSRs)', async () => {
    const r = await run(`
  PMP_ALLOW_ALL
  ENTER_S sup
sup:
s0: csrr a0, tselect
s1: csrw tdata1, zero
s2: csrr a0, tinfo
  li t0, 0x800
  csrc sstatus, t0
  EXIT_ECALL
`);
    expect(r.traps.map((t) => [t.cause, t.epc, (t.status >> 11n) & 3n])).toEqual([
      [CAUSE.illegal, r.sym('s0'), 1n], [CAUSE.illegal, r.sym('s1'), 1n], [CAUSE.illegal, r.sym('s2'), 1n],
    ]);
    const u = await run(`
  PMP_ALLOW_ALL
  ENTER_U user
user:
u0: csrr a0, tdata2
  EXIT_ECALL
`);
    expect(u.traps.map((t) => [t.cause, t.epc, (t.status >> 11n) & 3n])).toEqual([[CAUSE.illegal, u.sym('u0'), 0n]]);
  });
});

describe('execute triggers', () => {
  it('fire before the instruction: breakpoint (3), mepc = the address, tval 0 (QEMU 7.2), not counted', async () => {
    const r = await run(`
  li a0, 0
  li a1, 0
  li a2, 0
  li a3, 0
  li a4, 0
  li a5, 0
${arm(0, T2 | M | X, 'x1')}
x1: addi a0, a0, 1
${DISARM}
${arm(1, T6 | M | X, 'x2')}
x2: addi a1, a1, 1
  # tdata2 in the middle of an instruction: exact match only
${arm(0, T2 | M | X, 'x3', 2)}
x3: addi a2, a2, 1
  # a compressed instruction
${arm(0, T2 | M | X | sizeLo(2n), 'x4')}
  .option rvc
x4: c.addi a3, 1
  c.nop
  .option norvc
  # armed without a mode bit (or without execute): nothing
${arm(0, T2 | X, 'x5')}
x5: addi a4, a4, 1
${DISARM}
x6: addi a5, a5, 1
`);
    expect(r.traps.map((t) => [t.mode, t.cause, t.epc, t.tval])).toEqual([
      [3n, CAUSE.breakpoint, r.sym('x1'), 0n], [3n, CAUSE.breakpoint, r.sym('x2'), 0n], [3n, CAUSE.breakpoint, r.sym('x4'), 0n],
    ]);
    expect([r.reg('a0'), r.reg('a1'), r.reg('a2'), r.reg('a3'), r.reg('a4'), r.reg('a5')]).toEqual([0n, 0n, 1n, 0n, 1n, 1n]);
  });

  it('QEMU 7.2: an execute trigger fires at its address if any execute trigger selects the current mode', async () => {
    // Trigger 0 (U only) at xq, trigger 1 (M) elsewhere: QEMU 7.2 fires at xq in M-mode, because its
    // check looks for any of its breakpoints that belongs to a trigger matching the privilege level.
    const r = await run(`
  li a0, 0
  li a1, 0
${arm(0, T2 | U | X, 'xq')}
${arm(1, T2 | M | X, 'far')}
xq: addi a0, a0, 1
${DISARM}
${arm(0, T2 | U | X, 'xr')}
xr: addi a1, a1, 1
${DISARM}
  EXIT
far: nop
`);
    expect(r.traps.map((t) => [t.cause, t.epc])).toEqual([[CAUSE.breakpoint, r.sym('xq')]]);
    expect([r.reg('a0'), r.reg('a1')]).toEqual([0n, 1n]);
  });
});

describe('load and store triggers', () => {
  it('fire before the access, on any overlap with [tdata2, tdata2 + length)', async () => {
    // Length as QEMU 7.2 inserts its watchpoint: 8 bytes for size 0, else the size field's encoded value
    // (so size 3, "4 bytes", covers 3 and size 5, "8 bytes", covers 5).
    const r = await run(`
  li t0, 0x2000
  csrs mstatus, t0
  la a1, w
  li a2, 0x55
${arm(0, T2 | M | LD, 'w')}
l1: ld a2, 0(a1)
s1: sd a2, 0(a1)
${DISARM}
${arm(0, T2 | M | ST, 'w')}
l2: ld a2, 0(a1)
s2: sd a1, 0(a1)
${DISARM}
${arm(0, T2 | M | LD, 'w')}
lb3: lb a3, 3(a1)
lb7: lb a3, 7(a1)
lb8: lb a3, 8(a1)
lbm1: lb a3, -1(a1)
ldm4: ld a3, -4(a1)
${arm(0, T2 | M | LD | sizeLo(3n), 'w')}
s3lb2: lb a3, 2(a1)
s3lb3: lb a3, 3(a1)
${arm(0, T2 | M | LD | sizeLo(5n), 'w')}
s5lb4: lb a3, 4(a1)
s5lb5: lb a3, 5(a1)
${arm(0, T6 | M | LD | (1n << 16n), 'w')}
s1lb0: lb a3, 0(a1)
s1lb1: lb a3, 1(a1)
s1lw: lw a3, -2(a1)
${arm(0, T2 | M | LD | ST, 'w')}
fl: fld fa0, 0(a1)
fs: fsd fa0, 0(a1)
${DISARM}
  ld a4, 0(a1)
  .data
  .balign 16
  .dword 0
w: .dword 0x1122334455667788
  .dword 0
  .text
`);
    const fired = ['l1', 's2', 'lb3', 'lb7', 'ldm4', 's3lb2', 's5lb4', 's1lb0', 's1lw', 'fl', 'fs'];
    expect(r.traps.map((t) => [t.cause, t.epc, t.tval])).toEqual(fired.map((l) => [CAUSE.breakpoint, r.sym(l), 0n]));
    // The load that fired did not write a2; s1 stored it (a load-only trigger); the stores that fired (s2, fs) did not write.
    expect(r.reg('a4')).toBe(0x55n);
  });

  it('atomics: AMOs and SC fire on either part; LR is a load; a failing SC still fires a store trigger', async () => {
    const r = await run(`
  la a1, w
${arm(0, T2 | M | ST, 'w')}
amo1: amoadd.d a3, a2, (a1)
lr1: lr.d a3, (a1)
sc1: sc.d a4, a3, (a1)
lr2: lr.d a3, (a1)
${arm(0, T2, 'w')}
  li t1, 99
  sw t1, 4(a1)
${arm(0, T2 | M | ST, 'w')}
  # the value changed: the SC fails, but QEMU's cmpxchg still stores (the old value) first
sc2: sc.d a5, a3, (a1)
  # no reservation for this address: no access
sc3: sc.d a6, a3, (a1)
${arm(0, T2 | M | LD, 'w')}
amo2: amoswap.d a3, a2, (a1)
lr3: lr.d a3, (a1)
${DISARM}
  .data
  .balign 8
w: .dword 5
  .text
`);
    expect(r.traps.map((t) => [t.cause, t.epc])).toEqual(['amo1', 'sc1', 'sc2', 'amo2', 'lr3'].map((l) => [CAUSE.breakpoint, r.sym(l)]));
  });

  it('before a device or an unmapped address sees the access', async () => {
    const r = await run(`
  li a1, 0x40
  csrw tselect, zero
  csrw tdata2, a1
  li t0, ${T2 | M | LD}
  csrw tdata1, t0
um: ld a2, 0(a1)
${DISARM}
um2: ld a2, 0(a1)
`);
    expect(r.traps.map((t) => [t.cause, t.epc, t.tval])).toEqual([
      [CAUSE.breakpoint, r.sym('um'), 0n], [CAUSE.loadAccess, r.sym('um2'), 0x40n],
    ]);
  });
});

describe('with translation (Sv39)', () => {
  it('addresses match virtually, before translation: a trigger fires before the page fault of an unmapped page', async () => {
    // RAM identity-mapped by a gigapage; 0x4000_0000 -> page0 through a 4 KiB page; 0x4000_2000 not mapped.
    const r = await run(`
  PMP_ALLOW_ALL
  li t0, (0x80000000 >> 12) << 10 | 0xcf
  la t1, root
  sd t0, 16(t1)
  la t0, l1
  srli t0, t0, 12
  slli t0, t0, 10
  ori t0, t0, 1
  sd t0, 8(t1)
  la t0, l0
  srli t0, t0, 12
  slli t0, t0, 10
  ori t0, t0, 1
  la t1, l1
  sd t0, 0(t1)
  la t0, page0
  srli t0, t0, 12
  slli t0, t0, 10
  ori t0, t0, 0xc7
  la t1, l0
  sd t0, 0(t1)
  # trigger 0: S loads at the virtual 0x40000000; trigger 1: S stores at page0's physical (= identity) address
  csrw tselect, zero
  li t0, 0x40000000
  csrw tdata2, t0
  li t0, ${T2 | S | LD}
  csrw tdata1, t0
${arm(1, T2 | S | ST, 'page0')}
  la t0, root
  srli t0, t0, 12
  li t1, 8
  slli t1, t1, 60
  or t0, t0, t1
  csrw satp, t0
  sfence.vma
  ENTER_S sup
sup:
  li s0, 0x40000000
  la s1, page0
vl: ld a0, 0(s0)
pl: ld a1, 0(s1)
vs: sd s0, 0(s0)
ps: sd s1, 0(s1)
  # unmap 0x40000000 (trigger 0 is still on it): the trigger fires first; past its 8 bytes, the page fault
  la t0, l0
  sd zero, 0(t0)
  sfence.vma
pf: ld a2, 0(s0)
pf2: ld a2, 8(s0)
  li a7, EXIT_MAGIC
  ecall
  .data
  .balign 4096
root: .space 4096
l1: .space 4096
l0: .space 4096
page0: .dword 0x1111
  .balign 4096
  .text
`);
    expect(r.traps.map((t) => [t.cause, t.epc, t.tval])).toEqual([
      [CAUSE.breakpoint, r.sym('vl'), 0n], [CAUSE.breakpoint, r.sym('ps'), 0n], [CAUSE.breakpoint, r.sym('pf'), 0n],
      [CAUSE.loadPage, r.sym('pf2'), 0x40000008n],
    ]);
    expect(r.reg('a1')).toBe(0x1111n);
    expect(r.words('page0', 1)[0]).toBe(0x40000000n);
  });
});

describe('mode bits', () => {
  it('a trigger fires only in the modes its m/s/u bits select (the hart\'s mode, not MPRV\'s)', async () => {
    const r = await run(`
  PMP_ALLOW_ALL
  la a1, w
${arm(0, T2 | U | LD, 'w')}
ul: ld a2, 0(a1)
${arm(0, T2 | M | LD, 'w')}
  li t0, MSTATUS_MPRV
  csrs mstatus, t0
mprv: ld a2, 0(a1)
  li t0, MSTATUS_MPRV
  csrc mstatus, t0
${arm(0, T6 | U | S | LD, 'w')}
${arm(1, T2 | S | X, 'sx')}
  ENTER_S sup
sup:
sl: ld a2, 0(a1)
sx: addi a0, a0, 1
  # to U through the M handler: sret needs SPP = U
  li t0, MSTATUS_SPP
  csrc sstatus, t0
  la t0, user
  csrw sepc, t0
  sret
user:
ul2: ld a2, 0(a1)
ux: addi a0, a0, 1
  EXIT_ECALL
  .data
  .balign 8
w: .dword 7
  .text
`);
    const mpp = (s: bigint) => (s >> 11n) & 3n;
    expect(r.traps.map((t) => [t.cause, t.epc, mpp(t.status)])).toEqual([
      [CAUSE.breakpoint, r.sym('mprv'), 3n], [CAUSE.breakpoint, r.sym('sl'), 1n], [CAUSE.breakpoint, r.sym('sx'), 1n],
      [CAUSE.breakpoint, r.sym('ul2'), 0n],
    ]);
    expect(r.reg('a0')).toBe(1n); // ux ran (trigger 1 is S only)
  });

  it('delegated breakpoints (medeleg bit 3) from U go to S', async () => {
    const r = await run(`
  PMP_ALLOW_ALL
  li t0, 1 << 3
  csrw medeleg, t0
${arm(0, T2 | U | X, 'ux')}
  ENTER_U user
user:
  nop
ux: addi a0, a0, 1
  EXIT_ECALL
`);
    expect(r.traps.map((t) => [t.mode, t.cause, t.epc, t.tval])).toEqual([[1n, CAUSE.breakpoint, r.sym('ux'), 0n]]);
  });
});

const WITH_DEBUGGER = `
${arm(0, T2 | M | X, 'target')}
${arm(1, T2 | M | LD, 'w')}
  la a1, w
  li a2, 42
target: addi a0, a0, 1
store: sd a2, 0(a1)
load: ld a3, 0(a1)
${DISARM}
load2: ld a4, 0(a1)
  .data
  .balign 8
w: .dword 7
  .text
`;

describe('with the debugger\'s breakpoints and watchpoints', () => {
  it('the same program on QEMU: the guest sees its own two breakpoint exceptions', async () => {
    const r = await run(WITH_DEBUGGER);
    expect(r.traps.map((t) => [t.cause, t.epc])).toEqual([[CAUSE.breakpoint, r.sym('target')], [CAUSE.breakpoint, r.sym('load')]]);
    expect([r.reg('a0'), r.reg('a3'), r.reg('a4')]).toEqual([0n, 0n, 42n]);
  });

  it('a debugger breakpoint and watchpoint on the trigger addresses stop the engine; the triggers raise guest exceptions', async () => {
    const elf = assemble(wrap(WITH_DEBUGGER));
    const m = await newMachine();
    m.load(elf);
    const sym = (n: string) => BigInt(m.symbols.lookup(n)!.address);
    const log = () => new DataView(m.readMemory(sym('__trap_log'), 4 * 64)!.buffer);
    const trapCount = () => log().getBigUint64(0, true);
    const trap = (i: number) => [log().getBigUint64(64 * i + 8, true), log().getBigUint64(64 * i + 16, true)];
    m.setBreakpoints([sym('target'), sym('__exit')]);
    m.setWatchpoint(0, sym('w'), 8, { read: true, write: true });

    // The debugger's breakpoint comes first, before the guest's execute trigger.
    let stop = m.run(1_000_000n);
    expect([stop.reason, stop.pc, trapCount()]).toEqual(['breakpoint', sym('target'), 0n]);
    // Resuming: the trigger raises the guest's breakpoint exception; the handler skips the addi; the store hits the watchpoint.
    stop = m.run(1_000_000n);
    expect([stop.reason, stop.watch?.kind, stop.watch?.pc, trapCount()]).toEqual(['watchpoint', 'write', sym('store'), 1n]);
    expect(trap(1)).toEqual([CAUSE.breakpoint, sym('target')]);
    // The load trigger fires before the access: no read happens, so no watchpoint; the next load reads.
    stop = m.run(1_000_000n);
    expect([stop.reason, stop.watch?.kind, stop.watch?.pc, trapCount()]).toEqual(['watchpoint', 'read', sym('load2'), 2n]);
    expect(trap(2)).toEqual([CAUSE.breakpoint, sym('load')]);
    stop = m.run(1_000_000n);
    expect([stop.reason, stop.pc]).toEqual(['breakpoint', sym('__exit')]);
    const x = m.registers();
    expect([x[10], x[13], x[14]]).toEqual([0n, 0n, 42n]);
  });
});

describe('trigger state is machine state', () => {
  const BODY = `
${arm(0, T2 | M | X, 'x1')}
${arm(1, T6 | M | LD | (2n << 16n), 'w', 1)}
mid: nop
x1: addi a0, a0, 1
  la a1, w
l1: lh a2, 2(a1)
l2: lb a3, 3(a1)
${DISARM}
  .data
  .balign 8
w: .dword 7
  .text
`;

  it('the program on QEMU', async () => {
    const r = await run(BODY);
    expect(r.traps.map((t) => [t.cause, t.epc])).toEqual([[CAUSE.breakpoint, r.sym('x1')], [CAUSE.breakpoint, r.sym('l1')]]);
  });

  it('survives captureState/restoreState; reset clears it', async () => {
    const elf = assemble(wrap(BODY));
    const m = await newMachine();
    m.load(elf);
    const sym = (n: string) => BigInt(m.symbols.lookup(n)!.address);
    m.setBreakpoints([sym('mid'), sym('__exit')]);
    expect(m.run(1_000_000n).pc).toBe(sym('mid'));
    const state = m.captureState();
    const ram = m.readMemory(0x80000000n, RAM_MIB << 20)!;
    const triggers = () => {
      const r = m.core.raw;
      const out: bigint[] = [BigInt.asUintN(64, r.readCsr(0x7a0))];
      for (const i of [0n, 1n]) {
        r.writeCsr(0x7a0, i);
        out.push(BigInt.asUintN(64, r.readCsr(0x7a1)), BigInt.asUintN(64, r.readCsr(0x7a2)));
      }
      r.writeCsr(0x7a0, out[0]);
      return out;
    };
    const armed = [1n, T2 | M | X, sym('x1'), T6 | M | LD | (2n << 16n), sym('w') + 1n];
    expect(triggers()).toEqual(armed);
    const finish = () => {
      const stop = m.run(1_000_000n);
      expect([stop.reason, stop.pc]).toEqual(['breakpoint', sym('__exit')]);
      return [m.registers(), m.readMemory(sym('__trap_log'), 3 * 64)];
    };
    const first = finish();
    expect(triggers()).toEqual([0n, T2, sym('x1'), T2, sym('w') + 1n]);

    // Clobber the triggers, then restore: the armed state comes back and the run repeats exactly.
    m.core.raw.writeCsr(0x7a0, 1n);
    m.core.raw.writeCsr(0x7a1, T2 | U | S | M | X | LD | ST);
    m.core.raw.writeCsr(0x7a2, 0n);
    m.restoreState(state);
    m.writeMemory(0x80000000n, ram);
    m.setBreakpoints([sym('__exit')]);
    expect(triggers()).toEqual(armed);
    expect(finish()).toEqual(first);
    const dv = new DataView((first[1] as Uint8Array).buffer);
    expect(dv.getBigUint64(0, true)).toBe(2n);

    // A fresh machine (reset) has every trigger at its reset value.
    const fresh = await newMachine();
    fresh.load(elf);
    const r = fresh.core.raw;
    expect([r.readCsr(0x7a0), r.readCsr(0x7a1), r.readCsr(0x7a2)].map((v) => BigInt.asUintN(64, v))).toEqual([0n, T2, 0n]);
  });

  it('board revision 1 (old recordings) has no trigger CSRs: illegal instruction, as before', async () => {
    const elf = assemble(wrap(`
c0: csrw tselect, zero
c1: csrr a0, tdata1
c2: csrr a0, tinfo
`));
    const m = await Machine.create(await WebAssembly.compile(loadCoreWasm() as BufferSource), new BufferedInput(new Uint8Array()),
      { ramMiB: RAM_MIB, boardRevision: 1 });
    m.load(elf);
    const sym = (n: string) => BigInt(m.symbols.lookup(n)!.address);
    m.setBreakpoints([sym('__exit')]);
    expect(m.run(1_000_000n).pc).toBe(sym('__exit'));
    const log = new DataView(m.readMemory(sym('__trap_log'), 4 * 64)!.buffer);
    const traps = [1, 2, 3].map((i) => [log.getBigUint64(64 * i + 8, true), log.getBigUint64(64 * i + 16, true)]);
    expect(log.getBigUint64(0, true)).toBe(3n);
    expect(traps).toEqual([[CAUSE.illegal, sym('c0')], [CAUSE.illegal, sym('c1')], [CAUSE.illegal, sym('c2')]]);
    expect(m.readCsr(0x7a0)).toBeUndefined();
  });
});
