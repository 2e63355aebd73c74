// The Timeline: one execution of a program, recorded or replayed, that can be
// travelled in both directions. It owns the machine, the event log, the
// snapshots and the digests; the UI, the CLI and the GDB server all drive it.
//
// Time is the icount. Position t is the state after t instructions. While
// recording, the frontier is how far the program has really run; behind it,
// every input comes from the log, so re-executing any stretch gives the same
// states. A replayed recording is all log: its length is fixed.
import { Machine, EXEC_BLOCK_SHIFT, CURRENT_BOARD_REVISION, type MachineConfig, type Stop, type WatchHit } from '../engine/machine';
import type { HostInput } from '../engine/host-input';
import type { RecordingEvent, RecordingEnd, RecordingMeta, ParsedRecording } from '../formats/recording';
import { sha256Hex } from '../formats/sha256';
import { instructionAt, isCall, isReturnLike, callSiteBefore } from '../engine/instructions';
import { RAM_BASE } from '../engine/memory-map';
import { computeDigest, decodeDigest, describeDifference, digestHex, encodeDigest, MemoryDigest, PAGE_SIZE } from './digest';
import { SnapshotStore, type SnapshotStats } from './snapshots';
import { readSnapshotImage, SnapshotImageError } from './snapshot-image';
import { OutputCheck } from './output-check';

export type TimelineMode = 'record' | 'replay';

export type MotionReason =
  | 'step' // a step or seek completed
  | 'breakpoint'
  | 'watchpoint'
  | 'replay-break'
  | 'exit' // the program exited here (the end of its recording)
  | 'start' // reverse execution reached icount 0: no more history
  | 'end' // forward execution reached the end of the recording: no more history
  | 'input' // live recording: the program waits for console input
  | 'idle'
  | 'trap-loop'
  | 'fault'
  | 'cancelled'
  | 'limit'; // a caller-given instruction limit was reached

export interface MotionResult {
  reason: MotionReason;
  icount: bigint;
  /** The hart that retires the instruction at icount (that hit the breakpoint or watchpoint). */
  hart: number;
  /** The pc of the machine's running hart (with several harts, `hart`'s: see Machine.pcOf). */
  pc: bigint;
  breakpointId?: number;
  watchpointId?: number;
  watch?: WatchHit;
  exitCode?: number;
  message?: string;
}

export interface Breakpoint { id: number; kind: 'breakpoint'; address: bigint; label: string; enabled: boolean }
export interface Watchpoint { id: number; kind: 'watchpoint'; address: bigint; length: number; access: 'write' | 'read' | 'access'; label: string; enabled: boolean }
export type Trap = Breakpoint | Watchpoint;

export interface TimelineInfo {
  mode: TimelineMode;
  name: string;
  icount: bigint;
  length: bigint;
  /** The program exited at `length` (or the recording ended there for another reason). */
  ended: RecordingEnd | undefined;
  snapshots: SnapshotStats;
  replayBreak: bigint | undefined;
}

export interface TimelineOptions {
  /** Snapshot memory budget in bytes (default 512 MiB). */
  budgetBytes?: number;
  /** Replay: load the recording's snapshot image, if it has one, so seeks need not replay from the start (default true). */
  useSnapshotImage?: boolean;
  /** Instructions between periodic snapshots and digests (default 2^23). */
  checkpointInterval?: bigint;
}

/** The end reason of a recording that was stopped with the program still running. */
export const STOPPED = 'stopped';

export class ReplayDivergence extends Error {
  override name = 'ReplayDivergence';
  constructor(readonly icount: bigint, detail: string) {
    super(`replay diverged at icount ${icount}: ${detail}`);
  }
}

export class TimelineError extends Error {
  override name = 'TimelineError';
}

const DEFAULT_BUDGET = 512 * 1024 * 1024;
const DEFAULT_INTERVAL = 1n << 23n;
/** Largest single core run between checks for cancellation and progress. */
const SLICE = 4_000_000n;
/** Seeks that replay further than this leave snapshots behind them, denser towards the target. */
const NEAR_SNAPSHOT_MIN = 1n << 16n;

interface AdvanceOptions {
  armed: boolean;
  /** Stop as soon as pc leaves [lo, hi) (source-line stepping). */
  range?: { lo: bigint; hi: bigint };
  /** Called between slices; returning true stops the advance ('cancelled'). */
  shouldStop?: () => boolean;
}

export class Timeline {
  readonly machine: Machine;
  readonly mode: TimelineMode;
  readonly meta: RecordingMeta;
  readonly program: Uint8Array;
  /** The disk image the machine started with, if it has a disk (it is part of the recording). */
  get disk(): Uint8Array | undefined { return this.machine.config.disk; }
  /** The log: every input, digest and output, in icount order. */
  readonly events: RecordingEvent[] = [];
  private newEventsFrom = 0;
  private readonly consoleEvents = new Map<bigint, RecordingEvent & { kind: 'console-input' }>();
  private readonly clockEvents = new Map<bigint, RecordingEvent & { kind: 'wall-clock' }>();
  private readonly digestEvents = new Map<bigint, RecordingEvent & { kind: 'digest' }>();
  /** The icounts of the log's digests, ascending: replay stops at each and checks it. */
  private readonly digestIcounts: bigint[] = [];
  private readonly uartEvents: (RecordingEvent & { kind: 'uart-input' })[] = [];
  private uartDeliveredAt: bigint | undefined;
  private readonly live: HostInput | undefined;
  private readonly memory: MemoryDigest;
  readonly snapshots: SnapshotStore;
  private readonly interval: bigint;
  /** Furthest icount executed in this session; beyond it, output is new and checkpoints are due. */
  private frontier = 0n;
  /** Replay of a stopped recording: whether the state at its end was checked against the end's digest. */
  private stopDigestChecked = false;
  /** Replay: compares the output of the first pass with the log's (dropped if the first pass skips ahead). */
  private outputCheck: OutputCheck | undefined;
  /** Recording end (program exit), once known. */
  private endInfo: RecordingEnd | undefined;
  /** The icount up to which the log holds the inputs (replay mode). */
  private logLength: bigint;
  private replayBreakAt: bigint | undefined;
  /** Highest icount at which a checkpoint (snapshot + digest) was taken on the first pass. */
  private checkpointedTo = 0n;
  /** Replay: the highest icount whose logged digest the first pass compared with the machine (snapshot images do not count). */
  private digestCheckedTo = 0n;
  private nextTrapId = 1;
  private readonly traps = new Map<number, Trap>();
  /** Bumped whenever a breakpoint or watchpoint is added, removed, enabled or disabled. */
  private trapsVersion = 0;
  /** What the core holds: -1 nothing armed, otherwise the trapsVersion it was armed with. */
  private armedKey = -1;
  private armedSlots = new Map<number, number>();
  private armedWatchSlots = 0;
  private outputListeners: ((bytes: Uint8Array, stream: 'stdout' | 'stderr', icount: bigint) => void)[] = [];
  /** Set while a host call runs, so output can be stamped. */
  private executingLive = false;

