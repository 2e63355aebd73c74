// The platform-level interrupt controller of QEMU's virt board (SiFive PLIC):
// 95 sources, priorities 0..7, two contexts per hart (2h: hart h's M-mode,
// drives its mip.MEIP; 2h + 1: its S-mode, drives mip.SEIP).
//
// As QEMU 7.2's sifive_plic: each time a device updates its line while it is
// high, the source becomes pending (a claimed one is served after its completion); a claim clears the
// pending bit; a completion only ends the claim. A device that still wants
// service pends again at its next update (QEMU's devices update their line
// on every register access that can change it, and so do ours), not at the
// completion: a line left high by a driver that never clears its cause (xv6
// leaves the UART's THR-empty interrupt pending) does not interrupt forever.
// Register layout as QEMU 7.2's sifive_plic with the virt board's parameters.
import { DEVICE_STATE, PLIC_EXTRA } from './layout';
import { mip, IRQ_MEI, IRQ_SEI, sliceEnd, hartCount, currentHart } from './state';

export const PLIC_SOURCES: u32 = 96; // source 0 does not exist
const PRIORITY_MASK: u32 = 7;
/** Two contexts per hart: 2h is hart h's M-mode (mip.MEIP), 2h + 1 its S-mode (mip.SEIP), as on QEMU's virt board. */
@inline function contexts(): u32 { return hartCount * 2; }
const WORDS: u32 = 3; // 96 bits of pending/enable/claimed/level

// Offsets in DEVICE_STATE.
const PRIORITY: usize = DEVICE_STATE;            // u32 × 96
const PENDING: usize = DEVICE_STATE + 0x180;     // u32 × 3
const CLAIMED: usize = DEVICE_STATE + 0x18c;     // u32 × 3
const LEVEL: usize = DEVICE_STATE + 0x198;       // u32 × 3: each source's line
const ENABLE: usize = DEVICE_STATE + 0x1a4;      // u32 × 3 per context
const THRESHOLD: usize = DEVICE_STATE + 0x1bc;   // u32 per context
/** mip.SEIP as software last wrote it (mip reads it ORed with the PLIC's S-mode output): the running hart's (harts.ts swaps it). */
const SOFTWARE_SEIP: usize = DEVICE_STATE + 0x1c4;
export const PLIC_STATE_END: usize = DEVICE_STATE + 0x1c8;
// Contexts 2 and up (harts 1..7) keep their enable words and thresholds in PLIC_EXTRA,
// so that a one-hart machine's state is laid out as before.
const EXTRA_ENABLE: usize = PLIC_EXTRA;               // u32 × 3 per context from 2
const EXTRA_THRESHOLD: usize = PLIC_EXTRA + 14 * 12;  // u32 per context from 2

@inline function enableOf(context: u32): usize {
  return context < 2 ? ENABLE + <usize>context * WORDS * 4 : EXTRA_ENABLE + <usize>(context - 2) * WORDS * 4;
}
@inline function thresholdOf(context: u32): usize {
  return context < 2 ? THRESHOLD + (<usize>context << 2) : EXTRA_THRESHOLD + (<usize>(context - 2) << 2);
}

@inline function bitSet(base: usize, source: u32): bool {
  return (load<u32>(base + ((source >> 5) << 2)) & (1 << (source & 31))) != 0;
}

@inline function setBit(base: usize, source: u32, on: bool): void {
  const p = base + ((source >> 5) << 2);
  const m: u32 = 1 << (source & 31);
  store<u32>(p, on ? load<u32>(p) | m : load<u32>(p) & ~m);
}

/** A device's interrupt line changed (or was re-asserted). */
export function plicSetLevel(source: u32, high: bool): void {
  setBit(LEVEL, source, high);
  setBit(PENDING, source, high);
  plicUpdate();
}

