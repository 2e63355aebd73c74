/**
 * DWARF reader for the programs Hindsight runs: what GCC 12 and GNU as emit
 * for RISC-V with -g (DWARF 5; versions 2 to 4 are read too).
 *
 * - the line-number programs (.debug_line): address <-> file:line;
 * - enough of .debug_info to name functions, their address ranges and the
 *   calls inlined into them;
 * - call frame information (.debug_frame, or .eh_frame) to unwind the stack.
 *
 * This is a pure codec: no I/O and no Node APIs, so it runs in the browser
 * and in Node alike. {@link DebugInfo.fromElf} never throws: every problem in
 * the sections becomes a message in `problems` and the part it affects is
 * left out (a program without usable debug info is debugged at instruction
 * level). See docs/dwarf.md for what is supported.
 */
import { SymbolTable, type ElfImage } from './elf';
import { DwarfError, StringSection, TWO_53, hex } from './dwarf/reader';
import { parseLineProgram, type LineProgram, type LineRow } from './dwarf/line';
import { describe, parseDebugInfo, type FunctionNode, type InlineNode, type LexicalBlock, type Range, type SubprogramRecord } from './dwarf/info';
import { CallFrameInfo, evaluate, type Fde, type RegRule } from './dwarf/frame';

export { DwarfError } from './dwarf/reader';
export type { LineRow } from './dwarf/line';
export type { Range } from './dwarf/info';

export interface SourceLocation {
  /** Path as the compiler recorded it (directory + '/' + name), e.g. "./corruption.c". */
  file: string;
  line: number;
  column: number;
}

/** A call inlined into a function (DW_TAG_inlined_subroutine). */
export interface InlinedCall {
  /** The inlined function's name. */
  name: string;
  /** Where the inlined code begins (its first range, as GDB's block entry pc). */
  entry: number;
  /** The range of the inlined code that contains the address asked about. */
  low: number;
  high: number;
  /** Where the inlined function is declared. */
  file?: string;
  line?: number;
  /** Where it was called (and inlined). */
  callFile?: string;
  callLine?: number;
  callColumn?: number;
}

export interface FunctionInfo {
  name: string;
  /** The address range of the function that contains the address asked about (its first range in `functions()`). */
  low: number;
  /** Exclusive. */
  high: number;
  /** All of the function's address ranges (more than one when GCC splits it), sorted. */
  ranges: Range[];
  /** Where the function is declared. */
  file?: string;
  line?: number;
  /** The chain of inlined calls containing the address, outermost first (only from functionAt). */
  inlined?: InlinedCall[];
}

export interface Frame {
  /** Frame 0: the pc. Outer frames: the return address (the instruction after the call). */
  pc: number;
  /** The stack pointer in this frame (for outer frames: the canonical frame address of the frame inside). */
  sp: number;
  /** s0/fp in this frame, when known. */
  fp?: number;
  /** This frame's canonical frame address (the sp at the call into it), when its CFI was followed. */
  cfa?: number;
  /** Function name from the debug info (for code without it, from the ELF symbol table). */
  function?: string;
  /** Source position: for frame 0 that of pc, for outer frames that of the call (pc - 1). */
  file?: string;
  line?: number;
  column?: number;
  /**
   * An inlined call: this frame and the next one out share pc and sp; the
   * next one's file:line is the place the call was inlined.
   */
  inlined?: boolean;
}

/** An inlined copy of a function (DW_TAG_inlined_subroutine), wherever it is: for breakpoints on the function's name. */
export interface InlinedInstance {
  /** The inlined function's name. */
  name: string;
  /** Where the copy begins, as GDB 13's block entry pc: the start of its first range (DW_AT_entry_pc is not used). */
  entry: number;
  ranges: Range[];
  /** The out-of-line function it was inlined into (perhaps through other inlined calls). */
  container: string;
}

export type ReadRegister = (n: number) => bigint;
export type ReadMemory = (addr: number, length: number) => Uint8Array | undefined;

interface Sequence {
  low: number;
  /** The end_sequence address (exclusive). */
  high: number;
  /** Rows sorted by address, without the end_sequence row. */
  rows: LineRow[];
}

interface FunctionRange {
  low: number;
  high: number;
  fn: FunctionNode;
}

