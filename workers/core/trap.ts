// Trap entry and return, interrupts, and the fast-path limits that depend on
// privilege and PMP. Exceptions are kept in state: a faulting instruction calls
// raiseException(), which redirects pc and sets `faulted`; nothing is thrown.
import {
  pc, priv, mstatus, medeleg, mideleg, mie, mip, mtvec, mepc, mcause, mtval, stvec, sepc, scause, stval,
  PRIV_M, PRIV_S, PRIV_U, MSTATUS_MIE, MSTATUS_MPIE, MSTATUS_MPP, MSTATUS_MPP_SHIFT, MSTATUS_SIE, MSTATUS_SPIE,
  MSTATUS_SPP, MSTATUS_MPRV, IRQ_MEI, IRQ_MSI, IRQ_MTI, IRQ_SEI, IRQ_SSI, IRQ_STI,
  faulted, trapLoopCount, loopStartCause, loopStartTval, loopStartPc, loopStartPriv, stopReason, sliceEnd, STOP_TRAP_LOOP, ramSize, fetchLimit, dataLimit,
  watchpointCount, reservationAddress, icount, CAUSE_ILLEGAL, pmpCfgAt, setPmpCfg, pmpAddrAt, setPmpAddr, PMP_ENTRIES, halted, NEVER,
  fetchMode, dataMode, fetchTranslated, dataTranslated, dataThroughTlb, satp, MSTATUS_SUM, MSTATUS_MXR, execTriggers, dataTriggers,
} from './state';
import { RAM_BASE } from './layout';
import { translates, tlbFlush } from './mmu';
import { execTriggersArmed, dataTriggersArmed } from './trigger';

/** satp and mstatus.SUM/MXR as the TLB's entries were made under (see updateFastPath). */
let tlbSatp: u64 = 0xffffffffffffffff;
let tlbMstatusBits: u64 = 0xffffffffffffffff;

/** Forgets every cached translation (state restore, reset). */
export function resetTlb(): void {
  tlbSatp = 0xffffffffffffffff;
  tlbFlush();
}

/** An encoding the decoder rejects: QEMU counts it, as it counts ecall and ebreak. */
export function illegalInstruction(bits: u32): void {
  raiseException(CAUSE_ILLEGAL, <u64>bits);
  faulted = false;
  icount++;
}

/**
 * An instruction that decodes but is refused when it runs (CSR access rules,
 * xRET/WFI/SFENCE privilege, reserved rounding modes): QEMU raises these from a
 * helper and does not count them.
 */
export function refusedInstruction(bits: u32): void {
  raiseException(CAUSE_ILLEGAL, <u64>bits);
  faulted = false;
}

/** Enter a trap for exception `cause` at the current pc, in M or (if delegated) S mode. */
export function raiseException(cause: u64, tval: u64): void {
  const faultPc = pc;
  const target = enterTrap(cause, tval, false);
  faulted = true;
  // A trap whose handler is the very instruction that trapped can never make progress.
  if (target == faultPc) {
    trapLoopCount++;
    if (trapLoopCount >= 3) { stopReason = STOP_TRAP_LOOP; sliceEnd = 0; }
  } else {
    trapLoopCount = 0;
    loopStartCause = cause; loopStartTval = tval; loopStartPc = faultPc; loopStartPriv = priv;
  }
}

/** Sets up the trap CSRs and returns the handler address, which becomes pc. */
export function enterTrap(cause: u64, tval: u64, interrupt: bool): u64 {
  const from = priv;
  const delegated = from <= PRIV_S && (((interrupt ? mideleg : medeleg) >> cause) & 1) != 0;
  const faultPc = pc;
  let target: u64;
  if (delegated) {
    scause = interrupt ? (cause | (<u64>1 << 63)) : cause;
    sepc = faultPc;
    stval = tval;
    let s = mstatus;
    s = (s & ~MSTATUS_SPIE) | ((s & MSTATUS_SIE) != 0 ? MSTATUS_SPIE : 0);
    s = (s & ~MSTATUS_SPP) | (from == PRIV_S ? MSTATUS_SPP : 0);
    s &= ~MSTATUS_SIE;
    mstatus = s;
    priv = PRIV_S;
    target = (stvec & ~<u64>3) + ((stvec & 1) != 0 && interrupt ? cause << 2 : 0);
  } else {
    mcause = interrupt ? (cause | (<u64>1 << 63)) : cause;
    mepc = faultPc;
    mtval = tval;
    let s = mstatus;
    s = (s & ~MSTATUS_MPIE) | ((s & MSTATUS_MIE) != 0 ? MSTATUS_MPIE : 0);
    s = (s & ~MSTATUS_MPP) | (<u64>from << MSTATUS_MPP_SHIFT);
    s &= ~MSTATUS_MIE;
    mstatus = s;
    priv = PRIV_M;
    target = (mtvec & ~<u64>3) + ((mtvec & 1) != 0 && interrupt ? cause << 2 : 0);
  }
  pc = target;
  reservationAddress = NEVER; // QEMU drops the LR reservation on every privilege change
  updateFastPath();
  sliceEnd = 0; // interrupt enables changed
  return target;
}