  private constructor(machine: Machine, mode: TimelineMode, meta: RecordingMeta, program: Uint8Array, live: HostInput | undefined, options: TimelineOptions) {
    this.machine = machine;
    this.mode = mode;
    this.meta = meta;
    this.program = program;
    this.live = live;
    this.interval = options.checkpointInterval ?? DEFAULT_INTERVAL;
    this.memory = new MemoryDigest(machine);
    this.snapshots = new SnapshotStore(machine, this.memory, options.budgetBytes ?? DEFAULT_BUDGET);
    this.logLength = 0n;
    machine.onOutput((bytes, stream) => this.onMachineOutput(bytes, stream));
  }

  /** Starts recording `program` as it runs, with `live` as the outside world. */
  static async record(wasm: BufferSource | WebAssembly.Module, program: Uint8Array, name: string, config: MachineConfig,
    live: HostInput, host: 'cli' | 'browser', options: TimelineOptions = {}): Promise<Timeline> {
    const meta: RecordingMeta = {
      name, ramMiB: config.ramMiB, commandLine: config.commandLine ?? name, createdAt: new Date().toISOString(),
      recorder: 'hindsight 0.1.0', host, programSha256: sha256Hex(program),
      ...(config.disk ? { diskSha256: sha256Hex(config.disk) } : {}),
      ...(config.harts && config.harts.count > 1 ? { harts: { ...config.harts } } : {}),
    };
    const t = await Timeline.boot(wasm, 'record', meta, program, { disk: config.disk, boardRevision: CURRENT_BOARD_REVISION }, live, options);
    t.checkpoint(); // digest at icount 0
    return t;
  }

  /** Opens a recording for replay and time travel. */
  static async replay(wasm: BufferSource | WebAssembly.Module, recording: ParsedRecording, options: TimelineOptions = {}): Promise<Timeline> {
    const t = await Timeline.boot(wasm, 'replay', recording.meta, recording.program,
      { disk: recording.disk, boardRevision: recording.boardRevision }, undefined, options);
    for (const e of recording.events) t.addEvent(e);
    t.newEventsFrom = t.events.length;
    t.endInfo = recording.end;
    t.outputCheck = new OutputCheck(recording.events, recording.end !== undefined);
    const last = recording.events.length ? recording.events[recording.events.length - 1].icount : 0n;
    t.logLength = recording.end ? recording.end.icount : last;
    t.checkpoint(); // checks the digest at icount 0: a log from another program fails here
    if (recording.snapshot && options.useSnapshotImage !== false) t.loadSnapshotImage(recording.snapshot);
    return t;
  }

  private static async boot(wasm: BufferSource | WebAssembly.Module, mode: TimelineMode, meta: RecordingMeta, program: Uint8Array,
    board: { disk: Uint8Array | undefined; boardRevision: 1 | 2 }, live: HostInput | undefined, options: TimelineOptions): Promise<Timeline> {
    // The machine's host input while it belongs to a Timeline: the log behind the frontier, live beyond it.
    const owner: { timeline?: Timeline } = {};
    const input: HostInput = {
      readConsole: (max) => (owner.timeline as Timeline).hostConsoleRead(max),
      wallClockSeconds: () => (owner.timeline as Timeline).hostWallClock(),
    };
    const machine = await Machine.create(wasm, input, {
      ramMiB: meta.ramMiB, commandLine: meta.commandLine, boardRevision: board.boardRevision,
      ...(meta.harts ? { harts: { ...meta.harts } } : {}),
      // A copy: the recording's bytes may be a view into a file buffer the caller reuses.
      ...(board.disk ? { disk: board.disk.slice() } : {}),
    });
    const timeline = new Timeline(machine, mode, meta, program, live, options);
    owner.timeline = timeline;
    const image = machine.load(program, { commandLine: meta.commandLine });
    const loaded = new Set<number>();
    for (const seg of image.segments) {
      const first = Math.floor((seg.paddr - RAM_BASE) / PAGE_SIZE);
      const last = Math.floor((seg.paddr - RAM_BASE + Math.max(seg.memSize, 1) - 1) / PAGE_SIZE);
      for (let p = first; p <= last; p++) loaded.add(p);
    }
    for (const p of machine.loadedDiskPages()) loaded.add(p);
    for (const p of machine.deviceTreePages()) loaded.add(p);
    for (const p of loaded) timeline.memory.update(p);
    timeline.snapshots.takeInitial(loaded);
    return timeline;
  }

  /** Whether the log holds a state digest for this icount (snapshot images only carry such points). */
  hasDigestAt(icount: bigint): boolean {
    return this.digestEvents.has(icount);
  }

