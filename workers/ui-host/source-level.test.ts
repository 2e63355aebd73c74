// Source-level motions and the call stack through the worker's session, in
// Node: line stepping both ways, step out, the call stack in every view, the
// lines a motion ran, and "go to the last time this line ran".
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Timeline } from '../replay/timeline';
import type { MotionAnswer, ProgressEvent } from '../engine-api';
import { LiveInput } from './live-input';
import { Session } from './session';

const ROOT = join(import.meta.dirname, '../..');
const wasm = readFileSync(join(ROOT, 'build/core.release.wasm'));
const example = (file: string) => readFileSync(join(ROOT, 'public/examples', file));
const SOURCE = example('corruption.c').toString('utf8');
const lineOf = (text: string) => SOURCE.split('\n').findIndex((l) => l.includes(text)) + 1;

const READ_LINE = lineOf('return reading + calibration_offset;');
const STORE_LINE = lineOf('smoothed[i] = sum / WINDOW;');
const CALL_LINE = lineOf('int calibrated = apply_calibration(smo.mean);');

async function recordedSession(): Promise<Session> {
  const timeline = await Timeline.record(wasm, new Uint8Array(example('corruption.elf')), 'corruption.elf',
    { ramMiB: 32, commandLine: 'corruption.elf' }, new LiveInput(), 'browser');
  const session = await Session.open({
    timeline, name: 'corruption.elf', programName: 'corruption.elf', sources: { 'corruption.c': SOURCE }, store: null, storageProblem: null,
    input: new LiveInput(),
  });
  const answer = await session.record({}, () => {});
  expect(answer.result.reason).toBe('exit');
  return session;
}

const progress = (_e: ProgressEvent) => {};
const lineOfAnswer = (a: MotionAnswer) => a.view.source?.line;
const frames = (a: MotionAnswer) => (a.view.callStack ?? []).map((f) => `${f.function}@${f.line}`);

