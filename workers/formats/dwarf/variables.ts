/**
 * Variables and scopes: which variables are visible at a pc in a frame
 * (lexical blocks, inlined subroutines with their abstract origins, the
 * function's parameters, file statics and globals), where they are
 * (DW_AT_location: expressions and location lists, DW_AT_const_value), and
 * their values read through a frame's registers and memory.
 */
import type { ElfImage } from '../elf';
import { SymbolTable } from '../elf';
import { DwarfError, StringSection } from './reader';
import { parseLineProgram } from './line';
import { AT, DieTree, TAG, type Die, type DieUnit } from './die';
import { evaluateLocation, locationListAt, Unavailable, type EvalContext, type Location } from './location';
import { INT as INT_TYPE, TypeBuilder, valueSize, type Type } from './types';
import { readLocation, type FormatEnv, type Value } from './value';

/** A frame as the variables see it. */
export interface FrameState {
  /** Frame 0: the pc; outer frames: the return address. */
  pc: number;
  /** Frame 0: pc; outer frames: pc - 1 (inside the call), for scopes and location lists. */
  lookupPc: number;
  /** DWARF register n of this frame: 0-31 x, 32-63 f; undefined = unknown. */
  reg(n: number): bigint | undefined;
  /** The frame's CFA. */
  cfa?: bigint;
  /** 0: the innermost inlined call at pc (or the function); 1: the next one out; ... */
  inlineDepth: number;
  /** The physical caller's frame (for DW_OP_entry_value), with inlineDepth 0. */
  caller?(): FrameState | undefined;
}

export interface Variable {
  name: string;
  die: Die;
  type: Type;
  isParameter: boolean;
}

export type ReadMemory = (addr: bigint, size: number) => Uint8Array | undefined;

export class VariableError extends Error {}

export class Variables {
  readonly tree: DieTree;
  readonly types: TypeBuilder;
  readonly problems: string[] = [];
  private readonly symbols: SymbolTable;
  private functions: { low: number; high: number; die: Die }[] = [];
  private globalsByName = new Map<string, Die[]>();
  private staticsByUnit = new Map<DieUnit, Map<string, Die>>();
  private typesByName = new Map<string, Die>();
  private callSites = new Map<number, Die>();
  private enumerators = new Map<string, Die>();
  private unitRanges: { low: number; high: number; unit: DieUnit }[] = [];

  private constructor(image: ElfImage) {
    const section = (name: string): Uint8Array | undefined => {
      try { return image.sectionData(name); } catch { return undefined; }
    };
    const problem = (m: string): void => { if (this.problems.length < 100) this.problems.push(m); };
    const str = new StringSection(section('.debug_str'), '.debug_str');
    const lineStr = new StringSection(section('.debug_line_str'), '.debug_line_str');
    const line = section('.debug_line');
    const info = section('.debug_info') ?? new Uint8Array();
    this.tree = new DieTree({
      info, abbrev: section('.debug_abbrev'), str, lineStr, strOffsets: section('.debug_str_offsets'), addr: section('.debug_addr'),
      rnglists: section('.debug_rnglists'), ranges: section('.debug_ranges'), loclists: section('.debug_loclists'), loc: section('.debug_loc'),
    }, (off) => {
      if (!line) return undefined;
      try { return parseLineProgram({ line, str, lineStr }, off, () => undefined).program.files; } catch { return undefined; }
    }, problem);
    this.types = new TypeBuilder(this.tree);
    this.symbols = new SymbolTable(image.symbols);
    const zeroIsReal = image.sections.some((s) => (s.flags & 2) !== 0 && s.address === 0 && s.size > 0);
    for (const u of this.tree.units) {
      if (!u.root) continue;
      for (const r of this.tree.ranges(u.root)) if (r.low !== 0 || zeroIsReal) this.unitRanges.push({ ...r, unit: u });
      const statics = new Map<string, Die>();
      this.staticsByUnit.set(u, statics);
      const walk = (d: Die, depth: number): void => {
        for (const c of d.children) {
          if (c.tag === TAG.subprogram) {
            for (const r of this.tree.ranges(c)) if (r.low !== 0 || zeroIsReal) this.functions.push({ ...r, die: c });
            if (depth === 0) {
              const name = this.tree.name(c);
              if (name !== undefined && (this.tree.ranges(c).length > 0)) {
                if (this.tree.attr(c, AT.external)) this.addGlobal(name, c);
                else if (!statics.has(name)) statics.set(name, c);
              }
            }
          }
          if (c.tag === TAG.call_site || c.tag === TAG.GNU_call_site) {
            const ret = c.attrs.get(AT.call_return_pc) ?? c.attrs.get(AT.low_pc);
            if (ret) {
              try { this.callSites.set(this.tree.address(ret, u), c); } catch { /* a bad address: no entry values here */ }
            }
          }
          if (depth === 0 && c.tag === TAG.variable && (c.attrs.has(AT.location) || c.attrs.has(AT.const_value))) {
            const name = this.tree.name(c);
            if (name !== undefined && !discarded(c)) {
              if (this.tree.attr(c, AT.external)) this.addGlobal(name, c);
              // The unit's own definitions (static or not) come first in lookups from its code, as in GDB.
              const known = statics.get(name);
              if (!known || (known.attrs.has(AT.declaration) && !c.attrs.has(AT.declaration))) statics.set(name, c);
            }
          }
          if (c.tag === TAG.enumeration_type) {
            for (const e of c.children) {
              const name = e.tag === TAG.enumerator ? this.tree.name(e) : undefined;
              if (name !== undefined && !this.enumerators.has(name)) this.enumerators.set(name, e);
            }
          }
          if (depth === 0 && (c.tag === TAG.typedef || c.tag === TAG.base_type || c.tag === TAG.structure_type || c.tag === TAG.union_type || c.tag === TAG.enumeration_type)) {
            const name = this.tree.name(c);
            if (name !== undefined) {
              const key = c.tag === TAG.structure_type ? `struct ${name}` : c.tag === TAG.union_type ? `union ${name}` : c.tag === TAG.enumeration_type ? `enum ${name}` : name;
              const known = this.typesByName.get(key);
              if (!known || (known.attrs.has(AT.declaration) && !c.attrs.has(AT.declaration))) this.typesByName.set(key, c);
            }
          }
          if (c.children.length > 0 && c.tag !== TAG.structure_type && c.tag !== TAG.union_type && c.tag !== TAG.enumeration_type) walk(c, depth + 1);
        }
      };
      walk(u.root, 0);
    }
    this.functions.sort((a, b) => a.low - b.low || b.high - a.high);
  }

