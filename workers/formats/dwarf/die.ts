/**
 * The whole DIE tree of .debug_info (DWARF 2 to 5), for variables and
 * types: every DIE with every attribute, blocks and expressions included.
 * info.ts reads only what naming functions needs, in one fast pass; this is
 * read lazily, the first time a variable or a type is asked for.
 */
import { DwarfError, Reader, StringSection, TWO_53, hex } from './reader';

export interface DieSections {
  info: Uint8Array;
  abbrev: Uint8Array | undefined;
  str: StringSection;
  lineStr: StringSection;
  strOffsets: Uint8Array | undefined;
  addr: Uint8Array | undefined;
  rnglists: Uint8Array | undefined;
  ranges: Uint8Array | undefined;
  loclists: Uint8Array | undefined;
  loc: Uint8Array | undefined;
}

export type AttrClass =
  | 'addr' | 'addrx' | 'const' | 'sconst' | 'ref' | 'secoff' | 'loclistx' | 'rnglistx'
  | 'string' | 'strp' | 'line_strp' | 'strx' | 'block' | 'other';

export interface Attr {
  cls: AttrClass;
  form: number;
  v: number;
  /** The exact value of 8-byte constants. */
  big?: bigint;
  s?: string;
  bytes?: Uint8Array;
}

export interface DieUnit {
  offset: number;
  version: number;
  addressSize: number;
  offsetSize: 4 | 8;
  base: number;
  strOffsetsBase: number;
  addrBase: number;
  rnglistsBase: number;
  loclistsBase: number;
  /** File names of the unit's line program, by index. */
  files: (string | undefined)[];
  root: Die | undefined;
}

export interface Die {
  offset: number;
  tag: number;
  unit: DieUnit;
  parent: Die | undefined;
  children: Die[];
  attrs: Map<number, Attr>;
}

export const TAG = {
  array_type: 0x01, enumeration_type: 0x04, formal_parameter: 0x05, label: 0x0a, lexical_block: 0x0b, member: 0x0d,
  pointer_type: 0x0f, reference_type: 0x10, compile_unit: 0x11, structure_type: 0x13, subroutine_type: 0x15,
  typedef: 0x16, union_type: 0x17, unspecified_parameters: 0x18, inlined_subroutine: 0x1d, subrange_type: 0x21,
  base_type: 0x24, const_type: 0x26, enumerator: 0x28, subprogram: 0x2e, variable: 0x34, volatile_type: 0x35,
  restrict_type: 0x37, unspecified_type: 0x3b, partial_unit: 0x3c, rvalue_reference_type: 0x42, atomic_type: 0x47,
  call_site: 0x48, call_site_parameter: 0x49, skeleton_unit: 0x4a, GNU_call_site: 0x4109, GNU_call_site_parameter: 0x410a,
} as const;

export const AT = {
  sibling: 0x01, location: 0x02, name: 0x03, byte_size: 0x0b, bit_offset: 0x0c, bit_size: 0x0d, stmt_list: 0x10,
  low_pc: 0x11, high_pc: 0x12, language: 0x13, const_value: 0x1c, inline: 0x20, upper_bound: 0x2f,
  lower_bound: 0x22, abstract_origin: 0x31, count: 0x37, data_member_location: 0x38, decl_file: 0x3a, decl_line: 0x3b,
  declaration: 0x3c, encoding: 0x3e, external: 0x3f, frame_base: 0x40, specification: 0x47, type: 0x49,
  ranges: 0x55, data_bit_offset: 0x6b, linkage_name: 0x6e, str_offsets_base: 0x72, addr_base: 0x73,
  rnglists_base: 0x74, loclists_base: 0x8c, call_return_pc: 0x7d, call_value: 0x7e, call_origin: 0x7f,
  call_pc: 0x81, call_target: 0x83, GNU_call_site_value: 0x2111, GNU_addr_base: 0x2133, prototyped: 0x27,
} as const;