describe('source-level motions through the session', () => {
  let session: Session;
  beforeAll(async () => {
    session = await recordedSession();
  }, 60_000);

  it('runs to a source breakpoint, shows the call stack, and a watchpoint finds the line that wrote the value', async () => {
    expect(session.info().debugInfo).toBe('available');
    await session.seek(0, {});
    session.addSourceBreakpoint('corruption.c', READ_LINE);
    const hit = await session.move('continue', {}, progress);
    expect(hit.result.reason).toBe('breakpoint');
    expect(hit.view.source).toMatchObject({ line: READ_LINE, source: 'corruption.c', function: 'apply_calibration' });
    // apply_calibration is inlined into main: its frame is marked so; below main, the C runtime's start code.
    expect(frames(hit).slice(0, 2)).toEqual([`apply_calibration@${READ_LINE}`, `main@${CALL_LINE}`]);
    expect(hit.view.callStack?.[0].inlined).toBe(true);
    expect(hit.view.callStack?.[1]).toMatchObject({ source: 'corruption.c' });
    for (const t of session.traps()) session.deleteTrap(t.id);

    session.addWatchpoint('calibration_offset', 4, 'write');
    const wrote = await session.move('reverse-continue', {}, progress);
    expect(wrote.result.reason).toBe('watchpoint');
    // It stops after the store (on the loop's next line); the store's own line comes with the report.
    expect(wrote.result.watch?.source).toMatchObject({ line: STORE_LINE, function: 'smooth_readings', source: 'corruption.c' });
    expect(wrote.view.source?.function).toBe('smooth_readings');
    const storeLine = wrote.view.source!.line;
    expect(frames(wrote).slice(0, 2)).toEqual([`smooth_readings@${storeLine}`, `main@${lineOf('int num_smoothed = smooth_readings();')}`]);
    // The lines run between the store and the read (the motion went back over them) include both ends.
    const executed = wrote.executed?.find((e) => e.file.endsWith('corruption.c'))?.lines ?? [];
    expect(executed).toEqual(expect.arrayContaining([storeLine, lineOf('return count;')]));
    // The position is where the motion stopped (finding the executed lines puts it back).
    expect(session.engineState().icount).toBe(wrote.view.icount);
    for (const t of session.traps()) session.deleteTrap(t.id);
  });

  it('steps by line forward and back, into, over and out of a call', async () => {
    for (const t of session.traps()) session.deleteTrap(t.id);
    const callLine = lineOf('int num_smoothed = smooth_readings();');
    session.addSourceBreakpoint('corruption.c', callLine);
    await session.seek(0, {});
    const at = await session.move('continue', {}, progress);
    for (const t of session.traps()) session.deleteTrap(t.id);
    expect(at.view.source).toMatchObject({ line: callLine, function: 'main' });

    const into = await session.move('step-line', {}, progress);
    expect(into.view.source?.function).toBe('smooth_readings');
    expect(frames(into).slice(0, 2)).toEqual([`smooth_readings@${into.view.source?.line}`, `main@${callLine}`]);
    expect(into.executed?.find((e) => e.file.endsWith('corruption.c'))?.lines).toContain(callLine);
    const back = await session.move('reverse-step-line', {}, progress);
    expect(back.view.source).toMatchObject({ line: callLine, function: 'main' });
    expect(back.view.icount).toBe(at.view.icount);

    await session.move('step-line', {}, progress);
    const out = await session.move('step-out', {}, progress);
    // Back in main just after the call (the return address's line, where the result is used).
    expect(out.view.source?.function).toBe('main');
    expect(out.view.source?.line).toBeGreaterThanOrEqual(callLine);
    expect(out.view.icount).toBeGreaterThan(into.view.icount);
    // From inside smooth_readings, back out of it: to the call in main.
    await session.seek(into.view.icount + 50, {});
    const outBack = await session.move('reverse-step-out', {}, progress);
    expect(outBack.view.source).toMatchObject({ function: 'main', line: callLine });
    expect(outBack.view.icount).toBeLessThan(into.view.icount);

    await session.seek(at.view.icount, {});
    const over = await session.move('step-over-line', {}, progress);
    expect(over.view.source?.function).toBe('main');
    expect(over.view.source?.line).toBeGreaterThan(callLine);
    const overBack = await session.move('reverse-step-over-line', {}, progress);
    expect(overBack.view.source?.function).toBe('main');
    expect(overBack.view.icount).toBeLessThan(over.view.icount);
    expect(overBack.view.icount).toBeGreaterThanOrEqual(at.view.icount);
  });

  it('goes to the last time a line ran, and says so when it did not run', async () => {
    const end = session.timeline.length;
    await session.seek(Number(end), {});
    const last = await session.runToLine('corruption.c', STORE_LINE, 'backward', {}, progress);
    expect(last.result.reason).toBe('step');
    expect(last.view.source).toMatchObject({ line: STORE_LINE, function: 'smooth_readings' });
    const earlier = await session.runToLine('corruption.c', STORE_LINE, 'backward', {}, progress);
    expect(earlier.view.icount).toBeLessThan(last.view.icount);
    expect(lineOfAnswer(earlier)).toBe(STORE_LINE);
    const next = await session.runToLine('corruption.c', STORE_LINE, 'forward', {}, progress);
    expect(next.view.icount).toBe(last.view.icount);

    await session.seek(100, {});
    const none = await session.runToLine('corruption.c', READ_LINE, 'backward', {}, progress);
    expect(none.result.reason).toBe('not-found');
    expect(none.view.icount).toBe(100);
    await expect(session.runToLine('corruption.c', 1, 'backward', {}, progress)).rejects.toThrow(/has no code/);
  });

  it('a line motion can be paused', async () => {
    await session.seek(0, {});
    // From the reset code (no line information) a step by line runs until main's first line: pause it at once.
    const running = session.move('step-out', {}, progress);
    session.pause();
    const answer = await running;
    expect(['cancelled', 'step']).toContain(answer.result.reason);
    expect(session.busy).toBe(false);
  });
});
