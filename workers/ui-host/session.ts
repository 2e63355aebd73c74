// A debugging session in the worker: one Timeline (a recording being made, or
// one opened for replay) and what the debugger needs around it: the program
// listing, debug info and sources, the console as the log tells it, saving to
// IndexedDB while recording, and motions that run in short slices so that the
// worker answers pause() and the page stays live.
import { UartFeeder } from '../engine/uart-feeder';
import { concatBytes } from '../formats/bytes';
import { instructionAt, isCall } from '../engine/instructions';
import { Timeline, type MotionResult, type Trap } from '../replay/timeline';
import { SourceDebugger } from '../replay/source';
import type { DebugInfo } from '../formats/dwarf';
import { disassemble } from '../engine/disassembler';
import { ABI_NAMES, FCSR_NUMBER, MAIN_CSRS, PRIVILEGE_NAMES } from '../engine/memory-map';
import type { Machine } from '../engine/machine';
import { RecordingWriter, parseRecording, type ParsedRecording } from '../formats/recording';
import type { RecordingStore } from '../storage';
import type {
  ConsoleEvent, DebugInfoState, EngineState, ExampleInfo, FpuView, LineMotion, MemoryBlock, Motion, MotionAnswer,
  MotionReason, MotionSummary, PositionView, ProgressEvent, RecordingPhase, SessionInfo, SourcePosition, SessionStatus, StackFrame, TrapInfo,
  ViewRequest, WatchAccess, HartLanes, RunLanes, UserEndInfo } from '../engine-api';
import { ConsoleLog } from './console-log';
import { inListing, memoryListing, programListing, symbolizer, type ProgramListing } from './listing';
import { LiveInput } from './live-input';
import { loadDwarf, loadSnapshotImageExporter, type DebugInfoLike } from './optional';
import { RecordingSaver } from './saver';
import { SourceSet } from './sources';
import { SessionVariables, type HistoryHost } from './variables';
import type { HistoryAnswer, NoteInfo, VariableNode, VariablesView } from '../engine-api';
import { SessionAnnotations, withAnnotations } from './annotations';
import type { Annotations, SavedTrap } from '../formats/annotations';
import { BreakpointResolver, type ResolvedLocation } from '../replay/breakpoint-location';
import { UserBreakpoints } from '../replay/user-breakpoints';
import { hartLanes } from './hart-lanes';
import { executedLines } from './executed-lines';
import { SessionLanes } from './run-lanes';
import { libraryOf } from './library-files';

/** Instructions per slice of a long operation: a few milliseconds, so pause() gets through quickly. */
export const SLICE = 4_000_000n;
/** A program just opened runs to main within this many instructions, or stays at the start. */
const START_BUDGET = 50_000_000n;
/** Progress reports at most this often. */
const PROGRESS_INTERVAL_MS = 100;
const MAX_MEMORY = 4096;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MAX_FRAMES = 32;

const LINE_MOTION_NAMES: Record<LineMotion, string> = {
  'step-line': 'stepping a line', 'step-over-line': 'stepping over a line', 'step-out': 'stepping out of the function',
  'reverse-step-line': 'stepping back a line', 'reverse-step-over-line': 'stepping back over a line',
  'reverse-step-out': 'stepping back out of the function',
};

const isLineMotion = (m: Motion): m is LineMotion => Object.hasOwn(LINE_MOTION_NAMES, m);

export type Progress = (event: ProgressEvent) => void;

/** 64-bit words as 0x + 16 hex digits. */
export const hex = (v: bigint): string => '0x' + BigInt.asUintN(64, v).toString(16).padStart(16, '0');

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Yields to the event loop (a message task, which unlike setTimeout is not clamped to 4 ms). */
const yieldChannel = new MessageChannel();
const yielded: (() => void)[] = [];
yieldChannel.port1.onmessage = () => yielded.shift()?.();
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    yielded.push(resolve);
    yieldChannel.port2.postMessage(null);
  });
}

export interface SessionSetup {
  timeline: Timeline;
  name: string;
  programName: string;
  sources: Record<string, string>;
  example?: ExampleInfo;
  store: RecordingStore | null;
  storageProblem: string | null;
  /** Replay: the stored recording it came from. */
  recordingId?: string | null;
  input?: LiveInput;
  truncation?: string;
  /** Notes, breakpoints, watchpoints and the instant saved with the recording. */
  annotations?: Annotations;
}

export class Session {
  readonly timeline: Timeline;
  private readonly name: string;
  private readonly programName: string;
  private readonly sources: SourceSet;
  private readonly example: ExampleInfo | undefined;
  private readonly store: RecordingStore | null;
  private storageProblem: string | null;
  private readonly recordingId: string | null;
  private readonly input: LiveInput | undefined;
  private readonly truncation: string | undefined;
  private readonly listing: ProgramListing;
  private readonly consoleLog = new ConsoleLog();
  /** Every console event so far. */
  private readonly consoleEvents: ConsoleEvent[] = [];
  private debug: DebugInfoLike | undefined;
  private debugState: DebugInfoState = 'unsupported';
  private debugProblems: string[] = [];
  private saver: RecordingSaver | undefined;
  private phase: RecordingPhase;
  /** How far this session has executed: seeks beyond it run in slices. */
  private explored = 0n;
  private op: { name: string; controller: AbortController; done: Promise<unknown> } | null = null;
  /** The user's breakpoints and watchpoints, numbered one per breakpoint whatever its locations (the Timeline's traps are per address). */
  private readonly userTraps: UserBreakpoints;
  private resolverCache: BreakpointResolver | undefined;
  private readonly symbolize;
  private snapshotImage = false;
  private variablesCache: SessionVariables | undefined;
  readonly annotations: SessionAnnotations;

