// Small multi-hart guests of our own, built at test time with the Debian
// toolchain into the system's temporary directory (nothing built is committed).
// Every hart enters _start with a0 = its hart id (the mask ROM reads mhartid),
// takes its own stack and calls main(hart).
import { spawnSync } from 'node:child_process';
import { writeFileSync, renameSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';

const START = `
  .section .text.start, "ax"
  .globl _start
_start:
  csrr a0, mhartid
  la sp, stacks
  addi t0, a0, 1
  slli t0, t0, 12
  add sp, sp, t0
  call main
1: j 1b
  .bss
  .balign 16
stacks: .space 4096 * 8
`;

const LINK = `
ENTRY(_start)
SECTIONS {
  . = 0x80000000;
  .text : { *(.text.start) *(.text .text.*) }
  .rodata : { *(.rodata .rodata.*) }
  .data : { *(.data .data.* .sdata .sdata.*) }
  .bss : { *(.bss .bss.* .sbss .sbss.* COMMON) }
}
`;

const RUNTIME = `
#define UART ((volatile unsigned char *)0x10000000)
#define FINISHER ((volatile unsigned int *)0x100000)
static void putch(char c) { UART[0] = c; }
static void puts_(const char *s) { while (*s) putch(*s++); }
static void putu(unsigned long v) { char b[24]; int i = 0; do { b[i++] = '0' + v % 10; v /= 10; } while (v); while (i) putch(b[--i]); }
void __attribute__((noinline)) park(void) { for (;;) __asm__ volatile("wfi"); }
static void power_off(void) { *FINISHER = 0x5555; for (;;) ; }
`;

/**
 * A data race: `harts` harts each add 1 to a shared counter `iterations` times
 * without a lock (a load, an add, a store), to another with an atomic add,
 * and to a third with a compare-and-swap loop (LR/SC); hart 0 waits for all
 * and prints "counter N locked M cas C".
 */
export function raceSource(harts: number, iterations: number): string {
  return `${RUNTIME}
volatile unsigned long counter;
volatile unsigned long locked_counter;
unsigned long cas_counter;
volatile unsigned int arrived;
void main(unsigned long hart) {
  if (hart >= ${harts}) park();
  for (int i = 0; i < ${iterations}; i++) {
    counter = counter + 1;
    __atomic_fetch_add(&locked_counter, 1, __ATOMIC_RELAXED);
    /* A compare-and-swap loop: LR/SC on RISC-V. */
    unsigned long seen = __atomic_load_n(&cas_counter, __ATOMIC_RELAXED);
    while (!__atomic_compare_exchange_n(&cas_counter, &seen, seen + 1, 1, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) ;
  }
  __atomic_fetch_add(&arrived, 1, __ATOMIC_SEQ_CST);
  if (hart != 0) park();
  while (arrived < ${harts}) ;
  puts_("counter "); putu(counter); puts_(" locked "); putu(locked_counter); puts_(" cas "); putu(cas_counter); puts_("\\n");
  power_off();
}
`;
}

/**
 * Inter-processor interrupts: hart 0 raises hart 1's machine software
 * interrupt through the CLINT (msip), hart 1 (waiting in WFI with MSIE on)
 * takes it, clears msip, answers, and hart 0 prints what it saw.
 */
export const IPI_SOURCE = `${RUNTIME}
#define MSIP(h) ((volatile unsigned int *)(0x2000000 + 4 * (h)))
volatile unsigned long answered, hart1_cause, hart1_ready;
void __attribute__((interrupt("machine"), aligned(4))) on_trap(void) {
  unsigned long cause;
  __asm__ volatile("csrr %0, mcause" : "=r"(cause));
  hart1_cause = cause;
  *MSIP(1) = 0;
  answered = 1;
}
void main(unsigned long hart) {
  if (hart == 1) {
    __asm__ volatile("csrw mtvec, %0" :: "r"(on_trap));
    __asm__ volatile("csrw mie, %0" :: "r"(1ul << 3));
    __asm__ volatile("csrs mstatus, %0" :: "r"(1ul << 3));
    hart1_ready = 1;
    park();
  }
  if (hart != 0) park();
  while (!hart1_ready) ;
  puts_("msip before "); putu(*MSIP(1)); puts_("\\n");
  *MSIP(1) = 1;
  while (!answered) ;
  puts_("answered, mcause 0x"); putu(hart1_cause & 0xff); puts_(" interrupt "); putu(hart1_cause >> 63);
  puts_(" msip after "); putu(*MSIP(1)); puts_("\\n");
  power_off();
}
`;

/** Builds a C guest (with the start code above) into an ELF and returns its path; built once per source. */
export function buildSmpProgram(name: string, source: string): string {
  const key = createHash('sha256').update(START + LINK + source).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), 'hindsight-smp');
  mkdirSync(dir, { recursive: true });
  const elf = join(dir, `${name}-${key}.elf`);
  if (existsSync(elf)) return elf;
  const files = { start: join(dir, `${key}-start.S`), c: join(dir, `${name}-${key}.c`), ld: join(dir, `${key}.ld`) };
  writeFileSync(files.start, START);
  writeFileSync(files.c, source);
  writeFileSync(files.ld, LINK);
  const tmp = `${elf}.${process.pid}.tmp`;
  const r = spawnSync('riscv64-unknown-elf-gcc', ['-O2', '-g', '-mcmodel=medany', '-ffreestanding', '-nostdlib', '-nostartfiles', '-static',
    '-T', files.ld, '-Wl,--no-warn-rwx-segments', '-o', tmp, files.start, files.c], { encoding: 'utf8' });
  if (r.error) throw new Error(`cannot run riscv64-unknown-elf-gcc (is it installed?): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`building ${name} failed: ${r.stderr}`);
  renameSync(tmp, elf);
  return elf;
}

/**
 * CPU-bound parallel work for `npm run bench`: `total` iterations of an
 * integer hash split evenly among `harts` harts, summed with an atomic add;
 * hart 0 prints the sum and powers off.
 */
export function parallelWorkSource(harts: number, total: number): string {
  return `${RUNTIME}
volatile unsigned long sum;
volatile unsigned int finished;
void main(unsigned long hart) {
  if (hart >= ${harts}) park();
  unsigned long lo = ${total}ul / ${harts} * hart, hi = ${total}ul / ${harts} * (hart + 1), acc = 0;
  for (unsigned long i = lo; i < hi; i++) {
    unsigned long x = i * 0x9e3779b97f4a7c15ul;
    x ^= x >> 29; x *= 0xbf58476d1ce4e5b9ul; x ^= x >> 32;
    acc += x & 0xffff;
  }
  __atomic_fetch_add(&sum, acc, __ATOMIC_RELAXED);
  __atomic_fetch_add(&finished, 1, __ATOMIC_SEQ_CST);
  if (hart != 0) park();
  while (finished < ${harts}) ;
  puts_("sum "); putu(sum); puts_("\\n");
  power_off();
}
`;
}
