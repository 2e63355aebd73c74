// Harts as threads: gdb-multiarch against `hindsight gdbserver --smp 3`, on a
// program recorded as it runs and on a recording, as against QEMU's gdbstub
// with -smp 3 (`info threads`, `thread 2`, per-thread stepi and reverse-stepi,
// the thread that hit a breakpoint).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { tempDir } from '../support/qemu';
import { buildSmpProgram } from '../support/smp-programs';
import { HINDSIGHT, startServer, runGdb, tagged, RawClient, textOfHex, type Server } from './support';

/**
 * Each hart enters _start with a0 = its hart id (csrr a0, mhartid), takes its
 * own stack and runs main(hart): hart h adds h + 1 to its own counter, and
 * hart 2 alone calls third() on every round. Hart 0 powers the machine off
 * after 3000 rounds (some 100000 instructions in all).
 */
const SOURCE = `
volatile unsigned long counters[8];
void __attribute__((noinline)) work(unsigned long hart) { counters[hart] += hart + 1; }
void __attribute__((noinline)) third(void) { __asm__ volatile("nop"); }
void main(unsigned long hart) {
  if (hart >= 3) for (;;) __asm__ volatile("wfi");
  for (;;) {
    work(hart);
    if (hart == 2) third();
    if (hart == 0 && counters[0] == 3000) *(volatile unsigned int *)0x100000 = 0x5555;
  }
}
`;

let dir: string;
let elf: string;
let live: Server;
let replay: Server;

const PC = 'printf "PC %lx\\n", $pc';
const A0 = 'printf "A0 %lx\\n", $a0';

beforeAll(async () => {
  dir = tempDir('gdb-threads');
  elf = buildSmpProgram('gdb-threads', SOURCE);
  const hsr = join(dir, 'threads.hsr');
  const r = spawnSync(process.execPath, [HINDSIGHT, 'record', elf, '-o', hsr, '--smp', '3'], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`hindsight record --smp 3 failed (${r.status}): ${r.stderr.toString()}`);
  [live, replay] = await Promise.all([startServer(elf, ['--smp', '3']), startServer(hsr)]);
});

