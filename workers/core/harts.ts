// Several harts on one core: the hart that runs keeps its state in the
// globals of state.ts (and its registers at REGS), exactly as a lone hart
// does; every other hart's state waits in its context slot in linear memory.
// The scheduler runs harts in turn, each for a quantum of instructions (a
// fixed length, or lengths drawn from a seeded generator), so the
// interleaving is a pure function of the machine configuration and state:
// it is recorded by being deterministic, and snapshots hold every slot.
//
// A hart in WFI with nothing to wake it gives up the rest of its quantum; when
// every hart waits, virtual time skips to the earliest deadline any of them
// would wake for. A switch drops the reservation of the hart leaving (the spec
// allows any event to), so an LR/SC pair never spans another hart's stores.
import * as S from './state';
import { HART_CONTEXTS, HART_CONTEXT_SIZE, MAX_HARTS, REGS, REGISTER_FILE_BYTES, DEVICE_STATE, PMP, SCHEDULE_LOG, SCHEDULE_LOG_ENTRIES } from './layout';
import { resetTlb, updateFastPath } from './trap';
import { plicUpdate } from './plic';

/** The per-hart part of DEVICE_STATE (debug triggers, then Sstc's stimecmp and deadline), swapped with the hart. */
const HART_DEVICE_STATE: usize = DEVICE_STATE + 0x3a0;
const HART_DEVICE_STATE_SIZE: u32 = 0x40;
/** mip.SEIP as software wrote it (plic.ts SOFTWARE_SEIP): per hart. */
const SOFTWARE_SEIP: usize = DEVICE_STATE + 0x1c4;
const PMP_BYTES: u32 = 16 + 16 * 8;

// Offsets in a context slot.
const C_PC: usize = 0;
const C_PRIV: usize = 8;
const C_MIE: usize = 40;
const C_MIP: usize = 48;
const C_MTIMECMP: usize = 224;
const C_TIMER_DEADLINE: usize = 232;
const C_RETIRED: usize = 240;
const C_SOFTWARE_SEIP: usize = 248;
const C_DEVICE: usize = 0x100;
const C_PMP: usize = 0x140;
const C_REGS: usize = 0x200;
/** Where Sstc's deadline (sstc.ts DUE, stored +1, 0 = unarmed) sits in a slot's copy of the per-hart device state. */
const C_STIMER_DUE: usize = C_DEVICE + (0x3d8 - 0x3a0);

/** The hart the scheduler chose; S.currentHart differs only during viewHart. */
let scheduledHart: u32 = 0;
/** Mean quantum length in instructions, and the schedule seed (0: every quantum is exactly `quantum`). */
export let quantum: u64 = 10000;
export let scheduleSeed: u64 = 0;
let rngState: u64 = 0;
/** The global icount at which the running hart's quantum ends. */
export let quantumEnd: u64 = S.NEVER;
/** icount when the running hart was switched in (its own retired count grows from there). */
let switchedInAt: u64 = 0;
/** How many harts in a row were found waiting in WFI with nothing pending. */
let idleInARow: u32 = 0;
/** Entries in the schedule log since the engine last drained it. */
export let scheduleLogLength: u32 = 0;

@inline function slot(h: u32): usize { return HART_CONTEXTS + <usize>h * HART_CONTEXT_SIZE; }

/** Sets the number of harts and the schedule; takes effect at the next reset. False if out of range. */
export function configureHarts(count: u32, quantumLength: u64, seed: u64): bool {
  if (count < 1 || count > MAX_HARTS || quantumLength < 1 || quantumLength > 1000000000) return false;
  S.hartCount = count;
  quantum = quantumLength;
  scheduleSeed = seed;
  return true;
}

/** The length of the next quantum: fixed, or uniform in [quantum/2, 3*quantum/2) from the seeded generator (xorshift64*). */
function nextQuantumLength(): u64 {
  if (scheduleSeed == 0 || quantum < 2) return quantum;
  let x = rngState;
  x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
  rngState = x;
  return (quantum >> 1) + ((x * 0x2545f4914f6cdd1d) >> 11) % quantum;
}