  /**
   * Loads the snapshots of a snapshot image into a freshly opened replay,
   * checking each one against the log's digest at its icount: an image that
   * does not belong to this recording is refused. Returns how many it loaded.
   * Within the snapshot budget: the snapshots that would not fit are left out
   * (seeks past the last one loaded replay further), unless `all` (verify
   * checks every one). Throws SnapshotImageError; the Timeline should then be discarded.
   */
  loadSnapshotImage(image: Uint8Array, options: { all?: boolean } = {}): number {
    if (this.mode !== 'replay' || this.icount !== 0n || this.snapshots.stats().count !== 1) {
      throw new TimelineError('a snapshot image can only be loaded into a recording just opened for replay');
    }
    const coreLength = this.machine.captureState().core.length;
    let loaded = 0;
    for (const { icount, state, pages } of readSnapshotImage(image, this.machine.pagedBytes, coreLength)) {
      if (icount === 0n || icount > this.logLength) continue;
      const logged = this.digestEvents.get(icount);
      if (!logged) throw new SnapshotImageError(`snapshot image: the recording has no state digest at icount ${icount} to check its snapshot against`);
      if (!options.all && this.snapshots.stats().bytes + this.snapshots.costOf(pages) > this.snapshots.budgetBytes) break;
      const snap = this.snapshots.append(icount, state, pages);
      this.snapshots.restore(snap);
      const expected = decodeDigest(logged.digest);
      const problem = expected ? describeDifference(expected, computeDigest(this.machine, this.memory)) : 'malformed digest';
      if (problem) throw new SnapshotImageError(`snapshot image: its snapshot at icount ${icount} does not match the recording (${problem})`);
      if (icount > this.checkpointedTo) this.checkpointedTo = icount;
      loaded++;
    }
    this.snapshots.restore(this.snapshots.atOrBefore(0n));
    return loaded;
  }

  /**
   * Forgets the snapshots a snapshot image loaded, back at icount 0 as just
   * opened: `hindsight verify` checks the image, then replays from icount 0
   * on the same machine (a second one would double the memory).
   */
  forgetSnapshotImage(): void {
    if (this.mode !== 'replay' || this.frontier !== 0n) throw new TimelineError('only a recording just opened for replay can forget its snapshot image');
    this.snapshots.keepOnlyFirst();
    this.checkpointedTo = 0n;
    this.uartDeliveredAt = undefined;
  }

  // ---- information ----

  get icount(): bigint { return this.machine.icount; }
  get pc(): bigint { return this.machine.pc; }

  /** The last position with known inputs: the recording's end, or (recording) the frontier. */
  get length(): bigint {
    if (this.mode === 'replay') return this.logLength;
    return this.endInfo ? this.endInfo.icount : this.frontier;
  }

  get ended(): RecordingEnd | undefined { return this.endInfo; }

  /**
   * Ends a live recording at its frontier with the program still running
   * (an operating system never exits: the user stops recording). The end
   * carries a digest of the state there, which a replay checks.
   */
  stopRecording(): RecordingEnd {
    if (this.mode !== 'record') throw new TimelineError('only a live recording can be stopped');
    if (this.endInfo) return this.endInfo;
    if (this.icount < this.frontier) this.seek(this.frontier);
    this.endInfo = { icount: this.icount, reason: STOPPED, finalDigest: this.finalDigest() };
    return this.endInfo;
  }

  info(): TimelineInfo {
    return {
      mode: this.mode, name: this.meta.name, icount: this.icount, length: this.length, ended: this.endInfo,
      snapshots: this.snapshots.stats(), replayBreak: this.replayBreakAt,
    };
  }

  onOutput(listener: (bytes: Uint8Array, stream: 'stdout' | 'stderr', icount: bigint) => void): void {
    this.outputListeners.push(listener);
  }

  /** Events added since the last call (to append to a recording file as it grows). */
  takeNewEvents(): RecordingEvent[] {
    const out = this.events.slice(this.newEventsFrom);
    this.newEventsFrom = this.events.length;
    return out;
  }

  /** The final state digest, for the END chunk. */
  finalDigest(): string {
    this.snapshots.updateMemoryDigest();
    return digestHex(computeDigest(this.machine, this.memory));
  }

  // ---- breakpoints and watchpoints ----

  /** A breakpoint at an address or a symbol name. */
  addBreakpoint(where: bigint | string): Breakpoint {
    const address = typeof where === 'string' ? this.resolve(where) : where;
    const label = typeof where === 'string' ? where : this.machine.symbols.format(Number(address));
    const bp: Breakpoint = { id: this.nextTrapId++, kind: 'breakpoint', address, label, enabled: true };
    this.traps.set(bp.id, bp);
    this.trapsVersion++;
    return bp;
  }

  addWatchpoint(where: bigint | string, length: number, access: Watchpoint['access'] = 'write'): Watchpoint {
    if (!Number.isInteger(length) || length < 1 || length > 1 << 20) throw new TimelineError(`watchpoint length must be 1..1048576 bytes, not ${length}`);
    const address = typeof where === 'string' ? this.resolve(where) : where;
    const active = [...this.traps.values()].filter((t) => t.kind === 'watchpoint').length;
    if (active >= this.machine.core.layout.watchpointSlots) throw new TimelineError(`at most ${this.machine.core.layout.watchpointSlots} watchpoints`);
    const label = typeof where === 'string' ? where : this.machine.symbols.format(Number(address));
    const wp: Watchpoint = { id: this.nextTrapId++, kind: 'watchpoint', address, length, access, label, enabled: true };
    this.traps.set(wp.id, wp);
    this.trapsVersion++;
    return wp;
  }

  deleteTrap(id: number): boolean {
    this.trapsVersion++;
    return this.traps.delete(id);
  }

  /** The enabled breakpoint at `address`, if any (a motion that lands there stops for it). */
  breakpointAt(address: bigint): Breakpoint | undefined {
    for (const t of this.traps.values()) if (t.kind === 'breakpoint' && t.enabled && t.address === address) return t;
    return undefined;
  }
  setTrapEnabled(id: number, enabled: boolean): void {
    const t = this.traps.get(id);
    if (!t) throw new TimelineError(`no breakpoint or watchpoint ${id}`);
    t.enabled = enabled;
    this.trapsVersion++;
  }
  listTraps(): Trap[] { return [...this.traps.values()]; }

