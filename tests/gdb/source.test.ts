// Source-level reverse execution through gdb-multiarch (reverse-next,
// reverse-step, reverse-finish: GDB builds them from bs, bc and temporary
// breakpoints), compared with what GDB does forwards on the same program; and
// the forward direction compared with QEMU's own GDB stub.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { tempDir } from '../support/qemu';
import { recordExample, openTimeline, startServer, runGdb, whens, freePort, startQemu, waitForPort, tagged, type Server } from './support';
import type { Timeline } from '../../workers/replay/timeline';

let dir: string;
let server: Server;
let engine: Timeline;
const ELF = 'corruption.elf';
const FROM_START = ['monitor replay-seek 0', 'maint flush register-cache', 'maint flush dcache'];
/** One line per stop: pc, source line, function. */
const AT = 'python print("AT %x %d %s" % (gdb.selected_frame().pc(), gdb.selected_frame().find_sal().line, gdb.selected_frame().name()))';

interface Stop { pc: bigint; line: number; fn: string }

function stops(output: string): Stop[] {
  return [...output.matchAll(/^AT ([0-9a-f]+) (\d+) (\S+)$/gm)].map((m) => ({ pc: BigInt('0x' + m[1]), line: Number(m[2]), fn: m[3] }));
}

function times<T>(n: number, items: T[]): T[] {
  return Array.from({ length: n }, () => items).flat();
}

beforeAll(async () => {
  dir = tempDir('gdb-source');
  const file = join(dir, 'corruption.hsr');
  recordExample('corruption', file);
  [server, engine] = await Promise.all([startServer(file), openTimeline(file)]);
});

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Forward source stepping, the same script for QEMU and Hindsight. */
const FORWARD = ['break main', 'continue', 'delete', AT, ...times(8, ['next', AT]), 'step', AT, ...times(3, ['next', AT]), 'finish', AT];

describe('gdb at source level', () => {
  it('forwards, next/step/finish and a write watchpoint stop where they stop on QEMU', async () => {
    const port = await freePort();
    const qemu: ChildProcess = startQemu(ELF, port);
    try {
      await waitForPort(port);
      const WATCH = ['watch calibration_offset', 'continue', 'printf "PC %lx\\n", $pc', 'continue', 'printf "PC %lx\\n", $pc'];
      const onQemu = await runGdb(port, FORWARD, { elf: ELF });
      const ours = await runGdb(server.port, [...FROM_START, ...FORWARD], { elf: ELF });
      const q = stops(onQemu);
      expect(q.length).toBe(14);
      expect(stops(ours)).toEqual(q);
      expect(q.some((s) => s.fn === 'print_tenths')).toBe(true);
      // A write watchpoint, forwards from reset: the same stops as QEMU (after the store, as GDB expects).
      qemu.kill('SIGKILL');
      const port2 = await freePort();
      const qemu2 = startQemu(ELF, port2);
      try {
        await waitForPort(port2);
        const wq = await runGdb(port2, WATCH, { elf: ELF });
        const wo = await runGdb(server.port, [...FROM_START, ...WATCH], { elf: ELF });
        expect(tagged(wq, 'PC')).toHaveLength(2);
        expect(tagged(wo, 'PC')).toEqual(tagged(wq, 'PC'));
        expect(wo).toMatch(/Old value = -15\s+New value = 127\s+smooth_readings \(\)/);
      } finally {
        qemu2.kill('SIGKILL');
      }
    } finally {
      qemu.kill('SIGKILL');
    }
  });

  it('reverse-next retraces the forward nexts (at -O2 also stopping at the other pieces of split lines)', async () => {
    const out = await runGdb(server.port, [
      ...FROM_START, 'break main', 'continue', 'delete', AT, ...times(8, ['next', AT]), 'echo REVERSE\\n',
      ...times(10, ['reverse-next', AT, 'monitor when']),
    ], { elf: ELF });
    const [fwdText, revText] = out.split('REVERSE');
    const forward = stops(fwdText);
    const reverse = stops(revText);
    expect(forward).toHaveLength(9);
    expect(reverse).toHaveLength(10);
    // Collapse runs of stops on the same line: the first stop of each run is where forward `next` stopped.
    const collapsed = reverse.filter((s, i) => i === 0 || s.line !== reverse[i - 1].line);
    const expected = forward.slice(2, 8).reverse(); // lines 172 back to 164, all in main, with calls stepped over
    expect(collapsed.slice(0, expected.length)).toEqual(expected);
    expect(reverse.every((s) => s.fn === 'main')).toBe(true);
    // Every stop is the engine's state at the icount the server reports.
    const w = whens(revText);
    expect(w).toHaveLength(10);
    for (let i = 0; i < w.length; i++) {
      engine.seek(w[i]);
      expect(engine.pc).toBe(reverse[i].pc);
    }
  });

  it('reverse-step goes back into the last line the callee ran, reverse-finish to where it was entered, reverse-next to the line start', async () => {
    // Forwards: from line 172, step into print_tenths and next through it back to main.
    const fwd = await runGdb(server.port, [
      ...FROM_START, 'break main', 'continue', 'delete', ...times(7, ['next']), AT, 'monitor when', 'step', AT, ...times(8, ['next', AT]),
    ], { elf: ELF });
    const forward = stops(fwd);
    expect(forward[0]).toMatchObject({ line: 172, fn: 'main' });
    expect(forward[1].fn).toBe('print_tenths'); // which ends with a tail call to printf
    const back = forward.findIndex((s, i) => i > 0 && s.fn === 'main');
    expect(back).toBeGreaterThan(1);
    const lastInCallee = forward[back - 1];
    const afterCall = forward[back];
    expect(lastInCallee.fn).toBe('printf');
    expect(afterCall.line).toBe(173);
    // print_tenths ends with a tail call: printf returns to main. Where printf was entered, from the engine.
    engine.seek(whens(fwd)[0]);
    const entry = BigInt(engine.machine.symbols.lookup('printf')?.address ?? 0);
    let callSite = engine.pc;
    while (engine.pc !== entry) { callSite = engine.pc; engine.stepi(); }

    // Backwards from the line after the call.
    const rev = await runGdb(server.port, [
      ...FROM_START, `break *0x${afterCall.pc.toString(16)}`, 'continue', 'delete', AT,
      'reverse-step', AT, 'bt 2', 'reverse-finish', AT, 'monitor when', 'reverse-next', AT,
    ], { elf: ELF });
    const [at, inCallee, atCall, lineStart] = stops(rev);
    expect(at).toEqual(afterCall);
    expect(inCallee).toEqual(lastInCallee);
    expect(rev).toMatch(/#1 +0x[0-9a-f]+ in print_tenths \(/);
    // reverse-finish: at the instruction that entered printf (print_tenths' tail call), before it ran.
    expect(atCall).toEqual({ pc: callSite, line: 158, fn: 'print_tenths' });
    engine.seek(whens(rev)[0]);
    expect(engine.pc).toBe(callSite);
    // reverse-next: the start of that line, where forward `next` stopped on the way in.
    expect(lineStart).toEqual(forward.find((x) => x.fn === 'print_tenths' && x.line === 158));
  });
});
