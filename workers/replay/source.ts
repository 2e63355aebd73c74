// Source-level time travel over a Timeline: where am I (file, line,
// function), the call stack, breakpoints by FILE:LINE, and stepping by line in
// both directions, following GDB's rules so that a user sees the same stops:
//
// - step/next run while the pc stays in the current line-table entry, stop at
//   the start of a statement of another line, and treat landing in the middle
//   of a line (after a jump or a return) as a new range to finish;
// - step enters a called function that has line information (stopping after
//   its prologue); next and step over functions without line information run
//   the call as a whole; finish runs to the caller;
// - reverse-step/next go back to the start of the current entry, or of the
//   previous line; reverse-next goes back over calls; reverse-finish goes back
//   to the call instruction.
import type { DebugInfo, Frame } from '../formats/dwarf';
import type { FrameState } from '../formats/dwarf/variables';
import { type Timeline, type MotionResult, type Breakpoint } from './timeline';
import { instructionAt, isReturn, callSiteBefore } from '../engine/instructions';

export interface SourcePosition {
  file: string;
  line: number;
  function?: string;
}

/** Limit on the number of line-table ranges one step may pass through (a loop on one line passes once). */
const MAX_RANGES = 100_000;

/** Whether frame key `inner` is an inlined call inside frame `outer` (keys from frameKey). */
function isInsideOf(inner: string, outer: string): boolean {
  if (inner === outer) return false;
  return inner.startsWith(outer.endsWith('|') ? outer : outer + '/');
}

export class SourceDebugger {
  /**
   * Inlined calls hidden at the current position, as GDB hides them: when the
   * pc is at the first instruction of inlined code, GDB shows the call site in
   * the caller, and `step` then enters the inlined function without moving.
   */
  private skipped = 0;
  private skippedAt: bigint | undefined;

  constructor(readonly timeline: Timeline, readonly debug: DebugInfo) {}

  /** The inlined calls at pc, outermost first. */
  private inlineChain(pc: number): NonNullable<ReturnType<DebugInfo['functionAt']>>['inlined'] & object {
    return this.debug.functionAt(pc)?.inlined ?? [];
  }

  /**
   * How many of the innermost inlined calls have a starting point at pc (GDB
   * skips those at a stop): the start of one of the call's address ranges
   * (its entry, or where a jump re-enters it).
   */
  private skippableAt(pc: number): number {
    const chain = this.inlineChain(pc);
    let n = 0;
    for (let i = chain.length - 1; i >= 0 && (chain[i].entry === pc || chain[i].low === pc); i--) n++;
    return n;
  }

  /** The hidden-call count for the current position (recomputed when the position changed behind our back). */
  private currentSkipped(): number {
    if (this.skippedAt !== this.timeline.icount) {
      // Stopped on a breakpoint set inside the inlined code, GDB shows that code's frame (it does not hide it).
      this.skipped = this.timeline.breakpointAt(this.pc) ? 0 : this.skippableAt(Number(this.pc));
      this.skippedAt = this.timeline.icount;
    }
    return this.skipped;
  }

  private settle(r: MotionResult, skipped?: number): MotionResult {
    this.skipped = skipped ?? (r.reason === 'breakpoint' ? 0 : this.skippableAt(Number(this.pc)));
    this.skippedAt = this.timeline.icount;
    return r;
  }

  /** Identity of the frame the user sees: the function and the visible inlined calls. */
  private frameKey(pc: number, skipped: number): string {
    const fn = this.debug.functionAt(pc);
    const chain = (fn?.inlined ?? []).slice(0, Math.max(0, (fn?.inlined?.length ?? 0) - skipped));
    return `${fn?.low ?? -1}|${chain.map((c) => `${c.name}@${c.entry}`).join('/')}`;
  }

  /** The source line a position stands for: the call site when inlined calls are hidden there. */
  private lineOf(pc: number, skipped: number): { file: string; line: number } | undefined {
    if (skipped > 0) {
      const chain = this.inlineChain(pc);
      const call = chain[chain.length - skipped];
      if (call?.callFile !== undefined && call.callLine !== undefined) return { file: call.callFile, line: call.callLine };
    }
    const r = this.debug.lineRangeAt(pc);
    return r ? { file: r.file, line: r.line } : undefined;
  }

