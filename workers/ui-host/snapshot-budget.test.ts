// The browser's snapshot budget: a setting, or a fraction of the quota; a
// timeline thins its snapshots to a new budget at once.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Timeline } from '../replay/timeline';
import { BufferedInput } from '../engine/host-input';
import { snapshotBudget, FALLBACK_BUDGET, MIN_DEFAULT_BUDGET, MAX_DEFAULT_BUDGET, QUOTA_FRACTION } from './snapshot-budget';

const MiB = 1048576;
const ROOT = join(import.meta.dirname, '../..');

describe('snapshotBudget', () => {
  it('defaults to a fraction of the quota, within bounds, and follows a setting', () => {
    expect(snapshotBudget(null, 4000 * MiB).bytes).toBe(Math.floor(4000 * MiB * QUOTA_FRACTION));
    expect(snapshotBudget(null, 10 * MiB).bytes).toBe(MIN_DEFAULT_BUDGET);
    expect(snapshotBudget(null, 1e15).bytes).toBe(MAX_DEFAULT_BUDGET);
    expect(snapshotBudget(null, undefined)).toEqual({ bytes: FALLBACK_BUDGET, settingMiB: null, defaultBytes: FALLBACK_BUDGET });
    expect(snapshotBudget(300, 4000 * MiB)).toEqual({ bytes: 300 * MiB, settingMiB: 300, defaultBytes: 400 * MiB });
    expect(snapshotBudget(1, undefined).settingMiB).toBe(16);
    expect(() => snapshotBudget(Number.NaN, undefined)).toThrow(RangeError);
  });

  it('a timeline given a smaller budget thins its snapshots to it', async () => {
    const wasm = readFileSync(join(ROOT, 'build/core.release.wasm'));
    const program = readFileSync(join(ROOT, 'public/examples/bench.elf'));
    const t = await Timeline.record(wasm, program, 'bench.elf', { ramMiB: 32, commandLine: 'bench.elf' },
      new BufferedInput(new Uint8Array()), 'browser', { checkpointInterval: 1n << 20n });
    await t.continue({ limit: 120_000_000n });
    const before = t.snapshots.stats();
    expect(before.bytes).toBeGreaterThan(4 * MiB);
    t.snapshots.setBudget(2 * MiB);
    const after = t.snapshots.stats();
    expect(after.bytes).toBeLessThanOrEqual(2 * MiB);
    expect(after.count).toBeLessThan(before.count);
    // Still exact: back to the start and forward again.
    const at = t.icount;
    t.seek(1000n);
    t.seek(at);
    expect(t.icount).toBe(at);
  });
});
