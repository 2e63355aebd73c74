// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { RegistersPanel } from './RegistersPanel';
import { ConsolePanel } from './ConsolePanel';
import { MemoryPanel } from './MemoryPanel';
import { TrapsPanel } from './TrapsPanel';
import { TimelineBar } from './TimelineBar';
import { Toolbar } from './Toolbar';
import { StatusLine } from './StatusLine';
import { disassemblyDecorations, lineIndex } from './DisassemblyPanel';
import { hex, status, view } from '../test/fixtures';
import type { ConsoleEvent, MemoryBlock, TrapInfo } from '../../workers/engine-api';

afterEach(cleanup);
// jsdom has no canvas: the timeline's marks are not drawn there.
HTMLCanvasElement.prototype.getContext = (() => null) as typeof HTMLCanvasElement.prototype.getContext;

describe('RegistersPanel', () => {
  it('shows pc and x0–x31 with ABI names, one row each, and highlights what changed', () => {
    const before = view(10);
    const after = view(11, { registers: before.registers.map((r, i) => (i === 10 ? hex(42) : r)) });
    render(<RegistersPanel view={after} previous={before} />);
    const table = screen.getByRole('table', { name: 'Registers' });
    const rows = within(table).getAllByRole('row');
    expect(rows).toHaveLength(33);
    expect(within(rows[0]).getByRole('rowheader').textContent).toBe('pc');
    expect(within(rows[11]).getByRole('rowheader').textContent).toBe('x10 a0');
    expect(within(rows[11]).getByRole('cell').textContent).toBe(hex(42));
    expect(rows[11].className).toBe('changed');
    expect(rows[12].className).toBe('');
    // pc changed too (icount 10 → 11).
    expect(rows[0].className).toBe('changed');
    expect(screen.getByText('M mode')).toBeTruthy();
    expect(screen.getByRole('table', { name: 'Control and status registers' }).textContent).toContain('unreadable');
  });

  it('switches between hex and signed decimal', async () => {
    const v = view(0, { registers: Array.from({ length: 32 }, (_, i) => (i === 5 ? hex(-15) : hex(i))) });
    render(<RegistersPanel view={v} previous={null} />);
    const toggle = screen.getByRole('button', { name: 'Decimal' });
    expect(toggle.getAttribute('aria-pressed')).toBe('false');
    await userEvent.click(toggle);
    expect(toggle.getAttribute('aria-pressed')).toBe('true');
    const row = screen.getAllByRole('row').find((r) => r.textContent?.startsWith('x5 t0'))!;
    expect(within(row).getByRole('cell').textContent).toBe('-15');
  });
});

