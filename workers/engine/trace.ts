// Instruction traces for differential testing: one line per instruction
// attempt with the icount before it, the pc, the instruction bits and the
// registers it changed. Attempts that fail to fetch are left out (QEMU's
// -d cpu log cannot show them either).
import type { Machine, Stop } from './machine';
import { ABI_NAMES } from './memory-map';
import { disassemble } from './disassembler';
import { instructionAt } from './instructions';

export interface TraceStep {
  icount: bigint;
  pc: bigint;
  bits: number;
  changes: { reg: number; value: bigint }[];
  /** The instruction as objdump would print it. */
  text: string;
}

export function hex64(v: bigint): string {
  return v.toString(16).padStart(16, '0');
}

export function formatTraceStep(s: TraceStep): string {
  const changes = s.changes.map((c) => `${ABI_NAMES[c.reg]}=${hex64(c.value)}`).join(' ');
  const bits = (s.bits & 3) === 3 ? s.bits.toString(16).padStart(8, '0') : (s.bits & 0xffff).toString(16).padStart(4, '0');
  return `${s.icount} ${hex64(s.pc)} ${bits}${changes ? ' ' + changes : ''} ; ${s.text}`;
}

/**
 * Runs up to `limit` attempts one at a time, calling `onStep` for each, until
 * the machine stops for a reason other than its one-step budget.
 */
export function traceRun(machine: Machine, limit: bigint, onStep: (s: TraceStep) => void): Stop {
  const symbolize = (addr: number): string | undefined => {
    const s = machine.symbols.symbolize(addr);
    return s ? (s.offset ? `${s.symbol.name}+0x${s.offset.toString(16)}` : s.symbol.name) : undefined;
  };
  let before = machine.registers();
  for (let n = 0n; n < limit; n++) {
    const stop = machine.stepAttempt();
    // The attempted instruction may be an interrupt handler's first, not the pc before the step.
    const pc = BigInt.asUintN(64, machine.core.raw.lastAttemptPc());
    const icount = BigInt.asUintN(64, machine.core.raw.lastAttemptIcount());
    const bits = instructionAt(machine, pc)?.bits ?? 0;
    const after = machine.registers();
    if (!machine.core.raw.lastFetchFaulted()) {
      const changes: { reg: number; value: bigint }[] = [];
      for (let r = 1; r < 32; r++) if (after[r] !== before[r]) changes.push({ reg: r, value: after[r] });
      const text = disassemble(bits, Number(pc), symbolize).text.replace('\t', ' ');
      onStep({ icount, pc, bits, changes, text });
    }
    before = after;
    if (stop && stop.reason !== 'budget') return stop;
  }
  return { reason: 'budget', icount: machine.icount, pc: machine.pc };
}