  private constructor(setup: SessionSetup) {
    this.timeline = setup.timeline;
    this.userTraps = new UserBreakpoints(this.timeline);
    this.name = setup.name;
    this.programName = setup.programName;
    this.sources = new SourceSet(setup.sources);
    this.example = setup.example;
    this.store = setup.store;
    this.storageProblem = setup.storageProblem;
    this.recordingId = setup.recordingId ?? null;
    this.input = setup.input;
    this.truncation = setup.truncation;
    this.phase = this.timeline.mode === 'record' && !this.timeline.ended ? 'live' : 'fixed';
    const machine = this.timeline.machine;
    if (!machine.program) throw new Error('the timeline has no program loaded');
    this.listing = programListing(machine.program, machine.symbols);
    this.symbolize = symbolizer(machine.symbols);
    this.takeConsole();
    if (this.timeline.mode === 'record') this.explored = this.timeline.length;
    this.annotations = new SessionAnnotations({
      traps: () => this.savedTraps(),
      save: async (a) => {
        const id = this.status().recordingId;
        if (id && this.store) await this.store.setAnnotations(id, a);
      },
    }, setup.annotations);
    if (setup.annotations) this.restoreTraps(setup.annotations.traps);
  }

  /** A session around a timeline: reads the debug info when this build can. */
  static async open(setup: SessionSetup): Promise<Session> {
    const session = new Session(setup);
    const dwarf = await loadDwarf().catch(() => undefined);
    const image = session.timeline.machine.program;
    if (dwarf && image) {
      try {
        const info = dwarf.DebugInfo.fromElf(image);
        session.debug = info;
        session.debugProblems = info.problems.slice(0, 10);
        session.debugState = info.files().length > 0 ? 'available' : 'none';
      } catch (e) {
        session.debugState = 'none';
        session.debugProblems = [`the debug info could not be read: ${messageOf(e)}`];
      }
    }
    session.snapshotImage = (await loadSnapshotImageExporter().catch(() => undefined)) !== undefined;
    return session;
  }

  // ---- information ----

  status(): SessionStatus {
    const tl = this.timeline;
    const ended = tl.ended;
    return {
      length: Number(tl.length),
      ended: ended ? { reason: ended.reason, ...(ended.exitCode !== undefined ? { exitCode: ended.exitCode } : {}) } : null,
      phase: this.phase,
      recordingId: this.saver ? (this.saver.problem && !this.saver.id ? null : this.saver.id) : this.recordingId,
      storageProblem: this.saver?.problem ?? this.storageProblem,
      ...(tl.mode === 'replay' ? { verified: this.explored >= tl.length } : {}),
    };
  }

  info(): SessionInfo {
    const tl = this.timeline;
    return {
      ...this.status(),
      name: this.name,
      programName: this.programName,
      mode: tl.mode,
      createdAt: tl.meta.createdAt,
      listing: { text: this.listing.text, addresses: this.listing.addresses, title: this.listing.title },
      console: (this.takeConsole(), [...this.consoleEvents]),
      debugInfo: this.debugState,
      debugInfoProblems: this.debugProblems,
      sources: this.sources.names(),
      snapshotImage: this.snapshotImage,
      traps: this.traps(),
      notes: this.annotations.list(),
      ...(this.example ? { example: this.example } : {}),
      ...(this.truncation ? { truncation: this.truncation } : {}),
    };
  }

  /** Console events new since the last call. */
  private takeConsole(): ConsoleEvent[] {
    const events = this.consoleLog.take(this.timeline.events);
    this.consoleEvents.push(...events);
    return events;
  }

  /** The machine at the current position. */
  view(request: ViewRequest): PositionView {
    const running = this.timeline.hartAt(this.timeline.icount);
    const count = this.timeline.machine.hartCount;
    const hart = request.hart !== undefined && Number.isInteger(request.hart) && request.hart >= 0 && request.hart < count ? request.hart : running;
    this.annotations.moved(this.timeline.icount, hart);
    return { ...this.timeline.machine.withHart(hart, () => this.hartView(request)), hart, hartCount: count, runningHart: running };
  }

  /** The view of the hart in the machine's view (Machine.withHart). */
  private hartView(request: ViewRequest): Omit<PositionView, 'hart' | 'hartCount' | 'runningHart'> {
    const machine = this.timeline.machine;
    const pc = machine.pc;
    const pcNumber = Number(pc);
    const word = machine.readMemory(pc, 4) ?? machine.readMemory(pc, 2);
    let instruction = '(not readable)';
    if (word) {
      const bits = word.length === 4 ? (word[0] | (word[1] << 8) | (word[2] << 16) | (word[3] << 24)) >>> 0 : word[0] | (word[1] << 8);
      instruction = disassemble(bits, pcNumber, this.symbolize).text.replace('\t', ' ');
    }
    const view: Omit<PositionView, 'hart' | 'hartCount' | 'runningHart'> = {
      icount: Number(this.timeline.icount),
      pc: hex(pc),
      pcLabel: machine.symbols.format(pcNumber),
      instruction,
      privilege: PRIVILEGE_NAMES[machine.privilege] ?? String(machine.privilege),
      registers: machine.registers().map(hex),
      csrs: MAIN_CSRS.map(([name, number]) => {
        const v = machine.readCsr(number);
        return { name, number, value: v === undefined ? null : hex(v) };
      }),
      fpu: fpuView(machine),
    };
    if (!inListing(this.listing, pcNumber)) {
      view.localListing = memoryListing((a, n) => (a < 0 ? undefined : machine.readMemory(BigInt(a), n)), pcNumber, machine.symbols);
    }
    if (request.memory) view.memory = this.memory(request.memory.at, request.memory.length);
    const source = this.sourcePosition(pcNumber);
    if (source) view.source = source;
    const stack = this.callStack();
    if (stack) view.callStack = stack;
    return view;
  }

  /** The source line of an address, with the function (the inlined one, if it is inlined code, as GDB names it). */
  private sourcePosition(address: number): SourcePosition | undefined {
    const location = this.debug?.lineAt(address);
    if (!location) return undefined;
    const source = this.sources.find(location.file);
    const fn = this.debug?.functionAt(address) as { name: string; inlined?: { name: string }[] } | undefined;
    const name = fn?.inlined?.length ? fn.inlined[fn.inlined.length - 1].name : fn?.name;
    return { file: location.file, line: location.line, ...(source ? { source } : {}), ...(name ? { function: name } : {}) };
  }

