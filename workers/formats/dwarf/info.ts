/**
 * Just enough of .debug_info (DWARF 2 to 5, DWARF 5 section 7.5) to name
 * functions and find their code: compilation units, abbreviation tables,
 * every attribute form (to step over them), and from the DIEs only
 * DW_TAG_subprogram and DW_TAG_inlined_subroutine with their names, address
 * ranges (low_pc/high_pc or DW_AT_ranges in .debug_rnglists/.debug_ranges),
 * declaration and call positions.
 */
import { DwarfError, Reader, StringSection, TWO_53, hex } from './reader';
import type { LineProgram } from './line';

export interface Range {
  low: number;
  /** Exclusive. */
  high: number;
}

export interface InfoSections {
  info: Uint8Array;
  abbrev: Uint8Array | undefined;
  str: StringSection;
  lineStr: StringSection;
  strOffsets: Uint8Array | undefined;
  addr: Uint8Array | undefined;
  rnglists: Uint8Array | undefined;
  /** DWARF 2-4 range lists. */
  ranges: Uint8Array | undefined;
}

/** What a subprogram DIE (concrete, abstract or declaration) says about itself. */
export interface SubprogramRecord {
  name?: string;
  /** DW_AT_abstract_origin or DW_AT_specification: where the rest of the description is (a .debug_info offset). */
  origin?: number;
  file?: string;
  line?: number;
}

/** An inlined call (DW_TAG_inlined_subroutine). */
export interface InlineNode {
  /** .debug_info offset of the inlined function's abstract subprogram DIE. */
  origin: number;
  ranges: Range[];
  callFile?: string;
  callLine?: number;
  callColumn?: number;
  children: InlineNode[];
}

/** A function with code (a DW_TAG_subprogram with addresses). */
export interface FunctionNode {
  /** .debug_info offset of its DIE. */
  die: number;
  ranges: Range[];
  children: InlineNode[];
  /** What its compilation unit says about itself (shared by the unit's functions). */
  unit?: UnitFacts;
}

/** Facts about a compilation unit that breakpoint placement needs (GDB's locations_valid). */
export interface UnitFacts {
  /** DW_AT_producer, e.g. "GNU C17 12.2.0 -mcmodel=medany -g -O2". */
  producer?: string;
  /** Some variable or parameter of the unit has a location list. */
  hasLocationList: boolean;
}

/**
 * A lexical block with symbols of its own (DW_TAG_lexical_block). GDB makes
 * a block only of those; FILE:LINE breakpoints keep one location per block.
 */
export interface LexicalBlock {
  ranges: Range[];
}

export interface DebugInfoTree {
  functions: FunctionNode[];
  records: Map<number, SubprogramRecord>;
  lexicalBlocks: LexicalBlock[];
}

// Tags.
const DW_TAG_inlined_subroutine = 0x1d;
const DW_TAG_lexical_block = 0x0b;
const DW_TAG_variable = 0x34;
const DW_TAG_formal_parameter = 0x05;
/** Children of a lexical block that are not symbols of its own (GDB creates no block for them alone). */
const NOT_SYMBOLS = new Set([DW_TAG_lexical_block, DW_TAG_inlined_subroutine, 0x48 /* call_site */, 0x4109 /* GNU_call_site */]);
const DW_TAG_subprogram = 0x2e;
const DW_TAG_compile_unit = 0x11;
const DW_TAG_partial_unit = 0x3c;
const DW_TAG_skeleton_unit = 0x4a;
// Attributes.
const DW_AT_location = 0x02;
const DW_AT_name = 0x03;
const DW_AT_producer = 0x25;
const DW_AT_stmt_list = 0x10;
const DW_AT_low_pc = 0x11;
const DW_AT_high_pc = 0x12;
const DW_AT_abstract_origin = 0x31;
const DW_AT_decl_file = 0x3a;
const DW_AT_decl_line = 0x3b;
const DW_AT_specification = 0x47;
const DW_AT_ranges = 0x55;
const DW_AT_call_column = 0x57;
const DW_AT_call_file = 0x58;
const DW_AT_call_line = 0x59;
const DW_AT_linkage_name = 0x6e;
const DW_AT_str_offsets_base = 0x72;
const DW_AT_addr_base = 0x73;
const DW_AT_rnglists_base = 0x74;
const DW_AT_MIPS_linkage_name = 0x2007;
const DW_AT_GNU_addr_base = 0x2133;

