// The core's exported surface: reset, run(budget), registers, CSRs, memory
// layout, breakpoints, watchpoints, devices, dirty pages and machine state.
import * as L from './layout';
import * as S from './state';
import { buildCompressedTable } from './compressed';
import { run as runLoop, completeHostCall as retireHostCall, fetchFaulted, attemptPc, attemptIcount, setStepRange as setRange } from './cpu';
import { csrRead, csrWrite, csrIllegal } from './csr';
import { updateFastPath, setSlowPathOnly as setSlow, resetTlb } from './trap';
import { uartReceive as pushRx, uartStatusReads as statusReads } from './uart';
import * as H from './harts';
import * as J from './jit';
import { mulDiv64, mulDiv32 } from './cpu';
import { jitFp as fpuJitFp, jitFma as fpuJitFma } from './fpu';

export {
  REGS, FREGS, REGISTER_FILE_BYTES, STATE, STATE_CAPACITY, WATCH_HIT, TX_BUFFER, TX_CAPACITY, RX_CAPACITY, BREAKPOINTS, BREAKPOINT_SLOTS,
  WATCHPOINTS, WATCHPOINT_SLOTS, WATCHPOINT_SIZE, MROM, MROM_SIZE, DIRTY_PAGES, DIRTY_CAPACITY, SCRATCH,
  SCRATCH_SIZE, RAM, SCHEDULE_LOG, COMPRESSED_TABLE,
} from './layout';

/** Called by the runtime on an internal assertion failure: a core bug, never guest behaviour. */
export function coreAbort(message: usize, file: usize, line: u32, column: u32): void {
  unreachable();
}

const MAX_RAM: u64 = <u64>L.DIRTY_CAPACITY << L.PAGE_SHIFT;

/**
 * Sizes linear memory for `ramBytes` of guest RAM and a virtio disk of
 * `diskBytes` (0: none; a multiple of 512), on board revision `board` (see
 * state.ts). Returns false if that machine is not supported.
 */
export function init(ramBytes: u64, diskBytes: u64, board: u32): bool {
  // The compiler's data must stay below RAM (asconfig memoryBase); the core never allocates.
  if (__heap_base > L.RAM) return false;
  if (ramBytes < (1 << 20) || ramBytes > MAX_RAM || (ramBytes & 0xfff) != 0) return false;
  if (board < 1 || board > 2 || (board < 2 && diskBytes != 0)) return false;
  if ((diskBytes & 511) != 0 || diskBytes > MAX_RAM - ramBytes) return false;
  // The disk occupies whole pages of the dirty map (the tail of the last one stays zero).
  const diskPagesBytes = (diskBytes + 0xfff) & ~<u64>0xfff;
  const execBytes = ramBytes >> L.EXEC_BLOCK_SHIFT;
  const needed = <u64>L.RAM + ramBytes + diskPagesBytes + 64 + execBytes + J.jitBytes(ramBytes);
  const have = <u64>memory.size() << 16;
  if (needed > have) {
    const pages = <i32>((needed - have + 0xffff) >> 16);
    if (memory.grow(pages) < 0) return false;
  }
  S.ramSize = ramBytes;
  S.diskSize = diskBytes;
  S.boardRevision = board;
  S.execMap = L.RAM + <usize>(ramBytes + diskPagesBytes) + 64;
  // The translation tier's tables follow the executed-code map (8-byte aligned).
  J.jitPlace((S.execMap + <usize>execBytes + 7) & ~<usize>7);
  buildCompressedTable();
  return true;
}

/**
 * Puts the machine in the state QEMU's virt board has at power-on with
 * `-bios none`: pc at the reset stub in the mask ROM, which loads a0 = hart id,
 * a1 = device-tree address, a2 = firmware-info address and jumps to RAM.
 * RAM and the disk are cleared; the engine loads the program and the disk
 * image afterwards.
 */
