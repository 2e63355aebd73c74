// The CFI unwinder against GDB: the example programs run under QEMU with
// GDB attached; at each stop GDB's `bt` is the reference, and our unwinder
// gets the same registers and stack memory (dumped by GDB) and must find the
// same frames: function names (inlined calls included), files and lines.
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseElf } from '../../workers/formats/elf';
import { DebugInfo, type Frame } from '../../workers/formats/dwarf';
import { Machine } from '../../workers/engine/machine';
import { BufferedInput } from '../../workers/engine/host-input';
import { EXAMPLES_DIR, ROOT, gdbSession, tool, type GdbStep, type GdbStop } from './support';

function debugInfo(elf: string): DebugInfo {
  return DebugInfo.fromElf(parseElf(new Uint8Array(readFileSync(join(EXAMPLES_DIR, elf)))));
}

function sourceLine(file: string, text: string): number {
  const lines = readFileSync(join(EXAMPLES_DIR, file), 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes(text));
  if (i < 0) throw new Error(`"${text}" is not in ${file}`);
  return i + 1;
}

/** Our unwind at a GDB stop, from GDB's registers and stack dump. */
function unwindAt(debug: DebugInfo, stop: GdbStop): Frame[] {
  return debug.unwind(
    stop.pc,
    stop.sp,
    (n) => stop.registers[n],
    (addr, length) => (addr >= stop.sp && addr + length <= stop.sp + stop.stack.length ? stop.stack.slice(addr - stop.sp, addr - stop.sp + length) : undefined),
  );
}

/** The address of the first instruction of `fn` whose disassembly matches `pattern` (from objdump -d). */
function instructionIn(elf: string, fn: string, pattern: RegExp): number {
  const out = tool('riscv64-unknown-elf-objdump', ['-d', elf]);
  const body = out.split(`<${fn}>:\n`)[1]?.split('\n\n')[0];
  const line = body?.split('\n').find((l) => pattern.test(l));
  if (!line) throw new Error(`no ${pattern} in ${fn}`);
  return parseInt(line.trim(), 16);
}

function compare(debug: DebugInfo, stop: GdbStop): void {
  const frames = unwindAt(debug, stop);
  const where = `at ${stop.position} (pc 0x${stop.pc.toString(16)})`;
  expect(stop.bt.length, where).toBeGreaterThan(0);
  // Where main is not on the stack (in exit), GDB shows the start-up code's saved return
  // address 0 as a last frame "0x0 in ?? ()"; we stop at a return address of 0.
  const bt = stop.bt.filter((f, i) => !(i === stop.bt.length - 1 && i > 0 && f.pc === 0 && f.function === '??'));
  // GDB stops at main (backtrace past-main is off); we go on to the start-up code.
  const ours = frames.slice(0, bt.length).map((f) => ({
    function: f.function ?? '??',
    ...(f.file !== undefined && f.line !== undefined ? { file: f.file, line: f.line } : {}),
  }));
  const theirs = bt.map((f) => ({ function: f.function, ...(f.file !== undefined ? { file: f.file, line: f.line } : {}) }));
  expect(ours, `${where}\nours: ${JSON.stringify(frames)}`).toEqual(theirs);
  if (bt[bt.length - 1].function === 'main') {
    // Past main: the C start-up code, and then a clean stop.
    expect(frames.length, where).toBeGreaterThan(bt.length);
    expect(frames.length, where).toBeLessThan(bt.length + 4);
  } else {
    expect(frames.length, where).toBe(bt.length);
  }
  for (const f of frames) expect(Number.isSafeInteger(f.pc) && f.pc > 0, where).toBe(true);
  // Frame 0 is where the program is; inlined frames share pc and sp with the frame they are in.
  expect(frames[0].pc).toBe(stop.pc);
  expect(frames[0].sp).toBe(stop.sp);
  for (let i = 1; i < frames.length; i++) {
    if (frames[i - 1].inlined) expect({ pc: frames[i].pc, sp: frames[i].sp }).toEqual({ pc: frames[i - 1].pc, sp: frames[i - 1].sp });
    else expect(frames[i].sp).toBeGreaterThanOrEqual(frames[i - 1].sp); // equal above a leaf without a frame
  }
}

