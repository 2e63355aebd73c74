import { describe, it, expect, beforeEach, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ElfError,
  PF_R,
  PF_W,
  PF_X,
  SHT_PROGBITS,
  SHT_STRTAB,
  SHT_SYMTAB,
  SymbolTable,
  checkLoadable,
  parseElf,
  physicalEntry,
  type ElfImage,
  type ElfSymbol,
  type LoadRegion,
} from './elf';

// ---------------------------------------------------------------------------
// A real program, built with the RISC-V toolchain, and readelf's view of it.
// ---------------------------------------------------------------------------

const GCC = 'riscv64-unknown-elf-gcc';
const READELF = 'riscv64-unknown-elf-readelf';

const SOURCE = `
#include <stdio.h>

int counter = 3;
static int table[16];

__attribute__((noipa)) static int add(int a, int b) { return a + b; }

__attribute__((noipa)) int twice(int x) {
  table[x & 15] += x;
  return add(x, x);
}

int main(void) {
  counter = twice(counter);
  printf("counter=%d table=%d\\n", counter, table[3]);
  return 0;
}
`;

const GCC_FLAGS = [
  '-march=rv64imac',
  '-mabi=lp64',
  '-mcmodel=medany',
  '-O2',
  '-g',
  '--specs=picolibc.specs',
  '--oslib=semihost',
  '--crt0=semihost',
  '-Wl,--defsym=__flash=0x80000000,--defsym=__flash_size=0x200000,--defsym=__ram=0x80200000,--defsym=__ram_size=0x1000000',
];

let workDir = '';
let elf: Uint8Array;
let readelfProgram = '';
let readelfSections = '';
let buildError: unknown;

/**
 * Compiles the test program (once) and runs readelf on it. Tests that need it
 * call this first. There is no skipping: without the toolchain this throws
 * and each of those tests fails.
 */
function build(): void {
  if (elf) return;
  if (buildError !== undefined) throw buildError;
  try {
    workDir = mkdtempSync(join(tmpdir(), 'elf-test-'));
    writeFileSync(join(workDir, 'prog.c'), SOURCE);
    execFileSync(GCC, [...GCC_FLAGS, '-o', join(workDir, 'prog.elf'), join(workDir, 'prog.c')], { stdio: 'pipe' });
    readelfProgram = execFileSync(READELF, ['-lsW', join(workDir, 'prog.elf')], { encoding: 'utf8' });
    readelfSections = execFileSync(READELF, ['-SW', join(workDir, 'prog.elf')], { encoding: 'utf8' });
    elf = new Uint8Array(readFileSync(join(workDir, 'prog.elf')));
  } catch (e) {
    buildError = new Error(`building the test program with ${GCC} failed: ${String(e)}`, { cause: e });
    throw buildError;
  }
}

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

interface ReadelfLoad {
  offset: number;
  vaddr: number;
  paddr: number;
  fileSize: number;
  memSize: number;
  flags: number;
}

function num(text: string): number {
  return text.startsWith('0x') ? parseInt(text.slice(2), 16) : parseInt(text, 10);
}

function readelfEntry(): number {
  const m = /Entry point (0x[0-9a-f]+)/.exec(readelfProgram);
  if (!m) throw new Error('no entry point in readelf output');
  return num(m[1]);
}

function readelfLoads(): ReadelfLoad[] {
  const loads: ReadelfLoad[] = [];
  const re = /^\s+LOAD\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+([RWE ]+?)\s+(0x[0-9a-f]+)$/;
  for (const line of readelfProgram.split('\n')) {
    const m = re.exec(line);
    if (!m) continue;
    const f = m[6];
    loads.push({
      offset: num(m[1]),
      vaddr: num(m[2]),
      paddr: num(m[3]),
      fileSize: num(m[4]),
      memSize: num(m[5]),
      flags: (f.includes('R') ? PF_R : 0) | (f.includes('W') ? PF_W : 0) | (f.includes('E') ? PF_X : 0),
    });
  }
  return loads;
}

/** readelf's symbol list, filtered the way parseElf documents it filters. */
function readelfSymbols(): ElfSymbol[] {
  const out: ElfSymbol[] = [];
  const re = /^\s*\d+:\s+([0-9a-f]+)\s+(\d+|0x[0-9a-f]+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)(?: (.*))?$/;
  for (const line of readelfProgram.split('\n')) {
    const m = re.exec(line);
    if (!m) continue;
    const [, value, size, type, bind, , ndx, name = ''] = m;
    if (name === '' || ndx === 'UND' || ['SECTION', 'FILE', 'TLS'].includes(type)) continue;
    if (type === 'NOTYPE' && bind === 'LOCAL' && /^\$(x|d$|d\.)/.test(name)) continue;
    out.push({
      name,
      address: parseInt(value, 16),
      size: num(size),
      kind: type === 'FUNC' ? 'function' : type === 'OBJECT' ? 'object' : 'other',
      global: bind !== 'LOCAL',
      ...(ndx === 'ABS' ? { absolute: true } : {}),
    });
  }
  return out;
}

const SECTION_TYPES: Record<string, number> = {
  NULL: 0,
  PROGBITS: 1,
  SYMTAB: 2,
  STRTAB: 3,
  NOBITS: 8,
  RISCV_ATTRIBUTES: 0x70000003,
};
const SECTION_FLAGS: Record<string, number> = { W: 1, A: 2, X: 4, M: 0x10, S: 0x20, I: 0x40, L: 0x80, G: 0x200, T: 0x400 };

interface ReadelfSection {
  index: number;
  name: string;
  type: number;
  address: number;
  offset: number;
  size: number;
  flags: number;
  link: number;
}

function readelfSectionList(): ReadelfSection[] {
  const out: ReadelfSection[] = [];
  const re =
    /^\s*\[\s*(\d+)\]\s+(.*?)\s+([A-Z_]+)\s+([0-9a-f]{16})\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]{2})\s+([A-Za-z]*)\s+(\d+)\s+(\d+)\s+(\d+)$/;
  for (const line of readelfSections.split('\n')) {
    const m = re.exec(line);
    if (!m) continue;
    const type = SECTION_TYPES[m[3]];
    if (type === undefined) throw new Error(`test does not know section type ${m[3]}`);
    let flags = 0;
    for (const c of m[8]) {
      const bit = SECTION_FLAGS[c];
      if (bit === undefined) throw new Error(`test does not know section flag ${c}`);
      flags |= bit;
    }
    out.push({
      index: Number(m[1]),
      name: m[2],
      type,
      address: parseInt(m[4], 16),
      offset: parseInt(m[5], 16),
      size: parseInt(m[6], 16),
      flags,
      link: Number(m[9]),
    });
  }
  return out;
}

