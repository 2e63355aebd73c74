// Bad debug information: a program's .debug_info truncated, DIEs with
// abbreviation codes that do not exist, type references that form cycles and
// array bounds that are absurd. Reading it, listing variables, printing and
// ptype-ing them must give problem reports or error messages, never hang or
// throw anything else. The ELFs are built from tests/dwarf/programs/shapes.c
// and mutated here.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseElf, type ElfImage } from '../../workers/formats/elf';
import { DebugInfo } from '../../workers/formats/dwarf';
import { Variables, type FrameState } from '../../workers/formats/dwarf/variables';
import { Inspector, ExpressionError } from '../../workers/formats/dwarf/inspect';
import { AT, TAG, type Die } from '../../workers/formats/dwarf/die';
import { ptypeText } from '../../workers/cli/debug-data';
import { ROOT } from './support';

let dir: string;
let pristine: Uint8Array;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hindsight-badinfo-'));
  copyFileSync(join(ROOT, 'tests/dwarf/programs/shapes.c'), join(dir, 'shapes.c'));
  const r = spawnSync('riscv64-unknown-elf-gcc', ['-mcmodel=medany', '-g', '-O0', '-ffile-prefix-map=' + dir + '=.',
    '--specs=picolibc.specs', '--oslib=semihost', '--crt0=semihost',
    '-Wl,--defsym=__flash=0x80000000,--defsym=__flash_size=0x200000', '-Wl,--defsym=__ram=0x80200000,--defsym=__ram_size=0x1000000',
    'shapes.c', '-o', 'shapes.elf'], { cwd: dir, encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`gcc failed: ${r.error?.message ?? r.stderr}`);
  pristine = new Uint8Array(readFileSync(join(dir, 'shapes.elf')));
});
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

const EXPRESSIONS = ['grid', 'grid[1]', 'boxes', 'boxes[1].next', '*boxes[1].next', 'huge', '*huge', '(*huge)[5]', 'sizeof(*huge)', 'boxes[0].tag',
  'sizeof(struct box)', '(cell)3', 'b', 'b->w', '*b', 'a'];

interface Outcome { problems: string[]; texts: string[] }

/** Everything a user can ask of the debug info, at a frame in area(); memory reads give zeros. */
function exercise(bytes: Uint8Array): Outcome {
  const image = parseElf(bytes);
  const debug = DebugInfo.fromElf(image);
  const vars = Variables.fromElf(image);
  const texts: string[] = [];
  // Memory: the program's loaded segments, zeros elsewhere in RAM.
  const mem = (a: bigint, n: number): Uint8Array | undefined => {
    if (n > 1 << 20 || a < 0x80000000n || a + BigInt(n) > 0x82000000n) return undefined;
    const out = new Uint8Array(n);
    for (const s of image.segments) {
      for (let i = 0; i < n; i++) {
        const off = Number(a) + i - s.vaddr;
        if (off >= 0 && off < s.data.length) out[i] = s.data[off];
      }
    }
    return out;
  };
  const ins = new Inspector(vars, mem);
  const fn = debug.functions().find((f) => f.name === 'area');
  const pc = fn ? fn.low + 8 : 0x80000000;
  const frame: FrameState = { pc, lookupPc: pc, reg: (n) => (n === 2 || n === 8 ? 0x81000000n : 0n), cfa: 0x81000000n, inlineDepth: 0 };
  texts.push(...ins.locals(frame), ...ins.args(frame));
  for (const e of EXPRESSIONS) {
    try {
      texts.push(ins.print(e, frame));
    } catch (err) {
      if (!(err instanceof ExpressionError)) throw err;
      texts.push(`error: ${err.message}`);
    }
  }
  for (const name of ['grid', 'boxes', 'huge', 'struct box', 'cell']) {
    const d = vars.lookup(name, undefined);
    const t = vars.typeNamed(name) ?? (d ? vars.types.of(vars.tree.typeOf('die' in d ? d.die : d)) : undefined);
    texts.push(t ? ptypeText(t) : `no symbol ${name}`);
  }
  debug.lineTable();
  debug.unwind(pc, 0x81000000, () => 0n, () => undefined);
  return { problems: [...debug.problems, ...vars.problems, ...vars.types.problems], texts };
}