describe('RegistersPanel: the FPU', () => {
  const fp = (values: Record<number, bigint>) => Array.from({ length: 32 }, (_, i) => hex(values[i] ?? 0n));

  it('shows f0–f31 by ABI name as doubles, NaN-boxed singles as singles, each with its bits; highlights what changed', () => {
    const before = view(10, { fpu: { registers: fp({ 10: 0x3ff8000000000000n }), fcsr: hex(0) } });
    const after = view(11, {
      fpu: {
        registers: fp({ 10: 0x3ff8000000000000n, 11: 0xc002000000000000n, 12: 0xffffffff40400000n, 2: 0x3fd5555555555555n, 4: 0x7ff0000000000000n, 5: 0xfff8000000000000n, 6: 0x8000000000000000n }),
        fcsr: hex(0x29),
      },
    });
    render(<RegistersPanel view={after} previous={before} />);
    const table = screen.getByRole('table', { name: 'Floating-point registers' });
    const rows = within(table).getAllByRole('row');
    expect(rows).toHaveLength(33);
    const row = (name: string) => rows.find((r) => within(r).getByRole('rowheader').textContent === name)!;
    expect(rows.slice(1).map((r) => within(r).getByRole('rowheader').textContent)).toEqual(
      Array.from({ length: 32 }, (_, i) => `f${i} ${['ft0', 'ft1', 'ft2', 'ft3', 'ft4', 'ft5', 'ft6', 'ft7', 'fs0', 'fs1', 'fa0', 'fa1', 'fa2', 'fa3', 'fa4', 'fa5', 'fa6', 'fa7', 'fs2', 'fs3', 'fs4', 'fs5', 'fs6', 'fs7', 'fs8', 'fs9', 'fs10', 'fs11', 'ft8', 'ft9', 'ft10', 'ft11'][i]}`),
    );
    expect(within(row('f10 fa0')).getByRole('cell').textContent).toBe('1.50x3ff8000000000000');
    expect(row('f10 fa0').className).toBe('');
    expect(within(row('f11 fa1')).getByRole('cell').textContent).toBe('-2.250xc002000000000000');
    expect(row('f11 fa1').className).toBe('changed');
    expect(row('f11 fa1').title).toBe(`changed from ${hex(0)}`);
    // A NaN-boxed single: the single's value, marked, and the bits as a double.
    expect(within(row('f12 fa2')).getByRole('cell').textContent).toBe('3singledouble NaN0xffffffff40400000');
    expect(within(row('f2 ft2')).getByRole('cell').textContent).toContain('0.3333333333333333');
    expect(within(row('f4 ft4')).getByRole('cell').textContent).toContain('inf');
    expect(within(row('f5 ft5')).getByRole('cell').textContent).toMatch(/^NaN/);
    expect(within(row('f6 ft6')).getByRole('cell').textContent).toMatch(/^-0 ?0x8/);
    // fcsr 0x29: frm 1 (rtz), DZ and NX set.
    const fcsr = within(row('fcsr')).getByRole('cell');
    expect(fcsr.textContent).toBe('0x29rtzNVDZOFUFNX');
    expect(within(fcsr).getByTitle('frm = 1: round towards zero').textContent).toBe('rtz');
    expect(within(fcsr).getByLabelText('flags set: DZ NX')).toBeTruthy();
    expect([...fcsr.querySelectorAll('.fp-flag.set')].map((e) => e.textContent)).toEqual(['DZ', 'NX']);
    expect(within(fcsr).getByTitle('DZ: divide by zero (set)')).toBeTruthy();
    expect(within(fcsr).getByTitle('NV: invalid operation (clear)')).toBeTruthy();
    expect(row('fcsr').className).toBe('changed');
    // The x registers' table is unchanged by it.
    expect(within(screen.getByRole('table', { name: 'Registers' })).getAllByRole('row')).toHaveLength(33);
  });

  it('says when the FPU is off (fcsr cannot be read) and shows singles with their shortest decimal', () => {
    const v = view(0, { fpu: { registers: fp({ 0: 0xffffffff3dcccccdn, 1: 0xffffffffff800000n, 2: 0xffffffff7fa00000n }), fcsr: null } });
    render(<RegistersPanel view={v} previous={null} />);
    const table = screen.getByRole('table', { name: 'Floating-point registers' });
    expect(within(table).getAllByRole('row')[0].textContent).toBe('fcsroff (mstatus.FS = Off)');
    const cell = (i: number) => within(within(table).getAllByRole('row')[i + 1]).getByRole('cell').textContent;
    expect(cell(0)).toMatch(/^0\.1single/);
    expect(cell(1)).toMatch(/^-infsingle/);
    expect(cell(2)).toMatch(/^sNaNsingle/);
    expect(table.querySelectorAll('tr.changed')).toHaveLength(0);
  });
});