  replayBreak(icount: bigint): void {
    if (icount < 0n) throw new TimelineError('replay-break needs a position of 0 or more');
    this.replayBreakAt = icount;
  }
  deleteReplayBreak(): void { this.replayBreakAt = undefined; }

  private resolve(symbol: string): bigint {
    const s = this.machine.symbols.lookup(symbol);
    if (!s) throw new TimelineError(`no symbol named "${symbol}" in ${this.meta.name}`);
    return BigInt(s.address);
  }

  /**
   * Puts the enabled breakpoints and watchpoints into the core (on) or takes
   * them out (off), returning which watchpoint slot holds which watchpoint.
   * The core is only touched when that changes: motions arm and disarm on
   * every step, and rewriting the tables each time would cost more than the step.
   */
  private arm(on: boolean): Map<number, number> {
    const key = on ? this.trapsVersion : -1;
    if (key === this.armedKey) return this.armedSlots;
    for (let slot = 0; slot < this.armedWatchSlots; slot++) this.machine.clearWatchpoint(slot);
    this.armedWatchSlots = 0;
    this.armedSlots = new Map();
    this.armedKey = -2; // unknown until the tables below are written
    if (!on) { this.machine.setBreakpoints([]); this.armedKey = key; return this.armedSlots; }
    this.machine.setBreakpoints([...this.traps.values()].filter((t) => t.kind === 'breakpoint' && t.enabled).map((t) => t.address));
    const watch = [...this.traps.values()].filter((t): t is Watchpoint => t.kind === 'watchpoint' && t.enabled);
    watch.forEach((w, slot) => {
      this.machine.setWatchpoint(slot, w.address, w.length, { read: w.access !== 'write', write: w.access !== 'read' });
      this.armedSlots.set(slot, w.id);
    });
    this.armedWatchSlots = watch.length;
    this.armedKey = key;
    return this.armedSlots;
  }

  private hasArmedTraps(): boolean {
    return [...this.traps.values()].some((t) => t.enabled);
  }

  // ---- motion ----

  /** Moves to exactly `target` (clamped to the recording). */
  seek(target: bigint): MotionResult {
    const t = target < 0n ? 0n : target > this.length ? this.length : target;
    this.travelTo(t);
    const r = this.result('step');
    if (target < 0n) return { ...r, reason: 'start' };
    if (target > this.length) return { ...r, reason: this.endInfo ? 'exit' : 'end', exitCode: this.endInfo?.exitCode };
    return r;
  }

  stepi(n = 1n): MotionResult {
    if (n < 1n) throw new TimelineError('stepi needs a count of 1 or more');
    const from = this.icount;
    if (this.mode === 'replay' || from < this.length) {
      const target = from + n;
      if (target <= this.length) { this.travelTo(target); return this.result('step'); }
      if (this.mode === 'replay' || this.endInfo) { this.travelTo(this.length); return this.atEnd(); }
      this.travelTo(this.length);
    }
    const stop = this.advance(from + n, { armed: false });
    return stop ?? this.result('step');
  }

  reverseStepi(n = 1n): MotionResult {
    if (n < 1n) throw new TimelineError('reverse-stepi needs a count of 1 or more');
    if (this.icount === 0n) return this.result('start');
    const target = this.icount - n;
    // Landing exactly on icount 0 is a step; wanting to go further back is the start of history.
    if (target < 0n) { this.travelTo(0n); return this.result('start'); }
    this.travelTo(target);
    return this.result('step');
  }

  /**
   * Runs forward while pc stays in [lo, hi), with breakpoints and watchpoints
   * armed, stopping at the first instruction outside it (reason 'step'), or
   * for a trap, the end, or `limit` instructions. The engine of line stepping.
   */
  stepInRange(lo: bigint, hi: bigint, limit = 1n << 40n): MotionResult {
    const from = this.icount;
    let target = from + limit;
    if ((this.mode === 'replay' || this.endInfo) && target > this.length) target = this.length;
    if (from >= target && (this.mode === 'replay' || this.endInfo)) return this.atEnd();
    this.machine.setResumeOverBreakpoint(true);
    const r = this.advance(target, { armed: true, range: { lo, hi } });
    if (r) return r;
    if (this.icount >= this.length && (this.mode === 'replay' || this.endInfo)) return this.atEnd();
    return this.result('limit');
  }

  /**
   * Steps one instruction, running over a call (jal/jalr that links ra or t0)
   * until it returns to the next instruction with the stack back where it was.
   * Breakpoints and watchpoints inside the call still stop it.
   */
  async stepOver(options: { signal?: AbortSignal } = {}): Promise<MotionResult> {
    const call = instructionAt(this.machine, this.pc);
    if (!call || !isCall(call.bits)) return this.stepi();
    const sp0 = this.machine.registers()[2];
    const temp = this.addBreakpoint(this.pc + BigInt(call.length));
    try {
      for (;;) {
        const r = await this.continue(options);
        if (r.reason === 'breakpoint' && r.breakpointId === temp.id) {
          if (this.machine.registers()[2] >= sp0) return { ...r, reason: 'step', breakpointId: undefined };
          continue; // a deeper activation (recursion) passing the same address
        }
        return r;
      }
    } finally {
      this.deleteTrap(temp.id);
    }
  }

  /**
   * Steps one instruction back, and if that instruction was the return of a
   * call made from just before here, goes back over the whole call to the
   * calling instruction.
   */
  async reverseStepOver(options: { signal?: AbortSignal } = {}): Promise<MotionResult> {
    if (this.icount === 0n) return this.result('start');
    const here = this.pc;
    const sp0 = this.machine.registers()[2];
    const back = this.reverseStepi();
    if (back.reason !== 'step') return back;
    const prev = this.pc;
    const callSite = callSiteBefore(this.machine, here);
    // Straight-line code (or a jump that is not a return to a call site): one instruction back is enough.
    if (callSite === undefined || prev === callSite) return back;
    const prevInsn = instructionAt(this.machine, prev);
    if (!prevInsn || !isReturnLike(prevInsn.bits)) return back;
    const temp = this.addBreakpoint(callSite);
    try {
      for (;;) {
        const r = await this.reverseContinue(options);
        if (r.reason === 'breakpoint' && r.breakpointId === temp.id) {
          if (this.machine.registers()[2] === sp0) return { ...r, reason: 'step', breakpointId: undefined };
          continue;
        }
        return r;
      }
    } finally {
      this.deleteTrap(temp.id);
    }
  }

