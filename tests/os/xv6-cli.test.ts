// xv6 from a shell, as a user runs it: `hindsight run kernel --disk fs.img
// --console uart` with commands on stdin, and `hindsight record` stopped with
// Ctrl-C, then `info` and `replay` of that recording.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildXv6, type Xv6Build } from '../support/xv6';
import { runHindsight, tempDir, HINDSIGHT_BIN } from '../support/qemu';

let build: Xv6Build;
let dir: string;
let disk: string;
beforeAll(() => {
  build = buildXv6();
  dir = tempDir('xv6-cli');
  // A copy: the cached image must stay as built (Hindsight never writes the file, but be safe).
  disk = join(dir, 'fs.img');
  copyFileSync(build.fsImagePath, disk);
}, 300_000);
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

/** Runs hindsight with stdin open; sends `input` once the output contains `after`, then SIGINT once it contains `stopAt`. */
function interactive(args: string[], input: string, after: string, stopAt: string): Promise<{ status: number | null; output: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [HINDSIGHT_BIN, ...args], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let stderr = '';
    let sent = false;
    let stopped = false;
    const timer = setTimeout(() => { p.kill('SIGKILL'); reject(new Error(`timed out; output: ${JSON.stringify(output.slice(-400))}`)); }, 120_000);
    p.stdout.on('data', (d: Buffer) => {
      output += d.toString('latin1');
      if (!sent && output.includes(after)) { sent = true; p.stdin.write(input); }
      if (sent && !stopped && output.includes(stopAt)) { stopped = true; p.kill('SIGINT'); }
    });
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    p.on('close', (status) => { clearTimeout(timer); resolve({ status, output, stderr }); });
  });
}

describe('xv6 on the command line', () => {
  it('run: commands piped to stdin reach the shell through the UART, typed ahead of the boot', () => {
    const r = runHindsight(['run', build.kernelPath, '--disk', disk, '--console', 'uart', '--max-insns', '1000000000'],
      { cwd: dir, stdin: 'echo time travel > t\ncat t\n', timeoutMs: 120_000 });
    expect(r.stderr).toMatch(/stopped after 1000000000 instructions \(--max-insns\)/);
    expect(r.status).toBe(124);
    expect(r.output).toContain('init: starting sh');
    expect(r.output).toMatch(/time travel\n\$ $/);
  }, 150_000);

  it('run: a script from --stdin FILE reaches the shell by the same rule, deterministically (the same output and stop twice)', () => {
    const script = join(dir, 'script.txt');
    writeFileSync(script, 'ls | wc\necho scripted > s\ncat s\n');
    const args = ['run', build.kernelPath, '--disk', disk, '--console', 'uart', '--stdin', script, '--max-insns', '900000000'];
    const a = runHindsight(args, { cwd: dir, timeoutMs: 120_000 });
    expect(a.status).toBe(124);
    expect(a.output).toMatch(/20 80 504 \n\$ /);
    expect(a.output).toMatch(/scripted\n\$ $/);
    const b = runHindsight(args, { cwd: dir, timeoutMs: 120_000 });
    expect(b.output).toBe(a.output);
    expect(b.stderr).toBe(a.stderr);
  }, 240_000);

  it('record: Ctrl-C stops the recording and keeps it; info shows the disk; replay reproduces the session and checks its end', async () => {
    const file = join(dir, 'xv6.hsr');
    const rec = await interactive(['record', build.kernelPath, '--disk', disk, '--console', 'uart', '-o', file],
      'echo recorded > r\ncat r\n', 'init: starting sh\n$ ', 'recorded\n$ ');
    expect(rec.stderr).toMatch(/recording stopped at icount \d+; .*xv6\.hsr holds it/);
    expect(rec.status).toBe(0);
    const info = runHindsight(['info', file], { cwd: dir });
    expect(info.status).toBe(0);
    expect(info.output).toMatch(/board revision 2/);
    expect(info.output).toMatch(/disk: {8}2048000 bytes, sha256 [0-9a-f]{64}/);
    expect(info.output).toMatch(/end: {9}stopped at icount \d+/);
    const rep = runHindsight(['replay', file], { cwd: dir, timeoutMs: 120_000 });
    expect(rep.stderr).toMatch(/replayed to icount \d+, where the recording was stopped; the state there matches/);
    expect(rep.status).toBe(0);
    expect(rep.output).toBe(rec.output);
  }, 300_000);

  it('refuses a disk image that is not whole sectors, or a console that does not exist, saying why', () => {
    const odd = join(dir, 'odd.img');
    writeFileSync(odd, new Uint8Array(1000));
    const r = runHindsight(['run', build.kernelPath, '--disk', odd], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('odd.img: a disk image must be a whole number of 512-byte sectors, and this one is 1000 bytes');
    const c = runHindsight(['run', build.kernelPath, '--console', 'serial'], { cwd: dir });
    expect(c.status).toBe(2);
    expect(c.stderr).toContain('--console must be "semihosting" or "uart", not "serial"');
    const missing = runHindsight(['record', build.kernelPath, '--disk', join(dir, 'nope.img'), '-o', join(dir, 'x.hsr')], { cwd: dir });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/cannot read the disk image .*nope\.img/);
  });
});
