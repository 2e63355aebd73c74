// The Variables panel's worker side, in Node: locals and arguments of a frame,
// members and elements, expressions, and the history of a value (in this
// thread: no workers given) with the write that produced the visible value.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Timeline } from '../replay/timeline';
import { LiveInput } from './live-input';
import { Session } from './session';

const ROOT = join(import.meta.dirname, '../..');
const wasm = readFileSync(join(ROOT, 'build/core.release.wasm'));
const example = (file: string) => readFileSync(join(ROOT, 'public/examples', file));
const SOURCE = example('corruption.c').toString('utf8');
const lineOf = (text: string) => SOURCE.split('\n').findIndex((l) => l.includes(text)) + 1;

describe('variables through the session', () => {
  let session: Session;
  beforeAll(async () => {
    const timeline = await Timeline.record(wasm, new Uint8Array(example('corruption.elf')), 'corruption.elf',
      { ramMiB: 32, commandLine: 'corruption.elf' }, new LiveInput(), 'browser');
    session = await Session.open({
      timeline, name: 'corruption.elf', programName: 'corruption.elf', sources: { 'corruption.c': SOURCE }, store: null, storageProblem: null,
      input: new LiveInput(),
    });
    expect((await session.record({}, () => {})).result.reason).toBe('exit');
  }, 60_000);

  it('shows arguments, locals, expressions and their parts in the selected frame', async () => {
    await session.seek(0, {});
    session.addBreakpoint('compute_stats');
    const hit = await session.move('continue', {}, () => {});
    expect(hit.result.reason).toBe('breakpoint');
    for (const t of session.traps()) session.deleteTrap(t.id);
    const v = session.variables(0, ['calibration_offset', 'raw_samples[1] + 1', 'nope']);
    expect(v.function).toBe('compute_stats');
    expect(v.args.map((a) => a.name)).toEqual(['values', 'n']);
    expect(v.args[1]).toMatchObject({ value: '96', type: 'int', expandable: false });
    expect(v.args[0]).toMatchObject({ expandable: true, type: 'const int *' });
    const s = v.locals.find((l) => l.name === 's');
    expect(s).toMatchObject({ expandable: true, type: 'struct stats' });
    expect(v.expressions[0]).toMatchObject({ value: '127', address: 0x80200928, size: 4 });
    expect(v.expressions[1].value).toMatch(/^\d+$/);
    expect(v.expressions[2]).toMatchObject({ error: true, value: 'No symbol "nope" in current context.' });
    expect(session.expandVariable(0, 's').map((m) => m.expression)).toEqual(['s.min', 's.max', 's.mean', 's.median', 's.hot_samples']);
    const elements = session.expandVariable(0, 'raw_samples');
    expect(elements).toHaveLength(96);
    expect(elements[2]).toMatchObject({ name: '[2]', expression: 'raw_samples[2]' });
    expect(session.expandVariable(0, 'values')).toMatchObject([{ expression: '*values' }]);
    // Frame 1 is main: its locals.
    const main = session.variables(1, []);
    expect(main.function).toBe('main');
    expect(main.locals.map((l) => l.name)).toContain('num_smoothed');
  });

  it('computes the history of calibration_offset: the writes, with lines and values', async () => {
    const before = session.timeline.icount;
    const events: number[] = [];
    const h = await session.valueHistory('calibration_offset', 0, {}, (e) => { if (e.kind === 'progress' && e.fraction !== undefined) events.push(e.fraction); });
    expect(session.timeline.icount).toBe(before);
    expect(h).toMatchObject({ expression: 'calibration_offset', address: 0x80200928, size: 4, type: 'int', initial: '0', initialNumber: 0, cancelled: false });
    const last = h.writes[h.writes.length - 1];
    expect(last).toMatchObject({ before: '-15', after: '127', number: 127, hart: 0, function: 'smooth_readings' });
    expect(last.source).toMatchObject({ line: lineOf('smoothed[i] = sum / WINDOW;'), source: 'corruption.c' });
    expect(h.writes.find((w) => w.after === '-15')?.source?.line).toBe(lineOf('calibration_offset = -15;'));
    expect(events.length).toBeGreaterThan(0);
    await expect(session.valueHistory('n + 1', 0, {}, undefined)).rejects.toThrow(/not stored in memory/);
  });
});
