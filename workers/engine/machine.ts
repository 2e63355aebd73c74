// The machine: the core plus the program loader, semihosting, console and the
// run loop that turns core stops into engine events. One class for every host
// (CLI, browser worker, tests).
import { Core, CoreStop } from './core';
import { RAM_BASE, DEFAULT_RAM_MIB, MAX_RAM_MIB, DEVICES } from './memory-map';
import { Semihosting, type ConsoleStream, type SemihostingState } from './semihosting';
import type { HostInput } from './host-input';
import { parseElf, checkLoadable, SymbolTable, ElfError, type ElfImage } from '../formats/elf';
import { trapLoopMessage } from './trap-loop';
import { buildDeviceTree, DEVICE_TREE_REGION_BYTES } from './board';
import { debugTranslate, translationActive } from './debug-translate';
import { ScheduleLog } from './schedule';
import type { HartsConfig } from '../formats/recording';

export type { HartsConfig } from '../formats/recording';
/** The schedule when none is given: turns of 10000 instructions, in hart order. */
export const DEFAULT_QUANTUM = 10_000;
export const MAX_HARTS = 8;

export interface MachineConfig {
  /** Guest RAM in MiB (1..2048). */
  ramMiB: number;
  /** The command line the guest reads through semihosting (QEMU gives the program's file name). */
  commandLine?: string;
  /** A raw disk image for the virtio block device on virtio-mmio-bus.0 (a multiple of 512 bytes); none if absent. */
  disk?: Uint8Array;
  /**
   * The board (workers/core/state.ts boardRevision): 2, the default, has the
   * PLIC, UART interrupts and virtio-mmio; 1 is the board before them, on which
   * recordings of format version 2 were made.
   */
  boardRevision?: 1 | 2;
  /**
   * The kernel command line, in the device tree's /chosen bootargs (QEMU's
   * -append); no bootargs property if absent. Not the semihosting command line.
   */
  bootargs?: string;
  /** Several harts and their schedule (board revision 2); one hart if absent. */
  harts?: HartsConfig;
  /**
   * Whether hot code is translated to WebAssembly (docs/machine.md, "Translation"):
   * JIT_DEFAULT if absent. Only speed depends on it, never a result or a digest.
   */
  jit?: boolean;
}

/** Whether translation is on when a machine's configuration does not say (the CLI's --no-jit changes it for the process). */
export let JIT_DEFAULT = true;
export function setJitDefault(on: boolean): void { JIT_DEFAULT = on; }

export const CURRENT_BOARD_REVISION = 2;

/** The machine's harts (one, unless configured). */
export function hartsOf(config: MachineConfig): HartsConfig {
  return config.harts ?? { count: 1, quantum: DEFAULT_QUANTUM, seed: 0 };
}

export const DEFAULT_CONFIG: MachineConfig = { ramMiB: DEFAULT_RAM_MIB };

export type StopReason =
  | 'budget' // the requested number of instructions retired
  | 'breakpoint'
  | 'watchpoint'
  | 'exit' // the guest powered off or exited
  | 'idle' // WFI with no interrupt that could ever wake it
  | 'input' // a console read is waiting for input
  | 'trap-loop' // a trap whose handler traps again at once, forever
  | 'fault' // the guest asked for something the machine cannot do
  | 'left-range'; // run with a step range: pc left [lo, hi)

export interface WatchHit {
  address: bigint;
  size: number;
  kind: 'read' | 'write';
  slot: number;
  oldValue: bigint;
  newValue: bigint;
  pc: bigint;
}

export interface Stop {
  reason: StopReason;
  icount: bigint;
  /** The hart that stopped (that hit the breakpoint or watchpoint, or runs next); 0 if absent (a stop read from an older file). */
  hart?: number;
  /** That hart's pc. */
  pc: bigint;
  exitCode?: number;
  watch?: WatchHit;
  message?: string;
}

/** Everything about the machine except RAM: what a snapshot stores besides pages. */
export interface MachineState {
  /** The core's serialised CSRs, devices and counters (workers/core saveState). */
  core: Uint8Array;
  /** x0..x31, little-endian. */
  registers: Uint8Array;
  semihosting: SemihostingState;
  exited: Stop | undefined;
}

/** A slice: V8 optimises a wasm function on its next call, and slices keep hosts responsive. */
const SLICE = 4_000_000n;

