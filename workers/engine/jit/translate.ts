// Translates one block of guest code (RV64IM, compressed instructions expanded
// through the core's table) into the body of a WebAssembly function of type
// (dataEnd, pc, budget, mode: i64) -> i64 that the core's interpret() calls
// (workers/core/jit.ts).
//
// The function does exactly what the interpreter would do for those
// instructions: loads and stores through the same fast path (untranslated:
// the address minus RAM's base; translated, mode >= 0: a hit in the core's TLB
// for that privilege mode, never across a page), the same bound (offset <
// dataEnd), the dirty-page and executed-code maps marked as the interpreter
// marks them. Blocks are keyed by the RAM offset of their code and do not know
// their virtual address: every pc they compute is relative to the `pc`
// argument, so one translation serves every mapping of its page.
//
// Guest registers live in wasm locals for the whole block: loaded at entry,
// written back at the one exit. The function returns the next pc and leaves
// at `exit` how many instructions it retired and at `exit + 4` whether it
// stopped early, at the pc of an instruction it leaves to the interpreter: a
// load or store the fast path would not take (the interpreter then runs it
// with every check). It also stops right after a store into bytes translated
// code was made from (which the core has dropped). A block ends after a branch
// or jump, before an instruction it does not cover, at a page boundary, or at
// MAX_INSNS. A block whose last branch or jump goes back to its own first
// instruction (a loop) runs again inside the function for as long as the
// budget covers another pass.
import { Bytes, Op, I32, I64, VOID_BLOCK } from './wasm';
import { fpCovered, translateFp } from './translate-fp';

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
  /** The TLB (workers/core/mmu.ts): fetch, load and store arrays of `tlbEntries` {tag, addend}. */
  tlb: number;
  tlbEntries: number;
  /** f0..f31 as raw bits (F/D: translate-fp.ts). */
  fregs: number;
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

// Parameters, then locals.
const P_DATA_END = 0;
const P_PC = 1;
const P_BUDGET = 2;
const P_MODE = 3;
const L_OFF = 4;
const L_TMP = 5;
/** Instructions retired by earlier passes of a loop block. */
const L_RETIRED = 6;
const L_VADDR = 7;
const L_NEXT = 8;
const L_COUNT = 9;
const L_EARLY = 10;
const L_ENTRY = 11;
const FIRST_REG_LOCAL = 12;

/** One decoded instruction: its 32-bit form, its length in bytes, its RAM offset. */
export interface Insn { insn: number; length: number; at: number }

function fetch(mem: Uint8Array, layout: JitLayout, off: number): Insn | undefined {
  const at = layout.ram + off;
  const half = mem[at] | (mem[at + 1] << 8);
  if ((half & 3) === 3) {
    return { insn: (half | (mem[at + 2] << 16) | (mem[at + 3] << 24)) >>> 0, length: 4, at: off };
  }
  const t = layout.compressedTable + half * 4;
  const insn = (mem[t] | (mem[t + 1] << 8) | (mem[t + 2] << 16) | (mem[t + 3] << 24)) >>> 0;
  return insn === 0 ? undefined : { insn, length: 2, at: off };
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
    case 0x07: case 0x27: case 0x43: case 0x47: case 0x4b: case 0x4f: case 0x53: return fpCovered(insn); // F and D
    default: return false;
  }
}

/** Whether the instruction writes its rd field (branches, stores and fences do not). */
function writesRd(insn: number): boolean {
  const op = insn & 0x7f;
  return op !== 0x63 && op !== 0x23 && op !== 0x0f;
}

function jalOffset(insn: number): number {
  return ((insn >> 11) & 0xfff00000) | (insn & 0xff000) | ((insn >>> 9) & 0x800) | ((insn >>> 20) & 0x7fe);
}
function branchOffset(insn: number): number {
  return ((insn >> 19) & 0xfffff000) | ((insn << 4) & 0x800) | ((insn >>> 20) & 0x7e0) | ((insn >>> 7) & 0x1e);
}