function section(image: ElfImage, name: string): { offset: number; size: number } {
  const s = image.sections.find((x) => x.name === name);
  if (!s) throw new Error(`no ${name}`);
  return s;
}

/** The DIE of a variable or type by name (in the pristine ELF). */
function dieNamed(vars: Variables, tag: number, name: string): Die {
  for (const u of vars.tree.units) {
    const walk = (d: Die): Die | undefined => {
      if (d.tag === tag && vars.tree.name(d) === name) return d;
      for (const c of d.children) { const f = walk(c); if (f) return f; }
      return undefined;
    };
    const hit = u.root && walk(u.root);
    if (hit) return hit;
  }
  throw new Error(`no DIE ${name}`);
}

/**
 * Rewrites the DW_FORM_ref4 DW_AT_type of `die` (found as the 4 bytes of the
 * unit-relative offset of its current type, among the DIE's first bytes) to point at `target`.
 */
function retarget(bytes: Uint8Array, info: { offset: number }, die: Die, target: Die): void {
  const current = die.attrs.get(AT.type);
  if (!current) throw new Error('no DW_AT_type');
  const rel = current.v - die.unit.offset;
  const at = info.offset + die.offset;
  for (let i = 1; i < 24; i++) {
    const v = bytes[at + i] | (bytes[at + i + 1] << 8) | (bytes[at + i + 2] << 16) | (bytes[at + i + 3] << 24);
    if (v === rel) {
      const to = target.offset - die.unit.offset;
      bytes.set([to & 0xff, (to >> 8) & 0xff, (to >> 16) & 0xff, (to >>> 24) & 0xff], at + i);
      return;
    }
  }
  throw new Error(`cannot find the type reference of DIE 0x${die.offset.toString(16)}`);
}

function timed(bytes: Uint8Array): Outcome {
  const started = Date.now();
  const out = exercise(bytes);
  expect(Date.now() - started).toBeLessThan(5000);
  return out;
}

