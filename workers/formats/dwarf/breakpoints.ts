/**
 * Where GDB 13 puts a breakpoint for `break FUNCTION` and `break FILE:LINE`,
 * from the line table and the function and block tree (no machine needed).
 *
 * - FUNCTION: every out-of-line function with that DWARF name (so
 *   `quicksort` finds `quicksort.constprop.0`), at its entry, or after its
 *   prologue when its unit is not "locations valid" (see
 *   DebugInfo.locationsValidAt: GCC -O0 code); and every inlined copy, at the
 *   start of its first range. Without DWARF, the ELF symbol with that name
 *   (or that name plus GCC's .constprop.N/.isra.N/.part.N suffixes), with the
 *   prologue skipped by the line table as GDB does for minimal symbols.
 * - FILE:LINE: every statement row of that line in the matching files; a
 *   line without rows takes the nearest later line that has some; then one
 *   location per block (function, inlined call, lexical block with
 *   variables), the lowest address; an address in a function's prologue moves
 *   to its end (where FUNCTION would stop).
 */
import type { DebugInfo, LineRow } from '../dwarf';
import type { ElfSymbol } from '../elf';

export interface CodeLocation {
  address: number;
  /** The function the address is in (the innermost inlined one for an inlined copy). */
  function?: string;
  file?: string;
  line?: number;
}

/** GCC's suffixes for specialised or split copies of a function: quicksort.constprop.0, f.isra.0, f.part.1, f.cold. */
const GCC_SUFFIX = /(\.(constprop|isra|part|lto_priv|cold)(\.\d+)?)+$/;

/** A symbol's name without GCC's suffixes ("quicksort.constprop.0" -> "quicksort"). */
export function baseName(name: string): string {
  return name.replace(GCC_SUFFIX, '');
}

/** Drops "./" path components and repeated slashes. */
function normalize(p: string): string[] {
  return p.split('/').filter((part, i) => part !== '.' && !(part === '' && i > 0));
}

/**
 * Whether a file name as typed names a recorded path. The shorter one must be
 * the other's tail, component by component ("corruption.c" and
 * "./corruption.c"; "riscv/crt0.c" and "../../picocrt/machine/riscv/crt0.c").
 * A recorded path that is relative has an unknown directory in front, so
 * "examples/corruption.c" names "./corruption.c" too (GDB decides that case
 * from the compilation directory and its own working directory).
 */
export function fileMatches(typed: string, recorded: string): boolean {
  const t = normalize(typed);
  const r = normalize(recorded);
  if (t.length === 0 || r.length === 0) return false;
  const absolute = r[0] === '';
  const n = Math.min(t.length, r.length);
  for (let i = 1; i <= n; i++) if (t[t.length - i] !== r[r.length - i]) return false;
  if (t.length <= r.length) return true;
  // The typed path is longer: only a relative recorded path (without "..") can sit below it.
  return !absolute && !r.includes('..');
}

const ASSEMBLY = /\.(s|S|asm)$/;

/** Line-table helpers shared by the two kinds of breakpoint. */
class Lines {
  private byAddress: Map<number, LineRow[]> | undefined;
  constructor(readonly debug: DebugInfo) {}

  /** The rows at an address (not end-of-sequence, not line 0), in program order. */
  rowsAt(address: number): LineRow[] {
    if (!this.byAddress) {
      this.byAddress = new Map();
      for (const r of this.debug.lineTable()) {
        if (r.endSequence || r.line === 0) continue;
        const list = this.byAddress.get(r.address);
        if (list) list.push(r);
        else this.byAddress.set(r.address, [r]);
      }
    }
    return this.byAddress.get(address) ?? [];
  }

  /**
   * GDB's skip_prologue_using_sal for a function [start, end): 0 when it
   * cannot tell (one line covers the whole function), else the first address
   * after the prologue.
   */
  skipPrologueUsingSal(start: number, end: number): number {
    let sal = this.debug.lineRangeAt(start);
    if (!sal || sal.line === 0) return 0;
    // Two rows of one file at the entry: GCC's sign that the function has no prologue (not for assembly).
    const atEntry = this.rowsAt(start).filter((r) => r.file === sal?.file);
    if (!ASSEMBLY.test(sal.file) && atEntry.length >= 2) return start;
    if (sal.end >= end) return 0;
    while (sal.end < end) {
      const next = this.debug.lineRangeAt(sal.end);
      if (!next || next.line === 0) break;
      // A later range of the same or a later line: the body starts here.
      if (next.line >= sal.line) break;
      // A smaller line number: the scheduler moved body code into the prologue; look further.
      sal = next;
    }
    return sal.end < end ? sal.end : sal.start;
  }

  /**
   * Where `break FUNCTION` stops in an out-of-line function entered at
   * `entry` (GDB's skip_prologue_sal): the entry when the unit's locations
   * are valid from the first instruction; otherwise after the prologue, and
   * never in the middle of a line.
   */
  breakAddress(entry: number, end: number): number {
    // GDB's find_function_start_sal: the entry itself for such units and for assembly.
    if (this.debug.locationsValidAt(entry)) return entry;
    const file = this.debug.lineAt(entry)?.file;
    if (file !== undefined && ASSEMBLY.test(file)) return entry;
    let pc = entry;
    const post = this.skipPrologueUsingSal(entry, end);
    // riscv_skip_prologue would scan the instructions when the line table cannot tell: we keep the entry.
    if (post !== 0) pc = Math.max(pc, post);
    const sal = this.debug.lineRangeAt(pc);
    if (sal && sal.start !== pc && sal.end >= entry && sal.end < end) pc = sal.end;
    return pc;
  }
}