const F = {
  addr: 0x01, block2: 0x03, block4: 0x04, data2: 0x05, data4: 0x06, data8: 0x07, string: 0x08, block: 0x09,
  block1: 0x0a, data1: 0x0b, flag: 0x0c, sdata: 0x0d, strp: 0x0e, udata: 0x0f, ref_addr: 0x10, ref1: 0x11,
  ref2: 0x12, ref4: 0x13, ref8: 0x14, ref_udata: 0x15, indirect: 0x16, sec_offset: 0x17, exprloc: 0x18,
  flag_present: 0x19, strx: 0x1a, addrx: 0x1b, ref_sup4: 0x1c, strp_sup: 0x1d, data16: 0x1e, line_strp: 0x1f,
  ref_sig8: 0x20, implicit_const: 0x21, loclistx: 0x22, rnglistx: 0x23, ref_sup8: 0x24, strx1: 0x25,
  strx2: 0x26, strx3: 0x27, strx4: 0x28, addrx1: 0x29, addrx2: 0x2a, addrx3: 0x2b, addrx4: 0x2c,
  GNU_addr_index: 0x1f01, GNU_str_index: 0x1f02, GNU_ref_alt: 0x1f20, GNU_strp_alt: 0x1f21,
} as const;

interface AttrSpec { name: number; form: number; implicit: number }
interface Abbrev { tag: number; hasChildren: boolean; attrs: AttrSpec[] }

function parseAbbrevs(data: Uint8Array, offset: number): Map<number, Abbrev> {
  const r = new Reader(data, '.debug_abbrev', offset);
  if (!(offset >= 0 && offset < data.length)) throw r.error(`abbreviation table offset ${hex(offset)} is outside the section`, 0);
  const table = new Map<number, Abbrev>();
  for (;;) {
    const code = r.uleb('abbreviation code');
    if (code === 0) return table;
    const tag = r.uleb('tag');
    const children = r.u8('children flag');
    const attrs: AttrSpec[] = [];
    for (;;) {
      const name = r.uleb('attribute name');
      const form = r.uleb('attribute form');
      if (name === 0 && form === 0) break;
      attrs.push({ name, form, implicit: form === F.implicit_const ? r.sleb('implicit constant') : 0 });
    }
    table.set(code, { tag, hasChildren: children !== 0, attrs });
  }
}

