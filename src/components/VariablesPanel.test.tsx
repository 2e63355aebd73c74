// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen, within, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { VariablesPanel, writeBehind, writePosition } from './VariablesPanel';
import type { HistoryAnswer, HistoryWrite, VariableNode, VariablesView } from '../../workers/engine-api';

afterEach(cleanup);

const node = (name: string, value: string, extra: Partial<VariableNode> = {}): VariableNode =>
  ({ name, expression: name, value, type: 'int', expandable: false, ...extra });

const write = (icount: number, before: string, after: string, line: number, fn: string): HistoryWrite => ({
  icount, hart: 0, pc: '0x0000000080000432', pcLabel: `${fn}+0x38`, function: fn, before, after, number: Number(after),
  source: { file: './corruption.c', line, source: 'corruption.c', function: fn },
});

const HISTORY: HistoryAnswer = {
  expression: 'calibration_offset', address: 0x80200928, size: 4, type: 'int', initial: '0', initialNumber: 0,
  writes: [write(9880, '0', '-15', 76, 'load_calibration'), write(14473, '-15', '127', 103, 'smooth_readings')],
  length: 65000, seconds: 0.5, workers: 2, segments: 1, skipped: 0, cancelled: false,
};

function setup(icount: number, values: { calibration: string }) {
  const load = vi.fn(async (frame: number, expressions: string[]): Promise<VariablesView> => ({
    icount, frame, function: 'compute_stats',
    args: [node('n', '96'), node('values', '0x80200638 <raw_samples>', { expandable: true, type: 'const int *' })],
    locals: [node('s', '{min = 1, max = 2}', { expandable: true, type: 'struct stats' })],
    expressions: expressions.map((x) => node(x, values.calibration, { address: 0x80200928, size: 4 })),
  }));
  const expand = vi.fn(async (_f: number, x: string) => [node('.min', '1', { expression: `${x}.min` }), node('.max', '2', { expression: `${x}.max` })]);
  const history = vi.fn(async () => HISTORY);
  const onSeek = vi.fn();
  const props = { icount, frame: 0, available: true, busy: false, length: 65000, load, expand, history, onSeek };
  return { props, load, expand, history, onSeek };
}

describe('VariablesPanel', () => {
  it('lists arguments and locals, opens a struct, watches an expression and highlights a change', async () => {
    const { props, expand } = setup(100, { calibration: '-15' });
    const { rerender } = render(<VariablesPanel {...props} />);
    const args = await screen.findByRole('tree', { name: 'Arguments' });
    expect(within(args).getAllByRole('treeitem').map((t) => t.getAttribute('aria-label'))).toEqual(['n', 'values']);
    const locals = screen.getByRole('tree', { name: 'Locals' });
    await userEvent.click(within(locals).getByRole('button', { name: 'Expand s' }));
    expect(await within(locals).findByRole('treeitem', { name: '.min' })).toBeTruthy();
    expect(expand).toHaveBeenCalledWith(0, 's');
    await userEvent.type(screen.getByRole('textbox', { name: 'Expression' }), 'calibration_offset');
    await userEvent.click(screen.getByRole('button', { name: 'Watch' }));
    const exprs = await screen.findByRole('tree', { name: 'Expressions' });
    expect(within(exprs).getByRole('treeitem', { name: 'calibration_offset' }).textContent).toContain('-15');
    // At a later position the value differs: it is highlighted.
    const later = setup(200, { calibration: '127' });
    rerender(<VariablesPanel {...later.props} />);
    await waitFor(() => expect(within(screen.getByRole('tree', { name: 'Expressions' })).getByRole('treeitem', { name: 'calibration_offset' }).className).toContain('changed'));
  });

  it('shows the history of a value, seeks to a write, and finds the write behind the visible value', async () => {
    const { props, history, onSeek } = setup(20000, { calibration: '127' });
    render(<VariablesPanel {...props} />);
    await userEvent.type(screen.getByRole('textbox', { name: 'Expression' }), 'calibration_offset');
    await userEvent.click(screen.getByRole('button', { name: 'Watch' }));
    await userEvent.click(await screen.findByRole('button', { name: 'History of calibration_offset' }));
    expect(history).toHaveBeenCalledWith('calibration_offset', 0);
    const region = await screen.findByRole('region', { name: 'Value history' });
    expect(within(region).getByRole('img', { name: 'Plot of calibration_offset against the timeline' })).toBeTruthy();
    const writes = within(within(region).getByRole('list', { name: 'Writes' })).getAllByRole('button');
    expect(writes).toHaveLength(2);
    await userEvent.click(within(region).getByRole('button', { name: /0 to -15 at corruption\.c:76 in load_calibration/ }));
    expect(onSeek).toHaveBeenLastCalledWith(9879);
    await userEvent.click(within(region).getByRole('button', { name: 'Who wrote this value?' }));
    expect(onSeek).toHaveBeenLastCalledWith(14472);
  });

  it('writeBehind: the last write at or before a position', () => {
    expect(writeBehind(HISTORY.writes, 100)).toBeUndefined();
    expect(writeBehind(HISTORY.writes, 9880)?.icount).toBe(9880);
    expect(writeBehind(HISTORY.writes, 14000)?.icount).toBe(9880);
    expect(writeBehind(HISTORY.writes, 99999)?.icount).toBe(14473);
    expect(writePosition(HISTORY.writes[1])).toBe(14472);
  });
});