  /**
   * Runs forward until a breakpoint, watchpoint, the replay-break position,
   * program exit or the end of the recording (or, recording live, until the
   * program waits for input or `limit` instructions have run).
   */
  async continue(options: { signal?: AbortSignal; limit?: bigint; onSlice?: () => void } = {}): Promise<MotionResult> {
    const start = this.icount;
    let target = this.mode === 'replay' || this.endInfo ? this.length : (options.limit !== undefined ? start + options.limit : 1n << 62n);
    if (this.replayBreakAt !== undefined && this.replayBreakAt > start && this.replayBreakAt < target) target = this.replayBreakAt;
    if (start >= target && (this.mode === 'replay' || this.endInfo)) return this.atEnd();
    if (options.signal?.aborted) return this.result('cancelled');
    this.machine.setResumeOverBreakpoint(true); // continuing from a breakpoint executes it without stopping
    let stop: MotionResult | undefined;
    while (!stop) {
      const sliceEnd = this.icount + SLICE < target ? this.icount + SLICE : target;
      stop = this.advance(sliceEnd, { armed: true, shouldStop: () => options.signal?.aborted === true });
      options.onSlice?.();
      if (stop) break;
      if (this.icount >= target) break;
      await yieldToHost();
      if (options.signal?.aborted) return this.result('cancelled');
    }
    if (stop) return stop;
    if (this.replayBreakAt !== undefined && this.icount === this.replayBreakAt) return this.result('replay-break');
    if (this.icount >= this.length && (this.mode === 'replay' || this.endInfo)) return this.atEnd();
    return this.result('limit');
  }

  /**
   * Goes back to the last breakpoint or watchpoint hit before the current
   * position, scanning the snapshot segments backwards, each once. With no
   * hit, stops at icount 0. Cancelling leaves the position unchanged.
   */
  async reverseContinue(options: { signal?: AbortSignal; onProgress?: (fraction: number) => void } = {}): Promise<MotionResult> {
    const now = this.icount;
    if (now === 0n) return this.result('start');
    if (!this.hasArmedTraps() && this.replayBreakAt === undefined) { this.travelTo(0n); return this.result('start'); }
    let segEnd = now;
    while (segEnd > 0n) {
      const snap = this.snapshots.atOrBefore(segEnd - 1n);
      this.learnSegment(snap, segEnd, options.signal);
      if (this.canSkipSegment(snap, segEnd)) {
        segEnd = snap.icount;
        options.onProgress?.(Number(now - segEnd) / Number(now));
        if (options.signal?.aborted) { this.travelTo(now); return this.result('cancelled'); }
        continue;
      }
      this.travelTo(snap.icount);
      const hit = this.scanForLastHit(segEnd, now, options.signal);
      if (hit === 'cancelled') { this.travelTo(now); return this.result('cancelled'); }
      if (hit) {
        this.travelTo(hit.icount);
        return { ...hit, pc: this.pc };
      }
      segEnd = snap.icount;
      options.onProgress?.(Number(now - segEnd) / Number(now));
      await yieldToHost();
      if (options.signal?.aborted) { this.travelTo(now); return this.result('cancelled'); }
    }
    this.travelTo(0n);
    return this.result('start');
  }

  /**
   * Whether no armed trap can fire between `snap` and `segEnd`: no breakpoint
   * in a code block that ran there, no write watchpoint on a page written there.
   * Read watchpoints and the replay-break position always need a scan.
   */
  private canSkipSegment(snap: ReturnType<SnapshotStore['atOrBefore']>, segEnd: bigint): boolean {
    let execBlocks: Set<number>;
    let writtenPages: Iterable<number>;
    const next = this.snapshots.next(snap);
    if (next && next.icount === segEnd) {
      if (!next.execKnown) return false;
      execBlocks = next.execBlocks;
      writtenPages = next.written ?? next.pages.keys();
    } else if (this.snapshots.baseSnapshot === snap && this.icount === segEnd) {
      execBlocks = this.snapshots.executedBlocks();
      writtenPages = this.snapshots.dirtyPages();
    } else {
      return false;
    }
    if (this.replayBreakAt !== undefined && this.replayBreakAt >= snap.icount && this.replayBreakAt < segEnd) return false;
    const ramBase = BigInt(RAM_BASE);
    const ramEnd = ramBase + BigInt(this.machine.ramBytes);
    const written = new Set(writtenPages);
    for (const t of this.traps.values()) {
      if (!t.enabled) continue;
      if (t.kind === 'breakpoint') {
        if (t.address < ramBase || t.address >= ramEnd) return false;
        if (execBlocks.has(Number((t.address - ramBase) >> BigInt(EXEC_BLOCK_SHIFT)))) return false;
      } else {
        if (t.access !== 'write') return false;
        const first = t.address - ramBase, last = t.address + BigInt(t.length) - 1n - ramBase;
        if (first < 0n || last >= BigInt(this.machine.ramBytes)) return false;
        for (let p = Number(first >> 12n); p <= Number(last >> 12n); p++) if (written.has(p)) return false;
      }
    }
    return true;
  }

  /**
   * A stretch that ends at a snapshot from an image has no record of the code
   * that ran in it or the pages it wrote, so reverse-continue would have to
   * scan it with the traps armed. Replaying it once unarmed (as the first pass
   * does without an image) learns both, and most stretches are then skipped.
   */
  private learnSegment(snap: ReturnType<SnapshotStore['atOrBefore']>, segEnd: bigint, signal?: AbortSignal): void {
    const next = this.snapshots.next(snap);
    if (!next || next.icount !== segEnd || next.execKnown) return;
    this.travelTo(snap.icount);
    if (this.advance(segEnd, { armed: false, shouldStop: () => signal?.aborted === true }) || this.icount !== segEnd) return;
    // Relative to the base, which is `snap` or an earlier snapshot: at worst a superset, which only skips less.
    next.execBlocks = this.snapshots.executedBlocks();
    next.written = new Set(this.snapshots.dirtyPages());
    next.execKnown = true;
  }

