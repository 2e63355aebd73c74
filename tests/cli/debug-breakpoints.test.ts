// `hindsight debug`'s break, tbreak, condition, ignore, enable/disable and
// info breakpoints on recordings of the examples: the stops are where
// gdb-multiarch puts the same breakpoints on the same ELF.
import { describe, it, expect, beforeAll } from 'vitest';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DebugSession } from '../../workers/cli/debug';
import { runHindsight, tempDir } from '../support/qemu';
import { EXAMPLES_DIR } from '../dwarf/support';
import { openReplay, recordExample } from '../replay/support';
import { gdbBreakpoints } from '../source/gdb-breakpoints';

// Recorded in this process (as tests/replay does), replayed by each session.
const recordings = new Map<string, Uint8Array>();
beforeAll(async () => {
  for (const name of ['corruption', 'bench']) recordings.set(name, (await recordExample(name)).file);
});

async function session(name: string): Promise<{ s: DebugSession; out: string[] }> {
  const out: string[] = [];
  const file = recordings.get(name);
  if (!file) throw new Error(`no recording of ${name}`);
  const s = new DebugSession(await openReplay(file), (l) => out.push(l));
  return { s, out };
}

/** The pc of a motion line "[icount] 0x... <sym> file:line: insn  -- reason". */
function pcOf(line: string | undefined): number {
  const m = /^\[\d+\] 0x([0-9a-f]+) /.exec(line ?? '');
  if (!m) throw new Error(`not a motion line: ${line}`);
  return parseInt(m[1], 16);
}