describe('ConsolePanel', () => {
  const events: ConsoleEvent[] = [
    { icount: 5, kind: 'stdout', text: 'Name? ' },
    { icount: 9, kind: 'stdin', text: 'Ada\n' },
    { icount: 12, kind: 'stdout', text: 'Hello, Ada\n' },
    { icount: 15, kind: 'eof', text: '' },
  ];
  const props = { events, phase: 'fixed' as const, onSend: () => {}, onEndInput: () => {} };

  it('shows what was printed up to the position, and marks the input the program received', () => {
    const { rerender } = render(<ConsolePanel {...props} position={9} />);
    const region = screen.getByRole('region', { name: 'Console' });
    expect(region.textContent).toContain('Name? input: Ada');
    expect(region.textContent).not.toContain('Hello');
    expect(region.textContent).toContain('2 later events not shown');
    expect(region.querySelector('.stream-stdin')?.textContent).toBe('input: Ada\n');
    rerender(<ConsolePanel {...props} position={20} />);
    expect(region.textContent).toContain('Hello, Ada');
    expect(region.textContent).toContain('[end of input]');
    rerender(<ConsolePanel {...props} position={0} />);
    expect(region.textContent).toContain('Nothing printed yet at this position.');
    expect(screen.queryByRole('textbox', { name: 'Console input' })).toBeNull();
  });

  it('sends typed lines while recording live', async () => {
    const onSend = vi.fn();
    const onEndInput = vi.fn();
    render(<ConsolePanel {...props} position={0} phase="waiting-input" onSend={onSend} onEndInput={onEndInput} sampleInput={'a\nb'} />);
    await userEvent.type(screen.getByRole('textbox', { name: 'Console input' }), 'hi there{Enter}');
    expect(onSend).toHaveBeenCalledWith('hi there\n');
    await userEvent.click(screen.getByRole('button', { name: 'Send sample input' }));
    expect(onSend).toHaveBeenLastCalledWith('a\nb');
    await userEvent.click(screen.getByRole('button', { name: 'End input' }));
    expect(onEndInput).toHaveBeenCalled();
  });
});

describe('MemoryPanel', () => {
  const block = (bytes: number[], target = 0x80200928, size = 4): MemoryBlock => {
    const b = new Uint8Array(32);
    b.set(bytes);
    return { at: 'calibration_offset', address: 0x80200920, bytes: b, readable: [true, false], target, targetSize: size, symbol: 'calibration_offset' };
  };

  it('shows a hex dump, highlights changed bytes and the asked-for symbol, and marks unreadable rows', () => {
    const before = block([0, 0, 0, 0, 0, 0, 0, 0, 0xf1, 0xff, 0xff, 0xff]);
    const now = block([0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0, 0, 0]);
    render(<MemoryPanel memory={now} previous={before} traps={[]} busy={false} onShow={() => {}} onWatch={() => {}} onWhoWrote={() => {}} />);
    const table = screen.getByRole('table', { name: 'Memory at calibration_offset' });
    const rows = within(table).getAllByRole('row');
    expect(rows[0].textContent?.startsWith('8020092000000000000000007f000000')).toBe(true);
    expect(table.querySelectorAll('td.changed')).toHaveLength(4);
    expect(table.querySelectorAll('td.target')).toHaveLength(4);
    expect(rows[1].textContent).toContain('not readable');
    expect(screen.getByText('4 bytes at 80200928 (calibration_offset)')).toBeTruthy();
  });

  it('watches a selection, and asks who wrote it', async () => {
    const onWatch = vi.fn();
    const onWhoWrote = vi.fn();
    render(<MemoryPanel memory={block([])} previous={undefined} traps={[]} busy={false} onShow={() => {}} onWatch={onWatch} onWhoWrote={onWhoWrote} />);
    const cell = (a: number) => document.querySelector(`td[data-address="${a}"]`)!;
    fireEvent.mouseDown(cell(0x80200922));
    fireEvent.mouseDown(cell(0x80200927), { shiftKey: true });
    expect(screen.getByText('6 bytes at 80200922')).toBeTruthy();
    await userEvent.selectOptions(screen.getByRole('combobox', { name: 'Watch' }), 'read');
    await userEvent.click(screen.getByRole('button', { name: /^Watch$/ }));
    expect(onWatch).toHaveBeenCalledWith(0x80200922, 6, 'read');
    await userEvent.click(screen.getByRole('button', { name: 'Who wrote this?' }));
    expect(onWhoWrote).toHaveBeenCalledWith(0x80200922, 6);
  });

  it('asks for memory at what is typed, and shows what is wrong with it', async () => {
    const onShow = vi.fn();
    const bad: MemoryBlock = { at: 'nope', address: 0, bytes: new Uint8Array(0), readable: [], target: 0, targetSize: 0, error: 'no symbol called "nope"' };
    render(<MemoryPanel memory={bad} previous={undefined} traps={[]} busy={false} onShow={onShow} onWatch={() => {}} onWhoWrote={() => {}} />);
    expect(screen.getByRole('alert').textContent).toBe('no symbol called "nope"');
    const input = screen.getByRole('textbox', { name: 'Memory address' });
    await userEvent.clear(input);
    await userEvent.type(input, 'sp{Enter}');
    expect(onShow).toHaveBeenCalledWith('sp');
  });
});

