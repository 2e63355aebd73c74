// `hindsight debug`'s breakpoint commands: break and tbreak (LOCATION as GDB
// resolves it, with `if EXPR`), condition, ignore, enable, disable and
// `info breakpoints` in GDB's layout. The numbering, conditions and counts
// are workers/replay/user-breakpoints.ts; the locations,
// workers/replay/breakpoint-location.ts.
import type { Timeline } from '../replay/timeline';
import { LocationError, type BreakpointResolver, type CodeLocation } from '../replay/breakpoint-location';
import type { UserBreakpoint, UserBreakpoints } from '../replay/user-breakpoints';

/** A command the user got wrong; the prompt prints its message. */
export class BreakpointCommandError extends Error {}

export class BreakpointCommands {
  constructor(private readonly timeline: Timeline, private readonly breakpoints: UserBreakpoints,
    private readonly resolver: BreakpointResolver, private readonly print: (line: string) => void,
    /** The current source file, for LINE alone. */
    private readonly currentFile: () => string | undefined) {}

  /** `cmd` is break, b, tbreak, condition, ignore, enable or disable; `args` the rest of the line. */
  run(cmd: string, args: string): void {
    const words = args.split(/\s+/).filter(Boolean);
    switch (cmd) {
      case 'break': case 'b': case 'tbreak':
        this.set(args, cmd === 'tbreak');
        return;
      case 'condition': {
        const n = this.number(words[0], 'condition needs a breakpoint number');
        const expr = args.replace(/^\S+\s*/, '');
        if (!this.breakpoints.setCondition(n, expr || undefined)) throw new BreakpointCommandError(`No breakpoint number ${n}.`);
        this.print(expr ? `breakpoint ${n} stops only if ${expr}` : `Breakpoint ${n} now unconditional.`);
        return;
      }
      case 'ignore': {
        const n = this.number(words[0], 'ignore needs a breakpoint number and a count');
        const count = this.number(words[1], 'ignore needs a breakpoint number and a count');
        if (!this.breakpoints.setIgnoreCount(n, count)) throw new BreakpointCommandError(`No breakpoint number ${n}.`);
        this.print(count === 0 ? `Will stop next time breakpoint ${n} is reached.` : `Will ignore next ${count} crossings of breakpoint ${n}.`);
        return;
      }
      case 'enable': case 'disable': {
        const numbers = words.length ? words.map((w) => this.number(w, `${cmd} needs breakpoint numbers`)) : this.breakpoints.list().map((b) => b.number);
        for (const n of numbers) if (!this.breakpoints.setEnabled(n, cmd === 'enable')) throw new BreakpointCommandError(`No breakpoint number ${n}.`);
        return;
      }
      default:
        throw new BreakpointCommandError(`not a breakpoint command: ${cmd}`);
    }
  }

  private number(word: string | undefined, message: string): number {
    if (word === undefined || !/^\d+$/.test(word)) throw new BreakpointCommandError(message);
    return Number(word);
  }

  /** `break LOCATION [if EXPR]` and `tbreak`: one breakpoint with every location the text resolves to. */
  private set(text: string, temporary: boolean): void {
    const m = /^(.*?)(?:^|\s+)if(?:\s+(.*))?$/.exec(text.trim());
    const where = (m ? m[1] : text).trim();
    const condition = m ? (m[2] ?? '').trim() : undefined;
    if (m && !condition) throw new BreakpointCommandError('Argument required (boolean expression).');
    if (!where) throw new BreakpointCommandError('break needs a location: FUNCTION, FILE:LINE, LINE, *ADDRESS or SYMBOL+OFFSET');
    let resolved;
    try {
      const t = this.timeline;
      resolved = this.resolver.resolve(where, { file: this.currentFile(), pc: t.pc, registers: () => t.machine.registers() });
    } catch (e) {
      if (e instanceof LocationError) throw new BreakpointCommandError(e.message);
      throw e;
    }
    const bp = this.breakpoints.addBreakpoint(resolved, { temporary, condition });
    const kind = temporary ? 'temporary breakpoint' : 'breakpoint';
    const cond = bp.condition ? ` if ${bp.condition}` : '';
    if (bp.locations.length === 1) {
      this.print(`${kind} ${bp.number} at ${this.describe(bp.locations[0])}${cond}`);
      return;
    }
    this.print(`${kind} ${bp.number}: ${bp.label}, ${bp.locations.length} locations${cond}`);
    bp.locations.forEach((l, i) => this.print(`  ${bp.number}.${i + 1} ${this.describe(l)}`));
  }

  /** "0x80000422 <smooth_readings+0x28>: corruption.c:103 (in smooth_readings)". */
  private describe(l: CodeLocation): string {
    const at = `0x${l.address.toString(16)} <${this.timeline.machine.symbols.format(l.address)}>`;
    const src = l.file !== undefined ? `: ${l.file.replace(/^\.\//, '')}:${l.line}` : '';
    const fn = l.function !== undefined && l.file !== undefined ? ` (in ${l.function})` : '';
    return `${at}${src}${fn}`;
  }

  /** `info breakpoints`, in GDB's layout. */
  info(): void {
    const list = this.breakpoints.list();
    if (list.length === 0) { this.print('No breakpoints or watchpoints.'); return; }
    this.print('Num     Type           Disp Enb Address            What');
    const symbols = this.timeline.machine.symbols;
    const addr = (a: number) => `0x${a.toString(16).padStart(16, '0')}`;
    const what = (l: CodeLocation) => `${l.function !== undefined ? `in ${l.function} ` : `<${symbols.format(l.address)}> `}${l.file !== undefined ? `at ${l.file}:${l.line}` : ''}`.trim();
    for (const b of list) {
      const head = `${String(b.number).padEnd(8)}${(b.kind === 'breakpoint' ? 'breakpoint' : this.watchType(b)).padEnd(15)}${(b.temporary ? 'del' : 'keep').padEnd(5)}${(b.enabled ? 'y' : 'n').padEnd(4)}`;
      if (b.kind === 'watchpoint') this.print(`${head}${' '.repeat(19)}${b.label}`);
      else if (b.locations.length === 1) this.print(`${head}${addr(b.locations[0].address)} ${what(b.locations[0])}`);
      else {
        this.print(`${head}<MULTIPLE>         ${b.label}`);
        b.locations.forEach((l, i) => this.print(`${`${b.number}.${i + 1}`.padEnd(28)}${b.enabled ? 'y' : 'n'}   ${addr(l.address)} ${what(l)}`));
      }
      if (b.condition) this.print(`\tstop only if ${b.condition}`);
      if (b.hits > 0) this.print(`\tbreakpoint already hit ${b.hits} time${b.hits === 1 ? '' : 's'}`);
      if (b.ignoreCount > 0) this.print(`\tWill ignore next ${b.ignoreCount} crossings of breakpoint.`);
    }
  }

  /** GDB's names: hw watchpoint (writes), read watchpoint, acc watchpoint. */
  private watchType(b: UserBreakpoint): string {
    const trap = this.timeline.listTraps().find((t) => t.id === b.locations[0]?.trapId);
    if (trap?.kind !== 'watchpoint') return 'watchpoint';
    return trap.access === 'read' ? 'read watchpoint' : trap.access === 'access' ? 'acc watchpoint' : 'hw watchpoint';
  }
}
