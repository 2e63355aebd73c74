/**
 * DWARF location descriptions (DWARF 5 section 2.5 and 2.6): the expression
 * evaluator for variable locations (memory, register, implicit value, stack
 * value, implicit pointer, composites of pieces, entry values) and location
 * lists (.debug_loclists, DWARF 4 .debug_loc).
 */
import { DwarfError, Reader, hex } from './reader';
import type { DieUnit } from './die';

export type Location =
  | { kind: 'memory'; addr: bigint }
  | { kind: 'register'; reg: number }
  /** A value computed by the expression (DW_OP_stack_value), little-endian bytes. */
  | { kind: 'value'; bytes: Uint8Array }
  | { kind: 'implicit_pointer'; die: number; offset: number }
  | { kind: 'optimized' }
  | { kind: 'composite'; pieces: Piece[] };

export interface Piece {
  loc: Location;
  /** Size in bits. */
  bits: number;
  /** DW_OP_bit_piece offset into the piece's location, in bits. */
  offset: number;
}

/** What an expression may look at: the frame it is evaluated in. */
export interface EvalContext {
  /** DWARF register n (0-31 x, 32-63 f) in this frame; undefined = unknown. */
  reg(n: number): bigint | undefined;
  mem(addr: bigint, size: number): Uint8Array | undefined;
  /** The frame base (DW_AT_frame_base evaluated), for DW_OP_fbreg. */
  frameBase?(): bigint | undefined;
  /** The canonical frame address, for DW_OP_call_frame_cfa. */
  cfa?: bigint;
  /** DW_OP_entry_value: the value `expr` had on entry to the function, if the caller's frame tells. */
  entryValue?(expr: Uint8Array): bigint | undefined;
  /** Size in bytes and encoding of a base type DIE (DW_OP_convert, regval_type, const_type). */
  baseType?(dieOffset: number): { size: number; encoding: number } | undefined;
  unit: DieUnit;
  addrx?(i: number): number;
}

/** Thrown when a value the expression needs is not available ("<optimized out>"). */
export class Unavailable extends Error {}

interface Entry { v: bigint; type?: { size: number; encoding: number } }

const M = (v: bigint): bigint => BigInt.asUintN(64, v);
const S = (v: bigint): bigint => BigInt.asIntN(64, v);

function bytesOf(v: bigint, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = BigInt.asUintN(size * 8, v);
  for (let i = 0; i < size; i++) { out[i] = Number(x & 0xffn); x >>= 8n; }
  return out;
}

function fromBytes(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  return v;
}

const DW_ATE_float = 4;
const DW_ATE_signed = 5;
const DW_ATE_signed_char = 6;

function toFloat(e: Entry): number {
  const t = e.type;
  if (!t || t.encoding !== DW_ATE_float) return t && (t.encoding === DW_ATE_signed || t.encoding === DW_ATE_signed_char) ? Number(BigInt.asIntN(t.size * 8, e.v)) : Number(e.v);
  const dv = new DataView(new ArrayBuffer(8));
  if (t.size === 4) { dv.setUint32(0, Number(e.v & 0xffffffffn), true); return dv.getFloat32(0, true); }
  dv.setBigUint64(0, BigInt.asUintN(64, e.v), true);
  return dv.getFloat64(0, true);
}

function convert(e: Entry, to: { size: number; encoding: number } | undefined): Entry {
  if (!to) return { v: M(e.v) };
  const from = e.type;
  if (to.encoding === DW_ATE_float) {
    if (from?.encoding === DW_ATE_float && from.size === to.size) return { v: e.v, type: to };
    const f = toFloat(e);
    const dv = new DataView(new ArrayBuffer(8));
    if (to.size === 4) { dv.setFloat32(0, f, true); return { v: BigInt(dv.getUint32(0, true)), type: to }; }
    dv.setFloat64(0, f, true);
    return { v: dv.getBigUint64(0, true), type: to };
  }
  let v = e.v;
  if (from?.encoding === DW_ATE_float) v = BigInt(Math.trunc(toFloat(e)));
  else if (from && (from.encoding === DW_ATE_signed || from.encoding === DW_ATE_signed_char)) v = BigInt.asIntN(from.size * 8, v);
  else if (from) v = BigInt.asUintN(from.size * 8, v);
  const bits = Math.max(1, to.size) * 8;
  v = to.encoding === DW_ATE_signed || to.encoding === DW_ATE_signed_char ? BigInt.asIntN(bits, v) : BigInt.asUintN(bits, v);
  return { v: M(v), type: to };
}