describe('TrapsPanel', () => {
  const traps: TrapInfo[] = [
    { id: 1, kind: 'breakpoint', address: 0x80000412, label: 'median_of', enabled: true },
    { id: 2, kind: 'watchpoint', address: 0x80200928, length: 4, access: 'write', label: 'calibration_offset', enabled: false },
  ];
  it('lists breakpoints and watchpoints, enables, deletes and adds them', async () => {
    const onAdd = vi.fn();
    const onDelete = vi.fn();
    const onEnable = vi.fn();
    render(<TrapsPanel traps={traps} busy={false} onAdd={onAdd} onDelete={onDelete} onEnable={onEnable} onShow={() => {}} />);
    const items = within(screen.getByRole('list', { name: 'Breakpoints and watchpoints' })).getAllByRole('listitem');
    expect(items).toHaveLength(2);
    expect(items[1].textContent).toContain('write watch, 4 B at 80200928');
    expect((screen.getByRole('checkbox', { name: 'Enable watchpoint 2' }) as HTMLInputElement).checked).toBe(false);
    await userEvent.click(screen.getByRole('checkbox', { name: 'Enable breakpoint 1' }));
    expect(onEnable).toHaveBeenCalledWith(1, false);
    await userEvent.click(screen.getByRole('button', { name: 'Delete watchpoint 2' }));
    expect(onDelete).toHaveBeenCalledWith(2);
    await userEvent.type(screen.getByRole('textbox', { name: 'Break at' }), 'main{Enter}');
    expect(onAdd).toHaveBeenCalledWith('main');
  });

  it('shows a breakpoint with several locations once, and suggests what to type', async () => {
    const inlined: TrapInfo[] = [
      { id: 4, kind: 'breakpoint', address: 0x8000032a, label: 'collect_samples+0x2a', enabled: true, source: 'read_sensor' },
      { id: 4, kind: 'breakpoint', address: 0x80000396, label: 'collect_samples+0x96', enabled: true, source: 'read_sensor' },
    ];
    const complete = vi.fn((prefix: string) => Promise.resolve(['read_sensor', 'corruption.c:'].filter((n) => n.startsWith(prefix))));
    render(<TrapsPanel traps={inlined} busy={false} onAdd={() => {}} onDelete={() => {}} onEnable={() => {}} onShow={() => {}} complete={complete} />);
    const items = within(screen.getByRole('list', { name: 'Breakpoints and watchpoints' })).getAllByRole('listitem');
    expect(items).toHaveLength(1);
    expect(items[0].textContent).toContain('read_sensor');
    expect(items[0].textContent).toContain('2 locations: 8000032a, 80000396');
    const box = screen.getByRole('combobox', { name: 'Break at' });
    await userEvent.type(box, 'read');
    expect(complete).toHaveBeenLastCalledWith('read');
    const list = document.getElementById(box.getAttribute('list') ?? '');
    await vi.waitFor(() => expect([...(list?.querySelectorAll('option') ?? [])].map((o) => o.value)).toEqual(['read_sensor']));
  });
});