  /** Runs from the current position to segEnd with traps armed; returns the last hit before `before`. */
  private scanForLastHit(segEnd: bigint, before: bigint, signal?: AbortSignal): MotionResult | undefined | 'cancelled' {
    let last: MotionResult | undefined;
    if (this.replayBreakAt !== undefined && this.replayBreakAt >= this.icount && this.replayBreakAt < before && this.replayBreakAt < segEnd) {
      last = { reason: 'replay-break', icount: this.replayBreakAt, hart: this.hartAt(this.replayBreakAt), pc: 0n };
    }
    while (this.icount < segEnd) {
      const stop = this.advance(segEnd, { armed: true, shouldStop: () => signal?.aborted === true });
      if (!stop) break;
      if (stop.reason === 'cancelled') return 'cancelled';
      if ((stop.reason === 'breakpoint' || stop.reason === 'watchpoint') && stop.icount < before) {
        if (!last || stop.icount >= last.icount) last = stop;
        continue;
      }
      break; // exit, end, or a problem: nothing further in this segment
    }
    return last;
  }

  // ---- the engine room ----

  /** Puts the machine at exactly t (t within the known part of the timeline). */
  private travelTo(t: bigint): void {
    const now = this.icount;
    if (t === now) return;
    const snap = this.snapshots.atOrBefore(t);
    if (!(now < t && now >= snap.icount)) this.restore(snap);
    const from = this.icount;
    const distance = t - from;
    if (distance >= NEAR_SNAPSHOT_MIN) {
      // Leave snapshots at t - d/2, t - d/4, ... so the next small step back is cheap.
      let d = distance / 2n;
      while (d >= NEAR_SNAPSHOT_MIN / 2n) {
        this.advance(t - d, { armed: false });
        if (this.icount !== t - d) return;
        this.snapshots.take();
        d /= 2n;
      }
    }
    this.advance(t, { armed: false });
  }

  private restore(snap: ReturnType<SnapshotStore['atOrBefore']>): void {
    this.snapshots.restore(snap);
    this.uartDeliveredAt = undefined;
  }

  /**
   * Executes forward to `target` (exclusive of any stop), handling UART input
   * events, checkpoints at the frontier and host calls. Returns a result when
   * it stops early, undefined when it reached the target.
   */
  private advance(target: bigint, options: AdvanceOptions): MotionResult | undefined {
    const slots = this.arm(options.armed);
    try {
      while (this.icount < target) {
        const now = this.icount;
        if (this.mode === 'replay' && now >= this.logLength) return this.atEnd();
        if (this.endInfo && now >= this.endInfo.icount) return this.atEnd();
        if (now > this.checkpointedTo && now >= this.frontier && (now % this.interval === 0n || this.digestEvents.has(now))) this.checkpoint();
        else if (now >= this.frontier) this.checkDigestHere();
        this.deliverUartInput(now);
        let stopAt = target;
        const nextCheckpoint = (now / this.interval + 1n) * this.interval;
        if (nextCheckpoint > this.frontier && nextCheckpoint < stopAt) stopAt = nextCheckpoint;
        if (now < this.frontier && this.frontier < stopAt) stopAt = this.frontier;
        const nextUart = this.nextUartEvent(now);
        if (nextUart !== undefined && nextUart < stopAt) stopAt = nextUart;
        const nextOutput = now >= this.frontier ? this.outputCheck?.nextStop(now) : undefined;
        if (nextOutput !== undefined && nextOutput < stopAt) stopAt = nextOutput;
        const nextDigest = now >= this.frontier ? this.nextLoggedDigest(now) : undefined;
        if (nextDigest !== undefined && nextDigest > this.digestCheckedTo && nextDigest < stopAt) stopAt = nextDigest;
        if (this.mode === 'replay' && this.logLength < stopAt) stopAt = this.logLength;
        if (now + SLICE < stopAt) stopAt = now + SLICE;
        this.executingLive = now >= this.frontier;
        // A first pass that starts beyond the frontier (from a loaded snapshot) cannot compare output any more.
        if (now > this.frontier) this.outputCheck = undefined;
        let stop: Stop;
        try {
          stop = this.machine.run(stopAt - now, options.range);
        } finally {
          this.executingLive = false;
        }
        if (this.icount > this.frontier) {
          this.frontier = this.icount;
          this.checkOutput(this.outputCheck?.reached(this.icount));
        }
        if (stop.reason === 'budget') {
          if (options.shouldStop?.()) return this.result('cancelled');
          continue;
        }
        return this.handleStop(stop, slots);
      }
      return undefined;
    } finally {
      if (options.armed) this.arm(false);
    }
  }

  private handleStop(stop: Stop, slots: Map<number, number>): MotionResult {
    switch (stop.reason) {
      case 'breakpoint': {
        const bp = [...this.traps.values()].find((t) => t.kind === 'breakpoint' && t.enabled && t.address === stop.pc);
        return { ...this.result('breakpoint'), breakpointId: bp?.id };
      }
      case 'watchpoint':
        return { ...this.result('watchpoint'), watch: stop.watch, watchpointId: stop.watch ? slots.get(stop.watch.slot) : undefined };
      case 'exit':
        this.recordEnd('exit', stop.exitCode);
        return { ...this.result('exit'), exitCode: stop.exitCode };
      case 'input':
        if (this.mode === 'replay') return this.atEnd();
        return this.result('input');
      case 'left-range':
        return this.result('step');
      case 'idle':
      case 'trap-loop':
      case 'fault':
        this.recordEnd(stop.reason);
        return { ...this.result(stop.reason), message: stop.message };
      default:
        return this.result('step');
    }
  }

