import { PMP } from './layout';
// The machine state that is not in linear memory: CSRs, device registers and
// the bookkeeping of the run loop. Everything that defines the architectural
// state is serialised by saveState()/loadState() in index.ts.

export const PRIV_U: u32 = 0;
export const PRIV_S: u32 = 1;
export const PRIV_M: u32 = 3;

// Why run() returned. Mirrored by StopReason in the engine.
export const STOP_NONE: i32 = -1;
export const STOP_BUDGET: i32 = 0;
export const STOP_BREAKPOINT: i32 = 1;
export const STOP_WATCHPOINT: i32 = 2;
export const STOP_EXIT: i32 = 3;
export const STOP_HOSTCALL: i32 = 4;
export const STOP_IDLE: i32 = 5;
export const STOP_OUTPUT_FULL: i32 = 6;
export const STOP_TRAP_LOOP: i32 = 7;
export const STOP_LEFT_RANGE: i32 = 8;

export const NEVER: u64 = 0xffffffffffffffff;

// mstatus bits
export const MSTATUS_SIE: u64 = 1 << 1;
export const MSTATUS_MIE: u64 = 1 << 3;
export const MSTATUS_SPIE: u64 = 1 << 5;
export const MSTATUS_MPIE: u64 = 1 << 7;
export const MSTATUS_SPP: u64 = 1 << 8;
export const MSTATUS_MPP_SHIFT: u64 = 11;
export const MSTATUS_MPP: u64 = 3 << 11;
export const MSTATUS_FS: u64 = 3 << 13;
export const MSTATUS_XS: u64 = 3 << 15;
export const MSTATUS_VS: u64 = 3 << 9;
export const MSTATUS_MPRV: u64 = 1 << 17;
export const MSTATUS_SUM: u64 = 1 << 18;
export const MSTATUS_MXR: u64 = 1 << 19;
export const MSTATUS_TVM: u64 = 1 << 20;
export const MSTATUS_TW: u64 = 1 << 21;
export const MSTATUS_TSR: u64 = 1 << 22;
export const MSTATUS_UXL_SXL: u64 = (<u64>2 << 32) | (<u64>2 << 34);
export const MSTATUS_SD: u64 = <u64>1 << 63;

// interrupt bits (mip/mie)
export const IRQ_SSI: u64 = 1 << 1;
export const IRQ_MSI: u64 = 1 << 3;
export const IRQ_STI: u64 = 1 << 5;
export const IRQ_MTI: u64 = 1 << 7;
export const IRQ_SEI: u64 = 1 << 9;
export const IRQ_MEI: u64 = 1 << 11;
export const S_INTERRUPTS: u64 = IRQ_SSI | IRQ_STI | IRQ_SEI;
export const ALL_INTERRUPTS: u64 = S_INTERRUPTS | IRQ_MSI | IRQ_MTI | IRQ_MEI;

// exception causes
export const CAUSE_FETCH_MISALIGNED: u64 = 0;
export const CAUSE_FETCH_ACCESS: u64 = 1;
export const CAUSE_ILLEGAL: u64 = 2;
export const CAUSE_BREAKPOINT: u64 = 3;
export const CAUSE_LOAD_MISALIGNED: u64 = 4;
export const CAUSE_LOAD_ACCESS: u64 = 5;
export const CAUSE_STORE_MISALIGNED: u64 = 6;
export const CAUSE_STORE_ACCESS: u64 = 7;
export const CAUSE_ECALL_U: u64 = 8;
export const CAUSE_ECALL_S: u64 = 9;
export const CAUSE_ECALL_M: u64 = 11;

// --- hart ---
/** How many harts the machine has (harts.ts keeps those that are not running). */
export let hartCount: u32 = 1;
/** The hart whose state is in these globals (the one that runs, except while the debugger views another). */
export let currentHart: u32 = 0;
export let pc: u64 = 0;
/** Instructions retired since reset (QEMU's icount: see docs/machine.md). */
export let icount: u64 = 0;
/** Virtual nanoseconds skipped while idle in WFI; virtual time = icount + idleSkip. */
export let idleSkip: u64 = 0;
export let priv: u32 = PRIV_M;
export let halted: bool = false;

export let mstatus: u64 = 0;
export let medeleg: u64 = 0;
export let mideleg: u64 = 0;
export let mie: u64 = 0;
export let mip: u64 = 0;
export let mtvec: u64 = 0;
export let mcounteren: u64 = 0;
export let mcountinhibit: u64 = 0;
export let mscratch: u64 = 0;
export let mepc: u64 = 0;
export let mcause: u64 = 0;
export let mtval: u64 = 0;
export let menvcfg: u64 = 0;
export let stvec: u64 = 0;
export let scounteren: u64 = 0;
export let sscratch: u64 = 0;
export let sepc: u64 = 0;
export let scause: u64 = 0;
export let stval: u64 = 0;
export let satp: u64 = 0;
export let senvcfg: u64 = 0;
/** Counter value = virtual time + 1 + offset (QEMU counts the reading instruction). */
export let mcycleOffset: u64 = 0;
export let minstretOffset: u64 = 0;
/** LR/SC reservation, QEMU-style: address and the value loaded. */
export let reservationAddress: u64 = NEVER;
export let reservationValue: u64 = 0;

