/**
 * Differential tests: the disassembler must print exactly what
 * `riscv64-unknown-elf-objdump -d` (binutils 2.40) prints for the same bytes.
 *
 * Programs are assembled and linked at test time with the riscv64-unknown-elf
 * toolchain; a missing tool is a test failure, never a skip.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  csrName,
  disassemble,
  FP_REG_NAMES,
  instructionLength,
  privSpecFromAttributes,
  ROUNDING_MODES,
  type PrivSpec,
  type Symbolizer,
} from './disassembler';

const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const FIXTURE = join(REPO_ROOT, 'tests/fixtures/disasm/all.S');
const EXAMPLES_DIR = join(REPO_ROOT, 'public/examples');
const MARCH = 'rv64gc_zba_zbb_zbc_zbs';
const TEXT_BASE = '0x80000000';

function tool(name: string, args: string[], cwd?: string): string {
  return execFileSync(`riscv64-unknown-elf-${name}`, args, {
    cwd,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Assembles and links `source` at 0x80000000; returns the ELF path. */
function build(dir: string, source: string, name: string, extraAsFlags: string[] = []): string {
  const obj = join(dir, `${name}.o`);
  const elf = join(dir, `${name}.elf`);
  tool('gcc', ['-c', `-march=${MARCH}`, '-mabi=lp64d', ...extraAsFlags.map((f) => `-Wa,${f}`), source, '-o', obj]);
  tool('ld', [`-Ttext=${TEXT_BASE}`, obj, '-o', elf]);
  return elf;
}

// ---------------------------------------------------------------------------
// objdump output

interface ObjdumpLine {
  section: string;
  address: number;
  bits: number;
  length: number;
  mnemonic: string;
  /** Operands with objdump's trailing `# address <symbol>` comment removed. */
  operands: string;
  comment?: string;
  raw: string;
}

interface Objdump {
  instructions: ObjdumpLine[];
  /** Lines for data ($d mapping symbol regions) inside executable sections. */
  dataLines: number;
}

const DATA_DIRECTIVES = new Set(['.byte', '.short', '.word', '.dword']);

function parseObjdump(text: string): Objdump {
  const instructions: ObjdumpLine[] = [];
  let dataLines = 0;
  let section = '';
  for (const raw of text.split('\n')) {
    const header = /^Disassembly of section (\S+):$/.exec(raw);
    if (header) {
      section = header[1];
      continue;
    }
    const m = /^\s*([0-9a-f]+):\t([0-9a-f]+)\s*\t(\S+)(?:\t(.*))?$/.exec(raw);
    if (!m) continue;
    if (DATA_DIRECTIVES.has(m[3])) {
      dataLines++;
      continue;
    }
    let operands = m[4] ?? '';
    let comment: string | undefined;
    const hash = operands.indexOf(' # ');
    if (hash >= 0) {
      comment = operands.slice(hash + 3);
      operands = operands.slice(0, hash);
    }
    instructions.push({
      section,
      address: parseInt(m[1], 16),
      bits: parseInt(m[2], 16),
      length: m[2].length / 2,
      mnemonic: m[3],
      operands: operands.trimEnd(),
      comment,
      raw,
    });
  }
  return { instructions, dataLines };
}

// ---------------------------------------------------------------------------
// Symbols (from nm), chosen the way objdump chooses them

interface NmSymbol {
  name: string;
  value: number;
  local: boolean;
  global: boolean;
  func: boolean;
  object: boolean;
  size: number;
  section: string;
}

