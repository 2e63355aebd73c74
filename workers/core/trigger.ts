// Sdtrig debug triggers as QEMU 7.2 has them for its default rv64 CPU: two
// address-match triggers (type 2 mcontrol or type 6 mcontrol6) behind
// tselect/tdata1/tdata2/tdata3/tinfo, on board revision 2 only. Their state
// lives in DEVICE_STATE (saved and restored with the machine, cleared by
// reset). A trigger that fires raises a breakpoint exception (cause 3, tval 0)
// before the instruction executes or before the access is made; see
// docs/machine.md, "Debug triggers".
//
// The callers only come here when a trigger could fire at the current
// privilege level (updateFastPath computes `execTriggers`/`dataTriggers` and
// turns the fast path off for them), so nothing is paid while none is armed.
import { DEVICE_STATE } from './layout';
import { priv, boardRevision } from './state';

/** How many triggers (QEMU 7.2's RV_MAX_TRIGGERS). */
export const TRIGGERS: u32 = 2;

// Offsets in DEVICE_STATE (after the PLIC, UART and virtio blocks).
const TSELECT: usize = DEVICE_STATE + 0x3a0;       // u64
const TDATA1: usize = DEVICE_STATE + 0x3a8;        // u64 × TRIGGERS, stored XOR TDATA1_RESET
const TDATA2: usize = DEVICE_STATE + 0x3b8;        // u64 × TRIGGERS
export const TRIGGER_STATE_END: usize = DEVICE_STATE + 0x3c8;

const TYPE_MCONTROL: u64 = 2;
const TYPE_MCONTROL6: u64 = 6;
/** tdata1 at reset: type 2, everything else 0. Stored XORed with this, so that a zeroed block is the reset state. */
const TDATA1_RESET: u64 = TYPE_MCONTROL << 60;

const LOAD: u64 = 1 << 0;
const STORE: u64 = 1 << 1;
const EXECUTE: u64 = 1 << 2;
const MODE_U: u64 = 1 << 3;
const MODE_S: u64 = 1 << 4;
const MODE_M: u64 = 1 << 6;
/** mcontrol6 only: vs (24) and vu (23), kept though this CPU has no H extension. */
const MODE_VS_VU: u64 = (<u64>1 << 24) | (<u64>1 << 23);
const MCONTROL_SIZE: u64 = (<u64>3 << 21) | (<u64>3 << 16); // sizehi, sizelo
const MCONTROL6_SIZE: u64 = <u64>15 << 16;

export const TRIGGER_READ: u32 = 1;
export const TRIGGER_WRITE: u32 = 2;

@inline function tdata1At(i: u32): u64 { return load<u64>(TDATA1 + (<usize>i << 3)) ^ TDATA1_RESET; }
@inline function tdata2At(i: u32): u64 { return load<u64>(TDATA2 + (<usize>i << 3)); }
@inline function currentTrigger(): u32 { return <u32>load<u64>(TSELECT); }

/** Whether the CSRs exist: board revision 2 (old recordings replay on revision 1 without them). */
@inline export function triggersPresent(): bool { return boardRevision >= 2; }

/** QEMU 7.2 keeps a size field only for sizes 0 (any), 1, 2, 3 and 5; any other value reads 0. */
function sizeSupported(size: u64): bool { return size <= 3 || size == 5; }

/** The size encoding of a trigger (both types). */
function sizeOf(ctl: u64): u64 {
  if ((ctl >> 60) == TYPE_MCONTROL6) return (ctl >> 16) & 15;
  return ((ctl >> 16) & 3) | (((ctl >> 21) & 3) << 2);
}

/**
 * The bytes a load/store trigger covers from tdata2: QEMU 7.2 inserts a
 * watchpoint whose length is the size field's encoded value (1, 2, 3 or 5), or
 * 8 for size 0 ("any").
 */
function watchLength(ctl: u64): u64 {
  const s = sizeOf(ctl);
  return s == 0 ? 8 : s;
}

/** Whether QEMU would have inserted the trigger's breakpoint/watchpoint: a mode bit and one of load/store/execute. */
function enabled(ctl: u64): bool {
  return (ctl & (MODE_U | MODE_S | MODE_M | MODE_VS_VU)) != 0 && (ctl & (LOAD | STORE | EXECUTE)) != 0;
}

/** Whether the trigger's m/s/u bit selects the current privilege level (QEMU uses the hart's, not MPRV's). */
@inline function privilegeMatches(ctl: u64): bool { return ((ctl >> (3 + <u64>priv)) & 1) != 0; }

// ---- CSRs (the caller has checked triggersPresent() and M-mode) ----

export function tselectRead(): u64 { return load<u64>(TSELECT); }
export function tselectWrite(v: u64): void { if (v < <u64>TRIGGERS) store<u64>(TSELECT, v); }

