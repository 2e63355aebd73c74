/**
 * The DWARF line-number program (.debug_line), versions 2 to 5 (DWARF 5
 * section 6.2): the header with its directory and file tables, and the
 * state machine that turns the program into rows.
 */
import { DwarfError, Reader, StringSection, hex } from './reader';

export interface LineRow {
  address: number;
  /** The file's path as the compiler recorded it: directory + '/' + name (the name alone if absolute or without directory). */
  file: string;
  line: number;
  column: number;
  isStmt: boolean;
  /** The first address after a sequence; this row covers no code. */
  endSequence: boolean;
}

/** One line-number program (one per compilation unit). */
export interface LineProgram {
  /** Offset of the unit in .debug_line (what DW_AT_stmt_list refers to). */
  offset: number;
  version: number;
  /**
   * File paths by the index the program and DW_AT_decl_file / DW_AT_call_file
   * use: 0-based in DWARF 5; in DWARF 2-4 index 0 means "no file" and is undefined.
   */
  files: (string | undefined)[];
  /** Rows of complete sequences, in program order. */
  rows: LineRow[];
}

export interface LineSections {
  line: Uint8Array;
  str: StringSection;
  lineStr: StringSection;
}

// Standard opcodes.
const DW_LNS_copy = 1;
const DW_LNS_advance_pc = 2;
const DW_LNS_advance_line = 3;
const DW_LNS_set_file = 4;
const DW_LNS_set_column = 5;
const DW_LNS_negate_stmt = 6;
const DW_LNS_set_basic_block = 7;
const DW_LNS_const_add_pc = 8;
const DW_LNS_fixed_advance_pc = 9;
const DW_LNS_set_prologue_end = 10;
const DW_LNS_set_epilogue_begin = 11;
const DW_LNS_set_isa = 12;
// Extended opcodes.
const DW_LNE_end_sequence = 1;
const DW_LNE_set_address = 2;
const DW_LNE_define_file = 3;
const DW_LNE_set_discriminator = 4;
// Line header entry content types (DWARF 5).
const DW_LNCT_path = 1;
const DW_LNCT_directory_index = 2;
// Forms that can appear in a DWARF 5 line header.
const DW_FORM_block = 0x09;
const DW_FORM_data1 = 0x0b;
const DW_FORM_data2 = 0x05;
const DW_FORM_data4 = 0x06;
const DW_FORM_data8 = 0x07;
const DW_FORM_data16 = 0x1e;
const DW_FORM_string = 0x08;
const DW_FORM_strp = 0x0e;
const DW_FORM_line_strp = 0x1f;
const DW_FORM_udata = 0x0f;
const DW_FORM_strx = 0x1a;
const DW_FORM_strx1 = 0x25;
const DW_FORM_strx2 = 0x26;
const DW_FORM_strx3 = 0x27;
const DW_FORM_strx4 = 0x28;

