// Virtual memory (Sv39, Sv48, Sv57) as QEMU 7.2 translates: page-table walks
// with superpages, permissions (U, SUM, MXR, X-only), hardware A/D updates,
// page faults with the virtual address in tval, accesses across a page
// boundary, AMOs on read-only pages, MPRV, and satp's WARL modes. Every case
// also runs on QEMU and must end in the same state.
//
// The tables: RAM (0x8000_0000, 1 GiB) is identity-mapped by one gigapage, RWX,
// not user, A and D set; the gigapage at 0x4000_0000 points to a level-1 table
// whose entry 0 points to a level-0 table, so 0x4000_0000 + n * 4096 is entry
// n of `l0`, which each test fills with the pages and flags it wants.
import { describe, it, expect } from 'vitest';
import { run, CAUSE } from './support';

const V = 1, R = 2, W = 4, X = 8, U = 16, A = 64, D = 128;
const VA = 0x40000000n;
const page = (n: number) => VA + BigInt(n) * 4096n;

/** The tables and pages, the PTE macro, and a body that turns on Sv39 (or `mode`) and enters S-mode at `s_code`. */
function paged(setup: string, sCode: string, mode = 8): string {
  return `
  .equ MSTATUS_SUM, 0x40000
  .equ MSTATUS_MXR, 0x80000
  # table[index] = (target >> 12) << 10 | flags (clobbers t0, t1, t2)
  .macro PTE table, index, target, flags
  la t0, \\target
  srli t0, t0, 12
  slli t0, t0, 10
  li t1, \\flags
  or t0, t0, t1
  la t1, \\table
  li t2, (\\index) * 8
  add t1, t1, t2
  sd t0, 0(t1)
  .endm
  # table[index] = raw value (clobbers t0, t1, t2)
  .macro PTE_RAW table, index, value
  li t0, \\value
  la t1, \\table
  li t2, (\\index) * 8
  add t1, t1, t2
  sd t0, 0(t1)
  .endm

  PMP_ALLOW_ALL
  # RAM, identity: root[2] is a gigapage leaf at 0x80000000.
  li t0, (0x80000000 >> 12) << 10 | ${V | R | W | X | A | D}
  la t1, root
  sd t0, 16(t1)
  PTE root, 1, l1, ${V}
  PTE l1, 0, l0, ${V}
  # Sv48 and Sv57: more levels above the same tables.
  PTE root48, 0, root, ${V}
  PTE root57, 0, root48, ${V}
${setup}
  la t0, ${mode === 8 ? 'root' : mode === 9 ? 'root48' : 'root57'}
  srli t0, t0, 12
  li t1, ${mode}
  slli t1, t1, 60
  or t0, t0, t1
  csrw satp, t0
  sfence.vma
  ENTER_S s_code
s_code:
${sCode}
  EXIT_ECALL

  .data
  .balign 4096
root: .space 4096
l1: .space 4096
l0: .space 4096
root48: .space 4096
root57: .space 4096
page0: .dword 0x1111111111111111, 0x2222222222222222
  .balign 4096
page1: .dword 0x3333333333333333
  .balign 4096
page2: .dword 0x4444444444444444
  .balign 4096
page3: .dword 0x5555555555555555
  .balign 4096
  .text
`;
}