function readSymbols(elf: string): NmSymbol[] {
  const symbols: NmSymbol[] = [];
  for (const line of tool('nm', ['-f', 'sysv', elf]).split('\n')) {
    const cols = line.split('|').map((c) => c.trim());
    if (cols.length < 7 || !/^[0-9a-f]+$/.test(cols[1])) continue;
    const [name, value, cls, type, size, , section] = cols;
    if (name === '' || /^\$[xd]/.test(name) || cls === 'U' || cls === 'u' || section === '*UND*') continue;
    symbols.push({
      name,
      value: parseInt(value, 16),
      local: cls !== cls.toUpperCase(),
      global: cls === cls.toUpperCase() && !'WVwv'.includes(cls),
      func: type === 'FUNC',
      object: type === 'OBJECT',
      size: size === '' ? 0 : parseInt(size, 16),
      section,
    });
  }
  return symbols;
}

/** objdump's ordering of symbols that share an address: the first one wins. */
function compareSameAddress(a: NmSymbol, b: NmSymbol): number {
  if (a.func !== b.func) return a.func ? -1 : 1;
  if (a.object !== b.object) return a.object ? -1 : 1;
  if (a.local !== b.local) return a.local ? 1 : -1;
  if (a.global !== b.global) return a.global ? -1 : 1;
  if (a.size !== b.size) return a.size > b.size ? -1 : 1;
  const aDot = a.name.startsWith('.');
  const bDot = b.name.startsWith('.');
  if (aDot !== bDot) return aDot ? 1 : -1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** A symbolizer that names addresses as objdump does in section `section`. */
function makeSymbolizer(symbols: NmSymbol[], section: string): Symbolizer {
  const sorted = [...symbols].sort((a, b) => a.value - b.value || compareSameAddress(a, b));
  return (address) => {
    if (sorted.length === 0) return undefined;
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid].value <= address) lo = mid + 1;
      else hi = mid;
    }
    // Nearest symbol at or below the address; the lowest symbol when there is none.
    const value = lo === 0 ? sorted[0].value : sorted[lo - 1].value;
    const group = sorted.filter((s) => s.value === value);
    const sym = group.find((s) => s.section === section) ?? group[0];
    const offset = address - sym.value;
    if (offset === 0) return sym.name;
    return offset > 0 ? `${sym.name}+0x${offset.toString(16)}` : `${sym.name}-0x${(-offset).toString(16)}`;
  };
}

function privSpecOf(elf: string): PrivSpec {
  const attrs = tool('readelf', ['-A', elf]);
  const num = (tag: string): number | undefined => {
    const m = new RegExp(`${tag}: (\\d+)`).exec(attrs);
    return m ? Number(m[1]) : undefined;
  };
  const major = num('Tag_RISCV_priv_spec');
  if (major === undefined) return privSpecFromAttributes();
  return privSpecFromAttributes(major, num('Tag_RISCV_priv_spec_minor') ?? 0, num('Tag_RISCV_priv_spec_revision') ?? 0);
}

interface Comparison {
  compared: number;
  dataLines: number;
  comments: number;
  mnemonics: Set<string>;
  mismatches: string[];
}

/** Disassembles every instruction objdump -d prints for `elf` and compares. */
function compareWithObjdump(elf: string): Comparison {
  const dump = parseObjdump(tool('objdump', ['-d', elf]));
  const symbols = readSymbols(elf);
  const privSpec = privSpecOf(elf);
  const symbolizers = new Map<string, Symbolizer>();
  const result: Comparison = {
    compared: 0,
    dataLines: dump.dataLines,
    comments: 0,
    mnemonics: new Set(),
    mismatches: [],
  };
  for (const line of dump.instructions) {
    let symbolize = symbolizers.get(line.section);
    if (symbolize === undefined) {
      symbolize = makeSymbolizer(symbols, line.section);
      symbolizers.set(line.section, symbolize);
    }
    const d = disassemble(line.bits, line.address, symbolize, { privSpec });
    result.compared++;
    result.mnemonics.add(line.mnemonic);
    if (line.comment !== undefined) result.comments++;
    const expectedText = line.operands === '' ? line.mnemonic : `${line.mnemonic}\t${line.operands}`;
    if (
      d.mnemonic !== line.mnemonic ||
      d.operands !== line.operands ||
      d.text !== expectedText ||
      d.length !== line.length ||
      instructionLength(line.bits) !== line.length
    ) {
      result.mismatches.push(`${line.raw.trim()}\n    got: ${d.length} ${d.text}`);
    }
  }
  return result;
}