  static fromElf(image: ElfImage): Variables {
    return new Variables(image);
  }

  private addGlobal(name: string, die: Die): void {
    const list = this.globalsByName.get(name) ?? [];
    list.push(die);
    this.globalsByName.set(name, list);
  }

  /** The innermost subprogram DIE with code at pc. */
  functionDie(pc: number): Die | undefined {
    let best: { low: number; high: number; die: Die } | undefined;
    for (const f of this.functions) {
      if (f.low > pc) break;
      if (pc < f.high && (!best || f.high - f.low < best.high - best.low)) best = f;
    }
    return best?.die;
  }

  private contains(die: Die, pc: number): boolean {
    return this.tree.ranges(die).some((r) => pc >= r.low && pc < r.high);
  }

  /**
   * The scopes of a frame, innermost first: lexical blocks and then the
   * function (or inlined call) block. Blocks without addresses are part of
   * their parent, as in GDB.
   */
  scopes(frame: FrameState): Die[] {
    const fn = this.functionDie(frame.lookupPc);
    if (!fn) return [];
    const pc = frame.lookupPc;
    // The path of blocks containing pc, split at inlined calls.
    const segments: Die[][] = [[fn]];
    let node = fn;
    for (let depth = 0; depth < 256; depth++) {
      let next: Die | undefined;
      for (const c of node.children) {
        if ((c.tag === TAG.lexical_block || c.tag === TAG.inlined_subroutine) && this.contains(c, pc)) { next = c; break; }
      }
      if (!next) break;
      if (next.tag === TAG.inlined_subroutine) segments.push([next]);
      else segments[segments.length - 1].push(next);
      node = next;
    }
    const seg = segments[Math.max(0, segments.length - 1 - frame.inlineDepth)];
    return [...seg].reverse();
  }

