// The "Break at" box through the worker's session, in Node: text resolved as
// GDB resolves it (breakpoint-location.ts; its addresses are checked against
// gdb-multiarch in tests/source/breakpoint-location.test.ts), one number per
// breakpoint whatever its locations, failed adds that take no number,
// completion, and stops reported with the breakpoint's number.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Timeline } from '../replay/timeline';
import { LiveInput } from './live-input';
import { Session } from './session';

const ROOT = join(import.meta.dirname, '../..');
const wasm = readFileSync(join(ROOT, 'build/core.release.wasm'));
const example = (file: string) => readFileSync(join(ROOT, 'public/examples', file));

async function recordedSession(name: string): Promise<Session> {
  const timeline = await Timeline.record(wasm, new Uint8Array(example(`${name}.elf`)), `${name}.elf`,
    { ramMiB: 32, commandLine: `${name}.elf` }, new LiveInput(), 'browser');
  const session = await Session.open({
    timeline, name: `${name}.elf`, programName: `${name}.elf`, sources: { [`${name}.c`]: example(`${name}.c`).toString('utf8') },
    store: null, storageProblem: null, input: new LiveInput(),
  });
  const answer = await session.record({}, () => {});
  expect(answer.result.reason).toBe('exit');
  return session;
}

const progress = () => {};

describe('breakpoints typed in the "Break at" box', () => {
  let corruption: Session;
  let bench: Session;
  beforeAll(async () => {
    corruption = await recordedSession('corruption');
    bench = await recordedSession('bench');
  }, 120_000);

  it('corruption.c:103 (also with a longer path) stops there on continue, as breakpoint 1', async () => {
    await corruption.seek(0, {});
    const traps = corruption.addBreakpoint('corruption.c:103');
    expect(traps).toEqual([{ id: 1, kind: 'breakpoint', address: 0x80000422, label: expect.stringMatching(/^smooth_readings\+0x/), enabled: true, source: 'corruption.c:103' }]);
    const hit = await corruption.move('continue', {}, progress);
    expect(hit.result).toMatchObject({ reason: 'breakpoint', breakpointId: 1, pc: '0x0000000080000422' });
    expect(hit.view.source).toMatchObject({ line: 103, function: 'smooth_readings' });
    corruption.deleteTrap(1);
    expect(corruption.addBreakpoint('examples/corruption.c:103').map((t) => [t.id, t.address])).toEqual([[2, 0x80000422]]);
    corruption.deleteTrap(2);
  });

  it('a failed add explains itself and takes no number', () => {
    expect(() => corruption.addBreakpoint('nosuch')).toThrow('Function "nosuch" not defined.');
    expect(() => corruption.addBreakpoint('corruption.c:100000')).toThrow('No line 100000 in file "corruption.c".');
    const traps = corruption.addBreakpoint('median_of');
    expect(traps.map((t) => t.id)).toEqual([3]);
    corruption.deleteTrap(3);
  });

  it('quicksort (quicksort.constprop.0) and crc32_init (inlined) in the bench example', async () => {
    await bench.seek(0, {});
    bench.addBreakpoint('quicksort');
    const traps = bench.addBreakpoint('crc32_init');
    expect(traps.map((t) => [t.id, t.label])).toEqual([[1, 'quicksort'], [2, 'crc32_init']]);
    const hits = new Set<number>();
    for (let i = 0; i < 2; i++) {
      const hit = await bench.move('continue', {}, progress);
      expect(hit.result.reason).toBe('breakpoint');
      hits.add(hit.result.breakpointId ?? 0);
      bench.deleteTrap(hit.result.breakpointId ?? 0);
    }
    expect([...hits].sort()).toEqual([1, 2]);
  });

  it('a function inlined in several places is one breakpoint, listed once per address', () => {
    const traps = corruption.addBreakpoint('read_sensor');
    const ids = new Set(traps.map((t) => t.id));
    expect(ids.size).toBe(1);
    expect(traps.length).toBeGreaterThan(1);
    expect(traps.every((t) => t.source === 'read_sensor')).toBe(true);
    corruption.setTrapEnabled([...ids][0], false);
    expect(corruption.traps().every((t) => !t.enabled)).toBe(true);
    corruption.deleteTrap([...ids][0]);
    expect(corruption.traps()).toEqual([]);
  });

  it('completes function names and files', () => {
    expect(bench.completeLocation('quick')).toEqual(['quicksort']);
    expect(bench.completeLocation('crc32_')).toContain('crc32_init');
    expect(bench.completeLocation('bench.')).toContain('bench.c:');
  });
});