function bySymbolKey(a: ElfSymbol, b: ElfSymbol): number {
  return a.address - b.address || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) || a.size - b.size;
}

// ---------------------------------------------------------------------------
// Byte helpers for patching the real ELF and for building ELF files by hand.
// ---------------------------------------------------------------------------

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function setU64(b: Uint8Array, offset: number, value: number | bigint): void {
  view(b).setBigUint64(offset, BigInt(value), true);
}

function getU64(b: Uint8Array, offset: number): number {
  return Number(view(b).getBigUint64(offset, true));
}

/** A patched copy of the real ELF. */
function patched(patch: (b: Uint8Array, v: DataView) => void): Uint8Array {
  const b = elf.slice();
  patch(b, view(b));
  return b;
}

const phoffOf = (b: Uint8Array) => getU64(b, 32);
const shoffOf = (b: Uint8Array) => getU64(b, 40);
const phdr = (b: Uint8Array, i: number) => phoffOf(b) + i * 56;
const shdr = (b: Uint8Array, i: number) => shoffOf(b) + i * 64;

function phdrIndex(pred: (type: number, flags: number) => boolean): number {
  const v = view(elf);
  const n = v.getUint16(56, true);
  for (let i = 0; i < n; i++) {
    const at = phdr(elf, i);
    if (pred(v.getUint32(at, true), v.getUint32(at + 4, true))) return i;
  }
  throw new Error('no such program header');
}

function sectionIndex(name: string): number {
  const s = readelfSectionList().find((x) => x.name === name);
  if (!s) throw new Error(`no section ${name}`);
  return s.index;
}

