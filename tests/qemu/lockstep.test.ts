// Lockstep: the pc of every instruction and every register it writes equal
// QEMU's, from reset to exit, for programs that exercise the C library,
// timer interrupts, privilege changes and traps, and the UART.
import { describe, it, expect } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runQemu, runHindsight, tempDir, readLines, EXAMPLES_DIR } from '../support/qemu';
import { parseQemuCpuLogLines, parseHindsightTrace, firstDifference } from '../support/qemu-trace';

const PROGRAMS = ['hello', 'timer', 'traps', 'uart', 'corruption'];

describe('lockstep with QEMU', () => {
  for (const name of PROGRAMS) {
    it(`${name}: identical pcs and register writes for the whole run`, () => {
      const dir = tempDir('lockstep');
      try {
        const qemuLog = join(dir, 'qemu.log');
        const ourTrace = join(dir, 'hindsight.trace');
        runQemu(`${name}.elf`, { cwd: EXAMPLES_DIR, logFile: qemuLog });
        const ours = runHindsight(['run', `${name}.elf`, '--trace', ourTrace], { cwd: EXAMPLES_DIR });
        expect(ours.stderr).toBe('');
        const expected = parseQemuCpuLogLines(readLines(qemuLog));
        const actual = parseHindsightTrace(readFileSync(ourTrace, 'utf8'));
        expect(expected.length).toBeGreaterThan(500);
        expect(firstDifference(expected, actual)).toBeUndefined();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
