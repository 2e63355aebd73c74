// Helpers for the translation tier's tests: a machine with translation on or
// off, and a fingerprint of its whole state (registers, CSRs and devices as
// saveState serialises them, RAM and disk, the dirty-page and executed-code maps).
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { Machine, type MachineConfig } from '../../workers/engine/machine';
import { BufferedInput } from '../../workers/engine/host-input';
import { loadCoreWasm } from '../../workers/cli/node-host';

let wasm: WebAssembly.Module | undefined;
export function coreModule(): WebAssembly.Module {
  wasm ??= new WebAssembly.Module(loadCoreWasm() as BufferSource);
  return wasm;
}

export async function machineFor(elf: Uint8Array, jit: boolean, opts: { stdin?: string; commandLine?: string; config?: Partial<MachineConfig> } = {}): Promise<Machine> {
  const input = new BufferedInput(new TextEncoder().encode(opts.stdin ?? ''));
  const m = await Machine.create(coreModule(), input, { ramMiB: 128, commandLine: opts.commandLine, ...opts.config, jit });
  m.load(elf);
  return m;
}

export function loadElf(path: string): Uint8Array { return new Uint8Array(readFileSync(path)); }

/** Everything that defines the machine's state, as one string to compare. */
export function fingerprint(m: Machine, withMemory = true): string {
  if (!withMemory) {
    const bytes = m.core.bytes();
    return JSON.stringify({ icount: String(m.icount), pc: String(m.pc), state: Buffer.from(m.captureState().core).toString('hex'),
      regs: Buffer.from(bytes.subarray(m.core.layout.regs, m.core.layout.regs + m.core.layout.registerFileBytes)).toString('hex') });
  }
  const s = m.captureState();
  const core = m.core;
  const bytes = core.bytes();
  const ram = m.hashHostBytes(core.layout.ram, m.pagedBytes, 3n);
  const dirty = m.hashHostBytes(core.layout.dirtyPages, Math.ceil(m.pagedBytes / 4096), 4n);
  const execMap = core.raw.execMapOffset();
  const exec = m.hashHostBytes(execMap, m.ramBytes >> 6, 5n);
  const state = Buffer.from(s.core).toString('hex');
  const regs = Buffer.from(bytes.subarray(core.layout.regs, core.layout.regs + core.layout.registerFileBytes)).toString('hex');
  return JSON.stringify({ icount: String(m.icount), pc: String(m.pc), ram: String(ram), dirty: String(dirty), exec: String(exec), state, regs, semihosting: s.semihosting, exited: s.exited ? { ...s.exited, icount: String(s.exited.icount), pc: String(s.exited.pc) } : null });
}

/**
 * Runs two machines (translation off, on) side by side in the same steps of
 * `steps` instructions (cycled) until both stop for good or `limit`
 * instructions, comparing the stop and the fingerprint after every step.
 * Returns how many instructions the translated machine ran translated.
 */
export function lockstep(plain: Machine, fast: Machine, steps: bigint[], limit: bigint): bigint {
  let i = 0;
  const outPlain: number[] = [];
  const outFast: number[] = [];
  plain.onOutput((b) => outPlain.push(...b));
  fast.onOutput((b) => outFast.push(...b));
  while (plain.icount < limit) {
    const step = steps[i++ % steps.length];
    const a = plain.run(step);
    const b = fast.run(step);
    expect({ ...b, icount: String(b.icount), pc: String(b.pc) }).toEqual({ ...a, icount: String(a.icount), pc: String(a.pc) });
    expect(fingerprint(fast)).toBe(fingerprint(plain));
    if (a.reason !== 'budget') break;
  }
  expect(outFast).toEqual(outPlain);
  return fast.core.jitStats().instructions;
}
