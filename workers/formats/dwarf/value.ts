/**
 * Values of C types read from DWARF locations, and their text as GDB's
 * `print` writes it: `{mode = 2, name = 0x80001234 "abc", next = 0x0}`,
 * `{1, 2, 0 <repeats 15 times>}`, `(int *) 0x80201000 <raw_samples>`,
 * `(void (*)(int)) 0x80000100 <handler>`, `<optimized out>`.
 */
import type { Location } from './location';
import { ATE, isCharType, sizeOf, strip, valueSize, typeName, type Member, type Type } from './types';

export interface Value {
  type: Type;
  /** Little-endian contents, sizeOf(type) bytes. */
  bytes: Uint8Array;
  /** Per byte: 0 = optimized out. Undefined: all available. */
  known?: Uint8Array;
  /** The value lives in memory at this address (an lvalue `&` can take). */
  address?: bigint;
  /** The value is in a register (GDB: "Address requested for identifier "x" which is in register $a0"). */
  register?: number;
  /** DW_OP_implicit_pointer: a pointer to a value that exists only in the debug info. */
  synthetic?: { die: number; offset: number };
  /** A memory read error found when the value was fetched. */
  error?: string;
}

/** What formatting needs from the outside: target memory and symbols. */
export interface FormatEnv {
  mem(addr: bigint, size: number): Uint8Array | undefined;
  /** "raw_samples", "raw_samples+8", "main+4" for an address inside a data object or a function, else undefined. */
  symbolize(addr: bigint, isFunction: boolean): string | undefined;
  /** GDB's `print elements` (200). */
  elements?: number;
  /** GDB's `print repeats` (10). */
  repeats?: number;
}

export const REG_NAMES = [
  'zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 's0', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5',
  'a6', 'a7', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6',
  'ft0', 'ft1', 'ft2', 'ft3', 'ft4', 'ft5', 'ft6', 'ft7', 'fs0', 'fs1', 'fa0', 'fa1', 'fa2', 'fa3', 'fa4', 'fa5',
  'fa6', 'fa7', 'fs2', 'fs3', 'fs4', 'fs5', 'fs6', 'fs7', 'fs8', 'fs9', 'fs10', 'fs11', 'ft8', 'ft9', 'ft10', 'ft11',
];

export class ValueError extends Error {}

export interface LocationReader {
  reg(n: number): bigint | undefined;
  mem(addr: bigint, size: number): Uint8Array | undefined;
}

function leBytes(v: bigint, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = BigInt.asUintN(Math.max(8, size * 8), v);
  for (let i = 0; i < size; i++) { out[i] = Number(x & 0xffn); x >>= 8n; }
  return out;
}

/** The value of `type` at a location. Memory that cannot be read becomes `error`. */
export function readLocation(loc: Location, type: Type, rd: LocationReader): Value {
  const size = valueSize(type);
  const bytes = new Uint8Array(size);
  const v: Value = { type, bytes };
  switch (loc.kind) {
    case 'memory': {
      v.address = loc.addr;
      if (size === 0) return v;
      const b = rd.mem(loc.addr, size);
      if (!b || b.length < size) { v.error = `Cannot access memory at address 0x${loc.addr.toString(16)}`; v.known = new Uint8Array(size); return v; }
      bytes.set(b.subarray(0, size));
      return v;
    }
    case 'register': {
      v.register = loc.reg;
      const r = rd.reg(loc.reg);
      if (r === undefined) { v.known = new Uint8Array(size); return v; }
      bytes.set(leBytes(r, Math.max(8, size)).subarray(0, size));
      return v;
    }
    case 'value':
      bytes.set(loc.bytes.subarray(0, Math.min(size, loc.bytes.length)));
      return v;
    case 'implicit_pointer':
      v.synthetic = { die: loc.die, offset: loc.offset };
      return v;
    case 'optimized':
      v.known = new Uint8Array(size);
      return v;
    case 'composite': {
      const known = new Uint8Array(size);
      let bit = 0;
      for (const p of loc.pieces) {
        const pbytes = Math.ceil((p.bits + p.offset) / 8);
        let src: Uint8Array | undefined;
        if (p.loc.kind === 'memory') src = rd.mem(p.loc.addr, pbytes);
        else if (p.loc.kind === 'register') {
          const r = rd.reg(p.loc.reg);
          src = r === undefined ? undefined : leBytes(r, Math.max(8, pbytes));
        } else if (p.loc.kind === 'value') {
          src = new Uint8Array(Math.max(pbytes, p.loc.bytes.length));
          src.set(p.loc.bytes);
        }
        for (let i = 0; i < p.bits && bit + i < size * 8; i++) {
          const to = bit + i;
          if (src) {
            const from = p.offset + i;
            const b = (src[from >> 3] >> (from & 7)) & 1;
            if (b) bytes[to >> 3] |= 1 << (to & 7);
            known[to >> 3] = 1;
          }
        }
        bit += p.bits;
      }
      // Bytes that no piece covered are optimized out; a byte with some known bits counts as known.
      v.known = known;
      if (known.every((k) => k === 1)) delete v.known;
      return v;
    }
  }
}

