// @vitest-environment jsdom
// Code whose source file is not at hand: the source view shows its function's disassembly under one line saying so.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import { SourcePanel } from './SourcePanel';
import { missingSourceNote } from './LibraryDisassembly';

vi.mock('../monaco/MonacoView', () => ({
  MonacoView: ({ value, label }: { value: string; label: string }) => <pre aria-label={label}>{value}</pre>,
  loadMonaco: () => new Promise(() => {}),
}));

afterEach(cleanup);

const program = {
  text: ['<main>:', '00000513   li      a0,0', '', '<sys_semihost>:', '00000013   nop', '00100073   ebreak', '', '<other>:', '00008067   ret'].join('\n'),
  addresses: [-1, 0x80000000, -1, -1, 0x80001b50, 0x80001b54, -1, -1, 0x80001b60],
  title: "the program's code sections",
};

const panel = (position: Parameters<typeof SourcePanel>[0]['position'], pc: number) => render(
  <SourcePanel debugInfo="available" position={position} pcLabel="sys_semihost+0x4" traps={[]} sourceText={() => Promise.resolve('')}
    onToggleLine={vi.fn()} onAddFiles={vi.fn()} listing={{ program, local: undefined, pc, onToggleBreakpoint: vi.fn() }} />);

describe('source not at hand', () => {
  it("a C library's: one line, then the function's disassembly", async () => {
    // Assembly: the debug info has no function there; the listing's label names it.
    panel({ file: '../../../semihost/machine/riscv/semihost-riscv.s', line: 42 }, 0x80001b54);
    expect(screen.getByRole('note').textContent).toBe('libc: sys_semihost in semihost-riscv.s, no source here; showing disassembly');
    const code = await screen.findByLabelText('Disassembly of sys_semihost');
    expect(code.textContent).toBe('<sys_semihost>:\n00000013   nop\n00100073   ebreak');
  });

  it("the user's own, not added yet: says how to add it, and shows the disassembly meanwhile", async () => {
    panel({ file: './corruption.c', line: 103, function: 'main' }, 0x80000000);
    expect(screen.getByRole('note').textContent).toBe('Line 103 of ./corruption.c in main. This source file is not at hand: drop it on the page, or add it here. Showing disassembly.');
    expect((await screen.findByLabelText('Disassembly of main')).textContent).toBe('<main>:\n00000513   li      a0,0');
  });

  it('says so without disassembly when the code is in no listing', () => {
    panel({ file: '../../../newlib/libc/stdlib/pico-exit.c', line: 49, function: 'exit' }, 0x12345678);
    expect(screen.getByText('libc: exit in pico-exit.c, no source here.')).toBeTruthy();
    expect(missingSourceNote({ file: '../libgcc/div.S', line: 3 })).toBe('runtime: line 3 in div.S, no source here; showing disassembly');
  });
});
