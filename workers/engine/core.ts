// Typed access to the AssemblyScript core (workers/core), shared by every host.
// The host supplies the compiled wasm (Node reads the file, the browser fetches it).
import { Jit, type JitStats } from './jit/index';

/** Why the core's run() returned (the STOP_* values of workers/core/state.ts). */
export const CoreStop = {
  Budget: 0,
  Breakpoint: 1,
  Watchpoint: 2,
  Exit: 3,
  HostCall: 4,
  Idle: 5,
  OutputFull: 6,
  TrapLoop: 7,
  LeftRange: 8,
} as const;

interface RawExports {
  memory: WebAssembly.Memory;
  init(ramBytes: bigint, diskBytes: bigint, boardRevision: number): number;
  /** Power-on state; RAM and the disk are cleared unless the caller knows they are zero (a machine nothing has written yet). */
  reset(ramKnownZero?: boolean): void;
  run(budget: bigint, flags: number): number;
  lastFetchFaulted(): number;
  lastAttemptPc(): bigint;
  setStepRange(lo: bigint, hi: bigint): void;
  lastAttemptIcount(): bigint;
  completeHostCall(): void;
  getPc(): bigint;
  setPc(v: bigint): void;
  getIcount(): bigint;
  getPrivilege(): number;
  getExitCode(): number;
  loopStartCause(): bigint;
  loopStartTval(): bigint;
  loopStartPc(): bigint;
  loopStartPriv(): number;
  getRamSize(): bigint;
  getDiskSize(): bigint;
  getBoardRevision(): number;
  execMapOffset(): number;
  getVirtualTime(): bigint;
  readCsr(csr: number): bigint;
  writeCsr(csr: number, v: bigint): void;
  csrFailed(): number;
  setSlowPathOnly(on: number): void;
  flushTranslations(): void;
  addBreakpoint(addr: bigint): number;
  clearBreakpoints(): void;
  breakpointCount(): number;
  setWatchpoint(slot: number, lo: bigint, hi: bigint, kinds: number): number;
  uartReceive(byte: number): number;
  uartPending(): number;
  uartStatusReads(): number;
  takeOutputLength(): number;
  saveState(): number;
  hashBytes(ptr: number, length: number, seed: bigint): bigint;
  loadState(): void;
  configureHarts(count: number, quantum: bigint, seed: bigint): number;
  getHartCount(): number;
  getCurrentHart(): number;
  getScheduledHart(): number;
  viewHart(hart: number): number;
  takeScheduleLog(): number;
  table: WebAssembly.Table;
  setJitEnabled(on: number): void;
  jitEnabled(): number;
  jitExitOffset(): number;
  jitTlbOffset(): number;
  jitTlbEntries(): number;
  jitCodeMapOffset(): number;
  jitExecMapOffset(): number;
  jitGeneration(): number;
  jitInstructions(): bigint;
  jitBlocksRun(): bigint;
  jitMarkCode(off: bigint, bytes: number): void;
  jitInvalidate(off: bigint, size: bigint): void;
  jitMulDiv(f3: number, a: bigint, b: bigint): bigint;
  jitMulDivW(f3: number, a: bigint, b: bigint): bigint;
  jitFp(insn: number, x: bigint): bigint;
  jitFma(a: bigint, b: bigint, c: bigint, ctl: number): bigint;
  jitFflags: WebAssembly.Global;
  jitFrm: WebAssembly.Global;
  jitMstatus: WebAssembly.Global;
  flushJit(): void;
  COMPRESSED_TABLE: WebAssembly.Global;
  REGS: WebAssembly.Global;
  SCHEDULE_LOG: WebAssembly.Global;
  FREGS: WebAssembly.Global;
  REGISTER_FILE_BYTES: WebAssembly.Global;
  STATE: WebAssembly.Global;
  STATE_CAPACITY: WebAssembly.Global;
  WATCH_HIT: WebAssembly.Global;
  TX_BUFFER: WebAssembly.Global;
  WATCHPOINT_SLOTS: WebAssembly.Global;
  MROM: WebAssembly.Global;
  MROM_SIZE: WebAssembly.Global;
  DIRTY_PAGES: WebAssembly.Global;
  RAM: WebAssembly.Global;
  SCRATCH: WebAssembly.Global;
}