/** Decodes the block at `off`: the instructions it covers, in order. */
function decodeBlock(mem: Uint8Array, layout: JitLayout, off: number, ramBytes: number): Insn[] {
  const insns: Insn[] = [];
  let at = off;
  while (insns.length < MAX_INSNS) {
    // Stay inside the page (the next page of a virtual address may be anywhere) and inside RAM;
    // an instruction in a page's last halfword may continue on the next page: the interpreter's.
    if (at !== off && (at & 0xfff) === 0) break;
    if ((at & 0xfff) === 0xffe || at + 4 > ramBytes) break;
    const d = fetch(mem, layout, at);
    if (d === undefined || !covered(d.insn)) break;
    insns.push(d);
    at += d.length;
    const op = d.insn & 0x7f;
    if (op === 0x6f || op === 0x67 || op === 0x63) break;
  }
  return insns;
}

/**
 * Emits one block's function body. Control structure:
 *   block $exit  loop $pass  ...instructions...  end  end  write back, return
 * Leaving sets NEXT (pc), COUNT (instructions retired) and EARLY, then branches to $exit.
 */
export class BlockEmitter {
  readonly code = new Bytes();
  /** Control frames open inside $exit (br's label index for $exit). */
  private depth = 0;
  private readonly regLocal = new Map<number, number>();
  private readonly written = new Set<number>();

  constructor(readonly layout: JitLayout, insns: Insn[]) {
    for (const d of insns) {
      const i = d.insn;
      for (const r of [(i >>> 7) & 31, (i >>> 15) & 31, (i >>> 20) & 31]) {
        if (r !== 0 && !this.regLocal.has(r)) this.regLocal.set(r, FIRST_REG_LOCAL + this.regLocal.size);
      }
      const rd = (i >>> 7) & 31;
      if (rd !== 0 && writesRd(i)) this.written.add(rd);
    }
    // Locals: seven i64 (OFF..EARLY is i64 too, for simplicity), one i32, one i64 per register.
    this.code.u32(3).u32(7).byte(I64).u32(1).byte(I32).u32(this.regLocal.size).byte(I64);
    for (const [r, local] of this.regLocal) {
      this.code.byte(Op.i32Const).s32(0).byte(Op.i64Load).u32(3).u32(layout.regs + r * 8).byte(Op.localSet).u32(local);
    }
  }

  i64(v: bigint): this { this.code.byte(Op.i64Const).s64(v); return this; }
  i32(v: number): this { this.code.byte(Op.i32Const).s32(v); return this; }
  op(o: number): this { this.code.byte(o); return this; }
  get(local: number): this { this.code.byte(Op.localGet).u32(local); return this; }
  set(local: number): this { this.code.byte(Op.localSet).u32(local); return this; }
  tee(local: number): this { this.code.byte(Op.localTee).u32(local); return this; }

  /** Opens a control frame (block, loop, if) of result `type`. */
  open(kind: number, type: number = VOID_BLOCK): this { this.code.byte(kind).byte(type); this.depth++; return this; }
  else(): this { this.code.byte(Op.else); return this; }
  close(): this { this.code.byte(Op.end); this.depth--; return this; }

  /** Pushes guest register r. */
  reg(r: number): this {
    if (r === 0) return this.i64(0n);
    return this.get(this.regLocal.get(r)!);
  }
  /** Sets guest register r to the value `value` pushes. */
  setReg(r: number, value: () => void): this {
    if (r === 0) return this;
    value();
    return this.set(this.regLocal.get(r)!);
  }
  /** Pushes pc + delta (the block's pc is an argument). */
  pc(delta: number): this {
    this.get(P_PC);
    if (delta !== 0) this.i64(BigInt(delta)).op(Op.i64Add);
    return this;
  }

  /** Leaves with the value on the stack as the next pc, `k` instructions of this pass retired. */
  leaveWithPushedPc(k: number, early: boolean): void {
    this.set(L_NEXT);
    this.get(L_RETIRED).i64(BigInt(k)).op(Op.i64Add).set(L_COUNT);
    this.i64(early ? 1n : 0n).set(L_EARLY);
    this.code.byte(Op.br).u32(this.depth - 1);
  }
  /** Branches back to the start of the pass (the loop, the frame just inside $exit). */
  repeatPass(): void { this.code.byte(Op.br).u32(this.depth - 2); }
  /** Leaves before instruction k (at pc + delta), for the interpreter to run it. */
  leaveEarly(k: number, delta: number): void { this.pc(delta); this.leaveWithPushedPc(k, true); }