function expectElfError(bytes: Uint8Array, message: RegExp): ElfError {
  let caught: unknown;
  try {
    parseElf(bytes);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(ElfError);
  const err = caught as ElfError;
  expect(err.message).toMatch(message);
  expect(err.message).not.toMatch(/internal error/);
  return err;
}

interface SegSpec {
  type?: number;
  flags: number;
  paddr: number;
  vaddr?: number;
  memSize?: number;
  data?: Uint8Array;
}

interface SecSpec {
  name: string;
  type: number;
  data: Uint8Array;
  link?: number;
  info?: number;
  entsize?: number;
  address?: number;
  flags?: number;
}

interface BuildOptions {
  entry: number;
  segments: SegSpec[];
  sections?: SecSpec[];
  /** Store the section count and name-table index in section 0, as for huge files. */
  extendedNumbering?: boolean;
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A minimal ELF64 little-endian RISC-V executable with the given segments and sections. */
function buildElf(opts: BuildOptions): Uint8Array {
  const segs = opts.segments;
  const secs = opts.sections ?? [];
  const phoff = 64;
  let at = align8(phoff + segs.length * 56);
  const segOffsets = segs.map((s) => {
    const o = at;
    at = align8(at + (s.data?.length ?? 0));
    return o;
  });
  // Section names: "" at 0, then each name, then ".shstrtab".
  const names = ['', ...secs.map((s) => s.name), '.shstrtab'];
  const nameOffsets: number[] = [];
  const shstr: number[] = [];
  for (const n of names) {
    nameOffsets.push(shstr.length);
    for (const c of new TextEncoder().encode(n)) shstr.push(c);
    shstr.push(0);
  }
  const allSecs: SecSpec[] = secs.length || opts.extendedNumbering
    ? [...secs, { name: '.shstrtab', type: SHT_STRTAB, data: new Uint8Array(shstr) }]
    : [];
  const secOffsets = allSecs.map((s) => {
    const o = at;
    at = align8(at + s.data.length);
    return o;
  });
  const shoff = allSecs.length ? at : 0;
  const shnum = allSecs.length ? allSecs.length + 1 : 0;
  const total = shoff ? shoff + shnum * 64 : at;
  const b = new Uint8Array(total);
  const v = view(b);
  b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
  v.setUint16(16, 2, true); // ET_EXEC
  v.setUint16(18, 243, true); // EM_RISCV
  v.setUint32(20, 1, true);
  setU64(b, 24, opts.entry);
  setU64(b, 32, segs.length ? phoff : 0);
  setU64(b, 40, shoff);
  v.setUint16(52, 64, true);
  v.setUint16(54, 56, true);
  v.setUint16(56, segs.length, true);
  v.setUint16(58, 64, true);
  v.setUint16(60, opts.extendedNumbering ? 0 : shnum, true);
  v.setUint16(62, shnum === 0 ? 0 : opts.extendedNumbering ? 0xffff : shnum - 1, true);
  segs.forEach((s, i) => {
    const p = phoff + i * 56;
    const fileSize = s.data?.length ?? 0;
    v.setUint32(p, s.type ?? 1, true);
    v.setUint32(p + 4, s.flags, true);
    setU64(b, p + 8, segOffsets[i]);
    setU64(b, p + 16, s.vaddr ?? s.paddr);
    setU64(b, p + 24, s.paddr);
    setU64(b, p + 32, fileSize);
    setU64(b, p + 40, s.memSize ?? fileSize);
    setU64(b, p + 48, 8);
    if (s.data) b.set(s.data, segOffsets[i]);
  });
  if (shoff) {
    if (opts.extendedNumbering) {
      setU64(b, shoff + 32, shnum);
      v.setUint32(shoff + 40, shnum - 1, true);
    }
    allSecs.forEach((s, i) => {
      const h = shoff + (i + 1) * 64;
      v.setUint32(h, nameOffsets[i + 1], true);
      v.setUint32(h + 4, s.type, true);
      setU64(b, h + 8, s.flags ?? 0);
      setU64(b, h + 16, s.address ?? 0);
      setU64(b, h + 24, secOffsets[i]);
      setU64(b, h + 32, s.data.length);
      v.setUint32(h + 40, s.link ?? 0, true);
      v.setUint32(h + 44, s.info ?? 0, true);
      setU64(b, h + 48, 1);
      setU64(b, h + 56, s.entsize ?? 0);
      b.set(s.data, secOffsets[i]);
    });
  }
  return b;
}

/** One Elf64_Sym. */
function sym(nameOffset: number, type: number, bind: number, shndx: number, value: number, size: number): Uint8Array {
  const b = new Uint8Array(24);
  const v = view(b);
  v.setUint32(0, nameOffset, true);
  v.setUint8(4, (bind << 4) | type);
  v.setUint16(6, shndx, true);
  setU64(b, 8, value);
  setU64(b, 16, size);
  return b;
}

/** A string table holding `names`, and each name's offset. */
function strtab(names: string[]): { data: Uint8Array; offsets: Record<string, number> } {
  const bytes: number[] = [0];
  const offsets: Record<string, number> = {};
  for (const n of names) {
    offsets[n] = bytes.length;
    for (const c of new TextEncoder().encode(n)) bytes.push(c);
    bytes.push(0);
  }
  return { data: new Uint8Array(bytes), offsets };
}

const CODE = new Uint8Array([0x13, 0, 0, 0, 0x13, 0, 0, 0]); // two nops
const RAM: LoadRegion = { name: 'RAM', base: 0x8000_0000, size: 128 * 1024 * 1024 };
const DEVICES: LoadRegion[] = [
  { name: 'test', base: 0x10_0000, size: 0x1000 },
  { name: 'clint', base: 0x200_0000, size: 0x1_0000 },
  { name: 'plic', base: 0xc00_0000, size: 0x60_0000 },
  { name: 'uart', base: 0x1000_0000, size: 0x100 },
];

// ---------------------------------------------------------------------------

describe('parseElf on a real program', () => {
  let image: ElfImage;
  beforeEach(() => {
    build();
    image = parseElf(elf);
  });

  it('reads the entry point readelf reports', () => {
    expect(image.entry).toBe(readelfEntry());
    expect(physicalEntry(image)).toBe(image.entry);
  });

  it('reads the same PT_LOAD segments as readelf, with their file bytes', () => {
    const loads = readelfLoads();
    expect(loads.length).toBeGreaterThanOrEqual(2);
    expect(image.segments.map(({ data: _data, ...rest }) => ({ ...rest, flags: rest.flags & 7 }))).toEqual(
      loads.map((l) => ({
        paddr: l.paddr,
        vaddr: l.vaddr,
        memSize: l.memSize,
        fileSize: l.fileSize,
        fileOffset: l.offset,
        flags: l.flags,
      })),
    );
    for (const s of image.segments) {
      expect(s.data.length).toBe(s.fileSize);
      expect(s.data.buffer).toBe(elf.buffer); // a view, not a copy
      expect(Array.from(s.data)).toEqual(Array.from(elf.subarray(s.fileOffset, s.fileOffset + s.fileSize)));
    }
    // This build puts .data's load address in flash and its run address in RAM.
    expect(image.segments.some((s) => s.paddr !== s.vaddr)).toBe(true);
  });

  it('reads the same symbols as readelf', () => {
    const expected = readelfSymbols();
    expect(expected.length).toBeGreaterThan(50);
    expect([...image.symbols].sort(bySymbolKey)).toEqual([...expected].sort(bySymbolKey));
    const table = new SymbolTable(image.symbols);
    expect(table.lookup('main')).toMatchObject({ kind: 'function', global: true });
    expect(table.lookup('twice')).toMatchObject({ kind: 'function', global: true });
    expect(table.lookup('add')).toMatchObject({ kind: 'function', global: false });
    expect(table.lookup('counter')).toMatchObject({ kind: 'object', global: true, size: 4 });
    expect(table.lookup('table')).toMatchObject({ kind: 'object', global: false, size: 64 });
    expect(image.symbols.some((s) => s.name.startsWith('$'))).toBe(false);
  });

  it('reads the same sections as readelf, and their data', () => {
    const expected = readelfSectionList();
    expect(expected.length).toBeGreaterThan(10);
    expect(image.sections).toEqual(
      expected.map((s) => ({ name: s.name, type: s.type, address: s.address, offset: s.offset, size: s.size, flags: s.flags })),
    );
    const text = expected.find((s) => s.name === '.text');
    expect(text).toBeDefined();
    const data = image.sectionData('.text');
    expect(data?.length).toBe(text?.size);
    expect(data?.byteOffset).toBe(elf.byteOffset + (text?.offset ?? -1));
    expect(image.sectionData('.bss')).toBeUndefined(); // SHT_NOBITS: no file bytes
    expect(image.sectionData('.no-such-section')).toBeUndefined();
    expect(image.sectionData('.symtab')?.length).toBe(expected.find((s) => s.name === '.symtab')?.size);
  });

  it('symbolizes addresses inside its functions and objects', () => {
    const table = new SymbolTable(image.symbols);
    const main = table.lookup('main');
    const counter = table.lookup('counter');
    if (!main || !counter) throw new Error('missing symbols');
    expect(table.format(main.address)).toBe('main');
    expect(table.format(main.address + 4)).toBe('main+0x4');
    expect(table.symbolize(counter.address + 2)).toEqual({ symbol: counter, offset: 2 });
    expect(table.format(counter.address + 2)).toBe('counter+0x2');
    const start = table.lookup('_start');
    if (!start) throw new Error('missing _start');
    // __flash (an absolute NOTYPE symbol) sits at the same address; the function wins.
    expect(table.format(image.entry)).toBe('_start');
  });

  it('is loadable into the virt board, and not into too small a RAM', () => {
    expect(() => checkLoadable(image, RAM, DEVICES)).not.toThrow();
    expect(() => checkLoadable(image, { name: 'RAM', base: 0x8000_0000, size: 0x10_0000 }, DEVICES)).toThrow(
      /PT_LOAD segment \d \(0x80200028\+0x[0-9a-f]+\) is not entirely inside RAM \(0x80000000\+0x100000\)/,
    );
  });

  it('accepts the input as a subarray of a larger buffer', () => {
    const big = new Uint8Array(elf.length + 100);
    big.set(elf, 37);
    const again = parseElf(big.subarray(37, 37 + elf.length));
    expect(again.entry).toBe(image.entry);
    expect(again.symbols.length).toBe(image.symbols.length);
    expect(Array.from(again.segments[0].data)).toEqual(Array.from(image.segments[0].data));
  });
});

describe('parseElf rejects malformed files', () => {
  beforeEach(build);

  it('not ELF: bad magic', () => {
    expectElfError(patched((b) => (b[1] = 0x46)), /not an ELF file: bad magic/);
    expectElfError(new TextEncoder().encode('#!/bin/sh\necho hello\n'), /bad magic \(bytes 23 21 2f 62/);
  });

  it('ELF32', () => {
    expectElfError(patched((b) => (b[4] = 1)), /ELF32/);
  });

  it('big-endian', () => {
    expectElfError(patched((b) => (b[5] = 2)), /big-endian/);
  });

  it('bad ELF version, in e_ident and in e_version', () => {
    expectElfError(patched((b) => (b[6] = 0)), /bad ELF version: EI_VERSION is 0/);
    expectElfError(patched((_b, v) => v.setUint32(20, 2, true)), /bad ELF version: e_version is 2/);
  });

  it('wrong machine, naming it', () => {
    expectElfError(patched((_b, v) => v.setUint16(18, 62, true)), /wrong machine: e_machine is 62 \(x86-64\), expected 243/);
    expectElfError(patched((_b, v) => v.setUint16(18, 4242, true)), /wrong machine: e_machine is 4242, expected 243/);
  });

  it('not an executable', () => {
    expectElfError(patched((_b, v) => v.setUint16(16, 3, true)), /not an executable: e_type is 3 \(ET_DYN/);
    expectElfError(patched((_b, v) => v.setUint16(16, 1, true)), /not an executable: e_type is 1 \(ET_REL/);
  });

  it('file shorter than the ELF header', () => {
    expectElfError(elf.slice(0, 40), /too short: 40 bytes, shorter than the 64-byte ELF64 header/);
    expectElfError(elf.slice(0, 2), /too short: 2 bytes/);
    expectElfError(new Uint8Array(0), /too short: 0 bytes/);
  });

  it('absurd e_phnum / e_shnum', () => {
    expectElfError(patched((_b, v) => v.setUint16(56, 0x7fff, true)), /e_phnum 32767 is absurd/);
    expectElfError(patched((_b, v) => v.setUint16(60, 0xfff0, true)), /e_shnum 65520 is absurd/);
  });

  it('wrong e_phentsize / e_shentsize', () => {
    expectElfError(patched((_b, v) => v.setUint16(54, 32, true)), /e_phentsize is 32, expected 56/);
    expectElfError(patched((_b, v) => v.setUint16(58, 40, true)), /e_shentsize is 40, expected 64/);
  });

  it('program or section header table beyond the end of the file', () => {
    const len = elf.length;
    expectElfError(patched((b) => setU64(b, 32, len - 100)), /program header table \(5 entries at .*\) lies beyond the end of the file/);
    expectElfError(patched((b) => setU64(b, 40, len - 100)), /section header table \(\d+ entries at .*\) lies beyond the end of the file/);
    expectElfError(patched((b) => setU64(b, 40, len + 0x1000)), /section header table at 0x[0-9a-f]+ lies beyond the end of the file/);
    expectElfError(patched((_b, v) => v.setUint16(60, 0, true)), /section count .* is 0/);
  });

  it('segment file range beyond the end of the file', () => {
    const i = phdrIndex((type, flags) => type === 1 && (flags & PF_X) !== 0);
    const len = elf.length;
    const err = expectElfError(
      patched((b) => setU64(b, phdr(b, i) + 8, len - 0x10)),
      new RegExp(`program header ${i}: segment file range 0x[0-9a-f]+\\+0x[0-9a-f]+ lies beyond the end of the file \\(0x${len.toString(16)} bytes\\)`),
    );
    expect(err.message).toContain(`0x${(len - 0x10).toString(16)}+`);
    // A huge size must not wrap around.
    expectElfError(patched((b) => setU64(b, phdr(b, i) + 32, 2 ** 52)), /segment file range .* lies beyond the end/);
  });

  it('fileSize larger than memSize', () => {
    const i = phdrIndex((type, flags) => type === 1 && (flags & PF_X) !== 0);
    expectElfError(
      patched((b) => setU64(b, phdr(b, i) + 32, getU64(b, phdr(b, i) + 40) + 8)),
      new RegExp(`program header ${i}: p_filesz 0x[0-9a-f]+ is larger than p_memsz`),
    );
  });

  it('no PT_LOAD segments', () => {
    const b = elf.slice();
    const v = view(b);
    for (let i = 0; i < v.getUint16(56, true); i++) {
      if (v.getUint32(phdr(b, i), true) === 1) v.setUint32(phdr(b, i), 4, true); // PT_NOTE
    }
    expectElfError(b, /no PT_LOAD segments/);
  });

  it('string table index out of range', () => {
    expectElfError(patched((_b, v) => v.setUint16(62, 200, true)), /string table index out of range: e_shstrndx is 200/);
    const symtab = sectionIndex('.symtab');
    expectElfError(
      patched((b, v) => v.setUint32(shdr(b, symtab) + 40, 999, true)),
      /string table index out of range: symbol table \(section \d+\): sh_link is 999/,
    );
    // Linked to a section that is not a string table.
    expectElfError(patched((b, v) => v.setUint32(shdr(b, symtab) + 40, 1, true)), /sh_link is 1, which is not a string table/);
    // A name offset outside the table.
    expectElfError(patched((b, v) => v.setUint32(shdr(b, 1), 0xffff, true)), /section 1: name offset 0xffff is out of range of the section name table/);
    expectElfError(
      patched((b, v) => v.setUint32(getU64(b, shdr(b, symtab) + 24) + 19 * 24, 0x10_0000, true)),
      /symbol 19: name offset 0x100000 is out of range of the symbol string table/,
    );
  });

  it('symbol names not NUL-terminated within their table', () => {
    const strtab = sectionIndex('.strtab');
    expectElfError(
      patched((b) => {
        const end = getU64(b, shdr(b, strtab) + 24) + getU64(b, shdr(b, strtab) + 32);
        b[end - 1] = 0x41;
      }),
      /symbol \d+: name at offset 0x[0-9a-f]+ is not NUL-terminated within the symbol string table/,
    );
    const shstrtab = sectionIndex('.shstrtab');
    expectElfError(
      patched((b) => {
        const end = getU64(b, shdr(b, shstrtab) + 24) + getU64(b, shdr(b, shstrtab) + 32);
        b[end - 1] = 0x41;
      }),
      /section \d+: name at offset .* is not NUL-terminated within the section name table/,
    );
  });

  it('malformed symbol table entries size', () => {
    const symtab = sectionIndex('.symtab');
    expectElfError(patched((b) => setU64(b, shdr(b, symtab) + 56, 16)), /symbol table \(section \d+\): sh_entsize is 16, expected 24/);
    expectElfError(
      patched((b) => setU64(b, shdr(b, symtab) + 32, getU64(b, shdr(b, symtab) + 32) - 5)),
      /sh_size 0x[0-9a-f]+ is not a multiple of the 24-byte entry size/,
    );
  });

  it('section file range beyond the end of the file', () => {
    const info = sectionIndex('.debug_info');
    expectElfError(
      patched((b) => setU64(b, shdr(b, info) + 24, elf.length)),
      new RegExp(`section ${info}: section file range 0x[0-9a-f]+\\+0x[0-9a-f]+ lies beyond the end of the file`),
    );
  });

  it('addresses at or above 2^53', () => {
    expectElfError(patched((b) => (b[31] = 0xff)), /ELF header: e_entry is 0xff0000008000000\d?, which is not below 2\^53/);
    const i = phdrIndex((type) => type === 1);
    expectElfError(patched((b) => setU64(b, phdr(b, i) + 24, 2n ** 53n)), new RegExp(`program header ${i}: p_paddr is 0x20000000000000, which is not below 2\\^53`));
    expectElfError(
      patched((b) => setU64(b, phdr(b, i) + 24, 2 ** 53 - 0x10)),
      new RegExp(`program header ${i}: segment 0x1ffffffffffff0\\+0x[0-9a-f]+ ends beyond 2\\^53`),
    );
    const counterIndex = readelfProgram.split('\n').find((l) => / counter$/.test(l))?.trim().split(':')[0];
    const symtab = sectionIndex('.symtab');
    expectElfError(
      patched((b) => setU64(b, getU64(b, shdr(b, symtab) + 24) + Number(counterIndex) * 24 + 8, 0xffff_ffff_ffff_fff0n)),
      /symbol \d+ \(counter\): st_value is 0xfffffffffffffff0, which is not below 2\^53/,
    );
  });

  it('input that is not a Uint8Array', () => {
    expect(() => parseElf([1, 2, 3] as unknown as Uint8Array)).toThrow(ElfError);
    expect(() => parseElf(undefined as unknown as Uint8Array)).toThrow(ElfError);
  });
});

describe('parseElf on hand-built files', () => {
  it('reads a file with no sections', () => {
    const image = parseElf(
      buildElf({
        entry: 0x8000_0000,
        segments: [
          { flags: PF_R | PF_X, paddr: 0x8000_0000, data: CODE },
          { type: 4, flags: PF_R, paddr: 0, data: new Uint8Array(4) }, // PT_NOTE: not listed
          { flags: PF_R | PF_W, paddr: 0x8000_1000, memSize: 0x100 },
        ],
      }),
    );
    expect(image.sections).toEqual([]);
    expect(image.symbols).toEqual([]);
    expect(image.segments.map((s) => [s.paddr, s.fileSize, s.memSize, s.flags])).toEqual([
      [0x8000_0000, 8, 8, PF_R | PF_X],
      [0x8000_1000, 0, 0x100, PF_R | PF_W],
    ]);
    expect(Array.from(image.segments[0].data)).toEqual(Array.from(CODE));
    expect(image.sectionData('')).toBeUndefined();
  });

  it('keeps named code and data symbols and skips the rest', () => {
    const names = strtab(['foo', 'bar', 'local_fn', 'weak_fn', '.text', 'prog.c', '$x', '$xrv64i2p1', '$d', 'undef', 'tls_var', 'abs_sym', 'label$']);
    const o = names.offsets;
    const STT = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4, TLS: 6 };
    const STB = { LOCAL: 0, GLOBAL: 1, WEAK: 2 };
    const syms = concat([
      sym(0, 0, 0, 0, 0, 0), // the null symbol
      sym(o['foo'], STT.FUNC, STB.GLOBAL, 1, 0x8000_0000, 8),
      sym(o['bar'], STT.OBJECT, STB.GLOBAL, 1, 0x8000_0010, 4),
      sym(o['local_fn'], STT.FUNC, STB.LOCAL, 1, 0x8000_0004, 4),
      sym(o['weak_fn'], STT.FUNC, STB.WEAK, 1, 0x8000_0020, 2),
      sym(o['.text'], STT.SECTION, STB.LOCAL, 1, 0x8000_0000, 0),
      sym(o['prog.c'], STT.FILE, STB.LOCAL, 0xfff1, 0, 0),
      sym(o['$x'], STT.NOTYPE, STB.LOCAL, 1, 0x8000_0000, 0),
      sym(o['$xrv64i2p1'], STT.NOTYPE, STB.LOCAL, 1, 0x8000_0000, 0),
      sym(o['$d'], STT.NOTYPE, STB.LOCAL, 1, 0x8000_0010, 0),
      sym(o['undef'], STT.NOTYPE, STB.WEAK, 0, 0, 0),
      sym(o['tls_var'], STT.TLS, STB.GLOBAL, 1, 8, 4),
      sym(o['abs_sym'], STT.NOTYPE, STB.GLOBAL, 0xfff1, 0x1234, 0),
      sym(o['label$'], STT.NOTYPE, STB.LOCAL, 1, 0x8000_0006, 0),
      sym(0, STT.FUNC, STB.GLOBAL, 1, 0x8000_0000, 8), // no name
    ]);
    const image = parseElf(
      buildElf({
        entry: 0x8000_0000,
        segments: [{ flags: PF_R | PF_X, paddr: 0x8000_0000, data: CODE }],
        sections: [
          { name: '.text', type: SHT_PROGBITS, data: CODE, address: 0x8000_0000, flags: 6 },
          { name: '.symtab', type: SHT_SYMTAB, data: syms, link: 3, info: 10, entsize: 24 },
          { name: '.strtab', type: SHT_STRTAB, data: names.data },
        ],
      }),
    );
    expect(image.symbols).toEqual([
      { name: 'foo', address: 0x8000_0000, size: 8, kind: 'function', global: true },
      { name: 'bar', address: 0x8000_0010, size: 4, kind: 'object', global: true },
      { name: 'local_fn', address: 0x8000_0004, size: 4, kind: 'function', global: false },
      { name: 'weak_fn', address: 0x8000_0020, size: 2, kind: 'function', global: true },
      { name: 'abs_sym', address: 0x1234, size: 0, kind: 'other', global: true, absolute: true },
      { name: 'label$', address: 0x8000_0006, size: 0, kind: 'other', global: false },
    ]);
    expect(image.sections.map((s) => s.name)).toEqual(['', '.text', '.symtab', '.strtab', '.shstrtab']);
    expect(Array.from(image.sectionData('.text') ?? [])).toEqual(Array.from(CODE));
  });

  it('reads extended section numbering (count and name table index in section 0)', () => {
    const image = parseElf(
      buildElf({
        entry: 0x8000_0000,
        segments: [{ flags: PF_R | PF_X, paddr: 0x8000_0000, data: CODE }],
        sections: [{ name: '.text', type: SHT_PROGBITS, data: CODE, address: 0x8000_0000 }],
        extendedNumbering: true,
      }),
    );
    expect(image.sections.map((s) => s.name)).toEqual(['', '.text', '.shstrtab']);
  });

  it('gives up quickly on a string table built to make names overlap', () => {
    // 20000 symbols whose names all start inside one 200 KiB run of letters:
    // decoding each separately would build gigabytes of strings.
    const run = new Uint8Array(200 * 1024 + 2).fill(0x41);
    run[0] = 0;
    run[run.length - 1] = 0;
    const parts: Uint8Array[] = [sym(0, 0, 0, 0, 0, 0)];
    for (let i = 1; i <= 20000; i++) parts.push(sym(i, 2, 1, 1, 0x8000_0000, 4));
    const bytes = buildElf({
      entry: 0x8000_0000,
      segments: [{ flags: PF_R | PF_X, paddr: 0x8000_0000, data: CODE }],
      sections: [
        { name: '.text', type: SHT_PROGBITS, data: CODE, address: 0x8000_0000 },
        { name: '.symtab', type: SHT_SYMTAB, data: concat(parts), link: 3, entsize: 24 },
        { name: '.strtab', type: SHT_STRTAB, data: run },
      ],
    });
    const t0 = performance.now();
    expectElfError(bytes, /symbol \d+: the names read from the symbol string table add up to far more than its size/);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('e_phnum 0xffff with no section headers', () => {
    const b = buildElf({ entry: 0x8000_0000, segments: [{ flags: PF_X, paddr: 0x8000_0000, data: CODE }] });
    view(b).setUint16(56, 0xffff, true);
    expectElfError(b, /e_phnum is 0xffff \(PN_XNUM\) but there is no section header table/);
  });
});

describe('checkLoadable', () => {
  const load = (entry: number, segments: SegSpec[]) => parseElf(buildElf({ entry, segments }));

  it('accepts segments inside RAM with the entry in executable code', () => {
    const image = load(0x8000_0004, [
      { flags: PF_R | PF_X, paddr: 0x8000_0000, data: CODE },
      { flags: PF_R | PF_W, paddr: RAM.base + RAM.size - 0x100, memSize: 0x100 }, // ends exactly at the end of RAM
      { flags: PF_R, paddr: 0x4000_0000, memSize: 0 }, // empty: loads nothing, so it is not checked
    ]);
    expect(() => checkLoadable(image, RAM, DEVICES)).not.toThrow();
  });

  it('rejects a segment outside RAM', () => {
    const past = load(0x8000_0000, [
      { flags: PF_R | PF_X, paddr: 0x8000_0000, data: CODE },
      { flags: PF_R | PF_W, paddr: RAM.base + RAM.size - 0x10, memSize: 0x20 },
    ]);
    expect(() => checkLoadable(past, RAM, DEVICES)).toThrow(
      /PT_LOAD segment 1 \(0x87fffff0\+0x20\) is not entirely inside RAM \(0x80000000\+0x8000000\)/,
    );
    const before = load(0x8000_0000, [{ flags: PF_R | PF_X, paddr: 0x7fff_fff8, data: new Uint8Array(16) }]);
    expect(() => checkLoadable(before, RAM, DEVICES)).toThrow(/PT_LOAD segment 0 \(0x7ffffff8\+0x10\) is not entirely inside RAM/);
    const low = load(0x2000, [{ flags: PF_R | PF_X, paddr: 0x2000, data: CODE }]);
    expect(() => checkLoadable(low, RAM, DEVICES)).toThrow(ElfError);
  });

  it('rejects a segment that covers a device', () => {
    const image = load(0x1000_0000, [{ flags: PF_R | PF_X, paddr: 0x0fff_fff0, memSize: 0x20, data: CODE }]);
    expect(() => checkLoadable(image, RAM, DEVICES)).toThrow(/PT_LOAD segment 0 \(0xffffff0\+0x20\) overlaps device uart \(0x10000000\+0x100\)/);
    // A device inside the RAM range is caught even though the segment is in RAM.
    const inRam = load(0x8000_0000, [{ flags: PF_R | PF_X, paddr: 0x8000_0000, memSize: 0x2000, data: CODE }]);
    expect(() => checkLoadable(inRam, RAM, [{ name: 'mailbox', base: 0x8000_1ff8, size: 8 }])).toThrow(/overlaps device mailbox/);
    expect(() => checkLoadable(inRam, RAM, [{ name: 'mailbox', base: 0x8000_2000, size: 8 }])).not.toThrow();
  });

  it('rejects an entry point outside every loaded segment, whatever the segment flags say', () => {
    // QEMU loads and starts segments without the execute flag (the riscv-tests link script emits p_flags 0).
    const inData = load(0x8000_1000, [
      { flags: PF_R | PF_X, paddr: 0x8000_0000, data: CODE },
      { flags: PF_R | PF_W, paddr: 0x8000_1000, memSize: 0x100 },
    ]);
    expect(() => checkLoadable(inData, RAM, DEVICES)).not.toThrow();
    const noFlags = load(0x8000_0000, [{ flags: 0, paddr: 0x8000_0000, data: CODE }]);
    expect(() => checkLoadable(noFlags, RAM, DEVICES)).not.toThrow();
    const gap = load(0x8000_1000, [{ flags: PF_R | PF_X, paddr: 0x8000_0000, data: CODE }]);
    expect(() => checkLoadable(gap, RAM, DEVICES)).toThrow(/entry point 0x80001000 is not inside any loaded segment/);
    const nowhere = load(0x8100_0000, [{ flags: PF_R | PF_X, paddr: 0x8000_0000, data: CODE }]);
    expect(() => checkLoadable(nowhere, RAM, DEVICES)).toThrow(/entry point 0x81000000 is not inside/);
    const justPast = load(0x8000_0008, [{ flags: PF_R | PF_X, paddr: 0x8000_0000, data: CODE }]);
    expect(() => checkLoadable(justPast, RAM, DEVICES)).toThrow(/entry point 0x80000008/);
  });

  it('moves a virtual entry point to the physical address of its segment, as QEMU does', () => {
    const image = load(0x1004, [{ flags: PF_R | PF_X, paddr: 0x8000_0000, vaddr: 0x1000, data: CODE }]);
    expect(physicalEntry(image)).toBe(0x8000_0004);
    expect(() => checkLoadable(image, RAM, DEVICES)).not.toThrow();
    // Only the file part of an executable segment counts for the translation.
    const bss = load(0x1010, [{ flags: PF_R | PF_X, paddr: 0x8000_0000, vaddr: 0x1000, memSize: 0x100, data: CODE }]);
    expect(physicalEntry(bss)).toBe(0x1010);
    expect(() => checkLoadable(bss, RAM, DEVICES)).toThrow(/entry point 0x1010 is not inside/);
  });

  it('loads segments without the execute flag, and moves an entry point only for an executable segment, as QEMU does', () => {
    // The riscv-tests env/p layout: one segment, p_flags 0, vaddr = paddr, the entry at its start.
    const riscvTests = load(0x8000_0000, [{ flags: 0, paddr: 0x8000_0000, memSize: 0x3000, data: CODE }]);
    expect(physicalEntry(riscvTests)).toBe(0x8000_0000);
    expect(() => checkLoadable(riscvTests, RAM, DEVICES)).not.toThrow();
    // Read-only or read-write but not executable: loaded and started all the same.
    for (const flags of [PF_R, PF_R | PF_W, PF_W]) {
      const image = load(0x8000_0004, [{ flags, paddr: 0x8000_0000, data: CODE }]);
      expect(() => checkLoadable(image, RAM, DEVICES), `p_flags ${flags}`).not.toThrow();
    }
    // vaddr != paddr without PF_X: QEMU leaves a virtual entry where it is, so it is outside RAM here...
    const virtualEntry = load(0x1004, [{ flags: PF_R, paddr: 0x8000_0000, vaddr: 0x1000, data: CODE }]);
    expect(physicalEntry(virtualEntry)).toBe(0x1004);
    expect(() => checkLoadable(virtualEntry, RAM, DEVICES)).toThrow(
      /entry point 0x1004 is not inside any loaded segment; it is inside the virtual range of PT_LOAD segment 0 \(0x1000\+0x8, loaded at 0x80000000\), but that segment is not executable/,
    );
    // ...and an entry given as the physical address is inside the segment as loaded.
    const physical = load(0x8000_0004, [{ flags: PF_R, paddr: 0x8000_0000, vaddr: 0x1000, data: CODE }]);
    expect(physicalEntry(physical)).toBe(0x8000_0004);
    expect(() => checkLoadable(physical, RAM, DEVICES)).not.toThrow();
  });
});

describe('SymbolTable', () => {
  const s = (name: string, address: number, size: number, kind: ElfSymbol['kind'] = 'function', global = true): ElfSymbol => ({
    name,
    address,
    size,
    kind,
    global,
  });
  const outer = s('outer', 0x1000, 0x100);
  const inner = s('inner', 0x1040, 0x10);
  const label = s('label', 0x1080, 0, 'other', false);
  const data = s('data', 0x2000, 0x20, 'object');
  const alias = s('data_start', 0x2000, 0, 'other');
  const after = s('after', 0x3000, 0x10);
  const localDup = s('dup', 0x4000, 4, 'function', false);
  const globalDup = s('dup', 0x5000, 4, 'function', true);
  const table = new SymbolTable([after, label, data, outer, inner, alias, localDup, globalDup]);

  it('looks symbols up by name, preferring global ones', () => {
    expect(table.lookup('inner')).toBe(inner);
    expect(table.lookup('dup')).toBe(globalDup);
    expect(table.lookup('nope')).toBeUndefined();
  });

  it('finds the innermost function or object containing the address', () => {
    expect(table.symbolize(0x1000)).toEqual({ symbol: outer, offset: 0 });
    expect(table.symbolize(0x1044)).toEqual({ symbol: inner, offset: 4 });
    // Past inner's end, and past an unsized label: still inside outer.
    expect(table.format(0x1050)).toBe('outer+0x50');
    expect(table.format(0x1090)).toBe('outer+0x90');
    expect(table.format(0x10ff)).toBe('outer+0xff');
    // A sized object beats an unsized alias at the same address.
    expect(table.format(0x2004)).toBe('data+0x4');
    expect(table.format(0x2000)).toBe('data');
  });

  it('falls back to the nearest preceding symbol', () => {
    expect(table.format(0x1100)).toBe('label+0x80');
    expect(table.format(0x2020)).toBe('data+0x20');
    expect(table.format(0x3010)).toBe('after+0x10');
    expect(table.symbolize(0x6000)).toEqual({ symbol: globalDup, offset: 0x1000 });
  });

  it('formats addresses with no symbol before them as hex', () => {
    expect(table.symbolize(0xfff)).toBeUndefined();
    expect(table.format(0xfff)).toBe('0xfff');
    expect(new SymbolTable([]).format(0x80001234)).toBe('0x80001234');
    expect(table.symbolize(Number.NaN)).toBeUndefined();
  });

  it('handles overlapping sized symbols anywhere in a large table', () => {
    const many: ElfSymbol[] = [s('big', 0x10_0000, 0x10_0000, 'object')];
    for (let i = 0; i < 1000; i++) many.push(s(`f${i}`, 0x10_0000 + i * 0x100, 0x80));
    const t = new SymbolTable(many);
    expect(t.format(0x10_0000 + 500 * 0x100 + 4)).toBe('f500+0x4');
    expect(t.format(0x10_0000 + 500 * 0x100 + 0x90)).toBe('big+0x1f490');
    expect(t.format(0x20_0000)).toBe('f999+0xc1900');
  });
});

// ---------------------------------------------------------------------------
// Fuzzing: whatever the bytes, parseElf gives an ElfError or a sound image.
// ---------------------------------------------------------------------------

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    // xorshift32
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** Parses and exercises the result; returns 'ok' or 'rejected', and fails the test on anything else. */
function probe(bytes: Uint8Array): 'ok' | 'rejected' {
  let image: ElfImage;
  try {
    image = parseElf(bytes);
  } catch (e) {
    if (!(e instanceof ElfError) || /internal error/.test(e.message)) {
      throw new Error(`parseElf threw ${String(e)}`, { cause: e });
    }
    return 'rejected';
  }
  for (const seg of image.segments) {
    // With nothing taken from the file, p_offset is meaningless and may point anywhere.
    const inFile = seg.fileSize === 0 || seg.fileOffset + seg.fileSize <= bytes.length;
    if (!(seg.fileSize <= seg.memSize && seg.data.length === seg.fileSize && inFile)) {
      throw new Error(`unsound segment ${JSON.stringify({ ...seg, data: undefined })}`);
    }
    for (const v of [seg.paddr, seg.vaddr, seg.memSize]) if (!Number.isSafeInteger(v)) throw new Error('unsafe number');
  }
  for (const sym of image.symbols) {
    if (!Number.isSafeInteger(sym.address) || !Number.isSafeInteger(sym.size) || sym.name === '') throw new Error('bad symbol');
  }
  for (const sec of image.sections) image.sectionData(sec.name);
  const table = new SymbolTable(image.symbols);
  table.format(image.entry);
  table.format(image.entry + 0x10);
  try {
    checkLoadable(image, RAM, DEVICES);
  } catch (e) {
    if (!(e instanceof ElfError)) throw e;
  }
  return 'ok';
}

describe('fuzzing', () => {
  it('survives thousands of byte mutations of the real ELF', () => {
    build();
    const next = rng(0x5eed_e1f);
    const b = elf.slice();
    const v = view(b);
    // Mutations spread over the whole file mostly hit code and debug info, so
    // half of them aim at the structures the parser reads.
    const symtab = sectionIndex('.symtab');
    const strtab = sectionIndex('.strtab');
    const hot: Array<[number, number]> = [
      [0, 64],
      [phoffOf(elf), v.getUint16(56, true) * 56],
      [shoffOf(elf), v.getUint16(60, true) * 64],
      [getU64(elf, shdr(elf, symtab) + 24), 24 * 40],
      [getU64(elf, shdr(elf, strtab) + 24), getU64(elf, shdr(elf, strtab) + 32)],
    ];
    const tally = { ok: 0, rejected: 0 };
    let slowest = 0;
    for (let iter = 0; iter < 4000; iter++) {
      const edits: Array<[number, number]> = [];
      const count = 1 + (next() % 3);
      for (let k = 0; k < count; k++) {
        let at: number;
        if (next() % 2 === 0) {
          at = next() % b.length;
        } else {
          const [start, size] = hot[next() % hot.length];
          at = start + (next() % size);
        }
        edits.push([at, b[at]]);
        const r = next();
        b[at] = r % 4 === 0 ? 0 : r % 4 === 1 ? 0xff : (r >>> 8) & 0xff;
      }
      const t0 = performance.now();
      tally[probe(b)]++;
      slowest = Math.max(slowest, performance.now() - t0);
      for (const [at, old] of edits.reverse()) b[at] = old;
    }
    expect(Array.from(b)).toEqual(Array.from(elf));
    // Both outcomes must actually occur, or the loop is not testing much.
    expect(tally.ok).toBeGreaterThan(100);
    expect(tally.rejected).toBeGreaterThan(100);
    expect(slowest).toBeLessThan(1000);
  });

  it('survives random bytes, with and without a plausible header', () => {
    const next = rng(1234567);
    const tally = { ok: 0, rejected: 0 };
    for (let iter = 0; iter < 3000; iter++) {
      const len = next() % 600;
      const b = new Uint8Array(len);
      for (let i = 0; i < len; i++) b[i] = next() & 0xff;
      if (iter % 2 === 0 && len >= 64) {
        // A valid identification and small table counts so parsing gets further.
        b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
        const v = view(b);
        v.setUint16(16, 2, true);
        v.setUint16(18, 243, true);
        v.setUint32(20, 1, true);
        setU64(b, 32, next() % len);
        setU64(b, 40, next() % 4 === 0 ? 0 : next() % len);
        v.setUint16(54, 56, true);
        v.setUint16(56, next() % 6, true);
        v.setUint16(58, 64, true);
        v.setUint16(60, next() % 6, true);
        v.setUint16(62, next() % 6, true);
      }
      tally[probe(b)]++;
    }
    expect(tally.rejected).toBeGreaterThan(0);
  });

  it('survives mutations of a small hand-built ELF with symbols', () => {
    const names = strtab(['main', 'buf', 'helper']);
    const bytes = buildElf({
      entry: 0x8000_0000,
      segments: [
        { flags: PF_R | PF_X, paddr: 0x8000_0000, data: CODE },
        { flags: PF_R | PF_W, paddr: 0x8000_1000, memSize: 0x40 },
      ],
      sections: [
        { name: '.text', type: SHT_PROGBITS, data: CODE, address: 0x8000_0000, flags: 6 },
        {
          name: '.symtab',
          type: SHT_SYMTAB,
          link: 3,
          entsize: 24,
          data: concat([
            sym(0, 0, 0, 0, 0, 0),
            sym(names.offsets['main'], 2, 1, 1, 0x8000_0000, 4),
            sym(names.offsets['buf'], 1, 1, 1, 0x8000_1000, 0x40),
            sym(names.offsets['helper'], 2, 0, 1, 0x8000_0004, 4),
          ]),
        },
        { name: '.strtab', type: SHT_STRTAB, data: names.data },
      ],
    });
    expect(probe(bytes)).toBe('ok');
    const next = rng(42);
    const tally = { ok: 0, rejected: 0 };
    for (let iter = 0; iter < 3000; iter++) {
      const b = bytes.slice();
      const count = 1 + (next() % 2);
      for (let k = 0; k < count; k++) b[next() % b.length] = next() & 0xff;
      tally[probe(b)]++;
    }
    expect(tally.ok).toBeGreaterThan(100);
    expect(tally.rejected).toBeGreaterThan(100);
  });
});