function expectIdentical(c: Comparison): void {
  expect(c.mismatches.slice(0, 50).join('\n')).toBe('');
  expect(c.mismatches.length).toBe(0);
}

// ---------------------------------------------------------------------------
// Generated programs

/** Small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** Every 16-bit encoding (all compressed instructions, HINTs and reserved ones). */
function allCompressedSource(): string {
  const lines = ['\t.option norelax', '\t.text', '\t.globl _start', '_start:'];
  for (let h = 0; h < 0x10000; h++) {
    if ((h & 3) !== 3) lines.push(`\t.insn 2, 0x${h.toString(16)}`);
  }
  return lines.join('\n') + '\n';
}

/** A program of the given 32-bit encodings. */
function wordsSource(words: Iterable<number>): string {
  const lines = ['\t.option norelax', '\t.text', '\t.globl _start', '_start:'];
  for (const w of words) lines.push(`\t.insn 4, 0x${(w >>> 0).toString(16)}`);
  return lines.join('\n') + '\n';
}

/** R-type word. */
function rType(opcode: number, f7: number, rs2: number, rs1: number, f3: number, rd: number): number {
  return ((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opcode) >>> 0;
}

/**
 * The function fields of the opcodes the F, D, Zba, Zbb, Zbc and Zbs
 * extensions use, exhaustively: OP-FP (every funct7, rs2 and rounding mode,
 * with rs1 = rs2 too, for the sign-injection aliases), the fused multiply-adds
 * (every format and rounding mode), FP loads and stores (every funct3), OP
 * and OP-32 (every funct7 and funct3, rs2 zero or not), the OP-IMM and
 * OP-IMM-32 shifts (every imm[11:0]), and the CSR instructions on fflags,
 * frm and fcsr (every form, zero and non-zero rd and rs1).
 */
function* extensionWords(): Generator<number> {
  for (let f7 = 0; f7 < 128; f7++) {
    for (let rs2 = 0; rs2 < 32; rs2++) {
      for (let rm = 0; rm < 8; rm++) yield rType(0x53, f7, rs2, 11, rm, 10);
    }
    for (let rm = 0; rm < 8; rm++) yield rType(0x53, f7, 12, 12, rm, 31);
  }
  for (const opcode of [0x43, 0x47, 0x4b, 0x4f]) {
    for (let fmt = 0; fmt < 4; fmt++) {
      for (let rm = 0; rm < 8; rm++) yield rType(opcode, (13 << 2) | fmt, 12, 11, rm, 10);
    }
    yield rType(opcode, (31 << 2) | 1, 31, 0, 7, 0);
  }
  for (const opcode of [0x07, 0x27]) {
    for (let f3 = 0; f3 < 8; f3++) {
      yield rType(opcode, 0, 9, 2, f3, 8);
      yield rType(opcode, 0x7f, 31, 10, f3, 31);
    }
  }
  for (const opcode of [0x33, 0x3b]) {
    for (let f7 = 0; f7 < 128; f7++) {
      for (let f3 = 0; f3 < 8; f3++) {
        yield rType(opcode, f7, 0, 11, f3, 10);
        yield rType(opcode, f7, 12, 11, f3, 10);
        yield rType(opcode, f7, 12, 0, f3, 1);
      }
    }
  }
  for (const opcode of [0x13, 0x1b]) {
    for (let imm = 0; imm < 4096; imm++) {
      yield rType(opcode, imm >> 5, imm & 31, 11, 1, 10);
      yield rType(opcode, imm >> 5, imm & 31, 11, 5, 10);
    }
  }
  for (let csr = 0; csr < 5; csr++) {
    for (const f3 of [1, 2, 3, 5, 6, 7]) {
      for (const rd of [0, 10]) {
        for (const rs1 of [0, 11]) yield ((csr << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | 0x73) >>> 0;
      }
    }
  }
}

/** Random 32-bit encodings over every major opcode, biased towards special field values. */
function random32Source(count: number, seed: number): string {
  const next = prng(seed);
  const reg = (): number => {
    const r = next() % 100;
    return r < 25 ? 0 : r < 35 ? 1 : r < 40 ? 2 : next() & 31;
  };
  const pick = <T>(xs: readonly T[]): T => xs[next() % xs.length];
  const opcodes = Array.from({ length: 32 }, (_, i) => i).filter((i) => (i & 7) !== 7);
  const lines = ['\t.option norelax', '\t.text', '\t.globl _start', '_start:'];
  for (let i = 0; i < count; i++) {
    let w = next();
    w = (w & ~0x7f) | (pick(opcodes) << 2) | 3;
    w = (w & ~(31 << 7)) | (reg() << 7);
    w = (w & ~(31 << 15)) | (reg() << 15);
    w = (w & ~(31 << 20)) | (reg() << 20);
    const r = next() % 100;
    if (r < 30) {
      w = (w & ~(0x7f << 25)) | (pick([0, 1, 0x20, 0x7f, 0x09, 0x08, 0x10]) << 25);
    } else if (r < 45) {
      w = (w & 0xfffff) | (pick([0, 1, 0xfff, 0x800, 0x7ff, 0xc00, 0xc01, 0xc02, 0x300, 0x3ff]) << 20);
    } else if (r < 55) {
      w = (w & 0x7fff) | (pick([0, 0xfffff, 1, 0x80000]) << 12) | (w & 0x7000);
    }
    if (((w >>> 2) & 31) === 3 && next() % 10 < 7) w &= ~((0xf << 28) | (31 << 15) | (31 << 7));
    lines.push(`\t.insn 4, 0x${(w >>> 0).toString(16)}`);
  }
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------

let workDir = '';

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'disasm-test-'));
});

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('disassembler API', () => {
  it('reports instruction lengths from the low two bits', () => {
    expect(instructionLength(0x00000013)).toBe(4);
    expect(instructionLength(0x0001)).toBe(2);
    expect(instructionLength(0x12340002)).toBe(2);
    expect(instructionLength(0xffff8082)).toBe(2);
  });

  it('formats text as mnemonic, tab, operands', () => {
    expect(disassemble(0x81818193, 0x80000000)).toEqual({
      length: 4,
      mnemonic: 'add',
      operands: 'gp,gp,-2024',
      text: 'add\tgp,gp,-2024',
    });
    expect(disassemble(0x00000073, 0)).toEqual({ length: 4, mnemonic: 'ecall', operands: '', text: 'ecall' });
  });

  it('accepts the instruction word as a signed 32-bit number', () => {
    expect(disassemble(0x81818193 | 0, 0x80000000)).toEqual(disassemble(0x81818193, 0x80000000));
    expect(disassemble(0xc0001073 | 0, 0).text).toBe('unimp');
    expect(disassemble(0xfffff06f | 0, 0x80000000)).toMatchObject({ text: 'j\t7ffffffe', target: 0x7ffffffe });
  });

  it('decodes only the low halfword of a compressed instruction', () => {
    expect(disassemble(0xdead8082, 0x1000).text).toBe('ret');
    expect(disassemble(0x12344501, 0x1000).text).toBe('li\ta0,0');
  });

  it('resolves branch and jump targets and asks the symbolizer for a name', () => {
    const asked: number[] = [];
    const symbolize: Symbolizer = (a) => {
      asked.push(a);
      return a === 0x80000000 ? '_start' : undefined;
    };
    const j = disassemble(0xb779, 0x80000072, symbolize); // c.j -0x72
    expect(j).toMatchObject({ mnemonic: 'j', operands: '80000000 <_start>', target: 0x80000000, length: 2 });
    const beq = disassemble(0x00b50463, 0x80000000, symbolize); // beq a0,a1,.+8
    expect(beq).toMatchObject({ mnemonic: 'beq', operands: 'a0,a1,80000008', target: 0x80000008 });
    const jal = disassemble(0xf8dff0ef, 0x80000074); // jal -0x74, no symbolizer
    expect(jal).toMatchObject({ mnemonic: 'jal', operands: '80000000', target: 0x80000000 });
    expect(asked).toEqual([0x80000000, 0x80000008]);
    expect(disassemble(0x00008067, 0x80000000).target).toBeUndefined(); // ret
    expect(disassemble(0x00050067, 0x80000000).target).toBeUndefined(); // jr a0
  });

  it('prints targets below address zero as 64-bit addresses', () => {
    const d = disassemble(0xffdff06f, 0); // j .-4
    expect(d.operands).toBe('fffffffffffffffc');
    expect(d.target).toBeUndefined();
  });

  it('names f registers by ABI name and shows a rounding mode only when it is not dyn', () => {
    expect(FP_REG_NAMES).toHaveLength(32);
    expect([FP_REG_NAMES[0], FP_REG_NAMES[8], FP_REG_NAMES[10], FP_REG_NAMES[18], FP_REG_NAMES[31]])
      .toEqual(['ft0', 'fs0', 'fa0', 'fs2', 'ft11']);
    expect(ROUNDING_MODES[1]).toBe('rtz');
    expect(disassemble(0x02b51553, 0).text).toBe('fadd.d\tfa0,fa0,fa1,rtz');
    expect(disassemble(0x02b57553, 0).text).toBe('fadd.d\tfa0,fa0,fa1');
    expect(disassemble(0x22b58553, 0).text).toBe('fmv.d\tfa0,fa1');
    expect(disassemble(0x00302573, 0).text).toBe('frcsr\ta0');
    expect(disassemble(0x2000, 0)).toMatchObject({ length: 2, text: 'fld\tfs0,0(s0)' });
  });

  it('selects CSR names by privileged-spec version', () => {
    const csrrs = (csr: number): number => ((csr << 20) | (2 << 12) | (10 << 7) | 0x73) >>> 0;
    expect(disassemble(csrrs(0x143), 0).text).toBe('csrr\ta0,stval');
    expect(disassemble(csrrs(0x143), 0, undefined, { privSpec: '1.9.1' }).text).toBe('csrr\ta0,sbadaddr');
    expect(disassemble(csrrs(0x000), 0).text).toBe('csrr\ta0,ustatus');
    expect(disassemble(csrrs(0x000), 0, undefined, { privSpec: '1.12' }).text).toBe('csrr\ta0,0x0');
    expect(disassemble(csrrs(0x30a), 0, undefined, { privSpec: '1.12' }).text).toBe('csrr\ta0,menvcfg');
    expect(csrName(0x7c0)).toBe('0x7c0');
    expect(csrName(0x300)).toBe('mstatus');
    expect(privSpecFromAttributes()).toBe('1.12');
    expect(privSpecFromAttributes(1, 11, 0)).toBe('1.11');
    expect(privSpecFromAttributes(1, 9, 1)).toBe('1.9.1');
  });
});