const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
/** Granularity of the executed-code map (workers/core/layout.ts EXEC_BLOCK_SHIFT). */
export const EXEC_BLOCK_SHIFT = 6;

export class MachineError extends Error {
  override name = 'MachineError';
}

/**
 * QEMU 7.2 refuses to start ("Some ROM regions are overlapping") when a loaded
 * ELF segment, bss included, overlaps the 1 MiB it copies the device tree to:
 * so does the loader.
 */
function checkDeviceTreeOverlap(image: ElfImage, address: number): void {
  const end = address + DEVICE_TREE_REGION_BYTES;
  image.segments.forEach((s, i) => {
    if (s.memSize > 0 && s.paddr < end && address < s.paddr + s.memSize) {
      const r = (base: number, size: number) => `0x${base.toString(16)}+0x${size.toString(16)}`;
      throw new ElfError(`PT_LOAD segment ${i} (${r(s.paddr, s.memSize)}) overlaps the device tree at ` +
        `${r(address, DEVICE_TREE_REGION_BYTES)} (QEMU refuses to start then: "Some ROM regions are overlapping"); ` +
        'link the program elsewhere or give the machine more RAM');
    }
  });
}

export class Machine {
  readonly core: Core;
  readonly config: MachineConfig;
  program: ElfImage | undefined;
  symbols = new SymbolTable([]);
  private semihosting: Semihosting;
  private outputListeners: ((bytes: Uint8Array, stream: ConsoleStream) => void)[] = [];
  private exited: Stop | undefined;
  /** Which hart retired each instruction (several harts). */
  readonly schedule = new ScheduleLog();
  /** Set after a breakpoint stop, so the next run steps over it. */
  private resumeOverBreakpoint = false;
  /** False until something may have written RAM (a load, a run, a write through pagedView): reset then need not clear it. */
  private ramWritten = false;

  private constructor(core: Core, config: MachineConfig, private input: HostInput) {
    this.core = core;
    this.config = config;
    this.semihosting = new Semihosting(input, (b, s) => this.emit(b, s), config.commandLine ?? '');
  }

  static async create(wasm: BufferSource | WebAssembly.Module, input: HostInput, config: MachineConfig = DEFAULT_CONFIG): Promise<Machine> {
    if (!Number.isInteger(config.ramMiB) || config.ramMiB < 1 || config.ramMiB > MAX_RAM_MIB) {
      throw new MachineError(`RAM size must be a whole number of MiB from 1 to ${MAX_RAM_MIB}, not ${config.ramMiB}`);
    }
    const diskBytes = config.disk?.length ?? 0;
    const board = config.boardRevision ?? CURRENT_BOARD_REVISION;
    if (diskBytes % 512 !== 0) {
      throw new MachineError(`the disk image is ${diskBytes} bytes, which is not a whole number of 512-byte sectors`);
    }
    if (diskBytes > 0 && board < 2) throw new MachineError('board revision 1 has no virtio disk');
    if (config.ramMiB * 1024 * 1024 + diskBytes > MAX_RAM_MIB * 1024 * 1024) {
      throw new MachineError(`RAM (${config.ramMiB} MiB) and disk (${(diskBytes / 1048576).toFixed(1)} MiB) together must not exceed ${MAX_RAM_MIB} MiB`);
    }
    const harts = hartsOf(config);
    if (!Number.isInteger(harts.count) || harts.count < 1 || harts.count > MAX_HARTS) {
      throw new MachineError(`the number of harts must be from 1 to ${MAX_HARTS}, not ${harts.count}`);
    }
    if (!Number.isSafeInteger(harts.quantum) || harts.quantum < 1 || harts.quantum > 1e9) {
      throw new MachineError(`the quantum must be a whole number of instructions from 1 to 1000000000, not ${harts.quantum}`);
    }
    if (!Number.isSafeInteger(harts.seed) || harts.seed < 0) throw new MachineError(`the schedule seed must be a whole number of 0 or more, not ${harts.seed}`);
    if (harts.count > 1 && board < 2) throw new MachineError('board revision 1 has one hart');
    const core = await Core.instantiate(wasm);
    if (!core.raw.init(BigInt(config.ramMiB) << 20n, BigInt(diskBytes), board)) {
      throw new MachineError(`cannot allocate ${config.ramMiB} MiB of guest RAM and a ${diskBytes}-byte disk`);
    }
    if (!core.raw.configureHarts(harts.count, BigInt(harts.quantum), BigInt(harts.seed))) {
      throw new MachineError(`cannot configure ${harts.count} harts`);
    }
    core.raw.reset(true);
    core.setJit(config.jit ?? JIT_DEFAULT);
    return new Machine(core, config, input);
  }

