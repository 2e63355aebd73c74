/**
 * C types from DWARF type DIEs, and their names as GDB writes them
 * ("int *", "void (*)(int)", "struct stats", "int [4]").
 */
import { AT, TAG, type Die, type DieTree } from './die';

export const ATE = { address: 1, boolean: 2, complex_float: 3, float: 4, signed: 5, signed_char: 6, unsigned: 7, unsigned_char: 8, UTF: 0x10 } as const;

export interface Member {
  name?: string;
  type: Type;
  /** Byte offset of the member (of its storage unit, for bit fields: bitOffset is from the start of the struct). */
  offset: number;
  bitSize?: number;
  /** Bit offset from the start of the struct (bit fields only), little-endian numbering. */
  bitOffset?: number;
}

export type Type =
  | { kind: 'void' }
  | { kind: 'base'; name: string; size: number; encoding: number }
  | { kind: 'pointer'; target: Type; size: number }
  | { kind: 'reference'; target: Type; size: number }
  /** count undefined: unknown bound (`int []`). Multi-dimensional arrays are arrays of arrays. */
  | { kind: 'array'; element: Type; count: number | undefined }
  | { kind: 'struct' | 'union'; name?: string; size: number; members: Member[]; incomplete?: boolean }
  | { kind: 'enum'; name?: string; size: number; signed: boolean; enumerators: { name: string; value: bigint }[] }
  | { kind: 'typedef'; name: string; target: Type }
  | { kind: 'qualified'; qual: 'const' | 'volatile' | 'restrict' | '_Atomic'; target: Type }
  | { kind: 'function'; ret: Type; params: Type[]; varargs: boolean; prototyped: boolean };

export const VOID: Type = { kind: 'void' };
export const INT: Type = { kind: 'base', name: 'int', size: 4, encoding: ATE.signed };
export const UINT: Type = { kind: 'base', name: 'unsigned int', size: 4, encoding: ATE.unsigned };
export const LONG: Type = { kind: 'base', name: 'long', size: 8, encoding: ATE.signed };
export const ULONG: Type = { kind: 'base', name: 'unsigned long', size: 8, encoding: ATE.unsigned };
export const LONGLONG: Type = { kind: 'base', name: 'long long', size: 8, encoding: ATE.signed };
export const ULONGLONG: Type = { kind: 'base', name: 'unsigned long long', size: 8, encoding: ATE.unsigned };
export const CHAR: Type = { kind: 'base', name: 'char', size: 1, encoding: ATE.unsigned_char };
export const DOUBLE: Type = { kind: 'base', name: 'double', size: 8, encoding: ATE.float };
export const FLOAT: Type = { kind: 'base', name: 'float', size: 4, encoding: ATE.float };

/** GDB's max-value-size: a value larger than this is not read (absurd array bounds in bad debug info). */
export const MAX_VALUE_SIZE = 65536;

export class ValueSizeError extends Error {
  override name = 'ValueSizeError';
}

/** sizeOf(t), refusing sizes no value can have: GDB's "value requires N bytes, which is more than max-value-size". */
export function valueSize(t: Type): number {
  const n = sizeOf(t);
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_VALUE_SIZE) {
    throw new ValueSizeError(`value requires ${Number.isSafeInteger(n) ? n : BigInt(Math.floor(n)).toString()} bytes, which is more than max-value-size`);
  }
  return n;
}

/** The type without typedefs and qualifiers. */
export function strip(t: Type): Type {
  for (let i = 0; i < 64 && (t.kind === 'typedef' || t.kind === 'qualified'); i++) t = t.target;
  return t;
}

export function sizeOf(t: Type): number {
  const s = strip(t);
  switch (s.kind) {
    case 'void': return 1; // as GDB (and GCC) for void * arithmetic
    case 'base': case 'pointer': case 'reference': case 'struct': case 'union': case 'enum': return s.size;
    case 'array': return s.count === undefined ? 0 : s.count * sizeOf(s.element);
    case 'function': return 1;
    default: return 0;
  }
}

export function isInteger(t: Type): boolean {
  const s = strip(t);
  return (s.kind === 'base' && s.encoding !== ATE.float && s.encoding !== ATE.complex_float) || s.kind === 'enum';
}

export function isFloat(t: Type): boolean {
  const s = strip(t);
  return s.kind === 'base' && s.encoding === ATE.float;
}

export function isSigned(t: Type): boolean {
  const s = strip(t);
  if (s.kind === 'enum') return s.signed;
  return s.kind === 'base' && (s.encoding === ATE.signed || s.encoding === ATE.signed_char);
}

export function isCharType(t: Type): boolean {
  const s = strip(t);
  return s.kind === 'base' && s.size === 1 && (s.encoding === ATE.signed_char || s.encoding === ATE.unsigned_char || s.encoding === ATE.UTF);
}

/** GDB's name for a type: "int *", "const char *", "void (*)(int)", "int [4]", "struct stats". */
export function typeName(t: Type): string {
  return declare(t, '');
}

