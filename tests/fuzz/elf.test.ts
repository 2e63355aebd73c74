// Seeded mutation fuzz of the ELF loader: the example programs with bit
// flips, byte runs, truncations and hostile header, program header, section
// header and symbol fields. Every case must either load (parseElf, the symbol
// table, and Machine.load as `hindsight run` does) or be refused with an
// ElfError whose message says what and where; never another exception, never
// a hang, never an allocation sized by a hostile field.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseElf, physicalEntry, SymbolTable, ElfError, type ElfImage } from '../../workers/formats/elf';
import { Machine } from '../../workers/engine/machine';
import { BufferedInput } from '../../workers/engine/host-input';
import { example, wasm } from '../replay/support';
import { runHindsight, tempDir } from '../support/qemu';
import { fuzzCases, fuzzRandom, fuzzTimeout, bounded, mutateBytes, hostileValue, writeLE, int, pick, hex, describeThrow } from './support';

const CASES = fuzzCases(2000);
/** Cases that also go through the command line (a process each). */
const CLI_CASES = Math.max(3, Math.min(50, Math.floor(CASES / 700)));
/** Every this many cases also goes through Machine.load (which resets a 32 MiB machine). */
const LOAD_EVERY = 4;

let machine: Machine;
let dir = '';
const originals: { name: string; bytes: Uint8Array; image: ElfImage }[] = [];

beforeAll(async () => {
  machine = await Machine.create(new WebAssembly.Module(wasm), new BufferedInput(new Uint8Array(0), () => 0), { ramMiB: 32 });
  for (const name of ['hello', 'corruption', 'traps']) {
    // A plain copy: a Buffer's slice() is a view, and every mutation would change the original.
    const bytes = Uint8Array.from(example(name));
    originals.push({ name, bytes, image: parseElf(bytes) });
  }
  dir = tempDir('fuzz-elf');
});

afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

interface Field { at: number; size: number; name: string }

/** The header, program header, section header and symbol fields of a pristine file, by offset. */
function fieldsOf(bytes: Uint8Array, image: ElfImage): Field[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields: Field[] = [
    { at: 0x18, size: 8, name: 'e_entry' }, { at: 0x20, size: 8, name: 'e_phoff' }, { at: 0x28, size: 8, name: 'e_shoff' },
    { at: 0x34, size: 2, name: 'e_ehsize' }, { at: 0x36, size: 2, name: 'e_phentsize' }, { at: 0x38, size: 2, name: 'e_phnum' },
    { at: 0x3a, size: 2, name: 'e_shentsize' }, { at: 0x3c, size: 2, name: 'e_shnum' }, { at: 0x3e, size: 2, name: 'e_shstrndx' },
    { at: 0x04, size: 1, name: 'EI_CLASS' }, { at: 0x05, size: 1, name: 'EI_DATA' }, { at: 0x10, size: 2, name: 'e_type' },
  ];
  const phoff = Number(view.getBigUint64(0x20, true));
  const phnum = view.getUint16(0x38, true);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * 56;
    for (const [off, size, name] of [[0, 4, 'p_type'], [8, 8, 'p_offset'], [16, 8, 'p_vaddr'], [24, 8, 'p_paddr'], [32, 8, 'p_filesz'], [40, 8, 'p_memsz']] as const) {
      fields.push({ at: at + off, size, name: `program header ${i} ${name}` });
    }
  }
  const shoff = Number(view.getBigUint64(0x28, true));
  image.sections.forEach((s, i) => {
    const at = shoff + i * 64;
    for (const [off, size, name] of [[0, 4, 'sh_name'], [4, 4, 'sh_type'], [24, 8, 'sh_offset'], [32, 8, 'sh_size'], [40, 4, 'sh_link'], [56, 8, 'sh_entsize']] as const) {
      fields.push({ at: at + off, size, name: `section ${i} (${s.name}) ${name}` });
    }
    if (s.type === 2) {
      // A sample of the symbol entries.
      for (let k = 0; k < 16; k++) {
        const sym = s.offset + 24 * Math.floor((k / 16) * (s.size / 24));
        for (const [off, size, name] of [[0, 4, 'st_name'], [4, 1, 'st_info'], [6, 2, 'st_shndx'], [8, 8, 'st_value'], [16, 8, 'st_size']] as const) {
          fields.push({ at: sym + off, size, name: `symbol at ${hex(sym)} ${name}` });
        }
      }
    }
  });
  return fields;
}

const fieldCache = new Map<string, Field[]>();