function readAttr(r: Reader, form: number, implicit: number, u: DieUnit): Attr {
  const at = r.pos;
  for (let hops = 0; ; hops++) {
    const f = form;
    const block = (n: number): Attr => ({ cls: 'block', form: f, v: n, bytes: r.bytes(n, 'block') });
    switch (form) {
      case F.addr: return { cls: 'addr', form, v: r.uint(u.addressSize, 'address') };
      case F.block2: return block(r.u16('block length'));
      case F.block4: return block(r.u32('block length'));
      case F.block: case F.exprloc: return block(r.uleb('block length'));
      case F.block1: return block(r.u8('block length'));
      case F.data1: case F.flag: return { cls: 'const', form, v: r.u8() };
      case F.data2: return { cls: 'const', form, v: r.u16() };
      case F.data4: return { cls: 'const', form, v: r.u32() };
      case F.data8: {
        const b = r.bytes(8, 'data8');
        let big = 0n;
        for (let i = 7; i >= 0; i--) big = (big << 8n) | BigInt(b[i]);
        return { cls: 'const', form, v: Number(big), big };
      }
      case F.data16: return { cls: 'block', form, v: 16, bytes: r.bytes(16, 'data16') };
      case F.sdata: return { cls: 'sconst', form, v: r.sleb() };
      case F.udata: return { cls: 'const', form, v: r.uleb() };
      case F.implicit_const: return { cls: 'sconst', form, v: implicit };
      case F.flag_present: return { cls: 'const', form, v: 1 };
      case F.string: return { cls: 'string', form, v: 0, s: r.cstring() };
      case F.strp: return { cls: 'strp', form, v: r.offset(u.offsetSize) };
      case F.line_strp: return { cls: 'line_strp', form, v: r.offset(u.offsetSize) };
      case F.strp_sup: case F.GNU_strp_alt: r.offset(u.offsetSize); return { cls: 'other', form, v: 0 };
      case F.strx: case F.GNU_str_index: return { cls: 'strx', form, v: r.uleb() };
      case F.strx1: return { cls: 'strx', form, v: r.u8() };
      case F.strx2: return { cls: 'strx', form, v: r.u16() };
      case F.strx3: return { cls: 'strx', form, v: r.u24() };
      case F.strx4: return { cls: 'strx', form, v: r.u32() };
      case F.addrx: case F.GNU_addr_index: return { cls: 'addrx', form, v: r.uleb() };
      case F.addrx1: return { cls: 'addrx', form, v: r.u8() };
      case F.addrx2: return { cls: 'addrx', form, v: r.u16() };
      case F.addrx3: return { cls: 'addrx', form, v: r.u24() };
      case F.addrx4: return { cls: 'addrx', form, v: r.u32() };
      case F.ref_addr: return { cls: 'ref', form, v: u.version <= 2 ? r.uint(u.addressSize) : r.offset(u.offsetSize) };
      case F.ref1: return { cls: 'ref', form, v: u.offset + r.u8() };
      case F.ref2: return { cls: 'ref', form, v: u.offset + r.u16() };
      case F.ref4: return { cls: 'ref', form, v: u.offset + r.u32() };
      case F.ref8: return { cls: 'ref', form, v: u.offset + r.u64() };
      case F.ref_udata: return { cls: 'ref', form, v: u.offset + r.uleb() };
      case F.ref_sig8: r.skip(8, 'type signature'); return { cls: 'other', form, v: 0 };
      case F.ref_sup4: r.skip(4, 'reference'); return { cls: 'other', form, v: 0 };
      case F.ref_sup8: r.skip(8, 'reference'); return { cls: 'other', form, v: 0 };
      case F.GNU_ref_alt: r.offset(u.offsetSize); return { cls: 'other', form, v: 0 };
      case F.sec_offset: return { cls: 'secoff', form, v: r.offset(u.offsetSize) };
      case F.loclistx: return { cls: 'loclistx', form, v: r.uleb() };
      case F.rnglistx: return { cls: 'rnglistx', form, v: r.uleb() };
      case F.indirect:
        if (hops > 16) throw r.error('DW_FORM_indirect chain is too long', at);
        form = r.uleb('indirect form');
        continue;
      default:
        throw r.error(`unknown attribute form ${hex(form)}`, at);
    }
  }
}

/** The DIE trees of all units, with lookups by offset; strings, addresses and range lists resolved on demand. */
export class DieTree {
  readonly units: DieUnit[] = [];
  private readonly byOffset = new Map<number, Die>();
  private readonly badNames = new Set<number>();

  constructor(
    readonly s: DieSections,
    filesOf: (stmtList: number) => (string | undefined)[] | undefined,
    private readonly problem: (m: string) => void,
  ) {
    const info = s.info;
    const abbrevCache = new Map<number, Map<number, Abbrev>>();
    let offset = 0;
    while (offset < info.length) {
      const r = new Reader(info, '.debug_info', offset);
      let next: number;
      let offsetSize: 4 | 8;
      try {
        const h = r.initialLength('compilation unit');
        next = r.pos + h.length;
        offsetSize = h.offsetSize;
      } catch (e) {
        if (!(e instanceof DwarfError)) throw e;
        problem(e.message);
        break;
      }
      try {
        this.parseUnit(r, offset, next, offsetSize, abbrevCache, filesOf);
      } catch (e) {
        if (!(e instanceof DwarfError)) throw e;
        problem(e.message);
      }
      offset = next;
    }
  }

