// Shared helper for the per-instruction-class tests: assembles a snippet with
// the RISC-V toolchain, runs it on the machine, and (unless told not to) runs
// the same ELF on qemu-system-riscv64 7.2 and checks that both end in the same
// architectural state.
//
// A snippet is the body of a program. The harness wraps it:
//
//   _start:  installs the standard trap handlers (mtvec = __mtrap, stvec = __strap)
//            <body>                      (assembled with `.option norvc`; use `.option rvc` for C)
//            j __exit
//
// and ends it at `__exit` (M-mode only), which saves x1..x31 and a few CSRs to
// memory, prints that memory and the body's own `.data` in hex on the UART and
// powers off through the test finisher. The machine stops at a breakpoint on
// `__exit`, so the state a test sees is the body's final state; the hex dump is
// what is compared with QEMU, in two soft assertions: the architectural state
// (registers, CSRs, trap log, data) and the instruction counts (minstret,
// mcycle, time, and minstret at each trap).
//
// Registers t5 and t6 (x30, x31) belong to the harness: the handlers and
// __exit clobber them.
//
// Standard handlers: every trap is logged (up to 32) in __trap_log: the mode
// that handled it (3 or 1), cause, epc, tval, status and minstret at entry
// (read by the handler's first instruction; 0 for S). Then:
//   - an ecall with a7 == EXIT_MAGIC (macro EXIT_ECALL) goes to __exit without
//     being logged (from S via a second ecall);
//   - instruction fetch faults (access and page faults) go to __exit;
//   - other exceptions return to the next instruction (epc + 2 or 4);
//   - interrupts clear mie (sie for S) and return.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { Machine, type Stop, type StopReason } from '../../workers/engine/machine';
import { BufferedInput } from '../../workers/engine/host-input';
import { loadCoreWasm } from '../../workers/cli/node-host';
import { ABI_NAMES } from '../../workers/engine/memory-map';

export const GCC = 'riscv64-unknown-elf-gcc';
// -n: no page alignment, one loadable segment from 0x80000000 (otherwise ld puts the ELF headers in the
// first segment, at 0x7ffff000, below RAM).
export const GCC_FLAGS = ['-march=rv64gc_zba_zbb_zbc_zbs', '-mabi=lp64', '-nostdlib', '-nostartfiles', '-Wl,-Ttext=0x80000000',
  '-Wl,-n', '-Wl,--no-warn-rwx-segments'];
export const QEMU = 'qemu-system-riscv64';
export const RAM_MIB = 16;

export const CAUSE = {
  fetchAccess: 1n, illegal: 2n, breakpoint: 3n, loadMisaligned: 4n, loadAccess: 5n, storeMisaligned: 6n,
  storeAccess: 7n, ecallU: 8n, ecallS: 9n, ecallM: 11n, fetchPage: 12n, loadPage: 13n, storePage: 15n,
} as const;
export const INTERRUPT = 1n << 63n;

/** CSRs saved by __exit and compared with QEMU (all behave alike on both for RV64IMAC programs). */
const DUMP_CSRS: [string, number][] = [
  ['mstatus', 0x300], ['mie', 0x304], ['mip', 0x344], ['mcause', 0x342], ['mepc', 0x341], ['mtval', 0x343],
  ['mscratch', 0x340], ['scause', 0x142], ['sepc', 0x141], ['stval', 0x143], ['sscratch', 0x140],
  ['minstret', 0xb02], ['mcycle', 0xb00], ['time', 0xc01],
];
const TRAP_SLOTS = 32;
// t5 holds what the handlers last read from minstret.
const COUNT_LABELS = ['minstret', 'mcycle', 'time', 't5'];
const TRAP_FIELDS = ['mode', 'cause', 'epc', 'tval', 'status', 'minstret'] as const;