export function reset(ramKnownZero: bool): void {
  memory.fill(L.REGS, 0, L.REGISTER_FILE_BYTES);
  // A fresh machine's RAM is already zero (memory.grow): filling it would make the host back every page of it.
  if (!ramKnownZero) memory.fill(L.RAM, 0, <usize>(S.ramSize + S.diskSize));
  memory.fill(L.DEVICE_STATE, 0, L.DEVICE_STATE_SIZE);
  memory.fill(L.DIRTY_PAGES, 0, L.DIRTY_CAPACITY);
  memory.fill(S.execMap, 0, <usize>(S.ramSize >> L.EXEC_BLOCK_SHIFT));
  memory.fill(L.MROM, 0, L.MROM_SIZE);
  memory.fill(L.BREAKPOINTS, 0xff, L.BREAKPOINT_SLOTS * 8);
  memory.fill(L.WATCHPOINTS, 0, L.WATCHPOINT_SLOTS * L.WATCHPOINT_SIZE);
  const rom = L.MROM;
  store<u32>(rom, 0x00000297);      // auipc t0, 0
  store<u32>(rom, 0x02828613, 4);   // addi  a2, t0, 40  (firmware info)
  store<u32>(rom, 0xf1402573, 8);   // csrr  a0, mhartid
  store<u32>(rom, 0x0202b583, 12);  // ld    a1, 32(t0)  (device tree)
  store<u32>(rom, 0x0182b283, 16);  // ld    t0, 24(t0)  (start address)
  store<u32>(rom, 0x00028067, 20);  // jr    t0
  store<u64>(rom, L.RAM_BASE, 24);
  const ramEnd = L.RAM_BASE + S.ramSize;
  const top: u64 = ramEnd < 0xc0000000 ? ramEnd : 0xc0000000;
  // QEMU 7.2 puts its 1 MiB device tree at the highest 2 MiB boundary below the top
  // that leaves room for it. (Board revision 1 said top - 2 MiB, which is the same
  // address unless RAM is an odd number of MiB: kept for its recordings.)
  store<u64>(rom, S.boardRevision >= 2 ? (top - 0x100000) & ~<u64>0x1fffff : top - 0x200000, 32);
  // fw_dynamic_info: magic "OSBI", version 2, next address, next mode S, options, boot hart.
  store<u64>(rom, 0x4942534f, 40);
  store<u64>(rom, 2, 48);
  store<u64>(rom, L.RAM_BASE, 56);
  store<u64>(rom, 1, 64);

  S.pc = L.MROM_BASE;
  S.icount = 0;
  S.idleSkip = 0;
  S.priv = S.PRIV_M;
  S.halted = false;
  S.mstatus = S.MSTATUS_UXL_SXL;
  S.medeleg = 0; S.mideleg = 0; S.mie = 0;
  S.mip = S.IRQ_MTI; // mtimecmp is 0 at power-on, so the timer is already due
  S.mtvec = 0; S.mcounteren = 0; S.mcountinhibit = 0; S.mscratch = 0; S.mepc = 0; S.mcause = 0; S.mtval = 0;
  S.menvcfg = 0; S.stvec = 0; S.scounteren = 0; S.sscratch = 0; S.sepc = 0; S.scause = 0; S.stval = 0;
  S.satp = 0; S.senvcfg = 0; S.mcycleOffset = 0; S.minstretOffset = 0;
  S.reservationAddress = S.NEVER; S.reservationValue = 0;
  S.mtimecmp = 0; S.mtimeDelta = 0; S.timerDeadline = S.NEVER;
  S.uartIer = 0; S.uartLcr = 0; S.uartMcr = 0; S.uartScr = 0; S.uartDll = 0; S.uartDlm = 0; S.uartFcr = 0;
  S.rxHead = 0; S.rxCount = 0; S.txLength = 0;
  S.exitCode = 0;
  S.fflags = 0; S.frm = 0;
  S.breakpointCount = 0; S.watchpointCount = 0; S.trapLoopCount = 0;
  S.loopStartCause = 0; S.loopStartTval = 0; S.loopStartPc = S.NEVER; S.loopStartPriv = 0;
  for (let i = 0; i < S.PMP_ENTRIES; i++) { S.setPmpCfg(i, 0); S.setPmpAddr(i, 0); }
  S.stopReason = S.STOP_NONE;
  S.faulted = false;
  memory.fill(L.PLIC_EXTRA, 0, L.PLIC_EXTRA_SIZE);
  resetTlb();
  updateFastPath();
  H.resetHarts();
  J.jitFlush();
}

/**
 * The number of harts (1..8, board revision 2 for more than one) and their
 * schedule: quanta of `quantum` instructions, or lengths drawn around it from
 * `seed` (0: fixed). Takes effect at the next reset(). False if not supported.
 */
