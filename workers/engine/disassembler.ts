/**
 * RISC-V disassembler for RV64GC (IMAFDC + Zicsr + Zifencei), Zba, Zbb, Zbc,
 * Zbs and the privileged instructions.
 *
 * The output follows what GNU objdump (binutils 2.40) prints by default for
 * an object built with `-march=rv64gc_zba_zbb_zbc_zbs`: ABI register names,
 * objdump's alias selection (`li`, `mv`, `ret`, `j`, `beqz`, `csrr`,
 * `sext.w`, `fmv.d`, `fneg.s`, `frcsr`, `zext.w`, `rev8`, ...), rounding
 * modes shown only when they are not `dyn` (`fadd.d fa0,fa0,fa1,rtz`), and
 * its quirks, e.g. register-immediate arithmetic is shown with the
 * register-register mnemonic (`addi` prints as `add a0,a1,5`, `slli` as
 * `sll a0,a1,0x3`, `rori` as `ror a0,a1,0x3`, `bseti` as `bset a0,a1,0x3`,
 * `csrrwi` as `csrrw a0,mstatus,5`). Compressed
 * instructions are shown in their expanded form; compressed HINT encodings use
 * objdump's `c.`-prefixed spellings. Encodings that objdump does not recognise
 * are shown as `.2byte 0x...` / `.4byte 0x...`; `unimp` is the all-zero
 * halfword and `csrrw zero,cycle,zero`.
 *
 * Not reproduced: objdump's trailing `# <address> <symbol>` comments (they
 * depend on earlier instructions and on the gp value), and encodings of 48
 * bits or more (low bits `11111`), which objdump reads as longer
 * instructions; here they count as 4 bytes and print as `.4byte`.
 *
 * Pure: no I/O, no platform APIs.
 */

import { FP_ABI_NAMES } from './memory-map';

export interface Disassembled {
  /** Size of the instruction in bytes. */
  length: 2 | 4;
  mnemonic: string;
  /** Operands as objdump prints them, e.g. `a0,8(sp)` or `80000024 <_start>`. */
  operands: string;
  /** `mnemonic + '\t' + operands`, or just the mnemonic when there are no operands. */
  text: string;
  /** Absolute target address of a branch or direct jump. */
  target?: number;
}

/** Returns a symbol name for an address, e.g. `main` or `loop+0x8`, or undefined. */
export type Symbolizer = (address: number) => string | undefined;

const REG_NAMES: readonly string[] = [
  'zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2',
  's0', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5',
  'a6', 'a7', 's2', 's3', 's4', 's5', 's6', 's7',
  's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6',
];

/** ABI names of f0..f31, as objdump prints them. */
export const FP_REG_NAMES: readonly string[] = FP_ABI_NAMES;

/** Rounding-mode operand names (rm 5 and 6 are reserved: objdump prints `unknown`). */
export const ROUNDING_MODES: readonly string[] = ['rne', 'rtz', 'rdn', 'rup', 'rmm', 'unknown', 'unknown', 'dyn'];

/** Length of the instruction whose first halfword is in the low 16 bits of `bits`. */
export function instructionLength(bits: number): 2 | 4 {
  return (bits & 3) === 3 ? 4 : 2;
}

// ---------------------------------------------------------------------------
// CSR names
//
// objdump names CSRs according to the privileged-spec version recorded in the
// ELF (Tag_RISCV_priv_spec); without that attribute it uses the newest one.
// GNU as 2.40 records 1.11 in every object that uses a CSR instruction.

/** Privileged architecture version that selects CSR names. */
export type PrivSpec = '1.9.1' | '1.10' | '1.11' | '1.12';

export interface DisassemblerOptions {
  /** CSR naming; default '1.11' (what GNU as 2.40 records in objects that use CSRs). */
  privSpec?: PrivSpec;
}

const PRIV_SPEC_ORDER: Readonly<Record<PrivSpec, number>> = { '1.9.1': 0, '1.10': 1, '1.11': 2, '1.12': 3 };
const DEFAULT_PRIV_SPEC: PrivSpec = '1.11';