export function allKnown(v: Value): boolean {
  return !v.known || v.known.every((k) => k === 1);
}

export function noneKnown(v: Value, from = 0, to = v.bytes.length): boolean {
  if (!v.known) return false;
  for (let i = from; i < to; i++) if (v.known[i]) return false;
  return true;
}

/** A part of a value (a member, an element), sharing its availability. */
export function subValue(v: Value, type: Type, offset: number): Value {
  const size = sizeOf(type);
  const out: Value = { type, bytes: v.bytes.slice(offset, offset + size) };
  if (out.bytes.length < size) { const b = new Uint8Array(size); b.set(out.bytes); out.bytes = b; }
  if (v.known) out.known = v.known.slice(offset, offset + size);
  if (v.address !== undefined) out.address = v.address + BigInt(offset);
  if (v.error) out.error = v.error;
  return out;
}

/** A bit field member as a value of its declared type. */
export function bitFieldValue(v: Value, m: Member): Value {
  const bits = m.bitSize ?? 0;
  const start = m.bitOffset ?? m.offset * 8;
  let x = 0n;
  for (let i = bits - 1; i >= 0; i--) {
    const b = start + i;
    x = (x << 1n) | BigInt((v.bytes[b >> 3] >> (b & 7)) & 1);
  }
  const t = strip(m.type);
  const signed = (t.kind === 'base' && (t.encoding === ATE.signed || t.encoding === ATE.signed_char)) || (t.kind === 'enum' && t.signed);
  if (signed && bits > 0) x = BigInt.asIntN(bits, x);
  const size = sizeOf(m.type);
  const out: Value = { type: m.type, bytes: leBytes(x, Math.max(8, size)).subarray(0, size) };
  if (v.known && noneKnown(v, start >> 3, (start + bits + 7) >> 3)) out.known = new Uint8Array(size);
  return out;
}