const PRELUDE = `
  .option norvc
  .option norelax
  .equ UART, 0x10000000
  .equ FINISHER, 0x100000
  .equ CLINT, 0x2000000
  .equ MSIP, 0x2000000
  .equ MTIMECMP, 0x2004000
  .equ MTIME, 0x200bff8
  .equ EXIT_MAGIC, 0x5eed
  .equ MSTATUS_SIE, 0x2
  .equ MSTATUS_MIE, 0x8
  .equ MSTATUS_SPIE, 0x20
  .equ MSTATUS_MPIE, 0x80
  .equ MSTATUS_SPP, 0x100
  .equ MSTATUS_MPP, 0x1800
  .equ MSTATUS_MPRV, 0x20000
  .equ MSTATUS_TW, 0x200000
  .equ MSTATUS_TSR, 0x400000

  # Leaves the body (M-mode only).
  .macro EXIT
  j __exit
  .endm
  # Leaves the body from any mode, through the standard handlers.
  .macro EXIT_ECALL
  li a7, EXIT_MAGIC
  ecall
  .endm
  # PMP entry 0: NAPOT over all memory, RWX (clobbers t0).
  .macro PMP_ALLOW_ALL
  li t0, -1
  csrw pmpaddr0, t0
  li t0, 0x1f
  csrw pmpcfg0, t0
  .endm
  # mret to \\label in U-mode (clobbers t0).
  .macro ENTER_U label
  li t0, MSTATUS_MPP
  csrc mstatus, t0
  la t0, \\label
  csrw mepc, t0
  mret
  .endm
  # mret to \\label in S-mode (clobbers t0).
  .macro ENTER_S label
  li t0, MSTATUS_MPP
  csrc mstatus, t0
  li t0, 0x800
  csrs mstatus, t0
  la t0, \\label
  csrw mepc, t0
  mret
  .endm

  .data
  .balign 8
__tsave: .space 64
  .balign 8
__dump_start:
__regs: .space 256
__csrs: .space ${DUMP_CSRS.length * 8}
__trap_log: .space ${(TRAP_SLOTS + 1) * 64}

  .text
  .globl _start
_start:
  la t6, __mtrap
  csrw mtvec, t6
  la t6, __strap
  csrw stvec, t6
  li t6, 0
__body:
`;

