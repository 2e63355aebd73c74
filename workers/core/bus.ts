// The slow path of every memory access: address translation, RAM edges, devices, PMP, watchpoints.
// The interpreter's fast path handles plain RAM accesses inline and comes here
// for everything else.
import {
  RAM, RAM_BASE, MROM, MROM_BASE, MROM_SIZE, CLINT_BASE, CLINT_SIZE, UART_BASE, UART_SIZE, TEST_BASE,
  PLIC_BASE, PLIC_SIZE, VIRTIO_BASE, VIRTIO_SLOT_SIZE, VIRTIO_SLOTS,
  DIRTY_PAGES, PAGE_SHIFT, WATCHPOINTS, WATCHPOINT_SIZE, WATCHPOINT_SLOTS, WATCH_HIT,
} from './layout';
import {
  ramSize, NEVER, sliceEnd, stopReason, STOP_EXIT, STOP_WATCHPOINT, exitCode, watchpointCount, pc,
  CAUSE_FETCH_ACCESS, CAUSE_LOAD_ACCESS, CAUSE_STORE_ACCESS, CAUSE_BREAKPOINT, priv, faulted, boardRevision, dataTriggers,
} from './state';
import { clintRead, clintWrite, subword } from './clint';
import { uartRead, uartWrite } from './uart';
import { plicRead, plicWrite } from './plic';
import { virtioRead, virtioWrite } from './virtio';
import { raiseException, pmpAllows, dataPrivilege, ACCESS_READ, ACCESS_WRITE, ACCESS_EXEC } from './trap';
import { translates, translate, tlbFillUntranslated } from './mmu';
import { dataTriggerFires, TRIGGER_READ, TRIGGER_WRITE } from './trigger';
import { jitCheckWrite, jitCheckRange } from './jit';

const PAGE_SIZE: u64 = 4096;
const PAGE_MASK: u64 = 4095;

export const WATCH_READ: u32 = 1;
export const WATCH_WRITE: u32 = 2;

@inline function ramOffset(addr: u64, size: u64): u64 {
  const off = addr - RAM_BASE;
  return off < ramSize && size <= ramSize - off ? off : NEVER;
}

/** An access that starts inside RAM and runs past its end. */
function crossesRamEnd(addr: u64, size: u64): bool {
  const off = addr - RAM_BASE;
  return off < ramSize && size > ramSize - off;
}

export function markDirty(off: u64, size: u64): void {
  const first = <u32>(off >> PAGE_SHIFT);
  const last = <u32>((off + size - 1) >> PAGE_SHIFT);
  store<u8>(DIRTY_PAGES + first, 1);
  if (last != first) store<u8>(DIRTY_PAGES + last, 1);
  jitCheckWrite(off, size); // translated code made from these bytes is dropped
}

/** Marks every page of a longer write (device DMA), in RAM or, past ramSize, in the disk. */
export function markDirtyRange(off: u64, size: u64): void {
  if (size == 0) return;
  const last = <u32>((off + size - 1) >> PAGE_SHIFT);
  for (let page = <u32>(off >> PAGE_SHIFT); page <= last; page++) store<u8>(DIRTY_PAGES + page, 1);
  jitCheckRange(off, size);
}

@inline function readRam(off: u64, size: u64): u64 {
  const p = RAM + <usize>off;
  if (size == 1) return <u64>load<u8>(p);
  if (size == 2) return <u64>load<u16>(p);
  if (size == 4) return <u64>load<u32>(p);
  return load<u64>(p);
}

@inline function writeRam(off: u64, size: u64, value: u64): void {
  const p = RAM + <usize>off;
  if (size == 1) store<u8>(p, <u8>value);
  else if (size == 2) store<u16>(p, <u16>value);
  else if (size == 4) store<u32>(p, <u32>value);
  else store<u64>(p, value);
  markDirty(off, size);
}

// ---- instruction fetch ----

/** Fetches the (up to) 32-bit instruction at addr, or raises a page or access fault. */
export function fetchSlow(addr: u64): u32 {
  const translated = translates(priv);
  const pa = translated ? translate(addr, ACCESS_EXEC, priv) : addr;
  if (pa == NEVER) return 0;
  if (!pmpAllows(pa, 2, ACCESS_EXEC, priv)) { raiseException(CAUSE_FETCH_ACCESS, addr); return 0; }
  const lowOk = fetchHalf(pa);
  if (!lowOk) { raiseException(CAUSE_FETCH_ACCESS, addr); return 0; }
  const low = fetchedHalf;
  if ((low & 3) != 3) return low;
  // The upper half may be on the next page, with its own translation.
  let pa2 = pa + 2;
  if (translated && ((addr + 2) & PAGE_MASK) == 0) {
    pa2 = translate(addr + 2, ACCESS_EXEC, priv);
    if (pa2 == NEVER) return 0;
  }
  if (!pmpAllows(pa2, 2, ACCESS_EXEC, priv) || !fetchHalf(pa2)) {
    raiseException(CAUSE_FETCH_ACCESS, addr + 2);
    return 0;
  }
  return low | (fetchedHalf << 16);
}