  private parseUnit(r: Reader, unitOffset: number, end: number, offsetSize: 4 | 8, cache: Map<number, Map<number, Abbrev>>,
    filesOf: (stmtList: number) => (string | undefined)[] | undefined): void {
    r.limit = end;
    const version = r.u16('version');
    if (version < 2 || version > 5) throw r.error(`unsupported compilation unit version ${version}`);
    let addressSize: number;
    let abbrevOffset: number;
    let unitType = 1;
    if (version >= 5) {
      unitType = r.u8('unit type');
      addressSize = r.u8('address size');
      abbrevOffset = r.offset(offsetSize, 'abbreviation offset');
      if (unitType === 4 || unitType === 5) r.skip(8, 'DWO id');
      else if (unitType === 2 || unitType === 6) return;
    } else {
      abbrevOffset = r.offset(offsetSize, 'abbreviation offset');
      addressSize = r.u8('address size');
    }
    if (this.s.abbrev === undefined) throw new DwarfError('no .debug_abbrev section');
    let abbrevs = cache.get(abbrevOffset);
    if (!abbrevs) { abbrevs = parseAbbrevs(this.s.abbrev, abbrevOffset); cache.set(abbrevOffset, abbrevs); }
    const u: DieUnit = {
      offset: unitOffset, version, addressSize, offsetSize, base: 0, strOffsetsBase: 0, addrBase: 0, rnglistsBase: 0,
      loclistsBase: 0, files: [], root: undefined,
    };
    this.units.push(u);
    let parent: Die | undefined;
    while (r.pos < end) {
      const dieOffset = r.pos;
      const code = r.uleb('abbreviation code');
      if (code === 0) { parent = parent?.parent; continue; }
      const ab = abbrevs.get(code);
      if (!ab) throw r.error(`DIE has abbreviation code ${code}, which is not in its table`, dieOffset);
      const attrs = new Map<number, Attr>();
      for (const a of ab.attrs) {
        const v = readAttr(r, a.form, a.implicit, u);
        if (!attrs.has(a.name)) attrs.set(a.name, v);
      }
      const die: Die = { offset: dieOffset, tag: ab.tag, unit: u, parent, children: [], attrs };
      this.byOffset.set(dieOffset, die);
      if (parent) parent.children.push(die);
      else if (!u.root) {
        u.root = die;
        const num = (n: number): number | undefined => attrs.get(n)?.v;
        u.strOffsetsBase = num(AT.str_offsets_base) ?? 0;
        u.addrBase = num(AT.addr_base) ?? num(AT.GNU_addr_base) ?? 0;
        u.rnglistsBase = num(AT.rnglists_base) ?? 0;
        u.loclistsBase = num(AT.loclists_base) ?? 0;
        const low = attrs.get(AT.low_pc);
        if (low) u.base = this.address(low, u);
        const stmt = attrs.get(AT.stmt_list);
        if (stmt) u.files = filesOf(stmt.v) ?? [];
      } else {
        continue; // padding after the unit DIE
      }
      if (ab.hasChildren) parent = die;
    }
  }

  die(offset: number): Die | undefined {
    return this.byOffset.get(offset);
  }

  /** The DIE an attribute refers to. */
  ref(die: Die, at: number): Die | undefined {
    const a = die.attrs.get(at);
    return a?.cls === 'ref' ? this.byOffset.get(a.v) : undefined;
  }

  /** An attribute of the DIE or of its abstract origin / specification (as GDB's dwarf2_attr does). */
  attr(die: Die, at: number): Attr | undefined {
    let d: Die | undefined = die;
    for (let hops = 0; d && hops < 8; hops++) {
      const a = d.attrs.get(at);
      if (a) return a;
      d = this.ref(d, AT.abstract_origin) ?? this.ref(d, AT.specification);
    }
    return undefined;
  }

  /** The DIE's type, following abstract origins. */
  typeOf(die: Die): Die | undefined {
    const a = this.attr(die, AT.type);
    return a?.cls === 'ref' ? this.byOffset.get(a.v) : undefined;
  }

  /**
   * The DIE's DW_AT_name, or undefined when it has none or it cannot be read
   * (a string offset outside .debug_str): that is reported as a problem, so a
   * bad name costs its DIE its name, not the whole debug info.
   */
  name(die: Die): string | undefined {
    const a = this.attr(die, AT.name);
    if (!a) return undefined;
    try {
      return this.string(a, die.unit);
    } catch (e) {
      if (!(e instanceof DwarfError)) throw e;
      // Once per DIE: names are looked up again and again.
      if (!this.badNames.has(die.offset)) this.problem(`DIE at ${hex(die.offset)}: DW_AT_name: ${e.message}`);
      this.badNames.add(die.offset);
      return undefined;
    }
  }

  string(a: Attr, u: DieUnit): string | undefined {
    const where = `DWARF .debug_info unit at ${hex(u.offset)}`;
    switch (a.cls) {
      case 'string': return a.s;
      case 'strp': return this.s.str.get(a.v, where);
      case 'line_strp': return this.s.lineStr.get(a.v, where);
      case 'strx': return this.s.str.get(this.indexed(this.s.strOffsets, '.debug_str_offsets', u.strOffsetsBase, a.v, u.offsetSize), where);
      default: return undefined;
    }
  }