const SHF_ALLOC = 2;
const RA = 1;
const SP = 2;
const FP = 8;
const DEFAULT_MAX_FRAMES = 64;

export class DebugInfo {
  /** Everything wrong with the debug sections, one message each. */
  readonly problems: string[] = [];
  private rows: LineRow[] = [];
  private sequences: Sequence[] = [];
  /** seqMaxHigh[i] = the largest `high` among sequences[0..i]. */
  private seqMaxHigh: number[] = [];
  private functionRanges: FunctionRange[] = [];
  private fnMaxHigh: number[] = [];
  private records = new Map<number, SubprogramRecord>();
  private fileList: string[] = [];
  private cfi: CallFrameInfo[] = [];
  private entryRange: Range | undefined;
  private symbols = new SymbolTable([]);
  private lexicalBlocks: LexicalBlock[] = [];

  private constructor() {}

  /** Reads the debug sections of an executable. Never throws; see `problems`. */
  static fromElf(image: ElfImage): DebugInfo {
    const d = new DebugInfo();
    try {
      d.load(image);
    } catch (e) {
      // Not expected: every read is range-checked and every DwarfError is caught where it arises.
      d.problems.push(`internal error while reading the debug info: ${e instanceof Error ? e.message : String(e)}`);
    }
    return d;
  }

  private load(image: ElfImage): void {
    const problem = (m: string): void => {
      if (this.problems.length < 100) this.problems.push(m);
      else if (this.problems.length === 100) this.problems.push('(more problems not listed)');
    };
    const section = (name: string): Uint8Array | undefined => {
      try {
        return image.sectionData(name);
      } catch (e) {
        problem(`cannot read section ${name}: ${e instanceof Error ? e.message : String(e)}`);
        return undefined;
      }
    };
    try {
      // Code labels in assembly often have no type (STT_NOTYPE): keep them, leave data objects out.
      this.symbols = new SymbolTable(image.symbols.filter((s) => s.kind !== 'object'));
    } catch {
      // Symbols are only a fallback for names.
    }
    // GDB's rule: with nothing loaded at address 0, code "at 0" is code the linker discarded.
    const zeroIsReal = image.sections.some((s) => (s.flags & SHF_ALLOC) !== 0 && s.address === 0 && s.size > 0);
    const real = (low: number): boolean => low !== 0 || zeroIsReal;

    const str = new StringSection(section('.debug_str'), '.debug_str');
    const lineStr = new StringSection(section('.debug_line_str'), '.debug_line_str');

    // --- line-number programs, all of them, in section order ---
    const programs = new Map<number, LineProgram | null>();
    const line = section('.debug_line');
    const lineSections = line && { line, str, lineStr };
    if (lineSections) {
      let offset = 0;
      while (offset < line.length) {
        try {
          const { program, next } = parseLineProgram(lineSections, offset, problem);
          programs.set(offset, program);
          offset = next;
        } catch (e) {
          if (!(e instanceof DwarfError)) throw e;
          problem(e.message);
          // The unit's length is usually still right: carry on with the next unit if it is.
          const next = unitEnd(line, offset);
          if (next === undefined) break;
          programs.set(offset, null);
          offset = next;
        }
      }
    }
    const seen = new Set<string>();
    for (const p of programs.values()) {
      if (!p) continue;
      let start = 0;
      for (let i = 0; i < p.rows.length; i++) {
        const row = p.rows[i];
        this.rows.push(row);
        if (!row.endSequence) continue;
        const seq = p.rows.slice(start, i);
        start = i + 1;
        for (const r of seq) {
          if (!seen.has(r.file)) {
            seen.add(r.file);
            this.fileList.push(r.file);
          }
        }
        if (seq.length === 0 || !real(seq[0].address)) continue;
        seq.sort((a, b) => a.address - b.address); // stable: equal addresses keep program order
        if (seq[0].address < row.address) this.sequences.push({ low: seq[0].address, high: row.address, rows: seq });
      }
    }
    this.sequences.sort((a, b) => a.low - b.low);
    this.seqMaxHigh = prefixMax(this.sequences);

    // --- functions ---
    const info = section('.debug_info');
    if (info) {
      const lineProgramAt = (offset: number): LineProgram | undefined => {
        const known = programs.get(offset);
        if (known !== undefined) return known ?? undefined;
        if (!lineSections) return undefined;
        try {
          const { program } = parseLineProgram(lineSections, offset, problem);
          programs.set(offset, program);
          return program;
        } catch (e) {
          if (!(e instanceof DwarfError)) throw e;
          problem(e.message);
          programs.set(offset, null);
          return undefined;
        }
      };
      const tree = parseDebugInfo(
        {
          info, abbrev: section('.debug_abbrev'), str, lineStr, strOffsets: section('.debug_str_offsets'),
          addr: section('.debug_addr'), rnglists: section('.debug_rnglists'), ranges: section('.debug_ranges'),
        },
        lineProgramAt,
        problem,
      );
      this.records = tree.records;
      this.lexicalBlocks = tree.lexicalBlocks.filter((b) => b.ranges.some((r) => real(r.low)));
      for (const fn of tree.functions) {
        fn.ranges.sort((a, b) => a.low - b.low);
        for (const r of fn.ranges) if (real(r.low)) this.functionRanges.push({ low: r.low, high: r.high, fn });
      }
      this.functionRanges.sort((a, b) => a.low - b.low || b.high - a.high);
      this.fnMaxHigh = prefixMax(this.functionRanges);
    }

    // --- call frame information ---
    for (const name of ['.debug_frame', '.eh_frame'] as const) {
      const data = section(name);
      if (!data) continue;
      const address = image.sections.find((s) => s.name === name)?.address ?? 0;
      this.cfi.push(CallFrameInfo.parse(data, name, address, problem));
    }

    // The unwinder does not go past the function execution starts in (like GDB).
    const entry = image.entry;
    const hit = this.findFde(entry);
    if (hit) this.entryRange = { low: hit.fde.start, high: hit.fde.end };
    else {
      const fn = this.functionAt(entry);
      if (fn) this.entryRange = { low: fn.low, high: fn.high };
    }
  }