/**
 * Evaluates a location expression. `asValue`: the result is a value, not a
 * location (DW_AT_frame_base's DW_OP_call_frame_cfa, call site values).
 * Throws Unavailable when a register or memory it needs is unknown, DwarfError
 * for a malformed or unsupported expression.
 */
export function evaluateLocation(expr: Uint8Array, ctx: EvalContext, initial: bigint[] = []): Location {
  const r = new Reader(expr, 'location expression');
  const stack: Entry[] = initial.map((v) => ({ v }));
  const pieces: Piece[] = [];
  let loc: Location | undefined; // a register / implicit location that must be followed by a piece or the end
  const pop = (): Entry => {
    const v = stack.pop();
    if (!v) throw r.error('expression stack underflow');
    return v;
  };
  const popv = (): bigint => pop().v;
  const push = (v: bigint, type?: { size: number; encoding: number }): void => {
    if (stack.length >= 1024) throw r.error('expression stack overflow');
    stack.push(type ? { v: BigInt.asUintN(Math.max(1, type.size) * 8, v), type } : { v: M(v) });
  };
  const reg = (n: number): bigint => {
    const v = ctx.reg(n);
    if (v === undefined) throw new Unavailable(`register ${n} is not available`);
    return v;
  };
  const deref = (addr: bigint, size: number): bigint => {
    const b = ctx.mem(addr, size);
    if (!b || b.length < size) throw new Unavailable(`Cannot access memory at address 0x${addr.toString(16)}`);
    return fromBytes(b);
  };
  const baseType = (off: number): { size: number; encoding: number } | undefined => (off === 0 ? undefined : ctx.baseType?.(ctx.unit.offset + off));
  const binary = (f: (a: Entry, b: Entry) => bigint): void => {
    const b = pop();
    const a = pop();
    push(f(a, b), a.type ?? b.type);
  };
  const signedOf = (e: Entry): bigint => (e.type ? BigInt.asIntN(e.type.size * 8, e.v) : S(e.v));
  let steps = 0;
  while (r.pos < r.limit) {
    if (++steps > 100_000) throw r.error('expression runs too long');
    const at = r.pos;
    const op = r.u8('operation');
    if (loc && op !== 0x93 && op !== 0x9d) throw r.error(`operation ${hex(op)} after a register or implicit location`, at);
    if (op >= 0x30 && op <= 0x4f) { push(BigInt(op - 0x30)); continue; }
    if (op >= 0x50 && op <= 0x6f) { loc = { kind: 'register', reg: op - 0x50 }; continue; }
    if (op >= 0x70 && op <= 0x8f) { const off = r.sleb(); push(reg(op - 0x70) + BigInt(off)); continue; }
    switch (op) {
      case 0x03: push(BigInt(r.uint(ctx.unit.addressSize))); break; // addr
      case 0xa1: case 0xfb: { // addrx, GNU_addr_index
        const i = r.uleb();
        if (!ctx.addrx) throw r.error('DW_OP_addrx without .debug_addr', at);
        push(BigInt(ctx.addrx(i)));
        break;
      }
      case 0xa2: case 0xfc: { // constx, GNU_const_index
        const i = r.uleb();
        if (!ctx.addrx) throw r.error('DW_OP_constx without .debug_addr', at);
        push(BigInt(ctx.addrx(i)));
        break;
      }
      case 0x06: push(deref(popv(), 8)); break;
      case 0x94: { const n = r.u8(); push(deref(popv(), n)); break; } // deref_size
      case 0x98: { const n = r.u8(); const t = baseType(r.uleb()); push(deref(popv(), n), t); break; } // deref_type
      case 0x08: push(BigInt(r.u8())); break;
      case 0x09: push(BigInt(r.i8())); break;
      case 0x0a: push(BigInt(r.u16())); break;
      case 0x0b: push(BigInt(r.i16())); break;
      case 0x0c: push(BigInt(r.u32())); break;
      case 0x0d: push(BigInt(r.i32())); break;
      case 0x0e: { const b = r.bytes(8, 'const8u'); push(fromBytes(b)); break; }
      case 0x0f: { const b = r.bytes(8, 'const8s'); push(fromBytes(b)); break; }
      case 0x10: push(uleb(r)); break;
      case 0x11: push(sleb(r)); break;
      case 0x12: { const v = pop(); stack.push(v, { ...v }); break; } // dup
      case 0x13: pop(); break; // drop
      case 0x14: { if (stack.length < 2) throw r.error('DW_OP_over underflow', at); stack.push({ ...stack[stack.length - 2] }); break; }
      case 0x15: { const i = r.u8(); if (i >= stack.length) throw r.error('DW_OP_pick out of range', at); stack.push({ ...stack[stack.length - 1 - i] }); break; }
      case 0x16: { const a = pop(); const b = pop(); stack.push(a, b); break; } // swap
      case 0x17: { const a = pop(); const b = pop(); const c = pop(); stack.push(a, c, b); break; } // rot
      case 0x19: { const e = pop(); const v = signedOf(e); push(v < 0n ? -v : v, e.type); break; } // abs
      case 0x1a: binary((a, b) => a.v & b.v); break;
      case 0x1b: { // div (signed)
        const b = pop(); const a = pop();
        const d = signedOf(b);
        if (d === 0n) throw r.error('division by zero', at);
        push(signedOf(a) / d, a.type);
        break;
      }
      case 0x1c: binary((a, b) => a.v - b.v); break;
      case 0x1d: { const b = pop(); const a = pop(); if (b.v === 0n) throw r.error('division by zero', at); push(a.v % b.v, a.type); break; }
      case 0x1e: binary((a, b) => a.v * b.v); break;
      case 0x1f: { const e = pop(); push(-e.v, e.type); break; }
      case 0x20: { const e = pop(); push(~e.v, e.type); break; }
      case 0x21: binary((a, b) => a.v | b.v); break;
      case 0x22: binary((a, b) => a.v + b.v); break;
      case 0x23: { const e = pop(); push(e.v + uleb(r), e.type); break; } // plus_uconst
      case 0x24: binary((a, b) => (b.v >= 64n ? 0n : a.v << b.v)); break;
      case 0x25: binary((a, b) => (b.v >= 64n ? 0n : BigInt.asUintN(a.type ? a.type.size * 8 : 64, a.v) >> b.v)); break;
      case 0x26: binary((a, b) => signedOf(a) >> (b.v >= 64n ? 63n : b.v)); break;
      case 0x27: binary((a, b) => a.v ^ b.v); break;
      case 0x28: { const off = r.i16(); if (popv() !== 0n) jump(off); break; } // bra
      case 0x29: case 0x2a: case 0x2b: case 0x2c: case 0x2d: case 0x2e: {
        const b = signedOf(pop()); const a = signedOf(pop());
        push([a === b, a >= b, a > b, a <= b, a < b, a !== b][op - 0x29] ? 1n : 0n);
        break;
      }
      case 0x2f: jump(r.i16()); break; // skip
      case 0x90: loc = { kind: 'register', reg: r.uleb() }; break; // regx
      case 0x91: { // fbreg
        const off = r.sleb();
        const fb = ctx.frameBase?.();
        if (fb === undefined) throw new Unavailable('the frame base is not available');
        push(fb + BigInt(off));
        break;
      }
      case 0x92: { const n = r.uleb(); const off = r.sleb(); push(reg(n) + BigInt(off)); break; } // bregx
      case 0x93: case 0x9d: { // piece, bit_piece
        const bits = op === 0x93 ? r.uleb() * 8 : r.uleb();
        const offset = op === 0x9d ? r.uleb() : 0;
        let p: Location;
        if (loc) p = loc;
        else if (stack.length > 0) p = { kind: 'memory', addr: popv() };
        else p = { kind: 'optimized' };
        pieces.push({ loc: p, bits, offset });
        loc = undefined;
        stack.length = 0;
        break;
      }
      case 0x96: break; // nop
      case 0x9c: { // call_frame_cfa
        if (ctx.cfa === undefined) throw new Unavailable('the CFA is not available');
        push(ctx.cfa);
        break;
      }
      case 0x9e: { // implicit_value
        const n = r.uleb();
        loc = { kind: 'value', bytes: r.bytes(n, 'implicit value').slice() };
        break;
      }
      case 0x9f: { // stack_value
        const e = pop();
        loc = { kind: 'value', bytes: bytesOf(e.v, e.type ? Math.max(1, e.type.size) : 8) };
        break;
      }
      case 0xa0: case 0xf2: { // implicit_pointer, GNU_implicit_pointer
        const die = r.offset(ctx.unit.version <= 2 ? ctx.unit.addressSize : ctx.unit.offsetSize);
        const offset = r.sleb();
        loc = { kind: 'implicit_pointer', die, offset };
        break;
      }
      case 0xa3: case 0xf3: { // entry_value, GNU_entry_value
        const n = r.uleb();
        const sub = r.bytes(n, 'entry value expression');
        const v = ctx.entryValue?.(sub);
        if (v === undefined) throw new Unavailable('the entry value is not available');
        push(v);
        break;
      }
      case 0xa4: case 0xf4: { // const_type
        const t = baseType(r.uleb());
        const n = r.u8();
        push(fromBytes(r.bytes(n, 'typed constant')), t);
        break;
      }
      case 0xa5: case 0xf5: { // regval_type
        const n = r.uleb();
        const t = baseType(r.uleb());
        push(reg(n), t);
        break;
      }
      case 0xa6: case 0xf6: { // deref_type
        const size = r.u8();
        const t = baseType(r.uleb());
        push(deref(popv(), size), t);
        break;
      }
      case 0xa8: case 0xf7: case 0xa9: case 0xf9: { // convert, reinterpret
        const off = r.uleb();
        const t = baseType(off);
        const e = pop();
        if (op === 0xa8 || op === 0xf7) stack.push(convert(e, t));
        else stack.push({ v: t ? BigInt.asUintN(t.size * 8, e.v) : e.v, type: t });
        break;
      }
      case 0xe0: push(BigInt(r.u64())); break; // GNU_push_tls_address: unsupported target
      default:
        throw r.error(`unsupported DWARF expression operation ${hex(op)}`, at);
    }
  }
  if (pieces.length > 0) {
    if (loc || stack.length > 0) throw r.error('location after the last piece');
    return { kind: 'composite', pieces };
  }
  if (loc) return loc;
  if (stack.length === 0) return { kind: 'optimized' };
  return { kind: 'memory', addr: stack[stack.length - 1].v };

  function jump(off: number): void {
    const to = r.pos + off;
    if (to < 0 || to > r.limit) throw r.error('branch outside the expression');
    r.pos = to;
  }
}

