// Translates one block of guest code (RV64IM, compressed instructions expanded
// through the core's table) into the body of a WebAssembly function of type
// (dataEnd: i64) -> i64 that the core's interpret() calls (workers/core/jit.ts).
//
// The function does exactly what the interpreter would do for those
// instructions while fetches and data accesses are untranslated: registers in
// the core's memory, loads and stores with the fast path's bound (offset <
// dataEnd), the dirty-page and executed-code maps marked as the interpreter
// marks them. It returns the next pc and leaves at `exit` how many instructions
// it retired. It stops early, at the pc of the instruction, before a load or
// store the fast path would not take (the interpreter then runs it with every
// check), and right after a store into bytes translated code was made from
// (which the core has dropped). A block ends after a branch or jump, before an
// instruction it does not cover, at a page boundary, or at MAX_INSNS.
import { Bytes, Op, I64, VOID_BLOCK } from './wasm';

export const MAX_INSNS = 64;
const RAM_BASE = 0x8000_0000n;

/** Where things are in the core's linear memory. */
export interface JitLayout {
  regs: number;
  ram: number;
  dirtyPages: number;
  execMap: number;
  codeMap: number;
  exit: number;
  compressedTable: number;
}

/** Function indices of the helpers every module imports (see jit/index.ts). */
export const HELPER_MULDIV = 0;
export const HELPER_MULDIVW = 1;
export const HELPER_INVALIDATE = 2;

export interface Translation {
  body: Uint8Array;
  instructions: number;
  /** Bytes of guest code covered, from the block's offset. */
  bytes: number;
}

const LOCAL_DATA_END = 0;
const LOCAL_OFF = 1;
const LOCAL_TMP = 2;

/** One decoded instruction: its 32-bit form, its length in bytes. */
interface Insn { insn: number; length: number }

function fetch(mem: Uint8Array, layout: JitLayout, off: number): Insn | undefined {
  const at = layout.ram + off;
  const half = mem[at] | (mem[at + 1] << 8);
  if ((half & 3) === 3) {
    return { insn: (half | (mem[at + 2] << 16) | (mem[at + 3] << 24)) >>> 0, length: 4 };
  }
  const t = layout.compressedTable + half * 4;
  const insn = (mem[t] | (mem[t + 1] << 8) | (mem[t + 2] << 16) | (mem[t + 3] << 24)) >>> 0;
  return insn === 0 ? undefined : { insn, length: 2 };
}

const LOADS = [Op.i64Load8S, Op.i64Load16S, Op.i64Load32S, Op.i64Load, Op.i64Load8U, Op.i64Load16U, Op.i64Load32U];
const STORES = [Op.i64Store8, Op.i64Store16, Op.i64Store32, Op.i64Store];
const BRANCHES: Record<number, number> = { 0: Op.i64Eq, 1: Op.i64Ne, 4: Op.i64LtS, 5: Op.i64GeS, 6: Op.i64LtU, 7: Op.i64GeU };

/** Whether the translator covers this (expanded) instruction; what it does not cover ends the block before it. */
function covered(insn: number): boolean {
  const f3 = (insn >>> 12) & 7;
  const f7 = insn >>> 25;
  switch (insn & 0x7f) {
    case 0x37: case 0x17: case 0x6f: return true;
    case 0x67: return f3 === 0;
    case 0x63: return BRANCHES[f3] !== undefined;
    case 0x03: return f3 !== 7;
    case 0x23: return f3 <= 3;
    case 0x13:
      if (f3 === 1) return (insn >>> 26) === 0;
      if (f3 === 5) return (insn >>> 26) === 0 || (insn >>> 26) === 0x10;
      return true;
    case 0x33: return f7 === 0 || f7 === 1 || (f7 === 0x20 && (f3 === 0 || f3 === 5));
    case 0x1b: return f3 === 0 || (f3 === 1 && f7 === 0) || (f3 === 5 && (f7 === 0 || f7 === 0x20));
    case 0x3b:
      if (f7 === 0) return f3 === 0 || f3 === 1 || f3 === 5;
      if (f7 === 0x20) return f3 === 0 || f3 === 5;
      return f7 === 1 && (f3 === 0 || f3 >= 4);
    case 0x0f: return f3 <= 1; // fence, fence.i: stores already drop stale translations
    default: return false;
  }
}

