// The history of a value computed in parallel from snapshots (worker_threads
// running the CLI bundle) against the plain answer: one forward replay of the
// whole recording with a write watchpoint, every hit.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Timeline } from '../../workers/replay/timeline';
import { parseRecording } from '../../workers/formats/recording';
import { computeValueHistory, planSegments, pooledSpawner, writeBehind, bytesValue, type HistoryRange } from '../../workers/replay/value-history';
import { nodeHistorySpawner } from '../../workers/cli/history-workers';
import { recordExample, WASM } from '../gdb/support';
import { tempDir } from '../support/qemu';
import { buildSmpProgram, raceSource } from '../support/smp-programs';
import { BufferedInput } from '../../workers/engine/host-input';
import { ROOT } from '../dwarf/support';

const spawnWorker = nodeHistorySpawner(pathToFileURL(join(ROOT, 'dist/cli.mjs')));
let dir: string;
let file: string;
beforeAll(() => { dir = tempDir('value-history'); file = join(dir, 'corruption.hsr'); recordExample('corruption', file); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

/** A replay whose first pass leaves a snapshot every `interval` instructions: many segments to share out. */
async function open(interval: bigint): Promise<Timeline> {
  const t = await Timeline.replay(WASM, parseRecording(new Uint8Array(readFileSync(file))), { checkpointInterval: interval });
  t.seek(t.length);
  t.seek(0n);
  return t;
}

/** Every write to the range, the slow way. */
async function oracle(range: HistoryRange): Promise<{ icount: bigint; pc: bigint; value: bigint | undefined }[]> {
  const t = await Timeline.replay(WASM, parseRecording(new Uint8Array(readFileSync(file))));
  t.addWatchpoint(range.address, range.length, 'write');
  const out: { icount: bigint; pc: bigint; value: bigint | undefined }[] = [];
  for (;;) {
    const r = await t.continue();
    if (r.reason !== 'watchpoint' || !r.watch) break;
    out.push({ icount: r.icount, pc: r.watch.pc, value: bytesValue(t.machine.readMemory(range.address, range.length)) });
  }
  return out;
}

const symbol = (t: Timeline, name: string): HistoryRange => {
  const s = t.machine.symbols.lookup(name);
  if (!s) throw new Error(name);
  return { address: BigInt(s.address), length: s.size };
};

describe('value history', () => {
  it('finds every write to calibration_offset with 2 workers, as one watched replay does', async () => {
    const t = await open(2048n);
    const range = symbol(t, 'calibration_offset');
    const plan = planSegments(t, range);
    expect(plan.segments.length).toBeGreaterThan(20);
    expect(plan.segments.filter((s) => s.skip).length).toBeGreaterThan(0);
    const progress: bigint[] = [];
    const h = await computeValueHistory(t, range, { spawn: spawnWorker, wasm: WASM, workers: 2, onProgress: (p) => progress.push(p.done) });
    const expected = await oracle(range);
    expect(h.workers).toBe(2);
    expect(h.cancelled).toBe(false);
    expect(h.writes.map((w) => [w.icount, w.pc, bytesValue(w.after)])).toEqual(expected.map((e) => [e.icount, e.pc, e.value]));
    // Old values chain: each write's "before" is the previous one's "after".
    for (let i = 1; i < h.writes.length; i++) expect(bytesValue(h.writes[i].before)).toBe(bytesValue(h.writes[i - 1].after));
    expect(h.writes.every((w) => w.hart === 0)).toBe(true);
    // The corrupting store: -15 (0xfffffff1) becomes 0x7f.
    const last = h.writes[h.writes.length - 1];
    expect([bytesValue(last.before), bytesValue(last.after)]).toEqual([0xfffffff1n, 0x7fn]);
    expect(progress[progress.length - 1]).toBe(t.length);
    expect(t.icount).toBe(0n);
    // "Who wrote this value?" at the end: the corrupting store.
    expect(writeBehind(h, t.length)).toBe(last);
    expect(writeBehind(h, 0n)).toBeUndefined();
  }, 60_000);

  it('agrees on a range written in a loop (raw_samples), in this thread and in workers', async () => {
    const t = await open(4096n);
    const range = symbol(t, 'raw_samples');
    const expected = await oracle(range);
    const inThread = await computeValueHistory(t, range);
    const parallel = await computeValueHistory(t, range, { spawn: spawnWorker, wasm: WASM, workers: 2, locate: (pc) => ({ function: t.machine.symbols.format(Number(pc)) }) });
    for (const h of [inThread, parallel]) {
      expect(h.writes.map((w) => [w.icount, w.pc, bytesValue(w.after)])).toEqual(expected.map((e) => [e.icount, e.pc, e.value]));
    }
    expect(parallel.writes.some((w) => w.function?.startsWith('collect_samples'))).toBe(true);
  }, 60_000);

  it('pooled workers serve one history after another, each from the snapshots they kept', async () => {
    const t = await open(2048n);
    const pool = pooledSpawner(spawnWorker);
    try {
      for (const name of ['raw_samples', 'calibration_offset', 'smoothed', 'calibration_offset']) {
        const range = symbol(t, name);
        const h = await computeValueHistory(t, range, { spawn: pool.spawn, wasm: WASM, workers: 2 });
        const expected = await oracle(range);
        expect(h.writes.map((w) => [w.icount, w.pc, bytesValue(w.after)]), name).toEqual(expected.map((e) => [e.icount, e.pc, e.value]));
      }
    } finally {
      pool.close();
    }
  }, 90_000);

  it('names the hart of each write on a machine of two harts (the racing counter of tests/smp)', async () => {
    const program = readFileSync(buildSmpProgram('race', raceSource(2, 300)));
    const t = await Timeline.record(WASM, program, 'race.elf', { ramMiB: 32, harts: { count: 2, quantum: 997, seed: 0 } },
      new BufferedInput(new Uint8Array()), 'cli', { checkpointInterval: 8192n });
    expect((await t.continue()).reason).toBe('exit');
    const sym = t.machine.symbols.lookup('counter');
    if (!sym) throw new Error('no counter');
    const range = { address: BigInt(sym.address), length: 8 };
    const h = await computeValueHistory(t, range, { spawn: spawnWorker, wasm: WASM, workers: 2 });
    // The plain answer: a watched forward replay, each hit with its hart.
    t.seek(0n);
    const wp = t.addWatchpoint(range.address, 8, 'write');
    const expected: [bigint, bigint, number][] = [];
    for (;;) {
      const r = await t.continue();
      if (r.reason !== 'watchpoint' || !r.watch) break;
      expected.push([r.icount, r.watch.pc, r.hart]);
    }
    t.deleteTrap(wp.id);
    expect(h.writes.map((w) => [w.icount, w.pc, w.hart])).toEqual(expected);
    expect(new Set(h.writes.map((w) => w.hart))).toEqual(new Set([0, 1]));
  }, 90_000);

  it('keeps the position, breakpoints and replay-break, and can be cancelled', async () => {
    const t = await open(2048n);
    t.seek(30_000n);
    const bp = t.addBreakpoint('smooth_readings');
    t.replayBreak(40_000n);
    const range = symbol(t, 'calibration_offset');
    const h = await computeValueHistory(t, range);
    expect(h.writes.length).toBeGreaterThan(0);
    expect(t.icount).toBe(30_000n);
    expect(t.listTraps()).toEqual([bp]);
    expect(t.info().replayBreak).toBe(40_000n);
    const controller = new AbortController();
    controller.abort();
    const c = await computeValueHistory(t, range, { spawn: spawnWorker, wasm: WASM, signal: controller.signal });
    expect(c.cancelled).toBe(true);
    expect(t.icount).toBe(30_000n);
  }, 60_000);
});