const EPILOGUE = `
  .text
  # (gas pads with c.nop only when RVC is on; with norvc a 2-byte gap stays unaligned)
  .option rvc
  .balign 4
  .option norvc
  .option norelax
__body_end:
  j __exit

  .balign 4
__mtrap:
  csrr t5, minstret
  la t6, __tsave
  sd t0, 0(t6)
  sd t1, 8(t6)
  sd t2, 16(t6)
  csrr t0, mcause
  bltz t0, 1f
  addi t1, t0, -8
  li t2, 4
  bgeu t1, t2, 1f
  li t1, EXIT_MAGIC
  beq a7, t1, __mtrap_exit
1:
  la t1, __trap_log
  ld t2, 0(t1)
  li t6, ${TRAP_SLOTS}
  bgeu t2, t6, __mtrap_exit
  addi t2, t2, 1
  sd t2, 0(t1)
  slli t2, t2, 6
  add t1, t1, t2
  li t2, 3
  sd t2, 0(t1)
  sd t0, 8(t1)
  csrr t2, mepc
  sd t2, 16(t1)
  csrr t2, mtval
  sd t2, 24(t1)
  csrr t2, mstatus
  sd t2, 32(t1)
  sd t5, 40(t1)
  bltz t0, 3f
  li t1, 1
  beq t0, t1, __mtrap_exit
  li t1, 12
  beq t0, t1, __mtrap_exit
  csrr t1, mepc
  lhu t2, 0(t1)
  andi t2, t2, 3
  addi t1, t1, 2
  li t0, 3
  bne t2, t0, 2f
  addi t1, t1, 2
2:
  csrw mepc, t1
  j 4f
3:
  csrw mie, zero
4:
  la t6, __tsave
  ld t0, 0(t6)
  ld t1, 8(t6)
  ld t2, 16(t6)
  mret
__mtrap_exit:
  la t6, __tsave
  ld t0, 0(t6)
  ld t1, 8(t6)
  ld t2, 16(t6)
  j __exit

  .balign 4
__strap:
  la t6, __tsave
  sd t0, 24(t6)
  sd t1, 32(t6)
  sd t2, 40(t6)
  csrr t0, scause
  bltz t0, 1f
  addi t1, t0, -8
  li t2, 2
  bgeu t1, t2, 1f
  li t1, EXIT_MAGIC
  beq a7, t1, 5f
1:
  la t1, __trap_log
  ld t2, 0(t1)
  li t6, ${TRAP_SLOTS}
  bgeu t2, t6, 5f
  addi t2, t2, 1
  sd t2, 0(t1)
  slli t2, t2, 6
  add t1, t1, t2
  li t2, 1
  sd t2, 0(t1)
  sd t0, 8(t1)
  csrr t2, sepc
  sd t2, 16(t1)
  csrr t2, stval
  sd t2, 24(t1)
  csrr t2, sstatus
  sd t2, 32(t1)
  sd zero, 40(t1)
  bltz t0, 3f
  li t1, 1
  beq t0, t1, 5f
  csrr t1, sepc
  lhu t2, 0(t1)
  andi t2, t2, 3
  addi t1, t1, 2
  li t0, 3
  bne t2, t0, 2f
  addi t1, t1, 2
2:
  csrw sepc, t1
  j 4f
3:
  csrw sie, zero
4:
  la t6, __tsave
  ld t0, 24(t6)
  ld t1, 32(t6)
  ld t2, 40(t6)
  sret
5:
  la t6, __tsave
  ld t0, 24(t6)
  ld t1, 32(t6)
  ld t2, 40(t6)
  li a7, EXIT_MAGIC
  ecall

  .balign 4
  .globl __exit
__exit:
  la t6, __regs
${Array.from({ length: 30 }, (_, i) => `  sd x${i + 1}, ${(i + 1) * 8}(t6)`).join('\n')}
  sd t6, 248(t6)
  la t6, __csrs
${DUMP_CSRS.map(([, n], i) => `  csrr t5, ${n}\n  sd t5, ${i * 8}(t6)`).join('\n')}
  la t0, __dump_start
  la t1, __dump_end
  li t2, UART
  # A side-effect-free device read (LSR) first: the dump must not depend on how the
  # first device access after a trap behaves (tested on its own in traps.test.ts).
  lbu a0, 5(t2)
1:
  bgeu t0, t1, 4f
  ld a0, 0(t0)
  li a1, 60
2:
  srl a2, a0, a1
  andi a2, a2, 15
  addi a2, a2, 48
  li a3, 58
  bltu a2, a3, 3f
  addi a2, a2, 39
3:
  sb a2, 0(t2)
  addi a1, a1, -4
  bgez a1, 2b
  li a2, 10
  sb a2, 0(t2)
  addi t0, t0, 8
  j 1b
4:
  li t0, FINISHER
  li t1, 0x5555
  sw t1, 0(t0)
5:
  j 5b

  .data
  .balign 8
__dump_end:
`;

/** The full program text for a body. */
export function wrap(body: string): string {
  return `${PRELUDE}\n# ---- body ----\n${body}\n# ---- end of body ----\n${EPILOGUE}`;
}

function numbered(source: string): string {
  return source.split('\n').map((l, i) => `${String(i + 1).padStart(4)}  ${l}`).join('\n');
}

const elfCache = new Map<string, Uint8Array>();

