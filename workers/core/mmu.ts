// Virtual memory: Sv39, Sv48 and Sv57 page-table walks, as QEMU 7.2's
// get_physical_address does them for the default rv64 CPU (no Svpbmt, no
// Svnapot): hardware A/D updates, PMP on the page-table reads, page faults with
// the virtual address in tval.
//
// There is no TLB yet: every translated access walks the tables, so nothing a
// guest or a snapshot restore does can meet a stale translation, and the
// result never depends on what was cached. (The interpreter's fast path is off
// while translation is on; see updateFastPath.)
import { RAM, RAM_BASE } from './layout';
import {
  satp, mstatus, ramSize, NEVER, PRIV_M, PRIV_S, PRIV_U, MSTATUS_SUM, MSTATUS_MXR,
  CAUSE_FETCH_ACCESS, CAUSE_LOAD_ACCESS, CAUSE_STORE_ACCESS,
} from './state';
import { raiseException, pmpAllows, ACCESS_READ, ACCESS_WRITE, ACCESS_EXEC } from './trap';
import { markDirty } from './bus';

export const CAUSE_FETCH_PAGE_FAULT: u64 = 12;
export const CAUSE_LOAD_PAGE_FAULT: u64 = 13;
export const CAUSE_STORE_PAGE_FAULT: u64 = 15;

export const SATP_MODE_BARE: u64 = 0;
export const SATP_MODE_SV39: u64 = 8;
export const SATP_MODE_SV48: u64 = 9;
export const SATP_MODE_SV57: u64 = 10;

const PTE_V: u64 = 1;
const PTE_R: u64 = 2;
const PTE_W: u64 = 4;
const PTE_X: u64 = 8;
const PTE_U: u64 = 16;
const PTE_A: u64 = 64;
const PTE_D: u64 = 128;
/** Bits 10..53. Bits 54..60 are ignored, as QEMU 7.2 does. */
const PTE_PPN_MASK: u64 = 0x003ffffffffffc00;
/** PBMT (61-62) and N (63): reserved without Svpbmt and Svnapot, so a leaf or pointer with them faults. */
const PTE_PBMT_N: u64 = 0xe000000000000000;

/** Whether satp's MODE is one this machine translates with (WARL: other writes are ignored). */
export function satpModeSupported(mode: u64): bool {
  return mode == SATP_MODE_BARE || mode == SATP_MODE_SV39 || mode == SATP_MODE_SV48 || mode == SATP_MODE_SV57;
}

/** Whether accesses made at privilege `mode` are translated. */
@inline export function translates(mode: u32): bool {
  return mode != PRIV_M && (satp >> 60) != SATP_MODE_BARE;
}

@inline function pageFaultCause(access: u32): u64 {
  return access == ACCESS_EXEC ? CAUSE_FETCH_PAGE_FAULT : access == ACCESS_WRITE ? CAUSE_STORE_PAGE_FAULT : CAUSE_LOAD_PAGE_FAULT;
}

@inline function accessFaultCause(access: u32): u64 {
  return access == ACCESS_EXEC ? CAUSE_FETCH_ACCESS : access == ACCESS_WRITE ? CAUSE_STORE_ACCESS : CAUSE_LOAD_ACCESS;
}

/**
 * The physical address of `vaddr` for an access of kind `access` made at
 * privilege `mode` (which must translate). On failure raises the page fault or
 * access fault (tval = vaddr) and returns NEVER.
 */
export function translate(vaddr: u64, access: u32, mode: u32): u64 {
  const satpMode = satp >> 60;
  const levels: i32 = satpMode == SATP_MODE_SV39 ? 3 : satpMode == SATP_MODE_SV48 ? 4 : 5;
  const vaBits: u64 = 12 + 9 * <u64>levels;
  // The upper bits must all equal bit vaBits-1.
  const upper = <i64>vaddr >> <i64>(vaBits - 1);
  if (upper != 0 && upper != -1) { raiseException(pageFaultCause(access), vaddr); return NEVER; }

  let table = (satp & 0x00000fffffffffff) << 12;
  for (let level = levels - 1; level >= 0; level--) {
    const shift = 12 + 9 * <u64>level;
    const pteAddr = table + (((vaddr >> shift) & 0x1ff) << 3);
    // The walk reads memory as S-mode would, under PMP; only RAM holds page tables.
    const off = pteAddr - RAM_BASE;
    if (!pmpAllows(pteAddr, 8, ACCESS_READ, PRIV_S) || off >= ramSize || ramSize - off < 8) {
      raiseException(accessFaultCause(access), vaddr);
      return NEVER;
    }
    const pte = load<u64>(RAM + <usize>off);
    const ppn = (pte & PTE_PPN_MASK) >> 10;
    if ((pte & PTE_V) == 0 || ((pte & PTE_R) == 0 && (pte & PTE_W) != 0) || (pte & PTE_PBMT_N) != 0) break;
    if ((pte & (PTE_R | PTE_X)) == 0) { // a pointer to the next level
      table = ppn << 12;
      continue;
    }
    // A leaf. A superpage's low PPN bits must be zero.
    const pageMask: u64 = (<u64>1 << shift) - 1;
    if (((ppn << 12) & pageMask) != 0) break;
    if (!leafAllows(pte, access, mode)) break;
    // A and D are set by the walk (QEMU 7.2 does this without Svadu).
    let updated = pte | PTE_A;
    if (access == ACCESS_WRITE) updated |= PTE_D;
    if (updated != pte) {
      store<u64>(RAM + <usize>off, updated);
      markDirty(off, 8);
    }
    return ((ppn << 12) & ~pageMask) | (vaddr & pageMask);
  }
  raiseException(pageFaultCause(access), vaddr);
  return NEVER;
}

function leafAllows(pte: u64, access: u32, mode: u32): bool {
  if ((pte & PTE_U) != 0) {
    // S-mode reaches user pages only for data, and only with SUM.
    if (mode == PRIV_S && (access == ACCESS_EXEC || (mstatus & MSTATUS_SUM) == 0)) return false;
  } else if (mode == PRIV_U) {
    return false;
  }
  if (access == ACCESS_EXEC) return (pte & PTE_X) != 0;
  if (access == ACCESS_WRITE) return (pte & PTE_W) != 0;
  return (pte & PTE_R) != 0 || ((mstatus & MSTATUS_MXR) != 0 && (pte & PTE_X) != 0);
}
