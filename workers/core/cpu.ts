// The interpreter: one hot loop that fetches, decodes and executes, with plain
// RAM accesses inline and everything else in bus.ts. Instruction-count rules
// follow QEMU's icount so that counts, timers and traces match it exactly:
// an instruction counts when it completes or raises ecall, ebreak or an
// illegal-instruction exception; memory-access faults and interrupts do not.
import { REGS, RAM, RAM_BASE, COMPRESSED_TABLE, DIRTY_PAGES, BREAKPOINTS, BREAKPOINT_SLOTS, BREAKPOINT_PAGES, BREAKPOINT_PAGE_BITS, EXEC_BLOCK_SHIFT } from './layout';
import {
  pc, icount, idleSkip, priv, mstatus, mip, mie, halted, timerDeadline, sliceEnd, stopReason, faulted,
  fetchLimit, dataLimit, breakpointCount, execMap, ramSize, skipBreakpointIcount, skipBreakpointPc, reservationAddress, reservationValue, NEVER,
  hartCount, PRIV_M, PRIV_S, PRIV_U, MSTATUS_TW, MSTATUS_TSR, MSTATUS_TVM, IRQ_MTI,
  STOP_NONE, STOP_BUDGET, STOP_BREAKPOINT, STOP_HOSTCALL, STOP_IDLE, STOP_LEFT_RANGE,
  IRQ_STI, CAUSE_ILLEGAL, CAUSE_BREAKPOINT, CAUSE_ECALL_U, CAUSE_LOAD_MISALIGNED, execTriggers, dataTriggers, dataThroughTlb, dataMode,
} from './state';
import { fetchSlow, loadSlow, storeSlow, probeStore, triggerFires } from './bus';
import { execTriggerFires, TRIGGER_READ, TRIGGER_WRITE } from './trigger';
import { fetchOffset, loadOffset, storeOffset, tlbFlush } from './mmu';
import { stimerDeadline, stimerFire } from './sstc';
import { idleOrSwitch, hartBusy, quantumEnd, scheduleLogFull } from './harts';
import { raiseException, pendingInterrupt, takeInterrupt, doMret, doSret, activePmpEntries, illegalInstruction, refusedInstruction } from './trap';
import { bitmanip, bitmanipMatched } from './bitmanip';
import { executeFp } from './fpu';
import { csrRead, csrWrite, csrAccessAllowed, csrIllegal } from './csr';
import { jitUsable, jitLookup, jitCheckWrite, jitExit, jitInstructions, jitBlocksRun } from './jit';

@inline function rx(i: u32): u64 { return load<u64>(REGS + (i << 3)); }
@inline function wx(i: u32, v: u64): void { store<u64>(REGS + (i << 3), v); }
@inline function sx32(v: u64): u64 { return <u64><i64><i32>v; }

function mulhu(a: u64, b: u64): u64 {
  const aLo = a & 0xffffffff, aHi = a >> 32, bLo = b & 0xffffffff, bHi = b >> 32;
  const ll = aLo * bLo, lh = aLo * bHi, hl = aHi * bLo, hh = aHi * bHi;
  const mid = (ll >> 32) + (lh & 0xffffffff) + (hl & 0xffffffff);
  return hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
}
function mulh(a: u64, b: u64): u64 {
  let r = mulhu(a, b);
  if (<i64>a < 0) r -= b;
  if (<i64>b < 0) r -= a;
  return r;
}
function mulhsu(a: u64, b: u64): u64 {
  let r = mulhu(a, b);
  if (<i64>a < 0) r -= b;
  return r;
}

/**
 * RV64M's op (funct7 1) by funct3, on 64-bit operands: the one definition the
 * interpreter and translated code (which imports it, workers/engine/jit) share.
 */
export function mulDiv64(f3: u32, a: u64, b: u64): u64 {
  switch (f3) {
    case 0: return a * b;
    case 1: return mulh(a, b);
    case 2: return mulhsu(a, b);
    case 3: return mulhu(a, b);
    case 4:
      if (b == 0) return NEVER;
      if (a == 0x8000000000000000 && b == NEVER) return a;
      return <u64>(<i64>a / <i64>b);
    case 5: return b == 0 ? NEVER : a / b;
    case 6:
      if (b == 0) return a;
      if (a == 0x8000000000000000 && b == NEVER) return 0;
      return <u64>(<i64>a % <i64>b);
    default: return b == 0 ? a : a % b;
  }
}

/** RV64M's op-32 (funct7 1) for funct3 0, 4..7 on the operands' low words; the result sign-extended. */
export function mulDiv32(f3: u32, a: u32, b: u32): u64 {
  switch (f3) {
    case 0: return sx32(<u64>(a * b));
    case 4:
      if (b == 0) return NEVER;
      if (a == 0x80000000 && b == 0xffffffff) return sx32(<u64>a);
      return <u64><i64>(<i32>a / <i32>b);
    case 5: return b == 0 ? NEVER : sx32(<u64>(a / b));
    case 6:
      if (b == 0) return sx32(<u64>a);
      if (a == 0x80000000 && b == 0xffffffff) return 0;
      return <u64><i64>(<i32>a % <i32>b);
    default: return b == 0 ? sx32(<u64>a) : sx32(<u64>(a % b));
  }
}

