/**
 * Call frame information (DWARF 5 section 6.4): CIEs and FDEs from
 * .debug_frame (CIE versions 1, 3 and 4) or .eh_frame (GNU augmentations
 * z, R, P, L, S), and the CFA program interpreter that yields the unwinding
 * rules at a given address.
 */
import { DwarfError, Reader, hex } from './reader';

export type RegRule =
  | { kind: 'undefined' }
  | { kind: 'same' }
  /** Saved at CFA + n. */
  | { kind: 'offset'; n: number }
  /** The value is CFA + n. */
  | { kind: 'val_offset'; n: number }
  /** Saved in another register. */
  | { kind: 'register'; reg: number }
  /** Saved at the address the expression computes (with the CFA pushed first). */
  | { kind: 'expression'; expr: Uint8Array }
  /** The value is what the expression computes (with the CFA pushed first). */
  | { kind: 'val_expression'; expr: Uint8Array };

export type CfaRule = { kind: 'register'; reg: number; offset: number } | { kind: 'expression'; expr: Uint8Array };

/** The unwinding rules at one address. Registers not in `regs` keep their value ("same value"). */
export interface UnwindRow {
  cfa: CfaRule;
  regs: Map<number, RegRule>;
  /** The return address column. */
  ra: number;
}

interface Cie {
  offset: number;
  codeAlign: number;
  dataAlign: number;
  ra: number;
  addressSize: number;
  /** Pointer encoding of FDE addresses (.eh_frame 'R'); 0 (absolute) in .debug_frame. */
  fdeEncoding: number;
  /** The section's load address, for .eh_frame's pc-relative pointers. */
  sectionAddress: number;
  hasAugmentationData: boolean;
  /** Section offsets of the initial instructions: [start, end). */
  program: [number, number];
}

export interface Fde {
  offset: number;
  start: number;
  /** Exclusive. */
  end: number;
  cie: Cie;
  /** Section offsets of the instructions: [start, end). */
  program: [number, number];
}

const MAX_STATE_STACK = 64;

export class CallFrameInfo {
  /** FDEs sorted by start address. */
  private readonly fdes: Fde[];

  private constructor(
    fdes: Fde[],
    private readonly data: Uint8Array,
    readonly section: string,
  ) {
    this.fdes = fdes.sort((a, b) => a.start - b.start || a.offset - b.offset);
  }

  get size(): number {
    return this.fdes.length;
  }

  /**
   * Parses .debug_frame or .eh_frame. `sectionAddress` is the section's
   * load address (for .eh_frame's pc-relative pointers). Broken entries are
   * reported and skipped; an entry whose length cannot be trusted ends the section.
   */
  static parse(
    data: Uint8Array,
    section: '.debug_frame' | '.eh_frame',
    sectionAddress: number,
    problem: (message: string) => void,
  ): CallFrameInfo {
    const eh = section === '.eh_frame';
    const cies = new Map<number, Cie | DwarfError>();
    const fdes: Fde[] = [];

    const cieAt = (offset: number): Cie | DwarfError => {
      let cie = cies.get(offset);
      if (cie === undefined) {
        try {
          cie = parseCie(data, section, offset, eh, sectionAddress);
        } catch (e) {
          if (!(e instanceof DwarfError)) throw e;
          cie = e;
        }
        cies.set(offset, cie);
      }
      return cie;
    };

    let offset = 0;
    while (offset < data.length) {
      const r = new Reader(data, section, offset);
      let end: number;
      let offsetSize: 4 | 8;
      try {
        if (eh && data.length - offset >= 4 && r.u32() === 0) break; // .eh_frame terminator
        r.pos = offset;
        const h = r.initialLength('CFI entry');
        end = r.pos + h.length;
        offsetSize = eh ? 4 : h.offsetSize;
      } catch (e) {
        if (!(e instanceof DwarfError)) throw e;
        problem(`${e.message}; the rest of ${section} is ignored`);
        break;
      }
      try {
        r.limit = end;
        const idAt = r.pos;
        const id = r.offset(offsetSize, 'CIE id');
        const isCie = eh ? id === 0 : isAllOnes(data, idAt, offsetSize);
        if (isCie) {
          const cie = cieAt(offset);
          if (cie instanceof DwarfError) throw cie;
        } else {
          const cieOffset = eh ? idAt - id : id;
          const cie = cieAt(cieOffset);
          if (cie instanceof DwarfError) throw r.error(`FDE refers to a bad CIE at ${hex(cieOffset)}`, offset);
          const start = eh ? readEncoded(r, cie.fdeEncoding, sectionAddress, cie.addressSize) : r.uint(cie.addressSize, 'initial location');
          const length = eh ? readEncoded(r, cie.fdeEncoding & 0x0f, sectionAddress, cie.addressSize) : r.uint(cie.addressSize, 'address range');
          if (cie.hasAugmentationData) r.skip(r.uleb('augmentation data length'), 'augmentation data');
          if (start !== undefined && length !== undefined && length > 0 && start + length <= 2 ** 53) {
            fdes.push({
              offset, start, end: start + length, cie, program: [r.pos, end],
            });
          }
        }
      } catch (e) {
        if (!(e instanceof DwarfError)) throw e;
        problem(e.message);
      }
      offset = end;
    }
    return new CallFrameInfo(fdes, data, section);
  }