  /** The variables a block declares directly (with those in address-less nested blocks, and the abstract origin's unmentioned ones). */
  blockVariables(block: Die): Variable[] {
    const out: Variable[] = [];
    const mentioned = new Set<number>();
    const collect = (d: Die): void => {
      for (const c of d.children) {
        if (c.tag === TAG.variable || c.tag === TAG.formal_parameter) {
          if (c.attrs.has(AT.declaration) && !c.attrs.has(AT.location)) continue;
          const origin = c.attrs.get(AT.abstract_origin);
          if (origin?.cls === 'ref') mentioned.add(origin.v);
          const name = this.tree.name(c);
          if (name === undefined) continue;
          out.push({ name, die: c, type: this.types.of(this.tree.typeOf(c)), isParameter: c.tag === TAG.formal_parameter });
        } else if (c.tag === TAG.lexical_block) {
          const o = c.attrs.get(AT.abstract_origin);
          if (o?.cls === 'ref') mentioned.add(o.v);
          if (this.tree.ranges(c).length === 0 && !o) collect(c);
        }
      }
    };
    collect(block);
    // GDB's inherit_abstract_dies: the abstract instance's variables that the concrete one does not mention.
    const origin = this.tree.ref(block, AT.abstract_origin) ?? (block.tag === TAG.subprogram ? this.tree.ref(block, AT.specification) : undefined);
    if (origin && origin !== block) {
      // Abstract lexical blocks the concrete one does not have hold no code: their variables belong here (as in GDB).
      const inherit = (d: Die, depth: number): void => {
        for (const c of d.children) {
          if (mentioned.has(c.offset)) continue;
          if (c.tag === TAG.variable || c.tag === TAG.formal_parameter) {
            const name = this.tree.name(c);
            if (name === undefined || c.attrs.has(AT.declaration)) continue;
            out.push({ name, die: c, type: this.types.of(this.tree.typeOf(c)), isParameter: c.tag === TAG.formal_parameter });
          } else if (c.tag === TAG.lexical_block && depth < 64) inherit(c, depth + 1);
        }
      };
      inherit(origin, 0);
    }
    return out;
  }

  /** `info locals`: the innermost block's locals first, as GDB orders them (see gdbOrder). */
  locals(frame: FrameState): Variable[] {
    const out: Variable[] = [];
    for (const b of this.scopes(frame)) {
      const vars = this.blockVariables(b).filter((v) => !v.isParameter);
      const isFunctionBlock = b.tag === TAG.subprogram || b.tag === TAG.inlined_subroutine;
      out.push(...(isFunctionBlock ? vars : gdbHashedOrder(vars)));
    }
    return out;
  }

  /** `info args`: the parameters of the frame's function (or inlined call). */
  args(frame: FrameState): Variable[] {
    const s = this.scopes(frame);
    const fn = s[s.length - 1];
    return fn ? this.blockVariables(fn).filter((v) => v.isParameter) : [];
  }

  /** A name as C scoping sees it at the frame: blocks inside out, the unit's statics, then the globals. */
  lookup(name: string, frame: FrameState | undefined): Variable | Die | undefined {
    if (frame) {
      for (const b of this.scopes(frame)) {
        const hit = this.blockVariables(b).find((v) => v.name === name);
        if (hit) return hit;
      }
    }
    const unit = frame ? this.unitAt(frame.lookupPc) : undefined;
    const st = unit ? this.staticsByUnit.get(unit)?.get(name) : undefined;
    if (st) return st;
    const g = this.globalsByName.get(name);
    if (g?.length) return g.find((d) => d.tag === TAG.variable) ?? g[0];
    for (const m of this.staticsByUnit.values()) {
      const d = m.get(name);
      if (d) return d;
    }
    return this.enumerators.get(name);
  }

  /** An enumerator (DW_TAG_enumerator) as a value of its enumeration type. */
  enumeratorValue(die: Die): Value {
    const type = die.parent ? this.types.of(die.parent) : INT_TYPE;
    return constValue(die.attrs.get(AT.const_value) ?? { cls: 'const', v: 0 }, type);
  }

  unitAt(pc: number): DieUnit | undefined {
    const fn = this.functionDie(pc);
    if (fn) return fn.unit;
    return this.unitRanges.find((r) => pc >= r.low && pc < r.high)?.unit;
  }

  /** A type by name: "int", "struct stats", a typedef. */
  typeNamed(name: string): Type | undefined {
    const d = this.typesByName.get(name);
    return d ? this.types.of(d) : undefined;
  }

  /** The value of a variable DIE in a frame (globals: frame may be undefined). */
  value(die: Die, frame: FrameState | undefined, mem: ReadMemory): Value {
    const type = this.types.of(this.tree.typeOf(die));
    const cv = this.tree.attr(die, AT.const_value);
    if (cv && !die.attrs.has(AT.location)) {
      // A string constant (DW_FORM_strp and friends): the characters and their NUL.
      let text: string | undefined;
      try {
        text = cv.cls === 'block' || cv.cls === 'const' || cv.cls === 'sconst' ? undefined : this.tree.string(cv, die.unit);
      } catch (e) {
        // A string offset outside .debug_str: this value's error, not the session's.
        if (e instanceof DwarfError) throw new VariableError(`DW_AT_const_value: ${e.message}`);
        throw e;
      }
      if (text !== undefined) return constValue({ cls: 'block', v: 0, bytes: new Uint8Array([...new TextEncoder().encode(text), 0]) }, type);
      return constValue(cv, type);
    }
    const loc = this.location(die, frame, mem);
    return readLocation(loc, type, { reg: (n) => frame?.reg(n), mem });
  }