/** Translates the block at RAM offset `off`, or returns undefined if its first instruction is not covered. */
export function translateBlock(mem: Uint8Array, layout: JitLayout, off: number, ramBytes: number): Translation | undefined {
  const code = new Bytes();
  code.u32(1).u32(2).byte(I64); // two i64 locals: the access offset, a temporary
  const regGet = (r: number) => {
    if (r === 0) code.byte(Op.i64Const).s64(0n);
    else code.byte(Op.i32Const).s32(0).byte(Op.i64Load).u32(3).u32(layout.regs + r * 8);
  };
  // The value is pushed by `value` between the address and the store.
  const regSet = (r: number, value: () => void) => {
    if (r === 0) return;
    code.byte(Op.i32Const).s32(0);
    value();
    code.byte(Op.i64Store).u32(3).u32(layout.regs + r * 8);
  };
  const i64 = (v: bigint) => code.byte(Op.i64Const).s64(v);
  const setCount = (n: number) => {
    code.byte(Op.i32Const).s32(layout.exit).byte(Op.i32Const).s32(n).byte(Op.i32Store).u32(2).u32(0);
  };
  /** Leaves the block: `n` instructions retired, next pc `pc`. */
  const exit = (n: number, pc: bigint) => { setCount(n); i64(pc); code.byte(Op.return); };
  /** off = rs1 + imm - RAM_BASE; leaves the block at instruction `k` if the fast path would not take it. */
  const accessOffset = (rs1: number, imm: number, k: number, pc: bigint) => {
    regGet(rs1);
    i64(BigInt(imm) - RAM_BASE).byte(Op.i64Add).byte(Op.localTee).u32(LOCAL_OFF);
    code.byte(Op.localGet).u32(LOCAL_DATA_END).byte(Op.i64GeU).byte(Op.if).byte(VOID_BLOCK);
    exit(k, pc);
    code.byte(Op.end);
  };
  const offAsAddress = () => code.byte(Op.localGet).u32(LOCAL_OFF).byte(Op.i32WrapI64);
  const markPage = (extra: number) => {
    offAsAddress();
    code.byte(Op.i32Const).s32(12).byte(Op.i32ShrU).byte(Op.i32Const).s32(1).byte(Op.i32Store8).u32(0).u32(layout.dirtyPages + extra);
  };
  const signExtend32 = () => code.byte(Op.i64ExtendI32S);
  const low32 = (r: number) => { regGet(r); code.byte(Op.i32WrapI64); };

  let n = 0;
  let at = off;
  let lastExecBlock = -1;
  let ended = false;
  while (n < MAX_INSNS && !ended) {
    // Stay inside the page, and inside RAM (the core also checks the fetch limit on entry).
    if (at !== off && (at & 0xfff) === 0) break;
    if (at + 4 > ramBytes) break;
    const d = fetch(mem, layout, at);
    if (d === undefined || !covered(d.insn)) break;
    const { insn, length } = d;
    const pc = RAM_BASE + BigInt(at);
    const next = pc + BigInt(length);
    const rd = (insn >>> 7) & 31;
    const rs1 = (insn >>> 15) & 31;
    const rs2 = (insn >>> 20) & 31;
    const f3 = (insn >>> 12) & 7;
    const f7 = insn >>> 25;
    const immI = insn >> 20;
    // The interpreter marks the executed-code map as it fetches.
    const execBlock = at >>> 6;
    if (execBlock !== lastExecBlock) {
      code.byte(Op.i32Const).s32(layout.execMap + execBlock).byte(Op.i32Const).s32(1).byte(Op.i32Store8).u32(0).u32(0);
      lastExecBlock = execBlock;
    }
    switch (insn & 0x7f) {
      case 0x37: regSet(rd, () => i64(BigInt((insn & 0xfffff000) | 0))); break;
      case 0x17: regSet(rd, () => i64(pc + BigInt((insn & 0xfffff000) | 0))); break;
      case 0x6f: {
        const imm = ((insn >> 11) & 0xfff00000) | (insn & 0xff000) | ((insn >>> 9) & 0x800) | ((insn >>> 20) & 0x7fe);
        regSet(rd, () => i64(next));
        setCount(n + 1);
        i64(BigInt.asUintN(64, pc + BigInt(imm)));
        ended = true;
        break;
      }
      case 0x67: {
        regGet(rs1);
        i64(BigInt(immI)).byte(Op.i64Add);
        i64(-2n).byte(Op.i64And).byte(Op.localSet).u32(LOCAL_TMP);
        regSet(rd, () => i64(next));
        setCount(n + 1);
        code.byte(Op.localGet).u32(LOCAL_TMP);
        ended = true;
        break;
      }
      case 0x63: {
        const imm = ((insn >> 19) & 0xfffff000) | ((insn << 4) & 0x800) | ((insn >>> 20) & 0x7e0) | ((insn >>> 7) & 0x1e);
        setCount(n + 1);
        regGet(rs1);
        regGet(rs2);
        code.byte(BRANCHES[f3]).byte(Op.if).byte(I64);
        i64(BigInt.asUintN(64, pc + BigInt(imm)));
        code.byte(Op.else);
        i64(next);
        code.byte(Op.end);
        ended = true;
        break;
      }
      case 0x03: {
        accessOffset(rs1, immI, n, pc);
        regSet(rd, () => { offAsAddress(); code.byte(LOADS[f3]).u32(0).u32(layout.ram); });
        break;
      }
      case 0x23: {
        const imm = ((insn >> 20) & ~31) | ((insn >>> 7) & 31);
        const size = 1 << f3;
        accessOffset(rs1, imm, n, pc);
        offAsAddress();
        regGet(rs2);
        code.byte(STORES[f3]).u32(0).u32(layout.ram);
        markPage(0);
        if (size > 1) {
          // A store crossing into the next page marks it too.
          code.byte(Op.localGet).u32(LOCAL_OFF);
          i64(0xfffn).byte(Op.i64And);
          i64(BigInt(size)).byte(Op.i64Add);
          i64(0x1000n).byte(Op.i64GtU).byte(Op.if).byte(VOID_BLOCK);
          markPage(1);
          code.byte(Op.end);
        }
        // Into bytes translated code was made from: the core drops those blocks; this one stops after the store.
        offAsAddress();
        code.byte(Op.i32Const).s32(6).byte(Op.i32ShrU).byte(Op.i32Load8U).u32(0).u32(layout.codeMap);
        offAsAddress();
        code.byte(Op.i32Const).s32(size - 1).byte(Op.i32Add).byte(Op.i32Const).s32(6).byte(Op.i32ShrU);
        code.byte(Op.i32Load8U).u32(0).u32(layout.codeMap).byte(Op.i32Or).byte(Op.if).byte(VOID_BLOCK);
        code.byte(Op.localGet).u32(LOCAL_OFF);
        i64(BigInt(size)).byte(Op.call).u32(HELPER_INVALIDATE);
        exit(n + 1, next);
        code.byte(Op.end);
        break;
      }
      case 0x13: {
        const imm = BigInt(immI);
        const sh = BigInt(immI & 63);
        const ops: Record<number, () => void> = {
          0: () => { regGet(rs1); i64(imm).byte(Op.i64Add); },
          1: () => { regGet(rs1); i64(sh).byte(Op.i64Shl); },
          2: () => { regGet(rs1); i64(imm).byte(Op.i64LtS).byte(Op.i64ExtendI32U); },
          3: () => { regGet(rs1); i64(imm).byte(Op.i64LtU).byte(Op.i64ExtendI32U); },
          4: () => { regGet(rs1); i64(imm).byte(Op.i64Xor); },
          5: () => { regGet(rs1); i64(sh).byte((insn >>> 26) === 0x10 ? Op.i64ShrS : Op.i64ShrU); },
          6: () => { regGet(rs1); i64(imm).byte(Op.i64Or); },
          7: () => { regGet(rs1); i64(imm).byte(Op.i64And); },
        };
        regSet(rd, ops[f3]);
        break;
      }
      case 0x33: {
        const two = (op: number) => () => { regGet(rs1); regGet(rs2); code.byte(op); };
        let value: () => void;
        if (f7 === 1) {
          value = f3 === 0 ? two(Op.i64Mul) : () => { code.byte(Op.i32Const).s32(f3); regGet(rs1); regGet(rs2); code.byte(Op.call).u32(HELPER_MULDIV); };
        } else if (f7 === 0x20) {
          value = two(f3 === 0 ? Op.i64Sub : Op.i64ShrS);
        } else {
          const base: Record<number, () => void> = {
            0: two(Op.i64Add), 1: two(Op.i64Shl), 4: two(Op.i64Xor), 5: two(Op.i64ShrU), 6: two(Op.i64Or), 7: two(Op.i64And),
            2: () => { two(Op.i64LtS)(); code.byte(Op.i64ExtendI32U); },
            3: () => { two(Op.i64LtU)(); code.byte(Op.i64ExtendI32U); },
          };
          value = base[f3];
        }
        regSet(rd, value);
        break;
      }
      case 0x1b: {
        const sh = rs2;
        regSet(rd, () => {
          low32(rs1);
          if (f3 === 0) code.byte(Op.i32Const).s32(immI).byte(Op.i32Add);
          else code.byte(Op.i32Const).s32(sh).byte(f3 === 1 ? Op.i32Shl : f7 === 0x20 ? Op.i32ShrS : Op.i32ShrU);
          signExtend32();
        });
        break;
      }
      case 0x3b: {
        regSet(rd, () => {
          if (f7 === 1 && f3 !== 0) {
            code.byte(Op.i32Const).s32(f3);
            regGet(rs1);
            regGet(rs2);
            code.byte(Op.call).u32(HELPER_MULDIVW);
            return;
          }
          low32(rs1);
          low32(rs2);
          if (f7 === 1) code.byte(Op.i32Mul);
          else if (f3 === 0) code.byte(f7 === 0x20 ? Op.i32Sub : Op.i32Add);
          else if (f3 === 1) code.byte(Op.i32Shl);
          else code.byte(f7 === 0x20 ? Op.i32ShrS : Op.i32ShrU);
          signExtend32();
        });
        break;
      }
      case 0x0f: break;
    }
    n++;
    at += length;
  }
  if (n === 0) return undefined;
  if (!ended) { setCount(n); i64(RAM_BASE + BigInt(at)); }
  code.byte(Op.end);
  return { body: code.view().slice(), instructions: n, bytes: at - off };
}
