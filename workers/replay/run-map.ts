// The shape of a run, for the timeline's lanes: which functions were running
// when (the call stack sampled across the recording) and every trap and
// interrupt (the handler's entry, found by replaying with breakpoints on the
// trap vectors). Bounded work, done in short steps:
//
// - Calls: SAMPLES points spread evenly over the recording, each moved back
//   to at most SAMPLE_REACH instructions after the snapshot before it, so a
//   sample costs at most that much replay (a long recording is sampled near
//   its snapshots, a short one where asked), and the unwinder at each.
// - Traps: mtvec and stvec of every hart, read at the samples, give the
//   handler addresses (and, in vectored mode, the interrupt entries). A stretch
//   between two snapshots in which no handler's code block ran (the
//   snapshots' executed-code maps) cannot have a trap and is skipped; the
//   others are replayed with breakpoints on the handlers, at most
//   TRAP_BUDGET instructions and MAX_TRAPS traps in all. A handler entered
//   by a plain jump, or a vector set and used between two samples, is not
//   told apart: sampled, not traced.
import { EXEC_BLOCK_SHIFT } from '../engine/machine';
import { RAM_BASE } from '../engine/memory-map';
import { runWithBreakpoints } from './scan';
import type { Timeline } from './timeline';

export const SAMPLES = 300;
export const SAMPLE_REACH = 1n << 19n;
export const TRAP_BUDGET = 256n << 20n;
export const MAX_TRAPS = 5000;

const CSR_MTVEC = 0x305;
const CSR_MEPC = 0x341;
const CSR_MCAUSE = 0x342;
const CSR_STVEC = 0x105;
const CSR_SEPC = 0x141;
const CSR_SCAUSE = 0x142;
const PRIV_M = 3;
const INTERRUPT_BIT = 1n << 63n;
/** Interrupt causes a vectored trap table has an entry for (software, timer, external; S and M). */
const INTERRUPT_CAUSES = [1n, 3n, 5n, 7n, 9n, 11n];

/** One frame of a sampled call stack. */
export interface SampledFrame {
  name: string;
  /** The function's source is the user's (see the caller). */
  user: boolean;
}

export interface CallSample {
  icount: bigint;
  /** Outermost first. */
  frames: SampledFrame[];
}

export interface TrapHit {
  /** Where the handler's first instruction is about to run. */
  icount: bigint;
  hart: number;
  /** mcause or scause as written: the interrupt bit and the code. */
  cause: bigint;
  /** The trapping pc (mepc/sepc). */
  epc: bigint;
  /** The privilege level the handler runs in. */
  mode: 'M' | 'S';
}

export interface RunMapOptions {
  samples?: number;
  sampleReach?: bigint;
  trapBudget?: bigint;
  maxTraps?: number;
}