  get pc(): bigint { return this.timeline.pc; }
  private sp(): bigint { return this.timeline.machine.registers()[2]; }

  where(pc: bigint = this.pc): SourcePosition | undefined {
    const skipped = pc === this.pc ? this.currentSkipped() : 0;
    const fn = this.debug.functionAt(Number(pc));
    const visible = (fn?.inlined ?? []).slice(0, Math.max(0, (fn?.inlined?.length ?? 0) - skipped));
    const name = visible.length ? visible[visible.length - 1].name : fn?.name;
    if (skipped > 0) {
      const at = this.lineOf(Number(pc), skipped);
      return at ? { ...at, function: name } : undefined;
    }
    const loc = this.debug.lineAt(Number(pc), { statement: true });
    if (!loc) return undefined;
    return { file: loc.file, line: loc.line, function: name };
  }

  /** The call stack at the current position, innermost first. */
  callStack(maxFrames = 64): Frame[] {
    const m = this.timeline.machine;
    const regs = m.registers();
    const frames = this.debug.unwind(Number(this.pc), Number(regs[2]), (n) => (n === 32 ? m.pc : regs[n] ?? 0n),
      (addr, length) => m.readMemory(BigInt(addr), length), maxFrames + 8);
    const hidden = Math.min(this.currentSkipped(), Math.max(0, frames.length - 1));
    return frames.slice(hidden, hidden + maxFrames).map((f, i) => (i === 0 && hidden > 0 ? { ...f, pc: Number(this.pc) } : f));
  }

  /**
   * The call stack as {@link callStack}, with what variables need of each
   * frame: its registers (x0-31, f0-31 as DWARF 0-63, restored by the CFI),
   * its CFA, its pc for scope lookups and its inlined-call depth.
   */
  frameStates(maxFrames = 64): { frames: Frame[]; states: FrameState[] } {
    const m = this.timeline.machine;
    const regs = m.registers();
    let fregs: bigint[] | undefined;
    const read = (n: number): bigint => {
      if (n < 32) return regs[n] ?? 0n;
      fregs ??= m.fpRegisters();
      return fregs[n - 32] ?? 0n;
    };
    const { frames, registers } = this.debug.unwindWithRegisters(Number(this.pc), Number(regs[2]), read,
      (addr, length) => m.readMemory(BigInt(addr), length), maxFrames + 8);
    const states: FrameState[] = [];
    // Physical frames: an inlined frame shares its registers with the frames up to the next non-inlined one.
    let physical = 0;
    let depthInGroup = 0;
    const physicalStart: number[] = [];
    for (let i = 0; i < frames.length; i++) {
      if (i === 0 || !frames[i - 1].inlined) { physicalStart.push(i); depthInGroup = 0; if (i > 0) physical++; }
      const f = frames[i];
      const lookupPc = physical === 0 ? f.pc : f.pc - 1;
      const reg = registers[i];
      const state: FrameState = { pc: f.pc, lookupPc, reg: (n) => reg?.(n), inlineDepth: depthInGroup };
      if (f.cfa !== undefined) state.cfa = BigInt(f.cfa);
      const next = physical + 1;
      state.caller = () => { const j = physicalStart[next] ?? findStart(next); return j === undefined ? undefined : states[j]; };
      states.push(state);
      depthInGroup++;
    }
    function findStart(k: number): number | undefined {
      let p = 0;
      for (let i = 1; i < frames.length; i++) if (!frames[i - 1].inlined && ++p === k) return i;
      return undefined;
    }
    const hidden = Math.min(this.currentSkipped(), Math.max(0, frames.length - 1));
    return {
      frames: frames.slice(hidden, hidden + maxFrames).map((f, i) => (i === 0 && hidden > 0 ? { ...f, pc: Number(this.pc) } : f)),
      states: states.slice(hidden, hidden + maxFrames),
    };
  }

  /** Breakpoints at every place where FILE:LINE starts. */
  breakAtLine(file: string, line: number): Breakpoint[] {
    const addresses = this.debug.addressesForLine(file, line);
    return addresses.map((a) => this.timeline.addBreakpoint(BigInt(a)));
  }

  // ---- forward ----

  step(): Promise<MotionResult> { return this.stepLine(false); }
  next(): Promise<MotionResult> { return this.stepLine(true); }