  get ramBytes(): number { return this.config.ramMiB * 1024 * 1024; }
  get diskBytes(): number { return this.config.disk?.length ?? 0; }
  /**
   * Bytes of the memory snapshots and digests cover, page by page: RAM, then
   * the disk (from offset ramBytes, rounded up to whole pages).
   */
  get pagedBytes(): number { return this.ramBytes + Math.ceil(this.diskBytes / 4096) * 4096; }

  onOutput(listener: (bytes: Uint8Array, stream: ConsoleStream) => void): void {
    this.outputListeners.push(listener);
  }

  /**
   * Parses and loads an ELF executable, and resets the machine to power-on.
   * Throws ElfError on a bad file. `commandLine` overrides the configured one.
   */
  load(elfBytes: Uint8Array, options: { commandLine?: string } = {}): ElfImage {
    const image = parseElf(elfBytes);
    checkLoadable(image, { name: 'RAM', base: RAM_BASE, size: this.ramBytes }, DEVICES.map((d) => ({ ...d })));
    const dtbAddress = this.deviceTreeAddress();
    if (dtbAddress !== undefined) checkDeviceTreeOverlap(image, dtbAddress);
    this.core.raw.reset(!this.ramWritten);
    this.ramWritten = true;
    this.schedule.clear();
    this.drainSchedule();
    const mem = this.core.bytes();
    for (const seg of image.segments) {
      // GNU ld sometimes emits empty PT_LOAD segments (at vaddr 0 with some link scripts): nothing to load.
      if (seg.memSize === 0) continue;
      mem.set(seg.data, this.core.layout.ram + (seg.paddr - RAM_BASE));
    }
    if (this.config.disk) mem.set(this.config.disk, this.core.layout.ram + this.ramBytes);
    this.dtbPages = [];
    if (dtbAddress !== undefined) {
      const dtb = this.deviceTree() as Uint8Array;
      const off = dtbAddress - RAM_BASE;
      mem.set(dtb, this.core.layout.ram + off);
      for (let p = off >> 12; p <= (off + dtb.length - 1) >> 12; p++) this.dtbPages.push(p);
    }
    this.clearDirtyPages();
    this.program = image;
    this.symbols = new SymbolTable(image.symbols);
    this.exited = undefined;
    this.resumeOverBreakpoint = false;
    this.semihosting = new Semihosting(this.input, (b, s) => this.emit(b, s), options.commandLine ?? this.config.commandLine ?? '');
    return image;
  }

  // wasm i64 results arrive as signed BigInts: every 64-bit value leaves the engine unsigned.
  get pc(): bigint { return u64(this.core.raw.getPc()); }
  get icount(): bigint { return u64(this.core.raw.getIcount()); }
  get privilege(): number { return this.core.raw.getPrivilege(); }
  get hartCount(): number { return this.core.raw.getHartCount(); }
  /** The hart that runs next (the one in the core's globals between runs). */
  get currentHart(): number { return this.core.raw.getScheduledHart(); }

  /**
   * Runs `read` with hart `hart`'s state in view (registers, pc, CSRs,
   * translation), then puts the running hart back, with no effect on the
   * schedule. The current hart's view costs nothing.
   */
  withHart<T>(hart: number | undefined, read: () => T): T {
    const viewed = this.core.raw.getCurrentHart();
    if (hart === undefined || hart === viewed) return read();
    if (!Number.isInteger(hart) || hart < 0 || hart >= this.hartCount) throw new MachineError(`there is no hart ${hart} (the machine has ${this.hartCount})`);
    this.core.raw.viewHart(hart);
    try {
      return read();
    } finally {
      this.core.raw.viewHart(viewed);
    }
  }

  /** Only the scheduled hart runs, and only its view is saved: undoes a view left by an exception in a reader. */
  private viewRunningHart(): void {
    const r = this.core.raw;
    if (r.getCurrentHart() !== r.getScheduledHart()) r.viewHart(r.getScheduledHart());
  }