/** The highest-priority pending, enabled, unclaimed source above the context's threshold, or 0. */
function best(context: u32): u32 {
  const threshold = load<u32>(thresholdOf(context));
  const enable = enableOf(context);
  let bestSource: u32 = 0;
  let bestPriority: u32 = 0;
  for (let w: u32 = 0; w < WORDS; w++) {
    let candidates = load<u32>(PENDING + (w << 2)) & load<u32>(enable + (w << 2)) & ~load<u32>(CLAIMED + (w << 2));
    while (candidates != 0) {
      const bit = ctz<u32>(candidates);
      candidates &= candidates - 1;
      const source = (w << 5) + bit;
      if (source == 0 || source >= PLIC_SOURCES) continue;
      const priority = load<u32>(PRIORITY + (<usize>source << 2));
      // Ties go to the lowest source number.
      if (priority > threshold && priority > bestPriority) { bestPriority = priority; bestSource = source; }
    }
  }
  return bestSource;
}

/**
 * Recomputes the running hart's mip.MEIP and mip.SEIP from its two PLIC
 * contexts (and software's SEIP). The other harts' lines are recomputed when
 * they are switched in (harts.ts), before they could act on them.
 */
export function plicUpdate(): void {
  const old = mip;
  let v = mip & ~(IRQ_MEI | IRQ_SEI);
  if (best(currentHart * 2) != 0) v |= IRQ_MEI;
  if (best(currentHart * 2 + 1) != 0 || load<u32>(SOFTWARE_SEIP) != 0) v |= IRQ_SEI;
  mip = v;
  if (v != old) sliceEnd = 0; // the run loop looks at interrupts again
}

/** A CSR write to mip set or cleared SEIP. */
export function setSoftwareSeip(on: bool): void {
  store<u32>(SOFTWARE_SEIP, on ? 1 : 0);
  plicUpdate();
}

function claim(context: u32): u32 {
  const source = best(context);
  if (source != 0) {
    setBit(PENDING, source, false);
    setBit(CLAIMED, source, true);
    plicUpdate();
  }
  return source;
}

function complete(source: u32): void {
  if (source == 0 || source >= PLIC_SOURCES) return;
  setBit(CLAIMED, source, false);
  plicUpdate();
}

/** A 32-bit register read at `off` (accesses of other sizes read the containing word, as QEMU's impl size is 4). */
export function plicRead(off: u64): u32 {
  if (off < 0x1000) {
    const source = <u32>(off >> 2);
    return source < PLIC_SOURCES ? load<u32>(PRIORITY + (<usize>source << 2)) : 0;
  }
  if (off < 0x1080) {
    const w = <u32>((off - 0x1000) >> 2);
    return w < WORDS ? load<u32>(PENDING + (<usize>w << 2)) : 0;
  }
  if (off >= 0x2000 && off < 0x200000) {
    const context = <u32>((off - 0x2000) >> 7);
    const w = <u32>(((off - 0x2000) & 0x7f) >> 2);
    if (context < contexts() && w < WORDS) return load<u32>(enableOf(context) + (<usize>w << 2));
    return 0;
  }
  if (off >= 0x200000) {
    const context = <u32>((off - 0x200000) >> 12);
    if (context >= contexts()) return 0;
    const reg = (off - 0x200000) & 0xfff;
    if (reg == 0) return load<u32>(thresholdOf(context));
    if (reg == 4) return claim(context);
  }
  return 0;
}

export function plicWrite(off: u64, value: u32): void {
  if (off < 0x1000) {
    const source = <u32>(off >> 2);
    if (source != 0 && source < PLIC_SOURCES) {
      store<u32>(PRIORITY + (<usize>source << 2), value & PRIORITY_MASK);
      plicUpdate();
    }
    return;
  }
  if (off >= 0x2000 && off < 0x200000) {
    const context = <u32>((off - 0x2000) >> 7);
    const w = <u32>(((off - 0x2000) & 0x7f) >> 2);
    if (context < contexts() && w < WORDS) {
      // Source 0 does not exist, and neither do sources past 95: their enable bits read 0.
      let v = value;
      if (w == 0) v &= ~1;
      store<u32>(enableOf(context) + (<usize>w << 2), v);
      plicUpdate();
    }
    return;
  }
  if (off >= 0x200000) {
    const context = <u32>((off - 0x200000) >> 12);
    if (context >= contexts()) return;
    const reg = (off - 0x200000) & 0xfff;
    if (reg == 0) { store<u32>(thresholdOf(context), value & PRIORITY_MASK); plicUpdate(); }
    else if (reg == 4) complete(value);
  }
}
