// Breakpoint locations as users type them, against gdb-multiarch's `break`
// and `info breakpoints` on the same ELF: every function of the examples and
// of tests/dwarf/programs/vars.c (-O0 and -O2), every line of their C files
// (lines without code included), partial paths, and the module's own forms
// (addresses, symbol+offset, suffix-less names, completion).
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseElf, SymbolTable } from '../../workers/formats/elf';
import { DebugInfo } from '../../workers/formats/dwarf';
import { functionLocations, lineLocations } from '../../workers/formats/dwarf/breakpoints';
import { BreakpointResolver, LocationError } from '../../workers/replay/breakpoint-location';
import { EXAMPLES_DIR, ROOT } from '../dwarf/support';
import { gdbBreakpoints } from './gdb-breakpoints';

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'hindsight-break-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

/** Builds tests/dwarf/programs/vars.c as tests/dwarf/variables.test.ts does. */
function buildVars(opt: string): string {
  copyFileSync(join(ROOT, 'tests/dwarf/programs/vars.c'), join(dir, 'vars.c'));
  const out = join(dir, `vars${opt}.elf`);
  const r = spawnSync('riscv64-unknown-elf-gcc', ['-mcmodel=medany', '-g', '-Wall', opt, '-ffile-prefix-map=' + dir + '=.',
    '--specs=picolibc.specs', '--oslib=semihost', '--crt0=semihost',
    '-Wl,--defsym=__flash=0x80000000,--defsym=__flash_size=0x200000', '-Wl,--defsym=__ram=0x80200000,--defsym=__ram_size=0x1000000',
    'vars.c', '-o', out], { cwd: dir, encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`gcc failed: ${r.error?.message ?? r.stderr}`);
  return out;
}

function load(elf: string) {
  const image = parseElf(new Uint8Array(readFileSync(elf)));
  const debug = DebugInfo.fromElf(image);
  return { image, debug, resolver: new BreakpointResolver(debug, image.symbols, new SymbolTable(image.symbols)) };
}

/** Our addresses for a text, or undefined where we refuse it. */
function ours(resolver: BreakpointResolver, text: string): number[] | undefined {
  try {
    return resolver.resolve(text).locations.map((l) => l.address);
  } catch (e) {
    if (e instanceof LocationError) return undefined;
    throw e;
  }
}

/** Compares every text with GDB; returns the differences as readable lines (empty when all agree). */
function compare(elf: string, texts: string[], cwd: string): string[] {
  const { resolver } = load(elf);
  const gdb = gdbBreakpoints(elf, texts, cwd);
  const hex = (a: number[] | undefined) => (a ? a.map((x) => x.toString(16)).join(',') : 'refused');
  const diffs: string[] = [];
  for (const t of texts) {
    const g = gdb.get(t);
    const o = ours(resolver, t);
    if (hex(g) !== hex(o)) diffs.push(`${t}: gdb ${hex(g)}, ours ${hex(o)}`);
  }
  return diffs;
}

function dwarfFunctionNames(elf: string): string[] {
  const { debug } = load(elf);
  const names = new Set<string>();
  for (const f of debug.functions()) names.add(f.name);
  for (const c of debug.inlinedInstances()) names.add(c.name);
  return [...names].filter((n) => !n.startsWith('??')).sort();
}

function lineTexts(file: string, source: string): string[] {
  const count = readFileSync(source, 'utf8').split('\n').length;
  const out: string[] = [];
  for (let n = 1; n <= count + 1; n++) out.push(`${file}:${n}`);
  return out;
}

describe('break as GDB resolves it', () => {
  it('the issue\'s three: corruption.c:103, quicksort and crc32_init', () => {
    const c = load(join(EXAMPLES_DIR, 'corruption.elf')).resolver;
    const b = load(join(EXAMPLES_DIR, 'bench.elf')).resolver;
    const gc = gdbBreakpoints(join(EXAMPLES_DIR, 'corruption.elf'), ['corruption.c:103'], EXAMPLES_DIR);
    const gb = gdbBreakpoints(join(EXAMPLES_DIR, 'bench.elf'), ['quicksort', 'crc32_init'], EXAMPLES_DIR);
    expect(ours(c, 'corruption.c:103')).toEqual(gc.get('corruption.c:103'));
    expect(ours(b, 'quicksort')).toEqual(gb.get('quicksort'));
    expect(ours(b, 'crc32_init')).toEqual(gb.get('crc32_init'));
    expect(gb.get('quicksort')).toEqual([b.resolve('quicksort.constprop.0').locations[0].address]);
  });

  for (const name of ['corruption', 'bench']) {
    it(`${name}.elf: every function by name`, () => {
      const elf = join(EXAMPLES_DIR, `${name}.elf`);
      expect(compare(elf, dwarfFunctionNames(elf), EXAMPLES_DIR)).toEqual([]);
    });
    it(`${name}.elf: every line of ${name}.c, with and without ./`, () => {
      const elf = join(EXAMPLES_DIR, `${name}.elf`);
      const texts = [...lineTexts(`${name}.c`, join(EXAMPLES_DIR, `${name}.c`)), `./${name}.c:20`, `${name}.c:0`];
      expect(compare(elf, texts, EXAMPLES_DIR)).toEqual([]);
    });
  }

  it('a symbol with GCC\'s suffix, *ADDRESS and *SYMBOL+OFFSET', () => {
    const elf = join(EXAMPLES_DIR, 'bench.elf');
    expect(compare(elf, ['quicksort.constprop.0', '*0x80000210', '*main+8', 'nosuch'], EXAMPLES_DIR)).toEqual([]);
    // GDB's expression parser cannot read this one without quotes; we take it as the symbol.
    expect(ours(load(elf).resolver, '*quicksort.constprop.0')).toEqual(ours(load(elf).resolver, 'quicksort.constprop.0'));
  });

  it('picolibc files by partial path, and files that do not exist', () => {
    const elf = join(EXAMPLES_DIR, 'corruption.elf');
    const texts = ['riscv/crt0.c:40', 'crt0.c:170', 'tinystdio/vfprintf.c:363', 'vfprintf.c:207', 'string/strnlen.c:39',
      'nosuch.c:10', 'ruption.c:103', 'corruption.c:100000'];
    expect(compare(elf, texts, EXAMPLES_DIR)).toEqual([]);
  });

  for (const opt of ['-O0', '-O2']) {
    it(`vars.c at ${opt}: every function and every line (prologue skipping at -O0)`, () => {
      const elf = buildVars(opt);
      const texts = [...dwarfFunctionNames(elf), ...lineTexts('vars.c', join(dir, 'vars.c'))];
      expect(compare(elf, texts, dir)).toEqual([]);
    });
  }
});

describe('BreakpointResolver', () => {
  it('a partial path with more directories than the recorded relative one (GDB needs its working directory for that)', () => {
    const { resolver } = load(join(EXAMPLES_DIR, 'corruption.elf'));
    const gdb = gdbBreakpoints(join(EXAMPLES_DIR, 'corruption.elf'), ['examples/corruption.c:103'], EXAMPLES_DIR);
    expect(ours(resolver, 'examples/corruption.c:103')).toEqual(gdb.get('examples/corruption.c:103'));
    expect(resolver.resolve('public/examples/corruption.c:103').label).toBe('corruption.c:103');
  });

  it('addresses, *ADDRESS and symbol+offset are exact; LINE alone uses the current file', () => {
    const { resolver, image } = load(join(EXAMPLES_DIR, 'corruption.elf'));
    const main = image.symbols.find((s) => s.name === 'main')?.address ?? 0;
    expect(resolver.resolve(`0x${main.toString(16)}`).locations.map((l) => l.address)).toEqual([main]);
    expect(resolver.resolve(`*0x${(main + 4).toString(16)}`).locations.map((l) => l.address)).toEqual([main + 4]);
    expect(resolver.resolve(`*${main}`).locations.map((l) => l.address)).toEqual([main]);
    expect(resolver.resolve('main+8').locations.map((l) => l.address)).toEqual([main + 8]);
    expect(resolver.resolve('*main').locations.map((l) => l.address)).toEqual([main]);
    expect(resolver.resolve('103', { file: './corruption.c' }).locations.map((l) => l.address))
      .toEqual(resolver.resolve('corruption.c:103').locations.map((l) => l.address));
    expect(() => resolver.resolve('103')).toThrow(/no current source file/);
  });

  it('refuses clearly', () => {
    const { resolver } = load(join(EXAMPLES_DIR, 'corruption.elf'));
    expect(() => resolver.resolve('nosuch')).toThrow('Function "nosuch" not defined.');
    expect(() => resolver.resolve('corruption.c:100000')).toThrow('No line 100000 in file "corruption.c".');
    expect(() => resolver.resolve('nosuch.c:3')).toThrow('No source file named nosuch.c.');
    expect(() => resolver.resolve('')).toThrow(/give a location/);
  });

  it('labels and per-location descriptions', () => {
    const { resolver } = load(join(EXAMPLES_DIR, 'bench.elf'));
    const q = resolver.resolve('quicksort');
    expect(q.label).toBe('quicksort');
    expect(q.locations[0]).toMatchObject({ function: 'quicksort', file: './bench.c' });
    const line = load(join(EXAMPLES_DIR, 'corruption.elf')).resolver.resolve('./corruption.c:103');
    expect(line.label).toBe('corruption.c:103');
    expect(line.locations[0]).toMatchObject({ function: 'smooth_readings', line: 103 });
  });

  it('completes function names (without GCC suffixes) and file names', () => {
    const { resolver } = load(join(EXAMPLES_DIR, 'bench.elf'));
    expect(resolver.complete('quick')).toContain('quicksort');
    expect(resolver.complete('quick')).not.toContain('quicksort.constprop.0');
    expect(resolver.complete('crc32_i')).toContain('crc32_init');
    expect(resolver.complete('bench.')).toContain('bench.c:');
    expect(resolver.complete('bench.c:')).toEqual(['bench.c:']);
    expect(resolver.complete('zzz')).toEqual([]);
    expect(resolver.complete('', 5)).toHaveLength(5);
  });

  it('the DWARF part on its own', () => {
    const { debug, image } = load(join(EXAMPLES_DIR, 'corruption.elf'));
    expect(lineLocations(debug, 'nosuch.c', 1)).toBeUndefined();
    expect(lineLocations(debug, 'corruption.c', 100000)).toEqual({ line: 100000, locations: [] });
    expect(lineLocations(debug, 'corruption.c', 95)?.line).toBe(97);
    expect(functionLocations(debug, image.symbols, 'nosuch')).toEqual([]);
  });
});