  /** All rows of all line-number programs, in the order of the programs (end_sequence rows included). */
  lineTable(): LineRow[] {
    return this.rows;
  }

  /** Every file that has line rows, in order of first appearance. */
  files(): string[] {
    return this.fileList;
  }

  /**
   * The source position of the code at `address`: the row covering it,
   * which is the last row at its address (what addr2line reports). With
   * `{ statement: true }`, a row that is not a statement gives way to the
   * nearest is_stmt row before it at the same address (what GDB reports,
   * and what the frames of {@link unwind} use).
   */
  lineAt(address: number, options: { statement?: boolean } = {}): SourceLocation | undefined {
    const seq = this.sequenceAt(address);
    if (!seq) return undefined;
    const rows = seq.rows;
    let i = lastRowAtOrBefore(rows, address);
    if (i < 0) return undefined;
    if (options.statement && !rows[i].isStmt) {
      for (let j = i; j > 0 && rows[j - 1].address === rows[i].address; j--) {
        if (rows[j - 1].isStmt) {
          i = j - 1;
          break;
        }
      }
    }
    const row = rows[i];
    return { file: row.file, line: row.line, column: row.column };
  }

  /**
   * The line-table entry covering `address` as an address range [start, end)
   * (end: the next row at a higher address), with its line and whether start
   * is a statement boundary. What a debugger steps within.
   */
  lineRangeAt(address: number): { start: number; end: number; file: string; line: number; isStmt: boolean } | undefined {
    const seq = this.sequenceAt(address);
    if (!seq) return undefined;
    const rows = seq.rows;
    const i = lastRowAtOrBefore(rows, address);
    if (i < 0) return undefined;
    const start = rows[i].address;
    let first = i;
    while (first > 0 && rows[first - 1].address === start) first--;
    let stmt = rows[i];
    let anyStmt = false;
    for (let j = first; j <= i; j++) if (rows[j].isStmt) { stmt = rows[j]; anyStmt = true; }
    let end = seq.high;
    for (let j = i + 1; j < rows.length; j++) if (rows[j].address > start) { end = rows[j].address; break; }
    if (stmt.endSequence) return undefined;
    return { start, end, file: stmt.file, line: stmt.line, isStmt: anyStmt };
  }