/** Joins a directory and a file name the way the compiler meant them (and objdump prints them). */
export function joinPath(dir: string | undefined, name: string): string {
  if (dir === undefined || dir === '' || name.startsWith('/')) return name;
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

interface EntryFormat {
  type: number;
  form: number;
}

/** Reads one DWARF 5 directory or file entry. Returns its path and directory index. */
function readEntry(
  r: Reader,
  formats: EntryFormat[],
  offsetSize: number,
  s: LineSections,
): { path: string | undefined; dir: number } {
  let path: string | undefined;
  let dir = 0;
  for (const f of formats) {
    let str: string | undefined;
    let num: number | undefined;
    const at = r.pos;
    switch (f.form) {
      case DW_FORM_string: str = r.cstring('line header path'); break;
      case DW_FORM_line_strp: str = s.lineStr.get(r.offset(offsetSize), `DWARF .debug_line at offset ${hex(at)}`); break;
      case DW_FORM_strp: str = s.str.get(r.offset(offsetSize), `DWARF .debug_line at offset ${hex(at)}`); break;
      case DW_FORM_udata: num = r.uleb(); break;
      case DW_FORM_data1: num = r.u8(); break;
      case DW_FORM_data2: num = r.u16(); break;
      case DW_FORM_data4: num = r.u32(); break;
      case DW_FORM_data8: num = r.u64(); break;
      case DW_FORM_data16: r.skip(16, 'data16 value'); break;
      case DW_FORM_block: r.skip(r.uleb('block length'), 'block'); break;
      case DW_FORM_strx:
      case DW_FORM_strx1:
      case DW_FORM_strx2:
      case DW_FORM_strx3:
      case DW_FORM_strx4:
        // Needs the unit's DW_AT_str_offsets_base, which a line table cannot know.
        throw r.error(`line header uses DW_FORM_strx* (form ${hex(f.form)}), which is not supported`, at);
      default:
        throw r.error(`line header entry has unsupported form ${hex(f.form)}`, at);
    }
    if (f.type === DW_LNCT_path) {
      if (str === undefined) throw r.error(`DW_LNCT_path has non-string form ${hex(f.form)}`, at);
      path = str;
    } else if (f.type === DW_LNCT_directory_index) {
      if (num === undefined) throw r.error(`DW_LNCT_directory_index has non-constant form ${hex(f.form)}`, at);
      dir = num;
    }
  }
  return { path, dir };
}

function readFormats(r: Reader, what: string): EntryFormat[] {
  const count = r.u8(`${what} format count`);
  const formats: EntryFormat[] = [];
  for (let i = 0; i < count; i++) formats.push({ type: r.uleb(`${what} content type`), form: r.uleb(`${what} form`) });
  return formats;
}

function readEntries(
  r: Reader,
  formats: EntryFormat[],
  offsetSize: number,
  s: LineSections,
  what: string,
): { path: string | undefined; dir: number }[] {
  const at = r.pos;
  const count = r.uleb(`${what} count`);
  // Every supported form takes at least one byte, so a count larger than what is left is a lie.
  if (count > 0 && formats.length === 0) throw r.error(`${count} ${what} entries but no entry format`, at);
  if (count > r.remaining) throw r.error(`${what} count ${count} is larger than the rest of the header`, at);
  const out = [];
  for (let i = 0; i < count; i++) out.push(readEntry(r, formats, offsetSize, s));
  return out;
}

/**
 * Parses the line-number program at `offset`. Returns the program and the
 * offset of the next unit. Rows of sequences that complete before an error
 * are kept and the error is reported through `problem`; errors in the
 * header, which leave nothing usable, are thrown.
 */
export function parseLineProgram(
  s: LineSections,
  offset: number,
  problem: (message: string) => void,
): { program: LineProgram; next: number } {
  const r = new Reader(s.line, '.debug_line', offset);
  const { length, offsetSize } = r.initialLength('line program unit');
  const unitEnd = r.pos + length;
  const next = unitEnd;
  r.limit = unitEnd;
  const versionAt = r.pos;
  const version = r.u16('version');
  if (version < 2 || version > 5) throw r.error(`unsupported line table version ${version}`, versionAt);
  let addressSize = 8;
  if (version >= 5) {
    addressSize = r.u8('address size');
    r.u8('segment selector size');
    if (addressSize !== 4 && addressSize !== 8) throw r.error(`unsupported address size ${addressSize}`, r.pos - 2);
  }
  const headerLength = r.offset(offsetSize, 'header length');
  if (headerLength > r.remaining) throw r.error(`header length ${hex(headerLength)} runs past the end of the unit`);
  const programStart = r.pos + headerLength;
  const minInstLength = r.u8('minimum instruction length');
  const maxOps = version >= 4 ? r.u8('maximum operations per instruction') : 1;
  if (maxOps === 0) throw r.error('maximum operations per instruction is 0', r.pos - 1);
  const defaultIsStmt = r.u8('default_is_stmt') !== 0;
  const lineBase = r.i8('line_base');
  const lineRange = r.u8('line_range');
  if (lineRange === 0) throw r.error('line_range is 0', r.pos - 1);
  const opcodeBase = r.u8('opcode_base');
  if (opcodeBase === 0) throw r.error('opcode_base is 0', r.pos - 1);
  const opLengths = Array.from(r.bytes(opcodeBase - 1, 'standard opcode lengths'));

  // --- directory and file tables ---
  const files: (string | undefined)[] = [];
  const dirs: string[] = [];
  if (version >= 5) {
    const dirFormats = readFormats(r, 'directory');
    for (const e of readEntries(r, dirFormats, offsetSize, s, 'directory')) dirs.push(e.path ?? '');
    const fileFormats = readFormats(r, 'file name');
    for (const e of readEntries(r, fileFormats, offsetSize, s, 'file name')) {
      files.push(e.path === undefined ? undefined : joinPath(e.dir < dirs.length ? dirs[e.dir] : undefined, e.path));
    }
  } else {
    // DWARF 2-4: directory 0 is the compilation directory, not listed; files are numbered from 1.
    dirs.push('');
    for (;;) {
      const d = r.cstring('include directory');
      if (d === '') break;
      dirs.push(d);
    }
    files.push(undefined);
    for (;;) {
      const name = r.cstring('file name');
      if (name === '') break;
      const dir = r.uleb('directory index');
      r.uleb('modification time');
      r.uleb('file length');
      files.push(joinPath(dir < dirs.length ? dirs[dir] : undefined, name));
    }
  }
  if (r.pos > programStart) throw r.error(`header is longer than header_length says (ends at ${hex(r.pos)}, expected ${hex(programStart)})`);

  // --- the state machine ---
  r.pos = programStart;
  const rows: LineRow[] = [];
  const program: LineProgram = { offset, version, files, rows };
  const fileName = (i: number): string => files[i] ?? `<file ${i}>`;

  let address = 0;
  let opIndex = 0;
  let file = 1;
  let line = 1;
  let column = 0;
  let isStmt = defaultIsStmt;
  let sequence: LineRow[] = [];

  const reset = (): void => {
    address = 0;
    opIndex = 0;
    file = 1;
    line = 1;
    column = 0;
    isStmt = defaultIsStmt;
  };
  const emit = (endSequence: boolean): void => {
    sequence.push({ address, file: fileName(file), line, column, isStmt, endSequence });
  };
  const advance = (operationAdvance: number): void => {
    if (maxOps === 1) {
      address += minInstLength * operationAdvance;
    } else {
      address += minInstLength * Math.floor((opIndex + operationAdvance) / maxOps);
      opIndex = (opIndex + operationAdvance) % maxOps;
    }
  };

  try {
    while (r.pos < unitEnd) {
      const opAt = r.pos;
      const op = r.u8('opcode');
      if (op >= opcodeBase) {
        const adjusted = op - opcodeBase;
        advance(Math.floor(adjusted / lineRange));
        line += lineBase + (adjusted % lineRange);
        emit(false);
        continue;
      }
      switch (op) {
        case 0: {
          const len = r.uleb('extended opcode length');
          if (len === 0) throw r.error('extended opcode with length 0', opAt);
          r.need(len, 'extended opcode');
          const end = r.pos + len;
          const sub = r.u8('extended opcode');
          switch (sub) {
            case DW_LNE_end_sequence:
              emit(true);
              for (const row of sequence) rows.push(row);
              sequence = [];
              reset();
              break;
            case DW_LNE_set_address: {
              const size = len - 1;
              if (size !== 4 && size !== 8) throw r.error(`DW_LNE_set_address with a ${size}-byte address`, opAt);
              address = r.uint(size, 'address');
              opIndex = 0;
              break;
            }
            case DW_LNE_define_file: {
              const name = r.cstring('file name');
              const dir = r.uleb('directory index');
              if (files.length < 0x10000) files.push(joinPath(dir < dirs.length ? dirs[dir] : undefined, name));
              break;
            }
            case DW_LNE_set_discriminator:
            default:
              // Discriminators and vendor extensions: nothing we need.
              break;
          }
          if (r.pos > end) throw r.error('extended opcode is longer than its length says', opAt);
          r.pos = end;
          break;
        }
        case DW_LNS_copy:
          emit(false);
          break;
        case DW_LNS_advance_pc:
          advance(r.uleb('advance_pc operand'));
          break;
        case DW_LNS_advance_line:
          line += r.sleb('advance_line operand');
          break;
        case DW_LNS_set_file:
          file = r.uleb('file index');
          break;
        case DW_LNS_set_column:
          column = r.uleb('column');
          break;
        case DW_LNS_negate_stmt:
          isStmt = !isStmt;
          break;
        case DW_LNS_set_basic_block:
        case DW_LNS_set_prologue_end:
        case DW_LNS_set_epilogue_begin:
          break;
        case DW_LNS_const_add_pc:
          advance(Math.floor((255 - opcodeBase) / lineRange));
          break;
        case DW_LNS_fixed_advance_pc:
          address += r.u16('fixed_advance_pc operand');
          opIndex = 0;
          break;
        case DW_LNS_set_isa:
          r.uleb('isa');
          break;
        default:
          // An opcode this reader does not know: skip its ULEB128 operands, as the header says.
          for (let i = 0; i < opLengths[op - 1]; i++) r.uleb('operand');
      }
    }
    if (sequence.length > 0) problem(`DWARF .debug_line at offset ${hex(offset)}: the last sequence has no end_sequence; its ${sequence.length} rows are ignored`);
  } catch (e) {
    if (!(e instanceof DwarfError)) throw e;
    problem(`${e.message}${sequence.length ? ` (the ${sequence.length} rows of the unfinished sequence are ignored)` : ''}`);
  }
  return { program, next };
}
