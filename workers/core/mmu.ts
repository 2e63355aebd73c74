// Virtual memory: Sv39, Sv48 and Sv57 page-table walks, as QEMU 7.2's
// get_physical_address does them for the default rv64 CPU (no Svpbmt, no
// Svnapot): hardware A/D updates, PMP on the page-table reads, page faults with
// the virtual address in tval.
//
// The TLB: three direct-mapped arrays (fetch, load, store) of 4 KiB pages,
// each entry a tag (virtual page | privilege level) and an addend that turns
// the virtual address into a RAM offset, as TinyEMU's. An entry is filled only
// by a successful walk of a page that is RAM and that PMP grants whole for that
// access at that level, and a store entry only once the walk has set D; so a
// hit needs no other check. Failed walks are never cached. It is flushed by
// satp writes, sfence.vma (whatever its operands), PMP writes, changes of
// mstatus.SUM or MXR, and every state restore: only a guest that changes a
// live page-table entry without sfence.vma can see that it exists.
//
// While the debugger has watchpoints armed, untranslated data accesses go
// through the TLB too (identity entries, filled by the slow path), and no data
// entry is filled for a virtual page a watchpoint touches: accesses to those
// pages take the slow path, which checks the watchpoints, and the rest stay
// fast. Watchpoint changes flush the TLB.
import { RAM, RAM_BASE, TLB, TLB_ENTRIES, WATCHPOINTS, WATCHPOINT_SLOTS, WATCHPOINT_SIZE } from './layout';
import {
  satp, mstatus, ramSize, NEVER, PRIV_M, PRIV_S, PRIV_U, MSTATUS_SUM, MSTATUS_MXR,
  CAUSE_FETCH_ACCESS, CAUSE_LOAD_ACCESS, CAUSE_STORE_ACCESS, fetchTranslated, dataThroughTlb, fetchMode, dataMode, watchpointCount,
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

const TLB_FETCH: usize = TLB;
const TLB_LOAD: usize = TLB + <usize>TLB_ENTRIES * 16;
const TLB_STORE: usize = TLB + <usize>TLB_ENTRIES * 32;
const PAGE_OFFSET: u64 = 0xfff;

export function tlbFlush(): void {
  memory.fill(TLB, 0xff, <usize>TLB_ENTRIES * 48);
}

@inline function tlbLookup(table: usize, vaddr: u64, mode: u32): u64 {
  const e = table + (<usize>((vaddr >> 12) & (TLB_ENTRIES - 1)) << 4);
  return load<u64>(e) == ((vaddr & ~PAGE_OFFSET) | <u64>mode) ? vaddr + load<u64>(e, 8) : NEVER;
}

function tlbFill(access: u32, vaddr: u64, paddr: u64, mode: u32): void {
  const page = paddr & ~PAGE_OFFSET;
  if (page - RAM_BASE >= ramSize || !pmpAllows(page, 4096, access, mode)) return;
  if (access != ACCESS_EXEC && watchpointCount != 0 && pageWatched(vaddr & ~PAGE_OFFSET)) return;
  const table = access == ACCESS_EXEC ? TLB_FETCH : access == ACCESS_WRITE ? TLB_STORE : TLB_LOAD;
  const e = table + (<usize>((vaddr >> 12) & (TLB_ENTRIES - 1)) << 4);
  store<u64>(e, (vaddr & ~PAGE_OFFSET) | <u64>mode);
  store<u64>(e, (page - RAM_BASE) - (vaddr & ~PAGE_OFFSET), 8);
}

/** Whether any armed watchpoint overlaps the virtual page at `page`. */
function pageWatched(page: u64): bool {
  for (let i: u32 = 0; i < WATCHPOINT_SLOTS; i++) {
    const p = WATCHPOINTS + i * WATCHPOINT_SIZE;
    if (load<u64>(p, 16) == 0) continue;
    if (load<u64>(p) < page + 4096 && load<u64>(p, 8) > page) return true;
  }
  return false;
}

/** After an untranslated data access by the slow path: caches its page's identity mapping when the fast path uses the TLB. */
export function tlbFillUntranslated(access: u32, addr: u64, mode: u32): void {
  if (dataThroughTlb) tlbFill(access, addr, addr, mode);
}

/**
 * The RAM offset of the instruction at `vaddr`, for the fast path: the offset
 * itself when fetches are not translated, else the TLB's, or NEVER on a miss
 * (and for a page's last halfword, whose instruction may continue on the next page).
 */
@inline export function fetchOffset(vaddr: u64): u64 {
  if (!fetchTranslated) return vaddr - RAM_BASE;
  if ((vaddr & PAGE_OFFSET) == 0xffe) return NEVER;
  return tlbLookup(TLB_FETCH, vaddr, fetchMode);
}

/** The RAM offset of a `size`-byte load at `vaddr` (NEVER: take the slow path). */
@inline export function loadOffset(vaddr: u64, size: u64): u64 {
  if (!dataThroughTlb) return vaddr - RAM_BASE;
  if ((vaddr & PAGE_OFFSET) + size > 4096) return NEVER;
  return tlbLookup(TLB_LOAD, vaddr, dataMode);
}

/** The RAM offset of a `size`-byte store at `vaddr` (NEVER: take the slow path). */
@inline export function storeOffset(vaddr: u64, size: u64): u64 {
  if (!dataThroughTlb) return vaddr - RAM_BASE;
  if ((vaddr & PAGE_OFFSET) + size > 4096) return NEVER;
  return tlbLookup(TLB_STORE, vaddr, dataMode);
}

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
    const paddr = ((ppn << 12) & ~pageMask) | (vaddr & pageMask);
    tlbFill(access, vaddr, paddr, mode);
    return paddr;
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