/** The instructions the running hart has retired since reset (minstret's base with several harts). */
export function retiredByCurrentHart(): u64 {
  const base = load<u64>(slot(S.currentHart) + C_RETIRED);
  // A hart the debugger views has retired nothing since it was switched out.
  return S.currentHart == scheduledHart ? base + (S.icount - switchedInAt) : base;
}

/** After reset(): every hart starts as the globals are now (power-on at the mask ROM). */
export function resetHarts(): void {
  S.currentHart = 0;
  scheduledHart = 0;
  switchedInAt = 0;
  idleInARow = 0;
  scheduleLogLength = 0;
  rngState = scheduleSeed ^ 0x9e3779b97f4a7c15;
  if (rngState == 0) rngState = 1;
  if (S.hartCount <= 1) { quantumEnd = S.NEVER; return; }
  for (let h: u32 = 0; h < S.hartCount; h++) { saveHart(h); store<u64>(slot(h) + C_RETIRED, 0); }
  quantumEnd = nextQuantumLength();
  logSwitch();
}

/** Copies the running hart's state (globals, registers, its device state) into slot h. */
function saveHart(h: u32): void {
  const p = slot(h);
  store<u64>(p + C_PC, S.pc);
  store<u64>(p + C_PRIV, <u64>S.priv | (S.halted ? <u64>1 << 8 : 0));
  store<u64>(p, S.mstatus, 16); store<u64>(p, S.medeleg, 24); store<u64>(p, S.mideleg, 32);
  store<u64>(p + C_MIE, S.mie); store<u64>(p + C_MIP, S.mip); store<u64>(p, S.mtvec, 56);
  store<u64>(p, S.mcounteren, 64); store<u64>(p, S.mcountinhibit, 72); store<u64>(p, S.mscratch, 80);
  store<u64>(p, S.mepc, 88); store<u64>(p, S.mcause, 96); store<u64>(p, S.mtval, 104);
  store<u64>(p, S.menvcfg, 112); store<u64>(p, S.stvec, 120); store<u64>(p, S.scounteren, 128);
  store<u64>(p, S.sscratch, 136); store<u64>(p, S.sepc, 144); store<u64>(p, S.scause, 152);
  store<u64>(p, S.stval, 160); store<u64>(p, S.satp, 168); store<u64>(p, S.senvcfg, 176);
  store<u64>(p, S.mcycleOffset, 184); store<u64>(p, S.minstretOffset, 192);
  store<u64>(p, S.reservationAddress, 200); store<u64>(p, S.reservationValue, 208);
  store<u64>(p, <u64>(S.fflags | (S.frm << 5)), 216);
  store<u64>(p + C_MTIMECMP, S.mtimecmp); store<u64>(p + C_TIMER_DEADLINE, S.timerDeadline);
  store<u32>(p + C_SOFTWARE_SEIP, load<u32>(SOFTWARE_SEIP));
  memory.copy(p + C_DEVICE, HART_DEVICE_STATE, HART_DEVICE_STATE_SIZE);
  memory.copy(p + C_PMP, PMP, PMP_BYTES);
  memory.copy(p + C_REGS, REGS, REGISTER_FILE_BYTES);
}