  private recordEnd(reason: string, exitCode?: number): void {
    if (this.mode === 'replay') {
      this.checkDigestHere();
      // The program stopped for good here: the recording must agree.
      const recorded = this.endInfo;
      if (recorded && (this.icount !== recorded.icount || recorded.reason !== reason || recorded.exitCode !== exitCode)) {
        throw new ReplayDivergence(this.icount, `the program ended here (${reason}${exitCode !== undefined ? ` ${exitCode}` : ''}), ` +
          `but the recording ends at icount ${recorded.icount} (${recorded.reason}${recorded.exitCode !== undefined ? ` ${recorded.exitCode}` : ''})`);
      }
      if (!recorded && this.icount < this.logLength) {
        throw new ReplayDivergence(this.icount, `the program ended here (${reason}), but the recording goes on to icount ${this.logLength}`);
      }
    }
    if (this.endInfo || this.mode === 'replay') {
      if (this.mode === 'replay' && this.endInfo && this.icount === this.endInfo.icount) this.checkOutput(this.outputCheck?.finished());
      if (this.mode === 'replay' && this.endInfo && this.icount === this.endInfo.icount && this.icount >= this.frontier - 1n) {
        const digest = this.finalDigest();
        if (this.endInfo.finalDigest && digest !== this.endInfo.finalDigest) {
          const expected = decodeDigest(hexBytes(this.endInfo.finalDigest));
          const actual = decodeDigest(hexBytes(digest));
          const detail = expected && actual ? describeDifference(expected, actual) : undefined;
          throw new ReplayDivergence(this.icount, `final state differs: ${detail ?? 'digest mismatch'}`);
        }
      }
      return;
    }
    this.endInfo = { icount: this.icount, reason, ...(exitCode !== undefined ? { exitCode } : {}), finalDigest: this.finalDigest() };
  }

  private atEnd(): MotionResult {
    this.checkDigestHere();
    const end = this.endInfo;
    if (this.mode === 'replay' && end?.reason === STOPPED && this.icount === end.icount && !this.stopDigestChecked) {
      // The first time replay reaches where the recording was stopped: the state must be the recorded one.
      this.stopDigestChecked = true;
      const digest = this.finalDigest();
      if (digest !== end.finalDigest) {
        const expected = decodeDigest(hexBytes(end.finalDigest));
        const actual = decodeDigest(hexBytes(digest));
        const detail = expected && actual ? describeDifference(expected, actual) : undefined;
        throw new ReplayDivergence(this.icount, `the state where the recording was stopped differs: ${detail ?? 'digest mismatch'}`);
      }
    }
    if (this.endInfo && this.icount >= this.endInfo.icount) {
      if (this.mode === 'replay') this.checkOutput(this.outputCheck?.finished());
      return { ...this.result(this.endInfo.reason === 'exit' ? 'exit' : 'end'), exitCode: this.endInfo.exitCode };
    }
    return this.result('end');
  }

  /** A problem the output check found is a divergence here; the check stops (the timeline is no longer trusted). */
  private checkOutput(problem: string | undefined): void {
    if (problem === undefined) return;
    this.outputCheck = undefined;
    throw new ReplayDivergence(this.icount, problem);
  }

  private result(reason: MotionReason): MotionResult {
    const hart = this.hartAt(this.icount);
    return { reason, icount: this.icount, hart, pc: this.machine.pcOf(hart) };
  }

  /**
   * The hart that retires the instruction at `icount`: known from the
   * schedule behind the frontier; at the frontier, the hart that runs next.
   */
  hartAt(icount: bigint): number {
    if (this.machine.hartCount === 1) return 0;
    return icount < this.frontier ? this.machine.schedule.hartAt(icount) : this.machine.currentHart;
  }

  /** The turns of each hart between two icounts (behind the frontier), for the timeline's lanes. */
  hartTurns(from: bigint, to: bigint): { start: bigint; end: bigint; hart: number }[] {
    const end = to < this.frontier ? to : this.frontier;
    return from < end ? this.machine.schedule.turns(from, end) : [];
  }

  /** Back to the previous instruction `hart` retired (reverse-stepi on that hart); 'start' if it retired none before. */
  reverseStepiOnHart(hart: number): MotionResult {
    this.checkHart(hart);
    const target = this.machine.hartCount === 1 ? this.icount - 1n : this.machine.schedule.previousOn(hart, this.icount < this.frontier ? this.icount : this.frontier);
    if (target === undefined || target < 0n) return this.result('start');
    this.travelTo(target);
    return this.result('step');
  }

  /** Forward until `hart` has retired one instruction (stepi on that hart), with the other harts running in their turns. */
  stepiOnHart(hart: number): MotionResult {
    this.checkHart(hart);
    for (;;) {
      if (this.hartAt(this.icount) === hart) return this.stepi(1n);
      const before = this.icount;
      const r = this.stepi(1n);
      if (r.reason !== 'step' || this.icount === before) return r;
    }
  }

  private checkHart(hart: number): void {
    if (!Number.isInteger(hart) || hart < 0 || hart >= this.machine.hartCount) {
      throw new TimelineError(`there is no hart ${hart}: the machine has ${this.machine.hartCount}`);
    }
  }

  /** Periodic snapshot + digest at the frontier: recorded while recording, checked while replaying. */
  private checkpoint(): void {
    this.snapshots.updateMemoryDigest();
    const digest = computeDigest(this.machine, this.memory);
    const icount = this.icount;
    if (this.mode === 'record') {
      this.addEvent({ kind: 'digest', icount, digest: encodeDigest(digest) });
    } else {
      const logged = this.digestEvents.get(icount);
      if (logged) {
        const expected = decodeDigest(logged.digest);
        const problem = expected ? describeDifference(expected, digest) : 'the recorded digest is malformed';
        if (problem) throw new ReplayDivergence(icount, problem);
        if (icount > this.digestCheckedTo) this.digestCheckedTo = icount;
      }
    }
    this.snapshots.take();
    if (icount > this.checkpointedTo) this.checkpointedTo = icount;
  }