/** CSRs whose names exist in every privileged-spec version. */
const CSR_COMMON: readonly (readonly [number, string])[] = [
  // Unprivileged floating-point, vector, entropy source.
  [0x001, 'fflags'], [0x002, 'frm'], [0x003, 'fcsr'],
  [0x008, 'vstart'], [0x009, 'vxsat'], [0x00a, 'vxrm'], [0x00f, 'vcsr'],
  [0x015, 'seed'],
  // Supervisor.
  [0x100, 'sstatus'], [0x104, 'sie'], [0x105, 'stvec'],
  [0x10c, 'sstateen0'], [0x10d, 'sstateen1'], [0x10e, 'sstateen2'], [0x10f, 'sstateen3'],
  [0x114, 'sieh'],
  [0x140, 'sscratch'], [0x141, 'sepc'], [0x142, 'scause'], [0x144, 'sip'],
  [0x14d, 'stimecmp'], [0x150, 'siselect'], [0x151, 'sireg'], [0x154, 'siph'],
  [0x15c, 'stopei'], [0x15d, 'stimecmph'],
  // Virtual supervisor.
  [0x200, 'vsstatus'], [0x204, 'vsie'], [0x205, 'vstvec'], [0x214, 'vsieh'],
  [0x240, 'vsscratch'], [0x241, 'vsepc'], [0x242, 'vscause'], [0x243, 'vstval'], [0x244, 'vsip'],
  [0x24d, 'vstimecmp'], [0x250, 'vsiselect'], [0x251, 'vsireg'], [0x254, 'vsiph'],
  [0x25c, 'vstopei'], [0x25d, 'vstimecmph'],
  [0x280, 'vsatp'],
  // Machine.
  [0x300, 'mstatus'], [0x301, 'misa'], [0x302, 'medeleg'], [0x303, 'mideleg'],
  [0x304, 'mie'], [0x305, 'mtvec'], [0x308, 'mvien'], [0x309, 'mvip'],
  [0x30c, 'mstateen0'], [0x30d, 'mstateen1'], [0x30e, 'mstateen2'], [0x30f, 'mstateen3'],
  [0x313, 'midelegh'], [0x314, 'mieh'], [0x318, 'mvienh'], [0x319, 'mviph'],
  [0x31c, 'mstateen0h'], [0x31d, 'mstateen1h'], [0x31e, 'mstateen2h'], [0x31f, 'mstateen3h'],
  [0x340, 'mscratch'], [0x341, 'mepc'], [0x342, 'mcause'], [0x344, 'mip'],
  [0x350, 'miselect'], [0x351, 'mireg'], [0x354, 'miph'], [0x35c, 'mtopei'],
  [0x5a8, 'scontext'],
  // Hypervisor.
  [0x600, 'hstatus'], [0x602, 'hedeleg'], [0x603, 'hideleg'], [0x604, 'hie'],
  [0x605, 'htimedelta'], [0x606, 'hcounteren'], [0x607, 'hgeie'], [0x608, 'hvien'],
  [0x609, 'hvictl'], [0x60a, 'henvcfg'],
  [0x60c, 'hstateen0'], [0x60d, 'hstateen1'], [0x60e, 'hstateen2'], [0x60f, 'hstateen3'],
  [0x613, 'hidelegh'], [0x615, 'htimedeltah'], [0x618, 'hvienh'], [0x61a, 'henvcfgh'],
  [0x61c, 'hstateen0h'], [0x61d, 'hstateen1h'], [0x61e, 'hstateen2h'], [0x61f, 'hstateen3h'],
  [0x643, 'htval'], [0x644, 'hip'], [0x645, 'hvip'], [0x646, 'hviprio1'], [0x647, 'hviprio2'],
  [0x64a, 'htinst'], [0x655, 'hviph'], [0x656, 'hviprio1h'], [0x657, 'hviprio2h'],
  [0x680, 'hgatp'], [0x6a8, 'hcontext'],
  // Debug and trace.
  [0x7a0, 'tselect'], [0x7a1, 'tdata1'], [0x7a2, 'tdata2'], [0x7a3, 'tdata3'],
  [0x7a4, 'tinfo'], [0x7a5, 'tcontrol'], [0x7a8, 'mcontext'], [0x7aa, 'mscontext'],
  [0x7b0, 'dcsr'], [0x7b1, 'dpc'], [0x7b2, 'dscratch0'], [0x7b3, 'dscratch1'],
  // Counters.
  [0xb00, 'mcycle'], [0xb02, 'minstret'], [0xb80, 'mcycleh'], [0xb82, 'minstreth'],
  [0xc00, 'cycle'], [0xc01, 'time'], [0xc02, 'instret'],
  [0xc20, 'vl'], [0xc21, 'vtype'], [0xc22, 'vlenb'],
  [0xc80, 'cycleh'], [0xc81, 'timeh'], [0xc82, 'instreth'],
  [0xda0, 'scountovf'], [0xdb0, 'stopi'], [0xe12, 'hgeip'], [0xeb0, 'vstopi'],
  // Machine information.
  [0xf11, 'mvendorid'], [0xf12, 'marchid'], [0xf13, 'mimpid'], [0xf14, 'mhartid'],
  [0xfb0, 'mtopi'],
];

/** CSR names tied to a range of versions: [number, name, first version, first version without it]. */
const CSR_VERSIONED: readonly (readonly [number, string, PrivSpec, PrivSpec | undefined])[] = [
  // User-level interrupts (N extension), dropped in 1.12.
  [0x000, 'ustatus', '1.9.1', '1.12'], [0x004, 'uie', '1.9.1', '1.12'], [0x005, 'utvec', '1.9.1', '1.12'],
  [0x040, 'uscratch', '1.9.1', '1.12'], [0x041, 'uepc', '1.9.1', '1.12'], [0x042, 'ucause', '1.9.1', '1.12'],
  [0x043, 'ubadaddr', '1.9.1', '1.10'], [0x043, 'utval', '1.10', '1.12'], [0x044, 'uip', '1.9.1', '1.12'],
  [0x102, 'sedeleg', '1.9.1', '1.12'], [0x103, 'sideleg', '1.9.1', '1.12'],
  // Renamed or introduced in 1.10.
  [0x106, 'scounteren', '1.10', undefined],
  [0x143, 'sbadaddr', '1.9.1', '1.10'], [0x143, 'stval', '1.10', undefined],
  [0x180, 'sptbr', '1.9.1', '1.10'], [0x180, 'satp', '1.10', undefined],
  [0x306, 'mcounteren', '1.10', undefined],
  [0x343, 'mbadaddr', '1.9.1', '1.10'], [0x343, 'mtval', '1.10', undefined],
  [0x320, 'mucounteren', '1.9.1', '1.10'], [0x321, 'mscounteren', '1.9.1', '1.10'],
  [0x322, 'mhcounteren', '1.9.1', '1.10'],
  [0x380, 'mbase', '1.9.1', '1.10'], [0x381, 'mbound', '1.9.1', '1.10'], [0x382, 'mibase', '1.9.1', '1.10'],
  [0x383, 'mibound', '1.9.1', '1.10'], [0x384, 'mdbase', '1.9.1', '1.10'], [0x385, 'mdbound', '1.9.1', '1.10'],
  // Introduced in 1.11.
  [0x320, 'mcountinhibit', '1.11', undefined],
  // Introduced in 1.12.
  [0x10a, 'senvcfg', '1.12', undefined], [0x30a, 'menvcfg', '1.12', undefined],
  [0x310, 'mstatush', '1.12', undefined], [0x31a, 'menvcfgh', '1.12', undefined],
  [0x34a, 'mtinst', '1.12', undefined], [0x34b, 'mtval2', '1.12', undefined],
  [0x747, 'mseccfg', '1.12', undefined], [0x757, 'mseccfgh', '1.12', undefined],
  [0xf15, 'mconfigptr', '1.12', undefined],
];