let fetchedHalf: u32 = 0;
function fetchHalf(addr: u64): bool {
  const off = ramOffset(addr, 2);
  if (off != NEVER) { fetchedHalf = <u32>load<u16>(RAM + <usize>off); return true; }
  const r = addr - MROM_BASE;
  if (r < <u64>MROM_SIZE - 1) { fetchedHalf = <u32>load<u16>(MROM + <usize>r); return true; }
  return false;
}

// ---- loads ----

/** Loads `size` bytes (zero-extended) from virtual address `addr`; on a fault raises the exception and returns 0. */
export function loadSlow(addr: u64, size: u64): u64 {
  // A guest debug trigger matches the virtual address before anything else: before translation, PMP and the access (QEMU 7.2).
  if (dataTriggers && triggerFires(addr, size, TRIGGER_READ)) return 0;
  const mode = dataPrivilege();
  if (!translates(mode)) {
    const value = loadPhysical(addr, addr, size, mode);
    if (!faulted) tlbFillUntranslated(ACCESS_READ, addr, mode);
    return value;
  }
  const pa = translate(addr, ACCESS_READ, mode);
  if (pa == NEVER) return 0;
  const inPage = PAGE_SIZE - (addr & PAGE_MASK);
  if (size <= inPage) return loadPhysical(pa, addr, size, mode);
  // A misaligned load across a page boundary: both pages translated, then each part read.
  const pa2 = translate(addr + inPage, ACCESS_READ, mode);
  if (pa2 == NEVER) return 0;
  const low = loadParts(pa, addr, inPage, mode);
  if (faulted) return 0;
  const high = loadParts(pa2, addr + inPage, size - inPage, mode);
  if (faulted) return 0;
  return low | (high << (inPage * 8));
}

/** Bytes one at a time (a page-crossing access is rare, and its parts have odd sizes). */
function loadParts(pa: u64, va: u64, size: u64, mode: u32): u64 {
  let value: u64 = 0;
  for (let i: u64 = 0; i < size; i++) {
    value |= loadPhysical(pa + i, va + i, 1, mode) << (i * 8);
    if (faulted) return 0;
  }
  return value;
}

/** A load at physical address `addr` (virtual address `va`, for faults and watchpoints). */
function loadPhysical(addr: u64, va: u64, size: u64, mode: u32): u64 {
  if (!pmpAllows(addr, size, ACCESS_READ, mode)) { raiseException(CAUSE_LOAD_ACCESS, va); return 0; }
  let value: u64 = 0;
  const off = ramOffset(addr, size);
  if (off != NEVER) {
    value = readRam(off, size);
  } else if (addr - MROM_BASE < <u64>MROM_SIZE && size <= <u64>MROM_SIZE - (addr - MROM_BASE)) {
    const r = addr - MROM_BASE;
    for (let i: u64 = 0; i < size; i++) value |= <u64>load<u8>(MROM + <usize>(r + i)) << (i * 8);
  } else if (addr - CLINT_BASE < CLINT_SIZE) {
    value = clintRead(addr - CLINT_BASE, size);
  } else if (addr - UART_BASE < UART_SIZE) {
    value = <u64>uartRead(<u32>(addr - UART_BASE));
  } else if (boardRevision >= 2 && addr - PLIC_BASE < PLIC_SIZE) {
    value = subword(<u64>plicRead((addr - PLIC_BASE) & ~3), addr & 3, size);
  } else if (boardRevision >= 2 && addr - VIRTIO_BASE < VIRTIO_SLOT_SIZE * VIRTIO_SLOTS) {
    value = <u64>virtioRead(addr - VIRTIO_BASE, size);
  } else if (addr - TEST_BASE < 0x1000) {
    value = 0;
  } else {
    raiseException(CAUSE_LOAD_ACCESS, crossesRamEnd(addr, size) ? va + (RAM_BASE + ramSize - addr) : va);
    return 0;
  }
  if (watchpointCount != 0) checkWatch(va, size, WATCH_READ, value, value);
  return value;
}

// ---- stores ----

/** Stores the low `size` bytes of value at virtual address `addr`; on a fault raises the exception. */
export function storeSlow(addr: u64, size: u64, value: u64): void {
  if (dataTriggers && triggerFires(addr, size, TRIGGER_WRITE)) return;
  const mode = dataPrivilege();
  if (!translates(mode)) {
    storePhysical(addr, addr, size, value, mode);
    if (!faulted) tlbFillUntranslated(ACCESS_WRITE, addr, mode);
    return;
  }
  const pa = translate(addr, ACCESS_WRITE, mode);
  if (pa == NEVER) return;
  const inPage = PAGE_SIZE - (addr & PAGE_MASK);
  if (size <= inPage) { storePhysical(pa, addr, size, value, mode); return; }
  // Across a page boundary: both pages are translated before any byte is written.
  const pa2 = translate(addr + inPage, ACCESS_WRITE, mode);
  if (pa2 == NEVER) return;
  for (let i: u64 = 0; i < size; i++) {
    const part = i < inPage ? pa + i : pa2 + (i - inPage);
    storePhysical(part, addr + i, 1, value >> (i * 8), mode);
    if (faulted) return;
  }
}