  private sequenceAt(address: number): Sequence | undefined {
    const seqs = this.sequences;
    let best: Sequence | undefined;
    for (let i = lastAtOrBefore(seqs, address); i >= 0 && this.seqMaxHigh[i] > address; i--) {
      if (address < seqs[i].high) {
        best = seqs[i];
        break;
      }
    }
    return best;
  }

  /**
   * The addresses where `line` of `file` starts: every is_stmt row for that
   * line that does not directly follow another is_stmt row of the same line,
   * sorted and without duplicates. Only exact matches: a line without code
   * gives none. `file` matches a recorded path when it is that path or a
   * suffix of it after a '/' ("corruption.c", "riscv/crt0.c"); "./" parts are ignored.
   */
  addressesForLine(file: string, line: number): number[] {
    const want = normalizePath(file);
    const out = new Set<number>();
    const matches = new Map<string, boolean>();
    const match = (path: string): boolean => {
      let m = matches.get(path);
      if (m === undefined) {
        const p = normalizePath(path);
        m = p === want || p.endsWith('/' + want);
        matches.set(path, m);
      }
      return m;
    };
    let prev: LineRow | undefined;
    for (const row of this.rows) {
      if (
        row.line === line && row.isStmt && !row.endSequence && match(row.file) &&
        !(prev !== undefined && prev.isStmt && prev.line === line && prev.file === row.file) &&
        // Not code the linker discarded (left at address 0).
        this.sequenceAt(row.address) !== undefined
      ) {
        out.add(row.address);
      }
      prev = row.endSequence ? undefined : row;
    }
    return [...out].sort((a, b) => a - b);
  }

  /** The smallest function range containing `address` (functions nest: the innermost one). */
  private innermostRange(address: number): FunctionRange | undefined {
    const list = this.functionRanges;
    let best: FunctionRange | undefined;
    for (let i = lastAtOrBefore(list, address); i >= 0 && this.fnMaxHigh[i] > address; i--) {
      const f = list[i];
      if (address < f.high && (best === undefined || f.high - f.low < best.high - best.low)) best = f;
    }
    return best;
  }

  /** The function whose code contains `address` (the innermost, if nested), with the inlined calls there. */
  functionAt(address: number): FunctionInfo | undefined {
    const best = this.innermostRange(address);
    if (!best) return undefined;
    const info = this.describeFunction(best.fn, best);
    const inlined: InlinedCall[] = [];
    let children = best.fn.children;
    for (let depth = 0; depth < 64; depth++) {
      const hit = findInline(children, address);
      if (!hit) break;
      const d = describe(this.records, hit.node.origin);
      const call: InlinedCall = { name: d.name ?? '??', entry: hit.node.ranges[0]?.low ?? hit.range.low, low: hit.range.low, high: hit.range.high };
      if (d.file !== undefined) call.file = d.file;
      if (d.line !== undefined) call.line = d.line;
      if (hit.node.callFile !== undefined) call.callFile = hit.node.callFile;
      if (hit.node.callLine !== undefined) call.callLine = hit.node.callLine;
      if (hit.node.callColumn !== undefined) call.callColumn = hit.node.callColumn;
      inlined.push(call);
      children = hit.node.children;
    }
    if (inlined.length > 0) info.inlined = inlined;
    return info;
  }

  /** Every function with code, sorted by address. */
  functions(): FunctionInfo[] {
    const seen = new Set<FunctionNode>();
    const out: FunctionInfo[] = [];
    for (const f of this.functionRanges) {
      if (seen.has(f.fn)) continue;
      seen.add(f.fn);
      out.push(this.describeFunction(f.fn, f));
    }
    return out;
  }

  /** Every inlined copy of every function, in address order of the functions they are in. */
  inlinedInstances(): InlinedInstance[] {
    const out: InlinedInstance[] = [];
    const seen = new Set<FunctionNode>();
    const walk = (nodes: InlineNode[], container: string, depth: number): void => {
      if (depth > 64) return;
      for (const node of nodes) {
        if (node.ranges.length === 0) continue;
        out.push({ name: describe(this.records, node.origin).name ?? '??', entry: node.ranges[0].low, ranges: node.ranges.slice(), container });
        walk(node.children, container, depth + 1);
      }
    };
    for (const f of this.functionRanges) {
      if (seen.has(f.fn)) continue;
      seen.add(f.fn);
      walk(f.fn.children, describe(this.records, f.fn.die).name ?? '??', 0);
    }
    return out;
  }