/** Sample positions: evenly spread, each at most `reach` past the snapshot before it; sorted, without repeats. */
export function samplePoints(length: bigint, snapshotAtOrBefore: (t: bigint) => bigint, count: number, reach: bigint): bigint[] {
  const out = new Set<bigint>();
  const n = BigInt(Math.max(1, count));
  for (let i = 0n; i < n; i++) {
    const t = (length * i) / n;
    const anchor = snapshotAtOrBefore(t);
    out.add(t - anchor > reach ? anchor + reach : t);
  }
  return [...out].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The handler addresses a tvec value sends traps to: its base, and in vectored mode the interrupt entries. */
export function handlerAddresses(tvec: bigint): bigint[] {
  const base = tvec & ~3n;
  if (base === 0n) return []; // never set (its reset value): no handler
  return (tvec & 3n) === 1n ? [base, ...INTERRUPT_CAUSES.map((c) => base + 4n * c)] : [base];
}

export class RunMapper {
  readonly length: bigint;
  readonly samples: CallSample[] = [];
  readonly traps: TrapHit[] = [];
  /** Handler address -> the mode whose vector named it. */
  private readonly handlers = new Map<bigint, 'M' | 'S'>();
  private readonly points: bigint[];
  private nextPoint = 0;
  /** The trap scan has covered [0, trapCursor). */
  private trapCursor = 0n;
  private trapReplayed = 0n;
  private trapsStopped = false;
  private readonly options: Required<RunMapOptions>;

  constructor(private readonly tl: Timeline, private readonly frames: () => SampledFrame[], options: RunMapOptions = {}) {
    this.options = { samples: SAMPLES, sampleReach: SAMPLE_REACH, trapBudget: TRAP_BUDGET, maxTraps: MAX_TRAPS, ...options };
    this.length = tl.length;
    this.points = samplePoints(this.length, (t) => tl.snapshots.atOrBefore(t).icount, this.options.samples, this.options.sampleReach);
  }

  get done(): boolean {
    return this.nextPoint >= this.points.length && (this.trapsStopped || this.trapCursor >= this.length);
  }

  /** How far the traps were looked for: the whole recording unless the budget ran out. */
  get trapsScannedTo(): bigint {
    return this.trapCursor < this.length ? this.trapCursor : this.length;
  }

  /** The trap scan stopped early (its instruction budget or its count ran out). */
  get trapsTruncated(): boolean {
    return this.trapsStopped && this.trapCursor < this.length;
  }

  /** 0..1: samples first, then the trap scan. */
  get fraction(): number {
    const samples = this.points.length === 0 ? 1 : this.nextPoint / this.points.length;
    const traps = this.trapsStopped || this.length === 0n ? 1 : Number(this.trapCursor) / Number(this.length);
    return (samples + traps) / 2;
  }

  /** Does work until done or `deadline` (performance.now()); moves the timeline (the caller puts it back). */
  async step(deadline: number): Promise<void> {
    // At least one piece of work per step, however short the budget: every step gets somewhere.
    let worked = false;
    while (this.nextPoint < this.points.length) {
      if (worked && performance.now() > deadline) return;
      await this.sampleAt(this.points[this.nextPoint]);
      this.nextPoint++;
      worked = true;
    }
    while (!this.done) {
      if (worked && performance.now() > deadline) return;
      await this.scanTraps(deadline);
      worked = true;
    }
  }

  private async sampleAt(t: bigint): Promise<void> {
    const tl = this.tl;
    const anchor = tl.snapshots.atOrBefore(t).icount;
    // From here if that is no further than from the snapshot; seeking to the snapshot itself replays nothing.
    if (tl.icount > t || tl.icount < anchor) tl.seek(anchor);
    if (tl.icount < t) await runWithBreakpoints(tl, t, [], () => {});
    let frames: SampledFrame[];
    try {
      frames = this.frames();
    } catch {
      frames = [];
    }
    this.samples.push({ icount: tl.icount, frames });
    const machine = tl.machine;
    for (let h = 0; h < machine.hartCount; h++) {
      for (const [csr, mode] of [[CSR_MTVEC, 'M'], [CSR_STVEC, 'S']] as const) {
        const tvec = machine.readCsr(csr, h);
        if (tvec === undefined) continue;
        for (const a of handlerAddresses(tvec)) if (!this.handlers.has(a)) this.handlers.set(a, mode);
      }
    }
  }

  /** The end of the stretch that starts at `from`: the next snapshot, or the end. */
  private stretchEnd(from: bigint): { end: bigint; execBlocks?: Set<number> } {
    for (const s of this.tl.snapshots.list()) {
      if (s.icount > from) return s.execKnown ? { end: s.icount, execBlocks: s.execBlocks } : { end: s.icount };
    }
    return { end: this.length };
  }

  /** Whether a handler's code can have run in a stretch whose executed blocks are `blocks` (unknown: yes). */
  private handlerMayRun(blocks: Set<number> | undefined): boolean {
    if (!blocks) return true;
    const ramEnd = BigInt(RAM_BASE) + BigInt(this.tl.machine.ramBytes);
    for (const a of this.handlers.keys()) {
      // A handler outside RAM (a virtual address): the physical map cannot say.
      if (a < BigInt(RAM_BASE) || a >= ramEnd) return true;
      if (blocks.has(Number((a - BigInt(RAM_BASE)) >> BigInt(EXEC_BLOCK_SHIFT)))) return true;
    }
    return false;
  }

  private async scanTraps(deadline: number): Promise<void> {
    const tl = this.tl;
    if (this.handlers.size === 0) { this.trapCursor = this.length; return; }
    if (this.trapReplayed >= this.options.trapBudget || this.traps.length >= this.options.maxTraps) { this.trapsStopped = true; return; }
    const from = this.trapCursor;
    const { end, execBlocks } = this.stretchEnd(from);
    if (!this.handlerMayRun(execBlocks)) { this.trapCursor = end; return; }
    if (tl.icount !== from) tl.seek(from);
    const addresses = [...this.handlers.keys()];
    const result = await runWithBreakpoints(tl, end, addresses, (hart) => this.noteTrap(hart), deadline);
    this.trapReplayed += tl.icount - from;
    this.trapCursor = result === 'paused' ? tl.icount : end;
    if (result === 'ended') this.trapCursor = this.length;
  }

  private noteTrap(hart: number): void {
    const tl = this.tl;
    const machine = tl.machine;
    // The mode the handler runs in says which cause register the trap wrote.
    const mode = machine.privilegeOf(hart) === PRIV_M ? 'M' : 'S';
    const cause = machine.readCsr(mode === 'M' ? CSR_MCAUSE : CSR_SCAUSE, hart) ?? 0n;
    const epc = machine.readCsr(mode === 'M' ? CSR_MEPC : CSR_SEPC, hart) ?? 0n;
    this.traps.push({ icount: tl.icount, hart, cause, epc, mode });
  }
}

/** A cause register's value: interrupt or exception, and its code. */
export function splitCause(cause: bigint): { interrupt: boolean; code: number } {
  return { interrupt: (cause & INTERRUPT_BIT) !== 0n, code: Number(cause & ~INTERRUPT_BIT & 0xffffn) };
}
