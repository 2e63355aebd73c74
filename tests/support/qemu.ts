// Running the reference: qemu-system-riscv64 on QEMU's virt board, and the
// `hindsight` command on the same program, for differential tests.
import { spawnSync } from 'node:child_process';
import { readFileSync, mkdtempSync, openSync, readSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const EXAMPLES_DIR = join(ROOT, 'public/examples');
/** The `hindsight` command, to run with node. */
export const HINDSIGHT_BIN = join(ROOT, 'bin/hindsight.mjs');

export interface ExampleInfo {
  name: string;
  elf: string;
  sources: string[];
  description: string;
  stdin?: string;
  /** A long CPU-bound program (hundreds of millions of instructions): `npm run bench` runs it, tests that replay every example leave it out. */
  benchmark?: boolean;
}

export function examples(): ExampleInfo[] {
  return JSON.parse(readFileSync(join(EXAMPLES_DIR, 'examples.json'), 'utf8')) as ExampleInfo[];
}

export interface RunResult {
  output: string;
  status: number | null;
  stderr: string;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `hindsight-${prefix}-`));
}

/**
 * Runs `elf` (a path relative to cwd, so that SYS_GET_CMDLINE matches) under
 * QEMU with exact instruction counting. Console input goes to semihosting.
 */
export function runQemu(elf: string, opts: { cwd: string; stdin?: string; logFile?: string; timeoutMs?: number }): RunResult {
  const args = ['-M', 'virt', '-display', 'none', '-monitor', 'none', '-bios', 'none', '-kernel', elf,
    '-icount', 'shift=0,sleep=off'];
  let outFile: string | undefined;
  if (opts.stdin !== undefined) {
    // The UART must not also read stdin; semihosting output goes to a file through a chardev.
    outFile = join(tempDir('qemu-out'), 'console.txt');
    args.push('-serial', 'none', '-chardev', `file,id=out,path=${outFile}`,
      '-semihosting-config', 'enable=on,target=native,chardev=out');
  } else {
    // The UART writes to a file, not to a pipe: a write to a busy pipe can fail, QEMU retries it
    // later, and a guest that powers off right after its last byte loses that byte.
    outFile = join(tempDir('qemu-out'), 'uart.txt');
    args.push('-chardev', `file,id=uart,path=${outFile}`, '-serial', 'chardev:uart', '-semihosting');
  }
  if (opts.logFile) args.push('-singlestep', '-d', 'cpu,nochain', '-D', opts.logFile);
  const r = spawnSync('qemu-system-riscv64', args, {
    cwd: opts.cwd, input: opts.stdin ?? '', timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 << 20,
  });
  if (r.error) throw new Error(`cannot run qemu-system-riscv64: ${r.error.message}`);
  // Without a chardev QEMU writes semihosting output to stderr; the guest's console is both streams.
  let output = r.stdout.toString('latin1') + r.stderr.toString('latin1');
  if (outFile) {
    output = readFileSync(outFile, 'latin1') + output;
    rmSync(dirname(outFile), { recursive: true, force: true });
  }
  return { output, status: r.status, stderr: r.stderr.toString() };
}

export function runHindsight(args: string[], opts: { cwd: string; stdin?: string; timeoutMs?: number }): RunResult {
  const r = spawnSync(process.execPath, [HINDSIGHT_BIN, ...args], {
    cwd: opts.cwd, input: opts.stdin ?? '', timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 << 20,
  });
  if (r.error) throw new Error(`cannot run hindsight: ${r.error.message}`);
  return { output: r.stdout.toString('latin1'), status: r.status, stderr: r.stderr.toString() };
}

/** Reads a large text file line by line without holding it all in one string. */
export function* readLines(path: string): Generator<string> {
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(1 << 20);
  let rest = '';
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      const chunk = rest + buf.toString('latin1', 0, n);
      const lines = chunk.split('\n');
      rest = lines.pop() ?? '';
      yield* lines;
    }
    if (rest) yield rest;
  } finally {
    closeSync(fd);
  }
}