  /** The call stack at the current position, innermost first; undefined without line information. */
  callStack(): StackFrame[] | undefined {
    const debug = this.lineInfo();
    if (!debug) return undefined;
    let frames;
    try {
      frames = new SourceDebugger(this.timeline, debug).callStack(MAX_FRAMES);
    } catch {
      return undefined;
    }
    return frames.map((f) => {
      const frame: StackFrame = { pc: hex(BigInt(f.pc)) };
      const name = f.function ?? this.timeline.machine.symbols.symbolize(f.pc)?.symbol.name;
      if (name) frame.function = name;
      if (f.file !== undefined && f.line !== undefined) {
        frame.file = f.file;
        frame.line = f.line;
        const source = this.sources.find(f.file);
        if (source) frame.source = source;
      }
      if (f.inlined) frame.inlined = true;
      return frame;
    });
  }

  /** The debug info, when it has line information (what source-level motions need). */
  private lineInfo(): DebugInfo | undefined {
    if (this.debugState !== 'available' || !this.debug) return undefined;
    const d = this.debug as unknown as Partial<DebugInfo>;
    if (typeof d.lineRangeAt !== 'function' || typeof d.unwind !== 'function') return undefined;
    return d as DebugInfo;
  }

  /**
   * A SourceDebugger over this session's timeline whose continues (and reverse
   * ones) carry `signal` and report each slice: line motions can be paused.
   */
  private sourceDebugger(signal: AbortSignal, tick: () => void): SourceDebugger {
    const debug = this.lineInfo();
    if (!debug) throw new Error('This program has no line information: step by instruction instead.');
    const tl = this.timeline;
    type Options = { signal?: AbortSignal; onSlice?: () => void; onProgress?: (f: number) => void };
    const withSignal = (o: Options | undefined): Options => ({ ...o, signal, onSlice: () => { o?.onSlice?.(); tick(); } });
    const signalled = new Proxy(tl, {
      get(target, prop) {
        switch (prop) {
          case 'continue': return (o?: Options) => target.continue(withSignal(o));
          case 'reverseContinue': return (o?: Options) => target.reverseContinue({ ...o, signal, onProgress: (f: number) => { o?.onProgress?.(f); tick(); } });
          case 'stepOver': return (o?: Options) => target.stepOver({ ...o, signal });
          case 'reverseStepOver': return (o?: Options) => target.reverseStepOver({ ...o, signal });
          default: {
            const value: unknown = Reflect.get(target, prop, target);
            return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
          }
        }
      },
    });
    return new SourceDebugger(signalled, debug);
  }

  private memory(at: string, length: number): MemoryBlock {
    let target: { address: number; size: number; label: string };
    try {
      target = this.resolve(at);
    } catch (e) {
      return { at, address: 0, bytes: new Uint8Array(0), readable: [], target: 0, targetSize: 0, error: messageOf(e) };
    }
    const size = Math.max(16, Math.min(MAX_MEMORY, Math.ceil(length / 16) * 16));
    const address = target.address - (target.address % 16);
    const bytes = new Uint8Array(size);
    const readable: boolean[] = [];
    const machine = this.timeline.machine;
    for (let row = 0; row < size; row += 16) {
      const data = machine.readMemory(BigInt(address + row), 16);
      readable.push(data !== undefined);
      if (data) bytes.set(data, row);
    }
    // Name the place only when a symbol starts there or an object spans it (not "the nearest symbol before").
    const hit = machine.symbols.symbolize(target.address);
    const named = hit && (hit.offset === 0 || hit.offset < hit.symbol.size);
    const symbol = hit && named ? (hit.offset === 0 ? hit.symbol.name : `${hit.symbol.name}+0x${hit.offset.toString(16)}`) : undefined;
    return { at, address, bytes, readable, target: target.address, targetSize: target.size, ...(symbol ? { symbol } : {}) };
  }

  /** An address from text: hex, decimal, a symbol (optionally + offset) or a register name. */
  resolve(text: string): { address: number; size: number; label: string } {
    const s = text.trim();
    const machine = this.timeline.machine;
    const number = (v: bigint, size = 1, label = s) => {
      if (v < 0n || v > MAX_SAFE) throw new Error(`${s} is outside the addresses the debugger can show`);
      return { address: Number(v), size, label };
    };
    if (/^0x[0-9a-f]+$/i.test(s) || /^[0-9]+$/.test(s)) return number(BigInt(s));
    const m = /^([A-Za-z_.$][\w.$]*)\s*(?:([+-])\s*(0x[0-9a-f]+|[0-9]+))?$/i.exec(s);
    if (m) {
      const offset = m[3] ? BigInt(m[3]) * (m[2] === '-' ? -1n : 1n) : 0n;
      const symbol = machine.symbols.lookup(m[1]);
      if (symbol && !symbol.absolute) {
        return number(BigInt(symbol.address) + offset, offset === 0n ? Math.max(1, symbol.size) : 1, s);
      }
      const name = m[1].toLowerCase();
      const reg = name === 'pc' ? -1 : name === 'fp' ? 8 : (ABI_NAMES as readonly string[]).indexOf(name);
      const x = /^x([0-9]|[12][0-9]|3[01])$/.exec(name);
      const index = x ? Number(x[1]) : reg;
      if (index === -1 && name === 'pc') return number(machine.pc + offset, 4);
      if (index >= 0) return number(BigInt.asUintN(64, machine.registers()[index]) + offset, 8);
    }
    if (s === '') throw new Error('give an address, a symbol or a register');
    throw new Error(`no symbol called "${s}" in ${this.programName}, and it is not an address`);
  }

  // ---- operations ----

