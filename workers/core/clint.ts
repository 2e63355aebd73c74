// The CLINT (SiFive core-local interruptor, as QEMU's ACLINT on the virt
// board): msip at +0, mtimecmp at +0x4000, mtime at +0xbff8. mtime is driven
// by virtual time (instructions retired plus idle time skipped), 100 ns per
// instruction, so timer interrupts arrive at the same instruction on every run.
import {
  icount, idleSkip, mip, mtimecmp, mtimeDelta, timerDeadline, NEVER, IRQ_MTI, IRQ_MSI, sliceEnd,
} from './state';

/** Virtual time as an instruction in flight sees it: QEMU counts that instruction already. */
@inline export function virtualNow(): u64 { return icount + idleSkip + 1; }
export function mtimeNow(): u64 { return virtualNow() / 100 + mtimeDelta; }

export function clintRead(off: u64, size: u64): u64 {
  if (off < 4) return (mip & IRQ_MSI) != 0 ? 1 : 0;
  if (off >= 0x4000 && off < 0x4008) return subword(mtimecmp, off - 0x4000, size);
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
  if (off < 4) {
    if (value & 1) mip |= IRQ_MSI; else mip &= ~IRQ_MSI;
    sliceEnd = 0;
  } else if (off >= 0x4000 && off < 0x4008) {
    writeMtimecmp(merge(mtimecmp, off - 0x4000, size, value));
  } else if (off >= 0xbff8 && off < 0xc000) {
    const now = mtimeNow();
    const wanted = merge(now, off - 0xbff8, size, value);
    mtimeDelta += wanted - now;
    writeMtimecmp(mtimecmp);
  }
}

/** As QEMU's ACLINT: the deadline is "now" plus the remaining ticks at 100 ns each. */
export function writeMtimecmp(value: u64): void {
  mtimecmp = value;
  const now = mtimeNow();
  sliceEnd = 0;
  if (value <= now) {
    mip |= IRQ_MTI;
    timerDeadline = NEVER;
    return;
  }
  mip &= ~IRQ_MTI;
  const diff = value - now;
  if (diff > 0x7fffffffffffffff / 100) { timerDeadline = NEVER; return; }
  const deadline = virtualNow() + diff * 100;
  timerDeadline = deadline < virtualNow() ? NEVER : deadline;
}