  /**
   * Pushes the RAM offset of a `size`-byte access at rs1 + imm, as the
   * interpreter's fast path computes it, or leaves the block before
   * instruction k (at pc + delta) if that path would not take the access.
   */
  accessOffset(rs1: number, imm: number, size: number, store: boolean, k: number, delta: number): void {
    const { tlb, tlbEntries } = this.layout;
    this.reg(rs1).i64(BigInt(imm)).op(Op.i64Add).set(L_VADDR);
    this.get(P_MODE).i64(0n).op(Op.i64LtS).open(Op.if, I64);
    this.get(L_VADDR).i64(RAM_BASE).op(Op.i64Sub);
    this.else();
    // Translated: never across a page; a hit in the TLB of this access kind for this mode.
    this.get(L_VADDR).i64(0xfffn).op(Op.i64And).i64(BigInt(4096 - size)).op(Op.i64GtU).open(Op.if);
    this.leaveEarly(k, delta);
    this.close();
    this.get(L_VADDR).i64(12n).op(Op.i64ShrU).op(Op.i32WrapI64).i32(tlbEntries - 1).op(Op.i32And).i32(4).op(Op.i32Shl);
    this.i32(tlb + tlbEntries * 16 * (store ? 2 : 1)).op(Op.i32Add).tee(L_ENTRY);
    this.code.byte(Op.i64Load).u32(3).u32(0);
    this.get(L_VADDR).i64(~0xfffn).op(Op.i64And).get(P_MODE).op(Op.i64Or).op(Op.i64Ne).open(Op.if);
    this.leaveEarly(k, delta);
    this.close();
    this.get(L_VADDR).get(L_ENTRY);
    this.code.byte(Op.i64Load).u32(3).u32(8);
    this.op(Op.i64Add);
    this.close();
    this.tee(L_OFF).get(P_DATA_END).op(Op.i64GeU).open(Op.if);
    this.leaveEarly(k, delta);
    this.close();
  }

  /** The access offset as a wasm address (RAM is below 4 GiB of linear memory). */
  offAsAddress(): this { return this.get(L_OFF).op(Op.i32WrapI64); }

  markPage(extra: number): void {
    this.offAsAddress().i32(12).op(Op.i32ShrU).i32(1);
    this.code.byte(Op.i32Store8).u32(0).u32(this.layout.dirtyPages + extra);
  }

  /** The function's end: the one exit writes registers back and reports. */
  finish(): Uint8Array {
    const { code, layout } = this;
    for (const r of this.written) {
      code.byte(Op.i32Const).s32(0).byte(Op.localGet).u32(this.regLocal.get(r)!).byte(Op.i64Store).u32(3).u32(layout.regs + r * 8);
    }
    code.byte(Op.i32Const).s32(layout.exit).byte(Op.localGet).u32(L_COUNT).byte(Op.i32WrapI64).byte(Op.i32Store).u32(2).u32(0);
    code.byte(Op.i32Const).s32(layout.exit).byte(Op.localGet).u32(L_EARLY).byte(Op.i32WrapI64).byte(Op.i32Store).u32(2).u32(4);
    code.byte(Op.localGet).u32(L_NEXT);
    code.byte(Op.end);
    return code.view().slice();
  }
}

