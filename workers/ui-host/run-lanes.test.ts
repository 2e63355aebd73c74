// The timeline's lanes of the run, computed by the session a step at a time:
// function calls sampled from the call stack, traps and interrupts found at
// their handlers, and where the user's own code last ran (the End key's first
// stop), on the bundled examples and on a program built here that calls exit
// from a function of its own.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunLanes } from '../engine-api';
import { Timeline } from '../replay/timeline';
import { callSegments } from './run-lanes';
import { LiveInput } from './live-input';
import { Session } from './session';
import { handlerAddresses, samplePoints } from '../replay/run-map';

const ROOT = join(import.meta.dirname, '../..');
const wasm = readFileSync(join(ROOT, 'build/core.release.wasm'));
const dir = mkdtempSync(join(tmpdir(), 'hindsight-lanes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function recorded(elf: Uint8Array, name: string, sources: Record<string, string>) {
  const input = new LiveInput();
  const timeline = await Timeline.record(wasm, elf, name, { ramMiB: 32, commandLine: name }, input, 'browser');
  const session = await Session.open({ timeline, name, programName: name, sources, store: null, storageProblem: null, input });
  const answer = await session.record({}, () => {});
  return { session, timeline, answer };
}

const example = (name: string, sources: string[]) => recorded(
  new Uint8Array(readFileSync(join(ROOT, 'public/examples', `${name}.elf`))), `${name}.elf`,
  Object.fromEntries(sources.map((s) => [s, readFileSync(join(ROOT, 'public/examples', s), 'utf8')])));

/** Steps until the lanes are done, checking that every step leaves the timeline where it was. */
async function lanesOf(session: Session, timeline: Timeline, budgetMs = 20): Promise<{ lanes: RunLanes; steps: number }> {
  for (let steps = 1; steps < 100_000; steps++) {
    const before = timeline.icount;
    const lanes = await session.runLanes(budgetMs);
    expect(timeline.icount).toBe(before);
    if (!lanes) throw new Error('the session was busy');
    if (lanes.done) return { lanes, steps };
  }
  throw new Error('the lanes never finished');
}

describe('the lanes of the run', () => {
  it('corruption: main and the functions it calls, in order; no traps; the end of the user code is main returning 1', async () => {
    const { session, timeline, answer } = await example('corruption', ['corruption.c']);
    // A user breakpoint at a function the run passes: the mapping neither stops there nor loses it.
    session.addBreakpoint('compute_stats');
    session.setTrapEnabled(session.traps()[0].id, true);
    const { lanes } = await lanesOf(session, timeline);
    expect(lanes.length).toBe(answer.status.length);
    expect(lanes.samples).toBe(300);
    expect(session.traps()).toEqual([expect.objectContaining({ label: 'compute_stats', enabled: true })]);

    const top = lanes.calls.filter((c) => c.depth === 0);
    // The unwinder's gaps (GCC's save/restore millicode) do not show up as functions of their own.
    expect(new Set(top.map((c) => c.name))).toEqual(new Set(['_cstart', 'main']));
    const main = top.find((c) => c.name === 'main')!;
    expect(main.user).toBe(true);
    expect(main.end - main.start).toBeGreaterThan(0.8 * lanes.length);
    const calls = lanes.calls.filter((c) => c.depth === 1 && c.user).map((c) => c.name);
    expect(calls).toEqual(['collect_samples', 'smooth_readings', 'compute_stats']);
    const printf = lanes.calls.find((c) => c.depth === 1 && c.name === 'printf');
    expect(printf?.user).toBe(false);
    // A click goes to an instant where the function runs.
    const smooth = lanes.calls.find((c) => c.name === 'smooth_readings')!;
    await session.seek(smooth.at, {});
    expect(session.view({}).callStack?.some((f) => f.function === 'smooth_readings')).toBe(true);

    expect(lanes.traps).toEqual([]);
    expect(lanes.trapsScannedTo).toBe(lanes.length);
    expect(lanes.trapsTruncated).toBe(false);

    // main returns 1 to the C runtime, which calls exit: the user's code ends at main's last instruction.
    const end = lanes.userEnd!;
    expect(end.via).toBe('return');
    expect(end.icount).toBeLessThan(lanes.length);
    expect(end.icount).toBeGreaterThan(lanes.length - 1000);
    expect(end.source).toMatchObject({ file: './corruption.c', function: 'main' });
    await session.seek(end.icount, {});
    expect(session.view({}).pcLabel).toMatch(/^main\+/);
    // The next instruction is the C runtime's.
    await session.seek(end.icount + 1, {});
    expect(session.view({}).pcLabel).not.toMatch(/^main\+/);
    expect(await session.userEnd()).toEqual(end);
  });

  it('timer: ten machine timer interrupts, each at its handler, interrupting the user code', async () => {
    const { session, timeline } = await example('timer', ['timer.c', 'timer_trap.S']);
    // The smallest budget: every step stops part way, and the next goes on from there, missing and repeating nothing.
    const { lanes, steps } = await lanesOf(session, timeline, 0);
    expect(steps).toBeGreaterThan(10);
    expect(lanes.traps).toHaveLength(10);
    expect(new Set(lanes.traps.map((t) => t.icount)).size).toBe(10);
    for (const t of lanes.traps) {
      expect(t).toMatchObject({ interrupt: true, code: 7, name: 'machine timer interrupt', mode: 'M', hart: 0 });
      await session.seek(t.icount, {});
      const v = session.view({});
      expect(BigInt(v.pc)).toBe(BigInt(v.csrs.find((c) => c.name === 'mtvec')!.value!) & ~3n);
      expect(v.csrs.find((c) => c.name === 'mepc')?.value).toBe(`0x${BigInt(t.epc).toString(16).padStart(16, '0')}`);
    }
    const workers = lanes.calls.filter((c) => c.depth === 1 && c.user).map((c) => c.name);
    expect(workers).toContain('do_work');
    expect(workers).toContain('wait_for_tick');
  });

  it('traps: exceptions by cause, in M mode and delegated to S mode', async () => {
    const { session, timeline } = await example('traps', ['traps.S']);
    const { lanes } = await lanesOf(session, timeline);
    const names = new Set(lanes.traps.map((t) => `${t.name} (${t.mode})`));
    for (const n of ['ecall from M-mode (M)', 'ecall from S-mode (M)', 'ecall from U-mode (M)', 'ecall from U-mode (S)', 'ebreak (breakpoint exception) (M)', 'ebreak (breakpoint exception) (S)',
      'illegal instruction (M)', 'load access fault (M)', 'store/AMO access fault (M)', 'instruction access fault (M)']) {
      expect(names).toContain(n);
    }
    expect(lanes.traps.every((t) => !t.interrupt)).toBe(true);
    // The program ends in its own code: nothing to skip at the end.
    expect(lanes.userEnd).toMatchObject({ via: 'end', icount: lanes.length });
  });

  it('a program that calls exit(2) from its own function: the end of its code is that call', async () => {
    writeFileSync(join(dir, 'quit.c'), [
      '#include <stdio.h>',
      '#include <stdlib.h>',
      'static int check(int v) { return v * 3 + 1; }',
      '__attribute__((noinline)) void give_up(int code) {',
      '    printf("giving up with %d\\n", code);',
      '    exit(code);',
      '}',
      'int main(void) {',
      '    if (check(4) != 12) give_up(2);',
      '    return 0;',
      '}',
      '',
    ].join('\n'));
    const elf = join(dir, 'quit.elf');
    const r = spawnSync('riscv64-unknown-elf-gcc', ['-mcmodel=medany', '-g', '-O1', `-ffile-prefix-map=${dir}=.`,
      '--specs=picolibc.specs', '--oslib=semihost', '--crt0=semihost',
      '-Wl,--defsym=__flash=0x80000000,--defsym=__flash_size=0x200000', '-Wl,--defsym=__ram=0x80200000,--defsym=__ram_size=0x1000000',
      'quit.c', '-o', elf], { cwd: dir, encoding: 'utf8' });
    if (r.error || r.status !== 0) throw new Error(`gcc failed: ${r.error?.message ?? r.stderr}`);
    const { session, timeline, answer } = await recorded(new Uint8Array(readFileSync(elf)), 'quit.elf', { 'quit.c': readFileSync(join(dir, 'quit.c'), 'utf8') });
    expect(answer.status.ended).toEqual({ reason: 'exit', exitCode: 2 });
    const end = await session.userEnd();
    expect(end).toMatchObject({ via: 'call', callee: 'exit', source: { file: './quit.c', line: 6, function: 'give_up' } });
    expect(timeline.icount).toBe(BigInt(answer.status.length));
    const { lanes } = await lanesOf(session, timeline);
    expect(lanes.userEnd).toEqual(end);
    expect(lanes.calls.filter((c) => c.depth === 1 && c.user).map((c) => c.name)).toContain('give_up');
  });

  it('answers null while an operation runs, and nothing for a recording not yet run through', async () => {
    const { session, timeline } = await example('hello', ['hello.c']);
    const moving = session.move('reverse-continue', {}, () => {});
    expect(await session.runLanes(10)).toBeNull();
    await moving;
    expect(await session.runLanes(1000)).not.toBeNull();
    expect(timeline.icount).toBe(0n); // where reverse-continue left it
  });
});

describe('lane helpers', () => {
  it('sample points are spread out, each at most `reach` past the snapshot before it', () => {
    const snapshots = [0n, 1000n, 2000n];
    const anchor = (t: bigint) => [...snapshots].reverse().find((s) => s <= t)!;
    const points = samplePoints(3000n, anchor, 30, 50n);
    expect(points).toEqual([...points].sort((a, b) => (a < b ? -1 : 1)));
    expect(new Set(points).size).toBe(points.length);
    for (const p of points) expect(p - anchor(p)).toBeLessThanOrEqual(50n);
    expect(points).toContain(0n);
    expect(points).toContain(1000n);
    expect(samplePoints(300n, () => 0n, 3, 1000n)).toEqual([0n, 100n, 200n]);
  });

  it('handler addresses of a trap vector: direct, vectored, unset', () => {
    expect(handlerAddresses(0x80000100n)).toEqual([0x80000100n]);
    expect(handlerAddresses(0x80000101n)).toEqual([0x80000100n, 0x80000104n, 0x8000010cn, 0x80000114n, 0x8000011cn, 0x80000124n, 0x8000012cn]);
    expect(handlerAddresses(0n)).toEqual([]);
  });

  it('call segments: a run of samples with the same frames down to a depth is one segment', () => {
    const f = (...names: string[]) => names.map((name) => ({ name, user: name !== 'printf' }));
    const segments = callSegments([
      { icount: 0n, frames: f('main') },
      { icount: 10n, frames: f('main', 'a') },
      { icount: 20n, frames: f('main', 'a', 'printf') },
      { icount: 30n, frames: f('main', 'b') },
      { icount: 40n, frames: f('main') },
    ], 50n);
    expect(segments).toEqual([
      { depth: 0, name: 'main', user: true, start: 0, end: 50, at: 0 },
      { depth: 1, name: 'a', user: true, start: 10, end: 30, at: 10 },
      { depth: 1, name: 'b', user: true, start: 30, end: 40, at: 30 },
      { depth: 2, name: 'printf', user: false, start: 20, end: 30, at: 20 },
    ]);
  });
});