  /** Replay, on the first pass (where no checkpoint is due, or the program or the log ends): a digest logged here is checked now. */
  private checkDigestHere(): void {
    const icount = this.icount;
    const logged = this.mode === 'replay' && icount > this.digestCheckedTo ? this.digestEvents.get(icount) : undefined;
    if (!logged) return;
    this.snapshots.updateMemoryDigest();
    const expected = decodeDigest(logged.digest);
    const problem = expected ? describeDifference(expected, computeDigest(this.machine, this.memory)) : 'the recorded digest is malformed';
    if (problem) throw new ReplayDivergence(icount, problem);
    this.digestCheckedTo = icount;
  }

  /** Replay: the first logged digest after `now`. */
  private nextLoggedDigest(now: bigint): bigint | undefined {
    if (this.mode !== 'replay') return undefined;
    let lo = 0, hi = this.digestIcounts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.digestIcounts[mid] <= now) lo = mid + 1; else hi = mid;
    }
    return lo < this.digestIcounts.length ? this.digestIcounts[lo] : undefined;
  }

  private deliverUartInput(now: bigint): void {
    if (this.uartDeliveredAt === now) return;
    const i = this.firstUartIndexAtOrAfter(now);
    for (let k = i; k < this.uartEvents.length && this.uartEvents[k].icount === now; k++) {
      const sent = this.machine.sendUartInput(this.uartEvents[k].bytes);
      if (sent !== this.uartEvents[k].bytes.length) throw new ReplayDivergence(now, 'the UART receive FIFO overflowed while delivering recorded input');
    }
    this.uartDeliveredAt = now;
  }

  private nextUartEvent(now: bigint): bigint | undefined {
    const i = this.firstUartIndexAtOrAfter(now + 1n);
    return i < this.uartEvents.length ? this.uartEvents[i].icount : undefined;
  }

  private firstUartIndexAtOrAfter(icount: bigint): number {
    let lo = 0, hi = this.uartEvents.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.uartEvents[mid].icount < icount) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  /** Bytes arriving at the UART now (recording live): delivered at this instruction boundary and logged. */
  sendUartInput(bytes: Uint8Array): number {
    if (this.mode !== 'record' || this.icount < this.frontier) throw new TimelineError('input can only be sent at the end of a live recording');
    const n = this.machine.sendUartInput(bytes);
    if (n > 0) this.addEvent({ kind: 'uart-input', icount: this.icount, bytes: bytes.slice(0, n) });
    this.uartDeliveredAt = this.icount;
    return n;
  }

  private addEvent(e: RecordingEvent): void {
    this.events.push(e);
    switch (e.kind) {
      case 'console-input': this.consoleEvents.set(e.icount, e); break;
      case 'wall-clock': this.clockEvents.set(e.icount, e); break;
      case 'digest': {
        const before = this.digestEvents.get(e.icount);
        if (before) {
          // Two digests of one state: they must agree, or the log contradicts itself.
          if (digestHexOf(before.digest) !== digestHexOf(e.digest)) throw new ReplayDivergence(e.icount, 'the recording holds two different state digests for this icount');
          break;
        }
        this.digestEvents.set(e.icount, e);
        this.digestIcounts.push(e.icount);
        break;
      }
      case 'uart-input': this.uartEvents.push(e); break;
      case 'output': break;
    }
  }

  // ---- host input (called by the machine during semihosting calls) ----

  hostConsoleRead(max: number): Uint8Array | null {
    const now = this.icount;
    const logged = this.consoleEvents.get(now);
    if (logged) {
      if (logged.bytes.length > max) throw new ReplayDivergence(now, `the recording holds ${logged.bytes.length} bytes of console input here but the program asked for at most ${max}`);
      this.outputCheck?.read(logged);
      return logged.bytes;
    }
    if (this.mode === 'replay' || now < this.frontier) {
      if (this.mode === 'replay' && now >= this.logLength) return null;
      throw new ReplayDivergence(now, 'the program reads console input here, but the recording has none at this point');
    }
    const live = this.live as HostInput;
    const got = live.readConsole(max);
    if (got !== null) this.addEvent({ kind: 'console-input', icount: now, bytes: got.slice() });
    return got;
  }

  hostWallClock(): number {
    const now = this.icount;
    const logged = this.clockEvents.get(now);
    if (logged) {
      this.outputCheck?.read(logged);
      return Number(logged.seconds);
    }
    if (this.mode === 'replay' || now < this.frontier) {
      throw new ReplayDivergence(now, 'the program reads the wall clock here, but the recording has no time value at this point');
    }
    const seconds = Math.floor((this.live as HostInput).wallClockSeconds());
    this.addEvent({ kind: 'wall-clock', icount: now, seconds: BigInt(seconds) });
    return seconds;
  }

  private onMachineOutput(bytes: Uint8Array, stream: 'stdout' | 'stderr'): void {
    if (!this.executingLive) return; // re-executing: this output was seen before
    const icount = this.icount;
    if (this.mode === 'replay') this.checkOutput(this.outputCheck?.produced(stream, bytes));
    if (this.mode === 'record') this.addEvent({ kind: 'output', icount, stream, bytes: bytes.slice() });
    for (const l of this.outputListeners) l(bytes, stream, icount);
  }

  /** Console output up to position t (from the log), for views that follow the position. */
  outputUpTo(t: bigint): { icount: bigint; stream: 'stdout' | 'stderr'; bytes: Uint8Array }[] {
    const out: { icount: bigint; stream: 'stdout' | 'stderr'; bytes: Uint8Array }[] = [];
    for (const e of this.events) {
      if (e.icount > t) break;
      if (e.kind === 'output') out.push({ icount: e.icount, stream: e.stream, bytes: e.bytes });
    }
    return out;
  }
}

function digestHexOf(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function hexBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Lets other work (messages, Ctrl-C) in between long operations, without setTimeout's minimum delay. */
function yieldToHost(): Promise<void> {
  const g = globalThis as { setImmediate?: (f: () => void) => void };
  if (g.setImmediate) return new Promise((resolve) => g.setImmediate?.(resolve));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => { channel.port1.close(); resolve(); };
    channel.port2.postMessage(null);
  });
}
