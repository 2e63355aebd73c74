// `hindsight run` as a user drives it from a shell.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { writeFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync, spawn } from 'node:child_process';
import { runHindsight, tempDir, EXAMPLES_DIR, HINDSIGHT_BIN } from '../support/qemu';

let dir: string;
beforeAll(() => { dir = tempDir('cli'); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

/** Assembles a bare program (entry at 0x80000000) with the Debian toolchain. */
function assemble(name: string, source: string, march = 'rv64imac_zicsr'): string {
  const src = join(dir, `${name}.S`);
  const elf = join(dir, `${name}.elf`);
  writeFileSync(src, source);
  const r = spawnSync('riscv64-unknown-elf-gcc', [`-march=${march}`, '-mabi=lp64', '-nostdlib', '-nostartfiles',
    '-Wl,-Ttext=0x80000000', '-Wl,-N', '-Wl,--no-relax', '-o', elf, src], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`assembling ${name} failed: ${r.stderr}${r.error?.message ?? ''}`);
  return elf;
}

describe('hindsight run', () => {
  it('prints help and exits 0', () => {
    const r = runHindsight(['--help'], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.output).toContain('hindsight run <prog.elf>');
  });

  it('passes the guest exit status through', () => {
    const r = runHindsight(['run', 'corruption.elf'], { cwd: EXAMPLES_DIR });
    expect(r.status).toBe(1);
    expect(r.output).toContain('SELF-CHECK FAILED');
  });

  it('reads console input from --stdin', () => {
    const input = join(dir, 'input.txt');
    writeFileSync(input, 'one two\nthree\n');
    const r = runHindsight(['run', join(EXAMPLES_DIR, 'echo.elf'), '--stdin', input], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.output).toContain('1: ONE TWO');
    expect(r.output).toContain('2: THREE');
    expect(r.output).toContain('2 lines, 3 words');
  });

  it('--stats reports instructions, seconds and MIPS', () => {
    const r = runHindsight(['run', 'hello.elf', '--stats'], { cwd: EXAMPLES_DIR });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^instructions: \d+\nseconds: [\d.]+\nMIPS: [\d.]+\ntranslation: \d+ blocks translated \(\d+ reused\), [\d.]+ ms translating, [\d.]+% of instructions run translated \(\d+ blocks entered\)\n$/);
    const off = runHindsight(['run', 'hello.elf', '--stats', '--no-jit'], { cwd: EXAMPLES_DIR });
    expect(off.status).toBe(0);
    expect(off.output).toBe(r.output);
    expect(off.stderr).toMatch(/\ntranslation: off \(--no-jit\)\n$/);
  });

  it('--max-insns stops a program that never ends, with status 124 and where it stopped', () => {
    const elf = assemble('spin', '.globl _start\n_start:\n  addi a0, a0, 1\n  j _start\n');
    const r = runHindsight(['run', elf, '--max-insns', '100000'], { cwd: dir });
    expect(r.status).toBe(124);
    expect(r.stderr).toContain('stopped after 100000 instructions (--max-insns)');
    expect(r.stderr).toContain('_start');
  });

  it('reports a trap loop with no handler as fatal (status 125)', () => {
    // mtvec is 0 (unmapped): the load faults, the handler fetch faults, forever.
    const elf = assemble('nohandler', '.globl _start\n_start:\n  ld a0, 0(zero)\n');
    const r = runHindsight(['run', elf, '--max-insns', '1000000'], { cwd: dir });
    expect(r.status).toBe(125);
    expect(r.stderr).toMatch(/trap loop/);
  });

  it('names the trap that started a trap loop, and why its handler cannot run', () => {
    // FS is Off at reset, so the FP move is illegal; mtvec is 0, where nothing is mapped.
    const elf = assemble('fpoff', '.globl _start\n_start:\n  nop\n  nop\n  nop\n  fmv.d.x ft0, zero\n', 'rv64gc');
    const r = runHindsight(['run', elf], { cwd: dir });
    expect(r.status).toBe(125);
    expect(r.stderr).toContain('trap loop: illegal instruction 0xf2000053 (fmv.d.x ft0,zero) at pc 0x80000006 (_start+0x6), '
      + 'and mtvec is 0x0, so the trap handler at 0x0 cannot run (it raises instruction access fault there, again and again)');
  });

  it('--trace observes without changing why or where the run stops, and writes the trace as it goes', () => {
    const elf = assemble('fpoff2', '.globl _start\n_start:\n  nop\n  nop\n  nop\n  fmv.d.x ft0, zero\n', 'rv64gc');
    const plain = runHindsight(['run', elf], { cwd: dir });
    const tracePath = join(dir, 'fpoff.trace');
    const traced = runHindsight(['run', elf, '--trace', tracePath], { cwd: dir });
    expect(traced.status).toBe(plain.status);
    expect(traced.stderr).toBe(plain.stderr);
    const lines = readFileSync(tracePath, 'utf8').trim().split('\n');
    expect(lines[0]).toMatch(/^0 0000000000001000 /);
    expect(lines.some((l) => l.includes('fmv.d.x'))).toBe(true);
    // --max-insns counts retired instructions with --trace too, so the loop is still found first.
    const limited = runHindsight(['run', elf, '--trace', tracePath, '--max-insns', '100'], { cwd: dir });
    expect(limited.status).toBe(125);
    expect(limited.stderr).toBe(plain.stderr);
    const spin = assemble('spin2', '.globl _start\n_start:\n  addi a0, a0, 1\n  j _start\n');
    const counted = runHindsight(['run', spin, '--trace', tracePath, '--max-insns', '1000'], { cwd: dir });
    expect(counted.status).toBe(124);
    expect(counted.stderr).toContain('stopped after 1000 instructions (--max-insns)');
    expect(readFileSync(tracePath, 'utf8').trim().split('\n')).toHaveLength(1000);
  });

  it('--trace leaves the trace so far when a run that never ends is killed', async () => {
    const spin = assemble('spin3', '.globl _start\n_start:\n  addi a0, a0, 1\n  j _start\n');
    const tracePath = join(dir, 'killed.trace');
    const child = spawn(process.execPath, [HINDSIGHT_BIN, 'run', spin, '--trace', tracePath], { cwd: dir, stdio: 'ignore' });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const lines = readFileSync(tracePath, 'utf8').split('\n').filter((l) => l.length > 0);
    expect(lines.length).toBeGreaterThan(100);
    expect(lines[lines.length - 1]).toMatch(/^\d+ [0-9a-f]{16} [0-9a-f]+ (.* )?; /);
  });

  it('reports WFI with nothing to wake the hart as fatal', () => {
    const elf = assemble('sleep', '.globl _start\n_start:\n  wfi\n  j _start\n');
    const r = runHindsight(['run', elf], { cwd: dir });
    expect(r.status).toBe(125);
    expect(r.stderr).toMatch(/WFI/);
  });

  it('rejects a file that is not ELF with a clear message and status 1', () => {
    const bad = join(dir, 'notes.txt');
    writeFileSync(bad, 'this is not a program\n');
    const r = runHindsight(['run', bad], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/notes\.txt: .*ELF/);
  });

  it('rejects a missing file and bad options with clear messages', () => {
    expect(runHindsight(['run', 'nope.elf'], { cwd: dir }).stderr).toContain('cannot read nope.elf');
    const badRam = runHindsight(['run', 'hello.elf', '--ram', '0'], { cwd: EXAMPLES_DIR });
    expect(badRam.status).toBe(2);
    expect(badRam.stderr).toContain('--ram must be between 1 and 2048');
    const unknown = runHindsight(['run', 'hello.elf', '--fast'], { cwd: EXAMPLES_DIR });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown option --fast');
  });

  it('--ram sets the guest RAM size (the device tree address moves with it)', () => {
    const elf = assemble('ramsize', `.globl _start
_start:
  li t0, 0x100000
  li t1, 0x3333
  srli a1, a1, 20
  slli a1, a1, 16
  or t1, t1, a1
  sw t1, 0(t0)
`);
    // a1 = device tree address = RAM end - 2 MiB; exit code = its MiB number (low byte).
    const r = runHindsight(['run', elf, '--ram', '64'], { cwd: dir });
    expect(r.status).toBe(((0x80000000 + 64 * 1048576 - 2 * 1048576) >>> 20) & 0xff);
  });

  it('--trace writes one line per instruction with the registers it changed', () => {
    const trace = join(dir, 'hello.trace');
    const r = runHindsight(['run', 'hello.elf', '--trace', trace], { cwd: EXAMPLES_DIR });
    expect(r.status).toBe(0);
    const lines = readFileSync(trace, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('0 0000000000001000 00000297 t0=0000000000001000 ; auipc t0,0x0');
    expect(lines[6]).toMatch(/^6 0000000080000000 /);
    expect(lines.length).toBeGreaterThan(5000);
  });
});
