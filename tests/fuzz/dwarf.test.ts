// Seeded mutation fuzz of the DWARF reader: the .debug_* sections of a real
// example (public/examples/corruption.elf, built with -g) mutated, then
// everything a debugging session asks of them: DebugInfo.fromElf, the line
// table, addresses of lines, functions, unwinding, and the variable reader
// with the Inspector behind `debug`'s print, info locals/args and ptype. As
// tests/dwarf/bad-info.test.ts documents, bad debug information is reported
// in `problems` (or as an expression's error message), never thrown; and no
// case may hang or allocate by a hostile size.
import { describe, it, expect, beforeAll } from 'vitest';
import { parseElf, ElfError, type ElfImage } from '../../workers/formats/elf';
import { DebugInfo } from '../../workers/formats/dwarf';
import { Variables, type FrameState } from '../../workers/formats/dwarf/variables';
import { Inspector, ExpressionError } from '../../workers/formats/dwarf/inspect';
import type { Die } from '../../workers/formats/dwarf/die';
import { ptypeText } from '../../workers/cli/debug-data';
import { example } from '../replay/support';
import { fuzzCases, fuzzRandom, fuzzTimeout, bounded, mutateBytes, hostileValue, writeLE, pick, int, describeThrow } from './support';

const CASES = fuzzCases(300);

const EXPRESSIONS = ['calibration_offset', 'raw_samples', 'raw_samples[3]', 'smoothed[1]', 'num_samples', '&calibration_offset', 'sensor_state',
  'sizeof(struct stats)', '*&raw_samples[1]', 'values', 'values[0]', 'n', 'i', 's', 's.mean'];
const TYPES = ['struct stats', 'int', 'raw_samples', 'smoothed'];

let pristine: Uint8Array;
let debugSections: { name: string; offset: number; size: number; header: number }[];
/** Where the pristine .debug_info holds a 4-byte DIE reference (DW_AT_type, abstract_origin, sibling...), and the DIEs of its unit. */
let refSites: { at: number; unitOffset: number; targets: number[] }[];

beforeAll(() => {
  pristine = Uint8Array.from(example('corruption'));
  const image = parseElf(pristine);
  const shoff = Number(new DataView(pristine.buffer).getBigUint64(0x28, true));
  debugSections = image.sections.flatMap((s, i) => (s.name.startsWith('.debug_') || s.name === '.eh_frame' ? [{ name: s.name, offset: s.offset, size: s.size, header: shoff + 64 * i }] : []));
  expect(debugSections.map((s) => s.name)).toEqual(expect.arrayContaining(['.debug_info', '.debug_abbrev', '.debug_line', '.debug_frame']));
  const info = debugSections.find((s) => s.name === '.debug_info') as { offset: number };
  const vars = Variables.fromElf(image);
  refSites = [];
  for (const u of vars.tree.units) {
    const dies: Die[] = [];
    const walk = (d: Die): void => { dies.push(d); d.children.forEach(walk); };
    if (u.root) walk(u.root);
    const targets = dies.map((d) => d.offset - u.offset);
    for (const d of dies) {
      for (const a of d.attrs.values()) {
        if (a.cls !== 'ref') continue;
        // The reference's bytes: the unit-relative offset, among the DIE's first bytes (DW_FORM_ref4).
        const rel = a.v - u.offset;
        const at = info.offset + d.offset;
        for (let i = 1; i < 40; i++) {
          const v = pristine[at + i] | (pristine[at + i + 1] << 8) | (pristine[at + i + 2] << 16) | (pristine[at + i + 3] << 24);
          if (v === rel) { refSites.push({ at: at + i, unitOffset: u.offset, targets }); break; }
        }
      }
    }
  }
  expect(refSites.length).toBeGreaterThan(100);
});

/** Messages that are not the reader's own: a JavaScript error from a bounds or type mistake, caught and reported. */
const NOT_OURS = /internal error|Cannot read|undefined|is not a function|is not iterable|out of bounds|outside the bounds|Invalid (typed )?array|call stack|NaN|Invalid count|BigInt/;

interface Outcome { problems: string[]; texts: string[] }

