// A guest that fills its RAM: the memory tests and `npm run bench` record,
// replay and export it to see how much host memory a guest of R MiB costs.
// Built at test time with the Debian toolchain (riscv64-unknown-elf-gcc);
// nothing built is committed.
import { spawnSync } from 'node:child_process';
import { writeFileSync, renameSync, mkdirSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createHash } from 'node:crypto';

/**
 * Writes a doubleword that is never zero, and differs from page to page, to
 * every 8 bytes of RAM from the first page after the program up to `mib` MiB
 * (so every page of RAM holds data), prints a line on the UART and powers off
 * with status 0 through the finisher.
 */
function source(mib: number): string {
  return `
    .equ RAM_END,  0x80000000 + ${mib} * 1024 * 1024
    .equ FINISHER, 0x00100000
    .equ UART,     0x10000000
    .section .text.start, "ax"
    .globl _start
_start:
    la      t0, fill_start
    li      t1, RAM_END
    li      t2, 0x5a5a5a5a5a5a5a5b
1:  xor     t3, t0, t2
    sd      t3, 0(t0)
    sd      t3, 8(t0)
    sd      t3, 16(t0)
    sd      t3, 24(t0)
    sd      t3, 32(t0)
    sd      t3, 40(t0)
    sd      t3, 48(t0)
    sd      t3, 56(t0)
    addi    t0, t0, 64
    bltu    t0, t1, 1b
    li      t0, UART
    li      t1, 'f'
    sb      t1, 0(t0)
    li      t1, 10
    sb      t1, 0(t0)
    li      t0, FINISHER
    li      t1, 0x5555
    sw      t1, 0(t0)
2:  j       2b
    .balign 4096
fill_start:
`;
}

/** Path of the ELF that fills `mib` MiB of RAM (built once per source into the system's temporary directory). */
export function fillRamElf(mib: number): string {
  const src = source(mib);
  const key = createHash('sha256').update(src).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), 'hindsight-fill-ram');
  mkdirSync(dir, { recursive: true });
  const elf = join(dir, `fill-${mib}-${key}.elf`);
  if (existsSync(elf)) return elf;
  const asm = join(dir, `fill-${mib}-${key}.S`);
  writeFileSync(asm, src);
  const tmp = `${elf}.${process.pid}.tmp`;
  const r = spawnSync('riscv64-unknown-elf-gcc', ['-march=rv64gc', '-mabi=lp64d', '-nostdlib', '-nostartfiles', '-static',
    '-Wl,-Ttext=0x80000000', '-Wl,-N', '-Wl,--no-relax', '-o', tmp, asm], { encoding: 'utf8' });
  if (r.error) throw new Error(`cannot run riscv64-unknown-elf-gcc (is it installed?): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`building the RAM-filling guest failed: ${r.stderr}`);
  renameSync(tmp, elf);
  return elf;
}

export interface Measured {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Peak resident set size of the whole process, bytes. */
  peakBytes: number;
}

/** Runs the `hindsight` command and measures its peak resident set size (process.resourceUsage at exit). */
export function measureHindsight(args: string[], cwd: string): Measured {
  const root = packageRoot();
  const rssFile = join(cwd, `peak-rss-${process.pid}-${Date.now()}.txt`);
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(join(root, 'tests/support/peak-rss.mjs')).href, join(root, 'bin/hindsight.mjs'), ...args], {
    cwd, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 600_000, env: { ...process.env, HINDSIGHT_PEAK_RSS_FILE: rssFile },
  });
  if (r.error) throw new Error(`cannot run hindsight: ${r.error.message}`);
  const peakBytes = Number(readFileSync(rssFile, 'utf8'));
  rmSync(rssFile, { force: true });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, peakBytes };
}

/** The project folder: the nearest above this module holding package.json (this module may be bundled into dist/). */
function packageRoot(): string {
  let dir = import.meta.dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = resolve(dir, '..');
    if (up === dir) throw new Error('cannot find the project folder');
    dir = up;
  }
  return dir;
}