  private async stepLine(over: boolean): Promise<MotionResult> {
    const t = this.timeline;
    const startPc = Number(this.pc);
    const startSkipped = this.currentSkipped();
    // At a hidden inlined call site, `step` enters the inlined function without moving.
    if (!over && startSkipped > 0) return this.settle(this.result('step'), startSkipped - 1);
    let range = this.debug.lineRangeAt(startPc);
    if (!range) return this.settle(over ? await t.stepOver() : t.stepi());
    if (startSkipped > 0) {
      // Clip the range to the hidden inlined block, as GDB's step command does.
      const chain = this.inlineChain(startPc);
      const block = chain[chain.length - startSkipped];
      if (block && block.high < range.end) range = { ...range, end: block.high };
    }
    let line = this.lineOf(startPc, startSkipped) ?? { file: range.file, line: range.line };
    const startKey = this.frameKey(startPc, startSkipped);
    const startFn = this.debug.functionAt(startPc);
    const startSp = this.sp();
    let returned = false;
    let singleStep = false;
    for (let n = 0; n < MAX_RANGES; n++) {
      const inRange = Number(this.pc) >= range.start && Number(this.pc) < range.end;
      if (!returned || inRange) {
        const before = t.icount;
        const r = inRange && !singleStep ? t.stepInRange(BigInt(range.start), BigInt(range.end)) : t.stepi();
        if (r.reason !== 'step') return this.settle(r);
        if (t.icount === before) return this.settle(r);
      }
      returned = false;
      singleStep = false;
      const pc = Number(this.pc);
      // Leaving the range onto a breakpoint stops for it (stepInRange stops before the breakpoint fires).
      const bp = t.breakpointAt(this.pc);
      if (bp) return this.settle({ ...this.result('breakpoint'), breakpointId: bp.id });
      const call = this.enteredCall(range.start, range.end);
      if (call) {
        const callee = this.debug.lineRangeAt(pc);
        if (!over && callee) return this.settle(await this.runTo(this.prologueEnd(pc), call.sp));
        const back = await this.returnTo(call.returnAddress, call.sp);
        if (back.reason !== 'step') return this.settle(back);
        returned = true; // back after the call: look at where we are before stepping on
        continue;
      }
      // Inlined calls, GDB's way: arriving at the first instruction of inlined code in the same frame
      // stops at the call site (or, for a call site on the line being stepped, goes on / enters it).
      const skippable = this.skippableAt(pc);
      const key = this.frameKey(pc, skippable);
      if (skippable > 0 && key === startKey) {
        const chain = this.inlineChain(pc);
        const site = chain[chain.length - skippable];
        const sameLine = site.callLine === line.line && site.callFile === line.file;
        if (!over) return this.settle(this.result('step'), sameLine ? skippable - 1 : skippable);
        if (!sameLine) return this.settle(this.result('step'), skippable);
        singleStep = true; // through the inlined call as if it were a call
        continue;
      }
      if (isInsideOf(key, startKey)) {
        // Deeper inside an inlined call that began on an earlier line: next goes through it, step stops.
        if (!over) return this.settle(this.result('step'), skippable);
        singleStep = true;
        continue;
      }
      const here = this.debug.lineRangeAt(pc);
      if (!here) {
        // Code without line information reached without a call (a trap handler, a tail call): leave it.
        if (startFn && this.sp() > startSp) return this.settle(this.result('step'));
        return this.settle(await t.stepOver());
      }
      if (pc === here.start && here.isStmt && (here.line !== line.line || here.file !== line.file)) return this.settle(this.result('step'));
      // Keep stepping through this entry; only a statement entry changes the line we are stepping away from
      // (so entering a line in its middle finishes that line first), as GDB does.
      range = here;
      if (here.isStmt) line = { file: here.file, line: here.line };
    }
    return this.settle(this.result('step'));
  }