describe('debug: breakpoints as users type them', () => {
  it('the hindsight command: record, then debug with a script that breaks at corruption.c:103', () => {
    const dir = tempDir('debug-breakpoints');
    try {
      writeFileSync(join(dir, 'corruption.hsr'), recordings.get('corruption') ?? new Uint8Array());
      const script = ['break corruption.c:103', 'break nosuch', 'break read_sensor', 'continue', 'info breakpoints', 'quit'].join('\n') + '\n';
      const r = runHindsight(['debug', 'corruption.hsr'], { cwd: dir, stdin: script });
      const lines = r.output.split('\n');
      expect(lines[0]).toMatch(/^breakpoint 1 at 0x80000422 .*: corruption\.c:103 \(in smooth_readings\)$/);
      expect(r.output).toContain('error: Function "nosuch" not defined.');
      expect(r.output).toMatch(/^breakpoint 2: read_sensor, 2 locations$/m);
      expect(r.output).toMatch(/^\[\d+\] 0x0000000080000[0-9a-f]+ <collect_samples\+0x[0-9a-f]+> corruption\.c:\d+: .* -- breakpoint 2$/m);
      expect(r.output).toMatch(/^1 +breakpoint +keep y +0x0000000080000422 in smooth_readings at \.\/corruption\.c:103$/m);
      expect(r.status).toBe(1); // the failed break is an error in a script
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('break corruption.c:103 stops on continue where GDB would, and says so', async () => {
    const gdb = gdbBreakpoints(join(EXAMPLES_DIR, 'corruption.elf'), ['corruption.c:103'], EXAMPLES_DIR).get('corruption.c:103');
    const { s, out } = await session('corruption');
    await s.execute('break corruption.c:103');
    expect(out.pop()).toMatch(/^breakpoint 1 at 0x80000422 <smooth_readings\+0x[0-9a-f]+>: corruption\.c:103 \(in smooth_readings\)$/);
    await s.execute('continue');
    const stop = out.pop();
    expect([pcOf(stop)]).toEqual(gdb);
    expect(stop).toMatch(/corruption\.c:103: .* -- breakpoint 1$/);
  });

  it('quicksort and crc32_init in the bench example, one number per breakpoint', async () => {
    const gdb = gdbBreakpoints(join(EXAMPLES_DIR, 'bench.elf'), ['quicksort', 'crc32_init'], EXAMPLES_DIR);
    const { s, out } = await session('bench');
    await s.execute('break quicksort');
    await s.execute('b crc32_init');
    expect(out).toHaveLength(2);
    expect(out[0]).toMatch(/^breakpoint 1 at 0x[0-9a-f]+ <quicksort\.constprop\.0>: bench\.c:\d+ \(in quicksort\)$/);
    expect(out[1]).toMatch(/^breakpoint 2 at /);
    // Each stops where GDB's breakpoint is, whichever runs first.
    const stops = new Map<string, number>();
    for (let i = 0; i < 2; i++) {
      out.length = 0;
      await s.execute('continue');
      const line = out.pop() ?? '';
      const n = /-- breakpoint (\d+)$/.exec(line)?.[1];
      if (!n) break;
      stops.set(n, pcOf(line));
      await s.execute(`delete ${n}`); // quicksort recurses: on to the other one
    }
    expect([stops.get('1')]).toEqual(gdb.get('quicksort'));
    expect([stops.get('2')]).toEqual(gdb.get('crc32_init'));
  });

  it('a function with several inlined copies is one breakpoint with several locations', async () => {
    const gdb = gdbBreakpoints(join(EXAMPLES_DIR, 'corruption.elf'), ['read_sensor'], EXAMPLES_DIR).get('read_sensor') ?? [];
    expect(gdb.length).toBeGreaterThan(1);
    const { s, out } = await session('corruption');
    await s.execute('break read_sensor');
    expect(out[0]).toBe(`breakpoint 1: read_sensor, ${gdb.length} locations`);
    expect(out.slice(1).map((l) => parseInt(/0x([0-9a-f]+)/.exec(l)?.[1] ?? '', 16))).toEqual(gdb);
    out.length = 0;
    await s.execute('info breakpoints');
    expect(out[0]).toBe('Num     Type           Disp Enb Address            What');
    expect(out[1]).toMatch(/^1 +breakpoint +keep y +<MULTIPLE> +read_sensor$/);
    expect(out[2]).toMatch(/^1\.1 +y +0x0000000080000[0-9a-f]+ in read_sensor at \.\/corruption\.c:\d+$/);
  });

  it('a failed break says why and uses up no number', async () => {
    const { s, out } = await session('corruption');
    await expect(s.execute('break nosuch')).rejects.toThrow('Function "nosuch" not defined.');
    await expect(s.execute('break corruption.c:100000')).rejects.toThrow('No line 100000 in file "corruption.c".');
    await expect(s.execute('break nosuch.c:3')).rejects.toThrow('No source file named nosuch.c.');
    await s.execute('break main');
    expect(out.pop()).toMatch(/^breakpoint 1 at /);
    await s.execute('watch calibration_offset');
    expect(out.pop()).toMatch(/^watchpoint 2: /);
    await s.execute('delete 1');
    await s.execute('break *0x80000210');
    expect(out.pop()).toMatch(/^breakpoint 3 at 0x80000210 <main>/);
  });

  it('tbreak stops once and is gone; LINE alone is in the current file', async () => {
    const { s, out } = await session('corruption');
    await s.execute('tbreak smooth_readings');
    expect(out.pop()).toMatch(/^temporary breakpoint 1 at /);
    await s.execute('continue');
    expect(out.pop()).toMatch(/<smooth_readings> corruption\.c:\d+: .* -- breakpoint 1$/);
    out.length = 0;
    await s.execute('info breakpoints');
    expect(out).toEqual(['No breakpoints or watchpoints.']);
    await s.execute('break 103');
    expect(out.pop()).toMatch(/^breakpoint 2 at 0x80000422 .*: corruption\.c:103/);
  });

  it('break LOCATION if EXPR, condition, ignore, disable and enable', async () => {
    const { s, out } = await session('corruption');
    // Line 103 runs once per sample: stop on the fourth pass (i == 3).
    await s.execute('break corruption.c:103 if i == 3');
    expect(out.pop()).toMatch(/^breakpoint 1 at 0x80000422 .* if i == 3$/);
    await s.execute('continue');
    await s.execute('print i');
    expect(out.pop()).toBe('$1 = 3');
    await s.execute('condition 1');
    expect(out.pop()).toBe('Breakpoint 1 now unconditional.');
    await s.execute('ignore 1 2');
    await s.execute('continue');
    await s.execute('print i');
    expect(out.pop()).toBe('$2 = 6');
    out.length = 0;
    await s.execute('info breakpoints');
    expect(out).toContain('\tbreakpoint already hit 4 times');
    await s.execute('disable 1');
    await s.execute('continue');
    expect(out.pop()).toMatch(/program exited|end of the recording/);
    await s.execute('enable');
    await s.execute('reverse-continue');
    expect(out.pop()).toMatch(/-- breakpoint 1$/);
  });
});