  /** The FDE covering `pc`, if any. */
  find(pc: number): Fde | undefined {
    const fdes = this.fdes;
    let lo = 0;
    let hi = fdes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (fdes[mid].start <= pc) lo = mid + 1;
      else hi = mid;
    }
    // Overlapping FDEs are invalid, but look back a little in case a big one encloses a small one.
    for (let i = lo - 1; i >= 0 && i >= lo - 8; i--) {
      if (pc >= fdes[i].start && pc < fdes[i].end) return fdes[i];
    }
    return undefined;
  }

  /** Runs the CIE's and the FDE's CFA programs up to `pc`. Throws DwarfError for a bad program. */
  rowAt(fde: Fde, pc: number): UnwindRow {
    const cie = fde.cie;
    const initial: State = { cfa: { kind: 'register', reg: -1, offset: 0 }, regs: new Map() };
    const reader = (program: [number, number]): Reader => new Reader(this.data, this.section, program[0], program[1]);
    run(reader(cie.program), cie, initial, undefined, -Infinity, Infinity);
    const state: State = { cfa: initial.cfa, regs: new Map(initial.regs) };
    run(reader(fde.program), cie, state, initial, fde.start, pc);
    if (state.cfa.kind === 'register' && state.cfa.reg < 0) {
      throw new DwarfError(`DWARF ${this.section} FDE at offset ${hex(fde.offset)}: no CFA rule at ${hex(pc)}`);
    }
    return { cfa: state.cfa, regs: state.regs, ra: cie.ra };
  }
}

function isAllOnes(data: Uint8Array, at: number, size: number): boolean {
  for (let i = 0; i < size; i++) if (data[at + i] !== 0xff) return false;
  return true;
}

function parseCie(data: Uint8Array, section: string, offset: number, eh: boolean, sectionAddress: number): Cie {
  const r = new Reader(data, section, offset);
  if (!(offset >= 0 && offset < data.length)) throw r.error('CIE offset is outside the section', 0);
  const h = r.initialLength('CIE');
  const end = r.pos + h.length;
  r.limit = end;
  const offsetSize = eh ? 4 : h.offsetSize;
  const idAt = r.pos;
  const id = r.offset(offsetSize, 'CIE id');
  if (eh ? id !== 0 : !isAllOnes(data, idAt, offsetSize)) throw r.error('this is not a CIE', offset);
  const versionAt = r.pos;
  const version = r.u8('CIE version');
  if (version !== 1 && version !== 3 && version !== 4) throw r.error(`unsupported CIE version ${version}`, versionAt);
  const augAt = r.pos;
  const augmentation = r.cstring('augmentation');
  let addressSize = 8;
  if (augmentation.includes('eh')) r.skip(addressSize, 'eh data');
  if (version >= 4) {
    addressSize = r.u8('address size');
    r.u8('segment selector size');
    if (addressSize !== 4 && addressSize !== 8) throw r.error(`unsupported address size ${addressSize}`, r.pos - 2);
  }
  const codeAlign = r.uleb('code alignment factor');
  const dataAlign = r.sleb('data alignment factor');
  const ra = version === 1 ? r.u8('return address register') : r.uleb('return address register');
  let fdeEncoding = 0;
  let hasAugmentationData = false;
  if (augmentation.startsWith('z')) {
    hasAugmentationData = true;
    const len = r.uleb('augmentation data length');
    r.need(len, 'augmentation data');
    const augEnd = r.pos + len;
    for (const c of augmentation.slice(1)) {
      if (c === 'R') fdeEncoding = r.u8('FDE pointer encoding');
      else if (c === 'L') r.u8('LSDA encoding');
      else if (c === 'P') readEncoded(r, r.u8('personality encoding'), sectionAddress, addressSize);
      else if (c === 'S' || c === 'B') continue;
      else break; // unknown: the rest of the augmentation data is skipped below
    }
    r.pos = augEnd;
  } else if (augmentation !== '' && augmentation !== 'eh') {
    throw r.error(`unsupported CIE augmentation "${augmentation}"`, augAt);
  }
  return {
    offset, codeAlign, dataAlign, ra, addressSize, fdeEncoding, sectionAddress, hasAugmentationData, program: [r.pos, end],
  };
}

