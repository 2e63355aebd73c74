// The CLINT (SiFive core-local interruptor, as QEMU's ACLINT on the virt
// board): msip of hart h at +4h, mtimecmp at +0x4000 + 8h, mtime at +0xbff8
// (shared). A hart that is not running has its bits and timer in its slot
// (harts.ts), checked when it is switched in. mtime is driven
// by virtual time (instructions retired plus idle time skipped), 100 ns per
// instruction, so timer interrupts arrive at the same instruction on every run.
import {
  icount, idleSkip, mip, mtimecmp, mtimeDelta, timerDeadline, NEVER, IRQ_MTI, IRQ_MSI, sliceEnd, hartCount, currentHart,
} from './state';
import { hartMip, setHartMip, hartMtimecmp, setWaitingHartTimer, logIpi } from './harts';

/** Virtual time as an instruction in flight sees it: QEMU counts that instruction already. */
@inline export function virtualNow(): u64 { return icount + idleSkip + 1; }
export function mtimeNow(): u64 { return virtualNow() / 100 + mtimeDelta; }

export function clintRead(off: u64, size: u64): u64 {
  if (off < <u64>hartCount * 4) return (off & 3) == 0 && (hartMip(<u32>(off >> 2)) & IRQ_MSI) != 0 ? 1 : 0;
  if (off >= 0x4000 && off < 0x4000 + <u64>hartCount * 8) {
    const h = <u32>((off - 0x4000) >> 3);
    return subword(hartMtimecmp(h), (off - 0x4000) & 7, size);
  }
  if (off >= 0xbff8 && off < 0xc000) return subword(mtimeNow(), off - 0xbff8, size);
  return 0;
}

@inline export function subword(v: u64, byteOff: u64, size: u64): u64 {
  const shifted = v >> (byteOff * 8);
  return size >= 8 ? shifted : shifted & ((<u64>1 << (size * 8)) - 1);
}

@inline function merge(old: u64, byteOff: u64, size: u64, value: u64): u64 {
  if (size >= 8) return value;
  const mask = ((<u64>1 << (size * 8)) - 1) << (byteOff * 8);
  return (old & ~mask) | ((value << (byteOff * 8)) & mask);
}

export function clintWrite(off: u64, size: u64, value: u64): void {
  if (off < <u64>hartCount * 4) {
    if ((off & 3) != 0) return;
    const h = <u32>(off >> 2);
    const m = hartMip(h);
    setHartMip(h, (value & 1) != 0 ? m | IRQ_MSI : m & ~IRQ_MSI);
    if ((value & 1) != 0 && (m & IRQ_MSI) == 0 && hartCount > 1) logIpi(h);
    sliceEnd = 0;
  } else if (off >= 0x4000 && off < 0x4000 + <u64>hartCount * 8) {
    const h = <u32>((off - 0x4000) >> 3);
    const v = merge(hartMtimecmp(h), (off - 0x4000) & 7, size, value);
    if (h == currentHart) writeMtimecmp(v); else writeWaitingMtimecmp(h, v);
  } else if (off >= 0xbff8 && off < 0xc000) {
    const now = mtimeNow();
    const wanted = merge(now, off - 0xbff8, size, value);
    mtimeDelta += wanted - now;
    writeMtimecmp(mtimecmp);
    for (let h: u32 = 0; h < hartCount; h++) if (h != currentHart) writeWaitingMtimecmp(h, hartMtimecmp(h));
  }
}

/** The virtual time at which MTIP rises for a compare value: 0 if it is due now, NEVER if never. */
function timerDeadlineFor(value: u64): u64 {
  const now = mtimeNow();
  if (value <= now) return 0;
  const diff = value - now;
  if (diff > 0x7fffffffffffffff / 100) return NEVER;
  const deadline = virtualNow() + diff * 100;
  return deadline < virtualNow() ? NEVER : deadline;
}

/** mtimecmp of a hart that is not running: its MTIP bit and deadline in its slot. */
function writeWaitingMtimecmp(h: u32, value: u64): void {
  const deadline = timerDeadlineFor(value);
  const m = hartMip(h);
  setHartMip(h, deadline == 0 ? m | IRQ_MTI : m & ~IRQ_MTI);
  setWaitingHartTimer(h, value, deadline == 0 ? NEVER : deadline);
}

/** As QEMU's ACLINT: the deadline is "now" plus the remaining ticks at 100 ns each. */
export function writeMtimecmp(value: u64): void {
  mtimecmp = value;
  sliceEnd = 0;
  const deadline = timerDeadlineFor(value);
  if (deadline == 0) {
    mip |= IRQ_MTI;
    timerDeadline = NEVER;
    return;
  }
  mip &= ~IRQ_MTI;
  timerDeadline = deadline;
}
