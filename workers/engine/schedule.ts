// Which hart retired each instruction: the scheduler's switches (workers/core
// harts.ts), drained from the core after every run and kept as the machine
// first reaches each icount. Execution is deterministic, so a switch seen again
// after a seek back is the same switch, and the log only grows.

/** From `icount` on (until the next switch), `hart` retires the instructions. */
export interface HartSwitch {
  icount: bigint;
  hart: number;
}

/** An inter-processor interrupt: at `icount`, hart `from` raised hart `to`'s software interrupt (CLINT msip). */
export interface Ipi {
  icount: bigint;
  from: number;
  to: number;
}

export class ScheduleLog {
  private readonly icounts: bigint[] = [0n];
  private readonly harts: number[] = [0];
  private readonly ipiList: Ipi[] = [];

  /** An IPI the core reported; kept once, in order (one seen again after a seek back is ignored). */
  noteIpi(ipi: Ipi): void {
    const last = this.ipiList.at(-1);
    if (last && (ipi.icount < last.icount || (ipi.icount === last.icount && ipi.to <= last.to))) return;
    this.ipiList.push(ipi);
  }

  /** The IPIs seen, in icount order. */
  get ipis(): readonly Ipi[] { return this.ipiList; }

  /** A switch the core reported; ignored unless it is at or beyond the furthest one known. */
  note(icount: bigint, hart: number): void {
    const last = this.icounts.length - 1;
    if (icount < this.icounts[last]) return;
    if (icount === this.icounts[last]) { this.harts[last] = hart; return; }
    if (this.harts[last] === hart) return;
    this.icounts.push(icount);
    this.harts.push(hart);
  }

  /** Forgets everything (the machine was reset). */
  clear(): void {
    this.ipiList.length = 0;
    this.icounts.length = 1;
    this.harts.length = 1;
    this.icounts[0] = 0n;
    this.harts[0] = 0;
  }

  /** The index of the last switch at or before `icount`. */
  private indexAt(icount: bigint): number {
    let lo = 0;
    let hi = this.icounts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.icounts[mid] <= icount) lo = mid; else hi = mid - 1;
    }
    return lo;
  }

  /** The hart that retires (or retired) the instruction at `icount`, as far as the log knows. */
  hartAt(icount: bigint): number { return this.harts[this.indexAt(icount)]; }

  /** The last icount before `before` at which `hart` retired an instruction, or undefined. */
  previousOn(hart: number, before: bigint): bigint | undefined {
    if (before <= 0n) return undefined;
    for (let i = this.indexAt(before - 1n); i >= 0; i--) {
      if (this.harts[i] !== hart) continue;
      const end = i + 1 < this.icounts.length ? this.icounts[i + 1] : before;
      return (end < before ? end : before) - 1n;
    }
    return undefined;
  }

  /** The turns between two icounts, for the timeline's lanes: each [start, end) with its hart. */
  turns(from: bigint, to: bigint): { start: bigint; end: bigint; hart: number }[] {
    const out: { start: bigint; end: bigint; hart: number }[] = [];
    for (let i = this.indexAt(from); i < this.icounts.length && this.icounts[i] < to; i++) {
      const start = this.icounts[i] > from ? this.icounts[i] : from;
      const next = i + 1 < this.icounts.length ? this.icounts[i + 1] : to;
      out.push({ start, end: next < to ? next : to, hart: this.harts[i] });
    }
    return out;
  }

  /** The furthest switch known. */
  get lastSwitch(): HartSwitch {
    const i = this.icounts.length - 1;
    return { icount: this.icounts[i], hart: this.harts[i] };
  }

  get length(): number { return this.icounts.length; }
}