/** Whether the 32-bit ebreak at p is wrapped in the semihosting marker sequence. */
function isSemihostingCall(p: u64): bool {
  if (priv == PRIV_U) return false; // QEMU only honours semihosting from M and S mode
  if (((p - 4) >> 12) != ((p + 4) >> 12)) return false;
  // The marker instructions are read straight from RAM (not through the fetch fast path, which PMP or
  // watchpoints may have turned off): a semihosting call must not depend on them.
  const before = p - 4 - RAM_BASE;
  if (before >= ramSize || ramSize - before < 12) return false;
  return load<u32>(RAM + <usize>before) == 0x01f01013 && load<u32>(RAM + <usize>(before + 8)) == 0x40705013;
}

/** Whether the virtual page of `p` may hold a breakpoint (index.ts sets the bits). */
@inline function breakpointInPage(p: u64): bool {
  const bit = <u32>(((p >> 12) * 0x9e3779b97f4a7c15) >> 52) & (BREAKPOINT_PAGE_BITS - 1);
  return (load<u8>(BREAKPOINT_PAGES + (bit >> 3)) & (1 << (bit & 7))) != 0;
}

function isBreakpoint(p: u64): bool {
  let slot = <u32>((p >> 1) * 0x9e3779b97f4a7c15 >> 54) & (BREAKPOINT_SLOTS - 1);
  for (let n: u32 = 0; n < BREAKPOINT_SLOTS; n++) {
    const v = load<u64>(BREAKPOINTS + (slot << 3));
    if (v == p) return true;
    if (v == NEVER) return false;
    slot = (slot + 1) & (BREAKPOINT_SLOTS - 1);
  }
  return false;
}

/** A Zb* instruction, or else an illegal one: the encodings the base ISA leaves free in its opcodes. */
function bitmanipOrIllegal(insn: u32, raw: u32, rd: u32, rs1: u32, rs2: u32, npc: u64): void {
  const v = bitmanip(insn, rx(rs1), rx(rs2));
  if (!bitmanipMatched) { illegalInstruction(raw); return; }
  wx(rd, v);
  store<u64>(REGS, 0);
  pc = npc;
  icount++;
}

/** Whether the last instruction attempt failed to fetch (tracing leaves those out, as QEMU's log does). */
export let fetchFaulted: bool = false;
/** pc and icount of the last slice's first instruction (after any interrupt entry): what a trace shows. */
export let attemptPc: u64 = 0;
export let attemptIcount: u64 = 0;

/**
 * Executes the one instruction at pc, with every check: the path for system
 * instructions, atomics, traps and memory accesses that leave the fast path.
 * Works on the globals; the fast loop below syncs its locals around it.
 */