describe('Sv39 translation', () => {
  it('loads and stores through 4 KiB pages and a gigapage, and the walk sets A and D', async () => {
    const r = await run(paged(`
  PTE l0, 0, page0, ${V | R | W}
  PTE l0, 1, page1, ${V | R | W | A}
`, `
  li s0, ${VA}
  ld a0, 8(s0)          # page0's second dword, through the 4 KiB page
  li t0, 0x7777
  sd t0, 0(s0)          # page0 via VA: sets A and D in l0[0]
  li s1, ${page(1)}
  ld a1, 0(s1)          # page1: A already set, stays without D
  la s2, page0
  ld a2, 0(s2)          # the same word through the identity gigapage
`));
    expect(r.traps).toEqual([]);
    expect(r.reg('a0')).toBe(0x2222222222222222n);
    expect(r.reg('a2')).toBe(0x7777n);
    const [pte0, pte1] = r.words('l0', 2);
    expect(pte0 & 0xffn).toBe(BigInt(V | R | W | A | D));
    expect(pte1 & 0xffn).toBe(BigInt(V | R | W | A));
    expect(r.reg('a1')).toBe(0x3333333333333333n);
  });

  it('page faults carry the virtual address: not valid, read-only, W without R, non-canonical, misaligned superpage, reserved PBMT bits', async () => {
    const r = await run(paged(`
  PTE l0, 0, page0, ${V | R | A | D}
  PTE l0, 2, page2, ${V | W | A | D}
  PTE l0, 3, page3, ${V | R | W | A | D}
  # l1[1]: a 2 MiB leaf whose PPN is not 2 MiB-aligned
  PTE l1, 1, page1, ${V | R | W | A | D}
  # l0[4]: page3 with PBMT = 1 (bit 61), reserved without Svpbmt
  la t0, page3
  srli t0, t0, 12
  slli t0, t0, 10
  ori t0, t0, ${V | R | W | A | D}
  li t1, 1
  slli t1, t1, 61
  or t0, t0, t1
  la t1, l0
  sd t0, 32(t1)
`, `
  li s0, ${page(1)}
f_invalid:
  ld a0, 0(s0)          # l0[1] is 0: load page fault
f_invalid_store:
  sd a0, 0(s0)          # store page fault
  li s0, ${VA}
f_readonly:
  sd a0, 0(s0)          # page0 is read-only
  li s0, ${page(2)}
f_w_without_r:
  ld a0, 0(s0)          # W without R is reserved
  li s0, 0x0000004000000000
f_noncanonical:
  ld a0, 0(s0)          # bit 38 set, upper bits clear
  li s0, 0x40200000
f_superpage:
  ld a0, 0(s0)          # the misaligned 2 MiB superpage
  li s0, ${page(4)}
f_pbmt:
  ld a0, 0(s0)
  li s0, ${page(3)}
  ld a1, 0(s0)          # a good page still works
`));
    expect(r.traps.map((t) => [t.cause, t.epc, t.tval])).toEqual([
      [CAUSE.loadPage, r.sym('f_invalid'), page(1)],
      [CAUSE.storePage, r.sym('f_invalid_store'), page(1)],
      [CAUSE.storePage, r.sym('f_readonly'), VA],
      [CAUSE.loadPage, r.sym('f_w_without_r'), page(2)],
      [CAUSE.loadPage, r.sym('f_noncanonical'), 0x4000000000n],
      [CAUSE.loadPage, r.sym('f_superpage'), 0x40200000n],
      [CAUSE.loadPage, r.sym('f_pbmt'), page(4)],
    ]);
    expect(r.reg('a1')).toBe(0x5555555555555555n);
  });

  it('user pages from S need SUM (data only), MXR lets loads read execute-only pages, U cannot touch supervisor pages', async () => {
    const r = await run(paged(`
  PTE l0, 0, page0, ${V | R | W | U | A | D}
  PTE l0, 1, page1, ${V | X | A | D}
`, `
  li s0, ${VA}
f_sum:
  ld a0, 0(s0)          # U page, SUM clear: fault
  li t0, MSTATUS_SUM
  csrs sstatus, t0
  ld a1, 0(s0)          # with SUM
  li s1, ${page(1)}
f_xonly:
  ld a2, 0(s1)          # execute-only: fault
  li t0, MSTATUS_MXR
  csrs sstatus, t0
  ld a3, 0(s1)          # MXR: readable
  # to U-mode at u_code (identity-mapped, but the gigapage is not a user page)
  li t0, 0x100
  csrc sstatus, t0
  la t0, u_code
  csrw sepc, t0
  sret
u_code:
  nop
`));
    expect(r.traps.map((t) => [t.cause, t.epc, t.tval])).toEqual([
      [CAUSE.loadPage, r.sym('f_sum'), VA],
      [CAUSE.loadPage, r.sym('f_xonly'), page(1)],
      [CAUSE.fetchPage, r.sym('u_code'), r.sym('u_code')],
    ]);
    expect(r.reg('a1')).toBe(0x1111111111111111n);
    expect(r.reg('a3')).toBe(0x3333333333333333n);
  });

  it('an access across a page boundary translates both pages (to pages that are not adjacent), and faults on the second at its start', async () => {
    const r = await run(paged(`
  PTE l0, 0, page2, ${V | R | W | A | D}
  PTE l0, 1, page0, ${V | R | W | A | D}
`, `
  li s0, ${page(1) - 4n}
  ld a0, 0(s0)          # last 4 bytes of page2 (zero) and first 4 of page0
  li t0, 0x0123456789abcdef
  sd t0, 0(s0)
  la s1, page0
  ld a1, 0(s1)          # through the identity map: the high half landed in page0
  li s2, ${page(2) - 2n}
f_cross:
  lw a2, 0(s2)          # page 2 of the window is not mapped
`));
    expect(r.reg('a0')).toBe(0x1111111100000000n);
    expect(r.reg('a1')).toBe(0x1111111101234567n);
    expect(r.traps.map((t) => [t.cause, t.epc])).toEqual([[CAUSE.loadPage, r.sym('f_cross')]]);
  });

  it('AMOs and SC on a read-only page raise store page faults; LR a load page fault on an unmapped one', async () => {
    const r = await run(paged(`
  PTE l0, 0, page0, ${V | R | A}
`, `
  li s0, ${VA}
  li t0, 1
f_amo:
  amoadd.d a0, t0, (s0)
  lr.d a1, (s0)
f_sc:
  sc.d a2, t0, (s0)
  li s1, ${page(5)}
f_lr:
  lr.d a3, (s1)
  ld a4, 0(s0)
`));
    expect(r.traps.map((t) => [t.cause, t.epc, t.tval])).toEqual([
      [CAUSE.storePage, r.sym('f_amo'), VA],
      [CAUSE.storePage, r.sym('f_sc'), VA],
      [CAUSE.loadPage, r.sym('f_lr'), page(5)],
    ]);
    expect(r.reg('a1')).toBe(0x1111111111111111n);
    expect(r.reg('a4')).toBe(0x1111111111111111n);
  });

  it('an AMO or SC on an unmapped page: the fault QEMU 7.2 raises (it translates the load side first)', async () => {
    const r = await run(paged('', `
  li s0, ${page(6)}
  li t0, 1
f_amo:
  amoswap.w a0, t0, (s0)
  lr.w a1, (s0)
f_sc:
  sc.w a2, t0, (s0)
`));
    // (The final state, trap log included, is also compared with QEMU's by run().)
    expect(r.traps.map((t) => [t.cause, t.epc, t.tval])).toEqual([
      [CAUSE.loadPage, r.sym('f_amo'), page(6)],
      [CAUSE.loadPage, r.sym('f_amo') + 4n, page(6)],
    ]);
    expect(r.reg('a2')).toBe(1n); // the SC failed: no reservation, so no access and no fault
  });

  it('the debugger reads and writes memory at virtual addresses under the current translation, as GDB with QEMU does', async () => {
    const r = await run(paged(`
  PTE l0, 0, page0, ${V | R | W | A | D}
  PTE l0, 1, page2, ${V | R | A}
`, `
  li s0, ${VA}
  ld a0, 0(s0)
stop_here:
  nop
`), { breakpoints: ['stop_here'], stop: 'breakpoint' });
    const m = r.machine;
    expect(m.privilege).toBe(1);
    expect(m.translating()).toBe(true);
    expect(m.translateForDebugger(VA + 8n)).toBe(r.sym('page0') + 8n);
    const bytes = m.readMemory(VA, 16)!;
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    expect(view.getBigUint64(0, true)).toBe(0x1111111111111111n);
    expect(view.getBigUint64(8, true)).toBe(0x2222222222222222n);
    // Across the page boundary, to the page the next entry maps (not the adjacent one).
    const across = m.readMemory(page(1) - 4n, 8)!;
    expect(new DataView(across.buffer, across.byteOffset).getUint32(4, true)).toBe(0x44444444);
    expect(m.readMemory(page(5), 4)).toBeUndefined();
    expect(m.readPhysicalMemory(VA, 4)).toBeUndefined();
    // Writes go to the page the address maps to; an unmapped byte anywhere writes nothing.
    expect(m.writeMemory(VA + 8n, new Uint8Array([0xaa]))).toBe(true);
    expect(m.readPhysicalMemory(r.sym('page0') + 8n, 1)).toEqual(new Uint8Array([0xaa]));
    expect(m.writeMemory(page(2) - 1n, new Uint8Array([1, 2]))).toBe(false);
    expect(m.readMemory(page(2) - 1n, 1)).toEqual(new Uint8Array([0])); // (the mapped byte is unchanged)
  });

  it('code runs from a virtual page mapped elsewhere', async () => {
    const r = await run(paged(`
  PTE l0, 0, far_code, ${V | X | A}
`, `
  li s0, ${VA}
  jalr ra, 0(s0)        # far_code at virtual 0x40000000
  addi a1, a0, 1
  .data
  .balign 4096
far_code:
  li a0, 41
  ret
  .balign 4096
  .text
`));
    expect(r.traps).toEqual([]);
    expect(r.reg('a1')).toBe(42n);
  });
});

