// The message for a trap loop: a trap whose handler traps again at once, for
// ever. What the user needs is the trap that started it (the program's own
// fault), and why its handler cannot run, not the handler's endless fault.
import { disassemble } from './disassembler';
import type { SymbolTable } from '../formats/elf';

const CAUSES: Record<number, string> = {
  0: 'instruction address misaligned',
  1: 'instruction access fault',
  2: 'illegal instruction',
  3: 'breakpoint',
  4: 'load address misaligned',
  5: 'load access fault',
  6: 'store/AMO address misaligned',
  7: 'store/AMO access fault',
  8: 'ecall from U-mode',
  9: 'ecall from S-mode',
  11: 'ecall from M-mode',
  12: 'instruction page fault',
  13: 'load page fault',
  15: 'store/AMO page fault',
};

const NO_TRAP = (1n << 64n) - 1n;
const hex = (v: bigint | number) => `0x${v.toString(16)}`;

export function causeName(cause: bigint): string {
  return CAUSES[Number(cause)] ?? `exception ${cause}`;
}

/** One trap as a user reads it: what, with its instruction or address. */
export function describeTrap(cause: bigint, tval: bigint, pc: bigint, symbols: SymbolTable): string {
  const at = `at pc ${hex(pc)} (${symbols.format(Number(pc))})`;
  switch (Number(cause)) {
    case 2: {
      if (tval === 0n) return `illegal instruction ${at}`;
      const bits = Number(tval & 0xffffffffn);
      const text = disassemble(bits, Number(pc)).text.replace(/\s+/g, ' ');
      const width = (bits & 3) === 3 ? 8 : 4;
      return `illegal instruction 0x${bits.toString(16).padStart(width, '0')} (${text}) ${at}`;
    }
    case 0: case 1: case 4: case 5: case 6: case 7: case 12: case 13: case 15:
      return `${causeName(cause)} at address ${hex(tval)} ${at}`;
    default:
      return `${causeName(cause)} ${at}`;
  }
}

export interface TrapLoopFacts {
  /** The trap before the loop (pc all ones: none, the very first trap looped). */
  firstCause: bigint;
  firstTval: bigint;
  firstPc: bigint;
  /** The privilege level the first trap's handler runs in: 1 (S) means stvec. */
  handlerPriv: number;
  /** The handler address, where the loop is. */
  handler: bigint;
  /** The trap the handler itself raises. */
  loopCause: bigint;
}

export function trapLoopMessage(f: TrapLoopFacts, symbols: SymbolTable): string {
  const vector = f.handlerPriv === 1 ? 'stvec' : 'mtvec';
  const handlerFault = `it raises ${causeName(f.loopCause)} there, again and again`;
  if (f.firstPc === NO_TRAP) {
    return `trap loop: the trap handler at ${hex(f.handler)} cannot run (${handlerFault})`;
  }
  const first = describeTrap(f.firstCause, f.firstTval, f.firstPc, symbols);
  return `trap loop: ${first}, and ${vector} is ${hex(f.handler)}, so the trap handler at ${hex(f.handler)} cannot run (${handlerFault})`;
}
