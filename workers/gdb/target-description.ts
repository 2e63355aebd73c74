// The RV64 target description GDB reads with qXfer:features:read, and the
// register numbering it implies for the g, p and P packets:
//   0-31   x0..x31 (org.gnu.gdb.riscv.cpu), 32 pc
//   33-64  f0..f31 (org.gnu.gdb.riscv.fpu), 64 bits each (FLEN 64: D)
//   66-68  fflags, frm, fcsr, in the fpu feature: CSR numbers 1-3 at 65+N,
//          32 bits wide, as in GDB's own 64bit-fpu.xml and as QEMU numbers them
//   65+N   CSR number N (org.gnu.gdb.riscv.csr), as QEMU numbers them
//   4161   priv, the privilege level (org.gnu.gdb.riscv.virtual)
// The g packet carries x0..x31, pc and f0..f31; everything else is read with p.
import { ABI_NAMES, FP_ABI_NAMES, FP_CSRS, MAIN_CSRS } from '../engine/memory-map';

export const PC_REGNUM = 32;
export const FP_BASE_REGNUM = 33;
export const CSR_BASE_REGNUM = 65;
export const PRIV_REGNUM = CSR_BASE_REGNUM + 4096;

/** The CSRs described to GDB: the debugger's main ones, then counters, IDs and PMP. */
export const DESCRIBED_CSRS: ReadonlyArray<readonly [string, number]> = [
  ...MAIN_CSRS,
  ['mcounteren', 0x306], ['scounteren', 0x106], ['mcountinhibit', 0x320],
  ['mvendorid', 0xf11], ['marchid', 0xf12], ['mimpid', 0xf13],
  ['cycle', 0xc00], ['time', 0xc01], ['instret', 0xc02],
  ['pmpcfg0', 0x3a0], ['pmpcfg2', 0x3a2],
  ...Array.from({ length: 16 }, (_, i) => [`pmpaddr${i}`, 0x3b0 + i] as const),
];

/** GDB's names for x0..x31 in the cpu feature (x8 is "fp" there). */
const CPU_NAMES = ABI_NAMES.map((n) => (n === 's0' ? 'fp' : n));

function cpuRegisterType(name: string): string {
  if (name === 'ra') return 'code_ptr';
  if (name === 'sp' || name === 'gp' || name === 'tp' || name === 'fp') return 'data_ptr';
  return 'int';
}

export function targetXml(): string {
  const cpu = CPU_NAMES.map((name, i) => `    <reg name="${name}" bitsize="64" type="${cpuRegisterType(name)}" regnum="${i}"/>`);
  cpu.push(`    <reg name="pc" bitsize="64" type="code_ptr" regnum="${PC_REGNUM}"/>`);
  const fpu = [
    // GDB's own type for 64-bit FP registers: a single (NaN-boxed in the low half) or a double.
    '    <union id="riscv_double">',
    '      <field name="float" type="ieee_single"/>',
    '      <field name="double" type="ieee_double"/>',
    '    </union>',
    ...FP_ABI_NAMES.map((name, i) => `    <reg name="${name}" bitsize="64" type="riscv_double" regnum="${FP_BASE_REGNUM + i}"/>`),
    ...FP_CSRS.map(([name, num]) => `    <reg name="${name}" bitsize="32" type="int" regnum="${CSR_BASE_REGNUM + num}"/>`),
  ];
  const csr = DESCRIBED_CSRS.map(([name, num]) => `    <reg name="${name}" bitsize="64" type="int" regnum="${CSR_BASE_REGNUM + num}" group="csr"/>`);
  return [
    '<?xml version="1.0"?>',
    '<!DOCTYPE target SYSTEM "gdb-target.dtd">',
    '<target version="1.0">',
    '  <architecture>riscv:rv64</architecture>',
    // Bare metal: without this GDB assumes its default OS ABI (GNU/Linux on Debian) and single-steps with breakpoints.
    '  <osabi>none</osabi>',
    '  <feature name="org.gnu.gdb.riscv.cpu">',
    ...cpu,
    '  </feature>',
    '  <feature name="org.gnu.gdb.riscv.fpu">',
    ...fpu,
    '  </feature>',
    '  <feature name="org.gnu.gdb.riscv.csr">',
    ...csr,
    '  </feature>',
    '  <feature name="org.gnu.gdb.riscv.virtual">',
    `    <reg name="priv" bitsize="64" type="int" regnum="${PRIV_REGNUM}"/>`,
    '  </feature>',
    '</target>',
    '',
  ].join('\n');
}

const DESCRIBED_CSR_NUMBERS = new Set(DESCRIBED_CSRS.map(([, n]) => n));

/** The floating-point CSRs are described in the fpu feature, 32 bits wide. */
const FP_CSR_NUMBERS = new Set(FP_CSRS.map(([, n]) => n));

export type RegisterRef =
  | { kind: 'x'; index: number }
  | { kind: 'pc' }
  | { kind: 'f'; index: number }
  /** `bits`: the width the description gives it (64, or 32 for the FP CSRs). */
  | { kind: 'csr'; csr: number; bits: 32 | 64 }
  | { kind: 'priv' };

/** What a remote register number refers to, or undefined if the description has no such register. */
export function registerAt(regnum: number): RegisterRef | undefined {
  if (regnum >= 0 && regnum < 32) return { kind: 'x', index: regnum };
  if (regnum === PC_REGNUM) return { kind: 'pc' };
  if (regnum >= FP_BASE_REGNUM && regnum < FP_BASE_REGNUM + 32) return { kind: 'f', index: regnum - FP_BASE_REGNUM };
  if (regnum === PRIV_REGNUM) return { kind: 'priv' };
  const csr = regnum - CSR_BASE_REGNUM;
  if (FP_CSR_NUMBERS.has(csr)) return { kind: 'csr', csr, bits: 32 };
  if (csr >= 0 && csr < 4096 && DESCRIBED_CSR_NUMBERS.has(csr)) return { kind: 'csr', csr, bits: 64 };
  return undefined;
}