describe('other translation modes and controls', () => {
  for (const [name, mode] of [['Sv48', 9], ['Sv57', 10]] as const) {
    it(`${name} walks the extra levels`, async () => {
      const r = await run(paged(`
  PTE l0, 0, page1, ${V | R | W | A | D}
`, `
  li s0, ${VA}
  ld a0, 0(s0)
  csrr a1, satp
`, mode));
      expect(r.traps).toEqual([]);
      expect(r.reg('a0')).toBe(0x3333333333333333n);
      expect(r.reg('a1') >> 60n).toBe(BigInt(mode));
    });
  }

  it('satp ignores writes of modes it does not have (WARL), and M-mode with MPRV and MPP = S translates its loads', async () => {
    const r = await run(paged(`
  PTE l0, 0, page3, ${V | R | W | A | D}
  li t0, 1
  slli t0, t0, 60      # mode 1: reserved
  csrw satp, t0
  csrr s3, satp
  li t0, 0x800
  csrs mstatus, t0     # MPP = S
  la t0, root
  srli t0, t0, 12
  li t1, 8
  slli t1, t1, 60
  or t0, t0, t1
  csrw satp, t0
  li t0, MSTATUS_MPRV
  csrs mstatus, t0
  li s0, ${VA}
  ld s4, 0(s0)          # M-mode, but translated as S
  li t0, MSTATUS_MPRV
  csrc mstatus, t0
`, `
  nop
`));
    expect(r.reg('s3')).toBe(0n);
    expect(r.reg('s4')).toBe(0x5555555555555555n);
  });
});