function executeOne(): void {
  const p = pc;
  // A guest execute trigger fires before the fetch; the instruction is not counted (and not traced, like a failed fetch).
  if (execTriggers && execTriggerFires(p)) {
    raiseException(CAUSE_BREAKPOINT, 0);
    faulted = false;
    fetchFaulted = true;
    return;
  }
  let insn: u32;
  const fo = fetchOffset(p);
  if (fo < fetchLimit) {
    insn = load<u32>(RAM + <usize>fo);
    store<u8>(execMap + <usize>(fo >> EXEC_BLOCK_SHIFT), 1);
  } else {
    insn = fetchSlow(p);
    if (faulted) { faulted = false; fetchFaulted = true; return; }
  }
  let raw = insn;
  let npc = p + 4;
  if ((insn & 3) != 3) {
    // A trap's tval holds the 16 bits of a compressed instruction, as QEMU's does.
    raw = insn & 0xffff;
    insn = load<u32>(COMPRESSED_TABLE + (raw << 2));
    npc = p + 2;
    if (insn == 0) { illegalInstruction(raw); return; }
  }
  const rd = (insn >> 7) & 31;
  const rs1 = (insn >> 15) & 31;
  const rs2 = (insn >> 20) & 31;
  const f3 = (insn >> 12) & 7;
  switch (insn & 0x7f) {
    case 0x37: // lui
      wx(rd, <u64><i64><i32>(insn & 0xfffff000));
      break;
    case 0x17: // auipc
      wx(rd, p + <u64><i64><i32>(insn & 0xfffff000));
      break;
    case 0x6f: { // jal
      const imm = ((<i32>insn >> 11) & 0xfff00000) | (insn & 0xff000) | ((insn >> 9) & 0x800) | ((insn >> 20) & 0x7fe);
      wx(rd, npc);
      npc = p + <u64><i64><i32>imm;
      break;
    }
    case 0x67: { // jalr
      if (f3 != 0) { illegalInstruction(raw); return; }
      const target = (rx(rs1) + <u64>(<i32>insn >> 20)) & ~<u64>1;
      wx(rd, npc);
      npc = target;
      break;
    }
    case 0x63: { // branches
      const a = rx(rs1), b = rx(rs2);
      let taken: bool;
      switch (f3) {
        case 0: taken = a == b; break;
        case 1: taken = a != b; break;
        case 4: taken = <i64>a < <i64>b; break;
        case 5: taken = <i64>a >= <i64>b; break;
        case 6: taken = a < b; break;
        case 7: taken = a >= b; break;
        default: illegalInstruction(raw); return;
      }
      if (taken) {
        const imm = ((<i32>insn >> 19) & 0xfffff000) | ((insn << 4) & 0x800) | ((insn >> 20) & 0x7e0) | ((insn >> 7) & 0x1e);
        npc = p + <u64><i64><i32>imm;
      }
      break;
    }
    case 0x03: { // loads
      const addr = rx(rs1) + <u64>(<i32>insn >> 20);
      const off = loadOffset(addr, <u64>1 << (f3 & 3));
      let v: u64;
      if (off < dataLimit) {
        const hp = RAM + <usize>off;
        switch (f3) {
          case 0: v = <u64><i64>load<i8>(hp); break;
          case 1: v = <u64><i64>load<i16>(hp); break;
          case 2: v = <u64><i64>load<i32>(hp); break;
          case 3: v = load<u64>(hp); break;
          case 4: v = <u64>load<u8>(hp); break;
          case 5: v = <u64>load<u16>(hp); break;
          case 6: v = <u64>load<u32>(hp); break;
          default: illegalInstruction(raw); return;
        }
      } else {
        if (f3 == 7) { illegalInstruction(raw); return; }
        const size: u64 = <u64>1 << (f3 & 3);
        v = loadSlow(addr, size);
        if (faulted) { faulted = false; return; }
        if (f3 == 0) v = <u64><i64><i8>v;
        else if (f3 == 1) v = <u64><i64><i16>v;
        else if (f3 == 2) v = <u64><i64><i32>v;
      }
      wx(rd, v);
      break;
    }
    case 0x23: { // stores
      if (f3 > 3) { illegalInstruction(raw); return; }
      const imm = ((<i32>insn >> 20) & ~31) | ((insn >> 7) & 31);
      const addr = rx(rs1) + <u64><i64>imm;
      const v = rx(rs2);
      const off = storeOffset(addr, <u64>1 << f3);
      if (off < dataLimit) {
        const hp = RAM + <usize>off;
        switch (f3) {
          case 0: store<u8>(hp, <u8>v); break;
          case 1: store<u16>(hp, <u16>v); break;
          case 2: store<u32>(hp, <u32>v); break;
          default: store<u64>(hp, v); break;
        }
        // Marks the page of the first byte; a store crossing into the next page marks it too.
        store<u8>(DIRTY_PAGES + <usize>(off >> 12), 1);
        if (((off & 0xfff) + (<u64>1 << f3)) > 0x1000) store<u8>(DIRTY_PAGES + <usize>((off >> 12) + 1), 1);
        jitCheckWrite(off, <u64>1 << f3);
      } else {
        storeSlow(addr, <u64>1 << f3, v);
        if (faulted) { faulted = false; return; }
      }
      break;
    }
    case 0x13: { // op-imm
      const a = rx(rs1);
      const imm = <u64>(<i32>insn >> 20);
      let v: u64;
      switch (f3) {
        case 0: v = a + imm; break;
        case 1: if ((insn >> 26) != 0) { bitmanipOrIllegal(insn, raw, rd, rs1, rs2, npc); return; } v = a << (imm & 63); break;
        case 2: v = <i64>a < <i64>imm ? 1 : 0; break;
        case 3: v = a < imm ? 1 : 0; break;
        case 4: v = a ^ imm; break;
        case 5: {
          const f6 = insn >> 26;
          if (f6 == 0) v = a >> (imm & 63);
          else if (f6 == 0x10) v = <u64>(<i64>a >> <i64>(imm & 63));
          else { bitmanipOrIllegal(insn, raw, rd, rs1, rs2, npc); return; }
          break;
        }
        case 6: v = a | imm; break;
        default: v = a & imm; break;
      }
      wx(rd, v);
      break;
    }
    case 0x33: { // op
      const a = rx(rs1), b = rx(rs2);
      const f7 = insn >> 25;
      let v: u64;
      if (f7 == 0) {
        switch (f3) {
          case 0: v = a + b; break;
          case 1: v = a << (b & 63); break;
          case 2: v = <i64>a < <i64>b ? 1 : 0; break;
          case 3: v = a < b ? 1 : 0; break;
          case 4: v = a ^ b; break;
          case 5: v = a >> (b & 63); break;
          case 6: v = a | b; break;
          default: v = a & b; break;
        }
      } else if (f7 == 0x20) {
        if (f3 == 0) v = a - b;
        else if (f3 == 5) v = <u64>(<i64>a >> <i64>(b & 63));
        else { bitmanipOrIllegal(insn, raw, rd, rs1, rs2, npc); return; }
      } else if (f7 == 1) {
        v = mulDiv64(f3, a, b);
      } else { bitmanipOrIllegal(insn, raw, rd, rs1, rs2, npc); return; }
      wx(rd, v);
      break;
    }
    case 0x1b: { // op-imm-32
      const a = <u32>rx(rs1);
      let v: u64;
      if (f3 == 0) v = sx32(<u64>(a + <u32>(<i32>insn >> 20)));
      else if (f3 == 1) {
        if ((insn >> 25) != 0) { bitmanipOrIllegal(insn, raw, rd, rs1, rs2, npc); return; }
        v = sx32(<u64>(a << rs2));
      } else if (f3 == 5) {
        const f7 = insn >> 25;
        if (f7 == 0) v = sx32(<u64>(a >> rs2));
        else if (f7 == 0x20) v = <u64><i64>(<i32>a >> rs2);
        else { bitmanipOrIllegal(insn, raw, rd, rs1, rs2, npc); return; }
      } else { bitmanipOrIllegal(insn, raw, rd, rs1, rs2, npc); return; }
      wx(rd, v);
      break;
    }
    case 0x3b: { // op-32
      const a = <u32>rx(rs1), b = <u32>rx(rs2);
      const f7 = insn >> 25;
      let v: u64;
      if (f7 == 0) {
        if (f3 == 0) v = sx32(<u64>(a + b));
        else if (f3 == 1) v = sx32(<u64>(a << (b & 31)));
        else if (f3 == 5) v = sx32(<u64>(a >> (b & 31)));
        else { bitmanipOrIllegal(insn, raw, rd, rs1, rs2, npc); return; }
      } else if (f7 == 0x20) {
        if (f3 == 0) v = sx32(<u64>(a - b));
        else if (f3 == 5) v = <u64><i64>(<i32>a >> (b & 31));
        else { bitmanipOrIllegal(insn, raw, rd, rs1, rs2, npc); return; }
      } else if (f7 == 1) {
        if (f3 != 0 && f3 < 4) { bitmanipOrIllegal(insn, raw, rd, rs1, rs2, npc); return; }
        v = mulDiv32(f3, a, b);
      } else { bitmanipOrIllegal(insn, raw, rd, rs1, rs2, npc); return; }
      wx(rd, v);
      break;
    }
    case 0x0f: // fence, fence.i: memory is coherent and nothing is cached
      if (f3 > 1) { illegalInstruction(raw); return; }
      break;
    case 0x07: case 0x27: case 0x43: case 0x47: case 0x4b: case 0x4f: case 0x53: // F and D
      if (!executeFp(insn, raw, p)) return;
      break;
    case 0x2f: { // atomics
      if (!executeAtomic(insn, raw, rd, rs1, rs2, f3)) return;
      break;
    }
    case 0x73: { // system
      if (f3 == 0) {
        if (insn == 0x00000073) { // ecall
          raiseException(CAUSE_ECALL_U + <u64>priv, 0);
          faulted = false;
          icount++;
          return;
        }
        if (insn == 0x00100073) { // ebreak
          if (npc - p == 4 && isSemihostingCall(p)) {
            // The engine performs the call, then completeHostCall() retires the ebreak.
            stopReason = STOP_HOSTCALL;
            return;
          }
          raiseException(CAUSE_BREAKPOINT, 0);
          faulted = false;
          icount++;
          return;
        }
        if (insn == 0x30200073) { // mret
          if (priv < PRIV_M) { refusedInstruction(raw); return; }
          // QEMU 7.2 refuses to return to S or U while no PMP entry is configured.
          const mpp = <u32>((mstatus >> 11) & 3);
          if (mpp != PRIV_M && activePmpEntries() == 0) { refusedInstruction(raw); return; }
          doMret();
          icount++;
          store<u64>(REGS, 0);
          return;
        }
        if (insn == 0x10200073) { // sret
          if (priv < PRIV_S || (priv == PRIV_S && (mstatus & MSTATUS_TSR) != 0)) { refusedInstruction(raw); return; }
          doSret();
          icount++;
          return;
        }
        if (insn == 0x10500073) { // wfi
          if (priv == PRIV_U || (priv == PRIV_S && (mstatus & MSTATUS_TW) != 0)) { refusedInstruction(raw); return; }
          if ((mip & mie) == 0) { halted = true; sliceEnd = 0; }
          break;
        }
        if ((insn >> 25) == 0x09 && rd == 0) { // sfence.vma
          if (priv == PRIV_U || (priv == PRIV_S && (mstatus & MSTATUS_TVM) != 0)) { refusedInstruction(raw); return; }
          tlbFlush(); // all of it, whatever the operands name: always allowed
          break;
        }
        illegalInstruction(raw);
        return;
      }
      if (f3 == 4) { illegalInstruction(raw); return; }
      const csr = insn >> 20;
      const immediate = (f3 & 4) != 0;
      const src: u64 = immediate ? <u64>rs1 : rx(rs1);
      const op = f3 & 3;
      // As QEMU: csrrw always writes; csrrs/csrrc (and the immediate forms) write only a non-zero mask.
      const writes = op == 1 || src != 0;
      if (!csrAccessAllowed(csr, writes)) { refusedInstruction(raw); return; }
      const old = csrRead(csr);
      if (csrIllegal) { refusedInstruction(raw); return; }
      if (writes) {
        const next = op == 1 ? src : op == 2 ? old | src : old & ~src;
        csrWrite(csr, next);
        if (csrIllegal) { refusedInstruction(raw); return; }
      }
      wx(rd, old);
      break;
    }
    default:
      illegalInstruction(raw);
      return;
  }
  store<u64>(REGS, 0);
  pc = npc;
  icount++;
}