function uleb(r: Reader): bigint {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    const b = r.u8('LEB128');
    result |= BigInt(b & 0x7f) << shift;
    shift += 7n;
    if ((b & 0x80) === 0) return M(result);
  }
}

function sleb(r: Reader): bigint {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    const b = r.u8('LEB128');
    result |= BigInt(b & 0x7f) << shift;
    shift += 7n;
    if ((b & 0x80) === 0) {
      if (b & 0x40) result -= 1n << shift;
      return M(result);
    }
  }
}

/**
 * The expression of a location list that applies at `pc`, or undefined when
 * none does (the variable is optimized out there). DWARF 5 .debug_loclists
 * (all DW_LLE_* kinds) when the unit is version 5, else DWARF 2-4 .debug_loc.
 */
export function locationListAt(
  data: Uint8Array | undefined, offset: number, u: DieUnit, pc: number, addrx: (i: number) => number,
): Uint8Array | undefined {
  if (!data) throw new DwarfError(u.version >= 5 ? 'no .debug_loclists section' : 'no .debug_loc section');
  const r = new Reader(data, u.version >= 5 ? '.debug_loclists' : '.debug_loc', offset);
  let base = u.base;
  if (u.version < 5) {
    const size = u.addressSize;
    const max = size === 8 ? 2 ** 64 - 1 : 2 ** 32 - 1;
    for (let n = 0; n < 100_000; n++) {
      const a = r.uint(size, 'range start');
      const b = r.uint(size, 'range end');
      if (a === 0 && b === 0) return undefined;
      if (a >= max) { base = b; continue; }
      const len = r.u16('expression length');
      const expr = r.bytes(len, 'expression');
      if (pc >= base + a && pc < base + b) return expr;
    }
    return undefined;
  }
  let fallback: Uint8Array | undefined;
  for (let n = 0; n < 100_000; n++) {
    const kind = r.u8('location list entry kind');
    let lo: number | undefined;
    let hi: number | undefined;
    switch (kind) {
      case 0: return fallback; // end_of_list
      case 1: base = addrx(r.uleb()); continue; // base_addressx
      case 2: lo = addrx(r.uleb()); hi = addrx(r.uleb()); break; // startx_endx
      case 3: lo = addrx(r.uleb()); hi = lo + r.uleb(); break; // startx_length
      case 4: lo = base + r.uleb(); hi = base + r.uleb(); break; // offset_pair
      case 5: { const len = r.uleb(); fallback = r.bytes(len, 'expression'); continue; } // default_location
      case 6: base = r.uint(u.addressSize); continue; // base_address
      case 7: lo = r.uint(u.addressSize); hi = r.uint(u.addressSize); break; // start_end
      case 8: lo = r.uint(u.addressSize); hi = lo + r.uleb(); break; // start_length
      default: throw r.error(`unknown location list entry kind ${hex(kind)}`);
    }
    const len = r.uleb('expression length');
    const expr = r.bytes(len, 'expression');
    if (pc >= lo && pc < hi) return expr;
  }
  return undefined;
}