/** An .eh_frame encoded pointer (DW_EH_PE_*); undefined for DW_EH_PE_omit. */
function readEncoded(r: Reader, encoding: number, sectionAddress: number, addressSize: number): number | undefined {
  if (encoding === 0xff) return undefined;
  const at = r.pos;
  let base = 0;
  const application = encoding & 0x70;
  if (application === 0x10) base = sectionAddress + at;
  else if (application !== 0) throw r.error(`unsupported pointer encoding ${hex(encoding)}`, at);
  if (encoding & 0x80) throw r.error(`unsupported indirect pointer encoding ${hex(encoding)}`, at);
  let v: number;
  switch (encoding & 0x0f) {
    case 0x00: v = r.uint(addressSize, 'pointer'); break;
    case 0x01: v = r.uleb('pointer'); break;
    case 0x02: v = r.u16('pointer'); break;
    case 0x03: v = r.u32('pointer'); break;
    case 0x04: v = r.u64('pointer'); break;
    case 0x09: v = r.sleb('pointer'); break;
    case 0x0a: v = r.i16('pointer'); break;
    case 0x0b: v = r.i32('pointer'); break;
    case 0x0c: v = r.i64('pointer'); break;
    default: throw r.error(`unsupported pointer encoding ${hex(encoding)}`, at);
  }
  const value = base + v;
  // Wrap-around at 2^64 (a negative pc-relative offset to a low address cannot happen in practice).
  return value < 0 ? value + 2 ** 64 : value;
}

interface State {
  cfa: CfaRule;
  regs: Map<number, RegRule>;
}

/**
 * Runs a CFA program, updating `state`, starting at location `loc` and
 * stopping before the first instruction that would advance beyond `target`.
 */