  /** Where a variable is at the frame's pc; `optimized` when nowhere. */
  location(die: Die, frame: FrameState | undefined, mem: ReadMemory): Location {
    const attr = die.attrs.get(AT.location);
    if (!attr) return { kind: 'optimized' };
    const u = die.unit;
    let expr: Uint8Array | undefined;
    try {
      if (attr.cls === 'block') expr = attr.bytes;
      else if (attr.cls === 'secoff' || attr.cls === 'const' || attr.cls === 'loclistx') {
        if (!frame) return { kind: 'optimized' };
        let offset = attr.v;
        if (attr.cls === 'loclistx') offset = u.loclistsBase + this.tree.indexed(this.tree.s.loclists, '.debug_loclists', u.loclistsBase, attr.v, u.offsetSize);
        expr = locationListAt(u.version >= 5 ? this.tree.s.loclists : this.tree.s.loc, offset, u, frame.lookupPc, (i) => this.tree.addrx(u, i));
      }
      if (!expr) return { kind: 'optimized' };
      return evaluateLocation(expr, this.context(die, frame, mem));
    } catch (e) {
      if (e instanceof Unavailable) return { kind: 'optimized' };
      if (e instanceof DwarfError) throw new VariableError(e.message);
      throw e;
    }
  }

  private context(die: Die, frame: FrameState | undefined, mem: ReadMemory): EvalContext {
    const u = die.unit;
    const ctx: EvalContext = {
      unit: u,
      reg: (n) => frame?.reg(n),
      mem,
      addrx: (i) => this.tree.addrx(u, i),
      baseType: (off) => {
        const d = this.tree.die(off);
        if (!d) return undefined;
        return { size: d.attrs.get(AT.byte_size)?.v ?? 0, encoding: d.attrs.get(AT.encoding)?.v ?? 5 };
      },
    };
    if (frame) {
      if (frame.cfa !== undefined) ctx.cfa = frame.cfa;
      ctx.frameBase = () => this.frameBase(frame, mem);
      ctx.entryValue = (sub) => this.entryValue(frame, sub, mem);
    }
    return ctx;
  }

  private frameBase(frame: FrameState, mem: ReadMemory): bigint | undefined {
    const fn = this.functionDie(frame.lookupPc);
    const fb = fn?.attrs.get(AT.frame_base);
    if (!fn || !fb) return undefined;
    let expr = fb.bytes;
    if (fb.cls !== 'block') {
      expr = locationListAt(fn.unit.version >= 5 ? this.tree.s.loclists : this.tree.s.loc, fb.v, fn.unit, frame.lookupPc, (i) => this.tree.addrx(fn.unit, i));
    }
    if (!expr) return undefined;
    const loc = evaluateLocation(expr, { ...this.context(fn, frame, mem), frameBase: undefined });
    if (loc.kind === 'memory') return loc.addr;
    if (loc.kind === 'register') return frame.reg(loc.reg);
    return undefined;
  }