const csrTables = new Map<PrivSpec, ReadonlyMap<number, string>>();

function csrTable(spec: PrivSpec): ReadonlyMap<number, string> {
  let table = csrTables.get(spec);
  if (table === undefined) {
    table = buildCsrTable(spec);
    csrTables.set(spec, table);
  }
  return table;
}

function buildCsrTable(spec: PrivSpec): Map<number, string> {
  const version = PRIV_SPEC_ORDER[spec];
  const m = new Map<number, string>(CSR_COMMON.map(([n, name]) => [n, name]));
  for (const [n, name, from, until] of CSR_VERSIONED) {
    if (version >= PRIV_SPEC_ORDER[from] && (until === undefined || version < PRIV_SPEC_ORDER[until])) {
      m.set(n, name);
    }
  }
  for (let i = 3; i <= 31; i++) {
    m.set(0x320 + i, `mhpmevent${i}`);
    m.set(0x720 + i, `mhpmevent${i}h`);
    m.set(0xb00 + i, `mhpmcounter${i}`);
    m.set(0xb80 + i, `mhpmcounter${i}h`);
    m.set(0xc00 + i, `hpmcounter${i}`);
    m.set(0xc80 + i, `hpmcounter${i}h`);
  }
  if (version >= PRIV_SPEC_ORDER['1.10']) {
    const pmpCfgs = version >= PRIV_SPEC_ORDER['1.12'] ? 16 : 4;
    const pmpAddrs = version >= PRIV_SPEC_ORDER['1.12'] ? 64 : 16;
    for (let i = 0; i < pmpCfgs; i++) m.set(0x3a0 + i, `pmpcfg${i}`);
    for (let i = 0; i < pmpAddrs; i++) m.set(0x3b0 + i, `pmpaddr${i}`);
  }
  return m;
}

/**
 * The privileged-spec version named by an ELF's Tag_RISCV_priv_spec,
 * Tag_RISCV_priv_spec_minor and Tag_RISCV_priv_spec_revision attributes, as
 * objdump interprets them: absent or unknown versions mean the newest.
 */
export function privSpecFromAttributes(major?: number, minor?: number, revision?: number): PrivSpec {
  const rev = revision ?? 0;
  if (major === 1 && minor === 9 && rev === 1) return '1.9.1';
  if (major === 1 && minor === 10 && rev === 0) return '1.10';
  if (major === 1 && minor === 11 && rev === 0) return '1.11';
  return '1.12';
}

/** The name objdump prints for a CSR number (`0x7c0` when it has none). */
export function csrName(csr: number, privSpec: PrivSpec = DEFAULT_PRIV_SPEC): string {
  return csrTable(privSpec).get(csr) ?? `0x${csr.toString(16)}`;
}

// ---------------------------------------------------------------------------
// Formatting helpers

function reg(n: number): string {
  return REG_NAMES[n & 31];
}

