// Line stepping in both directions lands where GDB lands: GDB drives
// `hindsight gdbserver` on a recording (its own step/next/finish and their
// reverse, built from s, c, bs, bc and breakpoints), and the engine's
// SourceDebugger does the same motions on the same recording in-process.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { join } from 'node:path';
import { rmSync, readFileSync } from 'node:fs';
import { parseElf } from '../../workers/formats/elf';
import { DebugInfo } from '../../workers/formats/dwarf';
import { SourceDebugger } from '../../workers/replay/source';
import { recordExample, openTimeline, startServer, runGdb, tagged, whens, freePort, startQemu, waitForPort, type Server } from '../gdb/support';
import { tempDir, EXAMPLES_DIR } from '../support/qemu';

let dir: string;
beforeAll(() => { dir = tempDir('source'); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

interface Stop { icount: bigint; pc: bigint }

/** Runs GDB: break at `at`, continue, then each motion, printing pc and icount after each. */
async function gdbStops(server: Server, elf: string, at: string, motions: string[]): Promise<Stop[]> {
  const commands = [`break ${at}`, 'continue', 'printf "PC %lx\\n", $pc', 'monitor when'];
  for (const m of motions) commands.push(m, 'printf "PC %lx\\n", $pc', 'monitor when');
  const out = await runGdb(server.port, commands, { elf, timeoutMs: 60_000 });
  const pcs = tagged(out, 'PC');
  const icounts = whens(out);
  expect(pcs.length, out).toBe(motions.length + 1);
  return pcs.map((pc, i) => ({ pc, icount: icounts[i] }));
}

async function engineStops(file: string, elfBytes: Uint8Array, start: Stop, motions: string[]): Promise<Stop[]> {
  const t = await openTimeline(file);
  const src = new SourceDebugger(t, DebugInfo.fromElf(parseElf(elfBytes)));
  t.seek(start.icount);
  t.addBreakpoint(start.pc); // GDB's breakpoint stays set during the motions
  const stops: Stop[] = [{ icount: t.icount, pc: t.pc }];
  for (const m of motions) {
    switch (m) {
      case 'step': await src.step(); break;
      case 'next': await src.next(); break;
      case 'finish': await src.finish(); break;
      case 'reverse-step': await src.reverseStep(); break;
      case 'reverse-next': await src.reverseNext(); break;
      case 'reverse-finish': await src.reverseFinish(); break;
      default: throw new Error(m);
    }
    stops.push({ icount: t.icount, pc: t.pc });
  }
  return stops;
}

const CASES: { name: string; at: string; motions: string[] }[] = [
  { name: 'corruption', at: 'main', motions: ['next', 'next', 'step', 'next', 'next', 'next', 'finish', 'next', 'step', 'step', 'step', 'finish'] },
  { name: 'corruption', at: 'compute_stats', motions: ['next', 'next', 'next', 'step', 'next', 'finish', 'next', 'finish', 'next', 'step', 'step', 'finish'] },
  { name: 'corruption', at: 'smooth_readings', motions: ['next', 'next', 'next', 'next', 'next', 'next', 'reverse-next', 'reverse-next', 'reverse-step', 'finish'] },
  { name: 'corruption', at: 'print_tenths', motions: ['reverse-next', 'reverse-next', 'reverse-step', 'reverse-step', 'reverse-finish', 'reverse-next', 'next', 'next'] },
  { name: 'hello', at: 'main', motions: ['next', 'step', 'next', 'next', 'finish'] },
  { name: 'timer', at: 'main', motions: ['next', 'next', 'next', 'step', 'next', 'finish', 'next', 'next', 'reverse-next', 'reverse-step', 'next'] },
  { name: 'bench', at: 'quicksort', motions: ['next', 'next', 'next', 'step', 'next', 'finish', 'reverse-next', 'reverse-step', 'reverse-next'] },
];

describe('line stepping agrees with GDB', () => {
  for (const c of CASES) {
    it(`${c.name}: break ${c.at}, ${c.motions.join(', ')}`, async () => {
      const file = join(dir, `${c.name}.hsr`);
      recordExample(c.name, file);
      const server = await startServer(file);
      let expected: Stop[];
      try {
        expected = await gdbStops(server, `${c.name}.elf`, c.at, c.motions);
      } finally {
        await server.stop();
      }
      const actual = await engineStops(file, readFileSync(join(EXAMPLES_DIR, `${c.name}.elf`)), expected[0], c.motions);
      const fmt = (s: Stop[]) => s.map((x, i) => `${i === 0 ? 'start' : c.motions[i - 1]}: pc ${x.pc.toString(16)} icount ${x.icount}`).join('\n');
      expect(fmt(actual)).toBe(fmt(expected));
    });
  }
});

describe('forward line stepping agrees with GDB on QEMU', () => {
  // The same motions under gdb-multiarch against qemu-system-riscv64 -S: only pcs (QEMU has no icount monitor).
  const FORWARD = CASES.filter((c) => c.motions.every((m) => !m.startsWith('reverse')));
  for (const c of FORWARD) {
    it(`${c.name}: break ${c.at}, ${c.motions.join(', ')}`, async () => {
      const port = await freePort();
      const qemu = startQemu(`${c.name}.elf`, port);
      let pcs: bigint[];
      try {
        await waitForPort(port);
        const commands = [`break ${c.at}`, 'continue', 'printf "PC %lx\\n", $pc'];
        for (const m of c.motions) commands.push(m, 'printf "PC %lx\\n", $pc');
        const out = await runGdb(port, [...commands, 'kill'], { elf: `${c.name}.elf`, timeoutMs: 60_000 });
        pcs = tagged(out, 'PC');
        expect(pcs.length, out).toBe(c.motions.length + 1);
      } finally {
        qemu.kill('SIGKILL');
      }
      const file = join(dir, `${c.name}-q.hsr`);
      recordExample(c.name, file);
      const t = await openTimeline(file);
      const src = new SourceDebugger(t, DebugInfo.fromElf(parseElf(readFileSync(join(EXAMPLES_DIR, `${c.name}.elf`)))));
      // Run to GDB's breakpoint location, then the same motions.
      const bp = t.addBreakpoint(pcs[0]);
      await t.continue();
      expect(t.pc).toBe(pcs[0]);
      void bp;
      const ours: bigint[] = [t.pc];
      for (const m of c.motions) {
        if (m === 'step') await src.step(); else if (m === 'next') await src.next(); else await src.finish();
        ours.push(t.pc);
      }
      expect(ours.map((x) => x.toString(16))).toEqual(pcs.map((x) => x.toString(16)));
    });
  }
});