/**
 * Translates the store side of an AMO or SC without storing, after its load
 * side has translated (QEMU 7.2's order: an unmapped page is a load page
 * fault, a read-only one a store page fault), so nothing is written unless
 * both can be done. Returns false if it faulted.
 */
export function probeStore(addr: u64): bool {
  const mode = dataPrivilege();
  if (!translates(mode)) return true;
  return translate(addr, ACCESS_WRITE, mode) != NEVER;
}

/** A store at physical address `addr` (virtual address `va`, for faults and watchpoints). */
function storePhysical(addr: u64, va: u64, size: u64, value: u64, mode: u32): void {
  if (!pmpAllows(addr, size, ACCESS_WRITE, mode)) { raiseException(CAUSE_STORE_ACCESS, va); return; }
  const off = ramOffset(addr, size);
  if (off != NEVER) {
    if (watchpointCount != 0) checkWatch(va, size, WATCH_WRITE, readRam(off, size), value);
    writeRam(off, size, value);
    return;
  }
  if (addr - MROM_BASE < <u64>MROM_SIZE) {
    // ROM: writes are ignored, as on QEMU's board.
  } else if (addr - CLINT_BASE < CLINT_SIZE) {
    clintWrite(addr - CLINT_BASE, size, value);
  } else if (addr - UART_BASE < UART_SIZE) {
    uartWrite(<u32>(addr - UART_BASE), <u32>(value & 0xff));
  } else if (boardRevision >= 2 && addr - PLIC_BASE < PLIC_SIZE) {
    if (size >= 4) plicWrite((addr - PLIC_BASE) & ~3, <u32>value);
  } else if (boardRevision >= 2 && addr - VIRTIO_BASE < VIRTIO_SLOT_SIZE * VIRTIO_SLOTS) {
    virtioWrite(addr - VIRTIO_BASE, size, <u32>value);
  } else if (addr - TEST_BASE < 0x1000) {
    if (addr == TEST_BASE) testWrite(<u32>value);
  } else if (crossesRamEnd(addr, size)) {
    // As QEMU: the bytes inside RAM are written, then the access faults at the first address past it.
    const off = addr - RAM_BASE;
    const inside = ramSize - off;
    for (let i: u64 = 0; i < inside; i++) store<u8>(RAM + <usize>(off + i), <u8>(value >> (i * 8)));
    markDirty(off, inside);
    raiseException(CAUSE_STORE_ACCESS, va + inside);
    return;
  } else {
    raiseException(CAUSE_STORE_ACCESS, va);
    return;
  }
  if (watchpointCount != 0) checkWatch(va, size, WATCH_WRITE, 0, value);
}


// ---- debug triggers (the guest's, trigger.ts) ----

/**
 * Whether a load/store trigger fires on this access; if so raises the
 * breakpoint exception (tval 0, as QEMU 7.2) and the access is not made.
 */
export function triggerFires(va: u64, size: u64, kind: u32): bool {
  if (!dataTriggerFires(va, size, kind)) return false;
  raiseException(CAUSE_BREAKPOINT, 0);
  return true;
}

// ---- watchpoints (the debugger's) ----

function checkWatch(addr: u64, size: u64, kind: u32, oldValue: u64, newValue: u64): void {
  const end = addr + size;
  for (let i: u32 = 0; i < WATCHPOINT_SLOTS; i++) {
    const p = WATCHPOINTS + i * WATCHPOINT_SIZE;
    const kinds = <u32>load<u64>(p, 16);
    if ((kinds & kind) == 0) continue;
    const lo = load<u64>(p);
    const hi = load<u64>(p, 8);
    if (addr < hi && end > lo) {
      store<u64>(WATCH_HIT, addr);
      store<u64>(WATCH_HIT, size, 8);
      store<u64>(WATCH_HIT, <u64>kind, 16);
      store<u64>(WATCH_HIT, <u64>i, 24);
      store<u64>(WATCH_HIT, oldValue, 32);
      store<u64>(WATCH_HIT, newValue, 40);
      store<u64>(WATCH_HIT, pc, 48);
      stopReason = STOP_WATCHPOINT;
      sliceEnd = 0;
      return;
    }
  }
}

// ---- sifive_test finisher ----

function testWrite(value: u32): void {
  const status = value & 0xffff;
  if (status == 0x5555) { exitCode = 0; stopReason = STOP_EXIT; sliceEnd = 0; }
  else if (status == 0x3333) { exitCode = <i32>(value >> 16); stopReason = STOP_EXIT; sliceEnd = 0; }
}