const INTERESTING = new Set([
  DW_AT_name, DW_AT_stmt_list, DW_AT_low_pc, DW_AT_high_pc, DW_AT_abstract_origin, DW_AT_decl_file,
  DW_AT_decl_line, DW_AT_specification, DW_AT_ranges, DW_AT_call_column, DW_AT_call_file, DW_AT_call_line,
  DW_AT_linkage_name, DW_AT_str_offsets_base, DW_AT_addr_base, DW_AT_rnglists_base, DW_AT_MIPS_linkage_name,
  DW_AT_GNU_addr_base, DW_AT_producer,
]);

// Forms.
const F = {
  addr: 0x01, block2: 0x03, block4: 0x04, data2: 0x05, data4: 0x06, data8: 0x07, string: 0x08, block: 0x09,
  block1: 0x0a, data1: 0x0b, flag: 0x0c, sdata: 0x0d, strp: 0x0e, udata: 0x0f, ref_addr: 0x10, ref1: 0x11,
  ref2: 0x12, ref4: 0x13, ref8: 0x14, ref_udata: 0x15, indirect: 0x16, sec_offset: 0x17, exprloc: 0x18,
  flag_present: 0x19, strx: 0x1a, addrx: 0x1b, ref_sup4: 0x1c, strp_sup: 0x1d, data16: 0x1e, line_strp: 0x1f,
  ref_sig8: 0x20, implicit_const: 0x21, loclistx: 0x22, rnglistx: 0x23, ref_sup8: 0x24, strx1: 0x25,
  strx2: 0x26, strx3: 0x27, strx4: 0x28, addrx1: 0x29, addrx2: 0x2a, addrx3: 0x2b, addrx4: 0x2c,
  GNU_addr_index: 0x1f01, GNU_str_index: 0x1f02, GNU_ref_alt: 0x1f20, GNU_strp_alt: 0x1f21,
} as const;

/** The class of an attribute value, as far as we need to tell them apart. */
type ValueClass =
  | 'addr' // an address
  | 'addrx' // index into .debug_addr
  | 'const' // unsigned constant (also flags)
  | 'sconst' // signed constant
  | 'ref' // .debug_info offset
  | 'secoff' // offset into another section
  | 'rnglistx'
  | 'string' // inline string, in `s`
  | 'strp' // .debug_str offset
  | 'line_strp' // .debug_line_str offset
  | 'strx' // index into .debug_str_offsets
  | 'other'; // blocks, expressions, references we do not follow

interface Value {
  cls: ValueClass;
  v: number;
  s?: string;
}

interface AttrSpec {
  name: number;
  form: number;
  implicit: number;
}

interface Abbrev {
  tag: number;
  hasChildren: boolean;
  attrs: AttrSpec[];
}

interface Unit {
  offset: number;
  version: number;
  addressSize: number;
  offsetSize: 4 | 8;
  end: number;
  base: number;
  strOffsetsBase: number;
  addrBase: number;
  rnglistsBase: number;
  files: (string | undefined)[];
  rangeCache: Map<number, Range[]>;
}

function parseAbbrevs(data: Uint8Array, offset: number): Map<number, Abbrev> {
  const r = new Reader(data, '.debug_abbrev', offset);
  if (!(offset >= 0 && offset < data.length)) throw r.error(`abbreviation table offset ${hex(offset)} is outside the section (${hex(data.length)} bytes)`, 0);
  const table = new Map<number, Abbrev>();
  for (;;) {
    const at = r.pos;
    const code = r.uleb('abbreviation code');
    if (code === 0) return table;
    const tag = r.uleb('tag');
    const children = r.u8('children flag');
    const attrs: AttrSpec[] = [];
    for (;;) {
      const name = r.uleb('attribute name');
      const form = r.uleb('attribute form');
      if (name === 0 && form === 0) break;
      const implicit = form === F.implicit_const ? r.sleb('implicit constant') : 0;
      attrs.push({ name, form, implicit });
    }
    if (table.has(code)) throw r.error(`abbreviation code ${code} is defined twice`, at);
    table.set(code, { tag, hasChildren: children !== 0, attrs });
  }
}