function mutate(random: () => number): { bytes: Uint8Array; what: string } {
  const o = pick(random, originals);
  const fields = fieldCache.get(o.name) ?? fieldsOf(o.bytes, o.image);
  fieldCache.set(o.name, fields);
  const kind = random();
  if (kind < 0.45) {
    // One or two hostile values in the tables that say where and how big everything is.
    const bytes = o.bytes.slice();
    const parts: string[] = [];
    for (let n = random() < 0.7 ? 1 : 2; n > 0; n--) {
      const f = pick(random, fields);
      const v = hostileValue(random, bytes.length);
      writeLE(bytes, f.at, f.size, v);
      parts.push(`${f.name} = ${hex(v)}`);
    }
    return { bytes, what: `${o.name}: ${parts.join(', ')}` };
  }
  if (kind < 0.55) {
    // Overlapping segments: one program header's file and memory range copied from another's.
    const bytes = o.bytes.slice();
    const view = new DataView(bytes.buffer);
    const phoff = Number(view.getBigUint64(0x20, true));
    const phnum = view.getUint16(0x38, true);
    const a = int(random, phnum);
    const b = int(random, phnum);
    const field = pick(random, [8, 16, 24, 32, 40]);
    bytes.copyWithin(phoff + a * 56 + field, phoff + b * 56 + field, phoff + b * 56 + field + 8);
    return { bytes, what: `${o.name}: program header ${a} field +${field} copied from program header ${b}` };
  }
  // Anywhere, but mostly in the headers and tables the loader reads.
  const tables = random() < 0.6;
  const sh = o.image.sections.find((s) => s.type === 2);
  const ranges: [number, number][] = [[0, 0x40 + 56 * 4]];
  if (sh) ranges.push([sh.offset, sh.offset + sh.size]);
  const strtab = o.image.sections.find((s) => s.name === '.strtab' || s.name === '.shstrtab');
  if (strtab) ranges.push([strtab.offset, strtab.offset + strtab.size]);
  const shoff = new DataView(o.bytes.buffer, o.bytes.byteOffset).getUint32(0x28, true);
  ranges.push([shoff, o.bytes.length]);
  const [from, to] = tables ? pick(random, ranges) : [0, o.bytes.length];
  const m = mutateBytes(random, o.bytes, from, to);
  return { bytes: m.bytes, what: `${o.name}: ${m.what}` };
}

/** A message that says where: an offset or number, or a named field or table. */
const WHERE = /0x[0-9a-f]+|\d|e_\w+|p_\w+|sh_\w+|st_\w+|PT_LOAD|ELF header|section|symbol|string table/;

type Outcome = { loaded: true } | { loaded: false; message: string };

function attempt(bytes: Uint8Array, load: boolean): Outcome {
  try {
    const image = parseElf(bytes);
    const symbols = new SymbolTable(image.symbols);
    symbols.format(physicalEntry(image));
    for (const s of image.sections) image.sectionData(s.name);
    if (load) machine.load(bytes);
    return { loaded: true };
  } catch (e) {
    if (e instanceof ElfError) return { loaded: false, message: e.message };
    throw e;
  }
}

/** Inputs the fuzzer found problems with, kept as regression cases (each built from a pristine example). */
const REGRESSIONS: { name: string; build: (b: Uint8Array) => void }[] = [];

describe('seeded mutation fuzz of the ELF loader', () => {
  it('the pristine examples load', () => {
    for (const o of originals) expect(attempt(o.bytes, true)).toEqual({ loaded: true });
  });

  it('regression inputs: refused with an ElfError that says where', () => {
    for (const r of REGRESSIONS) {
      const bytes = originals[0].bytes.slice();
      r.build(bytes);
      const out = attempt(bytes, true);
      expect(out.loaded, r.name).toBe(false);
      if (!out.loaded) expect(out.message, r.name).toMatch(WHERE);
    }
  });

  it(`${CASES} mutations: loaded or an ElfError saying what and where; no other exception, no hang, no huge allocation`, async () => {
    const random = fuzzRandom(0xe1f);
    let loaded = 0;
    const refused = new Map<string, number>();
    for (let i = 0; i < CASES; i++) {
      const { bytes, what } = mutate(random);
      const label = `case ${i} (${what})`;
      let out: Outcome;
      try {
        out = await bounded(label, 2000, () => attempt(bytes, i % LOAD_EVERY === 0));
      } catch (e) {
        if (e instanceof Error && e.name === 'AssertionError') throw e;
        throw new Error(`${label} threw ${describeThrow(e)}`);
      }
      if (out.loaded) loaded++;
      else {
        expect(out.message, label).toMatch(WHERE);
        expect(out.message, label).not.toMatch(/internal error|undefined|NaN/);
        const key = out.message.replace(/0x[0-9a-f]+|\d+/g, 'N').slice(0, 60);
        refused.set(key, (refused.get(key) ?? 0) + 1);
      }
    }
    if (process.env.HINDSIGHT_FUZZ_VERBOSE) console.log(loaded, [...refused].sort((a, b) => b[1] - a[1]));
    // The fuzz reaches both outcomes, and many different refusals.
    // (Only on runs long enough to: HINDSIGHT_FUZZ_CASES may ask for a handful.)
    if (CASES >= 500) {
      expect(loaded).toBeGreaterThan(0);
      expect(refused.size).toBeGreaterThan(10);
    }
  }, fuzzTimeout(120_000, CASES, 100));

  it(`${CLI_CASES} mutations through \`hindsight run\`: status 1 and one line naming the file for a refused program, never a stack trace`, () => {
    const random = fuzzRandom(0xc11);
    let refused = 0;
    for (let i = 0; i < CLI_CASES; i++) {
      // Mostly programs the loader refuses: those are what the command must report well.
      let m = mutate(random);
      for (let tries = 0; tries < 20 && attempt(m.bytes, true).loaded; tries++) m = mutate(random);
      const file = join(dir, `case${i}.elf`);
      writeFileSync(file, m.bytes);
      const r = runHindsight(['run', file, '--max-insns', '200000'], { cwd: dir, timeoutMs: 60_000 });
      const label = `cli case ${i} (${m.what}): status ${r.status}, stderr ${JSON.stringify(r.stderr.slice(0, 400))}`;
      expect(r.stderr, label).not.toMatch(/\n\s+at |TypeError|RangeError|internal error/);
      if (!attempt(m.bytes, true).loaded) {
        refused++;
        expect(r.status, label).toBe(1);
        expect(r.stderr, label).toMatch(/^hindsight: .*case\d+\.elf: /m);
      }
    }
    expect(refused).toBeGreaterThan(0);
  }, fuzzTimeout(120_000, CLI_CASES, 2000));
});