/** fcsr's two fields: the accrued exception flags (NX UF OF DZ NV) and the dynamic rounding mode. */
export let fflags: u32 = 0;
export let frm: u32 = 0;

// --- CLINT ---
export let mtimecmp: u64 = 0;
/** mtime = virtual time / 100 + mtimeDelta (writes to mtime move the delta). */
export let mtimeDelta: u64 = 0;
/** Virtual time at which MTIP rises; NEVER when no timer is armed. */
export let timerDeadline: u64 = NEVER;

// --- UART 16550 ---
export let uartIer: u32 = 0;
export let uartLcr: u32 = 0;
export let uartMcr: u32 = 0;
export let uartScr: u32 = 0;
export let uartDll: u32 = 0;
export let uartDlm: u32 = 0;
export let uartFcr: u32 = 0;
export let rxHead: u32 = 0;
export let rxCount: u32 = 0;
export let txLength: u32 = 0;

// --- test finisher ---
export let exitCode: i32 = 0;

// --- configuration and run-loop bookkeeping (not architectural) ---
export let ramSize: u64 = 0;
/** Bytes of the virtio disk (0: no disk), kept in linear memory after RAM. */
export let diskSize: u64 = 0;
/**
 * Which board this is. 1: the board before the PLIC (CLINT, polled UART, test
 * finisher), which recordings of format version 2 were made on; 2: with the
 * PLIC, UART interrupts and the virtio-mmio transports.
 */
export let boardRevision: u32 = 2;
/** Linear-memory offset of the executed-code map (after RAM). */
export let execMap: usize = 0;
/** Fast-path limits: an access at RAM offset < limit needs no further checks. 0 forces the slow path. */
export let fetchLimit: u64 = 0;
export let dataLimit: u64 = 0;
/** Whether fetches / data accesses are translated (then the fast path finds RAM offsets in the TLB). */
export let fetchTranslated: bool = false;
export let dataTranslated: bool = false;
/**
 * Whether the data fast path finds RAM offsets in the TLB: when data is
 * translated, and also when the debugger's watchpoints are armed, since the
 * TLB then holds no page a watchpoint touches (mmu.ts) and every other access
 * stays fast, in the interpreter and in translated code.
 */
export let dataThroughTlb: bool = false;
/** The privilege level fetches / data accesses are made at: part of every TLB tag. */
export let fetchMode: u32 = 3;
export let dataMode: u32 = 3;
/** run() executes while icount < sliceEnd; setting it to 0 ends the slice after the current instruction. */
export let sliceEnd: u64 = 0;
export let stopReason: i32 = STOP_NONE;
/** Set by a faulting memory access; the interpreter abandons the instruction. */
export let faulted: bool = false;
export let breakpointCount: u32 = 0;
export let watchpointCount: u32 = 0;
/** Whether an execute / a load-store debug trigger could fire at the current privilege level (trigger.ts; set by updateFastPath). */
export let execTriggers: bool = false;
export let dataTriggers: bool = false;
/**
 * A run that resumes from a breakpoint stop steps over that one breakpoint: the
 * instruction at this pc at this icount. A trap or interrupt taken there leads
 * to a handler whose breakpoint still stops (same icount, another pc).
 */
export let skipBreakpointIcount: u64 = NEVER;
export let skipBreakpointPc: u64 = NEVER;
export let trapLoopCount: u32 = 0;
/**
 * The last exception whose handler is not the trapping instruction itself: when a
 * trap loop is detected, this is the trap that started it (what the user needs to
 * see, rather than the handler's own endless fault).
 */
export let loopStartCause: u64 = 0;
export let loopStartTval: u64 = 0;
export let loopStartPc: u64 = NEVER;
/** The privilege level that trap's handler ran in (PRIV_S: delegated, so stvec; else mtvec). */
export let loopStartPriv: u32 = 0;

/** PMP: 16 entries, as QEMU 7.2's virt cpu, stored at layout PMP (no heap: the core allocates nothing). */
export const PMP_ENTRIES: i32 = 16;
@inline export function pmpCfgAt(i: i32): u32 { return <u32>load<u8>(PMP + <usize>i); }
@inline export function setPmpCfg(i: i32, v: u32): void { store<u8>(PMP + <usize>i, <u8>v); }
@inline export function pmpAddrAt(i: i32): u64 { return load<u64>(PMP + 16 + (<usize>i << 3)); }
@inline export function setPmpAddr(i: i32, v: u64): void { store<u64>(PMP + 16 + (<usize>i << 3), v); }

export function setPc(v: u64): void { pc = v; }
export function setIcount(v: u64): void { icount = v; }
