// The session's side of the timeline's lanes of the run (workers/replay/run-map.ts)
// and of the End key's first stop (workers/replay/user-end.ts): both move the
// timeline, so each call does its work in one go, with no turn of the event
// loop in between (workers/replay/scan.ts says why none happens), the user's
// breakpoints and watchpoints off, and puts the timeline back where the user
// was. Between calls the page's requests see the user's position, unchanged.
import type { CallSegment, RunLanes, SourcePosition, TrapMark, UserEndInfo } from '../engine-api';
import type { DebugInfo } from '../formats/dwarf';
import { causeName } from '../engine/trap-loop';
import { RunMapper, splitCause, type CallSample, type RunMapOptions, type SampledFrame } from '../replay/run-map';
import { SourceDebugger } from '../replay/source';
import type { Timeline } from '../replay/timeline';
import { findUserEnd, type EndFrame, type UserEnd } from '../replay/user-end';

/** How deep the call lane goes (the page shows fewer rows). */
const MAX_DEPTH = 8;
const MAX_FRAMES = 48;
/** The most the search for the end of the user's code may take. */
const USER_END_MS = 1000;

const INTERRUPT_NAMES: Record<number, string> = {
  1: 'supervisor software interrupt', 3: 'machine software interrupt',
  5: 'supervisor timer interrupt', 7: 'machine timer interrupt',
  9: 'supervisor external interrupt', 11: 'machine external interrupt',
};

export function trapName(interrupt: boolean, code: number): string {
  if (interrupt) return INTERRUPT_NAMES[code] ?? `interrupt ${code}`;
  // Not to be mistaken for the user's breakpoints.
  return code === 3 ? 'ebreak (breakpoint exception)' : causeName(BigInt(code));
}

export interface LanesHost {
  readonly timeline: Timeline;
  /** The debug info with line information, if the program has it. */
  debug(): DebugInfo | undefined;
  /** Whether a source file (as the compiler recorded it) is the user's. */
  isUserFile(file: string): boolean;
  /** The source position of an address, as the session shows it. */
  sourcePosition(address: number): SourcePosition | undefined;
  /** An operation runs (a motion, a recording): the timeline is not free. */
  busy(): boolean;
  /** How far the session has executed: a replay not yet run through is not mapped. */
  explored(): bigint;
}

/**
 * Turns call-stack samples into the lane's segments: at each depth, a run of
 * consecutive samples whose frames down to that depth are the same is one
 * segment, from its first sample to the next sample after it.
 */
export function callSegments(samples: readonly CallSample[], length: bigint, maxDepth = MAX_DEPTH): CallSegment[] {
  const out: CallSegment[] = [];
  for (let depth = 0; depth < maxDepth; depth++) {
    let open: { key: string; frame: SampledFrame; start: bigint } | undefined;
    const close = (end: bigint) => {
      if (open) out.push({ depth, name: open.frame.name, user: open.frame.user, start: Number(open.start), end: Number(end), at: Number(open.start) });
      open = undefined;
    };
    for (const s of samples) {
      const key = s.frames.length > depth ? s.frames.slice(0, depth + 1).map((f) => f.name).join('\u0000') : undefined;
      if (open && key === open.key) continue;
      close(s.icount);
      if (key !== undefined) open = { key, frame: s.frames[depth], start: s.icount };
    }
    close(length);
  }
  return out;
}

export class SessionLanes {
  private mapper: RunMapper | undefined;
  private end: { length: bigint; value: UserEndInfo | null } | undefined;

  constructor(private readonly host: LanesHost, private readonly options: RunMapOptions = {}) {}

  /** More of the lanes, for about `budgetMs`; null while the timeline is not free. */
  async step(budgetMs: number): Promise<RunLanes | null> {
    const tl = this.host.timeline;
    if (this.host.busy() || this.host.explored() < tl.length) return null;
    if (!this.mapper || this.mapper.length !== tl.length) {
      const sampler = new StackSampler(tl, this.host.debug(), (file) => this.host.isUserFile(file));
      this.mapper = new RunMapper(tl, () => sampler.sample(), this.options);
    }
    const mapper = this.mapper;
    const deadline = performance.now() + Math.max(1, budgetMs);
    // The way out of a program is short: found in one go, however small the step's budget.
    const userEnd = await this.userEnd(performance.now() + USER_END_MS);
    if (!mapper.done) await this.atomically(() => mapper.step(deadline));
    return this.answer(mapper, userEnd);
  }

  /** Where the user's code last ran, once the recording has ended (kept: the end does not change). */
  async userEnd(deadline = Number.POSITIVE_INFINITY): Promise<UserEndInfo | null> {
    const tl = this.host.timeline;
    if (!tl.ended) return null;
    if (this.end?.length === tl.length) return this.end.value;
    if (this.host.busy()) throw new Error('The engine is busy; pause it first.');
    const found = await this.atomically(async () => {
      const end = await findUserEnd(tl, () => this.endFrames(), (pc) => this.isUserPc(pc), deadline);
      if (!end) return undefined;
      tl.seek(end.icount);
      return { end, pc: tl.pc };
    });
    // Not found, or not within the deadline: the End key goes to the last instruction.
    const value = found ? this.endInfo(found.end, found.pc) : null;
    this.end = { length: tl.length, value };
    return value;
  }

  private endInfo(found: UserEnd, pc: bigint): UserEndInfo {
    const source = this.host.sourcePosition(Number(pc));
    return { icount: Number(found.icount), via: found.via, ...(found.callee ? { callee: found.callee } : {}), ...(source ? { source } : {}) };
  }

