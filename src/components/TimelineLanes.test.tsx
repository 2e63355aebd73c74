// @vitest-environment jsdom
// The lanes under the scrubber: found by their roles and names, and a click goes to the instant.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { TimelineBar } from './TimelineBar';
import type { RunLanes } from '../../workers/engine-api';

afterEach(cleanup);
// jsdom has no canvas: the timeline's marks are not drawn there, and names are measured by an estimate.
HTMLCanvasElement.prototype.getContext = (() => null) as typeof HTMLCanvasElement.prototype.getContext;

const run: RunLanes = {
  length: 10_000, done: true, fraction: 1, samples: 300,
  calls: [
    { depth: 0, name: 'main', user: true, start: 1000, end: 10_000, at: 1000 },
    { depth: 1, name: 'smooth_readings', user: true, start: 2000, end: 4000, at: 2100 },
    { depth: 1, name: 'printf', user: false, start: 6000, end: 7000, at: 6000 },
  ],
  traps: [
    { icount: 3000, hart: 0, interrupt: true, code: 7, name: 'machine timer interrupt', epc: '0x80000100', where: 'main+0x10', mode: 'M' },
    { icount: 5000, hart: 0, interrupt: false, code: 8, name: 'ecall from U-mode', epc: '0x80000200', where: 'main+0x20', mode: 'M' },
  ],
  trapsScannedTo: 10_000, trapsTruncated: false,
  userEnd: { icount: 9900, via: 'return', source: { file: './corruption.c', line: 190, function: 'main' } },
};

function bar(onScrub = vi.fn(), props: Partial<Parameters<typeof TimelineBar>[0]> = {}) {
  render(<TimelineBar length={10_000} position={0} markers={[]} disabled={false} onScrub={onScrub} run={run}
    consoleEvents={[{ icount: 1500, kind: 'stdout', text: 'Temperature log\n' }, { icount: 8000, kind: 'stdin', text: 'y\n' }]}
    notes={[{ id: 1, icount: 2500, text: 'the bad store' }]} ended={{ reason: 'exit', exitCode: 1 }} {...props} />);
  return onScrub;
}

describe('TimelineLanes', () => {
  it('has a lane of function calls, nested by depth, that goes where a function runs', async () => {
    const onScrub = bar();
    const calls = screen.getByRole('group', { name: 'Function calls' });
    expect(within(calls).getByRole('button', { name: 'main: icount 1,000 to 10,000' })).toBeTruthy();
    await userEvent.click(within(calls).getByRole('button', { name: 'smooth_readings: icount 2,000 to 4,000' }));
    expect(onScrub).toHaveBeenLastCalledWith(2100);
    expect(within(calls).getByRole('button', { name: /^printf \(library\)/ }).className).toContain('call-library');
  });

  it('has traps by cause, console output and input, notes, and the failed exit where the user code last ran', async () => {
    const onScrub = bar();
    const traps = screen.getByRole('group', { name: 'Traps and interrupts' });
    const timer = within(traps).getByRole('button', { name: /^machine timer interrupt at icount 3,000/ });
    expect(timer.className).toContain('trap-interrupt');
    expect(within(traps).getByRole('button', { name: /^ecall from U-mode/ }).className).toContain('trap-ecall');
    await userEvent.click(timer);
    expect(onScrub).toHaveBeenLastCalledWith(3000);
    const io = screen.getByRole('group', { name: 'Console output and input' });
    expect(within(io).getByRole('button', { name: 'output: Temperature log (icount 1,500)' })).toBeTruthy();
    expect(within(io).getByRole('button', { name: 'input: y (icount 8,000)' }).className).toContain('console-input');
    const marks = screen.getByRole('group', { name: 'Notes and marks' });
    await userEvent.click(within(marks).getByRole('button', { name: 'note: the bad store (icount 2,500)' }));
    expect(onScrub).toHaveBeenLastCalledWith(2500);
    const exit = within(marks).getByRole('button', { name: /^failed: status 1: the program exits with status 1/ });
    expect(exit.textContent).toBe('failed: status 1');
    await userEvent.click(exit);
    expect(onScrub).toHaveBeenLastCalledWith(9900);
  });

  it('says while the run is being mapped, and where traps were not looked for', () => {
    bar(vi.fn(), { run: { ...run, done: false, fraction: 0.42, trapsTruncated: true, trapsScannedTo: 5000 }, ended: { reason: 'exit', exitCode: 0 } });
    expect(screen.getByRole('group', { name: 'Function calls (mapping the run: 42%)' })).toBeTruthy();
    expect(screen.getByRole('group', { name: 'Traps and interrupts (looked for up to icount 5,000)' })).toBeTruthy();
    // A run that exits with status 0 has no exit mark.
    expect(screen.queryByRole('button', { name: /^failed/ })).toBeNull();
  });

  it('ignores clicks while a motion runs, and shows no lane without data', async () => {
    const onScrub = bar(vi.fn(), { disabled: true });
    await userEvent.click(screen.getByRole('button', { name: /^main:/ }));
    expect(onScrub).not.toHaveBeenCalled();
    cleanup();
    render(<TimelineBar length={100} position={0} markers={[]} disabled={false} onScrub={vi.fn()} />);
    expect(screen.queryAllByRole('group').map((g) => g.getAttribute('aria-label'))).toEqual(['Timeline zoom']);
  });
});