export interface CoreLayout {
  regs: number;
  /** f0..f31 as raw bits. */
  fregs: number;
  /** x0..x31 then f0..f31, from `regs`: what snapshots save and digests cover. */
  registerFileBytes: number;
  state: number;
  stateCapacity: number;
  watchHit: number;
  txBuffer: number;
  watchpointSlots: number;
  mrom: number;
  mromSize: number;
  dirtyPages: number;
  ram: number;
  scratch: number;
  /** The scheduler's switches, {icount: u64, hart: u64} each (core harts.ts). */
  scheduleLog: number;
}

/** What the translation tier has done (Core.jitStats). */
export interface JitReport extends JitStats {
  enabled: boolean;
  /** Instructions retired by translated code, and translated blocks entered, since the core was made. */
  instructions: bigint;
  blocksRun: bigint;
}

/** One instance of the CPU core with its linear memory. */
export class Core {
  readonly raw: RawExports;
  readonly layout: CoreLayout;
  /** The translator, once translation has been turned on (after init()). */
  private jit: Jit | undefined;

  private constructor(instance: WebAssembly.Instance) {
    this.raw = instance.exports as unknown as RawExports;
    const g = (x: WebAssembly.Global) => Number(x.value);
    const r = this.raw;
    this.layout = {
      regs: g(r.REGS), fregs: g(r.FREGS), registerFileBytes: g(r.REGISTER_FILE_BYTES), state: g(r.STATE), stateCapacity: g(r.STATE_CAPACITY), watchHit: g(r.WATCH_HIT),
      txBuffer: g(r.TX_BUFFER), watchpointSlots: g(r.WATCHPOINT_SLOTS), mrom: g(r.MROM), mromSize: g(r.MROM_SIZE),
      dirtyPages: g(r.DIRTY_PAGES), ram: g(r.RAM), scratch: g(r.SCRATCH), scheduleLog: g(r.SCHEDULE_LOG),
    };
  }

  static async instantiate(wasm: BufferSource | WebAssembly.Module): Promise<Core> {
    const module = wasm instanceof WebAssembly.Module ? wasm : await WebAssembly.compile(wasm);
    // The core asks for a translation through this import; it is bound to the Core made below.
    const bound: { core?: Core } = {};
    const instance = await WebAssembly.instantiate(module, {
      env: {
        abort: () => { throw new Error('core: internal assertion failed'); },
        jitTranslate: (off: bigint): number => bound.core?.jit?.translate(off) ?? 0,
      },
    });
    const core = new Core(instance);
    bound.core = core;
    return core;
  }

  /**
   * Turns the translation tier on or off (after init(): it needs the RAM size).
   * Either way the core forgets its translations; results are the same, only speed differs.
   */
  setJit(on: boolean): void {
    if (on && this.jit === undefined) {
      const r = this.raw;
      this.jit = new Jit(r, {
        regs: this.layout.regs, ram: this.layout.ram, dirtyPages: this.layout.dirtyPages,
        execMap: r.jitExecMapOffset(), codeMap: r.jitCodeMapOffset(), exit: r.jitExitOffset(),
        compressedTable: Number(r.COMPRESSED_TABLE.value),
        tlb: r.jitTlbOffset(), tlbEntries: r.jitTlbEntries(), fregs: this.layout.fregs,
      }, Number(r.getRamSize()));
    }
    this.raw.setJitEnabled(on ? 1 : 0);
  }

  jitStats(): JitReport {
    const s = this.jit?.stats ?? { blocksTranslated: 0, blocksReused: 0, translateMs: 0 };
    return { ...s, enabled: this.raw.jitEnabled() !== 0, instructions: this.raw.jitInstructions(), blocksRun: this.raw.jitBlocksRun() };
  }

  /** A fresh view: linear memory may have grown since the last call. */
  bytes(): Uint8Array { return new Uint8Array(this.raw.memory.buffer); }
  view(): DataView { return new DataView(this.raw.memory.buffer); }

  readReg(i: number): bigint { return this.view().getBigUint64(this.layout.regs + i * 8, true); }
  writeReg(i: number, v: bigint): void {
    if (i !== 0) this.view().setBigUint64(this.layout.regs + i * 8, BigInt.asUintN(64, v), true);
  }
  registers(): bigint[] {
    const v = this.view();
    const out: bigint[] = [];
    for (let i = 0; i < 32; i++) out.push(v.getBigUint64(this.layout.regs + i * 8, true));
    return out;
  }
  /** f0..f31 as raw 64-bit patterns (single-precision values are NaN-boxed). */
  fpRegisters(): bigint[] {
    const v = this.view();
    const out: bigint[] = [];
    for (let i = 0; i < 32; i++) out.push(v.getBigUint64(this.layout.fregs + i * 8, true));
    return out;
  }
}