/**
 * The hot loop: executes instructions while icount < sliceEnd, keeping pc and
 * icount in locals. Common instructions run inline; anything else (system,
 * atomics, illegal encodings, accesses off the RAM fast path) goes through
 * executeOne(). Returns early when an instruction sets stopReason or clears
 * sliceEnd (CSR writes, MMIO, traps...).
 */
function interpret(): void {
  fetchFaulted = false;
  let p = pc;
  let ic = icount;
  let end = sliceEnd;
  const checkBreakpoints = breakpointCount != 0;
  // Limits change only in the slow path (privilege, PMP, watchpoints): reloaded after it.
  let fetchEnd = fetchLimit;
  let dataEnd = dataLimit;
  // The 64-byte code block last marked in the executed-code map (reverse-continue skips segments with it).
  let execBlock: u64 = NEVER;
  // Translated blocks (jit.ts) start where control arrives: here, after a branch or jump, after the slow path.
  let useJit = jitUsable();
  let head = true;
  while (ic < end) {
    if (checkBreakpoints) {
      if ((ic != skipBreakpointIcount || p != skipBreakpointPc) && isBreakpoint(p)) {
        stopReason = STOP_BREAKPOINT;
        break;
      }
    }
    const fo = fetchOffset(p);
    let insn: u32 = 0;
    let npc = p + 4;
    let fast = fo < fetchEnd;
    if (head && useJit && fast) {
      head = false;
      // A block spans one page at most, so one outside a breakpoint's page holds none.
      const info = checkBreakpoints && breakpointInPage(p) ? 0 : jitLookup(fo);
      if (info != 0) {
        const n = <u64>(info & 0xff);
        // Entered only when the whole block fits in the slice and below the fetch limit: it then
        // retires exactly what the interpreter would, or stops early at what it does not cover.
        if (end - ic >= n && fo + (n << 2) <= fetchEnd) {
          // Loads and stores look up the TLB of dataMode when the fast path does (mode -1: RAM offsets are addresses).
          const mode: u64 = dataThroughTlb ? <u64>dataMode : <u64>-1;
          p = call_indirect<u64>(info >> 8, dataEnd, p, end - ic, mode);
          const retired = <u64>load<u32>(jitExit);
          ic += retired;
          jitInstructions += retired;
          jitBlocksRun++;
          execBlock = NEVER;
          // A block that stopped early stopped before an instruction it leaves to the interpreter
          // (which would otherwise enter the block again, retiring nothing, forever).
          head = load<u32>(jitExit, 4) == 0;
          continue;
        }
      }
    }
    if (fast) {
      const block = fo >> EXEC_BLOCK_SHIFT;
      if (block != execBlock) { execBlock = block; store<u8>(execMap + <usize>block, 1); }
      insn = load<u32>(RAM + <usize>fo);
      if ((insn & 3) != 3) {
        insn = load<u32>(COMPRESSED_TABLE + ((insn & 0xffff) << 2));
        npc = p + 2;
        fast = insn != 0;
      }
    }
    if (fast) {
      const rd = (insn >> 7) & 31;
      const rs1 = (insn >> 15) & 31;
      const f3 = (insn >> 12) & 7;
      switch (insn & 0x7f) {
        case 0x37: // lui
          wx(rd, <u64><i64><i32>(insn & 0xfffff000));
          break;
        case 0x17: // auipc
          wx(rd, p + <u64><i64><i32>(insn & 0xfffff000));
          break;
        case 0x6f: { // jal
          const imm = ((<i32>insn >> 11) & 0xfff00000) | (insn & 0xff000) | ((insn >> 9) & 0x800) | ((insn >> 20) & 0x7fe);
          wx(rd, npc);
          npc = p + <u64><i64><i32>imm;
          head = true;
          break;
        }
        case 0x67: { // jalr
          if (f3 != 0) { fast = false; break; }
          const target = (rx(rs1) + <u64>(<i32>insn >> 20)) & ~<u64>1;
          wx(rd, npc);
          npc = target;
          head = true;
          break;
        }
        case 0x63: { // branches
          const a = rx(rs1), b = rx((insn >> 20) & 31);
          let taken: bool;
          switch (f3) {
            case 0: taken = a == b; break;
            case 1: taken = a != b; break;
            case 4: taken = <i64>a < <i64>b; break;
            case 5: taken = <i64>a >= <i64>b; break;
            case 6: taken = a < b; break;
            case 7: taken = a >= b; break;
            default: taken = false; fast = false; break;
          }
          if (taken) {
            const imm = ((<i32>insn >> 19) & 0xfffff000) | ((insn << 4) & 0x800) | ((insn >> 20) & 0x7e0) | ((insn >> 7) & 0x1e);
            npc = p + <u64><i64><i32>imm;
          }
          head = true;
          break;
        }
        case 0x03: { // loads from RAM
          const off = loadOffset(rx(rs1) + <u64>(<i32>insn >> 20), <u64>1 << (f3 & 3));
          if (off >= dataEnd) { fast = false; break; }
          const hp = RAM + <usize>off;
          switch (f3) {
            case 0: wx(rd, <u64><i64>load<i8>(hp)); break;
            case 1: wx(rd, <u64><i64>load<i16>(hp)); break;
            case 2: wx(rd, <u64><i64>load<i32>(hp)); break;
            case 3: wx(rd, load<u64>(hp)); break;
            case 4: wx(rd, <u64>load<u8>(hp)); break;
            case 5: wx(rd, <u64>load<u16>(hp)); break;
            case 6: wx(rd, <u64>load<u32>(hp)); break;
            default: fast = false; break;
          }
          break;
        }
        case 0x23: { // stores to RAM
          const imm = ((<i32>insn >> 20) & ~31) | ((insn >> 7) & 31);
          const off = storeOffset(rx(rs1) + <u64><i64>imm, <u64>1 << (f3 & 3));
          if (off >= dataEnd || f3 > 3) { fast = false; break; }
          const hp = RAM + <usize>off;
          const v = rx((insn >> 20) & 31);
          switch (f3) {
            case 0: store<u8>(hp, <u8>v); break;
            case 1: store<u16>(hp, <u16>v); break;
            case 2: store<u32>(hp, <u32>v); break;
            default: store<u64>(hp, v); break;
          }
          // Marks the page of the first byte; a store crossing into the next page marks it too.
          store<u8>(DIRTY_PAGES + <usize>(off >> 12), 1);
          if (((off & 0xfff) + (<u64>1 << f3)) > 0x1000) store<u8>(DIRTY_PAGES + <usize>((off >> 12) + 1), 1);
          // A store into bytes translated code was made from drops those translations (self-modifying code).
          jitCheckWrite(off, <u64>1 << f3);
          break;
        }
        case 0x13: { // op-imm
          const a = rx(rs1);
          const imm = <u64>(<i32>insn >> 20);
          switch (f3) {
            case 0: wx(rd, a + imm); break;
            case 1: if ((insn >> 26) != 0) { fast = false; break; } wx(rd, a << (imm & 63)); break;
            case 2: wx(rd, <i64>a < <i64>imm ? 1 : 0); break;
            case 3: wx(rd, a < imm ? 1 : 0); break;
            case 4: wx(rd, a ^ imm); break;
            case 5: {
              const f6 = insn >> 26;
              if (f6 == 0) wx(rd, a >> (imm & 63));
              else if (f6 == 0x10) wx(rd, <u64>(<i64>a >> <i64>(imm & 63)));
              else fast = false;
              break;
            }
            case 6: wx(rd, a | imm); break;
            default: wx(rd, a & imm); break;
          }
          break;
        }
        case 0x33: { // op
          const a = rx(rs1), b = rx((insn >> 20) & 31);
          const f7 = insn >> 25;
          if (f7 == 0) {
            switch (f3) {
              case 0: wx(rd, a + b); break;
              case 1: wx(rd, a << (b & 63)); break;
              case 2: wx(rd, <i64>a < <i64>b ? 1 : 0); break;
              case 3: wx(rd, a < b ? 1 : 0); break;
              case 4: wx(rd, a ^ b); break;
              case 5: wx(rd, a >> (b & 63)); break;
              case 6: wx(rd, a | b); break;
              default: wx(rd, a & b); break;
            }
          } else if (f7 == 0x20 && f3 == 0) {
            wx(rd, a - b);
          } else if (f7 == 0x20 && f3 == 5) {
            wx(rd, <u64>(<i64>a >> <i64>(b & 63)));
          } else if (f7 == 1 && f3 == 0) {
            wx(rd, a * b);
          } else {
            fast = false;
          }
          break;
        }
        case 0x1b: { // op-imm-32
          const a = <u32>rx(rs1);
          const sh = (insn >> 20) & 31;
          const f7 = insn >> 25;
          if (f3 == 0) wx(rd, sx32(<u64>(a + <u32>(<i32>insn >> 20))));
          else if (f3 == 1 && f7 == 0) wx(rd, sx32(<u64>(a << sh)));
          else if (f3 == 5 && f7 == 0) wx(rd, sx32(<u64>(a >> sh)));
          else if (f3 == 5 && f7 == 0x20) wx(rd, <u64><i64>(<i32>a >> sh));
          else fast = false;
          break;
        }
        case 0x3b: { // op-32
          const a = <u32>rx(rs1), b = <u32>rx((insn >> 20) & 31);
          const f7 = insn >> 25;
          if (f7 == 0 && f3 == 0) wx(rd, sx32(<u64>(a + b)));
          else if (f7 == 0x20 && f3 == 0) wx(rd, sx32(<u64>(a - b)));
          else if (f7 == 0 && f3 == 1) wx(rd, sx32(<u64>(a << (b & 31))));
          else if (f7 == 0 && f3 == 5) wx(rd, sx32(<u64>(a >> (b & 31))));
          else if (f7 == 0x20 && f3 == 5) wx(rd, <u64><i64>(<i32>a >> (b & 31)));
          else if (f7 == 1 && f3 == 0) wx(rd, sx32(<u64>(a * b)));
          else fast = false;
          break;
        }
        default:
          fast = false;
          break;
      }
    }
    if (fast) {
      store<u64>(REGS, 0);
      p = npc;
      ic++;
      continue;
    }
    // Everything else, with all checks, on the globals.
    pc = p;
    icount = ic;
    executeOne();
    p = pc;
    ic = icount;
    end = sliceEnd;
    fetchEnd = fetchLimit;
    dataEnd = dataLimit;
    useJit = jitUsable();
    head = true;
    if (stopReason != STOP_NONE) break;
  }
  pc = p;
  icount = ic;
}

