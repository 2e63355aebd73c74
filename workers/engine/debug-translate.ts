// The debugger's view of virtual memory: a page-table walk without side
// effects (no A/D updates, no faults, no TLB), as GDB sees memory through
// QEMU's gdbstub. Addresses the debugger shows and reads (pc, sp, the memory
// view, `x`, GDB's `m` packets) are virtual under the hart's current
// translation; in M-mode, or with satp's MODE Bare, they are physical.
//
// Permissions are not checked: the debugger may look at any mapped page
// (a supervisor page while the hart is in U-mode, say), but an unmapped one
// reads as nothing.

/** Reads `size` (8) bytes of physical memory as a little-endian u64, or undefined outside RAM. */
export type ReadPhysicalU64 = (paddr: bigint) => bigint | undefined;

const PTE_V = 1n, PTE_R = 2n, PTE_W = 4n, PTE_X = 8n;
const PPN_MASK = 0x003f_ffff_ffff_fc00n;
const MASK64 = (1n << 64n) - 1n;

/** satp MODE → number of levels (Sv39, Sv48, Sv57), or 0 for Bare / unsupported. */
function levelsOf(satp: bigint): number {
  switch (Number(satp >> 60n)) {
    case 8: return 3;
    case 9: return 4;
    case 10: return 5;
    default: return 0;
  }
}

/** Whether a hart at privilege `priv` with this satp translates its accesses. */
export function translationActive(priv: number, satp: bigint): boolean {
  return priv !== 3 && levelsOf(satp) !== 0;
}

/**
 * The physical address of `vaddr` under `satp` (which must translate), or
 * undefined if it is not mapped (invalid entry, malformed table, non-canonical
 * address, a table outside RAM).
 */
export function debugTranslate(vaddr: bigint, satp: bigint, readU64: ReadPhysicalU64): bigint | undefined {
  const levels = levelsOf(satp);
  const vaBits = 12n + 9n * BigInt(levels);
  const upper = BigInt.asIntN(64, vaddr) >> (vaBits - 1n);
  if (upper !== 0n && upper !== -1n) return undefined;
  let table = (satp & 0x0000_0fff_ffff_ffffn) << 12n;
  for (let level = levels - 1; level >= 0; level--) {
    const shift = 12n + 9n * BigInt(level);
    const pte = readU64(table + (((vaddr >> shift) & 0x1ffn) << 3n));
    if (pte === undefined) return undefined;
    if ((pte & PTE_V) === 0n || ((pte & PTE_R) === 0n && (pte & PTE_W) !== 0n) || (pte >> 61n) !== 0n) return undefined;
    const ppn = (pte & PPN_MASK) >> 10n;
    if ((pte & (PTE_R | PTE_X)) === 0n) { table = ppn << 12n; continue; }
    const pageMask = (1n << shift) - 1n;
    if (((ppn << 12n) & pageMask) !== 0n) return undefined;
    return (((ppn << 12n) & ~pageMask) | (vaddr & pageMask)) & MASK64;
  }
  return undefined;
}