describe('matches objdump on the fixture', () => {
  const variants: [string, string[]][] = [
    ['default (priv spec 1.11)', []],
    ['priv spec 1.9.1', ['-mpriv-spec=1.9.1']],
    ['priv spec 1.10', ['-mpriv-spec=1.10']],
    ['priv spec 1.12', ['-mpriv-spec=1.12']],
  ];
  for (const [label, flags] of variants) {
    it(label, () => {
      const elf = build(workDir, FIXTURE, `all-${flags.join('').replace(/\W/g, '') || 'default'}`, flags);
      const c = compareWithObjdump(elf);
      console.log(`fixture ${label}: ${c.compared} instructions, ${c.mnemonics.size} mnemonics`);
      expect(c.compared).toBeGreaterThan(2000);
      expect(c.dataLines).toBe(0);
      // Spot-check that the fixture really covers the interesting groups.
      for (const m of ['li', 'mv', 'nop', 'not', 'neg', 'negw', 'sext.w', 'seqz', 'snez', 'sltz', 'sgtz', 'ret',
        'jr', 'jalr', 'j', 'jal', 'beqz', 'bnez', 'blez', 'bgez', 'bltz', 'bgtz', 'csrr', 'csrw', 'csrs', 'csrc',
        'rdcycle', 'rdtime', 'rdinstret', 'fence', 'fence.i', 'fence.tso', 'lr.w.aqrl', 'sc.d.aq', 'amomaxu.d.rl',
        'mret', 'sret', 'wfi', 'sfence.vma', 'ecall', 'ebreak', 'unimp', 'c.nop', 'c.slli64', 'zext.b', '.2byte',
        '.4byte', 'flw', 'fsd', 'fadd.d', 'fmadd.s', 'fnmsub.d', 'fsqrt.d', 'fmv.d', 'fneg.s', 'fabs.d', 'fsgnjx.s',
        'fcvt.d.w', 'fcvt.d.s', 'fcvt.s.d', 'fcvt.lu.d', 'fmv.x.w', 'fmv.d.x', 'feq.d', 'fclass.s', 'frcsr', 'fscsr',
        'frrm', 'fsrm', 'fsrmi', 'frflags', 'fsflags', 'fsflagsi', 'add.uw', 'zext.w', 'sh3add.uw', 'slli.uw', 'andn',
        'clz', 'cpopw', 'maxu', 'sext.b', 'sext.h', 'zext.h', 'rol', 'ror', 'rorw', 'orc.b', 'rev8', 'clmulr',
        'bclr', 'bext', 'binv', 'bset']) {
        expect(c.mnemonics, m).toContain(m);
      }
      expectIdentical(c);
    });
  }
});

