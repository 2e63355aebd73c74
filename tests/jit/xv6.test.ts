// The translation tier under paging: xv6 (Sv39, S- and U-mode code, timer and
// UART interrupts, virtio-blk) booted with translation on and off side by side,
// then given commands, must be the same machine at every step compared.
import { describe, it, expect } from 'vitest';
import { buildXv6 } from '../support/xv6';
import { machineFor, lockstep } from './support';


/** Odd steps, so that slices end inside blocks, loops and interrupt handlers; large ones keep the run short. */
const STEPS = [7n, 1009n, 9_999_991n, 61n, 65537n, 19_999_999n, 1n, 3_000_017n];

describe('translation on and off under paging: xv6', () => {
  it('boots to the shell and runs ls and echo with identical full states at every step', { timeout: 300_000 }, async () => {
    const b = buildXv6();
    const config = { disk: b.fsImage };
    const plain = await machineFor(b.kernel, false, { config });
    const fast = await machineFor(b.kernel, true, { config });
    let out = '';
    fast.onOutput((bytes) => { out += Buffer.from(bytes).toString('latin1'); });
    // To the prompt (the shell then waits for the UART), then one command line at a time, typed into both at the same icount.
    lockstep(plain, fast, STEPS, 600_000_000n);
    expect(out).toContain('xv6 kernel is booting');
    expect(out.endsWith('$ ')).toBe(true);
    for (const line of ['ls\n', 'echo translated\n']) {
      const bytes = new TextEncoder().encode(line);
      expect(fast.sendUartInput(bytes)).toBe(plain.sendUartInput(bytes));
      const from = out.length;
      lockstep(plain, fast, STEPS, plain.icount + 200_000_000n);
      expect(out.slice(from).endsWith('$ ')).toBe(true);
    }
    expect(out).toContain('translated\n$ ');
    const translated = fast.core.jitStats().instructions;
    // Most of the boot runs translated, with paging on after kvminithart.
    expect(Number(translated)).toBeGreaterThan(0.8 * Number(fast.icount));
  });
});
