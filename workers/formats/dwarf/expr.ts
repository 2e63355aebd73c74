/**
 * A small C expression evaluator over the debug info, for `print`:
 * identifiers (innermost scope first, then the unit's statics, then the
 * globals), integer/char/float literals, `.`, `->`, `[]`, unary `* & - ! ~ +`,
 * binary arithmetic, comparison, logical and bitwise operators, casts to base
 * types, typedefs, struct/union/enum types and pointers to them, and sizeof.
 * Errors are GDB's messages (`No symbol "foo" in current context.`).
 */
import { TAG, type Die } from './die';
import {
  ATE, CHAR, DOUBLE, FLOAT, INT, LONG, UINT, ULONG, VOID, isFloat, isInteger, isSigned, sizeOf, strip, valueSize, type Type,
} from './types';
import { readLocation, toBigInt, toFloat, subValue, bitFieldValue, allKnown, REG_NAMES, type Value } from './value';
import type { FrameState, ReadMemory, Variables } from './variables';
import { VariableError } from './variables';

/** An expression that cannot be evaluated: the message is what GDB says. */
export class ExpressionError extends Error {}

type Token =
  | { k: 'num'; v: bigint; type: Type }
  | { k: 'float'; v: number; type: Type }
  | { k: 'char'; v: number }
  | { k: 'id'; v: string }
  | { k: 'op'; v: string }
  | { k: 'end' };

const OPS = ['@', '->', '<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '+', '-', '*', '/', '%', '<', '>', '&', '|', '^', '!', '~', '(', ')', '[', ']', '.', ',', '?', ':'];

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const syntax = (): never => { throw new ExpressionError(`A syntax error in expression, near \`${text.slice(i)}'.`); };
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) { i++; continue; }
    const rest = text.slice(i);
    let m = /^(0[xX][0-9a-fA-F]+|\d+\.\d*(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+|\.\d+(?:[eE][-+]?\d+)?|\d+)([uUlLfF]*)/.exec(rest);
    if (m && !/^\.[^\d]/.test(rest)) {
      const body = m[1];
      const suffix = m[2].toLowerCase();
      if (!/^0x/i.test(body) && /[.eE]/.test(body)) {
        out.push({ k: 'float', v: Number(body), type: suffix.includes('f') ? FLOAT : DOUBLE });
      } else {
        const v = /^0[0-7]+$/.test(body) ? BigInt('0o' + body.slice(1)) : BigInt(body);
        const unsigned = suffix.includes('u');
        const long = suffix.includes('l');
        let type: Type;
        if (!long && v < 2n ** 31n && !unsigned) type = INT;
        else if (!long && v < 2n ** 32n && (unsigned || /^0x/i.test(body))) type = UINT;
        else if (!unsigned && v < 2n ** 63n) type = LONG;
        else type = ULONG;
        out.push({ k: 'num', v: BigInt.asUintN(64, v), type });
      }
      i += m[0].length;
      continue;
    }
    m = /^'(\\(?:[0-7]{1,3}|x[0-9a-fA-F]+|.)|[^\\'])'/.exec(rest);
    if (m) {
      const body = m[1];
      let v: number;
      if (body[0] !== '\\') v = body.charCodeAt(0);
      else if (/^\\[0-7]/.test(body)) v = parseInt(body.slice(1), 8);
      else if (body[1] === 'x') v = parseInt(body.slice(2), 16);
      else v = ({ n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11, e: 27, '0': 0 } as Record<string, number>)[body[1]] ?? body.charCodeAt(1);
      out.push({ k: 'char', v: v & 0xff });
      i += m[0].length;
      continue;
    }
    m = /^\$?[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (m) { out.push({ k: 'id', v: m[0] }); i += m[0].length; continue; }
    const op = OPS.find((o) => rest.startsWith(o));
    if (!op) syntax();
    out.push({ k: 'op', v: op as string });
    i += (op as string).length;
  }
  out.push({ k: 'end' });
  return out;
}

const BASE_WORDS = new Set(['int', 'char', 'short', 'long', 'unsigned', 'signed', 'float', 'double', 'void', '_Bool', 'const', 'volatile', 'struct', 'union', 'enum']);