const linesCache = new WeakMap<DebugInfo, Lines>();
function lines(debug: DebugInfo): Lines {
  let l = linesCache.get(debug);
  if (!l) { l = new Lines(debug); linesCache.set(debug, l); }
  return l;
}

/** The end of the function range containing `entry` (GDB's find_pc_partial_function), from DWARF or the symbol. */
function functionEnd(debug: DebugInfo, entry: number, symbol?: ElfSymbol): number {
  const fn = debug.functionAt(entry);
  if (fn) return fn.high;
  return symbol && symbol.size > 0 ? symbol.address + symbol.size : entry + 1;
}

function located(debug: DebugInfo, address: number, fn: string | undefined): CodeLocation {
  const loc: CodeLocation = { address };
  if (fn !== undefined) loc.function = fn;
  const at = debug.lineAt(address, { statement: true });
  if (at) { loc.file = at.file; loc.line = at.line; }
  return loc;
}

/**
 * `break NAME`: every place GDB would stop for a function called NAME, sorted
 * by address; empty when there is no such function.
 */
export function functionLocations(debug: DebugInfo, symbols: readonly ElfSymbol[], name: string): CodeLocation[] {
  const l = lines(debug);
  const out = new Map<number, CodeLocation>();
  const codeSymbols = symbols.filter((s) => !s.absolute && s.kind !== 'object');
  for (const fn of debug.functions()) {
    if (fn.name !== name) continue;
    // A function split by GCC (f and f.cold) is entered at its symbol, not at its lowest range.
    // (Assembly functions may overlap: only a symbol at the start of one of the function's ranges counts.)
    const starts = codeSymbols.filter((s) => !/\.cold(\.\d+)?$/.test(s.name) && fn.ranges.some((r) => s.address === r.low));
    const sym = starts.find((s) => baseName(s.name) === fn.name) ?? starts[0];
    const entry = sym?.address ?? fn.low;
    const at = l.breakAddress(entry, functionEnd(debug, entry));
    out.set(at, located(debug, at, fn.name));
  }
  for (const copy of debug.inlinedInstances()) {
    if (copy.name === name && !out.has(copy.entry)) out.set(copy.entry, located(debug, copy.entry, copy.name));
  }
  if (out.size === 0) {
    // No DWARF function: ELF symbols (assembly, code without -g), also under their names without GCC's suffixes.
    const matches = codeSymbols.filter((s) => s.name === name || baseName(s.name) === name);
    const hot = matches.filter((s) => s.name === name || !/\.cold(\.\d+)?$/.test(s.name));
    for (const s of hot.length > 0 ? hot : matches) {
      const at = l.breakAddress(s.address, functionEnd(debug, s.address, s));
      if (!out.has(at)) out.set(at, located(debug, at, debug.functionAt(at)?.name ?? s.name));
    }
  }
  return [...out.values()].sort((a, b) => a.address - b.address);
}

/** The result of `break FILE:LINE`: the line actually used (a line without code moves to the next that has some). */
export interface LineLocations {
  line: number;
  locations: CodeLocation[];
}

/**
 * `break FILE:LINE` as GDB 13 resolves it. `file` matches as
 * {@link fileMatches} says; undefined when no recorded file matches, an empty
 * list when the file has no code at or after the line.
 */
export function lineLocations(debug: DebugInfo, file: string, line: number): LineLocations | undefined {
  const rows = debug.lineTable();
  const matched = new Map<string, boolean>();
  const matches = (path: string): boolean => {
    let m = matched.get(path);
    if (m === undefined) { m = fileMatches(file, path); matched.set(path, m); }
    return m;
  };
  if (!debug.files().some(matches)) return undefined;
  if (line < 1) return { line, locations: [] };
  // Only statement rows count (GDB's find_line_common), and not code the linker discarded.
  const live = (r: LineRow) => r.isStmt && !r.endSequence && r.line > 0 && matches(r.file) && debug.lineRangeAt(r.address) !== undefined;
  let want = line;
  if (!rows.some((r) => r.line === line && live(r))) {
    let best = Infinity;
    for (const r of rows) if (r.line > line && r.line < best && live(r)) best = r.line;
    if (best === Infinity) return { line, locations: [] };
    want = best;
  }
  const addresses = [...new Set(rows.filter((r) => r.line === want && live(r)).map((r) => r.address))].sort((a, b) => a - b);
  // One location per block: further addresses of a line in the same block are the same statement split by the optimiser.
  const blocks = new Set<object>();
  const l = lines(debug);
  const out = new Map<number, CodeLocation>();
  for (const a of addresses) {
    const block = debug.blockAt(a);
    if (block) {
      if (blocks.has(block)) continue;
      blocks.add(block);
    }
    // In an out-of-line function's prologue (or at its entry), GDB moves on to where `break FUNCTION` stops.
    let at = a;
    const fn = debug.functionAt(a);
    if (fn) {
      const entry = fn.ranges[0]?.low ?? fn.low;
      const post = l.breakAddress(entry, functionEnd(debug, entry));
      if (a >= entry && a < post) at = post;
    }
    const inner = fn?.inlined?.length ? fn.inlined[fn.inlined.length - 1].name : fn?.name;
    const loc = located(debug, at, inner);
    // GDB reports the line asked for when the address moved within it.
    if (!out.has(at)) out.set(at, { ...loc, line: want });
  }
  return { line: want, locations: [...out.values()].sort((a, b) => a.address - b.address) };
}
