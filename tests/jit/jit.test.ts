// The translation tier (docs/machine.md, "Translation"): a machine with it on
// is the same machine as one with it off, state for state, at every icount
// tested; self-modifying code behaves as on QEMU.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { examples, EXAMPLES_DIR, runQemu, tempDir } from '../support/qemu';
import { GCC } from '../isa/support';
import { machineFor, loadElf, lockstep, fingerprint } from './support';

/** Steps of odd sizes, so that slices end everywhere inside blocks, loops and calls. */
const STEPS = [1n, 2n, 3n, 5n, 7n, 13n, 61n, 97n, 1009n, 4093n, 65537n, 250_007n];

describe('translation on and off: identical states', () => {
  for (const ex of examples()) {
    it(`${ex.name}: same stops and full-state fingerprints at every step`, { timeout: 120_000 }, async () => {
      const elf = loadElf(join(EXAMPLES_DIR, ex.elf));
      const plain = await machineFor(elf, false, { stdin: ex.stdin, commandLine: ex.elf });
      const fast = await machineFor(elf, true, { stdin: ex.stdin, commandLine: ex.elf });
      // The long benchmarks are compared over their first 30 million instructions, in larger steps.
      const steps = ex.benchmark ? STEPS.map((s) => s * 37n) : STEPS;
      const translated = lockstep(plain, fast, steps, ex.benchmark ? 30_000_000n : 50_000_000n);
      expect(plain.core.jitStats().instructions).toBe(0n);
      if (fast.icount > 100_000n) expect(translated).toBeGreaterThan(0n);
      // The floating-point examples run translated too (F/D in translated code), not just their integer parts.
      const share = FP_SHARE[ex.name];
      if (share !== undefined) expect(Number(translated) / Number(fast.icount), `${ex.name}: share run translated`).toBeGreaterThan(share);
    });
  }
  it('covers the floating-point examples', () => {
    for (const name of Object.keys(FP_SHARE)) expect(examples().map((e) => e.name)).toContain(name);
  });
});

/** Shares of instructions the FP examples must run translated in the lockstep runs (most of the rest is the small steps). */
const FP_SHARE: Record<string, number> = { fpbench: 0.95, orbits: 0.8 };

describe('exact icount inside a hot loop', () => {
  it('stops at every budget from 1 to 200 instructions into translated code as the interpreter does', { timeout: 120_000 }, async () => {
    const elf = loadElf(join(EXAMPLES_DIR, 'bench.elf'));
    const plain = await machineFor(elf, false);
    const fast = await machineFor(elf, true);
    // Warm up well past the threshold, so that the loops below run translated.
    plain.run(3_000_000n);
    fast.run(3_000_000n);
    const before = fast.core.jitStats().instructions;
    expect(before).toBeGreaterThan(1_000_000n);
    for (let budget = 1n; budget <= 200n; budget++) {
      const a = plain.run(budget);
      const b = fast.run(budget);
      expect(b.icount).toBe(a.icount);
      expect(b.pc).toBe(a.pc);
      // Memory (128 MiB to hash) every 25 steps; registers, pc and the serialised machine state at every one.
      const withMemory = budget % 25n === 0n;
      expect(fingerprint(fast, withMemory)).toBe(fingerprint(plain, withMemory));
    }
    // Those budgets did run translated blocks (the remaining budget covered them), not only the interpreter.
    expect(fast.core.jitStats().instructions - before).toBeGreaterThan(1000n);
  });
});

describe('self-modifying code', () => {
  it('writes, fence.i, runs, rewrites hot code in place: QEMU\'s output, and the same states with translation off', { timeout: 120_000 }, async () => {
    const dir = tempDir('jit-smc');
    try {
      const elf = join(dir, 'smc.elf');
      const cc = spawnSync(GCC, ['-march=rv64gc', '-mabi=lp64', '-nostdlib', '-nostartfiles', '-Wl,-Ttext=0x80000000', '-Wl,-n',
        '-Wl,--no-warn-rwx-segments', '-o', elf, join(import.meta.dirname, 'smc.S')]);
      expect(cc.stderr.toString()).toBe('');
      expect(cc.status).toBe(0);
      const qemu = runQemu('smc.elf', { cwd: dir });
      expect(qemu.output).toBe(['3e8', '1f40', 'ed8', '1129c', '5bc'].map((v) => v.padStart(16, '0') + '\n').join(''));
      for (const jit of [true, false]) {
        const m = await machineFor(loadElf(elf), jit);
        let out = '';
        m.onOutput((b) => { out += Buffer.from(b).toString('latin1'); });
        const stop = m.run(10_000_000n);
        expect(stop.reason).toBe('exit');
        expect(out).toBe(qemu.output);
        if (jit) expect(m.core.jitStats().instructions).toBeGreaterThan(0n);
      }
      const plain = await machineFor(loadElf(elf), false, { config: { ramMiB: 16 } });
      const fast = await machineFor(loadElf(elf), true, { config: { ramMiB: 16 } });
      lockstep(plain, fast, [1n, 3n, 7n, 17n, 101n, 499n, 1201n], 10_000_000n);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