function baseName(t: Type): string {
  switch (t.kind) {
    case 'void': return 'void';
    case 'base': return t.name;
    case 'struct': case 'union': return t.name !== undefined ? `${t.kind} ${t.name}` : `${t.kind} {...}`;
    case 'enum': return t.name !== undefined ? `enum ${t.name}` : 'enum {...}';
    case 'typedef': return t.name;
    default: return '?';
  }
}

function declare(t: Type, inner: string, depth = 0): string {
  if (depth > 64) return `? ${inner}`.trim(); // a cycle of pointers or arrays in bad debug info
  const declare2 = (x: Type, i: string): string => declare(x, i, depth + 1);
  const join = (head: string): string => (inner === '' ? head : inner.startsWith('[') || inner.startsWith('(') ? `${head} ${inner}` : `${head} ${inner}`);
  switch (t.kind) {
    case 'pointer': case 'reference': {
      const star = t.kind === 'pointer' ? '*' : '&';
      const target = t.target;
      const ts = strip(target);
      // A pointer to an array or a function needs parentheses: int (*)[4], void (*)(int).
      const needParens = (target.kind === 'array' || target.kind === 'function') || (ts.kind === 'array' && target.kind !== 'typedef');
      return declare2(target, needParens ? `(${star}${inner})` : `${star}${inner}`);
    }
    case 'array': return declare2(t.element, `${inner}[${t.count ?? ''}]`);
    case 'function': {
      const params = t.params.map(typeName);
      if (t.varargs) params.push('...');
      const list = params.length === 0 ? (t.prototyped ? 'void' : '') : params.join(', ');
      return declare2(t.ret, `${inner}(${list})`);
    }
    case 'qualified': {
      const target = t.target;
      if (target.kind === 'pointer' || target.kind === 'reference') return declare2(target, `${t.qual}${inner === '' ? '' : ' ' + inner}`).replace(/\* (const|volatile|restrict)$/, '* $1');
      if (target.kind === 'array' || target.kind === 'function') return declare2(target, inner);
      return `${t.qual} ${declare2(target, inner)}`;
    }
    default:
      return join(baseName(t));
  }
}

/** Builds types from type DIEs (cached by DIE offset; recursive structs resolve through the cache). */
export class TypeBuilder {
  private readonly cache = new Map<number, Type>();
  /** DIEs whose types are being built: reaching one again is a cycle (bad debug info) that no C type has. */
  private readonly building = new Set<number>();
  /** Problems found in type DIEs. */
  readonly problems: string[] = [];
  constructor(private readonly tree: DieTree) {}

  of(die: Die | undefined): Type {
    if (!die) return VOID;
    const known = this.cache.get(die.offset);
    if (known) return known;
    if (this.building.has(die.offset) || this.building.size > 512) {
      if (this.problems.length < 100) this.problems.push(`.debug_info: the type at DIE 0x${die.offset.toString(16)} refers to itself (a cycle of type references)`);
      return VOID;
    }
    this.building.add(die.offset);
    try {
      return this.build(die);
    } finally {
      this.building.delete(die.offset);
    }
  }

  /**
   * Whether a typedef or qualifier reaches itself again through typedefs, qualifiers and array
   * elements (a cycle only bad debug info has: C types close cycles through pointers or struct members).
   */
  private cyclic(start: Type): boolean {
    let t: Type = (start as { target: Type }).target;
    for (let i = 0; i < 256; i++) {
      if (t === start) {
        if (this.problems.length < 100) this.problems.push('.debug_info: a typedef or qualified type refers to itself (a cycle of type references)');
        return true;
      }
      if (t.kind === 'typedef' || t.kind === 'qualified') t = t.target;
      else if (t.kind === 'array') t = t.element;
      else return false;
    }
    return true;
  }