function run(r: Reader, cie: Cie, state: State, initial: State | undefined, loc: number, target: number): void {
  const error = (message: string, at: number): DwarfError => r.error(message, at);
  const stack: State[] = [];
  const da = cie.dataAlign;
  const restore = (reg: number): void => {
    const rule = initial?.regs.get(reg);
    if (rule) state.regs.set(reg, rule);
    else state.regs.delete(reg);
  };
  const advance = (delta: number): boolean => {
    const next = loc + delta * cie.codeAlign;
    if (next > target) return false;
    loc = next;
    return true;
  };
  while (r.pos < r.limit) {
    const at = r.pos;
    const op = r.u8('CFA opcode');
    const high = op & 0xc0;
    const low = op & 0x3f;
    if (high === 0x40) {
      if (!advance(low)) return;
      continue;
    }
    if (high === 0x80) {
      state.regs.set(low, { kind: 'offset', n: r.uleb() * da });
      continue;
    }
    if (high === 0xc0) {
      restore(low);
      continue;
    }
    switch (op) {
      case 0x00: break; // DW_CFA_nop
      case 0x01: { // DW_CFA_set_loc
        const next = readEncoded(r, cie.fdeEncoding, cie.sectionAddress, cie.addressSize);
        if (next === undefined) throw error('DW_CFA_set_loc with an omitted address', at);
        if (next > target) return;
        loc = next;
        break;
      }
      case 0x02: if (!advance(r.u8())) return; break; // DW_CFA_advance_loc1
      case 0x03: if (!advance(r.u16())) return; break; // DW_CFA_advance_loc2
      case 0x04: if (!advance(r.u32())) return; break; // DW_CFA_advance_loc4
      case 0x05: { const reg = r.uleb(); state.regs.set(reg, { kind: 'offset', n: r.uleb() * da }); break; } // DW_CFA_offset_extended
      case 0x06: restore(r.uleb()); break; // DW_CFA_restore_extended
      case 0x07: state.regs.set(r.uleb(), { kind: 'undefined' }); break; // DW_CFA_undefined
      case 0x08: state.regs.set(r.uleb(), { kind: 'same' }); break; // DW_CFA_same_value
      case 0x09: { const reg = r.uleb(); state.regs.set(reg, { kind: 'register', reg: r.uleb() }); break; } // DW_CFA_register
      case 0x0a: // DW_CFA_remember_state (the CFA rule is remembered too, as GCC and GDB do)
        if (stack.length >= MAX_STATE_STACK) throw error(`more than ${MAX_STATE_STACK} nested DW_CFA_remember_state`, at);
        stack.push({ cfa: state.cfa, regs: new Map(state.regs) });
        break;
      case 0x0b: { // DW_CFA_restore_state
        const top = stack.pop();
        if (top === undefined) throw error('DW_CFA_restore_state without DW_CFA_remember_state', at);
        state.cfa = top.cfa;
        state.regs = top.regs;
        break;
      }
      case 0x0c: { const reg = r.uleb(); state.cfa = { kind: 'register', reg, offset: r.uleb() }; break; } // DW_CFA_def_cfa
      case 0x0d: { // DW_CFA_def_cfa_register
        const reg = r.uleb();
        state.cfa = { kind: 'register', reg, offset: state.cfa.kind === 'register' ? state.cfa.offset : 0 };
        break;
      }
      case 0x0e: // DW_CFA_def_cfa_offset
      case 0x13: { // DW_CFA_def_cfa_offset_sf
        const offset = op === 0x0e ? r.uleb() : r.sleb() * da;
        if (state.cfa.kind !== 'register') throw error('DW_CFA_def_cfa_offset with a CFA expression', at);
        state.cfa = { kind: 'register', reg: state.cfa.reg, offset };
        break;
      }
      case 0x0f: state.cfa = { kind: 'expression', expr: r.bytes(r.uleb(), 'expression') }; break; // DW_CFA_def_cfa_expression
      case 0x10: { const reg = r.uleb(); state.regs.set(reg, { kind: 'expression', expr: r.bytes(r.uleb(), 'expression') }); break; } // DW_CFA_expression
      case 0x11: { const reg = r.uleb(); state.regs.set(reg, { kind: 'offset', n: r.sleb() * da }); break; } // DW_CFA_offset_extended_sf
      case 0x12: { const reg = r.uleb(); state.cfa = { kind: 'register', reg, offset: r.sleb() * da }; break; } // DW_CFA_def_cfa_sf
      case 0x14: { const reg = r.uleb(); state.regs.set(reg, { kind: 'val_offset', n: r.uleb() * da }); break; } // DW_CFA_val_offset
      case 0x15: { const reg = r.uleb(); state.regs.set(reg, { kind: 'val_offset', n: r.sleb() * da }); break; } // DW_CFA_val_offset_sf
      case 0x16: { const reg = r.uleb(); state.regs.set(reg, { kind: 'val_expression', expr: r.bytes(r.uleb(), 'expression') }); break; } // DW_CFA_val_expression
      case 0x2e: r.uleb(); break; // DW_CFA_GNU_args_size
      case 0x2f: { const reg = r.uleb(); state.regs.set(reg, { kind: 'offset', n: -r.uleb() * da }); break; } // DW_CFA_GNU_negative_offset_extended
      default:
        throw error(`unknown CFA instruction ${hex(op)}`, at);
    }
  }
}

/**
 * Evaluates a DWARF expression from CFI (DWARF 5 section 2.5) on 64-bit
 * values: constants, arithmetic and logic, stack operations, register-based
 * addresses (DW_OP_bregN, DW_OP_bregx), memory reads (DW_OP_deref,
 * DW_OP_deref_size) and branches. Returns undefined when a register or
 * memory it needs is unknown; throws DwarfError for anything it cannot do.
 */