/** Makes slot h the running hart's state (the inverse of saveHart), with its external interrupt lines and the fast path recomputed. */
function loadHart(h: u32): void {
  const p = slot(h);
  S.currentHart = h;
  S.pc = load<u64>(p + C_PC);
  const pv = load<u64>(p + C_PRIV);
  S.priv = <u32>(pv & 3); S.halted = (pv & 0x100) != 0;
  S.mstatus = load<u64>(p, 16); S.medeleg = load<u64>(p, 24); S.mideleg = load<u64>(p, 32);
  S.mie = load<u64>(p + C_MIE); S.mip = load<u64>(p + C_MIP); S.mtvec = load<u64>(p, 56);
  S.mcounteren = load<u64>(p, 64); S.mcountinhibit = load<u64>(p, 72); S.mscratch = load<u64>(p, 80);
  S.mepc = load<u64>(p, 88); S.mcause = load<u64>(p, 96); S.mtval = load<u64>(p, 104);
  S.menvcfg = load<u64>(p, 112); S.stvec = load<u64>(p, 120); S.scounteren = load<u64>(p, 128);
  S.sscratch = load<u64>(p, 136); S.sepc = load<u64>(p, 144); S.scause = load<u64>(p, 152);
  S.stval = load<u64>(p, 160); S.satp = load<u64>(p, 168); S.senvcfg = load<u64>(p, 176);
  S.mcycleOffset = load<u64>(p, 184); S.minstretOffset = load<u64>(p, 192);
  S.reservationAddress = load<u64>(p, 200); S.reservationValue = load<u64>(p, 208);
  const fcsr = <u32>load<u64>(p, 216);
  S.fflags = fcsr & 0x1f; S.frm = (fcsr >> 5) & 7;
  S.mtimecmp = load<u64>(p + C_MTIMECMP); S.timerDeadline = load<u64>(p + C_TIMER_DEADLINE);
  store<u32>(SOFTWARE_SEIP, load<u32>(p + C_SOFTWARE_SEIP));
  memory.copy(HART_DEVICE_STATE, p + C_DEVICE, HART_DEVICE_STATE_SIZE);
  memory.copy(PMP, p + C_PMP, PMP_BYTES);
  memory.copy(REGS, p + C_REGS, REGISTER_FILE_BYTES);
  resetTlb();
  plicUpdate();
  updateFastPath();
}

/** The scheduler's switch to the next hart in turn, with a new quantum. */
export function scheduleNext(): void {
  const leaving = S.currentHart;
  const retired = retiredByCurrentHart();
  S.reservationAddress = S.NEVER;
  saveHart(leaving);
  store<u64>(slot(leaving) + C_RETIRED, retired);
  const next = (leaving + 1) % S.hartCount;
  loadHart(next);
  scheduledHart = next;
  switchedInAt = S.icount;
  quantumEnd = S.icount + nextQuantumLength();
  logSwitch();
}

/** Records "from this icount on, S.currentHart retires the instructions" for the engine (drained after each run). */
function logSwitch(): void {
  const n = scheduleLogLength;
  // The same icount as the previous switch: that hart retired nothing, so this entry replaces it.
  if (n > 0 && load<u64>(SCHEDULE_LOG + (<usize>(n - 1) << 4)) == S.icount && load<u64>(SCHEDULE_LOG + (<usize>(n - 1) << 4), 8) < 0x10000) {
    store<u64>(SCHEDULE_LOG + (<usize>(n - 1) << 4), <u64>S.currentHart, 8);
    return;
  }
  store<u64>(SCHEDULE_LOG + (<usize>n << 4), S.icount);
  store<u64>(SCHEDULE_LOG + (<usize>n << 4), <u64>S.currentHart, 8);
  scheduleLogLength = n + 1;
  // Nearly full: the run loop ends the slice and returns, the engine drains the log.
  if (scheduleLogFull()) S.sliceEnd = 0;
}

/** An inter-processor interrupt: the running hart raised hart `to`'s msip. Logged as hart 0x10000 | from << 8 | to. */
export function logIpi(to: u32): void {
  const n = scheduleLogLength;
  store<u64>(SCHEDULE_LOG + (<usize>n << 4), S.icount);
  store<u64>(SCHEDULE_LOG + (<usize>n << 4), 0x10000 | (<u64>S.currentHart << 8) | <u64>to, 8);
  scheduleLogLength = n + 1;
  if (scheduleLogFull()) S.sliceEnd = 0;
}

export function takeScheduleLog(): u32 { const n = scheduleLogLength; scheduleLogLength = 0; return n; }
/** Room is kept for the switches one pass of the run loop can make (a round of idle harts). */
export function scheduleLogFull(): bool { return scheduleLogLength >= SCHEDULE_LOG_ENTRIES - 64; }

/**
 * At an instruction boundary, with several harts: the quantum is over, or the
 * running hart waits in WFI with nothing pending. Returns false if every hart
 * waits and no deadline could wake any of them (the machine is idle).
 */
