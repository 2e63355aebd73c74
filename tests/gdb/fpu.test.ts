// The FPU through gdb-multiarch: f0..f31 as GDB's float/double union, fflags,
// frm and fcsr with GDB's decoding, `info registers float`, `info float` and
// `p $fa0`, on a small program that sets FP registers and the fcsr
// (tests/fixtures/fpregs.S); compared with the values the program computes
// and with what GDB shows on QEMU at the same point.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tempDir } from '../support/qemu';
import { buildFpregs, freePort, runGdb, startQemu, startServer, waitForPort, whens, type Server } from './support';
import { FP_ABI_NAMES } from '../../workers/engine/memory-map';

/** tests/fixtures/fpregs.S: these f registers at `done`, fcsr 0x29 (rtz; DZ and NX). */
const RAW_AT_DONE: Record<string, bigint> = {
  fa0: 0x3ff8000000000000n, fa1: 0xc002000000000000n, fa2: 0xffffffff40400000n,
  ft0: 0x3ff0000000000000n, ft1: 0x4008000000000000n, ft2: 0x3fd5555555555555n, ft3: 0n,
  ft4: 0x7ff0000000000000n, fs0: 0xc00b000000000000n, fs1: 0xffffffff40c00000n, fs2: 0xbff8000000000000n,
};

let dir: string;
let elf: string;
let server: Server;

beforeAll(async () => {
  dir = tempDir('gdb-fpu');
  elf = buildFpregs(dir);
  server = await startServer(elf, ['--stdin', '/dev/null']);
});

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const AT_DONE = ['break done', 'continue', 'delete'];
const SHOW = ['info registers float', 'info float', 'p $fa0', 'p $fa2', 'p $fa2.float', 'p/x $fs1', 'p $fcsr', 'p $frm', 'p $fflags'];

/** `info registers` lines: name, value text, raw (the part after the name). */
function registerLines(out: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of out.split('\n')) {
    const r = /^(f[tsa]\d+|fflags|frm|fcsr)\s+(.*)$/.exec(line);
    if (r && !m.has(r[1])) m.set(r[1], r[2].trim());
  }
  return m;
}

describe('gdb: the FPU', () => {
  it('f registers, fflags, frm and fcsr: info registers float, info float, p $fa0', async () => {
    // At reset mstatus.FS is Off: the FP CSRs cannot be read, GDB shows them unavailable.
    const start = await runGdb(server.port, ['p $fcsr', 'p $fa0', 'info registers fflags'], { elf });
    expect(start).toMatch(/^\$1 = <unavailable>$/m);
    expect(start).toMatch(/^\$2 = \{float = 0, double = 0\}$/m);
    expect(start).toMatch(/^fflags\s+<unavailable>$/m);

    const out = await runGdb(server.port, [...AT_DONE, 'monitor when', ...SHOW], { elf });
    const regs = registerLines(out);
    // Every f register by ABI name, with its raw bits, and the three CSRs.
    for (const name of FP_ABI_NAMES) expect(regs.get(name), name).toMatch(/\{float = .*, double = .*\}\s+\(raw 0x[0-9a-f]{16}\)$/);
    for (const [name, raw] of Object.entries(RAW_AT_DONE)) {
      expect(regs.get(name), name).toContain(`(raw 0x${raw.toString(16).padStart(16, '0')})`);
    }
    expect(regs.get('fa0')).toMatch(/double = 1\.5\}/);
    expect(regs.get('fa1')).toMatch(/double = -2\.25\}/);
    expect(regs.get('ft4')).toMatch(/double = inf\}/);
    expect(regs.get('fflags')).toMatch(/^0x9\s+NV:0 DZ:1 OF:0 UF:0 NX:1$/);
    expect(regs.get('frm')).toMatch(/^0x1\s+FRM:1 \[RTZ \(Round towards zero\)\]$/);
    expect(regs.get('fcsr')).toMatch(/^0x29\s+NV:0 DZ:1 OF:0 UF:0 NX:1 FRM:1 \[RTZ \(Round towards zero\)\]$/);
    // info float shows the same registers.
    const infoFloat = out.slice(out.indexOf('ft0', out.indexOf('fcsr')));
    expect(infoFloat).toMatch(/^fa0\s+\{float = 0, double = 1\.5\}\s+\(raw 0x3ff8000000000000\)$/m);
    // p: the union, its single-precision half, the NaN-boxed single in hex, the CSRs.
    expect(out).toMatch(/^\$1 = \{float = 0, double = 1\.5\}$/m);
    expect(out).toMatch(/^\$2 = \{float = 3, double = -nan\(0xfffff40400000\)\}$/m);
    expect(out).toMatch(/^\$3 = 3$/m);
    expect(out).toMatch(/^\$4 = \{float = 0x40c00000, double = 0xffffffff40c00000\}$/m);
    expect(out).toMatch(/^\$5 = 41$/m);
    expect(out).toMatch(/^\$6 = 1$/m);
    expect(out).toMatch(/^\$7 = 9$/m);
    expect(whens(out)[0]).toBeGreaterThan(0n);
  });

  // QEMU 7.2 describes f0..f31 to GDB but not fflags, frm and fcsr (nor the other CSRs): the f registers are compared.
  it('shows the f registers as GDB shows them on QEMU at the same breakpoint', async () => {
    const port = await freePort();
    const qemu: ChildProcess = startQemu(elf, port);
    try {
      await waitForPort(port);
      const script = [...AT_DONE, 'info registers float'];
      const onQemu = registerLines(await runGdb(port, script, { elf }));
      const ours = registerLines(await runGdb(server.port, ['monitor replay-seek 0', 'maint flush register-cache', ...script], { elf }));
      expect(onQemu.size).toBeGreaterThanOrEqual(32);
      for (const name of FP_ABI_NAMES) expect(ours.get(name), name).toBe(onQemu.get(name));
      expect(onQemu.get('fa2')).toBe('{float = 3, double = -nan(0xfffff40400000)}\t(raw 0xffffffff40400000)');
    } finally {
      qemu.kill('SIGKILL');
    }
  });
});