  /** Runs to the end of the current function, stopping just after it returns to its caller. */
  async finish(): Promise<MotionResult> {
    const frames = this.callStack(8);
    const outer = frames.find((_f, i) => i > 0 && !frames[i - 1].inlined);
    if (frames[0]?.inlined) {
      // Leaving an inlined call: run until the pc leaves its code.
      const fn = this.debug.functionAt(Number(this.pc));
      const chain = fn?.inlined ?? [];
      const call = chain[chain.length - 1 - this.currentSkipped()];
      if (call) return this.settle(this.timeline.stepInRange(BigInt(call.low), BigInt(call.high)));
    }
    if (!outer || frames[0].cfa === undefined) return this.settle(this.result('step'));
    return this.settle(await this.returnTo(BigInt(outer.pc), BigInt(frames[0].cfa)));
  }

  // ---- backward ----

  async reverseStep(): Promise<MotionResult> {
    const hidden = this.currentSkipped();
    const r = await this.reverseLine(false);
    // Entering a hidden inlined call does not move: keep the frame it made visible.
    return this.timeline.icount === this.skippedAt && hidden > 0 && this.skipped === hidden - 1 ? r : this.settle(r);
  }
  async reverseNext(): Promise<MotionResult> { return this.settle(await this.reverseLine(true)); }

  private async reverseLine(over: boolean): Promise<MotionResult> {
    const t = this.timeline;
    // At a hidden inlined call site, reverse-step enters the inlined function without moving (as step does).
    const hidden = this.currentSkipped();
    if (!over && hidden > 0) { this.skipped = hidden - 1; return this.result('step'); }
    const first = this.debug.lineRangeAt(Number(this.pc));
    if (!first) return over ? t.reverseStepOver() : t.reverseStepi();
    let lo = first.start, hi = first.end;
    let line = { file: first.file, line: first.line };
    const startKey = this.frameKey(Number(this.pc), this.currentSkipped());
    for (let n = 0; n < MAX_RANGES * 16; n++) {
      const fromPc = this.pc;
      const fromSp = this.sp();
      const r = t.reverseStepi();
      if (r.reason !== 'step') return r;
      if (over) {
        // Back into inlined code called from this frame: go back over the whole inlined call, to where it
        // was entered (GDB stops there, showing the call site).
        const at = Number(this.pc);
        const chain = this.inlineChain(at);
        const depth = startKey.split('|')[1] === '' ? 0 : startKey.split('|')[1].split('/').length;
        if (isInsideOf(this.frameKey(at, 0), startKey) && chain.length > depth) {
          const block = chain[depth];
          const back = await this.reverseTo(BigInt(block.low), this.sp(), true);
          if (back.reason !== 'step') return back;
          return this.settle(this.result('step'), this.skippableAt(Number(this.pc)) - depth > 0 ? chain.length - depth : undefined);
        }
      }
      if (this.returnedInto(fromPc) && (over || !this.debug.lineRangeAt(Number(this.pc)))) {
        // One step back went from just after a call into the callee's return: go back over the whole call.
        const back = await this.reverseToCall(fromPc, fromSp);
        if (back.reason !== 'step') return back;
      }
      const pc = Number(this.pc);
      const fn = this.debug.functionAt(pc);
      if (pc >= lo && pc < hi) {
        // Still in the range: GDB stops at its start (unless that is the function's entry).
        if (pc === lo && pc !== fn?.low) return this.result('step');
        continue;
      }
      const here = this.debug.lineRangeAt(pc);
      if (!here) continue;
      if (pc === here.start && here.isStmt && (here.line !== line.line || here.file !== line.file)) return this.result('step');
      lo = here.start; hi = here.end;
      if (here.isStmt) line = { file: here.file, line: here.line };
    }
    return this.result('step');
  }

  /** Back to where the current function was called (the call instruction in the caller). */
  async reverseFinish(): Promise<MotionResult> {
    const frames = this.callStack(8);
    const outerIndex = frames.findIndex((_f, i) => i > 0 && !frames[i - 1].inlined);
    if (outerIndex < 0 || frames[0].cfa === undefined) return this.settle(this.timeline.reverseStepi());
    const ret = BigInt(frames[outerIndex].pc);
    const callSite = this.callSiteBefore(ret);
    if (callSite === undefined) return this.settle(this.timeline.reverseStepi());
    return this.settle(await this.reverseTo(callSite, BigInt(frames[0].cfa)));
  }

  // ---- helpers ----

