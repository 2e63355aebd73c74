// Snapshot memory stays within its budget whatever the guest writes (issue 17):
// a guest that fills its RAM with data that differs from page to page cannot
// be thinned into the budget, so snapshots that would not fit are not taken,
// and time travel still lands on exact states by replaying further.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { Timeline } from '../../workers/replay/timeline';
import { BufferedInput } from '../../workers/engine/host-input';
import { wasm, RAM_MIB, stateFingerprint, referenceAt, recordExample, openReplay, example, concat } from './support';
import { exportSnapshotImage } from '../../workers/replay/snapshot-image';
import { parseRecording, RecordingWriter } from '../../workers/formats/recording';
import { fillRamElf } from '../support/fill-ram';

const BUDGET = 4 * 1024 * 1024;

describe('the snapshot budget', () => {
  it('holds for a guest that fills its RAM, and seeks stay exact', async () => {
    const program = readFileSync(fillRamElf(RAM_MIB));
    const t = await Timeline.record(wasm, program, 'fill.elf', { ramMiB: RAM_MIB, commandLine: 'fill.elf' },
      new BufferedInput(new Uint8Array()), 'cli', { budgetBytes: BUDGET, checkpointInterval: 1n << 16n });
    let peak = 0;
    for (;;) {
      const r = await t.continue({ limit: 1n << 16n });
      peak = Math.max(peak, t.snapshots.stats().bytes);
      if (r.reason !== 'limit') { expect(r.reason).toBe('exit'); break; }
    }
    expect(peak).toBeLessThanOrEqual(BUDGET);
    // The guest wrote far more than the budget: only the early snapshots could be kept.
    expect(RAM_MIB * 1024 * 1024).toBeGreaterThan(4 * BUDGET);
    for (const pos of [t.length - 3n, t.length / 2n, 1000n, t.length - 100_000n]) {
      t.seek(pos);
      expect(t.snapshots.stats().bytes).toBeLessThanOrEqual(BUDGET);
      const ref = await referenceAt(program, 'fill.elf', pos);
      expect(stateFingerprint(t.machine), `state at ${pos}`).toBe(stateFingerprint(ref));
    }
    const back = t.reverseStepi(5n);
    expect(back.reason).toBe('step');
    expect(stateFingerprint(t.machine)).toBe(stateFingerprint(await referenceAt(program, 'fill.elf', t.icount)));
  }, 120_000);

  it('pages of one repeated byte (zeros, memset patterns) cost nothing', async () => {
    // RAM the guest fills with the same doubleword is not uniform; a page of zeros written over is.
    const program = readFileSync(fillRamElf(RAM_MIB));
    const t = await Timeline.record(wasm, program, 'fill.elf', { ramMiB: RAM_MIB, commandLine: 'fill.elf' },
      new BufferedInput(new Uint8Array()), 'cli', { checkpointInterval: 1n << 16n });
    t.stepi(3n); // the first stores of the fill: page 1 (the program is page 0)
    const before = t.snapshots.stats().bytes;
    const far = 4096; // pages the guest has not reached
    t.machine.pagedView().fill(1, 4096 * far, 4096 * (far + 100));
    for (let p = far; p < far + 100; p++) t.machine.dirtyBitmap()[p] = 1;
    const snap = t.snapshots.take()!;
    expect(snap.icount).toBe(3n);
    expect(t.snapshots.stats().bytes - before).toBeLessThanOrEqual(8192 + 4096);
    const shared = new Set([...snap.pages].filter(([p]) => p >= far).map(([, c]) => c));
    expect(shared.size).toBe(1);
    expect([...shared][0].every((b) => b === 1)).toBe(true);
    // Restoring it writes the bytes back.
    t.seek(0n);
    t.seek(3n);
    expect(t.machine.pagedView()[4096 * far + 77]).toBe(1);
  });

  it('an embedded image loads only the snapshots that fit; seeks past them replay further, exactly', async () => {
    const interval = { checkpointInterval: 1n << 12n };
    const rec = await recordExample('timer', '', interval);
    const first = await openReplay(rec.file, interval);
    await first.continue();
    const parsed = parseRecording(rec.file);
    const file = concat([RecordingWriter.start(parsed.meta, parsed.program), RecordingWriter.events(parsed.events),
      RecordingWriter.snapshot(exportSnapshotImage(first)), RecordingWriter.end(parsed.end!)]);
    const all = await openReplay(file, interval);
    const budget = Math.floor(all.snapshots.stats().bytes / 2);
    const some = await openReplay(file, { ...interval, budgetBytes: budget });
    expect(some.snapshots.stats().count).toBeGreaterThan(1);
    expect(some.snapshots.stats().count).toBeLessThan(all.snapshots.stats().count);
    expect(some.snapshots.stats().bytes).toBeLessThanOrEqual(budget);
    for (const pos of [some.length - 1n, some.length / 2n]) {
      some.seek(pos);
      expect(stateFingerprint(some.machine)).toBe(stateFingerprint(await referenceAt(example('timer'), 'timer.elf', pos)));
    }
  });
});
