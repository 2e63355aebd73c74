// The hot loop executes common instructions inline and sends everything else
// through a checked slow path that can execute every instruction. Forcing the
// slow path for a whole run must give the same output, exit status and
// instruction count as the normal run, so both copies of the semantics agree.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Machine } from '../../workers/engine/machine';
import { BufferedInput } from '../../workers/engine/host-input';
import { examples, EXAMPLES_DIR, ROOT } from '../support/qemu';

const wasm = readFileSync(join(ROOT, 'build/core.release.wasm'));

async function runExample(name: string, stdin: string, slow: boolean) {
  const m = await Machine.create(wasm, new BufferedInput(new TextEncoder().encode(stdin), () => 1_800_000_000), { ramMiB: 32, commandLine: `${name}.elf` });
  m.load(readFileSync(join(EXAMPLES_DIR, `${name}.elf`)));
  if (slow) m.core.raw.setSlowPathOnly(1);
  let out = '';
  m.onOutput((b) => { out += new TextDecoder().decode(b); });
  const stop = m.run(200_000_000n);
  const regs = m.registers().map((r) => r.toString(16)).join(',');
  return { out, stop: `${stop.reason} ${stop.exitCode} ${stop.icount}`, regs };
}

describe('slow path agrees with the hot loop', () => {
  for (const ex of examples().filter((e) => !e.benchmark)) {
    it(`${ex.name}: same output, exit, icount and final registers with every instruction on the slow path`, async () => {
      const fast = await runExample(ex.name, ex.stdin ?? '', false);
      const slow = await runExample(ex.name, ex.stdin ?? '', true);
      expect(fast.stop).toMatch(/^exit /);
      expect(slow).toEqual(fast);
    });
  }
});
