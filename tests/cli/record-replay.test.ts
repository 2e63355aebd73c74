// `hindsight record`, `replay`, `info` and `debug` from a shell.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { writeFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { runHindsight, runQemu, tempDir, EXAMPLES_DIR } from '../support/qemu';

let dir: string;
beforeAll(() => { dir = tempDir('cli-rr'); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

describe('hindsight record / replay / info', () => {
  it('records echo with input from a file, replays it to the same output and status, without the input', () => {
    const input = join(dir, 'in.txt');
    writeFileSync(input, 'time travel\nis real\n');
    const file = join(dir, 'echo.hsr');
    const rec = runHindsight(['record', 'echo.elf', '-o', file, '--stdin', input], { cwd: EXAMPLES_DIR });
    expect(rec.status).toBe(0);
    expect(rec.output).toContain('1: TIME TRAVEL');
    const qemu = runQemu('echo.elf', { cwd: EXAMPLES_DIR, stdin: 'time travel\nis real\n' });
    expect(rec.output).toBe(qemu.output);
    const rep = runHindsight(['replay', file], { cwd: dir, stdin: 'something else entirely\n' });
    expect(rep.status).toBe(0);
    expect(rep.output).toBe(rec.output);
    expect(rep.stderr).toBe('');
  });

  it('record --max-insns stops with status 124 and keeps a recording that ends there and replays', () => {
    const file = join(dir, 'limited.hsr');
    const rec = runHindsight(['record', 'hello.elf', '-o', file, '--max-insns', '1000'], { cwd: EXAMPLES_DIR });
    expect(rec.status).toBe(124);
    expect(rec.stderr).toContain('stopped after 1000 instructions (--max-insns)');
    expect(runHindsight(['info', file], { cwd: dir }).output).toContain('end:         stopped at icount 1000');
    const rep = runHindsight(['replay', file], { cwd: dir });
    expect(rep.status).toBe(0);
    expect(rep.stderr).toContain('replayed to icount 1000, where the recording was stopped; the state there matches');
  });

  it('replays the exit status of a failing program', () => {
    const file = join(dir, 'corruption.hsr');
    expect(runHindsight(['record', 'corruption.elf', '-o', file], { cwd: EXAMPLES_DIR }).status).toBe(1);
    const rep = runHindsight(['replay', file, '--stats'], { cwd: dir });
    expect(rep.status).toBe(1);
    expect(rep.output).toContain('SELF-CHECK FAILED');
    expect(rep.stderr).toMatch(/instructions: \d+\nseconds: [\d.]+\nMIPS: [\d.]+\nsnapshots: \d+/);
  });

  it('info describes a recording, also as JSON', () => {
    const file = join(dir, 'hello.hsr');
    runHindsight(['record', 'hello.elf', '-o', file], { cwd: EXAMPLES_DIR });
    const text = runHindsight(['info', file], { cwd: dir });
    expect(text.status).toBe(0);
    expect(text.output).toMatch(/program: +hello\.elf/);
    expect(text.output).toMatch(/end: +exit with status 0 at icount \d+/);
    const json = JSON.parse(runHindsight(['info', file, '--json'], { cwd: dir }).output);
    expect(json.complete).toBe(true);
    expect(json.end.exitCode).toBe(0);
    expect(Number(json.length)).toBeGreaterThan(1000);
    expect(json.events.output).toBeGreaterThan(0);
  });

  it('a corrupt recording is refused with the offset, a truncated one replays what it has', () => {
    const file = join(dir, 'timer.hsr');
    runHindsight(['record', 'timer.elf', '-o', file], { cwd: EXAMPLES_DIR });
    const bytes = readFileSync(file);
    const corrupt = join(dir, 'corrupt.hsr');
    const bad = Buffer.from(bytes);
    bad[bad.length - 20] ^= 0xff;
    writeFileSync(corrupt, bad);
    const r1 = runHindsight(['replay', corrupt], { cwd: dir });
    expect(r1.status).toBe(1);
    expect(r1.stderr).toMatch(/corrupt recording at offset 0x[0-9a-f]+/);
    const notOne = join(dir, 'not.hsr');
    writeFileSync(notOne, 'hello');
    expect(runHindsight(['replay', notOne], { cwd: dir }).stderr).toMatch(/not a Hindsight recording|too short/);
    const cut = join(dir, 'cut.hsr');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
    const r2 = runHindsight(['replay', cut], { cwd: dir });
    expect(r2.status).toBe(4);
    expect(r2.stderr).toMatch(/cut off/);
  });
});

describe('hindsight debug', () => {
  it('runs a script: watch, continue, reverse-continue to the corrupting store, step both ways, examine', () => {
    const file = join(dir, 'corr.hsr');
    runHindsight(['record', 'corruption.elf', '-o', file], { cwd: EXAMPLES_DIR });
    const script = [
      'seek 10000',
      'watch calibration_offset 4',
      'continue',
      'info replay',
      'seek 60000',
      'reverse-continue',
      'reverse-stepi',
      'stepi',
      'x/2wx &calibration_offset',
      'info breakpoints',
      'delete',
      'break main',
      'reverse-continue',
      'reverse-stepi',
      'info registers',
      'delete 2',
      'replay-break 30000',
      'continue',
      'bogus',
      'quit',
    ].join('\n') + '\n';
    const r = runHindsight(['debug', file], { cwd: dir, stdin: script });
    const lines = r.output.split('\n');
    const motions = lines.filter((l) => l.startsWith('['));
    // seek, continue (watchpoint in smooth_readings), seek, reverse-continue (same store), rsi, si, rc, rsi, continue
    expect(motions[1]).toMatch(/watchpoint 1: write of \d+ bytes at 0x[0-9a-f]+ by 0x[0-9a-f]+ <smooth_readings\+0x[0-9a-f]+>/);
    expect(motions[3]).toMatch(/watchpoint 1: write .*<smooth_readings/);
    expect(motions[1].split(' ')[0]).toBe(motions[3].split(' ')[0]);
    expect(motions[4]).toMatch(/stepped$/);
    expect(motions[5].split(' ')[0]).toBe(motions[3].split(' ')[0]);
    expect(r.output).toMatch(/mode replay, recording corruption\.elf, icount \d+ of \d+ \(ends: exit 1\)/);
    expect(r.output).toMatch(/<calibration_offset>:\t0x[0-9a-f]{8}\t0x[0-9a-f]{8}/);
    expect(motions[6]).toMatch(/<main>( corruption\.c:\d+)?: .* -- breakpoint 2$/);
    expect(r.output).toMatch(/x10\/a0 +0x[0-9a-f]{16}/);
    expect(motions[8]).toMatch(/^\[30000\] .* -- replay-break$/);
    expect(r.output).toContain('error: unknown command "bogus"');
    expect(r.status).toBe(1); // a scripted session with an error fails
  });

  it('info float shows the f registers as numbers with their bits, fcsr by field, and says when the FPU is off', () => {
    const file = join(dir, 'orbits.hsr');
    runHindsight(['record', 'orbits.elf', '-o', file], { cwd: EXAMPLES_DIR });
    const r = runHindsight(['debug', file], { cwd: dir, stdin: 'info float\nbreak orbits.c:86\ncontinue\ninfo registers float\nquit\n' });
    expect(r.status).toBe(0);
    expect(r.output).toContain('the floating-point unit is off (mstatus.FS = Off)');
    const lines = r.output.split('\n');
    expect(lines.filter((l) => /^f\d+\/\w+ +0x[0-9a-f]{16} {2}\S/.test(l))).toHaveLength(32);
    expect(r.output).toMatch(/^f1\/ft1 +0x3fe0000000000000 {2}0\.5$/m);
    expect(r.output).toMatch(/^fcsr +0x[0-9a-f]{2} {2}frm rne, flags (none|[A-Z ]+)$/m);
  });

  it('reverse-stepi at the start says there is no more history', () => {
    const file = join(dir, 'h.hsr');
    runHindsight(['record', 'hello.elf', '-o', file], { cwd: EXAMPLES_DIR });
    const r = runHindsight(['debug', file], { cwd: dir, stdin: 'reverse-stepi\nstepi 3\nreverse-stepi 5\nquit\n' });
    const motions = r.output.split('\n').filter((l) => l.startsWith('['));
    expect(motions[0]).toMatch(/^\[0\] 0x0000000000001000 .* no more reverse-execution history/);
    expect(motions[1]).toMatch(/^\[3\] /);
    expect(motions[2]).toMatch(/^\[0\] .*no more reverse-execution history/);
    expect(r.status).toBe(0);
  });
});

describe('hindsight snapshots', () => {
  it('writes a qcow2 image qemu-img accepts, and --embed makes debug open without replaying', () => {
    const file = join(dir, 'timer-snap.hsr');
    runHindsight(['record', 'timer.elf', '-o', file], { cwd: EXAMPLES_DIR });
    const image = join(dir, 'timer.qcow2');
    const r = runHindsight(['snapshots', file, '-o', image, '--embed'], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.output).toMatch(/^\d+ snapshots, \d+ bytes written to /);
    const check = spawnSync('qemu-img', ['check', image], { encoding: 'utf8' });
    expect(check.stdout).toContain('No errors were found on the image.');
    const info = JSON.parse(runHindsight(['info', file, '--json'], { cwd: dir }).output);
    expect(info.snapshotImageBytes).toBeGreaterThan(0);
    const d = runHindsight(['debug', file], { cwd: dir, stdin: 'info replay\nquit\n' });
    expect(d.output).toMatch(/icount 0 of \d+ .*, [1-9]\d* snapshots/);
    expect(d.stderr).toBe('');
    expect(runHindsight(['replay', file], { cwd: dir }).status).toBe(0);
  });
});

describe('hindsight debug at source level', () => {
  it('break FILE:LINE, list, step, bt, next, finish and their reverse', () => {
    const file = join(EXAMPLES_DIR, 'corruption-cli-test.hsr');
    try {
      runHindsight(['record', 'corruption.elf', '-o', file], { cwd: EXAMPLES_DIR });
      const script = ['break corruption.c:167', 'continue', 'list', 'step', 'bt', 'next', 'finish', 'reverse-finish', 'reverse-next', 'reverse-step', 'quit'].join('\n') + '\n';
      const r = runHindsight(['debug', file], { cwd: dir, stdin: script });
      expect(r.status).toBe(0);
      const motions = r.output.split('\n').filter((l) => l.startsWith('['));
      expect(motions[0]).toMatch(/corruption\.c:167: jal .*<compute_stats> {2}-- breakpoint 1$/);
      expect(r.output).toMatch(/=> +167 +struct stats raw = compute_stats/);
      expect(motions[1]).toMatch(/<compute_stats> corruption\.c:\d+: /);
      expect(r.output).toMatch(/#0 +(0x[0-9a-f]+ in )?compute_stats \(values=0x[0-9a-f]+ <raw_samples>, n=96\) at \.\/corruption\.c:\d+\n#1 +0x[0-9a-f]+ in main \(\) at \.\/corruption\.c:167/);
      expect(motions[3]).toMatch(/<main\+0x[0-9a-f]+> corruption\.c:168: /);
      expect(motions[4]).toMatch(/corruption\.c:167: jal/);
      expect(motions.length).toBe(7);
    } finally {
      rmSync(file, { force: true });
    }
  });
});