  /**
   * The innermost block containing `address` (the function, an inlined call
   * or a lexical block with variables of its own, as GDB's blocks), as an
   * object to compare by identity; undefined outside every function.
   */
  blockAt(address: number): object | undefined {
    const best = this.innermostRange(address);
    if (!best) return undefined;
    // Blocks nest, so the innermost one containing the address is the one covering the fewest bytes.
    const total = (ranges: Range[]) => ranges.reduce((n, r) => n + (r.high - r.low), 0);
    let block: object = best.fn;
    let size = total(best.fn.ranges);
    let children = best.fn.children;
    for (let depth = 0; depth < 64; depth++) {
      const hit = findInline(children, address);
      if (!hit) break;
      block = hit.node;
      size = total(hit.node.ranges);
      children = hit.node.children;
    }
    for (const b of this.lexicalBlocks) {
      if (b.ranges.some((r) => address >= r.low && address < r.high)) {
        const n = total(b.ranges);
        if (n <= size) { block = b; size = n; }
      }
    }
    return block;
  }

  /**
   * GDB's locations_valid for the unit of the function at `address`: GCC 4.5
   * or later made it and some variable has a location list, so the variables
   * are right from the first instruction and `break FUNCTION` does not skip
   * the prologue.
   */
  locationsValidAt(address: number): boolean {
    const list = this.functionRanges;
    for (let i = lastAtOrBefore(list, address); i >= 0 && this.fnMaxHigh[i] > address; i--) {
      const f = list[i];
      if (address < f.high) {
        const unit = f.fn.unit;
        if (!unit?.hasLocationList || !unit.producer) return false;
        const m = /^GNU [^ ]+ (\d+)\.(\d+)/.exec(unit.producer);
        return m !== null && (Number(m[1]) > 4 || (Number(m[1]) === 4 && Number(m[2]) >= 5));
      }
    }
    return false;
  }

  private describeFunction(fn: FunctionNode, range: Range): FunctionInfo {
    const d = describe(this.records, fn.die);
    const info: FunctionInfo = {
      name: d.name ?? `??@${hex(range.low)}`,
      low: range.low,
      high: range.high,
      ranges: fn.ranges.map((r) => ({ low: r.low, high: r.high })),
    };
    if (d.file !== undefined) info.file = d.file;
    if (d.line !== undefined) info.line = d.line;
    return info;
  }

  private findFde(pc: number): { cfi: CallFrameInfo; fde: Fde } | undefined {
    for (const cfi of this.cfi) {
      const fde = cfi.find(pc);
      if (fde) return { cfi, fde };
    }
    return undefined;
  }

  /**
   * Unwinds the stack with the call frame information, frame 0 first.
   * Inlined calls appear as frames of their own (`inlined: true`). Frame 0
   * without CFI is taken to be a leaf that has not touched the stack (return
   * address in ra). Unwinding stops after the function the program was
   * entered at, at a frame whose return address is undefined or 0, and at
   * anything it cannot follow (no CFI for a caller, unreadable memory, a
   * stack pointer that does not move up), after `maxFrames` frames.
   */
  unwind(pc: number, sp: number, readRegister: ReadRegister, readMemory: ReadMemory, maxFrames = DEFAULT_MAX_FRAMES): Frame[] {
    const frames: Frame[] = [];
    try {
      this.unwindInto(frames, pc, sp, readRegister, readMemory, maxFrames);
    } catch {
      // Not expected (bad CFI and unreadable state end the unwind normally); keep what we have.
    }
    return frames;
  }

  /**
   * {@link unwind}, also giving each frame's registers: `registers[i](n)` is
   * DWARF register n (0-31 x, 32-63 f) as frame i sees it (callee-saved
   * registers restored by the CFI); undefined when unknown. `readRegister`
   * must answer n = 1..63.
   */
  unwindWithRegisters(pc: number, sp: number, readRegister: ReadRegister, readMemory: ReadMemory, maxFrames = DEFAULT_MAX_FRAMES): { frames: Frame[]; registers: ((n: number) => bigint | undefined)[] } {
    const frames: Frame[] = [];
    const registers: ((n: number) => bigint | undefined)[] = [];
    try {
      this.unwindInto(frames, pc, sp, readRegister, readMemory, maxFrames, registers);
    } catch {
      // As unwind.
    }
    return { frames, registers: registers.slice(0, frames.length) };
  }