/**
 * LR/SC and AMOs, through the slow path (they are rare): the read first (a
 * fault there is a load access fault, as QEMU 7.2 reports for AMOs), then the
 * write. Misalignment raises load-address-misaligned, as QEMU 7.2 does.
 * Returns false if the instruction trapped.
 */
function executeAtomic(insn: u32, raw: u32, rd: u32, rs1: u32, rs2: u32, f3: u32): bool {
  if (f3 != 2 && f3 != 3) { illegalInstruction(raw); return false; }
  const size: u64 = f3 == 2 ? 4 : 8;
  const addr = rx(rs1);
  const f5 = insn >> 27;
  if (f5 == 2) { // lr
    if (rs2 != 0) { illegalInstruction(raw); return false; }
    if ((addr & (size - 1)) != 0) { raiseException(CAUSE_LOAD_MISALIGNED, addr); faulted = false; return false; }
    let v = loadSlow(addr, size);
    if (faulted) { faulted = false; return false; }
    if (size == 4) v = sx32(v);
    reservationAddress = addr;
    reservationValue = v;
    wx(rd, v);
    return true;
  }
  if (f5 == 3) { // sc: succeeds if the reservation is for this address and memory still holds the loaded value
    if (reservationAddress != addr) { reservationAddress = NEVER; wx(rd, 1); return true; }
    reservationAddress = NEVER;
    if ((addr & (size - 1)) != 0) { raiseException(CAUSE_LOAD_MISALIGNED, addr); faulted = false; return false; }
    // A load trigger on the read part fires before any translation (QEMU 7.2 reads first when it checks triggers).
    if (dataTriggers && triggerFires(addr, size, TRIGGER_READ)) { faulted = false; return false; }
    let current = loadSlow(addr, size);
    if (faulted) { faulted = false; return false; }
    // As QEMU 7.2: the load side translates first (a page fault there is a load
    // page fault), then the store side, before anything is written.
    if (!probeStore(addr)) { faulted = false; return false; }
    if (size == 4) current = sx32(current);
    if (current != reservationValue) {
      // QEMU 7.2 (one hart, so its cmpxchg is a load and a store) writes the old value back: a store trigger still fires.
      if (dataTriggers && triggerFires(addr, size, TRIGGER_WRITE)) { faulted = false; return false; }
      wx(rd, 1);
      return true;
    }
    storeSlow(addr, size, rx(rs2));
    if (faulted) { faulted = false; return false; }
    wx(rd, 0);
    return true;
  }
  switch (f5) {
    case 0x01: case 0x00: case 0x04: case 0x0c: case 0x08: case 0x10: case 0x14: case 0x18: case 0x1c: break;
    default: illegalInstruction(raw); return false;
  }
  if ((addr & (size - 1)) != 0) { raiseException(CAUSE_LOAD_MISALIGNED, addr); faulted = false; return false; }
  if (dataTriggers && triggerFires(addr, size, TRIGGER_READ)) { faulted = false; return false; }
  let old = loadSlow(addr, size);
  if (faulted) { faulted = false; return false; }
  if (!probeStore(addr)) { faulted = false; return false; }
  if (size == 4) old = sx32(old);
  const b = size == 4 ? sx32(rx(rs2)) : rx(rs2);
  let v: u64;
  switch (f5) {
    case 0x01: v = b; break;
    case 0x00: v = old + b; break;
    case 0x04: v = old ^ b; break;
    case 0x0c: v = old & b; break;
    case 0x08: v = old | b; break;
    case 0x10: v = <i64>old < <i64>b ? old : b; break;
    case 0x14: v = <i64>old > <i64>b ? old : b; break;
    case 0x18: v = (size == 4 ? (old & 0xffffffff) < (b & 0xffffffff) : old < b) ? old : b; break;
    default: v = (size == 4 ? (old & 0xffffffff) > (b & 0xffffffff) : old > b) ? old : b; break;
  }
  storeSlow(addr, size, v);
  if (faulted) { faulted = false; return false; }
  wx(rd, old);
  return true;
}