export function evaluate(
  expr: Uint8Array,
  initial: bigint[],
  reg: (n: number) => bigint | undefined,
  mem: (addr: bigint, size: number) => bigint | undefined,
): bigint | undefined {
  const r = new Reader(expr, 'CFI expression');
  const stack = [...initial];
  const M = (v: bigint): bigint => BigInt.asUintN(64, v);
  const S = (v: bigint): bigint => BigInt.asIntN(64, v);
  const pop = (): bigint => {
    const v = stack.pop();
    if (v === undefined) throw r.error('expression stack underflow');
    return v;
  };
  const push = (v: bigint): void => {
    if (stack.length >= 256) throw r.error('expression stack overflow');
    stack.push(M(v));
  };
  let steps = 0;
  while (r.pos < r.limit) {
    if (++steps > 10_000) throw r.error('expression runs too long');
    const at = r.pos;
    const op = r.u8('operation');
    if (op >= 0x30 && op <= 0x4f) { push(BigInt(op - 0x30)); continue; } // DW_OP_litN
    if (op >= 0x70 && op <= 0x8f) { // DW_OP_bregN
      const v = reg(op - 0x70);
      const off = r.sleb();
      if (v === undefined) return undefined;
      push(v + BigInt(off));
      continue;
    }
    switch (op) {
      case 0x03: push(BigInt(r.u64())); break; // DW_OP_addr (approximate above 2^53)
      case 0x06: case 0x94: { // DW_OP_deref, DW_OP_deref_size
        const size = op === 0x06 ? 8 : r.u8();
        if (size < 1 || size > 8) throw r.error(`DW_OP_deref_size ${size}`, at);
        const v = mem(pop(), size);
        if (v === undefined) return undefined;
        push(v);
        break;
      }
      case 0x08: push(BigInt(r.u8())); break;
      case 0x09: push(BigInt(r.i8())); break;
      case 0x0a: push(BigInt(r.u16())); break;
      case 0x0b: push(BigInt(r.i16())); break;
      case 0x0c: push(BigInt(r.u32())); break;
      case 0x0d: push(BigInt(r.i32())); break;
      case 0x0e: push(BigInt(r.u64())); break;
      case 0x0f: push(BigInt(r.i64())); break;
      case 0x10: push(BigInt(r.uleb())); break;
      case 0x11: push(BigInt(r.sleb())); break;
      case 0x12: { const v = pop(); push(v); push(v); break; } // dup
      case 0x13: pop(); break; // drop
      case 0x14: { const a = pop(); const b = pop(); push(b); push(a); push(b); break; } // over
      case 0x15: { const i = r.u8(); if (i >= stack.length) throw r.error('DW_OP_pick out of range', at); push(stack[stack.length - 1 - i]); break; }
      case 0x16: { const a = pop(); const b = pop(); push(a); push(b); break; } // swap
      case 0x17: { const a = pop(); const b = pop(); const c = pop(); push(a); push(c); push(b); break; } // rot
      case 0x19: { const v = S(pop()); push(v < 0n ? -v : v); break; } // abs
      case 0x1a: { const b = pop(); push(pop() & b); break; }
      case 0x1b: { const b = S(pop()); const a = S(pop()); if (b === 0n) throw r.error('division by zero', at); push(a / b); break; }
      case 0x1c: { const b = pop(); push(pop() - b); break; }
      case 0x1d: { const b = pop(); const a = pop(); if (b === 0n) throw r.error('division by zero', at); push(a % b); break; }
      case 0x1e: { const b = pop(); push(pop() * b); break; }
      case 0x1f: push(-pop()); break;
      case 0x20: push(~pop()); break;
      case 0x21: { const b = pop(); push(pop() | b); break; }
      case 0x22: { const b = pop(); push(pop() + b); break; }
      case 0x23: push(pop() + BigInt(r.uleb())); break; // plus_uconst
      case 0x24: { const b = pop(); push(b >= 64n ? 0n : pop() << b); break; }
      case 0x25: { const b = pop(); push(b >= 64n ? 0n : pop() >> b); break; }
      case 0x26: { const b = pop(); push(S(pop()) >> (b >= 64n ? 63n : b)); break; }
      case 0x27: { const b = pop(); push(pop() ^ b); break; }
      case 0x28: { const off = r.i16(); if (pop() !== 0n) jump(off); break; } // bra
      case 0x29: case 0x2a: case 0x2b: case 0x2c: case 0x2d: case 0x2e: { // eq ge gt le lt ne
        const b = S(pop());
        const a = S(pop());
        const t = [a === b, a >= b, a > b, a <= b, a < b, a !== b][op - 0x29];
        push(t ? 1n : 0n);
        break;
      }
      case 0x2f: jump(r.i16()); break; // skip
      case 0x92: { // bregx
        const n = r.uleb();
        const off = r.sleb();
        const v = reg(n);
        if (v === undefined) return undefined;
        push(v + BigInt(off));
        break;
      }
      case 0x96: break; // nop
      default:
        throw r.error(`unsupported DWARF expression operation ${hex(op)}`, at);
    }
  }
  return stack.length > 0 ? pop() : undefined;

  function jump(off: number): void {
    const to = r.pos + off;
    if (to < 0 || to > r.limit) throw r.error('branch outside the expression');
    r.pos = to;
  }
}