  private build(die: Die): Type {
    const tree = this.tree;
    const num = (at: number): number | undefined => tree.attr(die, at)?.v;
    const target = (): Type => this.of(tree.typeOf(die));
    const name = tree.name(die);
    let t: Type;
    switch (die.tag) {
      case TAG.base_type: {
        t = { kind: 'base', name: name ?? '?', size: num(AT.byte_size) ?? 0, encoding: num(AT.encoding) ?? ATE.signed };
        break;
      }
      case TAG.unspecified_type: t = VOID; break;
      case TAG.pointer_type: case TAG.reference_type: case TAG.rvalue_reference_type: {
        const p: Type & { kind: 'pointer' | 'reference' } = { kind: die.tag === TAG.pointer_type ? 'pointer' : 'reference', target: VOID, size: num(AT.byte_size) ?? die.unit.addressSize };
        this.cache.set(die.offset, p);
        p.target = target();
        return p;
      }
      case TAG.typedef: {
        const td: Type & { kind: 'typedef' } = { kind: 'typedef', name: name ?? '?', target: VOID };
        this.cache.set(die.offset, td);
        td.target = target();
        if (this.cyclic(td)) td.target = VOID;
        return td;
      }
      case TAG.const_type: case TAG.volatile_type: case TAG.restrict_type: case TAG.atomic_type: {
        const qual = die.tag === TAG.const_type ? 'const' : die.tag === TAG.volatile_type ? 'volatile' : die.tag === TAG.restrict_type ? 'restrict' : '_Atomic';
        const q: Type & { kind: 'qualified' } = { kind: 'qualified', qual, target: VOID };
        this.cache.set(die.offset, q);
        q.target = target();
        if (this.cyclic(q)) q.target = VOID;
        return q;
      }
      case TAG.structure_type: case TAG.union_type: {
        const s: Type & { kind: 'struct' | 'union' } = { kind: die.tag === TAG.structure_type ? 'struct' : 'union', size: num(AT.byte_size) ?? 0, members: [] };
        if (name !== undefined) s.name = name;
        if (die.attrs.has(AT.declaration)) s.incomplete = true;
        this.cache.set(die.offset, s);
        for (const c of die.children) {
          if (c.tag !== TAG.member) continue;
          const mt = this.of(tree.typeOf(c));
          const m: Member = { type: mt, offset: 0 };
          const mn = tree.name(c);
          if (mn !== undefined) m.name = mn;
          const loc = c.attrs.get(AT.data_member_location);
          if (loc && loc.cls !== 'block') m.offset = loc.v;
          else if (loc?.bytes && loc.bytes[0] === 0x23) m.offset = leb(loc.bytes, 1); // DW_OP_plus_uconst
          const bitSize = c.attrs.get(AT.bit_size)?.v;
          if (bitSize !== undefined) {
            m.bitSize = bitSize;
            const dbo = c.attrs.get(AT.data_bit_offset)?.v;
            if (dbo !== undefined) m.bitOffset = dbo;
            else {
              // DWARF 2-4: DW_AT_bit_offset counts from the most significant bit of the storage unit.
              const unit = c.attrs.get(AT.byte_size)?.v ?? sizeOf(mt);
              const bo = c.attrs.get(AT.bit_offset)?.v ?? 0;
              m.bitOffset = m.offset * 8 + unit * 8 - bo - bitSize;
            }
            m.offset = Math.floor(m.bitOffset / 8);
          }
          s.members.push(m);
        }
        return s;
      }
      case TAG.enumeration_type: {
        const base = tree.typeOf(die);
        const bt = base ? strip(this.of(base)) : undefined;
        const e: Type & { kind: 'enum' } = { kind: 'enum', size: num(AT.byte_size) ?? 4, signed: bt ? isSigned(bt) : false, enumerators: [] };
        if (name !== undefined) e.name = name;
        for (const c of die.children) {
          if (c.tag !== TAG.enumerator) continue;
          const cv = c.attrs.get(AT.const_value);
          let v = 0n;
          if (cv) {
            if (cv.big !== undefined) v = cv.big;
            else if (cv.cls === 'sconst') { v = BigInt(cv.v); e.signed ||= cv.v < 0; } else v = BigInt(cv.v);
          }
          e.enumerators.push({ name: tree.name(c) ?? '?', value: v });
        }
        t = e;
        break;
      }
      case TAG.array_type: {
        const element = target();
        const dims: (number | undefined)[] = [];
        for (const c of die.children) {
          if (c.tag !== TAG.subrange_type) continue;
          const count = c.attrs.get(AT.count);
          const upper = c.attrs.get(AT.upper_bound);
          const lower = c.attrs.get(AT.lower_bound)?.v ?? 0;
          if (count && count.cls !== 'block' && count.cls !== 'ref') dims.push(count.v);
          else if (upper && upper.cls !== 'block' && upper.cls !== 'ref') {
            const u = upper.form === 0x0b && upper.v === 0xff ? -1 : upper.form === 0x05 && upper.v === 0xffff ? -1 : upper.form === 0x06 && upper.v === 0xffffffff ? -1 : upper.v;
            dims.push(u - lower + 1 >= 0 ? u - lower + 1 : 0);
          } else dims.push(undefined);
        }
        if (dims.length === 0) dims.push(undefined);
        let a: Type = element;
        for (let i = dims.length - 1; i >= 0; i--) a = { kind: 'array', element: a, count: dims[i] };
        t = a;
        break;
      }
      case TAG.subroutine_type: case TAG.subprogram: {
        const params: Type[] = [];
        let varargs = false;
        for (const c of die.children) {
          if (c.tag === TAG.formal_parameter) params.push(this.of(tree.typeOf(c)));
          else if (c.tag === TAG.unspecified_parameters) varargs = true;
        }
        t = { kind: 'function', ret: target(), params, varargs, prototyped: tree.attr(die, AT.prototyped) !== undefined };
        break;
      }
      default:
        t = VOID;
    }
    this.cache.set(die.offset, t);
    return t;
  }
}

function leb(b: Uint8Array, at: number): number {
  let v = 0;
  let scale = 1;
  for (let i = at; i < b.length; i++) {
    v += (b[i] & 0x7f) * scale;
    scale *= 128;
    if ((b[i] & 0x80) === 0) break;
  }
  return v;
}

/** A declaration of `name` with type `t` as C writes it: "int values[4]", "void (*fn)(int)", "struct node *next". */
export function declaration(t: Type, name: string): string {
  return declare(t, name);
}