function freg(n: number): string {
  return FP_REG_NAMES[n & 31];
}

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16)}`;
}

/** Address as objdump prints it: lower-case hex, no prefix, 64-bit wrap for negatives. */
function hexAddress(address: number): string {
  if (address >= 0) return address.toString(16);
  return (BigInt(address) + (1n << 64n)).toString(16);
}

/** Sign-extends the low `width` bits of `value`. */
function sext(value: number, width: number): number {
  const shift = 32 - width;
  return (value << shift) >> shift;
}

function bit(bits: number, n: number): number {
  return (bits >>> n) & 1;
}

function field(bits: number, lo: number, width: number): number {
  return (bits >>> lo) & ((1 << width) - 1);
}

interface Decoded {
  mnemonic: string;
  operands: string;
  /** Relative branch/jump offset; the target is `pc + offset`. */
  offset?: number;
}

function op(mnemonic: string, ...operands: (string | number)[]): Decoded {
  return { mnemonic, operands: operands.join(',') };
}

function unknown(bits: number, length: 2 | 4): Decoded {
  return { mnemonic: length === 2 ? '.2byte' : '.4byte', operands: hex(length === 2 ? bits & 0xffff : bits) };
}

// ---------------------------------------------------------------------------
// Public entry point

/**
 * Disassembles the instruction whose encoding is `bits` (the 32-bit
 * little-endian word at `pc`; only the low 16 bits matter for a compressed
 * instruction).
 */
export function disassemble(
  bits: number,
  pc: number,
  symbolize?: Symbolizer,
  options?: DisassemblerOptions,
): Disassembled {
  const length = instructionLength(bits);
  const privSpec = options?.privSpec ?? DEFAULT_PRIV_SPEC;
  const d = length === 2 ? decodeCompressed(bits & 0xffff) : decode32(bits >>> 0, privSpec);
  let operands = d.operands;
  let target: number | undefined;
  if (d.offset !== undefined) {
    target = pc + d.offset;
    const symbol = target >= 0 && symbolize ? symbolize(target) : undefined;
    const text = symbol === undefined ? hexAddress(target) : `${hexAddress(target)} <${symbol}>`;
    operands = operands === '' ? text : `${operands},${text}`;
    if (target < 0) target = undefined;
  }
  const result: Disassembled = {
    length,
    mnemonic: d.mnemonic,
    operands,
    text: operands === '' ? d.mnemonic : `${d.mnemonic}\t${operands}`,
  };
  if (target !== undefined) result.target = target;
  return result;
}

// ---------------------------------------------------------------------------
// 32-bit instructions

const LOADS = ['lb', 'lh', 'lw', 'ld', 'lbu', 'lhu', 'lwu'];
const STORES = ['sb', 'sh', 'sw', 'sd'];
const BRANCHES: (string | undefined)[] = ['beq', 'bne', undefined, undefined, 'blt', 'bge', 'bltu', 'bgeu'];
const OP_NAMES = ['add', 'sll', 'slt', 'sltu', 'xor', 'srl', 'or', 'and'];
const MULDIV_NAMES = ['mul', 'mulh', 'mulhsu', 'mulhu', 'div', 'divu', 'rem', 'remu'];
const AMO_NAMES: ReadonlyMap<number, string> = new Map([
  [0x00, 'amoadd'], [0x01, 'amoswap'], [0x02, 'lr'], [0x03, 'sc'], [0x04, 'amoxor'],
  [0x08, 'amoor'], [0x0c, 'amoand'], [0x10, 'amomin'], [0x14, 'amomax'],
  [0x18, 'amominu'], [0x1c, 'amomaxu'],
]);
const AQRL = ['', '.rl', '.aq', '.aqrl'];
const CSR_OPS = ['', 'csrrw', 'csrrs', 'csrrc'];
const CSR_ALIASES = ['', 'csrw', 'csrs', 'csrc'];
const COUNTER_ALIASES: ReadonlyMap<number, string> = new Map([
  [0xc00, 'rdcycle'], [0xc01, 'rdtime'], [0xc02, 'rdinstret'],
]);

/** Zbb unary operations in OP-IMM funct3 1, by imm[11:0]. */
const UNARY_IMM: ReadonlyMap<number, string> = new Map([
  [0x600, 'clz'], [0x601, 'ctz'], [0x602, 'cpop'], [0x604, 'sext.b'], [0x605, 'sext.h'],
]);
const UNARY_IMM_W: ReadonlyMap<number, string> = new Map([[0x600, 'clzw'], [0x601, 'ctzw'], [0x602, 'cpopw']]);
/** Zba, Zbb, Zbc and Zbs register-register operations in OP, by funct7 << 3 | funct3. */
const BITMANIP_OP: ReadonlyMap<number, string> = new Map([
  [(0x20 << 3) | 7, 'andn'], [(0x20 << 3) | 6, 'orn'], [(0x20 << 3) | 4, 'xnor'],
  [(0x05 << 3) | 4, 'min'], [(0x05 << 3) | 5, 'minu'], [(0x05 << 3) | 6, 'max'], [(0x05 << 3) | 7, 'maxu'],
  [(0x05 << 3) | 1, 'clmul'], [(0x05 << 3) | 2, 'clmulr'], [(0x05 << 3) | 3, 'clmulh'],
  [(0x30 << 3) | 1, 'rol'], [(0x30 << 3) | 5, 'ror'],
  [(0x10 << 3) | 2, 'sh1add'], [(0x10 << 3) | 4, 'sh2add'], [(0x10 << 3) | 6, 'sh3add'],
  [(0x24 << 3) | 1, 'bclr'], [(0x24 << 3) | 5, 'bext'], [(0x34 << 3) | 1, 'binv'], [(0x14 << 3) | 1, 'bset'],
]);
/** The same in OP-32. */
const BITMANIP_OP_W: ReadonlyMap<number, string> = new Map([
  [(0x10 << 3) | 2, 'sh1add.uw'], [(0x10 << 3) | 4, 'sh2add.uw'], [(0x10 << 3) | 6, 'sh3add.uw'],
  [(0x30 << 3) | 1, 'rolw'], [(0x30 << 3) | 5, 'rorw'],
]);

/** fcsr pseudo-instructions by CSR number (fflags, frm, fcsr): csrrw and csrrs with rs1 = zero. */
const FCSR_WRITES = ['', 'fsflags', 'fsrm', 'fscsr'];
const FCSR_READS = ['', 'frflags', 'frrm', 'frcsr'];

/** Exact encodings of operand-less SYSTEM instructions. */
const SYSTEM_FIXED: ReadonlyMap<number, string> = new Map([
  [0x00000073, 'ecall'], [0x00100073, 'ebreak'], [0x00200073, 'uret'], [0x10200073, 'sret'],
  [0x20200073, 'hret'], [0x30200073, 'mret'], [0x7b200073, 'dret'], [0x10500073, 'wfi'],
]);

function fenceSet(set: number): string {
  if (set === 0) return 'unknown';
  let s = '';
  if (set & 8) s += 'i';
  if (set & 4) s += 'o';
  if (set & 2) s += 'r';
  if (set & 1) s += 'w';
  return s;
}

function decode32(bits: number, privSpec: PrivSpec): Decoded {
  const opcode = bits & 0x7f;
  const rd = field(bits, 7, 5);
  const f3 = field(bits, 12, 3);
  const rs1 = field(bits, 15, 5);
  const rs2 = field(bits, 20, 5);
  const f7 = field(bits, 25, 7);
  const immI = bits >> 20;
  const immS = ((bits >> 25) << 5) | rd;

  switch (opcode) {
    case 0x03: // LOAD
      if (f3 === 7) break;
      return op(LOADS[f3], reg(rd), `${immI}(${reg(rs1)})`);

    case 0x07: // LOAD-FP
      if (f3 === 2) return op('flw', freg(rd), `${immI}(${reg(rs1)})`);
      if (f3 === 3) return op('fld', freg(rd), `${immI}(${reg(rs1)})`);
      break;

    case 0x0f: // MISC-MEM
      if (rd !== 0 || rs1 !== 0) break;
      if (f3 === 0) {
        const fm = field(bits, 28, 4);
        const pred = field(bits, 24, 4);
        const succ = field(bits, 20, 4);
        if (fm === 0) {
          if (pred === 0xf && succ === 0xf) return op('fence');
          return op('fence', fenceSet(pred), fenceSet(succ));
        }
        if (fm === 8 && pred === 3 && succ === 3) return op('fence.tso');
        break;
      }
      if (f3 === 1 && immI === 0) return op('fence.i');
      break;

    case 0x13: // OP-IMM
      switch (f3) {
        case 0:
          if (bits === 0x13) return op('nop');
          if (rs1 === 0) return op('li', reg(rd), immI);
          if (immI === 0) return op('mv', reg(rd), reg(rs1));
          return op('add', reg(rd), reg(rs1), immI);
        case 1: {
          const f6 = field(bits, 26, 6);
          const shamt = hex(field(bits, 20, 6));
          if (f6 === 0) return op('sll', reg(rd), reg(rs1), shamt);
          if (f6 === 0x0a) return op('bset', reg(rd), reg(rs1), shamt);
          if (f6 === 0x12) return op('bclr', reg(rd), reg(rs1), shamt);
          if (f6 === 0x1a) return op('binv', reg(rd), reg(rs1), shamt);
          const unary = UNARY_IMM.get(immI & 0xfff);
          if (unary !== undefined) return op(unary, reg(rd), reg(rs1));
          break;
        }
        case 2:
          return op('slti', reg(rd), reg(rs1), immI);
        case 3:
          if (immI === 1) return op('seqz', reg(rd), reg(rs1));
          return op('sltiu', reg(rd), reg(rs1), immI);
        case 4:
          if (immI === -1) return op('not', reg(rd), reg(rs1));
          return op('xor', reg(rd), reg(rs1), immI);
        case 5: {
          const f6 = field(bits, 26, 6);
          const shamt = hex(field(bits, 20, 6));
          if (f6 === 0) return op('srl', reg(rd), reg(rs1), shamt);
          if (f6 === 0x10) return op('sra', reg(rd), reg(rs1), shamt);
          if (f6 === 0x18) return op('ror', reg(rd), reg(rs1), shamt);
          if (f6 === 0x12) return op('bext', reg(rd), reg(rs1), shamt);
          if ((immI & 0xfff) === 0x287) return op('orc.b', reg(rd), reg(rs1));
          if ((immI & 0xfff) === 0x6b8) return op('rev8', reg(rd), reg(rs1));
          break;
        }
        case 6:
          return op('or', reg(rd), reg(rs1), immI);
        case 7:
          if (immI === 255) return op('zext.b', reg(rd), reg(rs1));
          return op('and', reg(rd), reg(rs1), immI);
      }
      break;

    case 0x17: // AUIPC
      return op('auipc', reg(rd), hex(bits >>> 12));

    case 0x1b: // OP-IMM-32
      if (f3 === 0) {
        if (immI === 0) return op('sext.w', reg(rd), reg(rs1));
        return op('addw', reg(rd), reg(rs1), immI);
      }
      if (f3 === 1) {
        if (f7 === 0) return op('sllw', reg(rd), reg(rs1), hex(rs2));
        if (field(bits, 26, 6) === 0x02) return op('slli.uw', reg(rd), reg(rs1), hex(field(bits, 20, 6)));
        const unary = UNARY_IMM_W.get(immI & 0xfff);
        if (unary !== undefined) return op(unary, reg(rd), reg(rs1));
      }
      if (f3 === 5) {
        if (f7 === 0) return op('srlw', reg(rd), reg(rs1), hex(rs2));
        if (f7 === 0x20) return op('sraw', reg(rd), reg(rs1), hex(rs2));
        if (f7 === 0x30) return op('rorw', reg(rd), reg(rs1), hex(rs2));
      }
      break;

    case 0x23: // STORE
      if (f3 > 3) break;
      return op(STORES[f3], reg(rs2), `${immS}(${reg(rs1)})`);

    case 0x27: // STORE-FP
      if (f3 === 2) return op('fsw', freg(rs2), `${immS}(${reg(rs1)})`);
      if (f3 === 3) return op('fsd', freg(rs2), `${immS}(${reg(rs1)})`);
      break;

    case 0x2f: { // AMO
      if (f3 !== 2 && f3 !== 3) break;
      const name = AMO_NAMES.get(f7 >>> 2);
      if (name === undefined) break;
      const mnemonic = `${name}.${f3 === 2 ? 'w' : 'd'}${AQRL[f7 & 3]}`;
      if (name === 'lr') {
        if (rs2 !== 0) break;
        return op(mnemonic, reg(rd), `(${reg(rs1)})`);
      }
      return op(mnemonic, reg(rd), reg(rs2), `(${reg(rs1)})`);
    }

    case 0x33: // OP
      if (f7 === 0) {
        if (f3 === 2 && rs2 === 0) return op('sltz', reg(rd), reg(rs1));
        if (f3 === 2 && rs1 === 0) return op('sgtz', reg(rd), reg(rs2));
        if (f3 === 3 && rs1 === 0) return op('snez', reg(rd), reg(rs2));
        return op(OP_NAMES[f3], reg(rd), reg(rs1), reg(rs2));
      }
      if (f7 === 1) return op(MULDIV_NAMES[f3], reg(rd), reg(rs1), reg(rs2));
      if (f7 === 0x20) {
        if (f3 === 0) {
          if (rs1 === 0) return op('neg', reg(rd), reg(rs2));
          return op('sub', reg(rd), reg(rs1), reg(rs2));
        }
        if (f3 === 5) return op('sra', reg(rd), reg(rs1), reg(rs2));
      }
      {
        const name = BITMANIP_OP.get((f7 << 3) | f3);
        if (name !== undefined) return op(name, reg(rd), reg(rs1), reg(rs2));
      }
      break;

    case 0x37: // LUI
      return op('lui', reg(rd), hex(bits >>> 12));

    case 0x3b: // OP-32
      if (f7 === 0) {
        if (f3 === 0) return op('addw', reg(rd), reg(rs1), reg(rs2));
        if (f3 === 1) return op('sllw', reg(rd), reg(rs1), reg(rs2));
        if (f3 === 5) return op('srlw', reg(rd), reg(rs1), reg(rs2));
      } else if (f7 === 1) {
        const name = ['mulw', undefined, undefined, undefined, 'divw', 'divuw', 'remw', 'remuw'][f3];
        if (name !== undefined) return op(name, reg(rd), reg(rs1), reg(rs2));
      } else if (f7 === 0x20) {
        if (f3 === 0) {
          if (rs1 === 0) return op('negw', reg(rd), reg(rs2));
          return op('subw', reg(rd), reg(rs1), reg(rs2));
        }
        if (f3 === 5) return op('sraw', reg(rd), reg(rs1), reg(rs2));
      } else if (f7 === 0x04) {
        if (f3 === 0) {
          if (rs2 === 0) return op('zext.w', reg(rd), reg(rs1));
          return op('add.uw', reg(rd), reg(rs1), reg(rs2));
        }
        if (f3 === 4 && rs2 === 0) return op('zext.h', reg(rd), reg(rs1));
      }
      {
        const name = BITMANIP_OP_W.get((f7 << 3) | f3);
        if (name !== undefined) return op(name, reg(rd), reg(rs1), reg(rs2));
      }
      break;

    case 0x43: case 0x47: case 0x4b: case 0x4f: // MADD, MSUB, NMSUB, NMADD
      return decodeFma(bits);

    case 0x53: // OP-FP
      return decodeOpFp(bits);

    case 0x63: { // BRANCH
      const name = BRANCHES[f3];
      if (name === undefined) break;
      const offset = sext(
        (bit(bits, 31) << 12) | (bit(bits, 7) << 11) | (field(bits, 25, 6) << 5) | (field(bits, 8, 4) << 1),
        13,
      );
      let d: Decoded;
      if (f3 === 0 && rs2 === 0) d = op('beqz', reg(rs1));
      else if (f3 === 1 && rs2 === 0) d = op('bnez', reg(rs1));
      else if (f3 === 4 && rs2 === 0) d = op('bltz', reg(rs1));
      else if (f3 === 4 && rs1 === 0) d = op('bgtz', reg(rs2));
      else if (f3 === 5 && rs1 === 0) d = op('blez', reg(rs2));
      else if (f3 === 5 && rs2 === 0) d = op('bgez', reg(rs1));
      else d = op(name, reg(rs1), reg(rs2));
      d.offset = offset;
      return d;
    }

    case 0x67: // JALR
      if (f3 !== 0) break;
      if (rd === 0) {
        if (rs1 === 1 && immI === 0) return op('ret');
        return immI === 0 ? op('jr', reg(rs1)) : op('jr', `${immI}(${reg(rs1)})`);
      }
      if (rd === 1) return immI === 0 ? op('jalr', reg(rs1)) : op('jalr', `${immI}(${reg(rs1)})`);
      return immI === 0 ? op('jalr', reg(rd), reg(rs1)) : op('jalr', reg(rd), `${immI}(${reg(rs1)})`);

    case 0x6f: { // JAL
      const offset = sext(
        (bit(bits, 31) << 20) | (field(bits, 12, 8) << 12) | (bit(bits, 20) << 11) | (field(bits, 21, 10) << 1),
        21,
      );
      const d = rd === 0 ? op('j') : rd === 1 ? op('jal') : op('jal', reg(rd));
      d.offset = offset;
      return d;
    }

    case 0x73: // SYSTEM
      return decodeSystem(bits, privSpec);
  }
  return unknown(bits, 4);
}

// ---------------------------------------------------------------------------
// Floating point (F and D; the H and Q formats are not decoded)

const FP_FORMATS = ['s', 'd'];
const FMA_NAMES: Readonly<Record<number, string>> = { 0x43: 'fmadd', 0x47: 'fmsub', 0x4b: 'fnmsub', 0x4f: 'fnmadd' };

/** Operands with the rounding mode appended unless it is dynamic. */
function withRm(mnemonic: string, rm: number, ...operands: string[]): Decoded {
  return rm === 7 ? op(mnemonic, ...operands) : op(mnemonic, ...operands, ROUNDING_MODES[rm]);
}

function decodeFma(bits: number): Decoded {
  const fmt = field(bits, 25, 2);
  if (fmt > 1) return unknown(bits, 4);
  const name = `${FMA_NAMES[bits & 0x7f]}.${FP_FORMATS[fmt]}`;
  return withRm(name, field(bits, 12, 3),
    freg(field(bits, 7, 5)), freg(field(bits, 15, 5)), freg(field(bits, 20, 5)), freg(field(bits, 27, 5)));
}

function decodeOpFp(bits: number): Decoded {
  const rd = field(bits, 7, 5);
  const rm = field(bits, 12, 3);
  const rs1 = field(bits, 15, 5);
  const rs2 = field(bits, 20, 5);
  const fmt = field(bits, 25, 2);
  const f5 = field(bits, 27, 5);
  if (fmt > 1) return unknown(bits, 4);
  const t = FP_FORMATS[fmt];
  /** The integer type of a conversion, by rs2. */
  const intType = ['w', 'wu', 'l', 'lu'][rs2];
  switch (f5) {
    case 0x00: return withRm(`fadd.${t}`, rm, freg(rd), freg(rs1), freg(rs2));
    case 0x01: return withRm(`fsub.${t}`, rm, freg(rd), freg(rs1), freg(rs2));
    case 0x02: return withRm(`fmul.${t}`, rm, freg(rd), freg(rs1), freg(rs2));
    case 0x03: return withRm(`fdiv.${t}`, rm, freg(rd), freg(rs1), freg(rs2));
    case 0x0b:
      if (rs2 !== 0) break;
      return withRm(`fsqrt.${t}`, rm, freg(rd), freg(rs1));
    case 0x04: {
      if (rm > 2) break;
      if (rs1 === rs2) return op(`${['fmv', 'fneg', 'fabs'][rm]}.${t}`, freg(rd), freg(rs1));
      return op(`${['fsgnj', 'fsgnjn', 'fsgnjx'][rm]}.${t}`, freg(rd), freg(rs1), freg(rs2));
    }
    case 0x05:
      if (rm > 1) break;
      return op(`${rm === 0 ? 'fmin' : 'fmax'}.${t}`, freg(rd), freg(rs1), freg(rs2));
    case 0x08: // fcvt.s.d, fcvt.d.s
      if (fmt === 0 && rs2 === 1) return withRm('fcvt.s.d', rm, freg(rd), freg(rs1));
      if (fmt === 1 && rs2 === 0 && rm === 0) return op('fcvt.d.s', freg(rd), freg(rs1));
      break;
    case 0x14: {
      const name = ['fle', 'flt', 'feq'][rm];
      if (name === undefined) break;
      return op(`${name}.${t}`, reg(rd), freg(rs1), freg(rs2));
    }
    case 0x18: // fcvt.<int>.<fp>
      if (intType === undefined) break;
      return withRm(`fcvt.${intType}.${t}`, rm, reg(rd), freg(rs1));
    case 0x1a: // fcvt.<fp>.<int>
      if (intType === undefined) break;
      // Every int32 is exact as a double: objdump takes only rm 0 (rne) there, and shows none.
      if (fmt === 1 && rs2 < 2) return rm === 0 ? op(`fcvt.d.${intType}`, freg(rd), reg(rs1)) : unknown(bits, 4);
      return withRm(`fcvt.${t}.${intType}`, rm, freg(rd), reg(rs1));
    case 0x1c:
      if (rs2 !== 0) break;
      if (rm === 0) return op(fmt === 0 ? 'fmv.x.w' : 'fmv.x.d', reg(rd), freg(rs1));
      if (rm === 1) return op(`fclass.${t}`, reg(rd), freg(rs1));
      break;
    case 0x1e:
      if (rs2 !== 0 || rm !== 0) break;
      return op(fmt === 0 ? 'fmv.w.x' : 'fmv.d.x', freg(rd), reg(rs1));
  }
  return unknown(bits, 4);
}

// ---------------------------------------------------------------------------
// SYSTEM

function decodeSystem(bits: number, privSpec: PrivSpec): Decoded {
  const rd = field(bits, 7, 5);
  const f3 = field(bits, 12, 3);
  const rs1 = field(bits, 15, 5);
  const rs2 = field(bits, 20, 5);
  const f7 = field(bits, 25, 7);
  if (f3 === 0) {
    const fixed = SYSTEM_FIXED.get(bits);
    if (fixed !== undefined) return op(fixed);
    if (rd === 0 && f7 === 0x09) {
      if (rs2 !== 0) return op('sfence.vma', reg(rs1), reg(rs2));
      return rs1 === 0 ? op('sfence.vma') : op('sfence.vma', reg(rs1));
    }
    if (rd === 0 && (bits & 0xfff07fff) === 0x10400073) {
      return rs1 === 0 ? op('sfence.vm') : op('sfence.vm', reg(rs1));
    }
    return unknown(bits, 4);
  }
  if (f3 === 4) return unknown(bits, 4);
  if (bits === 0xc0001073) return op('unimp'); // csrrw zero,cycle,zero
  const csr = bits >>> 20;
  const kind = f3 & 3;
  const isImm = f3 >= 4;
  const source = isImm ? String(rs1) : reg(rs1);
  if (csr >= 1 && csr <= 3) {
    // The F extension's fcsr pseudo-instructions (objdump shows `frflags zero` and `fsrmi zero,5` too).
    if (kind === 1 && !isImm) {
      const name = FCSR_WRITES[csr];
      return rd === 0 ? op(name, reg(rs1)) : op(name, reg(rd), reg(rs1));
    }
    if (kind === 2 && !isImm && rs1 === 0) return op(FCSR_READS[csr], reg(rd));
    if (kind === 1 && isImm && csr !== 3) return op(csr === 1 ? 'fsflagsi' : 'fsrmi', reg(rd), source);
  }
  if (kind === 2 && rs1 === 0) {
    // csrrs rd,csr,zero / csrrsi rd,csr,0
    if (!isImm) {
      const counter = COUNTER_ALIASES.get(csr);
      if (counter !== undefined) return op(counter, reg(rd));
      return op('csrr', reg(rd), csrName(csr, privSpec));
    }
  }
  if (rd === 0) return op(CSR_ALIASES[kind], csrName(csr, privSpec), source);
  return op(CSR_OPS[kind], reg(rd), csrName(csr, privSpec), source);
}

// ---------------------------------------------------------------------------
// Compressed instructions

function decodeCompressed(h: number): Decoded {
  const quadrant = h & 3;
  const f3 = h >>> 13;
  const rdFull = field(h, 7, 5);
  const rs2Full = field(h, 2, 5);
  const rdP = 8 + field(h, 2, 3); // rd' / rs2' in bits 4:2
  const rs1P = 8 + field(h, 7, 3); // rs1' / rd' in bits 9:7
  // 6-bit signed immediate of CI format: imm[5] = bit 12, imm[4:0] = bits 6:2.
  const immCI = sext((bit(h, 12) << 5) | field(h, 2, 5), 6);
  const shamt = (bit(h, 12) << 5) | field(h, 2, 5);

  if (quadrant === 0) {
    switch (f3) {
      case 0: { // c.addi4spn
        if (h === 0) return op('unimp');
        const imm = (field(h, 7, 4) << 6) | (field(h, 11, 2) << 4) | (bit(h, 5) << 3) | (bit(h, 6) << 2);
        if (imm === 0) break;
        return op('add', reg(rdP), 'sp', imm);
      }
      case 1: { // c.fld
        const imm = (field(h, 5, 2) << 6) | (field(h, 10, 3) << 3);
        return op('fld', freg(rdP), `${imm}(${reg(rs1P)})`);
      }
      case 2: { // c.lw
        const imm = (bit(h, 5) << 6) | (field(h, 10, 3) << 3) | (bit(h, 6) << 2);
        return op('lw', reg(rdP), `${imm}(${reg(rs1P)})`);
      }
      case 3: { // c.ld
        const imm = (field(h, 5, 2) << 6) | (field(h, 10, 3) << 3);
        return op('ld', reg(rdP), `${imm}(${reg(rs1P)})`);
      }
      case 5: { // c.fsd
        const imm = (field(h, 5, 2) << 6) | (field(h, 10, 3) << 3);
        return op('fsd', freg(rdP), `${imm}(${reg(rs1P)})`);
      }
      case 6: { // c.sw
        const imm = (bit(h, 5) << 6) | (field(h, 10, 3) << 3) | (bit(h, 6) << 2);
        return op('sw', reg(rdP), `${imm}(${reg(rs1P)})`);
      }
      case 7: { // c.sd
        const imm = (field(h, 5, 2) << 6) | (field(h, 10, 3) << 3);
        return op('sd', reg(rdP), `${imm}(${reg(rs1P)})`);
      }
    }
    return unknown(h, 2);
  }

  if (quadrant === 1) {
    switch (f3) {
      case 0: // c.addi / c.nop
        if (rdFull === 0) return immCI === 0 ? op('nop') : op('c.nop', immCI);
        return op('add', reg(rdFull), reg(rdFull), immCI);
      case 1: // c.addiw
        if (rdFull === 0) break;
        if (immCI === 0) return op('sext.w', reg(rdFull), reg(rdFull));
        return op('addw', reg(rdFull), reg(rdFull), immCI);
      case 2: // c.li
        if (rdFull === 0) return op('c.li', 'zero', immCI);
        return op('li', reg(rdFull), immCI);
      case 3:
        if (rdFull === 2) { // c.addi16sp
          const imm = sext(
            (bit(h, 12) << 9) | (field(h, 3, 2) << 7) | (bit(h, 5) << 6) | (bit(h, 2) << 5) | (bit(h, 6) << 4),
            10,
          );
          return op('add', 'sp', 'sp', imm); // objdump accepts the reserved zero immediate
        }
        if (immCI === 0) break; // c.lui with zero immediate is reserved
        return op(rdFull === 0 ? 'c.lui' : 'lui', reg(rdFull), hex(immCI & 0xfffff));
      case 4: {
        const f2 = field(h, 10, 2);
        if (f2 === 0 || f2 === 1) { // c.srli / c.srai
          if (shamt === 0) return op(f2 === 0 ? 'c.srli64' : 'c.srai64', reg(rs1P));
          return op(f2 === 0 ? 'srl' : 'sra', reg(rs1P), reg(rs1P), hex(shamt));
        }
        if (f2 === 2) return op('and', reg(rs1P), reg(rs1P), immCI); // c.andi
        const sel = field(h, 5, 2);
        const name = bit(h, 12) === 0 ? ['sub', 'xor', 'or', 'and'][sel] : ['subw', 'addw'][sel];
        if (name === undefined) break;
        return op(name, reg(rs1P), reg(rs1P), reg(rdP));
      }
      case 5: { // c.j
        const d = op('j');
        d.offset = cjOffset(h);
        return d;
      }
      case 6:
      case 7: { // c.beqz / c.bnez
        const offset = sext(
          (bit(h, 12) << 8) | (field(h, 5, 2) << 6) | (bit(h, 2) << 5) | (field(h, 10, 2) << 3) | (field(h, 3, 2) << 1),
          9,
        );
        const d = op(f3 === 6 ? 'beqz' : 'bnez', reg(rs1P));
        d.offset = offset;
        return d;
      }
    }
    return unknown(h, 2);
  }

  // quadrant 2
  switch (f3) {
    case 0: // c.slli
      if (shamt === 0) return op('c.slli64', reg(rdFull));
      if (rdFull === 0) return op('c.slli', 'zero', hex(shamt));
      return op('sll', reg(rdFull), reg(rdFull), hex(shamt));
    case 1: { // c.fldsp
      const imm = (field(h, 2, 3) << 6) | (bit(h, 12) << 5) | (field(h, 5, 2) << 3);
      return op('fld', freg(rdFull), `${imm}(sp)`);
    }
    case 2: { // c.lwsp
      if (rdFull === 0) break;
      const imm = (field(h, 2, 2) << 6) | (bit(h, 12) << 5) | (field(h, 4, 3) << 2);
      return op('lw', reg(rdFull), `${imm}(sp)`);
    }
    case 3: { // c.ldsp
      if (rdFull === 0) break;
      const imm = (field(h, 2, 3) << 6) | (bit(h, 12) << 5) | (field(h, 5, 2) << 3);
      return op('ld', reg(rdFull), `${imm}(sp)`);
    }
    case 4:
      if (bit(h, 12) === 0) {
        if (rs2Full === 0) { // c.jr
          if (rdFull === 0) break;
          return rdFull === 1 ? op('ret') : op('jr', reg(rdFull));
        }
        return rdFull === 0 ? op('c.mv', 'zero', reg(rs2Full)) : op('mv', reg(rdFull), reg(rs2Full));
      }
      if (rs2Full === 0) return rdFull === 0 ? op('ebreak') : op('jalr', reg(rdFull)); // c.ebreak / c.jalr
      if (rdFull === 0) return op('c.add', 'zero', reg(rs2Full));
      return op('add', reg(rdFull), reg(rdFull), reg(rs2Full));
    case 5: { // c.fsdsp
      const imm = (field(h, 7, 3) << 6) | (field(h, 10, 3) << 3);
      return op('fsd', freg(rs2Full), `${imm}(sp)`);
    }
    case 6: { // c.swsp
      const imm = (field(h, 7, 2) << 6) | (field(h, 9, 4) << 2);
      return op('sw', reg(rs2Full), `${imm}(sp)`);
    }
    case 7: { // c.sdsp
      const imm = (field(h, 7, 3) << 6) | (field(h, 10, 3) << 3);
      return op('sd', reg(rs2Full), `${imm}(sp)`);
    }
  }
  return unknown(h, 2);
}

function cjOffset(h: number): number {
  return sext(
    (bit(h, 12) << 11) |
      (bit(h, 8) << 10) |
      (field(h, 9, 2) << 8) |
      (bit(h, 6) << 7) |
      (bit(h, 7) << 6) |
      (bit(h, 2) << 5) |
      (bit(h, 11) << 4) |
      (field(h, 3, 3) << 1),
    12,
  );
}
