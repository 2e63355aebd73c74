// gdb-multiarch against `hindsight gdbserver` replaying a recording: reverse
// stepping and continuing, breakpoints, watchpoints, the ends of the
// recording, monitor commands, and what GDB shows compared with the engine.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../support/qemu';
import { recordExample, openTimeline, startServer, runGdb, tagged, whens, type Server } from './support';
import { disassemble } from '../../workers/engine/disassembler';
import { ABI_NAMES } from '../../workers/engine/memory-map';
import type { Timeline } from '../../workers/replay/timeline';

let dir: string;
let file: string;
let server: Server;
let engine: Timeline;

const ELF = 'corruption.elf';
/** Every script starts at icount 0, whatever the previous client left. */
const FROM_START = ['monitor replay-seek 0', 'maint flush register-cache', 'maint flush dcache'];
const PC = 'printf "PC %lx\\n", $pc';
const gdb = (commands: string[]) => runGdb(server.port, commands, { elf: ELF });

beforeAll(async () => {
  dir = tempDir('gdb-reverse');
  file = join(dir, 'corruption.hsr');
  recordExample('corruption', file);
  [server, engine] = await Promise.all([startServer(file), openTimeline(file)]);
});

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function symbol(name: string): bigint {
  const s = engine.machine.symbols.lookup(name);
  if (!s) throw new Error(`no symbol ${name}`);
  return BigInt(s.address);
}

/** The engine's watchpoint stops on writes to calibration_offset, going backwards from the end of the recording. */
async function engineWritesBackwards(count: number): Promise<{ icount: bigint; pc: bigint }[]> {
  engine.seek(engine.length);
  const wp = engine.addWatchpoint('calibration_offset', 4, 'write');
  const hits: { icount: bigint; pc: bigint }[] = [];
  try {
    while (hits.length < count) {
      const r = await engine.reverseContinue();
      if (r.reason !== 'watchpoint') break;
      hits.push({ icount: r.icount, pc: r.watch?.pc as bigint });
    }
  } finally {
    engine.deleteTrap(wp.id);
  }
  return hits;
}

const hex0 = (v: bigint) => `0x0*${v.toString(16)}`;

/** Icounts at which the engine stops at a breakpoint on `address`, from the start. */
async function engineHits(address: bigint): Promise<bigint[]> {
  engine.seek(0n);
  const bp = engine.addBreakpoint(address);
  const hits: bigint[] = [];
  try {
    for (;;) {
      const r = await engine.continue();
      if (r.reason !== 'breakpoint') break;
      hits.push(r.icount);
    }
  } finally {
    engine.deleteTrap(bp.id);
  }
  return hits;
}