  /**
   * DW_OP_entry_value(expr): the value of a register on entry to the
   * frame's function, from the caller's DW_TAG_call_site_parameter for the
   * call that returns to the caller's pc (as GDB resolves it).
   */
  private entryValue(frame: FrameState, sub: Uint8Array, mem: ReadMemory): bigint | undefined {
    const caller = frame.caller?.();
    if (!caller) return undefined;
    const site = this.callSites.get(caller.pc);
    if (!site) return undefined;
    // The call must be to this frame's function (GDB checks the call site's target).
    const origin = this.tree.ref(site, AT.call_origin) ?? this.tree.ref(site, AT.abstract_origin);
    const fn = this.functionDie(frame.lookupPc);
    if (origin && fn) {
      const same = (a: Die, b: Die): boolean => {
        for (let d: Die | undefined = a, n = 0; d && n < 8; d = this.tree.ref(d, AT.abstract_origin) ?? this.tree.ref(d, AT.specification), n++) if (d === b) return true;
        return false;
      };
      const target = origin;
      if (!same(fn, target) && !same(target, fn)) {
        const fnName = this.tree.name(fn);
        if (fnName === undefined || fnName !== this.tree.name(target)) return undefined;
      }
    }
    for (const p of site.children) {
      if (p.tag !== TAG.call_site_parameter && p.tag !== TAG.GNU_call_site_parameter) continue;
      const loc = p.attrs.get(AT.location);
      if (!loc?.bytes || !sameBytes(loc.bytes, sub)) continue;
      const val = p.attrs.get(AT.call_value) ?? p.attrs.get(AT.GNU_call_site_value);
      if (!val?.bytes) return undefined;
      try {
        const r = evaluateLocation(val.bytes, this.context(p, caller, mem));
        if (r.kind === 'memory') return r.addr;
        if (r.kind === 'register') return caller.reg(r.reg);
        if (r.kind === 'value') {
          let x = 0n;
          for (let i = r.bytes.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(r.bytes[i]);
          return x;
        }
      } catch (e) {
        if (e instanceof Unavailable || e instanceof DwarfError) return undefined;
        throw e;
      }
      return undefined;
    }
    return undefined;
  }

  /** The value of a function name: the function itself (`{int (void)} 0x80000210 <main>`). */
  functionValue(die: Die): Value | undefined {
    const r = this.tree.ranges(die)[0];
    if (!r) return undefined;
    return { type: this.types.of(die), bytes: new Uint8Array(0), address: BigInt(r.low) };
  }

  /** What value formatting needs: memory and symbols (functions and data objects by the ELF symbol table). */
  formatEnv(mem: ReadMemory): FormatEnv {
    return {
      mem,
      symbolize: (addr, isFunction) => {
        if (addr > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
        const hit = this.symbols.symbolize(Number(addr));
        if (!hit) return undefined;
        const s = hit.symbol;
        if (s.kind === 'other' && !isFunction) return undefined;
        if (s.size > 0 && hit.offset >= s.size) return undefined;
        if (s.size === 0 && hit.offset !== 0) return undefined;
        return hit.offset === 0 ? s.name : `${s.name}+${hit.offset}`;
      },
    };
  }
}

/** A variable whose storage the linker discarded (--gc-sections leaves DW_OP_addr 0). */
function discarded(die: Die): boolean {
  const b = die.attrs.get(AT.location)?.bytes;
  return b !== undefined && b.length === 9 && b[0] === 0x03 && b.subarray(1).every((x) => x === 0);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function constValue(cv: { cls: string; v: number; big?: bigint; bytes?: Uint8Array }, type: Type): Value {
  const size = valueSize(type);
  const bytes = new Uint8Array(size);
  if (cv.bytes) bytes.set(cv.bytes.subarray(0, size));
  else {
    let x = cv.big ?? BigInt(cv.v);
    for (let i = 0; i < size; i++) { bytes[i] = Number(BigInt.asUintN(8, x)); x >>= 8n; }
  }
  return { type, bytes };
}

/** GDB's symbol hash (default_search_name_hash for plain C names). */
function gdbHash(name: string): number {
  const next = (h: number, c: string): number => (Math.imul(h, 67) + c.toLowerCase().charCodeAt(0) - 113) >>> 0;
  const iw = (): number => {
    let h = 0;
    for (const c of name) { if (c === '(') break; if (c !== ' ') h = next(h, c); }
    return h;
  };
  if (name.startsWith('_')) return iw();
  let h = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    if (c === '$' || c === '.' || c === 'X') { if (i === 0) return iw(); }
    if (c === ' ' || c === '(') return iw();
    if (c === '_' && name[i + 1] === '_' && i !== 0) {
      const c2 = name[i + 2] ?? '';
      if ((c2 < 'a' || c2 > 'z') && c2 !== 'O') return h;
      h = 0;
      i += 1;
      continue;
    }
    if (c === 'T' && name.slice(i) === 'TKB') return h;
    h = next(h, c);
  }
  return h;
}

/**
 * GDB keeps the symbols of a lexical block (not a function's) in a hash
 * table and lists them in bucket order: this reproduces that order so that
 * `info locals` prints what GDB prints, in the same order.
 */
function gdbHashedOrder(vars: Variable[]): Variable[] {
  const n = Math.floor((vars.length * 5) / 4) + 1;
  const buckets: Variable[][] = Array.from({ length: n }, () => []);
  // Inserted last to first, each at the head of its bucket: a bucket lists them first to last.
  for (let i = vars.length - 1; i >= 0; i--) buckets[gdbHash(vars[i].name) % n].unshift(vars[i]);
  return buckets.flat();
}
