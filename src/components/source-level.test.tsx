// @vitest-environment jsdom
// The source-level parts: the call stack panel, the line-motion controls, and
// the source view's line marks.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { CallStackPanel } from './CallStackPanel';
import { Toolbar } from './Toolbar';
import { sourceDecorations } from './SourcePanel';
import type { StackFrame } from '../../workers/engine-api';

afterEach(cleanup);

const FRAMES: StackFrame[] = [
  { pc: '0x0000000080000120', function: 'smooth_readings', file: './corruption.c', line: 99, source: 'corruption.c' },
  { pc: '0x0000000080000290', function: 'main', file: './corruption.c', line: 165, source: 'corruption.c' },
  { pc: '0x00000000800000b0', function: '__start', file: '../crt0.h', line: 132, inlined: true },
  { pc: '0x0000000080000010', function: '_entry' },
];

describe('CallStackPanel', () => {
  it('lists the frames, innermost first: function and file:line', () => {
    render(<CallStackPanel frames={FRAMES} selected={0} onSelect={vi.fn()} />);
    const table = screen.getByRole('table', { name: 'Call stack' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((r) => r.textContent)).toEqual([
      '0smooth_readingscorruption.c:99',
      '1maincorruption.c:165',
      '2__startinlinedcrt0.h:132',
      '3_entry0x80000010',
    ]);
    expect(rows[0].getAttribute('aria-selected')).toBe('true');
    expect(within(rows[2]).getByTitle('Inlined into the function below')).toBeTruthy();
  });

  it('chooses a frame by clicking it (its button or its row)', async () => {
    const onSelect = vi.fn();
    render(<CallStackPanel frames={FRAMES} selected={1} onSelect={onSelect} />);
    await userEvent.click(screen.getByRole('button', { name: 'main' }));
    expect(onSelect).toHaveBeenLastCalledWith(1);
    expect(screen.getByRole('button', { name: 'main' }).getAttribute('aria-current')).toBe('true');
    await userEvent.click(screen.getByText('crt0.h:132'));
    expect(onSelect).toHaveBeenLastCalledWith(2);
    expect(screen.getByRole('button', { name: 'smooth_readings' }).getAttribute('title')).toBe('Show corruption.c:99 in the source view');
  });

  it('says why there is no stack', () => {
    const { rerender } = render(<CallStackPanel frames={undefined} selected={0} onSelect={vi.fn()} />);
    expect(screen.getByText(/no line information/)).toBeTruthy();
    rerender(<CallStackPanel frames={[]} selected={0} onSelect={vi.fn()} />);
    expect(screen.getByText(/No call stack here/)).toBeTruthy();
    expect(screen.queryByRole('table')).toBeNull();
  });
});

describe('Toolbar: stepping by line', () => {
  const base = { live: false, phase: 'fixed' as const, busy: null, length: 5000, onRecord: vi.fn(), onStop: vi.fn(), onPause: vi.fn(), onJump: vi.fn() };
  const LINE = [
    ['Step line', 'L', 'step-line'], ['Reverse step line', 'Shift+L', 'reverse-step-line'],
    ['Step over line', 'O', 'step-over-line'], ['Reverse step over line', 'Shift+O', 'reverse-step-over-line'],
    ['Step out', 'U', 'step-out'], ['Reverse step out', 'Shift+U', 'reverse-step-out'],
  ] as const;

  it('has the six line motions with their shortcuts, next to the instruction ones', async () => {
    const onMove = vi.fn();
    render(<Toolbar {...base} debugInfo="available" onMove={onMove} />);
    for (const [name, key, motion] of LINE) {
      const b = screen.getByRole('button', { name }) as HTMLButtonElement;
      expect(b.title.startsWith(`${name} (${key}): `)).toBe(true);
      expect(b.getAttribute('aria-keyshortcuts')).toBe(key);
      expect(b.disabled).toBe(false);
      await userEvent.click(b);
      expect(onMove).toHaveBeenLastCalledWith(motion);
    }
    // The instruction-level ones keep their names and tooltips.
    expect(screen.getByRole('button', { name: 'Step' }).title).toBe('Step (S)');
    expect(screen.getByRole('button', { name: 'Reverse step over' }).title).toBe('Reverse step over (Shift+N)');
    expect(within(screen.getByRole('group', { name: 'Step by source line' })).getAllByRole('button')).toHaveLength(6);
  });

  it('are disabled, saying why, without line information', () => {
    render(<Toolbar {...base} debugInfo="none" onMove={vi.fn()} />);
    for (const [name] of LINE) {
      const b = screen.getByRole('button', { name }) as HTMLButtonElement;
      expect(b.disabled).toBe(true);
      expect(b.title).toMatch(/unavailable\. This program has no line information/);
    }
    expect((screen.getByRole('button', { name: 'Step' }) as HTMLButtonElement).disabled).toBe(false);
  });

  it('are disabled while something runs', () => {
    render(<Toolbar {...base} debugInfo="available" busy={{ kind: 'motion', motion: 'step-line' }} onMove={vi.fn()} />);
    expect((screen.getByRole('button', { name: 'Step line' }) as HTMLButtonElement).disabled).toBe(true);
  });
});

describe('source view marks', () => {
  it('marks the pc line, breakpoints, the chosen frame, the accessing line and the lines just run', () => {
    const traps = [{ id: 1, kind: 'breakpoint' as const, address: 0x80000100, label: 'main+0x10', enabled: true, source: 'corruption.c:149' }];
    const d = sourceDecorations('./corruption.c', traps, { pcLine: 99, frameLine: 165, accessedLine: 103, executed: [99, 100, 101, 103, 149] });
    const by = (line: number) => d.filter((x) => x.line === line);
    expect(by(99)).toEqual([expect.objectContaining({ className: 'line-current', glyph: 'glyph-current' })]);
    expect(by(165)).toEqual([expect.objectContaining({ className: 'line-frame' })]);
    expect(by(103)).toEqual([expect.objectContaining({ className: 'line-accessed' })]);
    expect(by(100)).toEqual([{ line: 100, className: 'line-executed' }]);
    expect(by(149)).toEqual([
      expect.objectContaining({ glyph: 'glyph-breakpoint' }),
      { line: 149, className: 'line-executed' },
    ]);
  });
});