  /** Runs `fn` as the session's one operation; pause() aborts its signal. */
  private async exclusive<T>(name: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.op) throw new Error(`The engine is busy ${this.op.name}; pause it first.`);
    const controller = new AbortController();
    let settle!: () => void;
    const done = new Promise<void>((resolve) => { settle = resolve; });
    this.op = { name, controller, done };
    try {
      return await fn(controller.signal);
    } finally {
      const tl = this.timeline;
      if (tl.icount > this.explored) this.explored = tl.icount;
      if (tl.mode === 'record') this.explored = tl.length;
      this.op = null;
      settle();
    }
  }

  get busy(): boolean {
    return this.op !== null;
  }

  pause(): void {
    this.op?.controller.abort();
  }

  /** Pauses whatever runs and waits for it to finish; saves what was recorded. */
  async close(): Promise<void> {
    const op = this.op;
    if (op) {
      op.controller.abort();
      await op.done;
    }
    if (this.saver) {
      this.saver.settle();
      await this.saver.idle();
    }
    // Last: a recording being made has its stored id only once the saver has written it.
    await this.annotations.flush(true);
    this.annotations.dispose();
  }

  private answer(r: MotionResult, request: ViewRequest, from?: bigint): MotionAnswer {
    const answer: MotionAnswer = { result: this.summarize(r), view: this.view(request), status: this.status(), console: this.takeConsole() };
    if (from !== undefined && r.reason !== 'cancelled') {
      const executed = executedLines(this.timeline, this.lineInfo(), from, this.timeline.icount);
      if (executed) answer.executed = executed;
    }
    return answer;
  }

  private summarize(r: MotionResult): MotionSummary {
    const s: MotionSummary = { reason: r.reason as MotionReason, icount: Number(r.icount), pc: hex(r.pc) };
    // The numbers the user knows (the Timeline's trap ids are per address).
    if (r.breakpointId !== undefined) s.breakpointId = this.userTraps.ofTrap(r.breakpointId)?.number ?? r.breakpointId;
    if (r.watchpointId !== undefined) s.watchpointId = this.userTraps.ofTrap(r.watchpointId)?.number ?? r.watchpointId;
    if (r.exitCode !== undefined) s.exitCode = r.exitCode;
    if (r.message !== undefined) s.message = r.message;
    if (r.watch) {
      s.watch = {
        address: Number(r.watch.address),
        size: r.watch.size,
        kind: r.watch.kind,
        oldValue: hex(r.watch.oldValue),
        newValue: hex(r.watch.newValue),
        pc: hex(r.watch.pc),
        pcLabel: this.timeline.machine.symbols.format(Number(r.watch.pc)),
      };
      const source = this.sourcePosition(Number(r.watch.pc));
      if (source) s.watch.source = source;
    }
    return s;
  }

  /** A reporter that sends progress at most every PROGRESS_INTERVAL_MS (and console output with it). */
  private reporter(progress: Progress | undefined, activity: string, fraction?: () => number | undefined) {
    let last = 0;
    let lastIcount = this.timeline.icount;
    let lastTime = performance.now();
    return (force = false) => {
      const now = performance.now();
      this.saver?.collect();
      if (!progress || (!force && now - last < PROGRESS_INTERVAL_MS)) return;
      last = now;
      const icount = this.timeline.icount;
      const speed = now > lastTime ? (Number(icount - lastIcount) / (now - lastTime)) * 1000 : undefined;
      lastIcount = icount;
      lastTime = now;
      const events = this.takeConsole();
      if (events.length > 0) progress({ kind: 'console', events });
      const f = fraction?.();
      progress({
        kind: 'progress', activity, icount: Number(icount), status: this.status(),
        ...(f !== undefined ? { fraction: f } : {}), ...(speed !== undefined && speed > 0 ? { speed } : {}),
      });
    };
  }

  /**
   * Runs forward in slices until a stop, `until`, or a cancel. With `traps`
   * false, breakpoints and watchpoints are off meanwhile. Recording live,
   * runs the program for real beyond the frontier.
   */
  private async forward(o: { traps: boolean; until?: bigint; signal: AbortSignal; tick?: () => void }): Promise<MotionResult> {
    const tl = this.timeline;
    const disabled = o.traps ? [] : tl.listTraps().filter((t) => t.enabled);
    for (const t of disabled) tl.setTrapEnabled(t.id, false);
    try {
      for (;;) {
        const from = tl.icount;
        let sliceEnd = from + SLICE;
        if (o.until !== undefined && o.until < sliceEnd) sliceEnd = o.until;
        const live = tl.mode === 'record' && !tl.ended;
        let r: MotionResult;
        if (live) {
          if (tl.icount >= tl.length) this.uartInput.deliver(tl);
          r = await tl.continue({ signal: o.signal, limit: sliceEnd - from, onSlice: () => this.uartInput.deliver(tl) });
        } else {
          if (sliceEnd < tl.length) tl.replayBreak(sliceEnd);
          else tl.deleteReplayBreak();
          try {
            r = await tl.continue({ signal: o.signal });
          } finally {
            tl.deleteReplayBreak();
          }
        }
        o.tick?.();
        const boundary = live ? r.reason === 'limit' : r.reason === 'replay-break';
        if (!boundary) return r;
        if (o.until !== undefined && tl.icount >= o.until) return { ...r, reason: 'limit' };
        if (o.traps) {
          // A breakpoint right at a slice boundary: the next continue would step over it; it is a hit.
          const bp = tl.listTraps().find((t) => t.kind === 'breakpoint' && t.enabled && t.address === tl.pc);
          if (bp) return { ...r, reason: 'breakpoint', breakpointId: bp.id };
        }
        if (o.signal.aborted) return { ...r, reason: 'cancelled' };
        await yieldToEventLoop();
        if (o.signal.aborted) return { ...r, reason: 'cancelled' };
      }
    } finally {
      for (const t of disabled) if (tl.listTraps().some((x) => x.id === t.id)) tl.setTrapEnabled(t.id, true);
    }
  }

  /** forward(), waiting for console input when the live program asks for it. */
  private async forwardLive(o: { traps: boolean; signal: AbortSignal; tick: (force?: boolean) => void }): Promise<MotionResult> {
    const tl = this.timeline;
    for (;;) {
      const r = await this.forward(o);
      if (r.reason !== 'input' || tl.mode !== 'record' || !this.input) return r;
      const previous = this.phase;
      this.phase = 'waiting-input';
      this.saver?.settle();
      o.tick(true);
      await this.input.next(o.signal);
      this.phase = previous;
      if (o.signal.aborted) return { ...r, reason: 'cancelled' };
    }
  }

  /** Goes to `target`; far beyond what this session has executed, in slices. */
  private async travel(target: bigint, signal: AbortSignal, tick?: () => void): Promise<MotionResult> {
    const tl = this.timeline;
    const t = target < 0n ? 0n : target > tl.length ? tl.length : target;
    if (t > this.explored + SLICE) {
      if (tl.icount < this.explored) tl.seek(this.explored);
      const r = await this.forward({ traps: false, until: t, signal, tick });
      if (tl.icount > this.explored) this.explored = tl.icount;
      if (r.reason === 'cancelled') return r;
    }
    return tl.seek(t);
  }

  /** Replay: runs through the whole recording once (snapshots and digest checks), then goes to `at`. */
  async prime(at: number, progress: Progress | undefined): Promise<void> {
    await this.exclusive('preparing the timeline', async (signal) => {
      const tl = this.timeline;
      const length = tl.length;
      const tick = this.reporter(progress, 'preparing the timeline', () => (length > 0n ? Number(tl.icount) / Number(length) : 1));
      tick(true);
      const r = await this.forward({ traps: false, until: length, signal, tick });
      if (tl.icount > this.explored) this.explored = tl.icount;
      const target = BigInt(Math.max(0, Math.floor(at)));
      tl.seek(r.reason === 'cancelled' && target > this.explored ? this.explored : target);
    });
  }

  seek(icount: number, request: ViewRequest): Promise<MotionAnswer> {
    return this.exclusive('seeking', async (signal) => {
      const r = await this.travel(BigInt(Math.max(0, Math.floor(icount))), signal);
      return this.answer(r, request);
    });
  }

  /** Starts saving a live recording to the store, if it is not saved yet. */
  private ensureSaver(): void {
    if (this.saver || this.timeline.mode !== 'record' || !this.store) return;
    this.saver = new RecordingSaver(this.store, this.timeline, { name: this.name, programName: this.programName },
      this.sources.toRecord(), () => this.op?.controller.abort());
  }

  record(request: ViewRequest, progress: Progress): Promise<MotionAnswer> {
    return this.exclusive('recording', async (signal) => {
      const tl = this.timeline;
      if (tl.mode !== 'record' || tl.ended) {
        throw new Error(tl.mode === 'record' ? 'The program has finished: there is nothing more to record.' : 'A recording opened from a file cannot be extended.');
      }
      this.ensureSaver();
      const tick = this.reporter(progress, 'recording');
      let r: MotionResult;
      this.phase = 'recording';
      try {
        if (tl.icount < tl.length) tl.seek(tl.length); // recording goes on from the frontier
        r = await this.forwardLive({ traps: false, signal, tick });
      } finally {
        this.phase = tl.ended ? 'fixed' : 'live';
        this.saver?.settle();
      }
      await this.saver?.idle();
      if (r.reason === 'cancelled') {
        const problem = this.saver?.problem;
        r = { ...r, reason: 'stopped' as MotionResult['reason'], ...(problem ? { message: problem } : {}) };
      }
      return this.answer(r, request);
    });
  }

  stop(): void {
    if (this.op?.name === 'recording') this.op.controller.abort();
  }

  sendInput(text: string): void {
    if (!this.input) throw new Error('This recording is not live: it cannot take input.');
    const bytes = new TextEncoder().encode(text);
    // A program that reads the UART (an OS console) gets it there, a line at a time
    // at slice boundaries while recording (forward); others through semihosting.
    if (this.timeline.machine.core.raw.uartStatusReads() > 0) this.uartInput.push(bytes);
    else this.input.push(bytes);
  }

  /** Console input on its way to the UART (see sendInput). */
  private readonly uartInput = new UartFeeder();

  endInput(): void {
    if (!this.input) throw new Error('This recording is not live: it cannot take input.');
    this.input.end();
  }

  move(motion: Motion, request: ViewRequest, progress: Progress): Promise<MotionAnswer> {
    const names: Record<Motion, string> = {
      continue: 'continuing', 'reverse-continue': 'searching backwards', step: 'stepping', 'reverse-step': 'stepping back',
      'step-over': 'stepping over a call', 'reverse-step-over': 'stepping back over a call', ...LINE_MOTION_NAMES,
    };
    if (isLineMotion(motion) && !this.lineInfo()) {
      return Promise.reject(new Error('This program has no line information: step by instruction instead.'));
    }
    return this.exclusive(names[motion], async (signal) => {
      const tl = this.timeline;
      const liveNow = tl.mode === 'record' && !tl.ended;
      if (liveNow && !motion.startsWith('reverse-')) this.ensureSaver();
      const length = tl.length;
      const start = tl.icount;
      const tick = this.reporter(progress, names[motion], () => {
        if (motion === 'continue' && (!liveNow) && length > start) return Number(tl.icount - start) / Number(length - start);
        return undefined;
      });
      let r: MotionResult;
      try {
        switch (motion) {
          case 'step':
            r = tl.stepi(1n);
            break;
          case 'reverse-step':
            r = tl.reverseStepi(1n);
            break;
          case 'continue':
            r = await this.forwardLive({ traps: true, signal, tick });
            break;
          case 'step-over':
            r = await this.stepOver(signal, tick);
            break;
          case 'reverse-step-over':
            r = await tl.reverseStepOver({ signal });
            break;
          case 'reverse-continue': {
            let fraction = 0;
            const back = this.reporter(progress, names[motion], () => fraction);
            r = await tl.reverseContinue({ signal, onProgress: (f) => { fraction = f; back(); } });
            break;
          }
          case 'step-line':
            r = await this.sourceDebugger(signal, tick).step();
            break;
          case 'step-over-line':
            r = await this.sourceDebugger(signal, tick).next();
            break;
          case 'step-out':
            r = await this.sourceDebugger(signal, tick).finish();
            break;
          case 'reverse-step-line':
            r = await this.sourceDebugger(signal, tick).reverseStep();
            break;
          case 'reverse-step-over-line':
            r = await this.sourceDebugger(signal, tick).reverseNext();
            break;
          case 'reverse-step-out':
            r = await this.sourceDebugger(signal, tick).reverseFinish();
            break;
          default:
            throw new Error(`unknown motion ${String(motion)}`);
        }
      } finally {
        if (liveNow) this.phase = tl.ended ? 'fixed' : 'live';
        this.saver?.settle();
      }
      if (this.saver && !this.saver.id) await this.saver.idle();
      return this.answer(r, request, start);
    });
  }

  /**
   * A program just opened runs live to the first line of its `main` (where
   * GDB's `break main` stops), so that a newcomer lands in their own code
   * rather than in the reset ROM. At most START_BUDGET instructions, and it
   * stops early for input or the program's end. Nothing is stored yet: the
   * saver, made when Record is pressed, takes the whole log from icount 0.
   */
  async startAtMain(): Promise<void> {
    const tl = this.timeline;
    if (tl.mode !== 'record' || tl.ended || tl.length !== 0n) return;
    let addresses: number[];
    try {
      addresses = this.resolver().resolve('main').locations.map((l) => l.address);
    } catch {
      return; // No main (an assembly program): it stays at the reset vector.
    }
    if (addresses.length === 0) return;
    await this.exclusive('running to main', async (signal) => {
      const temps = addresses.map((a) => tl.addBreakpoint(BigInt(a)));
      try {
        const r = await this.forward({ traps: true, until: START_BUDGET, signal });
        if (r.reason !== 'breakpoint' || !temps.some((t) => t.id === r.breakpointId)) tl.seek(0n);
      } finally {
        for (const t of temps) tl.deleteTrap(t.id);
        this.phase = tl.ended ? 'fixed' : 'live';
      }
    });
    if (tl.icount > this.explored) this.explored = tl.icount;
  }

  /** Back to the last time (or on to the next time) a source line runs; see EngineApi.runToLine. */
  runToLine(file: string, line: number, direction: 'backward' | 'forward', request: ViewRequest, progress: Progress): Promise<MotionAnswer> {
    const addresses = this.debug?.addressesForLine(file, line) ?? [];
    const name = `${file.replace(/^.*\//, '')}:${line}`;
    if (addresses.length === 0) return Promise.reject(new Error(`Line ${name} has no code.`));
    const activity = direction === 'backward' ? `searching backwards for ${name}` : `running to ${name}`;
    return this.exclusive(activity, async (signal) => {
      const tl = this.timeline;
      const start = tl.icount;
      const disabled = tl.listTraps().filter((t) => t.enabled);
      for (const t of disabled) tl.setTrapEnabled(t.id, false);
      const temps = addresses.map((a) => tl.addBreakpoint(BigInt(a)));
      let r: MotionResult;
      try {
        if (direction === 'backward') {
          let fraction = 0;
          const back = this.reporter(progress, activity, () => fraction);
          r = await tl.reverseContinue({ signal, onProgress: (f) => { fraction = f; back(); } });
        } else {
          if (tl.mode === 'record' && !tl.ended) this.ensureSaver();
          r = await this.forwardLive({ traps: true, signal, tick: this.reporter(progress, activity) });
        }
      } finally {
        for (const t of temps) tl.deleteTrap(t.id);
        for (const t of disabled) if (tl.listTraps().some((x) => x.id === t.id)) tl.setTrapEnabled(t.id, true);
        if (tl.mode === 'record') this.phase = tl.ended ? 'fixed' : 'live';
        this.saver?.settle();
      }
      const hit = r.reason === 'breakpoint' && temps.some((t) => t.id === r.breakpointId);
      if (hit) {
        r = { ...r, reason: 'step', breakpointId: undefined };
      } else if (r.reason !== 'cancelled' && r.reason !== 'input') {
        tl.seek(start);
        const where = direction === 'backward' ? 'before' : 'after';
        r = { reason: 'not-found' as MotionResult['reason'], icount: tl.icount, hart: tl.hartAt(tl.icount), pc: tl.pc, message: `${name} did not run ${where} icount ${start}` };
      }
      return this.answer(r, request, start);
    });
  }

  private async stepOver(signal: AbortSignal, tick: (force?: boolean) => void): Promise<MotionResult> {
    const tl = this.timeline;
    const pc = tl.pc;
    const insn = instructionAt(tl.machine, pc);
    if (!insn || !isCall(insn.bits)) return tl.stepi(1n);
    const sp0 = tl.machine.registers()[2];
    const temp = tl.addBreakpoint(pc + BigInt(insn.length));
    try {
      for (;;) {
        const r = await this.forwardLive({ traps: true, signal, tick });
        if (r.reason === 'breakpoint' && r.breakpointId === temp.id) {
          if (tl.machine.registers()[2] >= sp0) return { ...r, reason: 'step', breakpointId: undefined };
          continue; // a deeper activation passing the same address (recursion)
        }
        return r;
      }
    } finally {
      tl.deleteTrap(temp.id);
    }
  }

  // ---- breakpoints and watchpoints ----

  /**
   * One entry per location: a breakpoint with several (an inlined function, a
   * line in several blocks) is listed once per address, all with its one
   * number, so that the disassembly marks each address and the list groups them.
   */
  traps(): TrapInfo[] {
    const raw = new Map(this.timeline.listTraps().map((t: Trap) => [t.id, t]));
    const symbols = this.timeline.machine.symbols;
    return this.userTraps.list().flatMap((b) => b.locations.map((l) => {
      const t = raw.get(l.trapId);
      const label = b.kind === 'breakpoint' && (b.source || b.locations.length > 1) ? symbols.format(l.address) : b.label;
      const info: TrapInfo = { id: b.number, kind: b.kind, address: l.address, label, enabled: b.enabled };
      if (t?.kind === 'watchpoint') { info.length = t.length; info.access = t.access; }
      if (b.source) info.source = `${b.source.file}:${b.source.line}`;
      else if (b.locations.length > 1) info.source = b.label;
      return info;
    }));
  }

  private guardIdle(): void {
    if (this.op && this.op.name !== 'seeking') throw new Error(`The engine is busy ${this.op.name}; pause it first.`);
  }

  /** Resolves breakpoint text as GDB does (breakpoint-location.ts); built once the debug info is read. */
  private resolver(): BreakpointResolver {
    const machine = this.timeline.machine;
    this.resolverCache ??= new BreakpointResolver(this.lineInfo(), machine.program?.symbols ?? [], machine.symbols);
    return this.resolverCache;
  }

  /** Text for the "Break at" box: FUNCTION, FILE:LINE, LINE (in the current file), *ADDRESS, SYMBOL+OFFSET, an address. */
  private resolveBreakpoint(text: string): ResolvedLocation {
    const machine = this.timeline.machine;
    const here = this.lineInfo()?.lineAt(Number(machine.pc), { statement: true });
    return this.resolver().resolve(text, { file: here?.file, pc: machine.pc, registers: () => machine.registers() });
  }

  addBreakpoint(where: number | string): TrapInfo[] {
    this.guardIdle();
    const resolved: ResolvedLocation = typeof where === 'number'
      ? { label: this.timeline.machine.symbols.format(where), kind: 'address', locations: [{ address: where }] }
      : this.resolveBreakpoint(where);
    this.userTraps.addBreakpoint(resolved);
    return this.traps();
  }

  addSourceBreakpoint(file: string, line: number): TrapInfo[] {
    this.guardIdle();
    this.userTraps.addBreakpoint(this.resolver().resolve(`${file}:${line}`));
    return this.traps();
  }

  /** Candidates for what has been typed in the "Break at" box: function names (without GCC's suffixes), then "FILE:". */
  completeLocation(prefix: string, limit = 50): string[] {
    return this.resolver().complete(prefix, limit);
  }

  lineAddresses(file: string, line: number): number[] {
    return this.debug?.addressesForLine(file, line) ?? [];
  }

  addWatchpoint(where: number | string, length: number, access: WatchAccess): TrapInfo[] {
    this.guardIdle();
    const target = typeof where === 'number' ? { address: where, label: '' } : this.resolve(where);
    const wp = this.timeline.addWatchpoint(BigInt(target.address), length, access);
    if (typeof where === 'string' && !/^(0x)?[0-9a-f]+$/i.test(where.trim())) wp.label = where.trim();
    this.userTraps.adoptWatchpoint(wp);
    return this.traps();
  }

  /** Deletes breakpoint or watchpoint `id` (its number); one already gone is no error (a list may name it twice). */
  deleteTrap(id: number): TrapInfo[] {
    this.guardIdle();
    this.userTraps.delete(id);
    return this.traps();
  }

  setTrapEnabled(id: number, enabled: boolean): TrapInfo[] {
    this.guardIdle();
    if (!this.userTraps.setEnabled(id, enabled)) throw new Error(`There is no breakpoint or watchpoint ${id}.`);
    return this.traps();
  }

  // ---- sources ----

  sourceText(name: string): string {
    const text = this.sources.text(name);
    if (text === undefined) throw new Error(`no source file called ${name} in this session`);
    return text;
  }

  async addSources(files: Record<string, string>): Promise<string[]> {
    this.sources.add(files);
    this.lanesCache = undefined; // which code is the user's may have changed
    const all = this.sources.toRecord();
    if (this.saver) this.saver.putSources(all);
    else if (this.recordingId && this.store) {
      try {
        await this.store.putSources(this.recordingId, all);
      } catch (e) {
        throw new Error(`The sources are shown but could not be stored with the recording: ${messageOf(e)}`);
      }
    }
    return this.sources.names();
  }

  // ---- variables ----

  private data(): SessionVariables {
    const debug = this.lineInfo();
    const image = this.timeline.machine.program;
    if (!debug || !image) throw new Error('This program has no debug information: no variables to show.');
    this.variablesCache ??= new SessionVariables(this.timeline, debug, image, (pc) => this.sourcePosition(pc));
    return this.variablesCache;
  }

  variables(frame: number, expressions: string[]): VariablesView {
    if (!this.lineInfo()) return { icount: Number(this.timeline.icount), frame, args: [], locals: [], expressions: [], problem: 'This program has no debug information.' };
    return this.data().variables(frame, expressions);
  }

  expandVariable(frame: number, expression: string, from = 0): VariableNode[] {
    this.guardIdle();
    return this.data().expand(frame, expression, from);
  }

  /** Every write to an expression's storage across the recording (see SessionVariables.history). */
  valueHistory(expression: string, frame: number, host: HistoryHost, progress: Progress | undefined): Promise<HistoryAnswer> {
    const data = this.data();
    const activity = `computing the history of ${expression}`;
    return this.exclusive(activity, async (signal) => {
      let fraction = 0;
      const tick = this.reporter(progress, activity, () => fraction);
      tick(true);
      return data.history(expression, frame, host, signal, (f) => { fraction = f; tick(); });
    });
  }

  // ---- export ----

  /** The recording as a .hsr file: the stored one when it is complete, else made from memory. */
  async exportFile(): Promise<{ name: string; bytes: Uint8Array }> {
    this.guardIdle();
    const name = `${this.name.replace(/\.(elf|hsr)$/i, '')}.hsr`;
    const id = this.status().recordingId;
    if (this.saver) {
      this.saver.settle();
      await this.saver.idle();
    }
    const storedOk = id !== null && this.store !== null && !(this.saver?.problem);
    const annotations = this.annotations.snapshot();
    if (storedOk && this.store && id) {
      return { name, bytes: withAnnotations(withSources(await this.store.exportFile(id), this.sources.toRecord()), annotations) };
    }
    return { name, bytes: withAnnotations(this.fileFromMemory(), annotations) };
  }

  // ---- notes, and the traps as saved with the recording ----

  addNote(text: string, at?: number, end?: number): NoteInfo[] {
    const length = this.timeline.length;
    const clamp = (v: number) => { const b = BigInt(Math.max(0, Math.floor(v))); return b > length ? length : b; };
    return this.annotations.add(text, at === undefined ? this.timeline.icount : clamp(at), end === undefined ? undefined : clamp(end));
  }

  /** The traps as they are saved with the recording: addresses (the program is the same wherever it is opened) and labels, one per location. */
  private savedTraps(): SavedTrap[] {
    const raw = new Map(this.timeline.listTraps().map((t: Trap) => [t.id, t]));
    return this.userTraps.list().flatMap((b) => b.locations.map((l): SavedTrap => {
      const t = raw.get(l.trapId);
      const label = b.source ? `${b.source.file}:${b.source.line}` : b.label;
      return t?.kind === 'watchpoint'
        ? { kind: 'watchpoint', address: t.address, length: t.length, access: t.access, label, enabled: b.enabled }
        : { kind: 'breakpoint', address: BigInt(l.address), label, enabled: b.enabled };
    }));
  }

  /** Saved locations of one breakpoint follow each other with the same label: they become one breakpoint again. */
  private restoreTraps(saved: readonly SavedTrap[]): void {
    for (let i = 0; i < saved.length; i++) {
      const s = saved[i];
      try {
        if (s.kind === 'watchpoint') {
          const wp = this.timeline.addWatchpoint(s.address, s.length ?? 1, s.access ?? 'write');
          wp.label = s.label;
          const entry = this.userTraps.adoptWatchpoint(wp);
          if (!s.enabled) this.userTraps.setEnabled(entry.number, false);
          continue;
        }
        const group = [s];
        while (i + 1 < saved.length && saved[i + 1].kind === 'breakpoint' && saved[i + 1].label === s.label && saved[i + 1].enabled === s.enabled) group.push(saved[++i]);
        const line = /^(.*):(\d+)$/.exec(s.label);
        const resolved: ResolvedLocation = { label: s.label, kind: line ? 'line' : 'function', locations: group.map((g) => ({ address: Number(g.address) })) };
        if (line) resolved.source = { file: line[1], line: Number(line[2]) };
        const bp = this.userTraps.addBreakpoint(resolved);
        if (!s.enabled) this.userTraps.setEnabled(bp.number, false);
      } catch {
        // More watchpoints than this machine has slots: the rest are dropped (the file keeps them).
      }
    }
  }

  private fileFromMemory(): Uint8Array {
    const tl = this.timeline;
    const parts = [RecordingWriter.start(tl.meta, tl.program, tl.disk), RecordingWriter.events(tl.events.slice())];
    if (this.sources.size > 0) parts.push(RecordingWriter.sources(this.sources.toRecord()));
    if (tl.ended) parts.push(RecordingWriter.end(tl.ended));
    return concatBytes(parts);
  }

  async exportSnapshotImage(): Promise<{ name: string; bytes: Uint8Array }> {
    this.guardIdle();
    const exporter = await loadSnapshotImageExporter();
    if (!exporter) throw new Error('Snapshot images (.qcow2) are not available in this build of Hindsight yet.');
    const bytes = await exporter(this.timeline);
    return { name: `${this.name.replace(/\.(elf|hsr)$/i, '')}.qcow2`, bytes };
  }

  /** Per hart, the share of each of `buckets` stretches of the timeline it ran, and the IPIs. */
  hartLanes(buckets: number): HartLanes {
    return hartLanes(this.timeline, buckets);
  }

  /** The lanes of the run's shape, a step at a time (run-lanes.ts). */
  runLanes(budgetMs: number): Promise<RunLanes | null> {
    return this.lanes.step(budgetMs);
  }

  /** Where the user's code last ran (the End key's first stop). */
  userEnd(): Promise<UserEndInfo | null> {
    return this.lanes.userEnd();
  }

  private lanesCache: SessionLanes | undefined;
  private get lanes(): SessionLanes {
    this.lanesCache ??= new SessionLanes({
      timeline: this.timeline,
      debug: () => this.lineInfo(),
      // The user's code: a file at hand; with none at hand, any file that is not a library's.
      isUserFile: (file) => this.sources.find(file) !== undefined || (this.sources.size === 0 && libraryOf(file) === undefined),
      sourcePosition: (address) => this.sourcePosition(address),
      busy: () => this.op !== null,
      explored: () => this.explored,
    });
    return this.lanesCache;
  }

  engineState(): EngineState {
    const m = this.timeline.machine;
    return {
      icount: Number(m.icount),
      pc: hex(m.pc),
      privilege: PRIVILEGE_NAMES[m.privilege] ?? String(m.privilege),
      registers: m.registers().map(hex),
      csrs: MAIN_CSRS.map(([name, number]) => {
        const v = m.readCsr(number);
        return { name, number, value: v === undefined ? null : hex(v) };
      }),
      fpu: fpuView(m),
      length: Number(this.timeline.length),
    };
  }
}

/** f0..f31 and fcsr (unreadable while mstatus.FS is Off). */
function fpuView(machine: Machine): FpuView {
  const fcsr = machine.readCsr(FCSR_NUMBER);
  return { registers: machine.fpRegisters().map(hex), fcsr: fcsr === undefined ? null : hex(fcsr) };
}

/** Adds a SRCS chunk (before END) to a recording file that has none. */
export function withSources(bytes: Uint8Array, sources: Record<string, string>): Uint8Array {
  if (Object.keys(sources).length === 0) return bytes;
  let parsed: ParsedRecording;
  try {
    parsed = parseRecording(bytes);
  } catch {
    return bytes;
  }
  if (parsed.sources) return bytes;
  const body = bytes.subarray(0, parsed.validLength);
  const srcs = RecordingWriter.sources(sources);
  if (!parsed.end) return concatBytes([body, srcs]);
  const end = RecordingWriter.end(parsed.end);
  const tail = body.subarray(body.length - end.length);
  if (tail.length !== end.length || !tail.every((b, i) => b === end[i])) return bytes;
  return concatBytes([body.subarray(0, body.length - end.length), srcs, end]);
}