export function configureHarts(count: u32, quantum: u64, seed: u64): bool {
  if (count > 1 && S.boardRevision < 2) return false;
  return H.configureHarts(count, quantum, seed);
}
export function getHartCount(): u32 { return S.hartCount; }
/** The hart whose state the accessors below show (the running one unless viewHart chose another). */
export function getCurrentHart(): u32 { return S.currentHart; }
/** The hart the scheduler runs next. */
export function getScheduledHart(): u32 { return H.getScheduledHart(); }
/** Shows hart h's state through every accessor (registers, pc, CSRs) without scheduling effects; viewHart(getScheduledHart()) before run(). */
export function viewHart(h: u32): bool { return H.viewHart(h); }
/** Entries {icount: u64, hart: u64} at SCHEDULE_LOG since the last call: from each icount on, that hart retires instructions. */
export function takeScheduleLog(): u32 { return H.takeScheduleLog(); }

/** flags: 1 = ignore a breakpoint at the current pc (resuming from it), 2 = stop after one instruction attempt, 4 = stop when pc leaves the step range. */
export function run(budget: u64, flags: u32): i32 { return runLoop(budget, flags); }
export function lastFetchFaulted(): bool { return fetchFaulted; }
/** The address range for run flag 4 (stop when pc leaves [lo, hi)). */
export function setStepRange(lo: u64, hi: u64): void { setRange(lo, hi); }
export function lastAttemptPc(): u64 { return attemptPc; }
export function lastAttemptIcount(): u64 { return attemptIcount; }
export function completeHostCall(): void { retireHostCall(); }

export function getPc(): u64 { return S.pc; }
export function setPc(v: u64): void { S.pc = v; }
export function getIcount(): u64 { return S.icount; }
export function getPrivilege(): u32 { return S.priv; }
export function getExitCode(): i32 { return S.exitCode; }
/** The trap that started a trap loop (see state.ts); pc is all ones if there was none. */
export function loopStartCause(): u64 { return S.loopStartCause; }
export function loopStartTval(): u64 { return S.loopStartTval; }
export function loopStartPc(): u64 { return S.loopStartPc; }
export function loopStartPriv(): u32 { return S.loopStartPriv; }
export function getRamSize(): u64 { return S.ramSize; }
export function getDiskSize(): u64 { return S.diskSize; }
export function getBoardRevision(): u32 { return S.boardRevision; }
/** Offset of the executed-code map: one byte per 64-byte block of RAM, set when code there runs. */
export function execMapOffset(): usize { return S.execMap; }
export function getVirtualTime(): u64 { return S.icount + S.idleSkip; }

/** Reads a CSR as a debugger would (M-mode, no side effects). Returns 0 and sets csrFailed() if it does not exist. */
export function readCsr(csr: u32): u64 {
  const saved = S.priv;
  S.priv = S.PRIV_M;
  const v = csrRead(csr);
  S.priv = saved;
  return v;
}
export function writeCsr(csr: u32, v: u64): void {
  const saved = S.priv;
  S.priv = S.PRIV_M;
  csrWrite(csr, v);
  S.priv = saved;
  updateFastPath();
}
export function csrFailed(): bool { return csrIllegal; }

/** Forgets cached translations: the debugger wrote guest memory (it may have changed a page table). */
export function flushTranslations(): void { resetTlb(); J.jitFlush(); }

// ---- the translation tier (jit.ts, workers/engine/jit) ----

