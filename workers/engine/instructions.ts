// Reading the instruction at an address and telling calls and returns apart:
// what step-over, line stepping and the UI need to know about control flow.
import type { Machine } from './machine';

export interface Instruction {
  /** The 32-bit word at the address (only the low 16 bits matter for a compressed instruction). */
  bits: number;
  length: 2 | 4;
}

/** The instruction at pc, or undefined if pc is not in RAM or ROM. */
export function instructionAt(machine: Machine, pc: bigint): Instruction | undefined {
  const b = machine.readMemory(pc, 4) ?? machine.readMemory(pc, 2);
  if (!b) return undefined;
  const bits = b.reduce((acc, x, i) => acc | (x << (8 * i)), 0) >>> 0;
  return { bits, length: (bits & 3) === 3 ? 4 : 2 };
}

/** jal/jalr linking ra or t0, and c.jalr: the instructions that make calls. */
export function isCall(bits: number): boolean {
  if ((bits & 3) !== 3) return (bits & 0xf07f) === 0x9002 && ((bits >> 7) & 31) !== 0; // c.jalr
  const op = bits & 0x7f;
  const rd = (bits >> 7) & 31;
  return (op === 0x6f || (op === 0x67 && ((bits >> 12) & 7) === 0)) && (rd === 1 || rd === 5);
}

/** A return: jalr that links nothing (ret, jr) or c.jr. */
export function isReturn(bits: number): boolean {
  if ((bits & 3) !== 3) return (bits & 0xf07f) === 0x8002 && ((bits >> 7) & 31) !== 0; // c.jr
  return (bits & 0x7f) === 0x67 && ((bits >> 7) & 31) === 0;
}

/** Anything that can end a call: a return, a jalr linking t0 (millicode returns), or an xRET. */
export function isReturnLike(bits: number): boolean {
  if (isReturn(bits)) return true;
  if ((bits & 3) === 3 && (bits & 0x7f) === 0x67 && ((bits >> 7) & 31) === 5) return true;
  return bits === 0x30200073 || bits === 0x10200073;
}

/** The address of a call instruction that ends right before `ret`, if there is one. */
export function callSiteBefore(machine: Machine, ret: bigint): bigint | undefined {
  const four = instructionAt(machine, ret - 4n);
  if (four && four.length === 4 && isCall(four.bits)) return ret - 4n;
  const two = instructionAt(machine, ret - 2n);
  if (two && two.length === 2 && isCall(two.bits)) return ret - 2n;
  return undefined;
}
