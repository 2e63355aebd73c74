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
import { type Timeline, type MotionResult, type Breakpoint } from './timeline';

export interface SourcePosition {
  file: string;
  line: number;
  function?: string;
}

/** Limit on the number of line-table ranges one step may pass through (a loop on one line passes once). */
const MAX_RANGES = 100_000;

export class SourceDebugger {
  constructor(readonly timeline: Timeline, readonly debug: DebugInfo) {}

  get pc(): bigint { return this.timeline.pc; }
  private sp(): bigint { return this.timeline.machine.registers()[2]; }

  where(pc: bigint = this.pc): SourcePosition | undefined {
    const loc = this.debug.lineAt(Number(pc), { statement: true });
    if (!loc) return undefined;
    const fn = this.debug.functionAt(Number(pc));
    const inlined = fn?.inlined?.length ? fn.inlined[fn.inlined.length - 1].name : undefined;
    return { file: loc.file, line: loc.line, function: inlined ?? fn?.name };
  }

  /** The call stack at the current position, innermost first. */
  callStack(maxFrames = 64): Frame[] {
    const m = this.timeline.machine;
    const regs = m.registers();
    return this.debug.unwind(Number(this.pc), Number(regs[2]), (n) => (n === 32 ? m.pc : regs[n] ?? 0n),
      (addr, length) => m.readMemory(BigInt(addr), length), maxFrames);
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
    let range = this.debug.lineRangeAt(Number(this.pc));
    if (!range) return over ? t.stepOver() : t.stepi();
    let line = { file: range.file, line: range.line };
    const startFn = this.debug.functionAt(Number(this.pc));
    const startSp = this.sp();
    let returned = false;
    for (let n = 0; n < MAX_RANGES; n++) {
      const inRange = Number(this.pc) >= range.start && Number(this.pc) < range.end;
      if (!returned || inRange) {
        const before = t.icount;
        const r = inRange ? t.stepInRange(BigInt(range.start), BigInt(range.end)) : t.stepi();
        if (r.reason !== 'step') return r;
        if (t.icount === before) return r;
      }
      returned = false;
      const pc = Number(this.pc);
      // Leaving the range onto a breakpoint stops for it (stepInRange stops before the breakpoint fires).
      const bp = t.breakpointAt(this.pc);
      if (bp) return { ...this.result('breakpoint'), breakpointId: bp.id };
      const call = this.enteredCall(range.start, range.end);
      if (call) {
        const callee = this.debug.lineRangeAt(pc);
        if (!over && callee) return this.runTo(this.prologueEnd(pc), call.sp);
        const back = await this.returnTo(call.returnAddress, call.sp);
        if (back.reason !== 'step') return back;
        returned = true; // back after the call: look at where we are before stepping on
        continue;
      }
      const here = this.debug.lineRangeAt(pc);
      if (!here) {
        // Code without line information reached without a call (a trap handler, a tail call): leave it.
        if (startFn && this.sp() > startSp) return this.result('step');
        return t.stepOver();
      }
      if (pc === here.start && here.isStmt && (here.line !== line.line || here.file !== line.file)) return this.result('step');
      // Keep stepping through this entry; only a statement entry changes the line we are stepping away from
      // (so entering a line in its middle finishes that line first), as GDB does.
      range = here;
      if (here.isStmt) line = { file: here.file, line: here.line };
    }
    return this.result('step');
  }

  /** Runs to the end of the current function, stopping just after it returns to its caller. */
  async finish(): Promise<MotionResult> {
    const frames = this.callStack(8);
    const outer = frames.find((_f, i) => i > 0 && !frames[i - 1].inlined);
    if (frames[0]?.inlined) {
      // Leaving an inlined call: run until the pc leaves its code.
      const fn = this.debug.functionAt(Number(this.pc));
      const call = fn?.inlined?.[fn.inlined.length - 1];
      if (call) return this.timeline.stepInRange(BigInt(call.low), BigInt(call.high));
    }
    if (!outer || frames[0].cfa === undefined) return this.result('step');
    return this.returnTo(BigInt(outer.pc), BigInt(frames[0].cfa));
  }

  // ---- backward ----

  reverseStep(): Promise<MotionResult> { return this.reverseLine(false); }
  reverseNext(): Promise<MotionResult> { return this.reverseLine(true); }

  private async reverseLine(over: boolean): Promise<MotionResult> {
    const t = this.timeline;
    const first = this.debug.lineRangeAt(Number(this.pc));
    if (!first) return over ? t.reverseStepOver() : t.reverseStepi();
    let lo = first.start, hi = first.end;
    let line = { file: first.file, line: first.line };
    for (let n = 0; n < MAX_RANGES * 16; n++) {
      const fromPc = this.pc;
      const fromSp = this.sp();
      const r = t.reverseStepi();
      if (r.reason !== 'step') return r;
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
    if (outerIndex < 0 || frames[0].cfa === undefined) return this.timeline.reverseStepi();
    const ret = BigInt(frames[outerIndex].pc);
    const callSite = this.callSiteBefore(ret);
    if (callSite === undefined) return this.timeline.reverseStepi();
    return this.reverseTo(callSite, BigInt(frames[0].cfa));
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
    const bytes = this.timeline.machine.readMemory(this.pc, 4) ?? this.timeline.machine.readMemory(this.pc, 2);
    if (!bytes) return false;
    const bits = bytes.reduce((a, b, i) => a | (b << (8 * i)), 0) >>> 0;
    const isRet = (bits & 3) !== 3 ? (bits & 0xf07f) === 0x8002 && ((bits >> 7) & 31) !== 0 : (bits & 0x7f) === 0x67 && ((bits >> 7) & 31) === 0;
    return isRet && this.pc !== to - 2n && this.pc !== to - 4n;
  }

  private callSiteBefore(ret: bigint): bigint | undefined {
    const m = this.timeline.machine;
    const word = (a: bigint) => { const b = m.readMemory(a, 4); return b ? (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0 : undefined; };
    const half = (a: bigint) => { const b = m.readMemory(a, 2); return b ? b[0] | (b[1] << 8) : undefined; };
    const w = word(ret - 4n);
    if (w !== undefined && (w & 3) === 3) {
      const op = w & 0x7f, rd = (w >> 7) & 31;
      if ((op === 0x6f || op === 0x67) && (rd === 1 || rd === 5)) return ret - 4n;
    }
    const h = half(ret - 2n);
    if (h !== undefined && (h & 0xf07f) === 0x9002 && ((h >> 7) & 31) !== 0) return ret - 2n;
    return undefined;
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

  private async reverseTo(address: bigint, sp: bigint): Promise<MotionResult> {
    const t = this.timeline;
    const temp = t.addBreakpoint(address);
    try {
      for (;;) {
        const r = await t.reverseContinue();
        if (r.reason === 'breakpoint' && r.breakpointId === temp.id) {
          if (this.sp() === sp) return { ...r, reason: 'step', breakpointId: undefined };
          continue;
        }
        return r;
      }
    } finally {
      t.deleteTrap(temp.id);
    }
  }

  private result(reason: MotionResult['reason']): MotionResult {
    return { reason, icount: this.timeline.icount, pc: this.timeline.pc };
  }
}