/** Translates the block at RAM offset `off`, or returns undefined if its first instruction is not covered. */
export function translateBlock(mem: Uint8Array, layout: JitLayout, off: number, ramBytes: number): Translation | undefined {
  const insns = decodeBlock(mem, layout, off, ramBytes);
  if (insns.length === 0) return undefined;
  const e = new BlockEmitter(layout, insns);
  const n = insns.length;
  const last = insns[n - 1];
  const lastOp = last.insn & 0x7f;
  const lastTarget = lastOp === 0x6f ? last.at + jalOffset(last.insn) : lastOp === 0x63 ? last.at + branchOffset(last.insn) : undefined;
  const loops = lastTarget === off;

  e.open(Op.block);
  e.open(Op.loop);
  /** Goes round again if the budget covers another pass, else leaves at the block's start. */
  const again = () => {
    e.get(L_RETIRED).i64(BigInt(n)).op(Op.i64Add).set(L_RETIRED);
    e.get(P_BUDGET).get(L_RETIRED).op(Op.i64Sub).i64(BigInt(n)).op(Op.i64GeS).open(Op.if);
    e.repeatPass();
    e.close();
    e.pc(0);
    e.leaveWithPushedPc(0, false);
  };

  let lastExecBlock = -1;
  for (let k = 0; k < n; k++) {
    const { insn, length, at } = insns[k];
    const delta = at - off;
    const nextDelta = delta + length;
    const rd = (insn >>> 7) & 31;
    const rs1 = (insn >>> 15) & 31;
    const rs2 = (insn >>> 20) & 31;
    const f3 = (insn >>> 12) & 7;
    const f7 = insn >>> 25;
    const immI = insn >> 20;
    // The interpreter marks the executed-code map as it fetches.
    const execBlock = at >>> 6;
    if (execBlock !== lastExecBlock) {
      e.i32(layout.execMap + execBlock).i32(1);
      e.code.byte(Op.i32Store8).u32(0).u32(0);
      lastExecBlock = execBlock;
    }
    switch (insn & 0x7f) {
      case 0x37: e.setReg(rd, () => e.i64(BigInt((insn & 0xfffff000) | 0))); break;
      case 0x17: e.setReg(rd, () => e.pc(delta + ((insn & 0xfffff000) | 0))); break;
      case 0x6f: {
        e.setReg(rd, () => e.pc(nextDelta));
        if (loops) again();
        else { e.pc(delta + jalOffset(insn)); e.leaveWithPushedPc(k + 1, false); }
        break;
      }
      case 0x67: {
        e.reg(rs1).i64(BigInt(immI)).op(Op.i64Add).i64(-2n).op(Op.i64And).set(L_TMP);
        e.setReg(rd, () => e.pc(nextDelta));
        e.get(L_TMP);
        e.leaveWithPushedPc(k + 1, false);
        break;
      }
      case 0x63: {
        e.reg(rs1).reg(rs2).op(BRANCHES[f3]).open(Op.if);
        if (loops) again();
        else { e.pc(delta + branchOffset(insn)); e.leaveWithPushedPc(k + 1, false); }
        e.close();
        e.pc(nextDelta);
        e.leaveWithPushedPc(k + 1, false);
        break;
      }
      case 0x03: {
        e.accessOffset(rs1, immI, 1 << (f3 & 3), false, k, delta);
        e.setReg(rd, () => { e.offAsAddress(); e.code.byte(LOADS[f3]).u32(0).u32(layout.ram); });
        break;
      }
      case 0x23: {
        const imm = ((insn >> 20) & ~31) | ((insn >>> 7) & 31);
        const size = 1 << f3;
        e.accessOffset(rs1, imm, size, true, k, delta);
        e.offAsAddress().reg(rs2);
        e.code.byte(STORES[f3]).u32(0).u32(layout.ram);
        e.markPage(0);
        if (size > 1) {
          // A store crossing into the next page (only untranslated ones can) marks it too.
          e.get(L_OFF).i64(0xfffn).op(Op.i64And).i64(BigInt(size)).op(Op.i64Add).i64(0x1000n).op(Op.i64GtU).open(Op.if);
          e.markPage(1);
          e.close();
        }
        // Into bytes translated code was made from: the core drops those blocks; this one stops after the store.
        e.offAsAddress().i32(6).op(Op.i32ShrU);
        e.code.byte(Op.i32Load8U).u32(0).u32(layout.codeMap);
        e.offAsAddress().i32(size - 1).op(Op.i32Add).i32(6).op(Op.i32ShrU);
        e.code.byte(Op.i32Load8U).u32(0).u32(layout.codeMap);
        e.op(Op.i32Or).open(Op.if);
        e.get(L_OFF).i64(BigInt(size)).op(Op.call);
        e.code.u32(HELPER_INVALIDATE);
        e.pc(nextDelta);
        e.leaveWithPushedPc(k + 1, false);
        e.close();
        break;
      }
      case 0x13: {
        const imm = BigInt(immI);
        const sh = BigInt(immI & 63);
        const ops: Record<number, () => void> = {
          0: () => e.reg(rs1).i64(imm).op(Op.i64Add),
          1: () => e.reg(rs1).i64(sh).op(Op.i64Shl),
          2: () => e.reg(rs1).i64(imm).op(Op.i64LtS).op(Op.i64ExtendI32U),
          3: () => e.reg(rs1).i64(imm).op(Op.i64LtU).op(Op.i64ExtendI32U),
          4: () => e.reg(rs1).i64(imm).op(Op.i64Xor),
          5: () => e.reg(rs1).i64(sh).op((insn >>> 26) === 0x10 ? Op.i64ShrS : Op.i64ShrU),
          6: () => e.reg(rs1).i64(imm).op(Op.i64Or),
          7: () => e.reg(rs1).i64(imm).op(Op.i64And),
        };
        e.setReg(rd, ops[f3]);
        break;
      }
      case 0x33: {
        const two = (o: number) => () => { e.reg(rs1).reg(rs2).op(o); };
        let value: () => void;
        if (f7 === 1) {
          value = f3 === 0 ? two(Op.i64Mul) : () => { e.i32(f3).reg(rs1).reg(rs2).op(Op.call); e.code.u32(HELPER_MULDIV); };
        } else if (f7 === 0x20) {
          value = two(f3 === 0 ? Op.i64Sub : Op.i64ShrS);
        } else {
          const base: Record<number, () => void> = {
            0: two(Op.i64Add), 1: two(Op.i64Shl), 4: two(Op.i64Xor), 5: two(Op.i64ShrU), 6: two(Op.i64Or), 7: two(Op.i64And),
            2: () => { two(Op.i64LtS)(); e.op(Op.i64ExtendI32U); },
            3: () => { two(Op.i64LtU)(); e.op(Op.i64ExtendI32U); },
          };
          value = base[f3];
        }
        e.setReg(rd, value);
        break;
      }
      case 0x1b: {
        e.setReg(rd, () => {
          e.reg(rs1).op(Op.i32WrapI64);
          if (f3 === 0) e.i32(immI).op(Op.i32Add);
          else e.i32(rs2).op(f3 === 1 ? Op.i32Shl : f7 === 0x20 ? Op.i32ShrS : Op.i32ShrU);
          e.op(Op.i64ExtendI32S);
        });
        break;
      }
      case 0x3b: {
        e.setReg(rd, () => {
          if (f7 === 1 && f3 !== 0) {
            e.i32(f3).reg(rs1).reg(rs2).op(Op.call);
            e.code.u32(HELPER_MULDIVW);
            return;
          }
          e.reg(rs1).op(Op.i32WrapI64).reg(rs2).op(Op.i32WrapI64);
          if (f7 === 1) e.op(Op.i32Mul);
          else if (f3 === 0) e.op(f7 === 0x20 ? Op.i32Sub : Op.i32Add);
          else if (f3 === 1) e.op(Op.i32Shl);
          else e.op(f7 === 0x20 ? Op.i32ShrS : Op.i32ShrU);
          e.op(Op.i64ExtendI32S);
        });
        break;
      }
      case 0x0f: break;
      case 0x07: case 0x27: case 0x43: case 0x47: case 0x4b: case 0x4f: case 0x53: // F and D (L_TMP: its scratch)
        translateFp(e, insns[k], k, delta, nextDelta, L_TMP);
        break;
    }
  }
  const end = last.at + last.length - off;
  if (lastOp !== 0x6f && lastOp !== 0x67 && lastOp !== 0x63) {
    // Fell off the end (before an uncovered instruction, a page boundary, MAX_INSNS).
    e.pc(end);
    e.leaveWithPushedPc(n, false);
  }
  e.close(); // loop
  e.close(); // block $exit
  return { body: e.finish(), instructions: n, bytes: end };
}