export function idleOrSwitch(): bool {
  idleInARow++;
  if (idleInARow < S.hartCount) { scheduleNext(); return true; }
  // Every hart waits: skip virtual time to the earliest deadline any of them waits for.
  idleInARow = 0;
  saveHart(S.currentHart);
  let wake = S.NEVER;
  for (let h: u32 = 0; h < S.hartCount; h++) {
    const p = slot(h);
    const mie = load<u64>(p + C_MIE);
    if ((mie & S.IRQ_MTI) != 0 && load<u64>(p + C_TIMER_DEADLINE) < wake) wake = load<u64>(p + C_TIMER_DEADLINE);
    const due = load<u64>(p + C_STIMER_DUE);
    if ((mie & S.IRQ_STI) != 0 && due != 0 && due - 1 < wake) wake = due - 1;
  }
  if (wake == S.NEVER) return false;
  if (wake > S.icount + S.idleSkip) S.idleSkip = wake - S.icount;
  scheduleNext();
  return true;
}

/** The running hart retires instructions: the count of idle harts in a row starts again. */
@inline export function hartBusy(): void { idleInARow = 0; }

/**
 * Debugger access to hart h's state: puts it in the globals without any
 * scheduling effect (no reservation dropped, no quantum started); viewHart of
 * the scheduled hart puts everything back. The engine never runs while another is viewed.
 */
export function viewHart(h: u32): bool {
  if (h >= S.hartCount) return false;
  if (h == S.currentHart) return true;
  saveHart(S.currentHart);
  loadHart(h);
  return true;
}
export function getScheduledHart(): u32 { return scheduledHart; }

// ---- CLINT access to a hart that is not running ----

/** mip of hart h (the globals' if it runs). */
export function hartMip(h: u32): u64 { return h == S.currentHart ? S.mip : load<u64>(slot(h) + C_MIP); }
export function setHartMip(h: u32, v: u64): void { if (h == S.currentHart) S.mip = v; else store<u64>(slot(h) + C_MIP, v); }
export function hartMtimecmp(h: u32): u64 { return h == S.currentHart ? S.mtimecmp : load<u64>(slot(h) + C_MTIMECMP); }
/** Sets a waiting hart's mtimecmp and timer deadline (clint.ts computes them). */
export function setWaitingHartTimer(h: u32, mtimecmp: u64, deadline: u64): void {
  store<u64>(slot(h) + C_MTIMECMP, mtimecmp);
  store<u64>(slot(h) + C_TIMER_DEADLINE, deadline);
}

// ---- machine state ----

/** Appends the scheduler and every hart's slot to a saveState at p (several harts only); returns the new end. */
export function saveHartsState(p: usize): usize {
  // The slot of the hart in the globals is brought up to date first (its retired count stays as the slot keeps it).
  saveHart(S.currentHart);
  store<u64>(p, <u64>S.hartCount | (<u64>S.currentHart << 8) | (<u64>scheduledHart << 16) | (<u64>idleInARow << 24)); p += 8;
  store<u64>(p, quantum); p += 8;
  store<u64>(p, scheduleSeed); p += 8;
  store<u64>(p, rngState); p += 8;
  store<u64>(p, quantumEnd); p += 8;
  store<u64>(p, switchedInAt); p += 8;
  const bytes = <usize>S.hartCount * HART_CONTEXT_SIZE;
  memory.copy(p, HART_CONTEXTS, bytes); p += bytes;
  return p;
}

/** Reads what saveHartsState wrote; the hart it names as current is loaded into the globals. */
export function loadHartsState(p: usize): usize {
  const w = load<u64>(p); p += 8;
  const count = <u32>(w & 0xff);
  // The engine only loads states of this machine; a damaged one is caught by its digest, not trusted here.
  if (count != S.hartCount) return p;
  S.currentHart = <u32>((w >> 8) & 0xff) % S.hartCount;
  scheduledHart = <u32>((w >> 16) & 0xff) % S.hartCount;
  idleInARow = <u32>((w >> 24) & 0xff) % S.hartCount;
  const q = load<u64>(p); p += 8;
  if (q >= 1 && q <= 1000000000) quantum = q;
  scheduleSeed = load<u64>(p); p += 8;
  rngState = load<u64>(p); p += 8;
  quantumEnd = load<u64>(p); p += 8;
  switchedInAt = load<u64>(p); p += 8;
  const bytes = <usize>S.hartCount * HART_CONTEXT_SIZE;
  memory.copy(HART_CONTEXTS, p, bytes); p += bytes;
  scheduleLogLength = 0;
  loadHart(S.currentHart);
  return p;
}
