// QEMU virt board memory map (the subset Hindsight models), from the board table (board.ts).
import { BOARD, RAM_BASE } from './board';

export { RAM_BASE };
export const DEFAULT_RAM_MIB = 128;
export const MAX_RAM_MIB = 2048;

export interface MemoryMapDevice {
  id: string;
  name: string;
  base: number;
  size: number;
  /** PLIC sources. */
  irqs: readonly number[];
  /** Whether the UI's memory map shows it. */
  ui: boolean;
}

/** Every device of the board, by address (board.ts BOARD): the ELF loader's overlap check and the UI's memory map. */
export const DEVICES: readonly MemoryMapDevice[] = BOARD.map(({ id, name, base, size, irqs, ui }) => ({ id, name, base, size, irqs, ui }));

export const ABI_NAMES = [
  'zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 's0', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5',
  'a6', 'a7', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6',
] as const;

/** f0..f31 by ABI name. */
export const FP_ABI_NAMES = [
  'ft0', 'ft1', 'ft2', 'ft3', 'ft4', 'ft5', 'ft6', 'ft7', 'fs0', 'fs1', 'fa0', 'fa1', 'fa2', 'fa3', 'fa4', 'fa5',
  'fa6', 'fa7', 'fs2', 'fs3', 'fs4', 'fs5', 'fs6', 'fs7', 'fs8', 'fs9', 'fs10', 'fs11', 'ft8', 'ft9', 'ft10', 'ft11',
] as const;

/** The floating-point CSRs (readable only while mstatus.FS is not Off). */
export const FP_CSRS: ReadonlyArray<readonly [string, number]> = [['fflags', 0x001], ['frm', 0x002], ['fcsr', 0x003]];
/** fcsr: frm << 5 | fflags. */
export const FCSR_NUMBER = 0x003;

export const PRIVILEGE_NAMES: Record<number, string> = { 0: 'U', 1: 'S', 3: 'M' };

/** CSRs a debugger shows, by number. */
export const MAIN_CSRS: ReadonlyArray<readonly [string, number]> = [
  ['mstatus', 0x300], ['misa', 0x301], ['medeleg', 0x302], ['mideleg', 0x303], ['mie', 0x304], ['mtvec', 0x305],
  ['mscratch', 0x340], ['mepc', 0x341], ['mcause', 0x342], ['mtval', 0x343], ['mip', 0x344],
  ['sstatus', 0x100], ['sie', 0x104], ['stvec', 0x105], ['sscratch', 0x140], ['sepc', 0x141], ['scause', 0x142],
  ['stval', 0x143], ['sip', 0x144], ['satp', 0x180], ['mcycle', 0xb00], ['minstret', 0xb02], ['mhartid', 0xf14],
];