describe('TimelineBar', () => {
  it('is a slider over the recording that the keyboard moves', () => {
    const onScrub = vi.fn();
    render(<TimelineBar length={1000} position={400} markers={[]} disabled={false} onScrub={onScrub} />);
    const slider = screen.getByRole('slider', { name: 'Timeline' });
    expect(slider.getAttribute('aria-valuemin')).toBe('0');
    expect(slider.getAttribute('aria-valuemax')).toBe('1000');
    expect(slider.getAttribute('aria-valuenow')).toBe('400');
    const keys: [string, number][] = [['ArrowRight', 401], ['ArrowLeft', 399], ['PageUp', 500], ['PageDown', 300], ['Home', 0], ['End', 1000]];
    for (const [key, expected] of keys) {
      fireEvent.keyDown(slider, { key });
      expect(onScrub).toHaveBeenLastCalledWith(expected);
    }
  });

  it('ignores input while disabled, zooms and shows all again', async () => {
    const onScrub = vi.fn();
    const { rerender } = render(<TimelineBar length={1_000_000} position={500_000} markers={[]} disabled onScrub={onScrub} />);
    const slider = screen.getByRole('slider', { name: 'Timeline' });
    expect(slider.getAttribute('aria-disabled')).toBe('true');
    fireEvent.keyDown(slider, { key: 'Home' });
    expect(onScrub).not.toHaveBeenCalled();
    rerender(<TimelineBar length={1_000_000} position={500_000} markers={[]} disabled={false} onScrub={onScrub} />);
    await userEvent.click(screen.getByRole('button', { name: 'Zoom in' }));
    // A tenth of the view is now a tenth of a quarter of the recording.
    fireEvent.keyDown(slider, { key: 'PageUp' });
    expect(onScrub).toHaveBeenLastCalledWith(525_000);
    await userEvent.click(screen.getByRole('button', { name: 'Show all' }));
    fireEvent.keyDown(slider, { key: 'PageUp' });
    expect(onScrub).toHaveBeenLastCalledWith(600_000);
  });
});