  /** hart's pc (the running hart's if undefined). */
  pcOf(hart?: number): bigint { return this.withHart(hart, () => this.pc); }
  privilegeOf(hart?: number): number { return this.withHart(hart, () => this.privilege); }

  private drainSchedule(): void {
    const n = this.core.raw.takeScheduleLog();
    if (n === 0) return;
    const v = this.core.view();
    const base = this.core.layout.scheduleLog;
    for (let i = 0; i < n; i++) {
      const icount = v.getBigUint64(base + i * 16, true);
      const hart = Number(v.getBigUint64(base + i * 16 + 8, true));
      // 0x10000 | from << 8 | to: an IPI (core harts.ts logIpi); otherwise a switch.
      if (hart >= 0x10000) this.schedule.noteIpi({ icount, from: (hart >> 8) & 0xff, to: hart & 0xff });
      else this.schedule.note(icount, hart);
    }
  }

  /**
   * Runs until `budget` more instructions have retired or the machine stops
   * for another reason. Host calls (semihosting) are serviced here.
   */
  run(budget: bigint, range?: { lo: bigint; hi: bigint }): Stop {
    if (this.exited) return { ...this.exited, reason: 'exit' };
    this.ramWritten = true;
    this.viewRunningHart();
    const end = this.icount + budget;
    if (range) this.core.raw.setStepRange(range.lo, range.hi);
    for (;;) {
      const remaining = end - this.icount;
      if (remaining <= 0n) return this.stop('budget');
      const slice = remaining < SLICE ? remaining : SLICE;
      const flags = (this.resumeOverBreakpoint ? 1 : 0) | (range ? 4 : 0);
      this.resumeOverBreakpoint = false;
      const code = this.core.raw.run(slice, flags);
      this.drainSchedule();
      this.drainUart();
      const stop = this.handleStop(code);
      if (stop) return stop;
    }
  }

  /** Executes one instruction attempt (a retired instruction, or one that faulted). */
  stepAttempt(): Stop | undefined {
    if (this.exited) return { ...this.exited, reason: 'exit' };
    this.viewRunningHart();
    const code = this.core.raw.run(1n, 2 | (this.resumeOverBreakpoint ? 1 : 0));
    this.resumeOverBreakpoint = false;
    this.drainSchedule();
    this.drainUart();
    return this.handleStop(code) ?? undefined;
  }

  private handleStop(code: number): Stop | undefined {
    switch (code) {
      case CoreStop.Budget:
        return undefined;
      case CoreStop.OutputFull:
        return undefined;
      case CoreStop.HostCall:
        return this.hostCall();
      case CoreStop.Breakpoint:
        this.resumeOverBreakpoint = true;
        return this.stop('breakpoint');
      case CoreStop.Watchpoint:
        return { ...this.stop('watchpoint'), watch: this.watchHit() };
      case CoreStop.Exit:
        return this.finish(this.core.raw.getExitCode());
      case CoreStop.Idle:
        return this.stop('idle', 'the guest is waiting in WFI with no interrupt source that could wake it');
      case CoreStop.LeftRange:
        return this.stop('left-range');
      case CoreStop.TrapLoop: {
        const r = this.core.raw;
        const handlerPriv = r.loopStartPriv();
        return this.stop('trap-loop', trapLoopMessage({
          firstCause: BigInt.asUintN(64, r.loopStartCause()),
          firstTval: BigInt.asUintN(64, r.loopStartTval()),
          firstPc: BigInt.asUintN(64, r.loopStartPc()),
          handlerPriv,
          handler: this.pc,
          loopCause: BigInt.asUintN(64, r.readCsr(r.getPrivilege() === 1 ? 0x142 : 0x342)),
        }, this.symbols));
      }
      default:
        throw new MachineError(`core returned unknown stop code ${code}`);
    }
  }

  private hostCall(): Stop | undefined {
    const op = Number(this.core.readReg(10) & 0xffffffffn);
    const param = this.core.readReg(11);
    const outcome = this.semihosting.call(op, param, this.guestMemory, u64(this.core.raw.getVirtualTime()));
    switch (outcome.kind) {
      case 'done':
        this.core.writeReg(10, outcome.result);
        this.core.raw.completeHostCall();
        return undefined;
      case 'exit':
        this.core.raw.completeHostCall();
        return this.finish(outcome.code);
      case 'wait-input':
        return this.stop('input');
      case 'fatal':
        return this.stop('fault', outcome.message);
    }
  }