export function toBigInt(v: Value, signedOverride?: boolean): bigint {
  let x = 0n;
  for (let i = v.bytes.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(v.bytes[i]);
  const t = strip(v.type);
  const signed = signedOverride ?? ((t.kind === 'base' && (t.encoding === ATE.signed || t.encoding === ATE.signed_char)) || (t.kind === 'enum' && t.signed));
  return signed && v.bytes.length > 0 ? BigInt.asIntN(v.bytes.length * 8, x) : x;
}

export function toFloat(v: Value): number {
  const dv = new DataView(v.bytes.buffer, v.bytes.byteOffset, v.bytes.byteLength);
  if (v.bytes.length === 4) return dv.getFloat32(0, true);
  if (v.bytes.length === 8) return dv.getFloat64(0, true);
  if (v.bytes.length === 16) return longDouble(v.bytes);
  return NaN;
}

/** IEEE binary128 (RISC-V long double) to the nearest double. */
function longDouble(b: Uint8Array): number {
  let x = 0n;
  for (let i = 15; i >= 0; i--) x = (x << 8n) | BigInt(b[i]);
  const sign = x >> 127n ? -1 : 1;
  const exp = Number((x >> 112n) & 0x7fffn);
  const mant = x & ((1n << 112n) - 1n);
  if (exp === 0x7fff) return mant === 0n ? sign * Infinity : NaN;
  const m = Number(mant >> 60n) / 2 ** 52;
  if (exp === 0) return sign * m * 2 ** -16382;
  return sign * (1 + m) * 2 ** (exp - 16383);
}

/** C's printf("%.Ng"). */
export function formatG(x: number, precision: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x < 0 ? '-inf' : 'inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const e = Number(x.toExponential(precision - 1).split('e')[1]);
  let s: string;
  if (e < -4 || e >= precision) {
    const [m, ex] = x.toExponential(precision - 1).split('e');
    const mant = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m;
    const n = Number(ex);
    s = `${mant}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  } else {
    s = x.toFixed(Math.max(0, precision - 1 - e));
    if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  }
  return s;
}

function formatFloat(v: Value): string {
  const size = v.bytes.length;
  const x = toFloat(v);
  if (Number.isNaN(x)) {
    // GDB: nan(0xMANTISSA), with the sign.
    const bits = toBigInt(v, false);
    const mbits = size === 4 ? 23n : size === 8 ? 52n : 112n;
    const mant = bits & ((1n << mbits) - 1n);
    const neg = (bits >> BigInt(size * 8 - 1)) & 1n;
    return `${neg ? '-' : ''}nan(0x${mant.toString(16)})`;
  }
  return formatG(x, size === 4 ? 9 : size === 8 ? 17 : 36);
}

/**
 * Bytes as GDB's printer sees them with a UTF-8 host charset: a valid
 * multi-byte sequence of a printable character is one character (written as
 * itself; here a negative number, -code point), any other byte stays a byte.
 */
function utf8Units(bytes: number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    const n = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : 0;
    let cp = n === 1 ? b & 0x1f : n === 2 ? b & 0x0f : b & 0x07;
    let ok = n > 0 && i + n < bytes.length;
    for (let k = 1; ok && k <= n; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) ok = false;
      else cp = (cp << 6) | (c & 0x3f);
    }
    if (ok && ((n === 2 && cp < 0x800) || (n === 3 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))) ok = false;
    if (ok && (cp < 0xa0 || cp === 0xad)) ok = false; // C1 controls are not printable
    if (ok) { out.push(-cp); i += n; } else out.push(b);
  }
  return out;
}

/** One character as GDB writes it inside quotes `quote`. */
function escapeChar(c: number, quote: string): string {
  if (c < 0) return String.fromCodePoint(-c);
  switch (c) {
    case 7: return '\\a';
    case 8: return '\\b';
    case 12: return '\\f';
    case 10: return '\\n';
    case 13: return '\\r';
    case 9: return '\\t';
    case 11: return '\\v';
    case 0x5c: return '\\\\';
    default:
      if (String.fromCharCode(c) === quote) return '\\' + quote;
      if (c >= 0x20 && c < 0x7f) return String.fromCharCode(c);
      return '\\' + c.toString(8).padStart(3, '0');
  }
}

export function charLiteral(c: number): string {
  return `'${escapeChar(c & 0xff, "'")}'`;
}

/** GDB's generic_printstr: runs longer than `repeats` become `'c' <repeats N times>`. */
export function formatString(bytes: number[], forceEllipses: boolean, env: FormatEnv, dropTrailingNul = true): string {
  const max = env.elements ?? 200;
  const threshold = env.repeats ?? 10;
  let end = bytes.length;
  if (dropTrailingNul && !forceEllipses && end > 0 && bytes[end - 1] === 0) end--;
  const chars = utf8Units(bytes.slice(0, end));
  const length = chars.length;
  if (length === 0) return '""';
  const groups: { c: number; n: number }[] = [];
  let i = 0;
  let printed = 0;
  while (printed < max && i < length) {
    const c = chars[i];
    let n = 1;
    while (i + n < length && chars[i + n] === c) n++;
    groups.push({ c, n });
    i += n;
    printed += n;
  }
  const finished = i >= length;
  let out = '';
  let last: 'start' | 'single' | 'repeat' = 'start';
  for (const g of groups) {
    if (g.n > threshold) {
      if (last === 'single') out += '"';
      if (last !== 'start') out += ', ';
      out += `'${escapeChar(g.c, "'")}' <repeats ${g.n} times>`;
      last = 'repeat';
    } else {
      if (last !== 'single') {
        if (last !== 'start') out += ', ';
        out += '"';
      }
      for (let k = 0; k < g.n; k++) out += escapeChar(g.c, '"');
      last = 'single';
    }
  }
  if (last === 'single') out += '"';
  if (forceEllipses || !finished) out += '...';
  return out;
}

/** A C string at `addr`, as GDB's val_print_string (up to `print elements` characters). */
function stringAt(addr: bigint, env: FormatEnv): string {
  const max = env.elements ?? 200;
  const chars: number[] = [];
  let foundNul = false;
  for (let i = 0; i < max; i++) {
    const b = env.mem(addr + BigInt(i), 1);
    if (!b || b.length < 1) {
      if (i === 0) return `<error: Cannot access memory at address 0x${addr.toString(16)}>`;
      return `${formatString(chars, false, env)}<error: Cannot access memory at address 0x${(addr + BigInt(i)).toString(16)}>`;
    }
    if (b[0] === 0) { foundNul = true; break; }
    chars.push(b[0]);
  }
  let force = false;
  if (!foundNul) {
    const next = env.mem(addr + BigInt(max), 1);
    force = !next || next[0] !== 0;
  }
  return formatString(chars, force, env, false);
}

export interface FormatOptions {
  /** Top level of `print`: pointers get their type in front, `(int *) 0x...`. */
  topLevel?: boolean;
}

/** The value as GDB prints it. */
export function formatValue(v: Value, env: FormatEnv, opts: FormatOptions = {}): string {
  if (v.synthetic) return '<synthetic pointer>';
  const t = strip(v.type);
  const size = v.bytes.length;
  if (t.kind !== 'struct' && t.kind !== 'union' && t.kind !== 'array') {
    if (v.error && v.known && noneKnown(v)) return `<error: ${v.error}>`;
    if (v.known && noneKnown(v) && size > 0) return '<optimized out>';
    if (v.known && !allKnown(v)) return '<optimized out>';
  } else if (v.error && v.known && noneKnown(v)) {
    return `<error: ${v.error}>`;
  } else if (v.known && noneKnown(v) && size > 0) {
    return '<optimized out>';
  }
  switch (t.kind) {
    case 'void': return 'void';
    case 'base': {
      if (t.encoding === ATE.float) return formatFloat(v);
      if (t.encoding === ATE.boolean) {
        const x = toBigInt(v, false);
        return x === 0n ? 'false' : x === 1n ? 'true' : x.toString();
      }
      const x = toBigInt(v);
      if (isCharType(t)) return `${x} ${charLiteral(Number(BigInt.asUintN(8, x)))}`;
      return x.toString();
    }
    case 'enum': {
      const x = toBigInt(v);
      const hit = t.enumerators.find((e) => e.value === x || BigInt.asUintN(size * 8, e.value) === BigInt.asUintN(size * 8, x));
      if (hit) return hit.name;
      if (isFlagEnum(t) && x > 0n) {
        const names: string[] = [];
        let rest = x;
        for (const e of t.enumerators) {
          if (e.value !== 0n && (rest & e.value) === e.value) { names.push(e.name); rest &= ~e.value; }
        }
        if (names.length > 0) {
          if (rest !== 0n) names.push(`unknown: 0x${rest.toString(16)}`);
          return `(${names.join(' | ')})`;
        }
      }
      return x.toString();
    }
    case 'pointer': case 'reference': {
      const addr = toBigInt(v, false);
      const target = strip(t.target);
      const hexa = `0x${addr.toString(16)}`;
      if (target.kind === 'function') {
        const sym = env.symbolize(addr, true);
        const body = sym ? `${hexa} <${sym}>` : hexa;
        return opts.topLevel ? `(${typeName(v.type)}) ${body}` : body;
      }
      let body = hexa;
      const sym = addr !== 0n ? env.symbolize(addr, false) : undefined;
      if (sym) body += ` <${sym}>`;
      const charLike = isCharType(target);
      if (charLike && addr !== 0n) body += ` ${stringAt(addr, env)}`;
      if (opts.topLevel && !isPlainCharPointer(v.type)) return `(${typeName(v.type)}) ${body}`;
      return body;
    }
    case 'array': return formatArray(v, t, env);
    case 'struct': case 'union': {
      const parts: string[] = [];
      for (const m of t.members) {
        const mv = m.bitSize !== undefined ? bitFieldValue(v, m) : subValue(v, m.type, m.offset);
        const text = formatValue(mv, env);
        parts.push(m.name !== undefined ? `${m.name} = ${text}` : text);
      }
      return `{${parts.join(', ')}}`;
    }
    case 'function': {
      const addr = v.address ?? 0n;
      const sym = env.symbolize(addr, true);
      return `{${typeName(v.type)}} 0x${addr.toString(16)}${sym ? ` <${sym}>` : ''}`;
    }
    default: return '?';
  }
}

/** GDB leaves the type out for `char *` (and `const char *`), not for other pointers. */
function isPlainCharPointer(type: Type): boolean {
  if (type.kind === 'qualified') return isPlainCharPointer(type.target);
  if (type.kind !== 'pointer') return false;
  let target = type.target;
  while (target.kind === 'qualified') target = target.target;
  return target.kind === 'base' && target.name === 'char';
}

function isFlagEnum(t: Type & { kind: 'enum' }): boolean {
  let mask = 0n;
  for (const e of t.enumerators) {
    if (e.value < 0n) return false;
    if ((mask & e.value) !== 0n) return false;
    mask |= e.value;
  }
  return true;
}

function sameBytes(a: Value, b: Value): boolean {
  if (a.bytes.length !== b.bytes.length) return false;
  for (let i = 0; i < a.bytes.length; i++) if (a.bytes[i] !== b.bytes[i]) return false;
  const ka = a.known, kb = b.known;
  if (ka || kb) for (let i = 0; i < a.bytes.length; i++) if ((ka ? ka[i] : 1) !== (kb ? kb[i] : 1)) return false;
  return true;
}

function formatArray(v: Value, t: Type & { kind: 'array' }, env: FormatEnv): string {
  const elSize = sizeOf(t.element);
  const count = t.count ?? 0;
  const max = env.elements ?? 200;
  const threshold = env.repeats ?? 10;
  if (isCharType(t.element) && elSize === 1 && allKnown(v)) {
    return formatString([...v.bytes.subarray(0, count)], false, env);
  }
  if (count === 0 || elSize === 0) return '{}';
  const parts: string[] = [];
  let things = 0;
  let i = 0;
  for (; i < count && things < max; i++) {
    const el = subValue(v, t.element, i * elSize);
    let reps = 1;
    while (i + reps < count && sameBytes(el, subValue(v, t.element, (i + reps) * elSize))) reps++;
    if (reps > threshold) {
      parts.push(`${formatValue(el, env)} <repeats ${reps} times>`);
      i += reps - 1;
      things += threshold;
    } else {
      parts.push(formatValue(el, env));
      things++;
    }
  }
  return `{${parts.join(', ')}${i < count ? '...' : ''}}`;
}