describe('gdb: stepping backwards', () => {
  it('reverse-stepi retraces the pcs of 10 stepi, which are the engine\'s', async () => {
    const out = await gdb([
      ...FROM_START, 'break main', 'continue', 'delete', 'monitor when', PC,
      ...Array.from({ length: 10 }, () => ['stepi', PC]).flat(),
      ...Array.from({ length: 10 }, () => ['reverse-stepi', PC]).flat(),
      'monitor when',
    ]);
    const pcs = tagged(out, 'PC');
    expect(pcs).toHaveLength(21);
    const forward = pcs.slice(0, 11);
    const backward = pcs.slice(11);
    expect(backward).toEqual(forward.slice(0, 10).reverse());
    const [start, end] = whens(out);
    expect(end).toBe(start);
    // The engine, stepping from the same icount, goes through the same pcs.
    engine.seek(start);
    const expected = [engine.pc];
    for (let i = 0; i < 10; i++) expected.push(engine.stepi().pc);
    expect(forward).toEqual(expected);
    expect(forward[0]).toBe(symbol('main'));
  });

  it('reverse-stepi at icount 0 reports "No more reverse-execution history"', async () => {
    const out = await gdb([...FROM_START, 'reverse-stepi', 'monitor when', PC, 'stepi', 'reverse-stepi', 'monitor when', 'reverse-stepi']);
    expect(out.match(/No more reverse-execution history\./g)).toHaveLength(2);
    expect(whens(out)).toEqual([0n, 0n]);
    expect(tagged(out, 'PC')).toEqual([0x1000n]);
  });

  it('continue stops at a monitor replay-break; reverse-continue stops at the last of hardware breakpoints on the first pcs', async () => {
    // The first 8 pcs of the program, from the engine.
    engine.seek(0n);
    const first = [engine.pc];
    for (let i = 0; i < 7; i++) first.push(engine.stepi().pc);
    const near = engine.length - 100n;
    const out = await gdb([
      ...FROM_START, `monitor replay-break ${near}`, 'continue', 'monitor when',
      ...first.map((pc) => `hbreak *0x${pc.toString(16)}`),
      'reverse-continue', 'monitor when', PC,
      'reverse-continue', 'monitor when', PC,
      'monitor replay-delete-break',
    ]);
    expect(out).toContain(`replay-break at icount ${near}`);
    const w = whens(out);
    expect(w[0]).toBe(near);
    // Each of those pcs runs once: the last of them in time is the 8th (icount 7), then the 7th.
    expect(w.slice(1)).toEqual([7n, 6n]);
    expect(tagged(out, 'PC')).toEqual([first[7], first[6]]);
    expect(out).toMatch(/Breakpoint 8, 0x0*80000004 in _start \(\)/);
  });

  it('break on a function, reverse-continue from the end: its last call', async () => {
    const hits = await engineHits(symbol('print_tenths'));
    expect(hits.length).toBe(6); // raw min, max, mean, median, smoothed mean, calibrated mean
    const out = await gdb([
      ...FROM_START, 'continue', 'monitor when', 'break print_tenths', 'info breakpoints',
      'reverse-continue', 'monitor when', PC, 'bt 2',
      'reverse-continue', 'monitor when',
    ]);
    // Forward to the end: the program's exit is the end of the recording.
    expect(out).toContain('the program exited here with status 1');
    expect(out).toContain('No more reverse-execution history.');
    const w = whens(out);
    expect(w[0]).toBe(engine.length);
    // GDB puts the breakpoint after the prologue; where the engine stops at that address is where GDB stops.
    const bpAddress = BigInt('0x' + (/breakpoint\s+keep y\s+0x([0-9a-f]+)/.exec(out)?.[1] ?? '0'));
    const atBp = await engineHits(bpAddress);
    expect(w.slice(1), out).toEqual([atBp[atBp.length - 1], atBp[atBp.length - 2]]);
    expect(tagged(out, 'PC').slice(-1)).toEqual([bpAddress]);
    expect(out).toMatch(/Breakpoint 1, print_tenths \(/);
    expect(out).toMatch(/#1 +0x[0-9a-f]+ in main \(\)/);
  });

  it('watch calibration_offset, reverse-continue from the end: the store in smooth_readings that corrupted it', async () => {
    // The engine's answer: the last write that changed the variable, and the one before.
    const [hit, earlier] = await engineWritesBackwards(2);
    const store = hit.pc;
    expect(engine.machine.symbols.format(Number(store))).toMatch(/^smooth_readings\+/);
    const out = await gdb([
      ...FROM_START, 'continue', 'watch calibration_offset', 'reverse-continue', 'monitor when', PC, 'x/i $pc',
      'reverse-continue', 'monitor when', PC,
    ]);
    expect(out).toMatch(new RegExp(`Hardware watchpoint 1: calibration_offset\\s+Old value = 127\\s+New value = -15\\s+${hex0(store)} in smooth_readings \\(\\) at \\./corruption\\.c:103`));
    expect(out).toMatch(new RegExp(`=> 0x${store.toString(16)} <smooth_readings\\+\\d+>:\\tsw\\t`));
    // GDB shows the state before the store, at the store: one instruction before the engine's watchpoint stop.
    const w = whens(out);
    expect(w[0]).toBe(hit.icount - 1n);
    expect(tagged(out, 'PC')[0]).toBe(store);
    // Further back, the assignment in load_calibration (inlined into main).
    expect(out).toMatch(new RegExp(`Old value = -15\\s+New value = 0\\s+${hex0(earlier.pc)} in load_calibration \\(\\)`));
    expect(tagged(out, 'PC')[1]).toBe(earlier.pc);
    expect(earlier.pc).toBeGreaterThan(symbol('main'));
  });
});

describe('gdb: watchpoints both ways', () => {
  it('after a forward watchpoint stop, reverse-continue goes back to the store that triggered it, and continue forward again', async () => {
    const out = await gdb([
      ...FROM_START, 'watch calibration_offset', 'continue', 'continue', 'monitor when', PC,
      'reverse-continue', 'monitor when', PC, 'continue', 'monitor when', PC,
    ]);
    const [after, atStore, again] = whens(out);
    const [pcAfter, pcStore, pcAgain] = tagged(out, 'PC');
    const [{ pc: store }] = await engineWritesBackwards(1);
    expect(out).toMatch(new RegExp(`Old value = -15\\s+New value = 127\\s+smooth_readings \\(\\)[\\s\\S]*Old value = 127\\s+New value = -15\\s+${hex0(store)} in smooth_readings[\\s\\S]*Old value = -15\\s+New value = 127\\s+smooth_readings \\(\\)`));
    expect(atStore).toBe(after - 1n);
    expect(pcStore).toBe(store);
    expect(again).toBe(after);
    expect(pcAgain).toBe(pcAfter);
  });
});

describe('gdb: watchpoints and single steps', () => {
  it('stepi over the store reports the watchpoint, and so does reverse-stepi back over it', async () => {
    const out = await gdb([
      ...FROM_START, 'continue', 'watch calibration_offset', 'reverse-continue', 'monitor when', PC,
      'stepi', 'monitor when', PC, 'reverse-stepi', 'monitor when', PC,
      // Steps that touch nothing watched are plain steps, one instruction each way.
      'reverse-stepi', 'monitor when', 'reverse-stepi', 'monitor when', 'stepi', 'monitor when',
    ]);
    const w = whens(out);
    const pcs = tagged(out, 'PC');
    const [{ pc: store }] = await engineWritesBackwards(1);
    const bytes = engine.machine.readMemory(store, 4) as Uint8Array;
    const storeLength = BigInt(disassemble((bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24)) >>> 0, Number(store)).length);
    // reverse-continue: at the store; stepi executes it (GDB reports the change), reverse-stepi un-executes it (reported again).
    expect(pcs[0]).toBe(store);
    expect(w[1]).toBe(w[0] + 1n);
    expect(pcs[1]).toBe(store + storeLength);
    expect(w[2]).toBe(w[0]);
    expect(w.slice(3)).toEqual([w[0] - 1n, w[0] - 2n, w[0] - 1n]);
    expect(pcs[2]).toBe(store);
    expect(out.match(/Old value = 127\s+New value = -15/g)).toHaveLength(2);
    expect(out).toMatch(/Old value = -15\s+New value = 127/);
  });
});

describe('gdb: what it shows is what the engine holds', () => {
  it('info registers, CSRs, x/8xg and disassemble at a breakpoint', async () => {
    const out = await gdb([
      ...FROM_START, 'break compute_stats', 'continue', 'continue', 'monitor when',
      'info registers', 'p/x $mstatus', 'p/x $misa', 'p/x $mepc', 'p $priv', 'x/8xg $sp', 'disassemble /r',
    ]);
    const icount = whens(out)[0];
    engine.seek(icount);
    const regs = engine.machine.registers();
    // info registers: every general register and pc, as the engine has them.
    const shown = new Map([...out.matchAll(/^(\w+)\s+(0x[0-9a-f]+)\s/gm)].map((m) => [m[1], BigInt(m[2])]));
    ABI_NAMES.forEach((name, i) => {
      if (i === 0) return;
      expect(shown.get(i === 8 ? 'fp' : name), name).toBe(regs[i]);
    });
    expect(shown.get('pc')).toBe(engine.pc);
    const csr = [...out.matchAll(/^\$\d+ = (0x[0-9a-f]+)$/gm)].map((m) => BigInt(m[1]));
    expect(csr.slice(0, 3)).toEqual([engine.machine.readCsr(0x300), engine.machine.readCsr(0x301), engine.machine.readCsr(0x341)]);
    expect(out).toMatch(/^\$4 = 3$/m); // priv: M-mode
    // x/8xg $sp
    const sp = regs[2];
    const mem = engine.machine.readMemory(sp, 64) as Uint8Array;
    const dv = new DataView(mem.buffer, mem.byteOffset, 64);
    const words = [...out.matchAll(/^0x[0-9a-f]+(?: <[^>]*>)?:\s+((?:0x[0-9a-f]{16}\s*)+)$/gm)].flatMap((m) => m[1].trim().split(/\s+/).map((v) => BigInt(v)));
    expect(words).toEqual(Array.from({ length: 8 }, (_, i) => dv.getBigUint64(i * 8, true)));
    // disassemble /r: the instruction bits are the engine's memory, the mnemonics the engine's disassembler's.
    const lines = [...out.matchAll(/^(?:=>)?\s+0x([0-9a-f]+) <\+\d+>:\t([0-9a-f]+) *\t(\S+)/gm)];
    expect(lines.length).toBeGreaterThan(20);
    let same = 0;
    for (const [, addr, raw, mnemonic] of lines) {
      const a = BigInt('0x' + addr);
      const bytes = engine.machine.readMemory(a, raw.length / 2) as Uint8Array;
      const bits = bytes.reduce((acc, x, i) => acc | (x << (8 * i)), 0) >>> 0;
      expect(bits.toString(16).padStart(raw.length, '0')).toBe(raw);
      if (disassemble(bits, Number(a)).text.split(/\s/)[0] === mnemonic) same++;
    }
    // GDB and the engine spell a few pseudo-instructions differently (e.g. sext.w / addiw); most agree.
    expect(same / lines.length).toBeGreaterThan(0.8);
    expect(out).toMatch(/^=> 0x[0-9a-f]+ <\+\d+>:/m);
  });
});

describe('gdb: monitor commands and refused writes', () => {
  it('help, info replay, when, replay-seek, replay-break, and unknown commands', async () => {
    const out = await gdb([
      ...FROM_START, 'monitor help', 'monitor info replay', 'monitor replay-seek 1000', 'maint flush register-cache', PC, 'monitor when',
      'monitor replay_seek 999999999', 'monitor when', 'monitor replay-break 5000', 'monitor info replay', 'monitor replay-delete-break',
      'monitor info replay', 'monitor frobnicate', 'monitor replay-seek lots',
    ]);
    expect(out).toContain('replay-seek ICOUNT');
    expect(out).toContain('Writes to memory and registers are refused');
    expect(out).toContain("Replaying execution 'corruption.hsr': instruction count = 0");
    expect(out).toMatch(/length 65\d{3} instructions, ends with exit \(status 1\)/);
    engine.seek(1000n);
    expect(tagged(out, 'PC')).toEqual([engine.pc]);
    expect(whens(out)).toEqual([1000n, engine.length]);
    expect(out).toContain('(999999999 is past the end of the recording)');
    expect(out).toContain('replay-break at icount 5000');
    expect(out).toContain('replay-break removed');
    expect(out).toContain('no replay-break');
    expect(out).toContain('unknown monitor command "frobnicate" (try "monitor help")');
    expect(out).toContain('replay-seek needs an instruction count');
  });

  it('memory and register writes are refused with a clear message; the state is unchanged', async () => {
    const out = await gdb([
      ...FROM_START, 'break apply_calibration', 'continue', PC,
      'set var calibration_offset = 3', 'p calibration_offset', 'set $a0 = 5', 'p $a0 == 5', 'print $pc = 0', PC,
    ]);
    expect(out).toMatch(/Cannot access memory at address 0x80200928/);
    expect(out).toMatch(/^\$1 = 127$/m);
    expect(out).toMatch(/Could not write register "a0"; remote failure reply 'E\.writes to registers are refused: this is a replayed recording/);
    expect(out).toMatch(/^\$2 = 0$/m);
    const [before, after] = tagged(out, 'PC');
    expect(after).toBe(before);
    expect(server.errors()).toContain('refused a write to memory');
  });
});