/** Memory for reads: the program's loaded segments, zeros elsewhere in RAM. */
function memoryOf(image: ElfImage): (a: bigint, n: number) => Uint8Array | undefined {
  const ramBase = 0x8000_0000;
  const ram = new Uint8Array(0x40_0000);
  for (const s of image.segments) {
    const off = s.vaddr - ramBase;
    if (off >= 0 && off + s.data.length <= ram.length) ram.set(s.data, off);
  }
  return (a, n) => {
    if (n > 1 << 16 || a < BigInt(ramBase) || a + BigInt(n) > BigInt(ramBase + ram.length)) return undefined;
    const off = Number(a) - ramBase;
    return ram.slice(off, off + n);
  };
}

function exercise(bytes: Uint8Array, image: ElfImage): Outcome {
  const debug = DebugInfo.fromElf(image);
  const vars = Variables.fromElf(image);
  const mem = memoryOf(image);
  const texts: string[] = [];
  const rows = debug.lineTable();
  const files = debug.files();
  for (const f of files.slice(0, 4)) for (const line of [1, 60, 75, 100, 150, 99999]) debug.addressesForLine(f, line);
  debug.addressesForLine('corruption.c', 99);
  const functions = debug.functions();
  const pcs = [...functions.slice(0, 12).flatMap((f) => [f.low, f.low + 8]), ...rows.slice(0, 400).filter((_, k) => k % 40 === 0).map((r) => r.address), 0x80000000, 0];
  const ins = new Inspector(vars, mem);
  for (const pc of pcs.slice(0, 16)) {
    debug.lineAt(pc);
    debug.lineRangeAt(pc);
    debug.functionAt(pc);
    debug.blockAt(pc);
    debug.locationsValidAt(pc);
    const sp = 0x8030_0000;
    const reg = (n: number): bigint => (n === 2 || n === 8 ? BigInt(sp) : n === 1 ? 0x8000_0100n : 0n);
    const readMemory = (addr: number, length: number): Uint8Array | undefined => mem(BigInt(addr), length);
    const frames = debug.unwindWithRegisters(pc, sp, reg, readMemory).frames;
    texts.push(frames.map((f) => f.pc.toString(16)).join(' '));
    const frame: FrameState = { pc, lookupPc: pc, reg, cfa: BigInt(sp), inlineDepth: 0 };
    texts.push(...ins.locals(frame), ...ins.args(frame));
  }
  const frame: FrameState | undefined = functions.length > 0 ? { pc: functions[0].low + 8, lookupPc: functions[0].low + 8, reg: () => 0x8030_0000n, cfa: 0x8030_0000n, inlineDepth: 0 } : undefined;
  for (const e of EXPRESSIONS) {
    try {
      texts.push(ins.print(e, frame));
    } catch (err) {
      if (!(err instanceof ExpressionError)) throw err;
      texts.push(`error: ${err.message}`);
    }
  }
  for (const name of TYPES) {
    const d = vars.lookup(name, undefined);
    const t = vars.typeNamed(name) ?? (d ? vars.types.of(vars.tree.typeOf('die' in d ? d.die : d)) : undefined);
    texts.push(t ? ptypeText(t) : `no symbol ${name}`);
  }
  void bytes;
  return { problems: [...debug.problems, ...vars.problems, ...vars.types.problems], texts };
}

function mutate(random: () => number): { bytes: Uint8Array; what: string } {
  if (random() < 0.15) {
    // References retargeted to other DIEs of the unit (or a little off one): cycles of types, origins and siblings.
    const bytes = pristine.slice();
    const parts: string[] = [];
    for (let n = 1 + int(random, 3); n > 0; n--) {
      const site = pick(random, refSites);
      const to = pick(random, site.targets) + (random() < 0.2 ? int(random, 5) - 2 : 0);
      writeLE(bytes, site.at, 4, BigInt(to >>> 0));
      parts.push(`reference at 0x${site.at.toString(16)} -> unit offset 0x${(to >>> 0).toString(16)}`);
    }
    return { bytes, what: `.debug_info: ${parts.join(', ')}` };
  }
  const s = pick(random, debugSections);
  if (random() < 0.12) {
    // The section's own header: where it is and how long it says it is.
    const bytes = pristine.slice();
    const field = pick(random, [[24, 'sh_offset'], [32, 'sh_size']] as const);
    const v = random() < 0.5 ? BigInt(int(random, s.size * 2)) : hostileValue(random, bytes.length);
    writeLE(bytes, s.header + field[0], 8, v);
    return { bytes, what: `${s.name} ${field[1]} = 0x${v.toString(16)}` };
  }
  const m = mutateBytes(random, pristine, s.offset, s.offset + s.size);
  // Insertions, deletions and truncations move everything after them; keep the file's length, so that the mutation stays within the section.
  if (m.bytes.length !== pristine.length) {
    const bytes = pristine.slice();
    bytes.set(m.bytes.subarray(s.offset, s.offset + s.size).slice(0, s.size), s.offset);
    if (m.bytes.length < s.offset + s.size) bytes.fill(0, Math.max(s.offset, m.bytes.length), s.offset + s.size);
    return { bytes, what: `${s.name}: ${m.what} (within the section)` };
  }
  return { bytes: m.bytes, what: `${s.name}: ${m.what}` };
}