  indexed(data: Uint8Array | undefined, name: string, base: number, index: number, size: number): number {
    if (!data) throw new DwarfError(`no ${name} section`);
    const at = base + index * size;
    if (!(at >= 0 && at + size <= data.length)) throw new DwarfError(`index ${index} is outside ${name}`);
    return new Reader(data, name, at).uint(size);
  }

  address(a: Attr, u: DieUnit): number {
    if (a.cls === 'addr') return a.v;
    if (a.cls === 'addrx') return this.indexed(this.s.addr, '.debug_addr', u.addrBase, a.v, u.addressSize);
    throw new DwarfError('address attribute with a non-address form');
  }

  /** Address index `i` of the unit's .debug_addr table (DW_OP_addrx, DW_LLE_*x). */
  addrx(u: DieUnit, i: number): number {
    return this.indexed(this.s.addr, '.debug_addr', u.addrBase, i, u.addressSize);
  }

  /** The code ranges of a DIE (low/high pc or DW_AT_ranges); [] when it has none. */
  ranges(die: Die): { low: number; high: number }[] {
    const u = die.unit;
    const rg = die.attrs.get(AT.ranges);
    try {
      if (rg) {
        let off = rg.v;
        if (rg.cls === 'rnglistx') off = u.rnglistsBase + this.indexed(this.s.rnglists, '.debug_rnglists', u.rnglistsBase, rg.v, u.offsetSize);
        return u.version >= 5 ? this.rnglist(off, u) : this.debugRanges(off, u);
      }
      const low = die.attrs.get(AT.low_pc);
      const high = die.attrs.get(AT.high_pc);
      if (!low || !high) return [];
      const lo = this.address(low, u);
      const hi = high.cls === 'const' || high.cls === 'sconst' ? lo + high.v : this.address(high, u);
      return lo < hi && hi <= TWO_53 ? [{ low: lo, high: hi }] : [];
    } catch (e) {
      if (!(e instanceof DwarfError)) throw e;
      return [];
    }
  }

  private rnglist(offset: number, u: DieUnit): { low: number; high: number }[] {
    const data = this.s.rnglists;
    if (!data) return [];
    const r = new Reader(data, '.debug_rnglists', offset);
    const out: { low: number; high: number }[] = [];
    let base = u.base;
    for (let n = 0; n < 100_000; n++) {
      const kind = r.u8();
      switch (kind) {
        case 0: return out;
        case 1: base = this.addrx(u, r.uleb()); break;
        case 2: { const a = this.addrx(u, r.uleb()); out.push({ low: a, high: this.addrx(u, r.uleb()) }); break; }
        case 3: { const a = this.addrx(u, r.uleb()); out.push({ low: a, high: a + r.uleb() }); break; }
        case 4: { const a = r.uleb(); out.push({ low: base + a, high: base + r.uleb() }); break; }
        case 5: base = r.uint(u.addressSize); break;
        case 6: { const a = r.uint(u.addressSize); out.push({ low: a, high: r.uint(u.addressSize) }); break; }
        case 7: { const a = r.uint(u.addressSize); out.push({ low: a, high: a + r.uleb() }); break; }
        default: throw r.error(`unknown range list entry kind ${hex(kind)}`);
      }
    }
    return out;
  }

  private debugRanges(offset: number, u: DieUnit): { low: number; high: number }[] {
    const data = this.s.ranges;
    if (!data) return [];
    const r = new Reader(data, '.debug_ranges', offset);
    const size = u.addressSize;
    const max = size === 8 ? 2 ** 64 - 1 : 2 ** 32 - 1;
    const out: { low: number; high: number }[] = [];
    let base = u.base;
    for (let n = 0; n < 100_000; n++) {
      const a = r.uint(size);
      const b = r.uint(size);
      if (a === 0 && b === 0) return out;
      if (a >= max) base = b;
      else if (a < b) out.push({ low: base + a, high: base + b });
    }
    return out;
  }
}
