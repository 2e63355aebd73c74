// Instruction traces for differential testing: one line per instruction
// attempt with the icount before it, the pc, the instruction bits and the
// registers it changed. Attempts that fail to fetch are left out (QEMU's
// -d cpu log cannot show them either).
//
//   <icount> <pc> <bits> [x changes] ; <instruction>[ ; <f changes> [fcsr=..]]
//
// x-register changes come before the instruction, as `a0=<16 hex digits>`
// (tests/support/qemu-trace.ts reads them there); changes of f0..f31 and of
// fcsr come after it, as `fa0=<16 hex digits>` (raw bits: single-precision
// values NaN-boxed) and `fcsr=<2 hex digits>` (frm << 5 | fflags).
import type { Machine, Stop } from './machine';
import { ABI_NAMES, FCSR_NUMBER } from './memory-map';
import { disassemble, FP_REG_NAMES } from './disassembler';
import { instructionAt } from './instructions';

export interface TraceStep {
  icount: bigint;
  pc: bigint;
  bits: number;
  changes: { reg: number; value: bigint }[];
  /** f0..f31 the instruction changed (raw bits). */
  fpChanges?: { reg: number; value: bigint }[];
  /** fcsr after the instruction, if the instruction changed it. */
  fcsr?: number;
  /** The instruction as objdump would print it. */
  text: string;
}

export function hex64(v: bigint): string {
  return v.toString(16).padStart(16, '0');
}

export function formatTraceStep(s: TraceStep): string {
  const changes = s.changes.map((c) => `${ABI_NAMES[c.reg]}=${hex64(c.value)}`).join(' ');
  const bits = (s.bits & 3) === 3 ? s.bits.toString(16).padStart(8, '0') : (s.bits & 0xffff).toString(16).padStart(4, '0');
  const fp = (s.fpChanges ?? []).map((c) => `${FP_REG_NAMES[c.reg]}=${hex64(c.value)}`);
  if (s.fcsr !== undefined) fp.push(`fcsr=${s.fcsr.toString(16).padStart(2, '0')}`);
  return `${s.icount} ${hex64(s.pc)} ${bits}${changes ? ' ' + changes : ''} ; ${s.text}${fp.length ? ' ; ' + fp.join(' ') : ''}`;
}

/**
 * Runs one instruction attempt at a time, calling `onStep` for each, until
 * `limit` more instructions have retired or the machine stops for another
 * reason: the same stops, at the same places, as `machine.run(limit)`.
 */
export function traceRun(machine: Machine, limit: bigint, onStep: (s: TraceStep) => void): Stop {
  const symbolize = (addr: number): string | undefined => {
    const s = machine.symbols.symbolize(addr);
    return s ? (s.offset ? `${s.symbol.name}+0x${s.offset.toString(16)}` : s.symbol.name) : undefined;
  };
  let before = machine.registers();
  let fpBefore = machine.fpRegisters();
  // undefined while mstatus.FS is Off (fcsr cannot be read then).
  let fcsrBefore = machine.readCsr(FCSR_NUMBER);
  const end = machine.icount + limit;
  while (machine.icount < end) {
    const stop = machine.stepAttempt();
    // The attempted instruction may be an interrupt handler's first, not the pc before the step.
    const pc = BigInt.asUintN(64, machine.core.raw.lastAttemptPc());
    const icount = BigInt.asUintN(64, machine.core.raw.lastAttemptIcount());
    const bits = instructionAt(machine, pc)?.bits ?? 0;
    const after = machine.registers();
    const fpAfter = machine.fpRegisters();
    const fcsrAfter = machine.readCsr(FCSR_NUMBER);
    if (!machine.core.raw.lastFetchFaulted()) {
      const changes: { reg: number; value: bigint }[] = [];
      for (let r = 1; r < 32; r++) if (after[r] !== before[r]) changes.push({ reg: r, value: after[r] });
      const text = disassemble(bits, Number(pc), symbolize).text.replace('\t', ' ');
      const step: TraceStep = { icount, pc, bits, changes, text };
      const fpChanges: { reg: number; value: bigint }[] = [];
      for (let r = 0; r < 32; r++) if (fpAfter[r] !== fpBefore[r]) fpChanges.push({ reg: r, value: fpAfter[r] });
      if (fpChanges.length) step.fpChanges = fpChanges;
      if (fcsrAfter !== undefined && fcsrBefore !== undefined && fcsrAfter !== fcsrBefore) step.fcsr = Number(fcsrAfter);
      onStep(step);
    }
    before = after;
    fpBefore = fpAfter;
    fcsrBefore = fcsrAfter;
    if (stop && stop.reason !== 'budget') return stop;
  }
  return { reason: 'budget', icount: machine.icount, hart: machine.currentHart, pc: machine.pc };
}