/** Turns translated code on or off (off: every instruction is interpreted); forgets every translation. */
export function setJitEnabled(on: bool): void { J.setJitEnabled(on); }
export function jitEnabled(): bool { return J.jitEnabled; }
/** Where a translated block leaves the instructions it retired. */
export function jitExitOffset(): usize { return J.jitExit; }
export function jitCodeMapOffset(): usize { return J.codeMap; }
/** The TLB translated loads and stores look up (mmu.ts). */
export function jitTlbOffset(): usize { return L.TLB; }
export function jitTlbEntries(): u32 { return L.TLB_ENTRIES; }
export function jitExecMapOffset(): usize { return S.execMap; }
export function jitGeneration(): u32 { return J.jitGeneration; }
export function jitInstructions(): u64 { return J.jitInstructions; }
export function jitBlocksRun(): u64 { return J.jitBlocksRun; }
export function jitMarkCode(off: u64, bytes: u32): void { J.jitMarkCode(off, bytes); }
/** Translated code's helpers: a store into translated bytes, and RV64M's multiply-high, divide and remainder. */
export function jitInvalidate(off: u64, size: u64): void { J.jitInvalidate(off, size); }
export function jitMulDiv(f3: u32, a: u64, b: u64): u64 { return mulDiv64(f3, a, b); }
export function jitMulDivW(f3: u32, a: u64, b: u64): u64 { return mulDiv32(f3, <u32>a, <u32>b); }
/** Translated F/D instructions the block does not do natively: fpu.ts's own implementation (x: rs1's value; returns the integer result). */
export function jitFp(insn: u32, x: u64): u64 { return fpuJitFp(insn, x); }
/** Translated fused multiply-adds, on operand values (fpu.ts jitFma). */
export function jitFma(a: u64, b: u64, c: u64, ctl: u32): u64 { return fpuJitFma(a, b, c, ctl); }
// Translated F/D code reads fflags, frm and mstatus (FS) and sets FS Dirty directly: these globals, imported by its modules.
export { fflags as jitFflags, frm as jitFrm, mstatus as jitMstatus } from './state';
export function flushJit(): void { J.jitFlush(); }

/** Tests only: run every instruction through the checked slow path (to compare it with the hot loop). */
export function setSlowPathOnly(on: bool): void { setSlow(on); }

// ---- breakpoints: an open-addressing hash set ----

/** The bit of BREAKPOINT_PAGES for the page of `addr` (cpu.ts reads it with the same hash). */
function breakpointPageBit(addr: u64): u32 {
  return <u32>(((addr >> 12) * 0x9e3779b97f4a7c15) >> 52) & (L.BREAKPOINT_PAGE_BITS - 1);
}
function bpSlot(addr: u64): u32 {
  return <u32>((addr >> 1) * 0x9e3779b97f4a7c15 >> 54) & (L.BREAKPOINT_SLOTS - 1);
}
export function addBreakpoint(addr: u64): bool {
  if (addr == S.NEVER) return false;
  if (S.breakpointCount >= L.BREAKPOINT_SLOTS / 2) return false;
  let slot = bpSlot(addr);
  while (true) {
    const p = L.BREAKPOINTS + (slot << 3);
    const v = load<u64>(p);
    if (v == addr) return true;
    if (v == S.NEVER) {
      store<u64>(p, addr);
      S.breakpointCount++;
      const bit = breakpointPageBit(addr);
      const byte = L.BREAKPOINT_PAGES + (bit >> 3);
      store<u8>(byte, <u8>(<u32>load<u8>(byte) | (<u32>1 << (bit & 7))));
      return true;
    }
    slot = (slot + 1) & (L.BREAKPOINT_SLOTS - 1);
  }
}
export function clearBreakpoints(): void {
  memory.fill(L.BREAKPOINTS, 0xff, L.BREAKPOINT_SLOTS * 8);
  memory.fill(L.BREAKPOINT_PAGES, 0, L.BREAKPOINT_PAGE_BITS >> 3);
  S.breakpointCount = 0;
}
export function breakpointCount(): u32 { return S.breakpointCount; }

// ---- watchpoints ----

/** kinds: 1 read, 2 write, 3 both; kinds 0 frees the slot. Range [lo, hi). */
export function setWatchpoint(slot: u32, lo: u64, hi: u64, kinds: u32): bool {
  if (slot >= L.WATCHPOINT_SLOTS) return false;
  const p = L.WATCHPOINTS + slot * L.WATCHPOINT_SIZE;
  const wasUsed = load<u64>(p, 16) != 0;
  store<u64>(p, lo);
  store<u64>(p, hi, 8);
  store<u64>(p, <u64>kinds, 16);
  const used = kinds != 0 && hi > lo;
  if (!used) store<u64>(p, 0, 16);
  if (used && !wasUsed) S.watchpointCount++;
  if (!used && wasUsed) S.watchpointCount--;
  // The TLB holds no data page a watchpoint touches (mmu.ts): what it holds was filled for the old set.
  resetTlb();
  updateFastPath();
  return true;
}

// ---- UART ----

export function uartReceive(byte: u32): bool { return pushRx(byte); }
export function uartPending(): u32 { return S.rxCount; }
/** How many times the guest has read the UART's line status (host bookkeeping for console input). */
export function uartStatusReads(): u32 { return statusReads(); }
export function takeOutputLength(): u32 { const n = S.txLength; S.txLength = 0; return n; }

