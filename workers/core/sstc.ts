// Sstc: the supervisor timer compare CSR (stimecmp, 0x14d), as QEMU 7.2's
// default CPU has it (board revision 2 only). STIP rises when time (the
// CLINT's mtime) reaches stimecmp: a write of a time already past raises it at
// once, a write of a future time clears it and arms the deadline, like
// mtimecmp's. From S-mode the CSR needs mcounteren.TM and menvcfg.STCE; while
// STCE is set, mip.STIP is not writable by software.
import { DEVICE_STATE } from './layout';
import { mip, IRQ_STI, sliceEnd, NEVER, priv, PRIV_M, PRIV_S, mcounteren, menvcfg, boardRevision } from './state';
import { mtimeNow, virtualNow } from './clint';

// In the board-revision-2 block (after the debug triggers' 0x3a0..0x3c8).
const STIMECMP: usize = DEVICE_STATE + 0x3d0;
/** Virtual time + 1 at which STIP rises; 0: not armed (so the zeroed block is the reset state). */
const DUE: usize = DEVICE_STATE + 0x3d8;

export const MENVCFG_STCE: u64 = <u64>1 << 63;

/** Whether the current privilege level may access stimecmp. */
export function sstcAccessible(): bool {
  if (boardRevision < 2) return false;
  if (priv == PRIV_M) return true;
  return priv == PRIV_S && (mcounteren & 2) != 0 && (menvcfg & MENVCFG_STCE) != 0;
}

export function stimecmpRead(): u64 { return load<u64>(STIMECMP); }

export function stimecmpWrite(value: u64): void {
  store<u64>(STIMECMP, value);
  sliceEnd = 0;
  const now = mtimeNow();
  if (value <= now) {
    mip |= IRQ_STI;
    store<u64>(DUE, 0);
    return;
  }
  mip &= ~IRQ_STI;
  const diff = value - now;
  if (diff > 0x7fffffffffffffff / 100) { store<u64>(DUE, 0); return; }
  const deadline = virtualNow() + diff * 100;
  store<u64>(DUE, deadline < virtualNow() ? 0 : deadline + 1);
}

/** The virtual time at which STIP rises, or NEVER. */
@inline export function stimerDeadline(): u64 {
  const due = load<u64>(DUE);
  return due == 0 ? NEVER : due - 1;
}

/** The deadline has come: STIP rises. */
export function stimerFire(): void {
  mip |= IRQ_STI;
  store<u64>(DUE, 0);
}