  private finish(code: number): Stop {
    this.exited = { ...this.stop('exit'), exitCode: code };
    return this.exited;
  }

  private stop(reason: StopReason, message?: string): Stop {
    return { reason, icount: this.icount, hart: this.currentHart, pc: this.pc, ...(message ? { message } : {}) };
  }

  private emit(bytes: Uint8Array, stream: ConsoleStream): void {
    for (const l of this.outputListeners) l(bytes, stream);
  }

  private drainUart(): void {
    const n = this.core.raw.takeOutputLength();
    if (n > 0) {
      const start = this.core.layout.txBuffer;
      this.emit(this.core.bytes().slice(start, start + n), 'stdout');
    }
  }

  // ---- memory ----

  /** Guest RAM and ROM as the debugger and semihosting see them (no device side effects). */
  readonly guestMemory = {
    read: (addr: bigint, length: number): Uint8Array | undefined => this.readMemory(addr, length),
    write: (addr: bigint, bytes: Uint8Array): boolean => this.writeMemory(addr, bytes),
  };

  /**
   * Memory at a virtual address under the hart's current translation, as GDB
   * sees it through QEMU (workers/engine/debug-translate.ts): physical in
   * M-mode or with satp Bare. Undefined if any byte is unmapped or not memory.
   */
  readMemory(addr: bigint, length: number): Uint8Array | undefined {
    if (!this.translating()) return this.readPhysicalMemory(addr, length);
    const out = new Uint8Array(Math.max(length, 0));
    let done = 0;
    while (done < length) {
      const va = BigInt.asUintN(64, addr + BigInt(done));
      const pa = this.translateForDebugger(va);
      if (pa === undefined) return undefined;
      const n = Math.min(length - done, 4096 - Number(va & 0xfffn));
      const part = this.readPhysicalMemory(pa, n);
      if (!part) return undefined;
      out.set(part, done);
      done += n;
    }
    return out;
  }

  /** Writes at a virtual address under the current translation (see readMemory); false if any byte cannot be written. */
  writeMemory(addr: bigint, bytes: Uint8Array): boolean {
    if (!this.translating()) return this.writePhysicalMemory(addr, bytes);
    const parts: [bigint, Uint8Array][] = [];
    for (let done = 0; done < bytes.length;) {
      const va = BigInt.asUintN(64, addr + BigInt(done));
      const pa = this.translateForDebugger(va);
      if (pa === undefined) return false;
      const n = Math.min(bytes.length - done, 4096 - Number(va & 0xfffn));
      parts.push([pa, bytes.subarray(done, done + n)]);
      done += n;
    }
    // Every page is checked before any byte is written.
    if (!parts.every(([pa, b]) => this.readPhysicalMemory(pa, b.length) !== undefined && pa >= BigInt(RAM_BASE))) return false;
    for (const [pa, b] of parts) this.writePhysicalMemory(pa, b);
    return true;
  }

  /** Whether the debugger's addresses are virtual now (S or U with a satp MODE that translates). */
  translating(): boolean {
    return translationActive(this.privilege, this.readCsr(0x180) ?? 0n);
  }