  /** Runs `work` with the user's traps off, then puts the position, the traps and the replay-break back. */
  private async atomically<T>(work: () => Promise<T>): Promise<T> {
    const tl = this.host.timeline;
    const at = tl.icount;
    const replayBreak = tl.info().replayBreak;
    const enabled = tl.listTraps().filter((t) => t.enabled);
    for (const t of enabled) tl.setTrapEnabled(t.id, false);
    try {
      return await work();
    } finally {
      tl.deleteReplayBreak();
      for (const t of enabled) if (tl.listTraps().some((x) => x.id === t.id)) tl.setTrapEnabled(t.id, true);
      tl.seek(at);
      if (replayBreak !== undefined) tl.replayBreak(replayBreak);
    }
  }

  private answer(mapper: RunMapper, userEnd: UserEndInfo | null): RunLanes {
    const symbols = this.host.timeline.machine.symbols;
    const traps: TrapMark[] = mapper.traps.map((t) => {
      const { interrupt, code } = splitCause(t.cause);
      return {
        icount: Number(t.icount), hart: t.hart, interrupt, code, name: trapName(interrupt, code),
        epc: `0x${t.epc.toString(16)}`, where: symbols.format(Number(t.epc)), mode: t.mode,
      };
    });
    return {
      length: Number(mapper.length), done: mapper.done, fraction: mapper.done ? 1 : mapper.fraction,
      calls: callSegments(mapper.samples, mapper.length), samples: mapper.samples.length,
      traps, trapsScannedTo: Number(mapper.trapsScannedTo), trapsTruncated: mapper.trapsTruncated, userEnd,
    };
  }

  private isUserPc(pc: bigint): boolean {
    const file = this.host.debug()?.lineAt(Number(pc))?.file;
    return file !== undefined && this.host.isUserFile(file);
  }

  /** The call stack here, innermost first, as the user-end search reads it. */
  private endFrames(): EndFrame[] {
    const tl = this.host.timeline;
    const debug = this.host.debug();
    if (!debug) return [];
    return new SourceDebugger(tl, debug).callStack(MAX_FRAMES).map((f) => ({
      pc: f.pc,
      user: f.file !== undefined && this.host.isUserFile(f.file),
      ...(f.function ? { function: f.function } : {}),
      ...(f.inlined ? { inlined: true } : {}),
    }));
  }
}

/** Where a call stack legitimately starts: main, and the start-up code of the C runtime or of an assembly program. */
const ROOTS = /^(main|_{0,2}c?start|_mstart|_entry)$/;

/** GCC's out-of-line prologues and epilogues (-msave-restore): part of their caller's frame, not calls of their own. */
const MILLICODE = /^__riscv_(save|restore)_\d+$/;

/**
 * Call stacks for the call lane, outermost first: from `main` in (the C
 * runtime around it says nothing about the program), or all of it before
 * main runs; without line information, the symbol at the pc.
 *
 * The unwinder cannot follow every instruction (in GCC's save/restore
 * millicode the stack is half taken down): a frame outside any function
 * ends the stack there. Such a partial stack is put back under the previous
 * sample's frames when its outermost function is one of them; otherwise the
 * previous sample stands for it (samples are taken in icount order).
 */
export class StackSampler {
  private previous: SampledFrame[] = [];

  constructor(private readonly tl: Timeline, private readonly debug: DebugInfo | undefined, private readonly isUserFile: (file: string) => boolean) {}

  sample(): SampledFrame[] {
    const tl = this.tl;
    const symbols = tl.machine.symbols;
    /** The function symbol that spans pc (not a data symbol, nor the last symbol before it). */
    const symbolAt = (pc: number) => {
      const s = symbols.symbolize(pc);
      return s && s.symbol.kind === 'function' && s.offset < s.symbol.size ? s.symbol.name : undefined;
    };
    if (!this.debug) return [{ name: symbolAt(Number(tl.pc)) ?? `0x${tl.pc.toString(16)}`, user: true }];
    let stack;
    try {
      stack = new SourceDebugger(tl, this.debug).callStack(MAX_FRAMES);
    } catch {
      return this.previous;
    }
    const inner: SampledFrame[] = [];
    let complete = true;
    for (const f of stack) {
      // The unwinder names a frame from the symbol table too, whatever the symbol (the end of a section...).
      const symbol = symbolAt(f.pc);
      if (f.file === undefined && symbol === undefined) { complete = false; break; }
      const name = f.function ?? symbol ?? `0x${f.pc.toString(16)}`;
      if (MILLICODE.test(name)) continue;
      inner.push({ name, user: f.file !== undefined && this.isUserFile(f.file) });
    }
    let frames = inner.reverse();
    // A stack that does not start at main or the start-up code is one the unwinder could not follow all the way out.
    if (frames.length === 0) return this.previous;
    if (!ROOTS.test(frames[0].name)) {
      const at = this.previous.findIndex((f) => f.name === frames[0].name);
      const lastUser = this.previous.findLastIndex((f) => f.user);
      if (at > 0) frames = [...this.previous.slice(0, at), ...frames];
      // Library code the user's function was calling (most likely: it was running at the previous sample).
      else if (!frames[0].user && lastUser >= 0) frames = [...this.previous.slice(0, lastUser + 1), ...frames];
      else if (!complete) return this.previous;
    }
    const main = frames.findIndex((f) => f.name === 'main');
    if (main > 0) frames = frames.slice(main);
    this.previous = frames;
    return frames;
  }
}