/** Assembles and links a complete program (see GCC_FLAGS). Throws with the assembler's messages on error. */
export function assemble(source: string): Uint8Array {
  const cached = elfCache.get(source);
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'hindsight-isa-'));
  try {
    const src = join(dir, 'prog.s');
    const elf = join(dir, 'prog.elf');
    writeFileSync(src, source);
    const r = spawnSync(GCC, [...GCC_FLAGS, '-o', elf, src], { encoding: 'utf8' });
    if (r.error) throw new Error(`cannot run ${GCC} (the RISC-V cross toolchain is required): ${r.error.message}`);
    if (r.status !== 0) throw new Error(`assembly failed:\n${r.stderr}\n${numbered(source)}`);
    const bytes = new Uint8Array(readFileSync(elf));
    elfCache.set(source, bytes);
    return bytes;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs an ELF on QEMU's virt board with exact instruction counting; returns the UART output. */
export function runQemu(elf: Uint8Array, timeoutMs = 20_000): { output: string; status: number | null; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'hindsight-isa-qemu-'));
  try {
    const path = join(dir, 'prog.elf');
    writeFileSync(path, elf);
    const uart = join(dir, 'uart.txt');
    // The UART goes to a file: through a pipe QEMU may drop output it could not write before powering off.
    const r = spawnSync(QEMU, ['-M', 'virt', '-m', `${RAM_MIB}M`, '-display', 'none', '-serial', `file:${uart}`, '-monitor', 'none',
      '-bios', 'none', '-kernel', path, '-semihosting', '-icount', 'shift=0,sleep=off'],
    { timeout: timeoutMs, maxBuffer: 16 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
    if (r.error) throw new Error(`cannot run ${QEMU} (QEMU 7.2 is the reference these tests compare with): ${r.error.message}`);
    let output = '';
    try { output = readFileSync(uart, 'latin1'); } catch { /* no output */ }
    return { output, status: r.status, stderr: r.stderr.toString('latin1') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let modulePromise: Promise<WebAssembly.Module> | undefined;
function coreModule(): Promise<WebAssembly.Module> {
  modulePromise ??= WebAssembly.compile(loadCoreWasm() as BufferSource);
  return modulePromise;
}

export async function newMachine(): Promise<Machine> {
  return Machine.create(await coreModule(), new BufferedInput(new Uint8Array()), { ramMiB: RAM_MIB });
}

export interface TrapRecord {
  /** 3: handled in M-mode, 1: in S-mode. */
  mode: bigint;
  cause: bigint;
  epc: bigint;
  tval: bigint;
  /** mstatus (or sstatus) at handler entry. */
  status: bigint;
  /** minstret read by the M handler's first instruction (0 for S). */
  minstret: bigint;
}

export interface RunOptions {
  /** Compare the final state with QEMU's (default true). */
  qemu?: boolean;
  /** Instruction budget (default 5M). */
  budget?: bigint;
  /** The expected way the body ends (default: reaching __exit). Other stops skip the exit sequence and QEMU. */
  stop?: StopReason;
  /** Called after loading, before running. */
  setup?: (m: Machine) => void;
  /** More breakpoints, by symbol (with stop: 'breakpoint'). */
  breakpoints?: string[];
}

export interface Result {
  machine: Machine;
  stop: Stop;
  elf: Uint8Array;
  /** x0..x31 when the body ended. */
  x: bigint[];
  pc: bigint;
  privilege: number;
  icount: bigint;
  /** Pages (RAM offset / 4096) written since load, when the body ended. */
  dirty: number[];
  traps: TrapRecord[];
  /** Output the body itself wrote to the UART. */
  uart: string;
  reg(name: (typeof ABI_NAMES)[number] | `x${number}`): bigint;
  csr(n: number): bigint;
  sym(name: string): bigint;
  /** `count` little-endian words of `width` bytes at a symbol or address, when the body ended. */
  words(at: string | bigint, count: number, width?: 1 | 2 | 4 | 8): bigint[];
  /** Labelled final state from the dump (what is compared with QEMU). */
  dump: Record<string, string> | undefined;
  /** The same from QEMU, when it ran. */
  qemuDump: Record<string, string> | undefined;
}

const SNAPSHOT_CSRS = [
  0x100, 0x104, 0x105, 0x106, 0x140, 0x141, 0x142, 0x143, 0x144, 0x180,
  0x300, 0x301, 0x302, 0x303, 0x304, 0x305, 0x306, 0x340, 0x341, 0x342, 0x343, 0x344, 0x3a0, 0x3b0,
  0xb00, 0xb02, 0xc00, 0xc01, 0xc02, 0xf14,
];

function parseDump(text: string): bigint[] {
  return text.split('\n').filter((l) => /^[0-9a-f]{16}$/.test(l)).map((l) => BigInt('0x' + l));
}

/** Runs a snippet (see the header of this file) and returns its final state. */
export async function run(body: string, opts: RunOptions = {}): Promise<Result> {
  const source = wrap(body);
  const elf = assemble(source);
  const m = await newMachine();
  let out = '';
  m.onOutput((b) => { out += Buffer.from(b).toString('latin1'); });
  m.load(elf);
  const sym = (name: string): bigint => {
    const s = m.symbols.lookup(name);
    if (!s) throw new Error(`no symbol ${name}`);
    return BigInt(s.address);
  };
  const exitAt = sym('__exit');
  opts.setup?.(m);
  m.setBreakpoints([exitAt, ...(opts.breakpoints ?? []).map(sym)]);
  const stop = m.run(opts.budget ?? 5_000_000n);
  const expected = opts.stop;
  const atExit = stop.reason === 'breakpoint' && stop.pc === exitAt;
  if (expected === undefined && !atExit) {
    throw new Error(`the program did not reach __exit: stop ${stop.reason} at pc 0x${stop.pc.toString(16)} after ${stop.icount} ` +
      `instructions${stop.message ? ` (${stop.message})` : ''}; mcause 0x${u64(m.readCsr(0x342) ?? 0n).toString(16)}, ` +
      `mepc 0x${u64(m.readCsr(0x341) ?? 0n).toString(16)}, mtval 0x${u64(m.readCsr(0x343) ?? 0n).toString(16)}`);
  }
  if (expected !== undefined) expect(stop.reason, `stop reason (pc 0x${stop.pc.toString(16)})`).toBe(expected);

  const x = m.registers();
  const csrs = new Map<number, bigint>();
  for (const n of SNAPSHOT_CSRS) { const v = m.readCsr(n); if (v !== undefined) csrs.set(n, u64(v)); }
  const dirty = m.dirtyPages();
  const dataStart = sym('__dump_start');
  const dataEnd = sym('__dump_end');
  const data = m.readMemory(dataStart, Number(dataEnd - dataStart)) ?? new Uint8Array();
  const dataView = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const traps: TrapRecord[] = [];
  const logOff = Number(sym('__trap_log') - dataStart);
  const count = Number(dataView.getBigUint64(logOff, true));
  for (let i = 0; i < Math.min(count, TRAP_SLOTS); i++) {
    const f = (k: number) => dataView.getBigUint64(logOff + 64 * (i + 1) + 8 * k, true);
    traps.push({ mode: f(0), cause: f(1), epc: f(2), tval: f(3), status: f(4), minstret: f(5) });
  }
  const uart = out;

  const words = (at: string | bigint, n: number, width: 1 | 2 | 4 | 8 = 8): bigint[] => {
    const addr = typeof at === 'string' ? sym(at) : at;
    const off = Number(addr - dataStart);
    const res: bigint[] = [];
    let bytes: Uint8Array | undefined;
    let base = 0;
    if (off >= 0 && off + n * width <= data.length) { bytes = data; base = off; } else { bytes = m.readMemory(addr, n * width); }
    if (!bytes) throw new Error(`cannot read 0x${addr.toString(16)}`);
    for (let i = 0; i < n; i++) {
      let v = 0n;
      for (let b = width - 1; b >= 0; b--) v = (v << 8n) | BigInt(bytes[base + i * width + b]);
      res.push(v);
    }
    return res;
  };

  let dump: Record<string, string> | undefined;
  let qemuDump: Record<string, string> | undefined;
  if (atExit) {
    m.setBreakpoints([]);
    const end = m.run(2_000_000n);
    expect(end.reason, 'the exit sequence powers off').toBe('exit');
    const ours = parseDump(out);
    dump = labelDump(ours, m, dataStart);
    if (opts.qemu ?? true) {
      const q = runQemu(elf);
      expect(q.status, `QEMU exit status (stderr: ${q.stderr})`).toBe(0);
      qemuDump = labelDump(parseDump(q.output), m, dataStart);
      // Two checks, so that a difference in instruction counting is told apart from the rest.
      const isCount = (k: string) => COUNT_LABELS.includes(k) || k.endsWith('.minstret');
      const part = (d: Record<string, string>, counts: boolean) => Object.fromEntries(Object.entries(d).filter(([k]) => isCount(k) === counts));
      expect.soft(part(dump, false), 'final state (registers, CSRs, trap log, data) agrees with QEMU 7.2').toEqual(part(qemuDump, false));
      expect.soft(part(dump, true), 'instruction counts (minstret, mcycle, time; minstret at each trap) agree with QEMU 7.2')
        .toEqual(part(qemuDump, true));
    }
  }

  return {
    machine: m, stop, elf, x, pc: stop.pc, privilege: m.privilege, icount: stop.icount, dirty, traps, uart, sym, words, dump, qemuDump,
    reg: (name) => x[name.startsWith('x') && /^x\d+$/.test(name) ? Number(name.slice(1)) : ABI_NAMES.indexOf(name as (typeof ABI_NAMES)[number])],
    csr: (n) => {
      const v = csrs.get(n);
      if (v === undefined) throw new Error(`CSR 0x${n.toString(16)} was not snapshotted or does not exist`);
      return v;
    },
  };
}

function hex(v: bigint): string { return '0x' + v.toString(16).padStart(16, '0'); }

/** Names each word of the dump: registers, CSRs, trap log fields, then the body's data by symbol. */
function labelDump(wordsIn: bigint[], m: Machine, dataStart: bigint): Record<string, string> {
  const labels: Record<string, string> = {};
  const dataSyms = (m.program?.symbols ?? [])
    .filter((s) => !s.name.startsWith('__') && !s.name.startsWith('.') && BigInt(s.address) >= dataStart)
    .sort((a, b) => a.address - b.address);
  const regsWords = 32, csrWords = DUMP_CSRS.length, logWords = (TRAP_SLOTS + 1) * 8;
  wordsIn.forEach((v, i) => {
    let label: string;
    if (i < regsWords) label = ABI_NAMES[i];
    else if (i < regsWords + csrWords) label = DUMP_CSRS[i - regsWords][0];
    else if (i < regsWords + csrWords + logWords) {
      const k = i - regsWords - csrWords;
      if (k === 0) label = 'trap count';
      else if (k < 8 || k % 8 >= TRAP_FIELDS.length) return;
      else label = `trap[${(k >> 3) - 1}].${TRAP_FIELDS[k % 8]}`;
    } else {
      const addr = dataStart + BigInt(i * 8);
      let best = 'data';
      let bestAddr = dataStart;
      for (const s of dataSyms) if (BigInt(s.address) <= addr) { best = s.name; bestAddr = BigInt(s.address); }
      label = `${best}+${addr - bestAddr}`;
    }
    labels[label] = hex(v);
  });
  labels['words'] = String(wordsIn.length);
  return labels;
}

// ---- arithmetic helpers for expected values ----

export const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
export const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);
export const u32 = (v: bigint): bigint => BigInt.asUintN(32, v);
export const s32 = (v: bigint): bigint => BigInt.asIntN(32, v);
/** Sign-extends the low `bits` bits of v to a 64-bit unsigned value. */
export const sext = (v: bigint, bits: number): bigint => u64(BigInt.asIntN(bits, v));

// ---- table-driven programs: many small cases, each leaving a result in a0 ----

export interface Case {
  name: string;
  /** Assembly that leaves its result in a0 (may use a0..a7, s0..s10, t0..t4; s11 is the result pointer). */
  asm: string;
  expected: bigint;
}

/** A body that runs each case and stores its a0 in `results[i]`; `extra` is appended (data, helpers). */
export function casesBody(cases: Case[], extra = ''): string {
  const parts = ['  la s11, results'];
  cases.forEach((c) => {
    parts.push(`  # ${c.name}`, c.asm, '  sd a0, 0(s11)', '  addi s11, s11, 8');
  });
  parts.push('  EXIT', '  .data', '  .balign 8', `results: .space ${Math.max(8, cases.length * 8)}`, '  .text', extra);
  return parts.join('\n');
}

/** Runs the cases and checks every result (one assertion naming each case). */
export async function checkCases(cases: Case[], opts: RunOptions = {}, extra = ''): Promise<Result> {
  const r = await run(casesBody(cases, extra), opts);
  const got = r.words('results', cases.length);
  const actual: Record<string, string> = {};
  const expected: Record<string, string> = {};
  cases.forEach((c, i) => {
    const key = `${String(i).padStart(3)} ${c.name}`;
    actual[key] = hex(got[i]);
    expected[key] = hex(u64(c.expected));
  });
  expect(actual).toEqual(expected);
  return r;
}

/** `li` of a 64-bit value given as a bigint (any sign). */
export function li(reg: string, v: bigint): string {
  return `  li ${reg}, ${s64(u64(v))}`;
}