describe('Toolbar', () => {
  const base = { live: true, phase: 'live' as const, busy: null, length: 5000, debugInfo: 'available' as const, onRecord: vi.fn(), onStop: vi.fn(), onMove: vi.fn(), onPause: vi.fn(), onJump: vi.fn() };

  it('has the controls, with their shortcuts in the tooltips', async () => {
    render(<Toolbar {...base} />);
    for (const [name, key] of [['Continue', 'C'], ['Reverse continue', 'Shift+C'], ['Step', 'S'], ['Reverse step', 'Shift+S'], ['Step over', 'N'], ['Reverse step over', 'Shift+N'], ['Pause', 'P'], ['Record', 'R'], ['Stop', 'X']]) {
      expect(screen.getByRole('button', { name }).getAttribute('title')).toBe(`${name} (${key})`);
    }
    expect((screen.getByRole('button', { name: 'Pause' }) as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByRole('button', { name: 'Stop' }) as HTMLButtonElement).disabled).toBe(true);
    await userEvent.click(screen.getByRole('button', { name: 'Reverse step over' }));
    expect(base.onMove).toHaveBeenCalledWith('reverse-step-over');
    await userEvent.click(screen.getByRole('button', { name: 'Record' }));
    expect(base.onRecord).toHaveBeenCalled();
  });

  it('while recording: only Stop and Pause', () => {
    render(<Toolbar {...base} phase="recording" busy={{ kind: 'record' }} />);
    expect((screen.getByRole('button', { name: 'Stop' }) as HTMLButtonElement).disabled).toBe(false);
    expect((screen.getByRole('button', { name: 'Pause' }) as HTMLButtonElement).disabled).toBe(false);
    expect((screen.getByRole('button', { name: 'Continue' }) as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByRole('button', { name: 'Record' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('jumps to a typed icount, and refuses what is not one', async () => {
    const onJump = vi.fn();
    render(<Toolbar {...base} live={false} phase="fixed" onJump={onJump} />);
    expect(screen.queryByRole('button', { name: 'Record' })).toBeNull();
    const box = screen.getByRole('textbox', { name: 'Go to icount' });
    await userEvent.type(box, '1,234{Enter}');
    expect(onJump).toHaveBeenCalledWith(1234);
    await userEvent.clear(box);
    await userEvent.type(box, '99999999{Enter}');
    expect(onJump).toHaveBeenLastCalledWith(5000);
    await userEvent.clear(box);
    await userEvent.type(box, 'soon{Enter}');
    expect(box.getAttribute('aria-invalid')).toBe('true');
    expect(onJump).toHaveBeenCalledTimes(2);
  });
});

describe('StatusLine', () => {
  it('shows the icount and why the last motion stopped', () => {
    const v = view(14306, { pc: hex(0x80000406), pcLabel: 'smooth_readings+0x3c', instruction: 'addw a1,a1,1' });
    const traps: TrapInfo[] = [{ id: 1, kind: 'watchpoint', address: 0x80200928, length: 4, access: 'write', label: 'calibration_offset', enabled: true }];
    render(<StatusLine view={v} status={status({ length: 65218 })} busy={null} traps={traps} position={14306} seeking={false}
      lastStop={{ reason: 'watchpoint', icount: 14306, pc: v.pc, watchpointId: 1, watch: { address: 0x80200928, size: 4, kind: 'write', oldValue: hex(0xfffffff1), newValue: hex(0x7f), pc: hex(0x80000402), pcLabel: 'smooth_readings+0x38' } }} />);
    expect(screen.getByRole('status').textContent).toBe(
      'icount 14,306 of 65,218 · pc 0x80000406 <smooth_readings+0x3c> · addw a1,a1,1 · watchpoint 1 (calibration_offset): 4 bytes at 0x80200928 written by smooth_readings+0x38 (0x80000402): 0xfffffff1 → 0x7f');
  });

  it('shows progress while recording', () => {
    render(<StatusLine view={view(0)} status={status({ phase: 'recording', length: 2_000_000 })} traps={[]} position={0} seeking={false} lastStop={null}
      busy={{ kind: 'record', activity: 'recording', icount: 2_000_000, speed: 2.5e8 }} />);
    expect(screen.getByRole('status').textContent).toBe('Recording… · icount 2,000,000 · 250 M instructions/s');
  });
});

describe('disassembly decorations', () => {
  it('marks the current line and breakpoints by address', () => {
    const lines = lineIndex({ text: '', title: '', addresses: [-1, 0x100, 0x104, -1, 0x108] });
    expect([...lines]).toEqual([[0x100, 2], [0x104, 3], [0x108, 5]]);
    const traps: TrapInfo[] = [
      { id: 1, kind: 'breakpoint', address: 0x108, label: 'f', enabled: false },
      { id: 2, kind: 'breakpoint', address: 0x104, label: 'g', enabled: true },
    ];
    const d = disassemblyDecorations(lines, 0x104, traps);
    expect(d.find((x) => x.line === 5)?.glyph).toBe('glyph-breakpoint-disabled');
    expect(d.filter((x) => x.line === 3)).toEqual([expect.objectContaining({ glyph: 'glyph-breakpoint glyph-at-pc', className: 'line-current' })]);
    expect(disassemblyDecorations(lines, 0x100, [])).toEqual([expect.objectContaining({ line: 2, className: 'line-current', glyph: 'glyph-current' })]);
  });
});