describe('matches objdump on generated encodings', () => {
  it('every 16-bit encoding', () => {
    const src = join(workDir, 'c16.S');
    writeFileSync(src, allCompressedSource());
    const c = compareWithObjdump(build(workDir, src, 'c16'));
    console.log(`all 16-bit encodings: ${c.compared} instructions`);
    expect(c.compared).toBe(0xc000);
    expectIdentical(c);
  });

  it('every function-field value of the F, D and bit-manipulation opcodes', () => {
    const src = join(workDir, 'ext.S');
    const words = [...extensionWords()];
    writeFileSync(src, wordsSource(words));
    const c = compareWithObjdump(build(workDir, src, 'ext'));
    console.log(`F, D, Zba, Zbb, Zbc, Zbs encodings: ${c.compared} instructions, ${c.mnemonics.size} mnemonics`);
    expect(c.compared).toBe(words.length);
    expectIdentical(c);
  });

  it('random 32-bit encodings', () => {
    const src = join(workDir, 'r32.S');
    writeFileSync(src, random32Source(40000, 0x5eed));
    const c = compareWithObjdump(build(workDir, src, 'r32'));
    console.log(`random 32-bit encodings: ${c.compared} instructions, ${c.mnemonics.size} mnemonics`);
    expect(c.compared).toBe(40000);
    expectIdentical(c);
  });
});

describe('matches objdump on public/examples', () => {
  const elves = readdirSync(EXAMPLES_DIR, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.elf'))
    .map((e) => e.name)
    .sort();

  it('finds example ELF files', () => {
    expect(elves.length).toBeGreaterThan(0);
  });

  for (const name of elves) {
    it(name, () => {
      const c = compareWithObjdump(join(EXAMPLES_DIR, name));
      console.log(`${name}: ${c.compared} instructions`);
      expect(c.compared).toBeGreaterThan(0);
      expectIdentical(c);
    });
  }
});
