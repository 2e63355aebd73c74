// Breakpoint locations as users type them, resolved as GDB resolves them:
// one home for `hindsight debug`'s break/tbreak and the web app's "Break at"
// box. Text becomes a label and a list of code addresses (several when a
// line or a function occurs in several places: inlined copies, specialised
// clones); the numbering of breakpoints is the caller's (user-breakpoints.ts).
//
//   FUNCTION        after the prologue where GDB skips it; also NAME for
//                   NAME.constprop.N/.isra.N/.part.N, and every inlined copy
//   FILE:LINE       FILE full or partial; a line without code moves on to
//                   the next line with code; one location per block
//   LINE            in the current source file
//   *ADDRESS, 0xADDRESS, SYMBOL+OFFSET, *SYMBOL, *REGISTER    exactly there
import type { DebugInfo } from '../formats/dwarf';
import { baseName, fileMatches, functionLocations, lineLocations, type CodeLocation } from '../formats/dwarf/breakpoints';
import type { ElfSymbol, SymbolTable } from '../formats/elf';
import { ABI_NAMES } from '../engine/memory-map';

export type { CodeLocation } from '../formats/dwarf/breakpoints';

/** A location text that names no code; the message says why (GDB's words where GDB has them). */
export class LocationError extends Error {
  override name = 'LocationError';
}

export interface ResolvedLocation {
  /** How the breakpoint is listed: "corruption.c:103", "quicksort", "*0x80000210", "main+8". */
  label: string;
  kind: 'line' | 'function' | 'address';
  /** Sorted by address, without duplicates; never empty. */
  locations: CodeLocation[];
  /** For FILE:LINE and LINE: the file's name and the line actually used (for the source view's gutter). */
  source?: { file: string; line: number };
}

/** What `LINE` alone and register names refer to. */
export interface LocationContext {
  /** The current source file (as recorded or as typed). */
  file?: string;
  /** x0..x31 and the pc, for *REGISTER. */
  registers?: () => readonly bigint[];
  pc?: bigint;
}

const MAX_ADDRESS = BigInt(Number.MAX_SAFE_INTEGER);
const USAGE = 'give a location: FUNCTION, FILE:LINE, LINE, *ADDRESS or SYMBOL+OFFSET';

export class BreakpointResolver {
  constructor(private readonly debug: DebugInfo | undefined, private readonly symbols: readonly ElfSymbol[],
    private readonly table: SymbolTable) {}

  resolve(input: string, context: LocationContext = {}): ResolvedLocation {
    const text = input.trim();
    if (text === '') throw new LocationError(USAGE);
    if (text.startsWith('*')) return this.exact(text.slice(1).trim(), context, `*${text.slice(1).trim()}`);
    if (/^0x[0-9a-f_]+$/i.test(text)) return this.exact(text, context, text);
    const fileLine = /^(.+):(\d+)$/.exec(text);
    if (fileLine) return this.line(fileLine[1], Number(fileLine[2]));
    if (/^\d+$/.test(text)) {
      if (!context.file) throw new LocationError(`no current source file for line ${text}: give FILE:${text}, or *${text} for an address`);
      return this.line(context.file, Number(text));
    }
    if (/^[A-Za-z_.$][\w.$]*\s*[+-]\s*(0x[0-9a-f]+|\d+)$/i.test(text)) return this.exact(text, context, text.replace(/\s+/g, ''));
    if (/^[A-Za-z_.$][\w.$]*$/.test(text)) return this.function(text, context);
    throw new LocationError(`cannot read "${text}" as a location: ${USAGE}`);
  }

  private function(name: string, context: LocationContext): ResolvedLocation {
    const locations = this.debug ? functionLocations(this.debug, this.symbols, name) : this.symbolOnly(name);
    if (locations.length === 0) {
      // A register name, as the memory view accepts it ("break pc" stops here).
      const reg = registerValue(name, context);
      if (reg !== undefined) return this.exact(name, context, `*${name}`);
      throw new LocationError(`Function "${name}" not defined.`);
    }
    return { label: name, kind: 'function', locations };
  }

  /** Without debug information: the ELF symbol's address (also without GCC's suffixes). */
  private symbolOnly(name: string): CodeLocation[] {
    const hits = this.symbols.filter((s) => !s.absolute && s.kind === 'function' && (s.name === name || baseName(s.name) === name) &&
      (s.name === name || !/\.cold(\.\d+)?$/.test(s.name)));
    return [...new Set(hits.map((s) => s.address))].sort((a, b) => a - b).map((address) => ({ address, function: name }));
  }