/** Sets the sh_size of a debug section in a copy of the pristine file. */
function sectionSize(b: Uint8Array, name: string, size: number): void {
  const s = debugSections.find((x) => x.name === name);
  if (!s) throw new Error(`no ${name}`);
  writeLE(b, s.header + 32, 8, BigInt(size));
}

/** Inputs the fuzzer found problems with, kept as regression cases, with what their problem report must say. */
const REGRESSIONS: { name: string; build: (b: Uint8Array) => void; problem: RegExp }[] = [
  // .debug_str cut short (sh_size 0x4a3 of 0x10bb): Variables.fromElf threw the DwarfError of the first DW_AT_name
  // (DW_FORM_strp) past its end, and `debug` had no variables at all. Now that DIE has no name, and a problem says why.
  { name: '.debug_str shorter than its names (sh_size 0x4a3)', build: (b) => sectionSize(b, '.debug_str', 0x4a3),
    problem: /DIE at 0x[0-9a-f]+: DW_AT_name: .*string offset 0x[0-9a-f]+ is outside \.debug_str/ },
  { name: '.debug_str empty', build: (b) => sectionSize(b, '.debug_str', 0), problem: /DW_AT_name/ },
];

async function check(bytes: Uint8Array, label: string): Promise<Outcome | undefined> {
  let image: ElfImage;
  try {
    image = parseElf(bytes);
  } catch (e) {
    // A section header mutated out of the file: the loader refuses it, as it should.
    if (e instanceof ElfError) return undefined;
    throw new Error(`${label}: parseElf threw ${describeThrow(e)}`);
  }
  let out: Outcome;
  try {
    out = await bounded(label, 5000, () => exercise(bytes, image));
  } catch (e) {
    if (e instanceof Error && e.name === 'AssertionError') throw e;
    throw new Error(`${label} threw ${describeThrow(e)}`);
  }
  for (const p of out.problems) expect(p, `${label}: a problem report`).not.toMatch(NOT_OURS);
  return out;
}

describe('seeded mutation fuzz of the DWARF reader', () => {
  it('the pristine program reads without problems', async () => {
    const out = await check(pristine, 'pristine');
    expect(out?.problems).toEqual([]);
    expect(out?.texts.join('\n')).toContain('calibration_offset');
  });

  it('regression inputs', async () => {
    for (const r of REGRESSIONS) {
      const bytes = pristine.slice();
      r.build(bytes);
      const out = await check(bytes, r.name);
      expect(out?.problems.join('\n'), r.name).toMatch(r.problem);
      // What can be read still is: the globals whose names survive.
      expect(out?.texts.length, r.name).toBeGreaterThan(0);
    }
  });

  it(`${CASES} mutations of the debug sections: problems reported, never thrown; no hang, no huge allocation`, async () => {
    const random = fuzzRandom(0xd3a5f);
    let withProblems = 0;
    const sample = new Map<string, number>();
    for (let i = 0; i < CASES; i++) {
      const { bytes, what } = mutate(random);
      const out = await check(bytes, `case ${i} (${what})`);
      if (out && out.problems.length > 0) {
        withProblems++;
        const key = out.problems[0].replace(/0x[0-9a-f]+|\d+/g, 'N').slice(0, 70);
        sample.set(key, (sample.get(key) ?? 0) + 1);
      }
    }
    if (process.env.HINDSIGHT_FUZZ_VERBOSE) console.log(withProblems, [...sample].sort((a, b) => b[1] - a[1]).slice(0, 40));
    if (CASES >= 100) expect(withProblems).toBeGreaterThan(0);
  }, fuzzTimeout(120_000, CASES, 300));
});