/** Reads (or steps over) one attribute value. */
function readValue(r: Reader, form: number, implicit: number, u: Unit): Value {
  const at = r.pos;
  for (let hops = 0; ; hops++) {
    switch (form) {
      case F.addr: return { cls: 'addr', v: r.uint(u.addressSize, 'address') };
      case F.block2: r.skip(r.u16('block length'), 'block'); return { cls: 'other', v: 0 };
      case F.block4: r.skip(r.u32('block length'), 'block'); return { cls: 'other', v: 0 };
      case F.block:
      case F.exprloc: r.skip(r.uleb('block length'), 'block'); return { cls: 'other', v: 0 };
      case F.block1: r.skip(r.u8('block length'), 'block'); return { cls: 'other', v: 0 };
      case F.data1:
      case F.flag: return { cls: 'const', v: r.u8() };
      case F.data2: return { cls: 'const', v: r.u16() };
      case F.data4: return { cls: 'const', v: r.u32() };
      case F.data8: return { cls: 'const', v: r.u64() };
      case F.data16: r.skip(16, 'data16 value'); return { cls: 'other', v: 0 };
      case F.sdata: return { cls: 'sconst', v: r.sleb() };
      case F.udata: return { cls: 'const', v: r.uleb() };
      case F.implicit_const: return { cls: 'sconst', v: implicit };
      case F.flag_present: return { cls: 'const', v: 1 };
      case F.string: return { cls: 'string', v: 0, s: r.cstring() };
      case F.strp: return { cls: 'strp', v: r.offset(u.offsetSize) };
      case F.line_strp: return { cls: 'line_strp', v: r.offset(u.offsetSize) };
      case F.strp_sup:
      case F.GNU_strp_alt: r.offset(u.offsetSize); return { cls: 'other', v: 0 };
      case F.strx:
      case F.GNU_str_index: return { cls: 'strx', v: r.uleb() };
      case F.strx1: return { cls: 'strx', v: r.u8() };
      case F.strx2: return { cls: 'strx', v: r.u16() };
      case F.strx3: return { cls: 'strx', v: r.u24() };
      case F.strx4: return { cls: 'strx', v: r.u32() };
      case F.addrx:
      case F.GNU_addr_index: return { cls: 'addrx', v: r.uleb() };
      case F.addrx1: return { cls: 'addrx', v: r.u8() };
      case F.addrx2: return { cls: 'addrx', v: r.u16() };
      case F.addrx3: return { cls: 'addrx', v: r.u24() };
      case F.addrx4: return { cls: 'addrx', v: r.u32() };
      case F.ref_addr: return { cls: 'ref', v: u.version <= 2 ? r.uint(u.addressSize) : r.offset(u.offsetSize) };
      case F.ref1: return { cls: 'ref', v: u.offset + r.u8() };
      case F.ref2: return { cls: 'ref', v: u.offset + r.u16() };
      case F.ref4: return { cls: 'ref', v: u.offset + r.u32() };
      case F.ref8: return { cls: 'ref', v: u.offset + r.u64() };
      case F.ref_udata: return { cls: 'ref', v: u.offset + r.uleb() };
      case F.ref_sig8: r.skip(8, 'type signature'); return { cls: 'other', v: 0 };
      case F.ref_sup4: r.skip(4, 'reference'); return { cls: 'other', v: 0 };
      case F.ref_sup8: r.skip(8, 'reference'); return { cls: 'other', v: 0 };
      case F.GNU_ref_alt: r.offset(u.offsetSize); return { cls: 'other', v: 0 };
      case F.sec_offset: return { cls: 'secoff', v: r.offset(u.offsetSize) };
      case F.loclistx: r.uleb(); return { cls: 'other', v: 0 };
      case F.rnglistx: return { cls: 'rnglistx', v: r.uleb() };
      case F.indirect:
        if (hops > 16) throw r.error('DW_FORM_indirect chain is too long', at);
        form = r.uleb('indirect form');
        if (form === F.implicit_const) throw r.error('DW_FORM_indirect names DW_FORM_implicit_const', at);
        continue;
      default:
        throw r.error(`unknown attribute form ${hex(form)}`, at);
    }
  }
}

