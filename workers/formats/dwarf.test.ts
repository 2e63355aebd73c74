// The DWARF reader on hand-made sections (line programs of every version,
// .debug_info with inlined calls and range lists, CFI in .debug_frame and
// .eh_frame), on malformed ones, and on random mutations of real ones.
// The comparison with binutils and GDB on the example programs is in
// tests/dwarf.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DebugInfo, DwarfError, type Frame } from './dwarf';
import { parseElf, type ElfImage, type ElfSection } from './elf';

// ---------------------------------------------------------------------------
// Byte builders
// ---------------------------------------------------------------------------

type Bytes = number[];

function uleb(n: number | bigint): Bytes {
  let v = BigInt(n);
  const out: Bytes = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) b |= 0x80;
    out.push(b);
  } while (v !== 0n);
  return out;
}

function sleb(n: number): Bytes {
  let v = BigInt(n);
  const out: Bytes = [];
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const u16 = (n: number): Bytes => [n & 0xff, (n >> 8) & 0xff];
const u32 = (n: number): Bytes => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
const u64 = (n: number | bigint): Bytes => {
  const v = BigInt.asUintN(64, BigInt(n));
  return [...u32(Number(v & 0xffffffffn)), ...u32(Number(v >> 32n))];
};
const str = (s: string): Bytes => [...new TextEncoder().encode(s), 0];

/** A unit with a 32-bit (or 64-bit) initial length. */
function unit(body: Bytes, dwarf64 = false): Bytes {
  return dwarf64 ? [...u32(0xffffffff), ...u64(body.length), ...body] : [...u32(body.length), ...body];
}

// Line program opcodes.
const setAddress = (a: number): Bytes => [0, 9, 2, ...u64(a)];
const endSequence = (): Bytes => [0, 1, 1];
const advanceLine = (n: number): Bytes => [3, ...sleb(n)];
const advancePc = (n: number): Bytes => [2, ...uleb(n)];
const copy = (): Bytes => [1];
const setFile = (n: number): Bytes => [4, ...uleb(n)];
const setColumn = (n: number): Bytes => [5, ...uleb(n)];
const negateStmt = (): Bytes => [6];
const LINE_BASE = -5;
const LINE_RANGE = 14;
const OPCODE_BASE = 13;
/** A special opcode: advance the address by `addr` and the line by `line`, then emit a row. */
const special = (addr: number, line: number): Bytes => [(line - LINE_BASE) + LINE_RANGE * addr + OPCODE_BASE];
const STD_LENGTHS = [0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1];

/** A DWARF 5 line program; paths are inline strings (DW_FORM_string). */
function lineV5(dirs: string[], files: [string, number][], program: Bytes, opts: { dwarf64?: boolean } = {}): Bytes {
  const offsetSize = opts.dwarf64 ? 8 : 4;
  const tables = [
    1, ...uleb(1), ...uleb(0x08), ...uleb(dirs.length), ...dirs.flatMap(str),
    2, ...uleb(1), ...uleb(0x08), ...uleb(2), ...uleb(0x0b), ...uleb(files.length),
    ...files.flatMap(([name, dir]) => [...str(name), dir]),
  ];
  const afterHeaderLength = [1, 1, 1, LINE_BASE & 0xff, LINE_RANGE, OPCODE_BASE, ...STD_LENGTHS, ...tables];
  const headerLength = offsetSize === 8 ? u64(afterHeaderLength.length) : u32(afterHeaderLength.length);
  return unit([...u16(5), 8, 0, ...headerLength, ...afterHeaderLength, ...program], opts.dwarf64);
}

/** A DWARF 2-4 line program. */
function lineV4(version: number, dirs: string[], files: [string, number][], program: Bytes): Bytes {
  const tables = [...dirs.flatMap(str), 0, ...files.flatMap(([name, dir]) => [...str(name), ...uleb(dir), 0, 0]), 0];
  const afterHeaderLength = [1, ...(version >= 4 ? [1] : []), 1, LINE_BASE & 0xff, LINE_RANGE, OPCODE_BASE, ...STD_LENGTHS, ...tables];
  return unit([...u16(version), ...u32(afterHeaderLength.length), ...afterHeaderLength, ...program]);
}

/** An ElfImage with just these sections (what DebugInfo.fromElf looks at). */
function image(sections: Record<string, Bytes | Uint8Array>, entry = 0x80000000, symbols: ElfImage['symbols'] = []): ElfImage {
  const data = new Map(Object.entries(sections).map(([k, v]) => [k, v instanceof Uint8Array ? v : Uint8Array.from(v)]));
  const list: ElfSection[] = [{ name: '', type: 0, address: 0, offset: 0, size: 0, flags: 0 }];
  list.push({ name: '.text', type: 1, address: 0x80000000, offset: 0x1000, size: 0x10000, flags: 6 });
  for (const [name, bytes] of data) list.push({ name, type: 1, address: 0, offset: 0, size: bytes.length, flags: 0 });
  return { entry, segments: [], symbols, sections: list, sectionData: (name) => data.get(name) };
}

// ---------------------------------------------------------------------------
// Line programs
// ---------------------------------------------------------------------------

describe('line-number programs', () => {
  const program = [
    ...setAddress(0x80000000), ...advanceLine(9), ...copy(), // 10
    ...setColumn(5), ...special(4, 1), // 11 @4
    ...special(0, 1), // 12 @4
    ...negateStmt(), ...special(0, 1), // 13 @4 (not a statement)
    ...negateStmt(), ...special(6, 5), // 18 @10
    ...setFile(2), ...advanceLine(-8), ...special(2, 0), // 10 @12 in the header
    ...advancePc(4), ...endSequence(), // end @16
  ];

  it('reads DWARF 5: directories, files (0-based) and rows', () => {
    const d = DebugInfo.fromElf(image({ '.debug_line': lineV5(['/src/app', 'inc'], [['main.c', 0], ['main.c', 0], ['util.h', 1]], program) }));
    expect(d.problems).toEqual([]);
    const rows = d.lineTable().map((r) => [r.address - 0x80000000, r.file, r.line, r.column, r.isStmt, r.endSequence]);
    expect(rows).toEqual([
      [0, '/src/app/main.c', 10, 0, true, false],
      [4, '/src/app/main.c', 11, 5, true, false],
      [4, '/src/app/main.c', 12, 5, true, false],
      [4, '/src/app/main.c', 13, 5, false, false],
      [10, '/src/app/main.c', 18, 5, true, false],
      [12, 'inc/util.h', 10, 5, true, false],
      [16, 'inc/util.h', 10, 5, true, true],
    ]);
    expect(d.files()).toEqual(['/src/app/main.c', 'inc/util.h']);
    // The row covering an address is the last one at its address...
    expect(d.lineAt(0x80000004)).toEqual({ file: '/src/app/main.c', line: 13, column: 5 });
    expect(d.lineAt(0x80000007)?.line).toBe(13);
    // ...unless asked for a statement, as GDB does.
    expect(d.lineAt(0x80000004, { statement: true })?.line).toBe(12);
    expect(d.lineAt(0x8000000f)?.file).toBe('inc/util.h');
    expect(d.lineAt(0x80000010)).toBeUndefined();
    expect(d.lineAt(0x7fffffff)).toBeUndefined();
    expect(d.addressesForLine('main.c', 11)).toEqual([0x80000004]);
    expect(d.addressesForLine('/src/app/main.c', 18)).toEqual([0x8000000a]);
    expect(d.addressesForLine('app/main.c', 13)).toEqual([]); // not a statement
    expect(d.addressesForLine('util.h', 10)).toEqual([0x8000000c]);
    expect(d.addressesForLine('ain.c', 10)).toEqual([]);
  });

  it('reads 64-bit DWARF 5 and DWARF 2, 3 and 4 (files numbered from 1, directory 0 implicit)', () => {
    const v5 = DebugInfo.fromElf(image({ '.debug_line': lineV5(['/src/app', 'inc'], [['main.c', 0], ['main.c', 0], ['util.h', 1]], program, { dwarf64: true }) }));
    expect(v5.problems).toEqual([]);
    expect(v5.lineTable().length).toBe(7);
    for (const version of [2, 3, 4]) {
      const d = DebugInfo.fromElf(image({ '.debug_line': lineV4(version, ['inc'], [['main.c', 0], ['util.h', 1]], program) }));
      expect(d.problems, `version ${version}`).toEqual([]);
      expect(d.lineTable().map((r) => `${r.file}:${r.line}`), `version ${version}`).toEqual([
        'main.c:10', 'main.c:11', 'main.c:12', 'main.c:13', 'main.c:18', 'inc/util.h:10', 'inc/util.h:10',
      ]);
    }
  });

  it('reports a bad unit and carries on with the next one', () => {
    const good = lineV5(['/w'], [['a.c', 0], ['a.c', 0]], [...setAddress(0x80000100), ...copy(), ...advancePc(2), ...endSequence()]);
    const bad = [...good];
    bad[4] = 7; // version 7
    const d = DebugInfo.fromElf(image({ '.debug_line': [...bad, ...good] }));
    expect(d.problems).toEqual(['DWARF .debug_line at offset 0x4: unsupported line table version 7']);
    expect(d.lineTable().map((r) => r.address)).toEqual([0x80000100, 0x80000102]);
  });

  it('ignores an unfinished sequence and says so', () => {
    const d = DebugInfo.fromElf(image({
      '.debug_line': lineV5(['/w'], [['a.c', 0], ['a.c', 0]], [
        ...setAddress(0x80000000), ...copy(), ...advancePc(2), ...endSequence(), ...setAddress(0x80000100), ...copy(),
      ]),
    }));
    expect(d.lineTable().length).toBe(2);
    expect(d.problems).toEqual([expect.stringMatching(/^DWARF \.debug_line at offset 0x0: the last sequence has no end_sequence; its 1 rows are ignored$/)]);
  });

  it('rejects absurd counts without allocating for them', () => {
    const unitBytes = lineV5(['/w'], [['a.c', 0]], []);
    // The file count (ULEB128 1) becomes 2^62: the header cannot hold that many entries.
    const at = unitBytes.lastIndexOf(0x0b) + 1;
    expect(unitBytes[at]).toBe(1);
    const patched = [...unitBytes.slice(0, at), ...uleb(2n ** 62n), ...unitBytes.slice(at + 1)];
    patched.splice(0, 4, ...u32(patched.length - 4));
    const header = 4 + 2 + 2;
    patched.splice(header, 4, ...u32(patched.length - header - 4));
    const d = DebugInfo.fromElf(image({ '.debug_line': patched }));
    expect(d.problems).toEqual([expect.stringMatching(/file name count \d+ is larger than the rest of the header/)]);
  });

  it('reports truncated and garbage sections', () => {
    const d = DebugInfo.fromElf(image({ '.debug_line': [0x10, 0, 0, 0, 5, 0] }));
    expect(d.problems).toEqual(['DWARF .debug_line at offset 0x0: line program unit length 0x10 runs past the end of the section (0x2 bytes left)']);
    const e = DebugInfo.fromElf(image({ '.debug_line': [0xf0, 0xff, 0xff, 0xff] }));
    expect(e.problems).toEqual(['DWARF .debug_line at offset 0x0: line program unit has reserved initial length 0xfffffff0']);
  });
});

// ---------------------------------------------------------------------------
// .debug_info
// ---------------------------------------------------------------------------

const DW_TAG_compile_unit = 0x11;
const DW_TAG_subprogram = 0x2e;
const DW_TAG_inlined_subroutine = 0x1d;
const DW_TAG_lexical_block = 0x0b;
const DW_TAG_variable = 0x34;
const AT = { name: 0x03, stmt_list: 0x10, low_pc: 0x11, high_pc: 0x12, abstract_origin: 0x31, decl_file: 0x3a, decl_line: 0x3b, inline: 0x20, ranges: 0x55, call_file: 0x58, call_line: 0x59, location: 0x02, const_value: 0x1c };
const FORM = { addr: 0x01, data1: 0x0b, data2: 0x05, data4: 0x06, string: 0x08, strp: 0x0e, ref4: 0x13, sec_offset: 0x17, exprloc: 0x18, implicit_const: 0x21, flag_present: 0x19, udata: 0x0f, indirect: 0x16 };

function abbrev(code: number, tag: number, children: boolean, attrs: [number, number, number?][]): Bytes {
  return [...uleb(code), ...uleb(tag), children ? 1 : 0, ...attrs.flatMap(([a, f, c]) => [...uleb(a), ...uleb(f), ...(f === FORM.implicit_const ? sleb(c ?? 0) : [])]), 0, 0];
}

const ABBREVS = [
  ...abbrev(1, DW_TAG_compile_unit, true, [[AT.name, FORM.string], [AT.stmt_list, FORM.sec_offset], [AT.low_pc, FORM.addr], [AT.high_pc, FORM.data4]]),
  ...abbrev(2, DW_TAG_subprogram, true, [[AT.name, FORM.strp], [AT.low_pc, FORM.addr], [AT.high_pc, FORM.data4], [AT.decl_file, FORM.data1], [AT.decl_line, FORM.implicit_const, 7]]),
  ...abbrev(3, DW_TAG_subprogram, false, [[AT.name, FORM.string], [AT.inline, FORM.data1], [AT.decl_file, FORM.data1], [AT.decl_line, FORM.data1]]),
  ...abbrev(4, DW_TAG_inlined_subroutine, true, [[AT.abstract_origin, FORM.ref4], [AT.low_pc, FORM.addr], [AT.high_pc, FORM.data4], [AT.call_file, FORM.data1], [AT.call_line, FORM.data2]]),
  ...abbrev(5, DW_TAG_subprogram, false, [[AT.abstract_origin, FORM.ref4], [AT.ranges, FORM.sec_offset]]),
  ...abbrev(6, DW_TAG_variable, false, [[AT.name, FORM.string], [AT.location, FORM.exprloc], [AT.const_value, FORM.indirect]]),
  ...abbrev(7, DW_TAG_lexical_block, true, [[AT.ranges, FORM.sec_offset]]),
  0,
];

/** One DWARF 5 compile unit: main (with `helper` inlined into a lexical block) and a split function `cold`. */
function debugInfo(dwarf64 = false): { info: Bytes; str: Bytes; rnglists: Bytes } {
  const sec = (n: number): Bytes => (dwarf64 ? u64(n) : u32(n));
  // .debug_rnglists: a 12-byte header, the lexical block's list at 0x0c, then cold's two ranges.
  const blockList = [0x06, ...u64(0x80000018), ...u64(0x80000030), 0x00]; // DW_RLE_start_end
  const coldList = [
    0x05, ...u64(0x80000080), // DW_RLE_base_address
    0x04, ...uleb(0), ...uleb(0x10), // DW_RLE_offset_pair
    0x07, ...u64(0x80000200), ...uleb(0x20), // DW_RLE_start_length
    0x00,
  ];
  const rnglists = unit([...u16(5), 8, 0, ...u32(0), ...blockList, ...coldList]);
  const blockListAt = 12;
  const coldListAt = 12 + blockList.length;

  // The DIEs; ref4 values are offsets from the start of the unit, whose header comes first.
  const header = (dwarf64 ? 12 : 4) + 2 + 1 + 1 + (dwarf64 ? 8 : 4);
  const dies: Bytes = [];
  const at = (): number => header + dies.length;
  dies.push(1, ...str('main.c'), ...sec(0), ...u64(0x80000000), ...u32(0x100));
  const helperAt = at();
  dies.push(3, ...str('helper'), 1, 2, 40);
  dies.push(2, ...sec(0), ...u64(0x80000010), ...u32(0x40), 1); // main: name at .debug_str offset 0
  dies.push(6, ...str('local'), ...uleb(2), 0x50, 0x51, ...uleb(FORM.data1), 42);
  dies.push(7, ...sec(blockListAt));
  dies.push(4, ...u32(helperAt), ...u64(0x80000020), ...u32(8), 1, ...u16(300));
  dies.push(0); // end of the inlined call's children
  dies.push(0); // end of the lexical block
  dies.push(0); // end of main's children
  const coldAt = at();
  dies.push(3, ...str('cold'), 1, 1, 50);
  dies.push(5, ...u32(coldAt), ...sec(coldListAt));
  dies.push(0); // end of the unit's children
  const info = unit([...u16(5), 1, 8, ...sec(0), ...dies], dwarf64);
  return { info, str: str('main'), rnglists };
}

describe('.debug_info', () => {
  const line = lineV5(['/src'], [['main.c', 0], ['main.c', 0], ['util.h', 0]], [...setAddress(0x80000000), ...copy(), ...advancePc(0x300), ...endSequence()]);

  for (const dwarf64 of [false, true]) {
    it(`names functions, their ranges and inlined calls (${dwarf64 ? '64' : '32'}-bit DWARF)`, () => {
      const { info, str, rnglists } = debugInfo(dwarf64);
      const d = DebugInfo.fromElf(image({ '.debug_info': info, '.debug_abbrev': ABBREVS, '.debug_str': str, '.debug_rnglists': rnglists, '.debug_line': line }));
      expect(d.problems).toEqual([]);
      expect(d.functionAt(0x80000010)).toEqual({ name: 'main', low: 0x80000010, high: 0x80000050, ranges: [{ low: 0x80000010, high: 0x80000050 }], file: '/src/main.c', line: 7 });
      expect(d.functionAt(0x80000024)).toEqual({
        name: 'main', low: 0x80000010, high: 0x80000050, ranges: [{ low: 0x80000010, high: 0x80000050 }], file: '/src/main.c', line: 7,
        inlined: [{ name: 'helper', entry: 0x80000020, low: 0x80000020, high: 0x80000028, file: '/src/util.h', line: 40, callFile: '/src/main.c', callLine: 300 }],
      });
      expect(d.functionAt(0x80000028)?.inlined).toBeUndefined();
      expect(d.functionAt(0x8000000f)).toBeUndefined();
      const cold = d.functionAt(0x80000205);
      expect(cold).toEqual({ name: 'cold', low: 0x80000200, high: 0x80000220, ranges: [{ low: 0x80000080, high: 0x80000090 }, { low: 0x80000200, high: 0x80000220 }], file: '/src/main.c', line: 50 });
      expect(d.functionAt(0x80000085)?.low).toBe(0x80000080);
      expect(d.functions().map((f) => f.name)).toEqual(['main', 'cold']);
    });
  }

  it('reports a DIE with an unknown form and keeps the other units', () => {
    const { info, str, rnglists } = debugInfo();
    const badAbbrevs = [...abbrev(1, DW_TAG_compile_unit, true, [[AT.name, 0x7f]]), 0];
    // Two units: the first uses the broken abbreviation table at offset ABBREVS.length.
    const broken = unit([...u16(5), 1, 8, ...u32(ABBREVS.length), 1, 0, 0]);
    const d = DebugInfo.fromElf(image({
      '.debug_info': [...broken, ...info], '.debug_abbrev': [...ABBREVS, ...badAbbrevs], '.debug_str': str, '.debug_rnglists': rnglists, '.debug_line': line,
    }));
    // The second unit's ref4 values are relative to its own start, so it still reads correctly.
    expect(d.problems).toEqual(['DWARF .debug_info at offset 0xd: unknown attribute form 0x7f']);
    expect(d.functions().map((f) => f.name)).toEqual(['main', 'cold']);
  });

  it('reports missing sections and bad references', () => {
    const { info, rnglists } = debugInfo();
    const d = DebugInfo.fromElf(image({ '.debug_info': info, '.debug_abbrev': ABBREVS, '.debug_rnglists': rnglists }));
    expect(d.problems).toEqual([expect.stringMatching(/^DWARF \.debug_info DIE at offset 0x[0-9a-f]+: refers to \.debug_str, but there is no such section$/)]);
    const e = DebugInfo.fromElf(image({ '.debug_info': unit([...u16(5), 1, 8, ...u32(0x1000), 1]), '.debug_abbrev': ABBREVS }));
    expect(e.problems).toEqual([expect.stringMatching(/bad abbreviation table: .*offset 0x1000 is outside the section/)]);
    expect(e.functions()).toEqual([]);
  });
});

// ---------------------------------------------------------------------------
// Call frame information and the unwinder
// ---------------------------------------------------------------------------

const CFA = {
  advance: (n: number): Bytes => [0x40 | n],
  offset: (reg: number, factored: number): Bytes => [0x80 | reg, ...uleb(factored)],
  restore: (reg: number): Bytes => [0xc0 | reg],
  defCfa: (reg: number, off: number): Bytes => [0x0c, ...uleb(reg), ...uleb(off)],
  defCfaOffset: (off: number): Bytes => [0x0e, ...uleb(off)],
  defCfaRegister: (reg: number): Bytes => [0x0d, ...uleb(reg)],
  defCfaExpression: (expr: Bytes): Bytes => [0x0f, ...uleb(expr.length), ...expr],
  remember: (): Bytes => [0x0a],
  restoreState: (): Bytes => [0x0b],
  undefined: (reg: number): Bytes => [0x07, ...uleb(reg)],
  valOffset: (reg: number, factored: number): Bytes => [0x14, ...uleb(reg), ...uleb(factored)],
};

/** .debug_frame: one CIE (data alignment -4, ra = x1, CFA = sp) and FDEs. */
function debugFrame(fdes: { start: number; length: number; program: Bytes }[]): Bytes {
  const cie = unit([...u32(0xffffffff), 3, ...str(''), ...uleb(1), ...sleb(-4), ...uleb(1), ...CFA.defCfa(2, 0)]);
  const out = [...cie];
  for (const f of fdes) out.push(...unit([...u32(0), ...u64(f.start), ...u64(f.length), ...f.program]));
  return out;
}

/** .eh_frame: a "zR" CIE with pc-relative sdata4 pointers, at address `base`. */
function ehFrame(base: number, fdes: { start: number; length: number; program: Bytes }[]): Bytes {
  const out = unit([...u32(0), 1, ...str('zR'), ...uleb(1), ...sleb(-4), 1, ...uleb(1), 0x1b, ...CFA.defCfa(2, 0)]);
  for (const f of fdes) {
    const at = out.length;
    const pointerAt = base + at + 8; // after length and CIE pointer
    out.push(...unit([...u32(at + 4), ...u32(f.start - pointerAt), ...u32(f.length), 0, ...f.program]));
  }
  out.push(...u32(0));
  return out;
}

/** A little machine state: registers and a sparse 64-bit memory. */
function state(regs: Record<number, bigint>, words: Record<number, bigint>) {
  return {
    reg: (n: number): bigint => regs[n] ?? 0n,
    mem: (addr: number, length: number): Uint8Array | undefined => {
      if (length !== 8 || words[addr] === undefined) return undefined;
      return Uint8Array.from(u64(words[addr]));
    },
  };
}

describe('the CFI unwinder', () => {
  // entry [0x1000, 0x1010): calls g.  g [0x2000, 0x2040): 32-byte frame, ra and s0 saved, then
  // s0 as the frame pointer.  f [0x3000, 0x3010): a leaf without a frame.
  const fdes = [
    { start: 0x1000, length: 0x10, program: [...CFA.advance(2), ...CFA.defCfaOffset(16), ...CFA.offset(1, 2)] },
    {
      start: 0x2000, length: 0x40,
      program: [
        ...CFA.advance(2), ...CFA.defCfaOffset(32), ...CFA.advance(2), ...CFA.offset(1, 2), ...CFA.offset(8, 4),
        ...CFA.advance(2), ...CFA.defCfa(8, 0), // s0 = CFA from here on
        ...CFA.advance(0x20), ...CFA.remember(), ...CFA.defCfa(2, 32), ...CFA.restore(1), ...CFA.restore(8),
        ...CFA.advance(2), ...CFA.defCfaOffset(0), ...CFA.advance(2), ...CFA.restoreState(),
      ],
    },
    { start: 0x3000, length: 0x10, program: [] },
  ];
  const symbols = [
    { name: 'entry', address: 0x1000, size: 0x10, kind: 'function' as const, global: true },
    { name: 'g', address: 0x2000, size: 0x40, kind: 'function' as const, global: true },
    { name: 'f', address: 0x3000, size: 0x10, kind: 'function' as const, global: true },
  ];
  // Stack: entry's frame [0x7ff0, 0x8000) holds its caller's ra 0 at 0x7ff8; g's frame
  // [0x7fd0, 0x7ff0) holds ra = 0x100a (in entry) at 0x7fe8 and entry's s0 at 0x7fe0.
  const words = { 0x7ff8: 0n, 0x7fe8: 0x100an, 0x7fe0: 0x5555n };
  const names = (frames: Frame[]): string[] => frames.map((f) => `${f.function}@${f.pc.toString(16)}/${f.sp.toString(16)}`);

  for (const section of ['.debug_frame', '.eh_frame'] as const) {
    it(`follows CFA rules, saved registers and frame pointers (${section})`, () => {
      const bytes = section === '.debug_frame' ? debugFrame(fdes) : ehFrame(0x4000, fdes);
      const img = image({ [section]: bytes }, 0x1000, symbols);
      img.sections.find((s) => s.name === section)!.address = 0x4000;
      const d = DebugInfo.fromElf(img);
      expect(d.problems).toEqual([]);
      // In the leaf f, called from g's body (s0 = CFA of g = 0x7ff0).
      const s = state({ 1: 0x2020n, 8: 0x7ff0n }, words);
      expect(names(d.unwind(0x3004, 0x7fd0, s.reg, s.mem))).toEqual(['f@3004/7fd0', 'g@2020/7fd0', 'entry@100a/7ff0']);
      const frames = d.unwind(0x3004, 0x7fd0, s.reg, s.mem);
      expect(frames.map((f) => f.fp)).toEqual([0x7ff0, 0x7ff0, 0x5555]);
      expect(frames.map((f) => f.cfa)).toEqual([0x7fd0, 0x7ff0, 0x8000]);
      // In g's prologue, before ra is saved: ra is still in x1.
      expect(names(d.unwind(0x2002, 0x7fd0, state({ 1: 0x100an }, words).reg, s.mem))).toEqual(['g@2002/7fd0', 'entry@100a/7ff0']);
      // In g's epilogue: ra and s0 reloaded, then sp popped; after DW_CFA_restore_state, the body's rules again.
      const reloaded = state({ 1: 0x100an, 8: 0x5555n }, words);
      expect(names(d.unwind(0x2026, 0x7fd0, reloaded.reg, s.mem))).toEqual(['g@2026/7fd0', 'entry@100a/7ff0']);
      expect(names(d.unwind(0x2028, 0x7ff0, reloaded.reg, s.mem))).toEqual(['g@2028/7ff0', 'entry@100a/7ff0']);
      expect(names(d.unwind(0x202c, 0x7fd0, s.reg, s.mem))).toEqual(['g@202c/7fd0', 'entry@100a/7ff0']);
      // maxFrames.
      expect(d.unwind(0x3004, 0x7fd0, s.reg, s.mem, 2).length).toBe(2);
    });
  }

  it('stops cleanly where it cannot go on', () => {
    const d = DebugInfo.fromElf(image({ '.debug_frame': debugFrame(fdes) }, 0x1000, symbols));
    // Unreadable stack: g's saved ra cannot be read.
    const noMemory = (): undefined => undefined;
    expect(names(d.unwind(0x2030, 0x7fd0, state({ 8: 0x7ff0n }, {}).reg, noMemory))).toEqual(['g@2030/7fd0']);
    // No CFI for a caller.
    expect(names(d.unwind(0x3004, 0x7fd0, state({ 1: 0x9000n }, {}).reg, noMemory))).toEqual(['f@3004/7fd0', 'undefined@9000/7fd0']);
    // No CFI for frame 0: a leaf, return address in ra.
    expect(names(d.unwind(0x5000, 0x7fd0, state({ 1: 0x3008n }, {}).reg, noMemory))).toEqual(['undefined@5000/7fd0', 'f@3008/7fd0']);
    // A loop (a return address pointing at itself without moving sp) ends.
    expect(names(d.unwind(0x3004, 0x7fd0, state({ 1: 0x3005n }, {}).reg, noMemory))).toEqual(['f@3004/7fd0', 'f@3005/7fd0']);
    // Register reads that throw count as unknown.
    const throwing = (): bigint => {
      throw new Error('no such register');
    };
    expect(names(d.unwind(0x3004, 0x7fd0, throwing, noMemory))).toEqual(['f@3004/7fd0']);
    // Nonsense pc and sp.
    expect(d.unwind(-1, 0x7fd0, throwing, noMemory)).toEqual([]);
    expect(d.unwind(NaN, NaN, throwing, noMemory)).toEqual([]);
  });

  it('evaluates CFA expressions and val_offset, and marks the return address undefined as the end', () => {
    const program = [
      ...CFA.defCfaExpression([0x78, ...sleb(16)]), // DW_OP_breg8 16: CFA = s0 + 16
      ...CFA.offset(1, 2), ...CFA.valOffset(9, 4), // s1 = CFA - 16
    ];
    const outer = [...CFA.undefined(1)];
    const d = DebugInfo.fromElf(image({ '.debug_frame': debugFrame([
      { start: 0x2000, length: 0x10, program }, { start: 0x6000, length: 0x10, program: outer },
    ]) }, 0x1000, symbols));
    expect(d.problems).toEqual([]);
    const s = state({ 8: 0x7f00n }, { 0x7f08: 0x6004n });
    const frames = d.unwind(0x2004, 0x7ee0, s.reg, s.mem);
    expect(frames.map((f) => [f.pc, f.sp, f.cfa])).toEqual([[0x2004, 0x7ee0, 0x7f10], [0x6004, 0x7f10, 0x7f10]]);
  });

  it('reports broken CFI entries, and unwinding through them stops', () => {
    const bad = debugFrame([{ start: 0x2000, length: 0x10, program: [...CFA.restoreState()] }, { start: 0x3000, length: 0x10, program: [0x3f] }]);
    const d = DebugInfo.fromElf(image({ '.debug_frame': bad }, 0x1000, symbols));
    expect(d.problems).toEqual([]); // programs run when needed
    expect(names(d.unwind(0x2004, 0x7fd0, state({ 1: 0x100an }, {}).reg, () => undefined))).toEqual(['g@2004/7fd0']);
    expect(names(d.unwind(0x3004, 0x7fd0, state({ 1: 0x100an }, {}).reg, () => undefined))).toEqual(['f@3004/7fd0']);
    // A CIE with an unknown version: its FDEs are reported.
    const cie = debugFrame([{ start: 0x2000, length: 0x10, program: [] }]);
    cie[8] = 9;
    const e = DebugInfo.fromElf(image({ '.debug_frame': cie }));
    expect(e.problems).toEqual([
      'DWARF .debug_frame at offset 0x8: unsupported CIE version 9',
      'DWARF .debug_frame at offset 0x10: FDE refers to a bad CIE at 0x0',
    ]);
  });

  it('needs no debug sections at all', () => {
    const d = DebugInfo.fromElf(image({}, 0x1000, symbols));
    expect(d.problems).toEqual([]);
    expect(d.lineTable()).toEqual([]);
    expect(d.files()).toEqual([]);
    expect(d.functions()).toEqual([]);
    expect(d.lineAt(0x1000)).toBeUndefined();
    expect(d.functionAt(0x1000)).toBeUndefined();
    expect(d.addressesForLine('a.c', 1)).toEqual([]);
    // Symbols name the frames; frame 0 is a leaf.
    expect(names(d.unwind(0x3004, 0x7fd0, state({ 1: 0x2010n }, {}).reg, () => undefined))).toEqual(['f@3004/7fd0', 'g@2010/7fd0']);
  });

  it('exports DwarfError', () => {
    expect(new DwarfError('x')).toBeInstanceOf(Error);
    expect(new DwarfError('x').name).toBe('DwarfError');
  });
});

// ---------------------------------------------------------------------------
// Fuzzing: random mutations of real sections
// ---------------------------------------------------------------------------

describe('fuzzing', () => {
  const SECTIONS = ['.debug_line', '.debug_info', '.debug_abbrev', '.debug_str', '.debug_line_str', '.debug_rnglists', '.debug_frame'];
  const examples = join(import.meta.dirname, '../../public/examples');

  /** A small deterministic PRNG (xorshift32). */
  function rng(seed: number): () => number {
    let s = seed >>> 0 || 1;
    return () => {
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      return s / 2 ** 32;
    };
  }

  function mutate(bytes: Uint8Array, random: () => number): Uint8Array {
    const out = bytes.slice();
    const kind = Math.floor(random() * 5);
    const at = (): number => Math.floor(random() * out.length);
    if (out.length === 0) return out;
    switch (kind) {
      case 0: // a few random bytes
        for (let i = 0, n = 1 + Math.floor(random() * 8); i < n; i++) out[at()] = Math.floor(random() * 256);
        return out;
      case 1: // a bit flip
        out[at()] ^= 1 << Math.floor(random() * 8);
        return out;
      case 2: // truncation
        return out.slice(0, at());
      case 3: { // a run of 0xff (huge LEB128s and lengths)
        const p = at();
        out.fill(0xff, p, p + 1 + Math.floor(random() * 12));
        return out;
      }
      default: { // a 32-bit field set to a large value
        const p = at();
        const v = [0xffffffff, 0x7fffffff, 0x80000000, 0xfffffff0, out.length, 0][Math.floor(random() * 6)];
        out.set(u32(v).slice(0, Math.max(0, out.length - p)), p);
        return out;
      }
    }
  }

  for (const [elf, iterations] of [['corruption.elf', 300], ['traps.elf', 200]] as const) {
    it(`${elf}: mutated sections never make fromElf throw or hang`, () => {
      const real = parseElf(new Uint8Array(readFileSync(join(examples, elf))));
      const random = rng(elf.length * 7919);
      const text = real.sections.find((s) => s.name === '.text')!;
      const pcs = Array.from({ length: 8 }, (_, i) => text.address + Math.floor((text.size * i) / 8));
      const started = performance.now();
      for (let i = 0; i < iterations; i++) {
        const sections = new Map<string, Uint8Array | undefined>();
        // Mutate one or two sections per round, so the others stay valid and deep paths get exercised.
        const victims = new Set([SECTIONS[Math.floor(random() * SECTIONS.length)], SECTIONS[Math.floor(random() * SECTIONS.length)]]);
        for (const name of SECTIONS) {
          const data = real.sectionData(name);
          sections.set(name, data && victims.has(name) ? mutate(data, random) : data);
        }
        const img: ElfImage = { ...real, sectionData: (name) => sections.get(name) };
        const d = DebugInfo.fromElf(img);
        expect(d.problems.every((p) => typeof p === 'string' && !p.startsWith('internal error')), d.problems.join('\n')).toBe(true);
        d.lineTable();
        d.files();
        d.functions();
        d.addressesForLine('corruption.c', 100);
        for (const pc of pcs) {
          d.lineAt(pc);
          d.lineAt(pc, { statement: true });
          d.functionAt(pc);
          const frames = d.unwind(pc, 0x81000000, (n) => BigInt(0x80000000 + n * 0x100), (addr, len) => (addr >= 0x80000000 && addr < 0x81100000 ? new Uint8Array(len).fill(addr & 0xff) : undefined));
          expect(frames.length).toBeLessThanOrEqual(64);
        }
      }
      expect(performance.now() - started).toBeLessThan(20_000);
    });
  }
});
