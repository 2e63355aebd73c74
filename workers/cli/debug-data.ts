// What `hindsight debug` shows of data, in GDB's formats: `ptype`, `x/NFU`,
// frame lines with arguments (`bt`, `frame`, `up`, `down`) and the history of a value.
import { declaration, strip, typeName, sizeOf, type Type } from '../formats/dwarf/types';
import { formatG, formatValue, type FormatEnv, type Value } from '../formats/dwarf/value';
import type { Variables, FrameState } from '../formats/dwarf/variables';
import type { ValueHistory } from '../replay/value-history';
import type { SymbolTable } from '../formats/elf';

/** GDB's `ptype`: the type with typedefs resolved at the top and a struct, union or enum spelled out one level. */
export function ptypeText(t: Type): string {
  let top = t;
  for (let i = 0; i < 64 && top.kind === 'typedef'; i++) top = top.target;
  // Find the innermost named aggregate under pointers/arrays/qualifiers, to expand it in place.
  const suffix = typeName(top);
  const { base, quals } = innermost(top);
  if (base.kind === 'base' && top === base) return `type = ${GDB_BASE_NAMES[base.name] ?? base.name}`;
  if (base.kind === 'struct' || base.kind === 'union') {
    const head = `${quals}${base.name !== undefined ? `${base.kind} ${base.name}` : base.kind}`;
    if (base.incomplete) return `type = ${suffix}`;
    const body = base.members.map((m) => `    ${declaration(m.type, m.name ?? '')}${m.bitSize !== undefined ? ` : ${m.bitSize}` : ''};`);
    return `type = ${head} {\n${body.join('\n')}\n}${tail(suffix, typeName(base))}`;
  }
  if (base.kind === 'enum') {
    const head = `${quals}${base.name !== undefined ? `enum ${base.name} ` : 'enum '}`;
    let next = 0n;
    const values = base.enumerators.map((e) => {
      const text = e.value === next ? e.name : `${e.name} = ${e.value}`;
      next = e.value + 1n;
      return text;
    });
    return `type = ${head}{${values.join(', ')}}${tail(suffix, typeName(base))}`;
  }
  return `type = ${suffix}`;
}

/** GDB's ptype spells DWARF's base type names as C programmers do. */
const GDB_BASE_NAMES: Record<string, string> = {
  'short int': 'short', 'short unsigned int': 'unsigned short', 'long int': 'long', 'long unsigned int': 'unsigned long',
  'long long int': 'long long', 'long long unsigned int': 'unsigned long long',
};

/** The type under pointers, arrays and qualifiers, with the qualifiers right above it ("const "). */
function innermost(t: Type): { base: Type; quals: string } {
  let quals = '';
  for (let i = 0; i < 64; i++) {
    if (t.kind === 'qualified') { quals += `${t.qual} `; t = t.target; } else if (t.kind === 'pointer' || t.kind === 'reference') { quals = ''; t = t.target; } else if (t.kind === 'array') { quals = ''; t = t.element; } else break;
  }
  return { base: t, quals };
}

/** What follows the aggregate's name in the full type name (" *", " [4]"), e.g. "struct node *" → " *". */
function tail(full: string, baseName: string): string {
  const i = full.indexOf(baseName);
  if (i < 0) return '';
  const prefix = full.slice(0, i).replace(/^((const|volatile|restrict|_Atomic) )+/, '');
  const rest = full.slice(i + baseName.length);
  return (prefix ? ` ${prefix.trim()}` : '') + rest;
}

export interface ExamineSpec { count: number; format: string; size: number }

/** Parses GDB's `x/NFU` (count, format and unit letters in any order: x/2xg and x/2gx). */
export function parseExamine(cmd: string, last: { format: string; size: number }): ExamineSpec {
  const m = /^x(?:\/(.*))?$/.exec(cmd);
  if (!m) throw new Error(`cannot read "${cmd}": use x/NFU ADDR`);
  const spec = m[1] ?? '';
  const n = /^(\d*)([a-z]*)$/i.exec(spec);
  if (!n) throw new Error(`Invalid number "${spec}".`);
  let format = last.format;
  let size = last.size;
  let sizeGiven = false;
  for (const c of n[2]) {
    if ('bhwg'.includes(c)) { size = { b: 1, h: 2, w: 4, g: 8 }[c as 'b' | 'h' | 'w' | 'g']; sizeGiven = true; } else if ('xduotacfz'.includes(c)) format = c;
    else throw new Error(`Undefined output format "${c}".`);
  }
  if (format === 'a' && !sizeGiven) size = 8;
  if (format === 'c' && !sizeGiven) size = 1;
  if (format === 'f' && !sizeGiven && size !== 4 && size !== 8) size = 8;
  const count = n[1] ? Number(n[1]) : 1;
  return { count, format, size };
}

/** GDB's label of an address: "<raw_samples+16>" (decimal offset), or nothing. */
export function gdbLabel(symbols: SymbolTable, addr: bigint): string {
  if (addr > BigInt(Number.MAX_SAFE_INTEGER)) return '';
  const hit = symbols.symbolize(Number(addr));
  // Inside an object or function (or at a symbol without a size), as GDB names addresses.
  if (!hit || (hit.symbol.size > 0 ? hit.offset >= hit.symbol.size : hit.offset !== 0)) return '';
  return hit.offset === 0 ? ` <${hit.symbol.name}>` : ` <${hit.symbol.name}+${hit.offset}>`;
}