/** A bound on the total work spent decoding range lists (they can be shared by many DIEs). */
class Budget {
  constructor(private left: number) {}
  spend(n: number, r: Reader): void {
    this.left -= n;
    if (this.left < 0) throw r.error('range lists are referenced far more often than their size allows');
  }
}

export function parseDebugInfo(
  s: InfoSections,
  lineProgramAt: (offset: number) => LineProgram | undefined,
  problem: (message: string) => void,
): DebugInfoTree {
  const functions: FunctionNode[] = [];
  const records = new Map<number, SubprogramRecord>();
  const lexicalBlocks: LexicalBlock[] = [];
  const abbrevCache = new Map<number, Map<number, Abbrev> | DwarfError>();
  const budget = new Budget(((s.rnglists?.length ?? 0) + (s.ranges?.length ?? 0)) * 4 + 0x100000);
  const info = s.info;

  let offset = 0;
  while (offset < info.length) {
    const r = new Reader(info, '.debug_info', offset);
    let next: number;
    let offsetSize: 4 | 8;
    try {
      const header = r.initialLength('compilation unit');
      next = r.pos + header.length;
      offsetSize = header.offsetSize;
    } catch (e) {
      if (!(e instanceof DwarfError)) throw e;
      problem(`${e.message}; the rest of .debug_info is ignored`);
      break;
    }
    try {
      parseUnit(r, offset, next, offsetSize);
    } catch (e) {
      if (!(e instanceof DwarfError)) throw e;
      problem(e.message);
    }
    offset = next;
  }
  return { functions, records, lexicalBlocks };

  function parseUnit(r: Reader, unitOffset: number, end: number, offsetSize: 4 | 8): void {
    r.limit = end;
    const versionAt = r.pos;
    const version = r.u16('version');
    if (version < 2 || version > 5) throw r.error(`unsupported compilation unit version ${version}`, versionAt);
    let addressSize: number;
    let abbrevOffset: number;
    let unitType = 1;
    if (version >= 5) {
      unitType = r.u8('unit type');
      addressSize = r.u8('address size');
      abbrevOffset = r.offset(offsetSize, 'abbreviation offset');
      if (unitType === 4 || unitType === 5) r.skip(8, 'DWO id');
      else if (unitType === 2 || unitType === 6) {
        r.skip(8, 'type signature');
        r.offset(offsetSize, 'type offset');
      } else if (unitType !== 1 && unitType !== 3) {
        throw r.error(`unknown unit type ${hex(unitType)}`, versionAt + 2);
      }
    } else {
      abbrevOffset = r.offset(offsetSize, 'abbreviation offset');
      addressSize = r.u8('address size');
    }
    if (addressSize !== 4 && addressSize !== 8) throw r.error(`unsupported address size ${addressSize}`);
    if (unitType === 2 || unitType === 6) return; // type units describe no code

    if (s.abbrev === undefined) throw new DwarfError('DWARF .debug_info refers to .debug_abbrev, but there is no such section');
    let abbrevs = abbrevCache.get(abbrevOffset);
    if (abbrevs === undefined) {
      try {
        abbrevs = parseAbbrevs(s.abbrev, abbrevOffset);
      } catch (e) {
        if (!(e instanceof DwarfError)) throw e;
        abbrevs = e;
      }
      abbrevCache.set(abbrevOffset, abbrevs);
    }
    if (abbrevs instanceof DwarfError) {
      throw new DwarfError(`DWARF .debug_info unit at offset ${hex(unitOffset)}: bad abbreviation table: ${abbrevs.message}`);
    }

    const u: Unit = {
      offset: unitOffset, version, addressSize, offsetSize, end, base: 0,
      strOffsetsBase: 0, addrBase: 0, rnglistsBase: 0, files: [], rangeCache: new Map(),
    };

    type Context = FunctionNode | InlineNode | undefined;
    const stack: Context[] = [];
    let ctx: Context;
    // The lexical block being read (its children decide whether it is a block of its own), kept beside ctx.
    type Lexical = { block: LexicalBlock; hasSymbols: boolean } | undefined;
    const lexicalStack: Lexical[] = [];
    let lexical: Lexical;
    const facts: UnitFacts = { hasLocationList: false };
    let first = true;
    const vals = new Map<number, Value>();

    while (r.pos < end) {
      const dieOffset = r.pos;
      const code = r.uleb('abbreviation code');
      if (code === 0) {
        // End of a list of siblings (or padding after the unit's DIE).
        if (stack.length > 0) {
          ctx = stack.pop();
          if (lexical?.hasSymbols && lexical.block.ranges.length > 0) lexicalBlocks.push(lexical.block);
          lexical = lexicalStack.pop();
        }
        continue;
      }
      const ab = abbrevs.get(code);
      if (ab === undefined) throw r.error(`DIE has abbreviation code ${code}, which is not in its table`, dieOffset);
      vals.clear();
      const symbol = ab.tag === DW_TAG_variable || ab.tag === DW_TAG_formal_parameter;
      for (const a of ab.attrs) {
        const v = readValue(r, a.form, a.implicit, u);
        if (INTERESTING.has(a.name) && !vals.has(a.name)) vals.set(a.name, v);
        // GDB's has_loclist: a variable whose location is a location list (not an expression).
        if (symbol && a.name === DW_AT_location && (a.form === F.sec_offset || a.form === F.loclistx ||
          (version < 4 && (a.form === F.data4 || a.form === F.data8)))) facts.hasLocationList = true;
      }
      if (lexical && !NOT_SYMBOLS.has(ab.tag)) lexical.hasSymbols = true;
      const where = `DWARF .debug_info DIE at offset ${hex(dieOffset)}`;
      let childCtx: Context = ctx;

      if (first) {
        first = false;
        if (ab.tag === DW_TAG_compile_unit || ab.tag === DW_TAG_partial_unit || ab.tag === DW_TAG_skeleton_unit) {
          const sob = vals.get(DW_AT_str_offsets_base);
          if (sob) u.strOffsetsBase = sob.v;
          const ab5 = vals.get(DW_AT_addr_base) ?? vals.get(DW_AT_GNU_addr_base);
          if (ab5) u.addrBase = ab5.v;
          const rb = vals.get(DW_AT_rnglists_base);
          if (rb) u.rnglistsBase = rb.v;
          const low = vals.get(DW_AT_low_pc);
          if (low) u.base = address(low, u, where);
          const producer = vals.get(DW_AT_producer);
          if (producer) facts.producer = str(producer, u, where);
          const stmt = vals.get(DW_AT_stmt_list);
          if (stmt && (stmt.cls === 'secoff' || stmt.cls === 'const')) {
            const program = lineProgramAt(stmt.v);
            if (program) u.files = program.files;
          }
        }
      } else if (ab.tag === DW_TAG_subprogram) {
        const rec: SubprogramRecord = {};
        const name = vals.get(DW_AT_name) ?? vals.get(DW_AT_linkage_name) ?? vals.get(DW_AT_MIPS_linkage_name);
        if (name) rec.name = str(name, u, where);
        const origin = vals.get(DW_AT_abstract_origin) ?? vals.get(DW_AT_specification);
        if (origin?.cls === 'ref') rec.origin = origin.v;
        const file = vals.get(DW_AT_decl_file);
        if (file) rec.file = fileName(u, file.v);
        const line = vals.get(DW_AT_decl_line);
        if (line) rec.line = line.v;
        records.set(dieOffset, rec);
        const ranges = pcRanges(vals, u, where);
        if (ranges.length > 0) {
          const fn: FunctionNode = { die: dieOffset, ranges, children: [], unit: facts };
          functions.push(fn);
          childCtx = fn;
        } else {
          childCtx = undefined;
        }
      } else if (ab.tag === DW_TAG_inlined_subroutine) {
        const origin = vals.get(DW_AT_abstract_origin);
        const ranges = pcRanges(vals, u, where);
        if (origin?.cls === 'ref') {
          const node: InlineNode = { origin: origin.v, ranges, children: [] };
          const file = vals.get(DW_AT_call_file);
          if (file) node.callFile = fileName(u, file.v);
          const line = vals.get(DW_AT_call_line);
          if (line) node.callLine = line.v;
          const column = vals.get(DW_AT_call_column);
          if (column) node.callColumn = column.v;
          if (ctx !== undefined && ranges.length > 0) ctx.children.push(node);
          childCtx = node;
        }
      }
      let childLexical: Lexical;
      if (ab.tag === DW_TAG_lexical_block && ctx !== undefined) {
        childLexical = { block: { ranges: pcRanges(vals, u, where) }, hasSymbols: false };
      }
      if (ab.hasChildren) {
        stack.push(ctx);
        ctx = childCtx;
        lexicalStack.push(lexical);
        lexical = childLexical;
      }
    }
  }

  function fileName(u: Unit, index: number): string | undefined {
    return Number.isInteger(index) && index < u.files.length ? u.files[index] : undefined;
  }

  function str(v: Value, u: Unit, where: string): string | undefined {
    switch (v.cls) {
      case 'string': return v.s;
      case 'strp': return s.str.get(v.v, where);
      case 'line_strp': return s.lineStr.get(v.v, where);
      case 'strx': return s.str.get(indexed(s.strOffsets, '.debug_str_offsets', u.strOffsetsBase, v.v, u.offsetSize, where), where);
      default: return undefined;
    }
  }

  /** Entry `index` of an offset/address table (.debug_str_offsets, .debug_addr, .debug_rnglists offsets). */
  function indexed(data: Uint8Array | undefined, name: string, base: number, index: number, size: number, where: string): number {
    if (data === undefined) throw new DwarfError(`${where}: refers to ${name}, but there is no such section`);
    const at = base + index * size;
    if (!(at >= 0 && at + size <= data.length)) {
      throw new DwarfError(`${where}: index ${index} (offset ${hex(at)}) is outside ${name} (${hex(data.length)} bytes)`);
    }
    return new Reader(data, name, at).uint(size);
  }

  function address(v: Value, u: Unit, where: string): number {
    if (v.cls === 'addr') return v.v;
    if (v.cls === 'addrx') return indexed(s.addr, '.debug_addr', u.addrBase, v.v, u.addressSize, where);
    throw new DwarfError(`${where}: address attribute has a non-address form`);
  }

  function pcRanges(vals: Map<number, Value>, u: Unit, where: string): Range[] {
    const ranges = vals.get(DW_AT_ranges);
    if (ranges) {
      if (ranges.cls === 'rnglistx') {
        const rel = indexed(s.rnglists, '.debug_rnglists', u.rnglistsBase, ranges.v, u.offsetSize, where);
        return rangeList(u.rnglistsBase + rel, u, where);
      }
      if (ranges.cls === 'secoff' || ranges.cls === 'const') {
        // DWARF 4 GNU split units add DW_AT_GNU_ranges_base; we do not support split DWARF.
        return rangeList(ranges.v, u, where);
      }
      throw new DwarfError(`${where}: DW_AT_ranges has an unexpected form`);
    }
    const low = vals.get(DW_AT_low_pc);
    const high = vals.get(DW_AT_high_pc);
    if (!low || !high) return [];
    const lo = address(low, u, where);
    const hi = high.cls === 'const' || high.cls === 'sconst' ? lo + high.v : address(high, u, where);
    return valid(lo, hi) ? [{ low: lo, high: hi }] : [];
  }

  function valid(low: number, high: number): boolean {
    return low < high && high <= TWO_53;
  }

  function rangeList(offset: number, u: Unit, where: string): Range[] {
    const cached = u.rangeCache.get(offset);
    if (cached) return cached;
    const out = u.version >= 5 ? rnglist(offset, u, where) : debugRanges(offset, u, where);
    u.rangeCache.set(offset, out);
    return out;
  }

  /** A DWARF 5 range list in .debug_rnglists. */
  function rnglist(offset: number, u: Unit, where: string): Range[] {
    const data = s.rnglists;
    if (data === undefined) throw new DwarfError(`${where}: DW_AT_ranges refers to .debug_rnglists, but there is no such section`);
    const r = new Reader(data, '.debug_rnglists', offset);
    if (!(offset >= 0 && offset < data.length)) throw new DwarfError(`${where}: range list offset ${hex(offset)} is outside .debug_rnglists (${hex(data.length)} bytes)`);
    const out: Range[] = [];
    let base = u.base;
    const addrx = (i: number): number => indexed(s.addr, '.debug_addr', u.addrBase, i, u.addressSize, where);
    const add = (low: number, high: number): void => {
      if (valid(low, high)) out.push({ low, high });
    };
    for (;;) {
      const start = r.pos;
      const kind = r.u8('range list entry kind');
      switch (kind) {
        case 0: // DW_RLE_end_of_list
          budget.spend(r.pos - offset, r);
          return out;
        case 1: base = addrx(r.uleb()); break; // DW_RLE_base_addressx
        case 2: { const a = addrx(r.uleb()); add(a, addrx(r.uleb())); break; } // DW_RLE_startx_endx
        case 3: { const a = addrx(r.uleb()); add(a, a + r.uleb()); break; } // DW_RLE_startx_length
        case 4: { const a = r.uleb(); add(base + a, base + r.uleb()); break; } // DW_RLE_offset_pair
        case 5: base = r.uint(u.addressSize, 'base address'); break; // DW_RLE_base_address
        case 6: { const a = r.uint(u.addressSize); add(a, r.uint(u.addressSize)); break; } // DW_RLE_start_end
        case 7: { const a = r.uint(u.addressSize); add(a, a + r.uleb()); break; } // DW_RLE_start_length
        default:
          throw r.error(`unknown range list entry kind ${hex(kind)}`, start);
      }
    }
  }

  /** A DWARF 2-4 range list in .debug_ranges. */
  function debugRanges(offset: number, u: Unit, where: string): Range[] {
    const data = s.ranges;
    if (data === undefined) throw new DwarfError(`${where}: DW_AT_ranges refers to .debug_ranges, but there is no such section`);
    if (!(offset >= 0 && offset < data.length)) throw new DwarfError(`${where}: range list offset ${hex(offset)} is outside .debug_ranges (${hex(data.length)} bytes)`);
    const r = new Reader(data, '.debug_ranges', offset);
    const size = u.addressSize;
    const max = size === 8 ? 2 ** 64 - 1 : 2 ** 32 - 1;
    const out: Range[] = [];
    let base = u.base;
    for (;;) {
      const a = r.uint(size, 'range start');
      const b = r.uint(size, 'range end');
      if (a === 0 && b === 0) {
        budget.spend(r.pos - offset, r);
        return out;
      }
      if (a >= max) base = b;
      else if (valid(base + a, base + b)) out.push({ low: base + a, high: base + b });
    }
  }
}

/** The name, declaration file and line of a subprogram, following abstract origins and specifications. */
export function describe(records: Map<number, SubprogramRecord>, die: number): SubprogramRecord {
  const out: SubprogramRecord = {};
  let at: number | undefined = die;
  for (let hops = 0; at !== undefined && hops < 16; hops++) {
    const rec = records.get(at);
    if (rec === undefined) break;
    if (out.name === undefined && rec.name !== undefined) out.name = rec.name;
    if (out.file === undefined && rec.file !== undefined) {
      out.file = rec.file;
      out.line = rec.line;
    }
    if (out.name !== undefined && out.file !== undefined) break;
    at = rec.origin;
  }
  return out;
}