export const RUN_SKIP_BREAKPOINT: u32 = 1;
export const RUN_SINGLE_ATTEMPT: u32 = 2;
/** Stop at the first instruction boundary where pc is outside [stepRangeLo, stepRangeHi): source-line stepping. */
export const RUN_IN_RANGE: u32 = 4;

export let stepRangeLo: u64 = 0;
export let stepRangeHi: u64 = 0;
export function setStepRange(lo: u64, hi: u64): void { stepRangeLo = lo; stepRangeHi = hi; }

export function run(budget: u64, flags: u32): i32 {
  stopReason = STOP_NONE;
  const end = icount + budget;
  skipBreakpointIcount = (flags & RUN_SKIP_BREAKPOINT) != 0 ? icount : NEVER;
  skipBreakpointPc = pc;
  const singleAttempt = (flags & RUN_SINGLE_ATTEMPT) != 0;
  // Range stepping runs one instruction per slice: the range is checked at every boundary, in wasm.
  const inRange = (flags & RUN_IN_RANGE) != 0;
  while (true) {
    // Instruction boundary: the schedule, timers, interrupts, idle.
    if (hartCount > 1) {
      if (icount >= quantumEnd) { hartBusy(); idleOrSwitch(); }
      // The engine drains the log and calls again (a single attempt always finds it drained).
      if (scheduleLogFull() && !singleAttempt) return STOP_BUDGET;
    }
    if (timerDeadline != NEVER && icount + idleSkip >= timerDeadline) {
      mip |= IRQ_MTI;
      timerDeadline = NEVER;
    }
    const sDeadline = stimerDeadline();
    if (sDeadline != NEVER && icount + idleSkip >= sDeadline) stimerFire();
    const irq = pendingInterrupt();
    if (irq >= 0) {
      takeInterrupt(irq);
      if (stopReason != STOP_NONE) return stopReason;
    }
    if (halted) {
      if ((mip & mie) != 0) {
        halted = false; // woken by an interrupt that is pending but globally disabled
      } else if (hartCount > 1) {
        // This hart waits: the next one runs; when every hart waits, time skips to the earliest deadline.
        if (!idleOrSwitch()) return STOP_IDLE;
        continue;
      } else if (wakeDeadline() != NEVER) {
        idleSkip = wakeDeadline() - icount; // skip idle time to the deadline
        continue;
      } else {
        return STOP_IDLE;
      }
    }
    if (hartCount > 1) hartBusy();
    if (inRange && (pc < stepRangeLo || pc >= stepRangeHi)) return STOP_LEFT_RANGE;
    if (icount >= end) return STOP_BUDGET;
    let limit = end;
    if (hartCount > 1 && quantumEnd < limit) limit = quantumEnd;
    if (timerDeadline != NEVER) {
      const due = timerDeadline - idleSkip;
      if (due < limit) limit = due;
    }
    const sNext = stimerDeadline();
    if (sNext != NEVER) {
      const due = sNext - idleSkip;
      if (due < limit) limit = due;
    }
    sliceEnd = singleAttempt || inRange ? icount + 1 : limit;
    attemptPc = pc;
    attemptIcount = icount;
    interpret();
    if (stopReason != STOP_NONE) return stopReason;
    if (singleAttempt) return STOP_BUDGET;
  }
}

/** The earliest timer deadline whose interrupt is enabled in mie (a WFI sleeps until it), or NEVER. */
function wakeDeadline(): u64 {
  let wake = (mie & IRQ_MTI) != 0 ? timerDeadline : NEVER;
  const s = stimerDeadline();
  if ((mie & IRQ_STI) != 0 && s < wake) wake = s;
  return wake;
}

/** Retires the semihosting ebreak the engine has just serviced. */
export function completeHostCall(): void {
  pc += 4;
  icount++;
}

