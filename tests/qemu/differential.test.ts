// Every example program gives the same console output and exit status on
// Hindsight as on qemu-system-riscv64 with exact instruction counting.
import { describe, it, expect } from 'vitest';
import { examples, runQemu, runHindsight, EXAMPLES_DIR } from '../support/qemu';

describe('examples agree with QEMU', () => {
  const list = examples();
  it('has examples to compare', () => {
    expect(list.length).toBeGreaterThanOrEqual(5);
  });
  for (const ex of list) {
    it(`${ex.name}: same output and exit status`, () => {
      const qemu = runQemu(ex.elf, { cwd: EXAMPLES_DIR, stdin: ex.stdin });
      const ours = runHindsight(['run', ex.elf], { cwd: EXAMPLES_DIR, stdin: ex.stdin ?? '' });
      expect(qemu.output.length).toBeGreaterThan(0);
      expect(ours.stderr).toBe('');
      expect(ours.output).toBe(qemu.output);
      expect(ours.status).toBe(qemu.status);
    });
  }
});
