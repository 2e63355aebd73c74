import { describe, expect, it } from 'vitest';
import type { CallSegment, TrapMark } from '../../workers/engine-api';
import { callRows, consoleItems, consoleLines, exitMark, noteItems, trapClass, trapItems } from './lanes';
import { functionSlice } from './listing-slice';

const w = { start: 0, end: 1000, width: 500 };
const always = () => true;

const trap = (icount: number, o: Partial<TrapMark> = {}): TrapMark => ({
  icount, hart: 0, interrupt: true, code: 7, name: 'machine timer interrupt', epc: '0x80000100', where: 'main+0x10', mode: 'M', ...o,
});

describe('timeline lanes', () => {
  it('call rows: a box per segment in view, by depth, clipped to the window, named where the name fits', () => {
    const segments: CallSegment[] = [
      { depth: 0, name: 'main', user: true, start: 0, end: 1000, at: 0 },
      { depth: 1, name: 'sort', user: true, start: 100, end: 300, at: 120 },
      { depth: 1, name: 'printf', user: false, start: 900, end: 901, at: 900 },
      { depth: 3, name: 'deep', user: true, start: 0, end: 1000, at: 0 },
    ];
    const rows = callRows(segments, w, 3, (text, px) => text.length * 6 <= px);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual([expect.objectContaining({ left: 0, width: 500, icount: 0, text: 'main', className: 'call-user', label: 'main: icount 0 to 1,000' })]);
    expect(rows[1][0]).toMatchObject({ left: 50, width: 100, icount: 120, text: 'sort' });
    // Half a pixel wide: not drawn.
    expect(rows[1]).toHaveLength(1);
    // Zoomed into 100..200: sort fills the view, main's box too.
    const zoomed = callRows(segments, { start: 100, end: 200, width: 500 }, 3, always);
    expect(zoomed[1][0]).toMatchObject({ left: 0, width: 500 });
    // A library function says so; a name that does not fit is not drawn (the label has it).
    const lib = callRows([{ depth: 0, name: 'printf', user: false, start: 0, end: 20, at: 0 }], w, 3, (text, px) => text.length * 6 <= px);
    expect(lib[0][0]).toMatchObject({ className: 'call-library', label: 'printf (library): icount 0 to 20' });
    expect(lib[0][0].text).toBeUndefined();
  });

  it('traps: by class, with the cause named; marks a few pixels apart are one, counted by cause', () => {
    expect(trapClass({ interrupt: true, code: 7 })).toBe('interrupt');
    expect(trapClass({ interrupt: false, code: 8 })).toBe('ecall');
    expect(trapClass({ interrupt: false, code: 3 })).toBe('breakpoint');
    expect(trapClass({ interrupt: false, code: 13 })).toBe('fault');
    const items = trapItems([
      trap(100), trap(101), trap(102, { interrupt: false, code: 13, name: 'load page fault', mode: 'S' }),
      trap(103, { name: 'machine timer interrupt' }), trap(800, { interrupt: false, code: 8, name: 'ecall from U-mode' }),
    ], w);
    // Marks in one 4-pixel column are one box (of mixed colour when they differ), at the column: boxes never overlap.
    expect(items.map((i) => [i.className, i.left])).toEqual([['trap-mixed', 48], ['trap-ecall', 400]]);
    expect(items[0]).toMatchObject({ icount: 100, label: '4 traps at icount 100 to 103: machine timer interrupt ×3, load page fault' });
    expect(items[1]).toMatchObject({ icount: 800, label: 'ecall from U-mode at icount 800, from main+0x10 (hart 0, to M mode)' });
    expect(trapItems([trap(100), trap(101)], w)[0]).toMatchObject({ className: 'trap-interrupt', label: '2 traps at icount 100 to 101: machine timer interrupt ×2' });
    // Thousands of interrupts stay a few hundred boxes.
    const many = trapItems(Array.from({ length: 5000 }, (_, i) => trap(i / 5)), w);
    expect(many.length).toBeLessThanOrEqual(w.width / 4 + 1);
    expect(many.every((i) => i.left >= 0 && i.left + i.width <= w.width)).toBe(true);
    expect(many.every((i, k) => k === 0 || many[k - 1].left + many[k - 1].width < i.left)).toBe(true);
  });

  it('console and notes: output and input apart; a note over its range', () => {
    // Programs often write a character at a time: the lane has a mark per line, where it began.
    const events = [
      { icount: 10, kind: 'stdout' as const, text: 'hel' }, { icount: 12, kind: 'stdout' as const, text: 'lo\nwor' }, { icount: 14, kind: 'stdout' as const, text: 'ld\n' },
      { icount: 500, kind: 'stdin' as const, text: 'typed\n' }, { icount: 1000, kind: 'stdout' as const, text: 'bye' },
    ];
    expect(consoleLines(events)).toEqual([
      { icount: 10, end: 12, kind: 'output', text: 'hello' }, { icount: 12, end: 14, kind: 'output', text: 'world' },
      { icount: 500, end: 500, kind: 'input', text: 'typed' }, { icount: 1000, end: 1000, kind: 'output', text: 'bye' },
    ]);
    const items = consoleItems(events, w);
    // A click goes to where the (last) line was all written.
    expect(items.map((i) => [i.className, i.icount])).toEqual([['console-output', 14], ['console-input', 500], ['console-output', 1000]]);
    expect(items[0].label).toBe('2 console lines at icount 10 to 12: hello | world');
    expect(items[1].label).toBe('input: typed (icount 500)');
    expect(items[2]).toMatchObject({ label: 'output: bye (icount 1,000)' });
    expect(items[2].left + items[2].width).toBeLessThanOrEqual(w.width);
    const notes = noteItems([{ id: 1, icount: 200, text: 'here' }, { id: 2, icount: 400, end: 600, text: 'this range' }, { id: 3, icount: 2000, text: 'out of view' }], w);
    expect(notes).toHaveLength(2);
    expect(notes[0]).toMatchObject({ icount: 200, label: 'note: here (icount 200)' });
    expect(notes[1]).toMatchObject({ left: 199, width: 102, label: 'note: this range (icount 400 to 600)' });
  });

  it('the exit mark: only for a failure, named for how the user code left', () => {
    const source = { file: './corruption.c', line: 190, function: 'main' };
    expect(exitMark({ reason: 'exit', exitCode: 0 }, { icount: 5, via: 'return' })).toBeNull();
    expect(exitMark({ reason: 'exit', exitCode: 1 }, null)).toBeNull();
    expect(exitMark({ reason: 'exit', exitCode: 1 }, { icount: 5, via: 'return', source })).toEqual({
      icount: 5, text: 'failed: status 1', label: 'failed: status 1: the program exits with status 1; the last of your code that ran at corruption.c:190 in main (icount 5)',
    });
    expect(exitMark({ reason: 'exit', exitCode: 2 }, { icount: 9, via: 'call', callee: 'exit' })?.text).toBe('exit(2)');
  });
});

describe('functionSlice', () => {
  it('is the function around an address, from its label to the next', () => {
    const listing = {
      text: ['Disassembly of section .text:', '', '<f>:', 'a', 'b', '', '<g>:', 'c', 'd', 'e'].join('\n'),
      addresses: [-1, -1, -1, 0x10, 0x14, -1, -1, 0x18, 0x1c, 0x20],
      title: 'code',
    };
    expect(functionSlice(listing, 0x1c)).toEqual({ text: '<g>:\nc\nd\ne', addresses: [-1, 0x18, 0x1c, 0x20], title: 'code' });
    expect(functionSlice(listing, 0x10)?.text).toBe('<f>:\na\nb');
    expect(functionSlice(listing, 0x99)).toBeUndefined();
    expect(functionSlice(listing, 0x1c, 2)?.addresses).toEqual([0x18, 0x1c]);
  });
});