/** The binary operators by precedence, lowest first. */
const LEVELS: string[][] = [['||'], ['&&'], ['|'], ['^'], ['&'], ['==', '!='], ['<', '>', '<=', '>='], ['<<', '>>'], ['@'], ['+', '-'], ['*', '/', '%']];

export interface EvalScope {
  vars: Variables;
  frame: FrameState | undefined;
  mem: ReadMemory;
}

function intValue(v: bigint, type: Type): Value {
  const size = valueSize(type);
  const bytes = new Uint8Array(size);
  let x = BigInt.asUintN(Math.max(8, size * 8), v);
  for (let i = 0; i < size; i++) { bytes[i] = Number(x & 0xffn); x >>= 8n; }
  return { type, bytes };
}

function floatValue(x: number, type: Type): Value {
  const size = valueSize(type);
  const bytes = new Uint8Array(size);
  const dv = new DataView(bytes.buffer);
  if (size === 4) dv.setFloat32(0, x, true);
  else if (size === 8) dv.setFloat64(0, x, true);
  return { type, bytes };
}

/** Evaluates `text` in a frame (or with globals only when frame is undefined). */
export function evaluateExpression(text: string, scope: EvalScope): Value {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = (): Token => tokens[pos];
  const isOp = (v: string, t: Token = peek()): boolean => t.k === 'op' && t.v === v;
  const syntaxError = (): never => {
    throw new ExpressionError(`A syntax error in expression, near \`${tokens.slice(pos).map(tokenText).join(' ')}'.`);
  };
  const expect = (v: string): void => { if (!isOp(v)) syntaxError(); pos++; };
  const { vars, frame, mem } = scope;
  const names = new WeakMap<Value, string>();

  const fetch = (v: Value): Value => {
    if (allKnown(v)) return v;
    throw new ExpressionError('value has been optimized out');
  };
  const num = (v: Value): bigint => {
    const s = strip(v.type);
    if (s.kind === 'pointer') return toBigInt(fetch(v), false);
    if (!isInteger(v.type)) throw new ExpressionError('Argument to arithmetic operation not a number or boolean.');
    return toBigInt(fetch(v));
  };
  const fnum = (v: Value): number => (isFloat(v.type) ? toFloat(fetch(v)) : Number(num(v)));
  const truth = (v: Value): boolean => (isFloat(v.type) ? fnum(v) !== 0 : num(v) !== 0n);
  const atAddress = (addr: bigint, type: Type): Value => {
    const v = readLocation({ kind: 'memory', addr }, type, { reg: () => undefined, mem });
    if (v.error) throw new ExpressionError(v.error);
    return v;
  };
  /** Arrays decay to pointers to their first element. */
  const decay = (v: Value): Value => {
    const s = strip(v.type);
    if (s.kind === 'array') {
      if (v.address === undefined) throw new ExpressionError('Attempt to take address of value not located in memory.');
      return intValue(v.address, { kind: 'pointer', target: s.element, size: 8 });
    }
    if (s.kind === 'function' && v.address !== undefined) return intValue(v.address, { kind: 'pointer', target: v.type, size: 8 });
    return v;
  };
  const promote = (t: Type): Type => {
    const s = strip(t);
    if (s.kind === 'enum') return s.size <= 4 ? (s.signed ? INT : UINT) : LONG;
    if (s.kind === 'base' && s.encoding !== ATE.float && s.size < 4) return INT;
    return t;
  };
  const common = (a: Type, b: Type): Type => {
    if (isFloat(a) || isFloat(b)) {
      const sa = isFloat(a) ? sizeOf(a) : 0;
      const sb = isFloat(b) ? sizeOf(b) : 0;
      return Math.max(sa, sb) > 4 ? DOUBLE : FLOAT;
    }
    const pa = promote(a), pb = promote(b);
    const sa = sizeOf(pa), sb = sizeOf(pb);
    if (sa !== sb) return sa > sb ? pa : pb;
    if (!isSigned(pa)) return pa;
    return pb;
  };
  const deref = (v: Value): Value => {
    const d = decay(v);
    const s = strip(d.type);
    if (s.kind !== 'pointer') throw new ExpressionError('Attempt to take contents of a non-pointer value.');
    if (v.synthetic) throw new ExpressionError('Attempt to take contents of a synthetic pointer.');
    const target = s.target;
    const ts = strip(target);
    if (ts.kind === 'void') throw new ExpressionError('Attempt to take contents of a non-pointer value.');
    const addr = toBigInt(fetch(d), false);
    if (ts.kind === 'function') return { type: target, bytes: new Uint8Array(0), address: addr };
    return atAddress(addr, target);
  };
  const member = (v0: Value, name: string): Value => {
    // GDB lets `.` reach through a pointer (and an array's first element) as `->` does.
    const v = strip(decay(v0).type).kind === 'pointer' && strip(v0.type).kind !== 'struct' ? deref(v0) : v0;
    const s = strip(v.type);
    if (s.kind !== 'struct' && s.kind !== 'union') {
      throw new ExpressionError(`Attempt to extract a component of a value that is not a structure${s.kind === 'pointer' ? ' pointer' : ''}.`);
    }
    const find = (t: Type & { kind: 'struct' | 'union' }, base: Value): Value | undefined => {
      for (const m of t.members) {
        if (m.name === name) return m.bitSize !== undefined ? bitFieldValue(base, m) : subValue(base, m.type, m.offset);
        const ms = strip(m.type);
        if (m.name === undefined && (ms.kind === 'struct' || ms.kind === 'union')) {
          const hit = find(ms, subValue(base, m.type, m.offset));
          if (hit) return hit;
        }
      }
      return undefined;
    };
    const hit = find(s, v);
    if (!hit) throw new ExpressionError(`There is no member named ${name}.`);
    return hit;
  };
  const index = (base: Value, i: Value): Value => {
    const s = strip(base.type);
    if (s.kind === 'array' && base.address === undefined) {
      const n = Number(num(i));
      const el = sizeOf(s.element);
      if (s.count !== undefined && (n < 0 || n >= s.count)) throw new ExpressionError(`no such vector element`);
      return subValue(base, s.element, n * el);
    }
    const p = decay(base);
    const ps = strip(p.type);
    if (ps.kind !== 'pointer') {
      if (isInteger(base.type) && (strip(decay(i).type).kind === 'pointer')) return index(i, base);
      throw new ExpressionError('cannot subscript something of type `' + typeNameOf(base.type) + "'");
    }
    return deref(pointerAdd(p, num(i)));
  };
  const pointerAdd = (p: Value, n: bigint): Value => {
    const s = strip(p.type) as Type & { kind: 'pointer' };
    const size = BigInt(Math.max(1, sizeOf(s.target)));
    return intValue(toBigInt(fetch(p), false) + n * size, p.type);
  };
  const arith = (op: string, a0: Value, b0: Value): Value => {
    const a = decay(a0), b = decay(b0);
    const sa = strip(a.type), sb = strip(b.type);
    if (op === '@') {
      const n = Number(num(b0));
      if (a0.address === undefined) throw new ExpressionError('Only values in memory can be extended with \'@\'.');
      if (n <= 0) throw new ExpressionError('Non-positive repeat count.');
      return atAddress(a0.address, { kind: 'array', element: a0.type, count: n });
    }
    if (op === '&&') return intValue(truth(a) && truth(b) ? 1n : 0n, INT);
    if (op === '||') return intValue(truth(a) || truth(b) ? 1n : 0n, INT);
    if (sa.kind === 'pointer' || sb.kind === 'pointer') {
      if ((op === '+' || op === '-') && sa.kind === 'pointer' && isInteger(b.type)) return pointerAdd(a, op === '+' ? num(b) : -num(b));
      if (op === '+' && sb.kind === 'pointer' && isInteger(a.type)) return pointerAdd(b, num(a));
      if (op === '-' && sa.kind === 'pointer' && sb.kind === 'pointer') {
        const size = BigInt(Math.max(1, sizeOf(sa.target)));
        return intValue((BigInt.asIntN(64, num(a)) - BigInt.asIntN(64, num(b))) / size, LONG);
      }
      if (['==', '!=', '<', '>', '<=', '>='].includes(op)) return compare(op, num(a), num(b));
      throw new ExpressionError('Argument to arithmetic operation not a number or boolean.');
    }
    if ((!isInteger(a.type) && !isFloat(a.type)) || (!isInteger(b.type) && !isFloat(b.type))) {
      throw new ExpressionError('Argument to arithmetic operation not a number or boolean.');
    }
    const t = ['<<', '>>'].includes(op) ? promote(a.type) : common(a.type, b.type);
    if (isFloat(t)) {
      const x = fnum(a), y = fnum(b);
      switch (op) {
        case '+': return floatValue(x + y, t);
        case '-': return floatValue(x - y, t);
        case '*': return floatValue(x * y, t);
        case '/': return floatValue(x / y, t);
        case '==': case '!=': case '<': case '>': case '<=': case '>=':
          return intValue([x === y, x !== y, x < y, x > y, x <= y, x >= y][['==', '!=', '<', '>', '<=', '>='].indexOf(op)] ? 1n : 0n, INT);
        default: throw new ExpressionError('Integer only operation.');
      }
    }
    const bits = sizeOf(t) * 8;
    const signed = isSigned(t);
    const norm = (x: bigint): bigint => (signed ? BigInt.asIntN(bits, x) : BigInt.asUintN(bits, x));
    const x = norm(num(a)), y = norm(num(b));
    switch (op) {
      case '+': return intValue(x + y, t);
      case '-': return intValue(x - y, t);
      case '*': return intValue(x * y, t);
      case '/': if (y === 0n) throw new ExpressionError('Division by zero'); return intValue(x / y, t);
      case '%': if (y === 0n) throw new ExpressionError('Division by zero'); return intValue(x % y, t);
      case '<<': return intValue(x << BigInt.asUintN(6, y), t);
      case '>>': return intValue(x >> BigInt.asUintN(6, y), t);
      case '&': return intValue(x & y, t);
      case '|': return intValue(x | y, t);
      case '^': return intValue(x ^ y, t);
      default: return compare(op, x, y);
    }
  };
  const compare = (op: string, x: bigint, y: bigint): Value =>
    intValue([x === y, x !== y, x < y, x > y, x <= y, x >= y][['==', '!=', '<', '>', '<=', '>='].indexOf(op)] ? 1n : 0n, INT);

  const cast = (v0: Value, t: Type): Value => {
    const s = strip(t);
    const v = decay(v0);
    if (s.kind === 'void') return { type: t, bytes: new Uint8Array(0) };
    if (s.kind === 'struct' || s.kind === 'union' || s.kind === 'array') {
      if (sizeOf(t) !== v.bytes.length) throw new ExpressionError('Invalid cast.');
      return { ...v, type: t };
    }
    if (isFloat(t)) return floatValue(fnum(v), t);
    if (isFloat(v.type)) return intValue(BigInt(Math.trunc(fnum(v))), t);
    if (s.kind === 'pointer' || isInteger(t)) {
      const x = num(v);
      if (s.kind === 'base' && s.encoding === ATE.boolean) return intValue(x !== 0n ? 1n : 0n, t);
      return intValue(x, t);
    }
    throw new ExpressionError('Invalid cast.');
  };

  /** A type name at pos, if one starts there (for casts and sizeof). */
  const typeAt = (): Type | undefined => {
    const t = peek();
    if (t.k !== 'id') return undefined;
    const words: string[] = [];
    let p = pos;
    let type: Type | undefined;
    let qualifiers = 0;
    for (;;) {
      const tk = tokens[p];
      if (tk.k !== 'id') break;
      if (tk.v === 'const' || tk.v === 'volatile') { qualifiers++; p++; continue; }
      if (tk.v === 'struct' || tk.v === 'union' || tk.v === 'enum') {
        const n = tokens[p + 1];
        if (n.k !== 'id') return undefined;
        type = vars.typeNamed(`${tk.v} ${n.v}`);
        if (!type) throw new ExpressionError(`No ${tk.v} type named ${n.v}.`);
        p += 2;
        break;
      }
      if (BASE_WORDS.has(tk.v)) { words.push(tk.v); p++; continue; }
      if (words.length === 0 && !type && vars.lookup(tk.v, frame) === undefined) {
        const td = vars.typeNamed(tk.v);
        if (td) { type = td; p++; }
      }
      break;
    }
    if (!type && words.length === 0) { if (qualifiers === 0) return undefined; }
    if (!type) type = baseTypeNamed(words, vars);
    if (!type) return undefined;
    while (isOp('*', tokens[p])) { type = { kind: 'pointer', target: type, size: 8 }; p++; }
    pos = p;
    return type;
  };

  const primary = (): Value => {
    const t = peek();
    if (t.k === 'num') { pos++; return intValue(t.v, t.type); }
    if (t.k === 'float') { pos++; return floatValue(t.v, t.type); }
    if (t.k === 'char') { pos++; return intValue(BigInt(t.v), CHAR); }
    if (isOp('(')) {
      pos++;
      const v = comma();
      expect(')');
      return v;
    }
    if (t.k === 'id') {
      pos++;
      return identifier(t.v);
    }
    return syntaxError();
  };
  const identifier = (name: string): Value => {
    if (name.startsWith('$')) return register(name.slice(1));
    const hit = vars.lookup(name, frame);
    if (!hit) throw new ExpressionError(`No symbol "${name}" in current context.`);
    const die: Die = 'die' in hit && 'isParameter' in hit ? hit.die : (hit as Die);
    if (die.tag === TAG.subprogram) {
      const f = vars.functionValue(die);
      if (!f) throw new ExpressionError(`No symbol "${name}" in current context.`);
      return f;
    }
    if (die.tag === TAG.enumerator) {
      return vars.enumeratorValue(die);
    }
    try {
      const v = vars.value(die, frame, mem);
      names.set(v, name);
      return v;
    } catch (e) {
      if (e instanceof VariableError) throw new ExpressionError(e.message);
      throw e;
    }
  };
  const register = (name: string): Value => {
    const alias: Record<string, number> = { fp: 8, s0: 8, pc: -1 };
    const n = alias[name] ?? REG_NAMES.indexOf(name);
    if (n === -1 && name === 'pc') {
      const pc = frame?.pc ?? 0;
      return intValue(BigInt(pc), { kind: 'pointer', target: { kind: 'function', ret: VOID, params: [], varargs: false, prototyped: false }, size: 8 });
    }
    if (n < 0) return { type: VOID, bytes: new Uint8Array(0) }; // GDB: an unset convenience variable is void
    const v = frame?.reg(n);
    if (v === undefined) throw new ExpressionError('value is not available');
    if (n === 2) return intValue(v, { kind: 'pointer', target: VOID, size: 8 });
    if (n >= 32) return intValue(v, { kind: 'base', name: 'double', size: 8, encoding: ATE.float });
    return intValue(v, LONG);
  };
  const postfix = (): Value => {
    let v = primary();
    for (;;) {
      if (isOp('.')) {
        pos++;
        const n = peek();
        if (n.k !== 'id') syntaxError();
        pos++;
        v = member(v, (n as { v: string }).v);
      } else if (isOp('->')) {
        pos++;
        const n = peek();
        if (n.k !== 'id') syntaxError();
        pos++;
        const s = strip(decay(v).type);
        if (s.kind !== 'pointer') {
          const vs = strip(v.type);
          if (vs.kind === 'struct' || vs.kind === 'union') { v = member(v, (n as { v: string }).v); continue; }
          throw new ExpressionError('Attempt to extract a component of a value that is not a structure pointer.');
        }
        v = member(deref(v), (n as { v: string }).v);
      } else if (isOp('[')) {
        pos++;
        const i = comma();
        expect(']');
        v = index(v, i);
      } else return v;
    }
  };
  const unary = (): Value => {
    const t = peek();
    if (t.k === 'id' && t.v === 'sizeof') {
      pos++;
      if (isOp('(')) {
        const save = pos;
        pos++;
        const ty = typeAt();
        if (ty) { expect(')'); return intValue(BigInt(sizeOf(ty)), ULONG); }
        pos = save;
      }
      const v = unary();
      return intValue(BigInt(v.bytes.length), ULONG);
    }
    if (t.k === 'op') {
      switch (t.v) {
        case '-': { pos++; const v = unary(); return isFloat(v.type) ? floatValue(-fnum(v), v.type) : intValue(-num(v), promote(v.type)); }
        case '+': { pos++; const v = unary(); return isFloat(v.type) ? v : intValue(num(v), promote(v.type)); }
        case '!': { pos++; const v = decay(unary()); return intValue(truth(v) ? 0n : 1n, INT); }
        case '~': { pos++; const v = unary(); if (!isInteger(v.type)) throw new ExpressionError('Argument to complement operation not an integer, boolean.'); return intValue(~num(v), promote(v.type)); }
        case '*': { pos++; return deref(unary()); }
        case '&': {
          pos++;
          const v = unary();
          const named = names.get(v);
          if (v.address === undefined && named !== undefined) throw new ExpressionError(`Can't take address of "${named}" which isn't an lvalue.`);
          if (v.address === undefined) throw new ExpressionError('Attempt to take address of value not located in memory.');
          if (strip(v.type).kind === 'function') return intValue(v.address, { kind: 'pointer', target: v.type, size: 8 });
          return intValue(v.address, { kind: 'pointer', target: v.type, size: 8 });
        }
        case '(': {
          const save = pos;
          pos++;
          const ty = typeAt();
          if (ty && isOp(')')) { pos++; return cast(unary(), ty); }
          pos = save;
          break;
        }
      }
    }
    return postfix();
  };
  const binary = (level: number): Value => {
    if (level >= LEVELS.length) return unary();
    let a = binary(level + 1);
    for (;;) {
      const t = peek();
      if (t.k !== 'op' || !LEVELS[level].includes(t.v)) return a;
      pos++;
      const b = binary(level + 1);
      a = arith(t.v, a, b);
    }
  };
  const conditional = (): Value => {
    const c = binary(0);
    if (!isOp('?')) return c;
    pos++;
    const a = comma();
    expect(':');
    const b = conditional();
    return truth(decay(c)) ? a : b;
  };
  const comma = (): Value => {
    let v = conditional();
    while (isOp(',')) { pos++; v = conditional(); }
    return v;
  };
  if (peek().k === 'end') throw new ExpressionError('Argument required (expression to compute).');
  const v = comma();
  if (peek().k !== 'end') syntaxError();
  return v;
}