// ---- machine state, for snapshots ----

/** Serialises every architectural and device field (not RAM, not registers) to STATE; returns the byte length. */
export function saveState(): u32 {
  let p = L.STATE;
  store<u64>(p, S.pc); p += 8;
  store<u64>(p, S.icount); p += 8;
  store<u64>(p, S.idleSkip); p += 8;
  store<u64>(p, <u64>S.priv | (S.halted ? <u64>1 << 8 : 0)); p += 8;
  // The order here is the order loadState reads: keep them in step.
  store<u64>(p, S.mstatus); p += 8;
  store<u64>(p, S.medeleg); p += 8;
  store<u64>(p, S.mideleg); p += 8;
  store<u64>(p, S.mie); p += 8;
  store<u64>(p, S.mip); p += 8;
  store<u64>(p, S.mtvec); p += 8;
  store<u64>(p, S.mcounteren); p += 8;
  store<u64>(p, S.mcountinhibit); p += 8;
  store<u64>(p, S.mscratch); p += 8;
  store<u64>(p, S.mepc); p += 8;
  store<u64>(p, S.mcause); p += 8;
  store<u64>(p, S.mtval); p += 8;
  store<u64>(p, S.menvcfg); p += 8;
  store<u64>(p, S.stvec); p += 8;
  store<u64>(p, S.scounteren); p += 8;
  store<u64>(p, S.sscratch); p += 8;
  store<u64>(p, S.sepc); p += 8;
  store<u64>(p, S.scause); p += 8;
  store<u64>(p, S.stval); p += 8;
  store<u64>(p, S.satp); p += 8;
  store<u64>(p, S.senvcfg); p += 8;
  store<u64>(p, S.mcycleOffset); p += 8;
  store<u64>(p, S.minstretOffset); p += 8;
  store<u64>(p, S.reservationAddress); p += 8;
  store<u64>(p, S.reservationValue); p += 8;
  store<u64>(p, S.mtimecmp); p += 8;
  store<u64>(p, S.mtimeDelta); p += 8;
  store<u64>(p, S.timerDeadline); p += 8;
  store<u64>(p, <u64>S.uartIer); p += 8;
  store<u64>(p, <u64>S.uartLcr); p += 8;
  store<u64>(p, <u64>S.uartMcr); p += 8;
  store<u64>(p, <u64>S.uartScr); p += 8;
  store<u64>(p, <u64>S.uartDll); p += 8;
  store<u64>(p, <u64>S.uartDlm); p += 8;
  store<u64>(p, <u64>S.uartFcr); p += 8;
  store<u64>(p, <u64>S.rxHead); p += 8;
  store<u64>(p, <u64>S.rxCount); p += 8;
  store<u64>(p, <u64><u32>S.exitCode); p += 8;
  store<u64>(p, <u64>(S.fflags | (S.frm << 5))); p += 8;
  for (let i = 0; i < S.PMP_ENTRIES; i++) { store<u8>(p, S.pmpCfgAt(i)); p += 1; }
  for (let i = 0; i < S.PMP_ENTRIES; i++) { store<u64>(p, S.pmpAddrAt(i)); p += 8; }
  memory.copy(p, L.RX_BUFFER, L.RX_CAPACITY); p += L.RX_CAPACITY;
  // Board revision 1's state ends here, so its recordings' digests still match.
  if (S.boardRevision >= 2) { memory.copy(p, L.DEVICE_STATE, L.DEVICE_STATE_SIZE); p += L.DEVICE_STATE_SIZE; }
  // Several harts: the schedule, every hart's slot and the PLIC's further contexts (a lone hart's state ends above).
  if (S.hartCount > 1) {
    memory.copy(p, L.PLIC_EXTRA, L.PLIC_EXTRA_SIZE); p += L.PLIC_EXTRA_SIZE;
    p = H.saveHartsState(p);
  }
  return <u32>(p - L.STATE);
}