describe('bad debug information', () => {
  it('the pristine program reads without problems (the baseline)', () => {
    const out = timed(pristine);
    if (process.env.BAD_INFO_DUMP) console.log(out.texts.join('\n'));
    expect(out.problems).toEqual([]);
    expect(out.texts).toContain('{{1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10, 11, 12}}');
    expect(out.texts).toContain('type = int (*)[1099511627776]');
  });

  it('a truncated .debug_info: a problem report, and what can be read still is', () => {
    const image = parseElf(pristine);
    const info = section(image, '.debug_info');
    for (const keep of [0.9, 0.5, 0.1, 11 / info.size]) {
      const bytes = pristine.slice();
      bytes.fill(0, info.offset + Math.floor(info.size * keep), info.offset + info.size);
      const out = timed(bytes);
      expect(out.problems.length, `keeping ${keep}`).toBeGreaterThan(0);
    }
    // The unit header claims more than the section holds.
    const bytes = pristine.slice();
    bytes.set([0xf0, 0xff, 0xff, 0x0f], info.offset);
    expect(timed(bytes).problems.join('\n')).toMatch(/debug_info|unit/i);
  });

  it('abbreviation codes that do not exist: a problem report', () => {
    const image = parseElf(pristine);
    const info = section(image, '.debug_info');
    const vars = Variables.fromElf(image);
    for (const [tag, name] of [[TAG.variable, 'grid'], [TAG.structure_type, 'box'], [TAG.subprogram, 'area']] as const) {
      const die = dieNamed(vars, tag, name);
      const bytes = pristine.slice();
      bytes[info.offset + die.offset] = 0x7e; // one byte of ULEB: an abbreviation code far beyond those declared
      const out = timed(bytes);
      expect(out.problems.join('\n'), name).toMatch(/abbrev/i);
    }
  });

  it('cycles in type references: no hang, no stack overflow', () => {
    const image = parseElf(pristine);
    const info = section(image, '.debug_info');
    const vars = Variables.fromElf(image);
    const gridType = vars.tree.typeOf(dieNamed(vars, TAG.variable, 'grid'));
    const cell = dieNamed(vars, TAG.typedef, 'cell');
    const boxType = vars.tree.typeOf(dieNamed(vars, TAG.variable, 'boxes'));
    if (!gridType || !boxType) throw new Error('no types');
    const inner = gridType.children.length ? vars.tree.typeOf(gridType) : undefined;
    const cases: [string, Die, Die][] = [
      ['an array of itself', gridType, gridType],
      ['a typedef of itself', cell, cell],
      ['an array of a typedef of the array', cell, gridType],
      ['an array of structs whose element is the array', boxType, boxType],
    ];
    if (inner) cases.push(['a typedef that is the array', cell, gridType]);
    for (const [label, die, target] of cases) {
      const bytes = pristine.slice();
      retarget(bytes, info, die, target);
      let out: Outcome;
      try {
        out = timed(bytes);
      } catch (e) {
        throw new Error(`${label}: ${(e as Error).stack?.split('\n').slice(0, 12).join('\n')}`);
      }
      expect(out.texts.length, label).toBeGreaterThan(0);
      expect(out.problems.join('\n'), label).toMatch(/cycle of type references/);
    }
  });

  it('absurd array bounds: errors, not allocations of terabytes', () => {
    const image = parseElf(pristine);
    const info = section(image, '.debug_info');
    const vars = Variables.fromElf(image);
    // huge: int (*)[2^40], its bound is a DW_FORM_data8 in a DW_TAG_subrange_type: make it 2^62, then 2^64 - 2.
    const ptr = vars.tree.typeOf(dieNamed(vars, TAG.variable, 'huge'));
    const array = ptr && vars.tree.typeOf(ptr);
    const sub = array?.children.find((c) => c.tag === TAG.subrange_type);
    if (!sub) throw new Error('no subrange');
    const at = info.offset + sub.offset;
    let pos = -1;
    for (let i = 1; i < 24 && pos < 0; i++) {
      let v = 0n;
      for (let k = 7; k >= 0; k--) v = (v << 8n) | BigInt(pristine[at + i + k]);
      if (v === (1n << 40n) - 1n) pos = at + i;
    }
    expect(pos).toBeGreaterThan(0);
    for (const bound of [1n << 62n, (1n << 64n) - 2n, 1n << 31n]) {
      const bytes = pristine.slice();
      for (let k = 0; k < 8; k++) bytes[pos + k] = Number((bound >> BigInt(8 * k)) & 0xffn);
      const out = timed(bytes);
      expect(out.texts.some((t) => /too large|requires|exceeds|cannot/i.test(t)), `bound ${bound}`).toBe(true);
    }
    // grid[3][4]'s bounds (data1) set to 15: 16 × 16 ints, more than print's 200 elements: printed, bounded.
    const gridType = vars.tree.typeOf(dieNamed(vars, TAG.variable, 'grid'));
    const bytes = pristine.slice();
    for (const s of gridType?.children.filter((c) => c.tag === TAG.subrange_type) ?? []) {
      const p = info.offset + s.offset;
      const old = s.attrs.get(AT.upper_bound)?.v;
      for (let i = 1; i < 12; i++) if (bytes[p + i] === old) { bytes[p + i] = 0x0f; break; }
    }
    const out = timed(bytes);
    expect(out.texts.join('\n')).toMatch(/repeats|\.\.\./);
  });
});
