// Breakpoints and watchpoints with translation on: the same stops, at the same
// icount and with the same state, as with translation off and as with every
// access through the checked slow path; and translated code keeps running
// (blocks skip only a breakpoint's page; loads and stores miss the TLB only on
// a watched page), which is what makes reverse-continue with a watchpoint fast.
import { describe, it, expect } from 'vitest';
import { join, isAbsolute } from 'node:path';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { EXAMPLES_DIR, tempDir } from '../support/qemu';
import { GCC } from '../isa/support';
import { parseElf } from '../../workers/formats/elf';
import type { Machine, Stop } from '../../workers/engine/machine';
import { machineFor, loadElf, fingerprint } from './support';

type Arm = (m: Machine, symbol: (name: string) => bigint) => void;

interface Run { stops: string[]; fingerprints: string[]; machine: Machine }

/** Runs to `limit` instructions (or the program's end), collecting every stop. */
async function collect(elfName: string, mode: 'jit' | 'interpreter' | 'slow path', arm: Arm, limit: bigint): Promise<Run> {
  const elf = loadElf(isAbsolute(elfName) ? elfName : join(EXAMPLES_DIR, elfName));
  const symbols = parseElf(elf).symbols;
  const symbol = (name: string): bigint => {
    const s = symbols.find((x) => x.name === name);
    if (!s) throw new Error(`${elfName} has no symbol ${name}`);
    return BigInt(s.address);
  };
  const m = await machineFor(elf, mode === 'jit');
  if (mode === 'slow path') m.core.raw.setSlowPathOnly(1);
  arm(m, symbol);
  const stops: string[] = [];
  const fingerprints: string[] = [];
  while (m.icount < limit) {
    const stop: Stop = m.run(limit - m.icount);
    stops.push(JSON.stringify(stop, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
    // The dirty and executed-code maps are the fast path's bookkeeping; the slow-path reference is compared on the rest.
    // Memory (hashing all of RAM) at every eighth stop.
    fingerprints.push(fingerprint(m, mode !== 'slow path' && stops.length % 8 === 1));
    if (stop.reason !== 'breakpoint' && stop.reason !== 'watchpoint') break;
  }
  return { stops, fingerprints, machine: m };
}

/** Builds tests/jit/NAME.S into a temporary directory and hands the ELF's path to `use`. */
async function withProgram(name: string, use: (elf: string) => Promise<void>): Promise<void> {
  const dir = tempDir(`jit-${name}`);
  try {
    const elf = join(dir, `${name}.elf`);
    const cc = spawnSync(GCC, ['-march=rv64gc', '-mabi=lp64', '-nostdlib', '-nostartfiles', '-Wl,-Ttext=0x80000000', '-Wl,-n',
      '-Wl,--no-warn-rwx-segments', '-o', elf, join(import.meta.dirname, `${name}.S`)]);
    expect(cc.stderr.toString()).toBe('');
    expect(cc.status).toBe(0);
    await use(elf);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function compare(elfName: string, arm: Arm, limit: bigint, minStops: number): Promise<void> {
  const reference = await collect(elfName, 'slow path', arm, limit);
  const plain = await collect(elfName, 'interpreter', arm, limit);
  const fast = await collect(elfName, 'jit', arm, limit);
  expect(reference.stops.length).toBeGreaterThanOrEqual(minStops);
  expect(plain.stops).toEqual(reference.stops);
  expect(fast.stops).toEqual(reference.stops);
  expect(fast.fingerprints).toEqual(plain.fingerprints);
  expect(fingerprint(fast.machine, false)).toBe(fingerprint(reference.machine, false));
  // Translation stayed on: most instructions ran translated.
  const share = Number(fast.machine.core.jitStats().instructions) / Number(fast.machine.icount);
  expect(share, 'share of instructions run translated').toBeGreaterThan(0.5);
}

describe('debug stops with translation on', () => {
  it('a write watchpoint on calibration_offset: every store, as the slow path sees them', { timeout: 120_000 }, async () => {
    await compare('corruption.elf', (m, sym) => m.setWatchpoint(0, sym('calibration_offset'), 4, { read: false, write: true }), 50_000_000n, 2);
  });

  it('read and write watchpoints inside the benchmark\'s hot arrays', { timeout: 120_000 }, async () => {
    await compare('bench.elf', (m, sym) => {
      m.setWatchpoint(0, sym('keys') + 0x1230n, 8, { read: false, write: true });
      m.setWatchpoint(1, sym('mat_a') + 0x800n, 4, { read: true, write: false });
      m.setWatchpoint(2, sym('nodes') + 0x40000n, 16, { read: true, write: true });
    }, 40_000_000n, 5);
  });

  it('a breakpoint in a function called from a hot loop: every call, with the loop translated', { timeout: 120_000 }, async () => {
    await withProgram('bp-pages', (elf) => compare(elf, (m, sym) => m.setBreakpoints([sym('tick')]), 10_000_000n, 201));
  });

  it('resuming from a breakpoint on a faulting load stops at the handler\'s breakpoint, at the same icount', async () => {
    await withProgram('trap-bp', async (elf) => {
      for (const jit of [false, true]) {
        const image = loadElf(elf);
        const sym = (name: string): bigint => BigInt(parseElf(image).symbols.find((s) => s.name === name)!.address);
        const m = await machineFor(image, jit);
        m.setBreakpoints([sym('fault'), sym('handler')]);
        const atFault = m.run(1000n);
        expect(atFault).toMatchObject({ reason: 'breakpoint', pc: sym('fault') });
        const atHandler = m.run(1000n);
        expect(atHandler).toMatchObject({ reason: 'breakpoint', pc: sym('handler'), icount: atFault.icount });
        expect(m.run(1000n).reason).toBe('exit');
      }
    });
  });
});