/** The lines of `x/NFU ADDR` for bytes read at addr. */
export function examineLines(spec: ExamineSpec, addr: bigint, bytes: Uint8Array, symbols: SymbolTable): string[] {
  const { count, format, size } = spec;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const perLine = format === 'c' ? 8 : format === 'a' ? 2 : size === 8 ? 2 : size === 4 ? 4 : 8;
  const lines: string[] = [];
  for (let i = 0; i < count; i += perLine) {
    const a = addr + BigInt(i * size);
    const values: string[] = [];
    for (let k = i; k < Math.min(count, i + perLine); k++) {
      const o = k * size;
      const u = size === 1 ? BigInt(view.getUint8(o)) : size === 2 ? BigInt(view.getUint16(o, true)) : size === 4 ? BigInt(view.getUint32(o, true)) : view.getBigUint64(o, true);
      const s = BigInt.asIntN(size * 8, u);
      switch (format) {
        case 'x': values.push(`0x${u.toString(16).padStart(size * 2, '0')}`); break;
        case 'z': values.push(`0x${u.toString(16).padStart(size * 2, '0')}`); break;
        case 'd': values.push(s.toString()); break;
        case 'u': values.push(u.toString()); break;
        case 'o': values.push(u === 0n ? '0' : `0${u.toString(8)}`); break;
        case 't': values.push(u.toString(2).padStart(size * 8, '0')); break;
        case 'a': values.push(`0x${u.toString(16)}${gdbLabel(symbols, u)}`); break;
        case 'c': {
          const c = Number(BigInt.asIntN(8, u));
          const ch = u >= 32n && u < 127n ? (u === 39n || u === 92n ? `\\${String.fromCharCode(Number(u))}` : String.fromCharCode(Number(u))) : charEscape(Number(u));
          values.push(`${c} '${ch}'`);
          break;
        }
        case 'f': {
          if (size === 4) values.push(gFloat(view.getFloat32(o, true), 9));
          else if (size === 8) values.push(gFloat(view.getFloat64(o, true), 17));
          else values.push(s.toString());
          break;
        }
      }
    }
    lines.push(`0x${a.toString(16)}${gdbLabel(symbols, a)}:\t${values.join('\t')}`);
  }
  return lines;
}

function charEscape(c: number): string {
  const named: Record<number, string> = { 0: '\\000', 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 27: '\\033' };
  return named[c] ?? `\\${c.toString(8).padStart(3, '0')}`;
}

/** C's %.17g (doubles) and %.9g (floats), as GDB prints them. */
function gFloat(x: number, digits: number): string {
  if (Number.isNaN(x)) return 'nan(0x8000000000000)';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  return formatG(x, digits);
}

/** A frame's arguments as `bt` shows them: "values=0x80200000 <raw_samples>, n=96" (aggregates as "..."). */
export function frameArguments(vars: Variables, frame: FrameState, env: FormatEnv, mem: (a: bigint, n: number) => Uint8Array | undefined): string {
  const out: string[] = [];
  for (const v of vars.args(frame)) {
    let text: string;
    const s = strip(v.type);
    if (s.kind === 'struct' || s.kind === 'union' || s.kind === 'array') text = '...';
    else {
      try {
        text = formatValue(vars.value(v.die, frame, mem), env);
      } catch (e) {
        text = `<error: ${e instanceof Error ? e.message : String(e)}>`;
      }
    }
    out.push(`${v.name}=${text}`);
  }
  return out.join(', ');
}

/** The lines of `history EXPR`. */
export function historyLines(label: string, h: ValueHistory, type: Type | undefined, env: FormatEnv, symbols: SymbolTable, seconds: number): string[] {
  const show = (b: Uint8Array | undefined): string => {
    if (!b) return '<unreadable>';
    if (type && sizeOf(type) === b.length) {
      const v: Value = { type, bytes: b };
      try { return formatValue(v, env); } catch { /* raw below */ }
    }
    return '0x' + Array.from(b).reverse().map((x) => x.toString(16).padStart(2, '0')).join('');
  };
  const lines = [`history of ${label}: ${h.range.length} bytes at 0x${h.range.address.toString(16)}, ${h.writes.length} write${h.writes.length === 1 ? '' : 's'}` +
    ` (${h.segments} segments, ${h.skipped} skipped, ${h.workers} workers, ${seconds.toFixed(2)} s)${h.cancelled ? ', cancelled' : ''}`];
  lines.push(`initial value: ${show(h.initial)}`);
  for (const w of h.writes) {
    const where = w.file ? ` at ${w.file}:${w.line}` : '';
    lines.push(`[${w.icount}] hart ${w.hart} 0x${w.pc.toString(16)}${gdbLabel(symbols, w.pc)} in ${w.function ?? '??'}${where}: ${show(w.before)} -> ${show(w.after)}`);
  }
  return lines;
}