  /** The physical address of a virtual one under the current translation (the same address when not translating), or undefined if unmapped. */
  translateForDebugger(vaddr: bigint): bigint | undefined {
    if (!this.translating()) return vaddr;
    return debugTranslate(vaddr, this.readCsr(0x180) ?? 0n, (pa) => {
      const b = this.readPhysicalMemory(pa, 8);
      return b ? new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true) : undefined;
    });
  }

  /** RAM and the ROM at a physical address (no device side effects). */
  readPhysicalMemory(addr: bigint, length: number): Uint8Array | undefined {
    const where = this.hostOffset(addr, length);
    if (where === undefined) return undefined;
    return this.core.bytes().slice(where, where + length);
  }

  /** Writes RAM at a physical address; the core forgets cached translations (the bytes may be a page table). */
  writePhysicalMemory(addr: bigint, bytes: Uint8Array): boolean {
    const off = addr - BigInt(RAM_BASE);
    if (off < 0n || off + BigInt(bytes.length) > BigInt(this.ramBytes)) return false;
    const o = Number(off);
    this.core.bytes().set(bytes, this.core.layout.ram + o);
    const dirty = this.core.bytes();
    for (let p = o >> 12; p <= (o + Math.max(bytes.length, 1) - 1) >> 12; p++) dirty[this.core.layout.dirtyPages + p] = 1;
    this.core.raw.flushTranslations();
    return true;
  }

  private hostOffset(addr: bigint, length: number): number | undefined {
    if (length < 0) return undefined;
    const ramOff = addr - BigInt(RAM_BASE);
    if (ramOff >= 0n && ramOff + BigInt(length) <= BigInt(this.ramBytes)) return this.core.layout.ram + Number(ramOff);
    const romOff = addr - 0x1000n;
    if (romOff >= 0n && romOff + BigInt(length) <= BigInt(this.core.layout.mromSize)) return this.core.layout.mrom + Number(romOff);
    return undefined;
  }

  /** Pages (4 KiB, offset / 4096 in the paged view: RAM then disk) written since the last clear. */
  dirtyPages(): number[] {
    const bytes = this.core.bytes();
    const start = this.core.layout.dirtyPages;
    const pages: number[] = [];
    const count = this.pagedBytes >> 12;
    for (let i = 0; i < count; i++) if (bytes[start + i]) pages.push(i);
    return pages;
  }

  clearDirtyPages(): void {
    this.core.bytes().fill(0, this.core.layout.dirtyPages, this.core.layout.dirtyPages + (this.pagedBytes >> 12));
  }

  // ---- the device tree ----

  private dtbPages: number[] = [];

  /**
   * The flattened device tree the machine boots with (board.ts
   * buildDeviceTree), or undefined on board revision 1, which has none (its
   * recordings' RAM stays as it was).
   */
  deviceTree(): Uint8Array | undefined {
    if ((this.config.boardRevision ?? CURRENT_BOARD_REVISION) < 2) return undefined;
    return buildDeviceTree({ ramBytes: this.ramBytes, bootargs: this.config.bootargs, harts: hartsOf(this.config).count }).toDtb();
  }

  /**
   * Where load() puts the device tree: the address the mask ROM passes in a1,
   * if the tree fits in RAM there (with 1 MiB of RAM, a1 is below RAM: no tree).
   */
  deviceTreeAddress(): number | undefined {
    const dtb = this.deviceTree();
    if (!dtb) return undefined;
    const a1 = Number(this.core.view().getBigUint64(this.core.layout.mrom + 32, true));
    return a1 >= RAM_BASE && a1 + dtb.length <= RAM_BASE + this.ramBytes ? a1 : undefined;
  }

  /** Pages (as dirtyPages() numbers them) that load() wrote the device tree to: part of the loaded image, like the segments. */
  deviceTreePages(): number[] { return [...this.dtbPages]; }

  /** Pages of the paged view holding the disk image as loaded (its non-zero pages). */
  loadedDiskPages(): number[] {
    const disk = this.config.disk;
    if (!disk) return [];
    const pages: number[] = [];
    const first = this.ramBytes >> 12;
    for (let off = 0; off < disk.length; off += 4096) {
      const end = Math.min(off + 4096, disk.length);
      for (let i = off; i < end; i++) if (disk[i] !== 0) { pages.push(first + off / 4096); break; }
    }
    return pages;
  }

  /** The disk's current contents (a copy). */
  diskContents(): Uint8Array {
    const start = this.core.layout.ram + this.ramBytes;
    return this.core.bytes().slice(start, start + this.diskBytes);
  }

  // ---- debugging aids ----

  /** x0..x31 of `hart` (the running hart if undefined). */
  registers(hart?: number): bigint[] { return this.withHart(hart, () => this.core.registers()); }
  /** f0..f31 as raw bits. */
  fpRegisters(hart?: number): bigint[] { return this.withHart(hart, () => this.core.fpRegisters()); }

  readCsr(csr: number, hart?: number): bigint | undefined {
    return this.withHart(hart, () => {
      const v = this.core.raw.readCsr(csr);
      return this.core.raw.csrFailed() ? undefined : u64(v);
    });
  }

  /** Breakpoints replace the whole set: the core keeps a hash set of addresses. */
  setBreakpoints(addresses: Iterable<bigint>): void {
    this.core.raw.clearBreakpoints();
    for (const a of addresses) {
      if (!this.core.raw.addBreakpoint(a)) throw new MachineError('too many breakpoints (the limit is 512)');
    }
  }

  setWatchpoint(slot: number, address: bigint, length: number, kinds: { read: boolean; write: boolean }): void {
    if (slot < 0 || slot >= this.core.layout.watchpointSlots) throw new MachineError(`watchpoint slot ${slot} out of range`);
    const k = (kinds.read ? 1 : 0) | (kinds.write ? 2 : 0);
    this.core.raw.setWatchpoint(slot, address, address + BigInt(length), k);
  }

  clearWatchpoint(slot: number): void {
    this.core.raw.setWatchpoint(slot, 0n, 0n, 0);
  }

  private watchHit(): WatchHit {
    const v = this.core.view();
    const p = this.core.layout.watchHit;
    const size = Number(v.getBigUint64(p + 8, true));
    // The core keeps whole registers; the access only moved `size` bytes.
    const bits = BigInt(Math.min(size, 8) * 8);
    return {
      address: v.getBigUint64(p, true),
      size,
      kind: v.getBigUint64(p + 16, true) === 2n ? 'write' : 'read',
      slot: Number(v.getBigUint64(p + 24, true)),
      oldValue: BigInt.asUintN(Number(bits), v.getBigUint64(p + 32, true)),
      newValue: BigInt.asUintN(Number(bits), v.getBigUint64(p + 40, true)),
      pc: v.getBigUint64(p + 48, true),
    };
  }

  /** Queues bytes on the UART receive FIFO (asynchronous input, delivered at this instruction boundary). */
  sendUartInput(bytes: Uint8Array): number {
    let n = 0;
    for (const b of bytes) { if (!this.core.raw.uartReceive(b)) break; n++; }
    return n;
  }

  get hasExited(): boolean { return this.exited !== undefined; }

  // ---- state, for snapshots (RAM is handled page by page by the snapshot store) ----

  captureState(): MachineState {
    this.viewRunningHart();
    const length = this.core.raw.saveState();
    const bytes = this.core.bytes();
    const { state, regs } = this.core.layout;
    return {
      core: bytes.slice(state, state + length),
      registers: bytes.slice(regs, regs + this.core.layout.registerFileBytes),
      semihosting: this.semihosting.saveState(),
      exited: this.exited,
    };
  }

  restoreState(s: MachineState): void {
    const bytes = this.core.bytes();
    bytes.set(s.core, this.core.layout.state);
    bytes.set(s.registers, this.core.layout.regs);
    this.core.raw.loadState();
    this.core.raw.takeScheduleLog(); // loading starts the log afresh: the switches before it are known
    this.semihosting.loadState(s.semihosting);
    this.exited = s.exited;
    this.resumeOverBreakpoint = false;
  }

  /** Hash of linear-memory bytes (computed in wasm). */
  hashHostBytes(offset: number, length: number, seed: bigint): bigint {
    return BigInt.asUintN(64, this.core.raw.hashBytes(offset, length, seed));
  }

  /** RAM then the disk, as snapshots see them: a view into linear memory (valid until memory grows). */
  pagedView(): Uint8Array {
    this.ramWritten = true;
    return this.core.bytes().subarray(this.core.layout.ram, this.core.layout.ram + this.pagedBytes);
  }

  /** The dirty-page bitmap over the paged view, one byte per page (a live view). */
  dirtyBitmap(): Uint8Array {
    const start = this.core.layout.dirtyPages;
    return this.core.bytes().subarray(start, start + (this.pagedBytes >> 12));
  }

  /** The executed-code map: one byte per 64-byte block of RAM, set when code there ran (a live view). */
  execMap(): Uint8Array {
    const start = this.core.raw.execMapOffset();
    return this.core.bytes().subarray(start, start + (this.ramBytes >> EXEC_BLOCK_SHIFT));
  }

  /** Drops the "step over the breakpoint here" state (after a seek, the next run starts fresh). */
  setResumeOverBreakpoint(on: boolean): void { this.resumeOverBreakpoint = on; }
}