afterAll(async () => {
  await Promise.all([live?.stop(), replay?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

/** Every script starts from reset, whatever the previous client left. */
const FROM_START = ['monitor replay-seek 0', 'maint flush register-cache', 'maint flush dcache'];

for (const mode of ['live', 'recording'] as const) {
  describe(`gdb threads (${mode === 'live' ? 'a program recorded as it runs' : 'a recording'}, 3 harts)`, () => {
    const gdb = (commands: string[]) => runGdb(mode === 'live' ? live.port : replay.port, [...FROM_START, ...commands], { elf });

    it('info threads lists one thread per hart; thread 2 shows hart 1; stepi and reverse-stepi on it move hart 1 and come back', async () => {
      const out = await gdb([
        'info threads',
        'thread 2',
        // The mask ROM: six instructions to the kernel's entry, a0 = mhartid on the way.
        'stepi 6', PC,
        'stepi', PC, A0, 'printf "HARTID %lx\\n", $mhartid',
        'reverse-stepi', PC,
        'stepi', PC,
        'thread 1', A0, 'printf "HARTID %lx\\n", $mhartid',
        'thread 3', A0, 'printf "HARTID %lx\\n", $mhartid',
        'thread 2', 'info registers pc', 'p $a0',
        // The last stop is thread 1's; GDB's bs names no thread: the server follows `thread 2`.
        'thread 1', 'stepi', 'thread 2', 'printf "BEFORE %lx\n", $pc', 'reverse-stepi', 'printf "BACK %lx\n", $pc',
        'stepi', 'printf "AGAIN %lx\n", $pc', 'thread',
      ]);
      // As QEMU numbers its CPUs: Thread 1.1 is hart 0.
      expect(out).toMatch(/^\* 1 +Thread 1\.1 \(hart 0\) /m);
      expect(out).toMatch(/^ {2}2 +Thread 1\.2 \(hart 1\) /m);
      expect(out).toMatch(/^ {2}3 +Thread 1\.3 \(hart 2\) /m);
      expect(out).not.toMatch(/Thread 1\.4/);
      expect(out).toContain('[Switching to thread 2 (Thread 1.2)]');
      expect(tagged(out, 'PC')).toEqual([0x8000_0000n, 0x8000_0004n, 0x8000_0000n, 0x8000_0004n]);
      expect(tagged(out, 'BACK')[0]).not.toBe(tagged(out, 'BEFORE')[0]);
      expect(tagged(out, 'AGAIN')).toEqual(tagged(out, 'BEFORE'));
      expect(out).toMatch(/Current thread is 2 \(Thread 1\.2\)/);
      // a0 of hart 1 at its entry (csrr a0, mhartid); hart 0 ran its first turn meanwhile; hart 2 has not started.
      expect(tagged(out, 'A0')[0]).toBe(1n);
      expect(tagged(out, 'A0')[2]).toBe(0n);
      expect(tagged(out, 'HARTID')).toEqual([1n, 0n, 2n]);
      expect(out).toMatch(/^pc +0x80000004\s/m);
      expect(out).toMatch(/^\$1 = 1$/m);
    });

    it('a breakpoint names the thread that hit it, forwards and backwards', async () => {
      const out = await gdb([
        'break third', 'continue', 'printf "HARTID %lx\\n", $mhartid', 'monitor when',
        'continue', 'monitor when',
        'reverse-continue', 'monitor when', 'thread',
        // Back to hart 1: it is in work(1), adding 2 to its counter.
        'thread 2', 'printf "HARTID %lx\\n", $mhartid', 'p hart', 'p counters[1] % 2', 'p counters[1] > 0',
      ]);
      expect(out.match(/Thread 3 hit Breakpoint 1, third \(\)/g)?.length).toBe(3);
      const whens = [...out.matchAll(/^Current icount: (\d+)$/gm)].map((m) => BigInt(m[1]));
      expect(whens).toHaveLength(3);
      expect(whens[1]).toBeGreaterThan(whens[0]);
      expect(whens[2]).toBe(whens[0]);
      expect(out).toMatch(/Current thread is 3 \(Thread 1\.3\)/);
      expect(tagged(out, 'HARTID')).toEqual([2n, 1n]);
      expect(out).toMatch(/^\$1 = 1$/m);
      expect(out).toMatch(/^\$2 = 0$/m);
      expect(out).toMatch(/^\$3 = 1$/m);
    });
  });
}

describe('gdbserver threads: the packets', () => {
  it('lists the harts, selects one for g, p and m, answers T and qThreadExtraInfo', async () => {
    const c = await RawClient.connect(live.port);
    try {
      // No multiprocess offered: plain thread ids.
      expect(await c.request('qSupported:swbreak+')).not.toContain('multiprocess+');
      expect(await c.request('qfThreadInfo')).toBe('m01,02,03');
      expect(await c.request('qsThreadInfo')).toBe('l');
      expect(await c.request('T03')).toBe('OK');
      expect(await c.request('T04')).toBe('E01');
      expect(await c.request('Hg04')).toBe('E01');
      expect(textOfHex(await c.request('qThreadExtraInfo,3'))).toBe('hart 2');
      await c.request(`qRcmd,${Buffer.from('replay-seek 0').toString('hex')}`);
      expect(await c.request('vCont;s:2;c')).toMatch(/^T05thread:02;20:0410000000000000;/);
      expect(await c.request('qC')).toBe('QC02');
      expect(await c.request('Hg1')).toBe('OK');
      expect(await c.request('p20')).not.toBe('0410000000000000'); // hart 0 ran its first turn meanwhile
      expect(await c.request('Hg2')).toBe('OK');
      expect(await c.request('p20')).toBe('0410000000000000');
      expect(await c.request('m1000,4')).toMatch(/^[0-9a-f]{8}$/);
      expect(await c.request('Hc2')).toBe('OK');
      expect(await c.request('bs')).toMatch(/^T05thread:02;20:0010000000000000;/);
    } finally {
      c.close();
    }
  });
});