/** tdata1..3 (index 1..3) of the selected trigger; tdata3 is not implemented by QEMU 7.2 and reads 0. */
export function tdataRead(index: u32): u64 {
  const i = currentTrigger();
  if (index == 1) return tdata1At(i);
  if (index == 2) return tdata2At(i);
  return 0;
}

export function tdataWrite(index: u32, v: u64): void {
  const i = currentTrigger();
  if (index == 2) { store<u64>(TDATA2 + (<usize>i << 3), v); return; }
  if (index != 1) return; // tdata3: writes ignored
  // The type written decides: 2 and 6 are accepted, anything else leaves tdata1 as it was.
  const type = v >> 60;
  let n: u64;
  if (type == TYPE_MCONTROL) {
    // dmode, maskmax, hit, select, timing, action, chain and match are read-only 0.
    n = (TYPE_MCONTROL << 60) | (v & (MODE_M | MODE_S | MODE_U | EXECUTE | STORE | LOAD));
    if (sizeSupported(sizeOf(v))) n |= v & MCONTROL_SIZE;
  } else if (type == TYPE_MCONTROL6) {
    n = (TYPE_MCONTROL6 << 60) | (v & (MODE_VS_VU | MODE_M | MODE_S | MODE_U | EXECUTE | STORE | LOAD));
    if (sizeSupported(sizeOf(v))) n |= v & MCONTROL6_SIZE;
  } else {
    return;
  }
  store<u64>(TDATA1 + (<usize>i << 3), n ^ TDATA1_RESET);
}

/** tinfo: the types every trigger supports (2 and 6). Writes are ignored. */
export const TINFO: u64 = (1 << 2) | (1 << 6);

// ---- what the fast path must know (trap.ts updateFastPath) ----

/** Whether an execute trigger could fire at the current privilege level. */
export function execTriggersArmed(): bool {
  if (!triggersPresent()) return false;
  let any = false, matching = false;
  for (let i: u32 = 0; i < TRIGGERS; i++) {
    const ctl = tdata1At(i);
    if ((ctl & EXECUTE) == 0 || !enabled(ctl)) continue;
    any = true;
    if (privilegeMatches(ctl)) matching = true;
  }
  return any && matching;
}

/** Whether a load or store trigger could fire at the current privilege level. */
export function dataTriggersArmed(): bool {
  if (!triggersPresent()) return false;
  for (let i: u32 = 0; i < TRIGGERS; i++) {
    const ctl = tdata1At(i);
    if ((ctl & (LOAD | STORE)) != 0 && enabled(ctl) && privilegeMatches(ctl)) return true;
  }
  return false;
}

// ---- matching ----

/**
 * Whether an execute trigger fires at `pc`, as QEMU 7.2 decides: some enabled
 * execute trigger has tdata2 == pc (an exact match: size is ignored), and some
 * execute trigger (not necessarily that one) selects the current privilege
 * level. QEMU's check looks for any of its breakpoints that belongs to a
 * trigger matching the privilege level, not for the one at pc.
 */
export function execTriggerFires(pc: u64): bool {
  let atPc = false, matching = false;
  for (let i: u32 = 0; i < TRIGGERS; i++) {
    const ctl = tdata1At(i);
    if ((ctl & EXECUTE) == 0 || !enabled(ctl)) continue;
    if (tdata2At(i) == pc) atPc = true;
    if (privilegeMatches(ctl)) matching = true;
  }
  return atPc && matching;
}

/** The load/store bits of a trigger as QEMU's watchpoint flags (TRIGGER_READ | TRIGGER_WRITE). */
@inline function accessKinds(ctl: u64): u32 {
  return ((ctl & LOAD) != 0 ? TRIGGER_READ : 0) | ((ctl & STORE) != 0 ? TRIGGER_WRITE : 0);
}

/**
 * Whether a load or store trigger fires on an access of `size` bytes at virtual
 * address `va` (kind TRIGGER_READ or TRIGGER_WRITE), as QEMU 7.2's watchpoints
 * do: the access overlaps some enabled trigger j's range [tdata2, tdata2 +
 * length) for a kind j watches, and some trigger i that selects the current
 * privilege level has j's address and shares one of j's kinds.
 */
export function dataTriggerFires(va: u64, size: u64, kind: u32): bool {
  const end = va + size - 1;
  for (let j: u32 = 0; j < TRIGGERS; j++) {
    const ctl = tdata1At(j);
    const kinds = accessKinds(ctl);
    if ((kinds & kind) == 0 || !enabled(ctl)) continue;
    const lo = tdata2At(j);
    const hi = lo + watchLength(ctl) - 1;
    if (va > hi || lo > end) continue;
    for (let i: u32 = 0; i < TRIGGERS; i++) {
      const c = tdata1At(i);
      if (privilegeMatches(c) && (accessKinds(c) & kinds) != 0 && tdata2At(i) == lo) return true;
    }
  }
  return false;
}