  private line(file: string, line: number): ResolvedLocation {
    if (!this.debug) throw new LocationError(`No symbol table is loaded: this program has no line information for ${file}:${line}.`);
    const found = lineLocations(this.debug, file, line);
    if (!found) throw new LocationError(`No source file named ${file}.`);
    if (found.locations.length === 0) throw new LocationError(`No line ${line} in file "${file}".`);
    const recorded = found.locations[0].file ?? file;
    const name = recorded.replace(/^.*\//, '');
    return { label: `${name}:${found.line}`, kind: 'line', locations: found.locations, source: { file: name, line: found.line } };
  }

  /** An exact address: a number, a symbol with an optional offset, or a register's value. */
  private exact(expr: string, context: LocationContext, label: string): ResolvedLocation {
    const value = this.addressOf(expr, context);
    if (value < 0n || value > MAX_ADDRESS) throw new LocationError(`${expr} is outside the addresses the debugger can set breakpoints at`);
    const address = Number(value);
    const loc: CodeLocation = { address };
    const fn = this.debug?.functionAt(address);
    const name = fn?.inlined?.length ? fn.inlined[fn.inlined.length - 1].name : fn?.name ?? this.table.symbolize(address)?.symbol.name;
    if (name !== undefined) loc.function = name;
    const at = this.debug?.lineAt(address, { statement: true });
    if (at) { loc.file = at.file; loc.line = at.line; }
    return { label, kind: 'address', locations: [loc] };
  }

  private addressOf(expr: string, context: LocationContext): bigint {
    const s = expr.replace(/\s+/g, '');
    if (/^(0x[0-9a-f_]+|[0-9_]+)$/i.test(s)) return BigInt(s.replace(/_/g, ''));
    const m = /^\$?([A-Za-z_.$][\w.$]*?)(?:([+-])(0x[0-9a-f]+|\d+))?$/i.exec(s);
    if (!m) throw new LocationError(`cannot read "${expr}" as an address: ${USAGE}`);
    const offset = m[3] ? BigInt(m[3]) * (m[2] === '-' ? -1n : 1n) : 0n;
    const sym = this.symbol(m[1]);
    if (sym !== undefined) return sym + offset;
    const reg = registerValue(m[1], context);
    if (reg !== undefined) return reg + offset;
    throw new LocationError(`No symbol "${m[1]}" in this program.`);
  }

  /** A symbol's address by its exact name, else the one code symbol whose name without GCC's suffixes it is. */
  private symbol(name: string): bigint | undefined {
    const exact = this.table.lookup(name);
    if (exact && !exact.absolute) return BigInt(exact.address);
    const hits = this.symbols.filter((s) => !s.absolute && s.kind === 'function' && baseName(s.name) === name && !/\.cold(\.\d+)?$/.test(s.name));
    return hits.length > 0 ? BigInt(hits[0].address) : undefined;
  }

  private completionNames: string[] | undefined;

  /** Everything a location can start with: function names (without GCC's suffixes) and "FILE:" for source files. */
  private names(): string[] {
    if (!this.completionNames) {
      const set = new Set<string>();
      for (const f of this.debug?.functions() ?? []) if (!f.name.startsWith('??')) set.add(f.name);
      for (const c of this.debug?.inlinedInstances() ?? []) if (c.name !== '??') set.add(c.name);
      for (const s of this.symbols) if (s.kind === 'function' && !s.absolute && s.name) set.add(baseName(s.name));
      const files = new Set<string>();
      for (const f of this.debug?.files() ?? []) files.add(`${f.replace(/^.*\//, '')}:`);
      this.completionNames = [...[...set].sort(), ...[...files].sort()];
    }
    return this.completionNames;
  }

  /**
   * Candidates for what the user has typed: function names and "FILE:"
   * starting with it (the user's own files first: those the line table
   * names without a path outside the build directory), at most `limit`.
   */
  complete(prefix: string, limit = 50): string[] {
    const p = prefix.trim();
    const all = this.names().filter((n) => n.startsWith(p));
    const own = new Set(this.ownFiles());
    const rank = (n: string) => (n.endsWith(':') ? (own.has(n) ? 0 : 2) : this.isOwnFunction(n) ? 1 : 3);
    return all.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)).slice(0, limit);
  }

  private ownFiles(): string[] {
    return (this.debug?.files() ?? []).filter((f) => !f.startsWith('../') && !f.startsWith('/')).map((f) => `${f.replace(/^.*\//, '')}:`);
  }

  private ownFunctionSet: Set<string> | undefined;
  private isOwnFunction(name: string): boolean {
    if (!this.ownFunctionSet) {
      this.ownFunctionSet = new Set();
      for (const f of this.debug?.functions() ?? []) {
        if (f.file && !f.file.startsWith('../') && !f.file.startsWith('/')) this.ownFunctionSet.add(f.name);
      }
      for (const c of this.debug?.inlinedInstances() ?? []) if (this.ownFunctionSet.has(c.container)) this.ownFunctionSet.add(c.name);
    }
    return this.ownFunctionSet.has(name);
  }

  /** Whether a typed file name names one of the program's source files. */
  knowsFile(file: string): boolean {
    return (this.debug?.files() ?? []).some((f) => fileMatches(file, f));
  }
}

/** The value of a register named pc, sp, a0, fp, x5..., when the context has registers. */
function registerValue(name: string, context: LocationContext): bigint | undefined {
  const n = name.replace(/^\$/, '').toLowerCase();
  if (n === 'pc') return context.pc;
  const regs = context.registers?.();
  if (!regs) return undefined;
  const x = /^x([0-9]|[12][0-9]|3[01])$/.exec(n);
  const index = x ? Number(x[1]) : n === 'fp' ? 8 : (ABI_NAMES as readonly string[]).indexOf(n);
  return index >= 0 ? BigInt.asUintN(64, regs[index]) : undefined;
}