/** The interrupt that would be taken now, or -1. */
export function pendingInterrupt(): i32 {
  const pending = mip & mie;
  if (pending == 0) return -1;
  const mEnabled = priv < PRIV_M || (mstatus & MSTATUS_MIE) != 0;
  const sEnabled = priv < PRIV_S || (priv == PRIV_S && (mstatus & MSTATUS_SIE) != 0);
  let irqs = mEnabled ? pending & ~mideleg : 0;
  if (irqs == 0) irqs = sEnabled ? pending & mideleg : 0;
  if (irqs == 0) return -1;
  if (irqs & IRQ_MEI) return 11;
  if (irqs & IRQ_MSI) return 3;
  if (irqs & IRQ_MTI) return 7;
  if (irqs & IRQ_SEI) return 9;
  if (irqs & IRQ_SSI) return 1;
  if (irqs & IRQ_STI) return 5;
  return -1;
}

export function takeInterrupt(irq: i32): void {
  halted = false;
  enterTrap(<u64>irq, 0, true);
}

export function doMret(): void {
  const s = mstatus;
  const mpp = <u32>((s & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT);
  let n = s & ~(MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP);
  if ((s & MSTATUS_MPIE) != 0) n |= MSTATUS_MIE;
  n |= MSTATUS_MPIE;
  // MPRV is kept: QEMU 7.2's virt cpu follows privileged spec 1.11 here, not 1.12.
  mstatus = n;
  priv = mpp == 2 ? PRIV_U : mpp;
  pc = mepc;
  reservationAddress = NEVER;
  updateFastPath();
  sliceEnd = 0;
}

export function doSret(): void {
  const s = mstatus;
  const spp = (s & MSTATUS_SPP) != 0 ? PRIV_S : PRIV_U;
  let n = s & ~(MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP);
  if ((s & MSTATUS_SPIE) != 0) n |= MSTATUS_SIE;
  n |= MSTATUS_SPIE;
  mstatus = n;
  priv = spp;
  pc = sepc;
  reservationAddress = NEVER;
  updateFastPath();
  sliceEnd = 0;
}

// ---- PMP ----

const PMP_R: u32 = 1;
const PMP_W: u32 = 2;
const PMP_X: u32 = 4;
const PMP_L: u32 = 0x80;
export const ACCESS_READ: u32 = PMP_R;
export const ACCESS_WRITE: u32 = PMP_W;
export const ACCESS_EXEC: u32 = PMP_X;

// Range [lo, hi) of PMP entry i; hi == 0 means the entry is off.
let rangeLo: u64 = 0;
let rangeHi: u64 = 0;
function pmpRange(i: i32): void {
  const cfg = <u32>pmpCfgAt(i);
  const mode = (cfg >> 3) & 3;
  const a = pmpAddrAt(i);
  rangeLo = 0; rangeHi = 0;
  if (mode == 1) { // TOR
    rangeLo = i == 0 ? 0 : pmpAddrAt(i - 1) << 2;
    rangeHi = a << 2;
    if (rangeHi <= rangeLo) { rangeLo = 0; rangeHi = 0; }
  } else if (mode == 2) { // NA4
    rangeLo = a << 2; rangeHi = rangeLo + 4;
  } else if (mode == 3) { // NAPOT
    const ones = ctz(~a); // trailing ones
    if (ones >= 54) { rangeLo = 0; rangeHi = NEVER; return; }
    const size: u64 = <u64>1 << (ones + 3);
    rangeLo = (a << 2) & ~(size - 1);
    rangeHi = rangeLo + size;
  }
}

export function activePmpEntries(): i32 {
  let n = 0;
  for (let i = 0; i < PMP_ENTRIES; i++) if (((<u32>pmpCfgAt(i) >> 3) & 3) != 0) n++;
  return n;
}

/** Whether `mode` may access [addr, addr+size) with `access`, per the PMP rules QEMU 7.2 applies. */
export function pmpAllows(addr: u64, size: u64, access: u32, mode: u32): bool {
  const end = addr + size;
  let anyActive = false;
  for (let i = 0; i < PMP_ENTRIES; i++) {
    pmpRange(i);
    if (rangeHi == 0 && rangeLo == 0) continue;
    anyActive = true;
    const startIn = addr >= rangeLo && (rangeHi == NEVER || addr < rangeHi);
    const endIn = end - 1 >= rangeLo && (rangeHi == NEVER || end - 1 < rangeHi);
    if (startIn && endIn) {
      const cfg = <u32>pmpCfgAt(i);
      if (mode == PRIV_M && (cfg & PMP_L) == 0) return true;
      return (cfg & access) == access;
    }
    if (startIn || endIn) return false; // partial match fails
  }
  // No entry matched: M-mode is allowed; S/U are denied (also when no entry is active, as QEMU 7.2 does).
  if (anyActive) return mode == PRIV_M;
  return mode == PRIV_M;
}

function pmpAllowsAllRam(mode: u32, access: u32): bool {
  const lo = RAM_BASE;
  const hi = RAM_BASE + ramSize;
  for (let i = 0; i < PMP_ENTRIES; i++) {
    pmpRange(i);
    if (rangeHi == 0 && rangeLo == 0) continue;
    const overlaps = lo < rangeHi && hi > rangeLo;
    if (!overlaps) continue;
    // The first entry touching RAM must cover all of it and grant the access.
    if (!(rangeLo <= lo && (rangeHi == NEVER || rangeHi >= hi))) return false;
    const cfg = <u32>pmpCfgAt(i);
    if (mode == PRIV_M && (cfg & PMP_L) == 0) return true;
    return (cfg & access) == access;
  }
  return mode == PRIV_M;
}

export function dataPrivilege(): u32 {
  if (priv == PRIV_M && (mstatus & MSTATUS_MPRV) != 0) {
    const mpp = <u32>((mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT);
    return mpp == 2 ? PRIV_U : mpp;
  }
  return priv;
}

/** Recomputes when loads, stores and fetches may skip PMP, watchpoint and device checks. */
export function updateFastPath(): void {
  // What every cached translation depends on besides the privilege level in its tag.
  const bits = mstatus & (MSTATUS_SUM | MSTATUS_MXR);
  if (satp != tlbSatp || bits != tlbMstatusBits) { tlbSatp = satp; tlbMstatusBits = bits; tlbFlush(); }
  // Untranslated, the fast path may use any RAM offset if PMP grants all of RAM.
  // Translated, it uses the offsets the TLB holds, which are only filled for
  // pages PMP grants whole (mmu.ts), so the limit is RAM's size.
  // Armed debug triggers that can fire at this privilege level send fetches or data accesses to the slow path, which matches them.
  execTriggers = execTriggersArmed();
  dataTriggers = dataTriggersArmed();
  fetchMode = priv;
  fetchTranslated = translates(priv);
  fetchLimit = !slowPathOnly && !execTriggers && (fetchTranslated || pmpAllowsAllRam(priv, PMP_X)) ? ramSize - 3 : 0;
  const data = dataPrivilege();
  dataMode = data;
  dataTranslated = translates(data);
  dataThroughTlb = dataTranslated || watchpointCount != 0;
  dataLimit = !slowPathOnly && !dataTriggers && (dataThroughTlb || pmpAllowsAllRam(data, PMP_R | PMP_W)) ? ramSize - 7 : 0;
}

/**
 * Tests only: every instruction through the checked slow path. The hot loop
 * repeats the semantics of the common instructions inline, and this lets a
 * test check that both copies agree.
 */
export let slowPathOnly: bool = false;
export function setSlowPathOnly(on: bool): void {
  slowPathOnly = on;
  updateFastPath();
}