  private unwindInto(frames: Frame[], pc: number, sp: number, readRegister: ReadRegister, readMemory: ReadMemory, maxFrames: number,
    registersOut?: ((n: number) => bigint | undefined)[]): void {
    const lastReg = registersOut ? 63 : 31;
    const mem = (addr: bigint, size: number): bigint | undefined => {
      if (addr < 0n || addr + BigInt(size) > BigInt(TWO_53)) return undefined;
      let bytes: Uint8Array | undefined;
      try {
        bytes = readMemory(Number(addr), size);
      } catch {
        return undefined;
      }
      if (!bytes || bytes.length < size) return undefined;
      let v = 0n;
      for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
      return v;
    };
    // Register values of the current frame; undefined = unknown.
    let reg: (n: number) => bigint | undefined = (n) => {
      if (n === 0) return 0n;
      if (n === SP) return BigInt(sp);
      if (n < 0 || n > lastReg) return undefined;
      try {
        return BigInt.asUintN(64, readRegister(n));
      } catch {
        return undefined;
      }
    };
    const seen = new Set<string>();
    for (let depth = 0; frames.length < maxFrames; depth++) {
      if (!(Number.isSafeInteger(pc) && pc >= 0 && Number.isSafeInteger(sp) && sp >= 0)) break;
      const key = `${pc}:${sp}`;
      if (seen.has(key)) break;
      seen.add(key);
      // In outer frames pc is a return address: the call is the instruction before it.
      const lookup = depth === 0 ? pc : pc - 1;
      const hit = this.findFde(lookup);

      // --- the rules for this frame ---
      let cfa: bigint | undefined;
      let rules: Map<number, RegRule> = new Map();
      let raColumn = RA;
      if (hit) {
        try {
          const row = hit.cfi.rowAt(hit.fde, lookup);
          rules = row.regs;
          raColumn = row.ra;
          cfa = row.cfa.kind === 'register' ? add(reg(row.cfa.reg), row.cfa.offset) : evaluate(row.cfa.expr, [], reg, mem);
        } catch (e) {
          if (!(e instanceof DwarfError)) throw e;
          cfa = undefined;
        }
      } else if (depth === 0) {
        cfa = BigInt(sp); // a leaf that has not moved sp, return address in ra
      }

      const fp = reg(FP);
      const base: Frame = { pc, sp };
      if (fp !== undefined) base.fp = safe(fp);
      if (cfa !== undefined) base.cfa = safe(cfa);
      const before = frames.length;
      this.pushFrames(frames, base, lookup, maxFrames);
      if (registersOut) for (let i = before; i < frames.length; i++) registersOut.push(reg);

      if (cfa === undefined) break;
      if (this.entryRange && lookup >= this.entryRange.low && lookup < this.entryRange.high) break;

      // --- the caller's registers ---
      const cfaValue = cfa;
      const callee = reg;
      const memo = new Map<number, bigint | undefined>();
      const caller = (n: number): bigint | undefined => {
        if (n === 0) return 0n;
        if (memo.has(n)) return memo.get(n);
        memo.set(n, undefined); // guards against rules that refer to each other
        const rule = rules.get(n);
        let v: bigint | undefined;
        if (rule === undefined) v = n === SP ? cfaValue : callee(n);
        else v = applyRule(rule, n);
        memo.set(n, v);
        return v;
      };
      const applyRule = (rule: RegRule, n: number): bigint | undefined => {
        try {
          switch (rule.kind) {
            case 'undefined': return undefined;
            case 'same': return callee(n);
            case 'offset': return mem(BigInt.asUintN(64, cfaValue + BigInt(rule.n)), 8);
            case 'val_offset': return BigInt.asUintN(64, cfaValue + BigInt(rule.n));
            case 'register': return callee(rule.reg);
            case 'expression': {
              const a = evaluate(rule.expr, [cfaValue], callee, mem);
              return a === undefined ? undefined : mem(a, 8);
            }
            case 'val_expression': return evaluate(rule.expr, [cfaValue], callee, mem);
          }
        } catch (e) {
          if (!(e instanceof DwarfError)) throw e;
          return undefined;
        }
      };
      const ra = rules.get(raColumn)?.kind === 'undefined' ? undefined : caller(raColumn);
      const nextSp = caller(SP);
      if (ra === undefined || ra === 0n || nextSp === undefined) break;
      if (ra >= BigInt(TWO_53) || nextSp >= BigInt(TWO_53)) break;
      const nextPc = Number(ra);
      const nextSpNum = Number(nextSp);
      if (nextSpNum < sp || (nextSpNum === sp && nextPc === pc)) break;
      pc = nextPc;
      sp = nextSpNum;
      reg = caller;
    }
  }