/** Restores what saveState() wrote (the engine copies the bytes back to STATE first). */
export function loadState(): void {
  let p = L.STATE;
  S.pc = load<u64>(p); p += 8;
  S.icount = load<u64>(p); p += 8;
  S.idleSkip = load<u64>(p); p += 8;
  const pv = load<u64>(p); p += 8;
  S.priv = <u32>(pv & 3);
  S.halted = (pv & 0x100) != 0;
  S.mstatus = load<u64>(p); p += 8; S.medeleg = load<u64>(p); p += 8; S.mideleg = load<u64>(p); p += 8;
  S.mie = load<u64>(p); p += 8; S.mip = load<u64>(p); p += 8; S.mtvec = load<u64>(p); p += 8;
  S.mcounteren = load<u64>(p); p += 8; S.mcountinhibit = load<u64>(p); p += 8; S.mscratch = load<u64>(p); p += 8;
  S.mepc = load<u64>(p); p += 8; S.mcause = load<u64>(p); p += 8; S.mtval = load<u64>(p); p += 8;
  S.menvcfg = load<u64>(p); p += 8; S.stvec = load<u64>(p); p += 8; S.scounteren = load<u64>(p); p += 8;
  S.sscratch = load<u64>(p); p += 8; S.sepc = load<u64>(p); p += 8; S.scause = load<u64>(p); p += 8;
  S.stval = load<u64>(p); p += 8; S.satp = load<u64>(p); p += 8; S.senvcfg = load<u64>(p); p += 8;
  S.mcycleOffset = load<u64>(p); p += 8; S.minstretOffset = load<u64>(p); p += 8;
  S.reservationAddress = load<u64>(p); p += 8; S.reservationValue = load<u64>(p); p += 8;
  S.mtimecmp = load<u64>(p); p += 8; S.mtimeDelta = load<u64>(p); p += 8; S.timerDeadline = load<u64>(p); p += 8;
  S.uartIer = <u32>load<u64>(p); p += 8; S.uartLcr = <u32>load<u64>(p); p += 8; S.uartMcr = <u32>load<u64>(p); p += 8;
  S.uartScr = <u32>load<u64>(p); p += 8; S.uartDll = <u32>load<u64>(p); p += 8; S.uartDlm = <u32>load<u64>(p); p += 8;
  S.uartFcr = <u32>load<u64>(p); p += 8; S.rxHead = <u32>load<u64>(p); p += 8; S.rxCount = <u32>load<u64>(p); p += 8;
  S.exitCode = <i32>load<u64>(p); p += 8;
  const fcsr = <u32>load<u64>(p); p += 8;
  S.fflags = fcsr & 0x1f; S.frm = (fcsr >> 5) & 7;
  for (let i = 0; i < S.PMP_ENTRIES; i++) { S.setPmpCfg(i, load<u8>(p)); p += 1; }
  for (let i = 0; i < S.PMP_ENTRIES; i++) { S.setPmpAddr(i, load<u64>(p)); p += 8; }
  memory.copy(L.RX_BUFFER, p, L.RX_CAPACITY); p += L.RX_CAPACITY;
  if (S.boardRevision >= 2) { memory.copy(L.DEVICE_STATE, p, L.DEVICE_STATE_SIZE); p += L.DEVICE_STATE_SIZE; }
  if (S.hartCount > 1) {
    memory.copy(L.PLIC_EXTRA, p, L.PLIC_EXTRA_SIZE); p += L.PLIC_EXTRA_SIZE;
    p = H.loadHartsState(p); // after the PLIC: it recomputes the current hart's interrupt lines
  }
  S.faulted = false;
  S.stopReason = S.STOP_NONE;
  resetTlb();
  updateFastPath();
  // RAM was written by the host (snapshot pages): translations made from the old bytes go.
  J.jitFlush();
}

// ---- hashing, for state digests ----

/** A fast 64-bit hash of `length` bytes at linear-memory offset `ptr` (deterministic everywhere). */
export function hashBytes(ptr: usize, length: usize, seed: u64): u64 {
  let h: u64 = seed ^ 0x9e3779b97f4a7c15 ^ <u64>length;
  let p = ptr;
  const end8 = ptr + (length & ~<usize>7);
  while (p < end8) {
    h = rotl<u64>((h ^ load<u64>(p)) * 0xff51afd7ed558ccd, 29);
    p += 8;
  }
  const end = ptr + length;
  while (p < end) {
    h = rotl<u64>((h ^ <u64>load<u8>(p)) * 0xc4ceb9fe1a85ec53, 23);
    p += 1;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccd;
  h ^= h >> 33;
  return h;
}