describe('the unwinder agrees with GDB', () => {
  describe('corruption.elf', () => {
    const debug = debugInfo('corruption.elf');
    const steps: GdbStep[] = [
      { position: 'load_calibration' }, // inlined into main
      { position: 'read_sensor' }, // inlined into collect_samples
      { position: 'smooth_readings' },
      { position: `corruption.c:${sourceLine('corruption.c', 'smoothed[i] = sum / WINDOW;')}` },
      { position: 'compute_stats' },
      // Its epilogue (DW_CFA_remember_state / restore_state), and back out to main.
      { position: `*0x${instructionIn('corruption.elf', 'compute_stats', /\tld\tra,/).toString(16)}` },
      ...Array.from({ length: 8 }, () => ({ position: 'stepi' })),
      { position: 'median_of' },
      { position: `corruption.c:${sourceLine('corruption.c', 'copy[j] = copy[j - 1];')}`, ignore: 50 },
      // printf's first instruction, then step through its prologue and into vfprintf.
      { position: '*printf' },
      ...Array.from({ length: 8 }, () => ({ position: 'stepi' })),
      { position: 'vfprintf' },
      { position: '__ultoa_invert' },
      { position: 'sys_semihost' }, // assembly
      { position: 'print_tenths' },
      { position: '*print_tenths' },
      { position: 'stepi' },
      { position: 'stepi' },
      { position: 'apply_calibration' }, // inlined into main
      { position: 'exit' },
    ];
    let stops: GdbStop[];
    beforeAll(async () => {
      stops = await gdbSession('corruption.elf', steps);
    }, 60_000);

    it('reads the debug info without problems', () => {
      expect(debug.problems).toEqual([]);
    });

    steps.forEach((step, i) => {
      it(`stop ${i}: ${step.position}${step.ignore ? ` (hit ${step.ignore + 1})` : ''}`, () => {
        compare(debug, stops[i]);
      });
    });

    it('puts breakpoints on source lines where GDB does', () => {
      const byLine = steps.map((s, i) => ({ m: /^corruption\.c:(\d+)$/.exec(s.position), stop: stops[i] })).filter((x) => x.m);
      expect(byLine.length).toBeGreaterThanOrEqual(2);
      for (const { m, stop } of byLine) expect(debug.addressesForLine('corruption.c', Number(m![1]))).toContain(stop.pc);
    });

    it('gives the same frames from the project emulator stopped at the same places', async () => {
      const machine = await Machine.create(readFileSync(join(ROOT, 'build/core.release.wasm')), new BufferedInput(new Uint8Array()), {
        ramMiB: 128,
        commandLine: 'corruption.elf',
      });
      machine.load(new Uint8Array(readFileSync(join(EXAMPLES_DIR, 'corruption.elf'))));
      steps.forEach((step, i) => {
        const stop = stops[i];
        if (step.position === 'stepi') {
          machine.stepAttempt();
        } else {
          machine.setBreakpoints([BigInt(stop.pc)]);
          for (let hit = 0; hit <= (step.ignore ?? 0); hit++) expect(machine.run(1_000_000_000n).reason).toBe('breakpoint');
        }
        const regs = machine.registers();
        expect(Number(machine.pc), `stop ${i}`).toBe(stop.pc);
        expect(regs.slice(1), `stop ${i}`).toEqual(stop.registers.slice(1));
        const frames = debug.unwind(Number(machine.pc), Number(regs[2]), (n) => regs[n], (addr, length) => machine.readMemory(BigInt(addr), length));
        expect(frames, `stop ${i}`).toEqual(unwindAt(debug, stop));
      });
    });

    it('went through inlined calls, library code and assembly', () => {
      const functions = new Set(stops.flatMap((s) => s.bt.map((f) => f.function)));
      for (const f of ['main', 'collect_samples', 'read_sensor', 'load_calibration', 'apply_calibration', 'median_of', 'compute_stats', 'printf', 'vfprintf', 'sys_semihost']) {
        expect(functions).toContain(f);
      }
      expect(Math.max(...stops.map((s) => s.bt.length))).toBeGreaterThanOrEqual(4);
    });
  });

  describe('bench.elf', () => {
    const debug = debugInfo('bench.elf');
    const steps: GdbStep[] = [
      { position: 'merge_sort' }, // inlined; GCC hoisted its first line out of the rounds loop
      { position: 'quicksort' },
      { position: 'quicksort', ignore: 40 }, // deep in the recursion
      { position: 'fnv1a64' },
      { position: 'crc32' },
      { position: 'bench_matmul' },
    ];
    let stops: GdbStop[];
    beforeAll(async () => {
      stops = await gdbSession('bench.elf', steps);
    }, 60_000);

    steps.forEach((step, i) => {
      it(`stop ${i}: ${step.position}${step.ignore ? ` (hit ${step.ignore + 1})` : ''}`, () => {
        compare(debug, stops[i]);
      });
    });

    it('unwound a deep recursion', () => {
      expect(Math.max(...stops.map((s) => s.bt.length))).toBeGreaterThan(8);
    });
  });
});