function tokenText(t: Token): string {
  switch (t.k) {
    case 'num': return t.v.toString();
    case 'float': return String(t.v);
    case 'char': return `'${String.fromCharCode(t.v)}'`;
    case 'id': case 'op': return t.v;
    case 'end': return '';
  }
}

function typeNameOf(t: Type): string {
  const s = strip(t);
  return s.kind === 'base' ? s.name : s.kind;
}

/** C's base type names ("unsigned long", "char", "long long int") as types; the program's own DIE if it has one. */
function baseTypeNamed(words: string[], vars: Variables): Type | undefined {
  if (words.length === 0) return undefined;
  const w = new Set(words);
  const count = (x: string): number => words.filter((y) => y === x).length;
  if (w.has('void')) return VOID;
  let name: string;
  let size: number;
  let encoding: number;
  const unsigned = w.has('unsigned');
  if (w.has('float')) { name = 'float'; size = 4; encoding = ATE.float; }
  else if (w.has('double')) { name = w.has('long') ? 'long double' : 'double'; size = w.has('long') ? 16 : 8; encoding = ATE.float; }
  else if (w.has('_Bool')) { name = '_Bool'; size = 1; encoding = ATE.boolean; }
  else if (w.has('char')) {
    name = unsigned ? 'unsigned char' : w.has('signed') ? 'signed char' : 'char';
    size = 1;
    encoding = unsigned ? ATE.unsigned_char : ATE.signed_char;
    if (name === 'char') encoding = ATE.unsigned_char; // RISC-V: char is unsigned
  } else if (w.has('short')) { name = unsigned ? 'short unsigned int' : 'short int'; size = 2; encoding = unsigned ? ATE.unsigned : ATE.signed; }
  else if (count('long') >= 2) { name = unsigned ? 'long long unsigned int' : 'long long int'; size = 8; encoding = unsigned ? ATE.unsigned : ATE.signed; }
  else if (w.has('long')) { name = unsigned ? 'long unsigned int' : 'long int'; size = 8; encoding = unsigned ? ATE.unsigned : ATE.signed; }
  else { name = unsigned ? 'unsigned int' : 'int'; size = 4; encoding = unsigned ? ATE.unsigned : ATE.signed; }
  const own = vars.typeNamed(name);
  if (own) return own;
  return { kind: 'base', name, size, encoding };
}