  /** After leaving [lo, hi): were we just called from there? (ra or t0 points back into the range.) */
  private enteredCall(lo: number, hi: number): { returnAddress: bigint; sp: bigint } | undefined {
    const regs = this.timeline.machine.registers();
    const pc = Number(this.pc);
    const fn = this.debug.functionAt(pc);
    const atEntry = fn ? fn.low === pc : this.timeline.machine.symbols.symbolize(pc)?.offset === 0;
    if (!atEntry) return undefined;
    for (const link of [regs[1], regs[5]]) {
      const l = Number(link);
      if (l > lo && l <= hi && this.callSiteBefore(link) !== undefined) return { returnAddress: link, sp: regs[2] };
    }
    return undefined;
  }

  /** Whether the instruction we are at now is a return that went to `to` (we stepped back into a callee). */
  private returnedInto(to: bigint): boolean {
    if (this.callSiteBefore(to) === undefined) return false;
    const here = instructionAt(this.timeline.machine, this.pc);
    return here !== undefined && isReturn(here.bits) && this.pc !== to - 2n && this.pc !== to - 4n;
  }

  private callSiteBefore(ret: bigint): bigint | undefined {
    return callSiteBefore(this.timeline.machine, ret);
  }

  /**
   * Where stepping into a function stops, as GDB's skip_prologue_using_sal
   * decides: at the entry when the line table has a second row at the entry
   * address (GCC's sign of a function without a prologue), otherwise at the
   * end of the first line-table entry.
   */
  private prologueEnd(entry: number): bigint {
    const rowsAtEntry = this.rowsAt().get(entry) ?? 0;
    if (rowsAtEntry >= 2) return BigInt(entry);
    const first = this.debug.lineRangeAt(entry);
    const fn = this.debug.functionAt(entry);
    if (!first || !fn || first.end >= fn.high) return BigInt(entry);
    return BigInt(first.end);
  }

  private rowCounts: Map<number, number> | undefined;
  private rowsAt(): Map<number, number> {
    if (!this.rowCounts) {
      this.rowCounts = new Map();
      for (const r of this.debug.lineTable()) {
        if (r.endSequence || r.line === 0) continue;
        this.rowCounts.set(r.address, (this.rowCounts.get(r.address) ?? 0) + 1);
      }
    }
    return this.rowCounts;
  }

  /** Forward to `address` with the stack at least at `sp` (the same activation or an outer one). */
  private async runTo(address: bigint, sp: bigint): Promise<MotionResult> {
    if (this.pc === address) return this.result('step');
    return this.forwardToBreakpoint(address, (s) => s >= sp - 0x10000n && s <= sp);
  }

  /** Forward until `address` is reached with sp back at `sp` or above (the call returned). */
  private returnTo(address: bigint, sp: bigint): Promise<MotionResult> {
    return this.forwardToBreakpoint(address, (s) => s >= sp);
  }

  private async forwardToBreakpoint(address: bigint, spOk: (sp: bigint) => boolean): Promise<MotionResult> {
    const t = this.timeline;
    const temp = t.addBreakpoint(address);
    try {
      for (;;) {
        const r = await t.continue();
        if (r.reason === 'breakpoint' && r.breakpointId === temp.id) {
          if (spOk(this.sp())) return { ...r, reason: 'step', breakpointId: undefined };
          continue;
        }
        return r;
      }
    } finally {
      t.deleteTrap(temp.id);
    }
  }

  /** Backward to the call instruction whose callee returned to `ret` with sp `sp`. */
  private reverseToCall(ret: bigint, sp: bigint): Promise<MotionResult> {
    const site = this.callSiteBefore(ret);
    if (site === undefined) return Promise.resolve(this.result('step'));
    return this.reverseTo(site, sp);
  }

  private async reverseTo(address: bigint, sp: bigint, anySp = false): Promise<MotionResult> {
    const t = this.timeline;
    const temp = t.addBreakpoint(address);
    try {
      for (;;) {
        const r = await t.reverseContinue();
        if (r.reason === 'breakpoint' && r.breakpointId === temp.id) {
          if (anySp || this.sp() === sp) return { ...r, reason: 'step', breakpointId: undefined };
          continue;
        }
        return r;
      }
    } finally {
      t.deleteTrap(temp.id);
    }
  }

  private result(reason: MotionResult['reason']): MotionResult {
    const icount = this.timeline.icount;
    return { reason, icount, hart: this.timeline.hartAt(icount), pc: this.timeline.pc };
  }
}