  /** Pushes the frames of one physical frame: its inlined calls (innermost first), then the function. */
  private pushFrames(frames: Frame[], base: Frame, lookup: number, maxFrames: number): void {
    const fn = this.functionAt(lookup);
    const loc = this.lineAt(lookup, { statement: true });
    let file = loc?.file;
    let line = loc?.line;
    let column = loc?.column;
    const chain = fn?.inlined ?? [];
    const make = (name: string | undefined, inlined: boolean): Frame => {
      const f: Frame = { ...base };
      if (name !== undefined) f.function = name;
      if (file !== undefined) f.file = file;
      if (line !== undefined) f.line = line;
      if (column !== undefined) f.column = column;
      if (inlined) f.inlined = true;
      return f;
    };
    for (let i = chain.length - 1; i >= 0 && frames.length < maxFrames; i--) {
      frames.push(make(chain[i].name, true));
      file = chain[i].callFile;
      line = chain[i].callLine;
      column = chain[i].callColumn;
    }
    if (frames.length >= maxFrames) return;
    frames.push(make(fn?.name ?? this.symbolName(lookup), false));
  }

  /** The ELF symbol for the code at `address` (containing it, or else the nearest before it without a size), for code without debug info. */
  private symbolName(address: number): string | undefined {
    const hit = this.symbols.symbolize(address);
    if (!hit || (hit.symbol.size !== 0 && hit.offset >= hit.symbol.size)) return undefined;
    return hit.symbol.name;
  }
}

function add(v: bigint | undefined, offset: number): bigint | undefined {
  return v === undefined ? undefined : BigInt.asUintN(64, v + BigInt(offset));
}

function safe(v: bigint): number {
  return v < BigInt(TWO_53) ? Number(v) : Number.MAX_SAFE_INTEGER;
}

function prefixMax(list: { high: number }[]): number[] {
  const out: number[] = [];
  let max = -Infinity;
  for (const x of list) {
    max = Math.max(max, x.high);
    out.push(max);
  }
  return out;
}

/** Index of the last element whose `low` is <= address in a list sorted by `low`, or -1. */
/** Index of the last row whose address is <= address in an address-sorted list, or -1. */
function lastRowAtOrBefore(rows: { address: number }[], address: number): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (rows[mid].address <= address) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

function lastAtOrBefore(list: { low: number }[], address: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid].low <= address) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

function findInline(nodes: InlineNode[], address: number): { node: InlineNode; range: Range } | undefined {
  for (const node of nodes) {
    for (const range of node.ranges) {
      if (address >= range.low && address < range.high) return { node, range };
    }
  }
  return undefined;
}

/** Drops "./" path components and repeated slashes: "./a//./b.c" -> "a/b.c". */
function normalizePath(p: string): string {
  const parts = p.split('/');
  const out: string[] = [];
  parts.forEach((part, i) => {
    if (part === '.' || (part === '' && i > 0)) return;
    out.push(part);
  });
  return out.join('/');
}

/** The end of the unit at `offset` of a section whose units start with an initial length, if it is sane. */
function unitEnd(data: Uint8Array, offset: number): number | undefined {
  if (offset + 4 > data.length) return undefined;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const len = view.getUint32(offset, true);
  if (len === 0xffffffff) {
    if (offset + 12 > data.length) return undefined;
    const hi = view.getUint32(offset + 8, true);
    const lo = view.getUint32(offset + 4, true);
    const end = offset + 12 + hi * 2 ** 32 + lo;
    return end <= data.length ? end : undefined;
  }
  if (len >= 0xfffffff0) return undefined;
  const end = offset + 4 + len;
  return end <= data.length ? end : undefined;
}
