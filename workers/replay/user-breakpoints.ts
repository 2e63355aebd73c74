// The breakpoints and watchpoints a user set, numbered as GDB numbers them:
// one number per breakpoint however many addresses it covers (an inlined
// function, a line that occurs in several blocks), one sequence for
// breakpoints and watchpoints, and a number used only once something was
// set (a location that resolves to nothing takes none). The Timeline's own
// traps (one per address) are underneath; stepping's temporary traps are
// not users' and have no number.
import type { Timeline, Watchpoint } from './timeline';
import type { CodeLocation, ResolvedLocation } from './breakpoint-location';

export interface UserLocation extends CodeLocation {
  /** The Timeline trap at this address. */
  trapId: number;
}

export interface UserBreakpoint {
  number: number;
  kind: 'breakpoint' | 'watchpoint';
  /** As typed and normalised: "corruption.c:103", "quicksort", "*0x80000210"; for a watchpoint its expression or address. */
  label: string;
  /** Breakpoints: sorted by address; watchpoints: the one trap. */
  locations: UserLocation[];
  /** FILE:LINE breakpoints: the file name and the line used. */
  source?: { file: string; line: number };
  enabled: boolean;
  /** tbreak: deleted when it stops the program. */
  temporary: boolean;
  /** `break ... if EXPR`: stops only where EXPR is true (not zero). */
  condition?: string;
  /** Hits still to ignore (GDB's `ignore N COUNT`). */
  ignoreCount: number;
  /** Times it stopped the program (or would have, but for the ignore count), as GDB's "breakpoint already hit N times". */
  hits: number;
}

/** What a stop at a user breakpoint or watchpoint comes to once its condition and ignore count are applied. */
export type Verdict =
  | { stop: true; breakpoint: UserBreakpoint | undefined }
  | { stop: false; breakpoint: UserBreakpoint };

export class UserBreakpoints {
  private readonly byNumber = new Map<number, UserBreakpoint>();
  private readonly byTrap = new Map<number, UserBreakpoint>();
  private next = 1;

  constructor(private readonly timeline: Timeline) {}

  /** Sets a breakpoint on every location of a resolved text; one number for all. */
  addBreakpoint(resolved: ResolvedLocation, options: { temporary?: boolean; condition?: string } = {}): UserBreakpoint {
    if (resolved.locations.length === 0) throw new Error(`${resolved.label}: no code there`);
    const locations: UserLocation[] = resolved.locations.map((l) => {
      const trap = this.timeline.addBreakpoint(BigInt(l.address));
      trap.label = resolved.label;
      return { ...l, trapId: trap.id };
    });
    const bp: UserBreakpoint = {
      number: this.next++, kind: 'breakpoint', label: resolved.label, locations, enabled: true,
      temporary: options.temporary ?? false, ignoreCount: 0, hits: 0,
    };
    if (resolved.source) bp.source = { ...resolved.source };
    if (options.condition) bp.condition = options.condition;
    this.remember(bp);
    return bp;
  }

  /** Numbers a watchpoint the Timeline already has. */
  adoptWatchpoint(wp: Watchpoint, condition?: string): UserBreakpoint {
    const entry: UserBreakpoint = {
      number: this.next++, kind: 'watchpoint', label: wp.label, locations: [{ address: Number(wp.address), trapId: wp.id }],
      enabled: wp.enabled, temporary: false, ignoreCount: 0, hits: 0,
    };
    if (condition) entry.condition = condition;
    this.remember(entry);
    return entry;
  }

  private remember(bp: UserBreakpoint): void {
    this.byNumber.set(bp.number, bp);
    for (const l of bp.locations) this.byTrap.set(l.trapId, bp);
  }

  list(): UserBreakpoint[] {
    return [...this.byNumber.values()];
  }

  get(number: number): UserBreakpoint | undefined {
    return this.byNumber.get(number);
  }

  /** The user breakpoint a Timeline trap belongs to (undefined for stepping's temporary traps). */
  ofTrap(trapId: number | undefined): UserBreakpoint | undefined {
    return trapId === undefined ? undefined : this.byTrap.get(trapId);
  }

  delete(number: number): boolean {
    const bp = this.byNumber.get(number);
    if (!bp) return false;
    for (const l of bp.locations) {
      this.timeline.deleteTrap(l.trapId);
      this.byTrap.delete(l.trapId);
    }
    this.byNumber.delete(number);
    return true;
  }

  deleteAll(): void {
    for (const n of [...this.byNumber.keys()]) this.delete(n);
  }

  setEnabled(number: number, enabled: boolean): boolean {
    const bp = this.byNumber.get(number);
    if (!bp) return false;
    bp.enabled = enabled;
    for (const l of bp.locations) this.timeline.setTrapEnabled(l.trapId, enabled);
    return true;
  }

  setCondition(number: number, condition: string | undefined): boolean {
    const bp = this.byNumber.get(number);
    if (!bp) return false;
    if (condition) bp.condition = condition;
    else delete bp.condition;
    return true;
  }

  setIgnoreCount(number: number, count: number): boolean {
    const bp = this.byNumber.get(number);
    if (!bp) return false;
    bp.ignoreCount = Math.max(0, Math.floor(count));
    return true;
  }

  /**
   * Whether a stop at `trapId` stops the program, as GDB decides: the
   * condition first (false: as if not hit; an error in it stops, as GDB
   * does), then the hit is counted and an ignore count still to spend lets it
   * go. A temporary breakpoint that stops is deleted.
   */
  judge(trapId: number | undefined, condition: (expr: string) => boolean): Verdict {
    const bp = this.ofTrap(trapId);
    if (!bp) return { stop: true, breakpoint: undefined };
    if (bp.condition) {
      let holds: boolean;
      try {
        holds = condition(bp.condition);
      } catch {
        holds = true;
      }
      if (!holds) return { stop: false, breakpoint: bp };
    }
    bp.hits++;
    if (bp.ignoreCount > 0) {
      bp.ignoreCount--;
      return { stop: false, breakpoint: bp };
    }
    if (bp.temporary) this.delete(bp.number);
    return { stop: true, breakpoint: bp };
  }
}
