// The server as a process: hostile input over raw sockets, one client at a
// time, Ctrl-C during long motions, clients that vanish mid-operation, and a
// program recorded live as GDB drives it.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../support/qemu';
import { recordExample, startServer, runGdb, whens, RawClient, hexText, textOfHex, EXAMPLES_DIR, type Server } from './support';
import { checksum } from '../../workers/gdb/packet';

let dir: string;
let replay: Server;

beforeAll(async () => {
  dir = tempDir('gdb-server');
  const file = join(dir, 'corruption.hsr');
  recordExample('corruption', file);
  replay = await startServer(file);
});

afterAll(async () => {
  await replay?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function alive(s: Server): boolean {
  return s.proc.exitCode === null && s.proc.signalCode === null;
}

/** The icount the server reports through `monitor when`. */
async function when(c: RawClient): Promise<bigint> {
  c.send(`qRcmd,${hexText('when')}`);
  const before: string[] = [];
  for (;;) {
    const p = await c.next(10_000, false);
    if (p === 'OK') break;
    before.push(p);
  }
  const text = before.filter((p) => p.startsWith('O')).map((p) => textOfHex(p.slice(1))).join('');
  return BigInt(/Current icount: (\d+)/.exec(text)?.[1] ?? '-1');
}

describe('gdbserver: hostile input', () => {
  it('answers garbage, bad checksums, malformed and oversized packets, survives a flood, then serves GDB', async () => {
    const c = await RawClient.connect(replay.port);
    c.raw('garbage before any packet\x00\xff');
    c.raw('$qC#00');
    expect(await c.request('qC')).toBe('QC01');
    expect(c.nacks).toBe(1); // the bad checksum
    expect(c.acks).toBeGreaterThanOrEqual(1);
    const weird = [
      'm', 'M', 'X', 'Z', 'z', 'p', 'P', 'g1', 'H', 'T', 'b', 'bx', 'vCont;x', 'vCont;c:zz', 'vCont;', 'qRcmd,', 'qRcmd,zz',
      'm80000000,', 'mffffffffffffffff,ffffffffffffffff', 'M0,ffffffffffffffff:00', 'X80000000,4:\x7d',
      'qXfer:features:read:target.xml:ffffffffffffffff,ffffffffffffffff', 'qXfer:features:read:../../etc/passwd:0,100',
      'Z0,ffffffffffffffff,4', 'z0,ffffffffffffffff,4', 'Z2,80000000,ffffffff', 'Z2,ffffffffffffffff,8',
      `qRcmd,${hexText('replay-seek 99999999999999999999999999999999')}`, `qRcmd,${hexText('replay-break -5')}`,
      'vFile:open:2f6574632f706173737764,0,0', 'qSupported:' + 'x'.repeat(3000), '\x00\x01\x02\x7f\x80\xfe',
    ];
    for (const w of weird) {
      const reply = await c.request(w);
      expect(typeof reply, w).toBe('string');
    }
    expect(await c.request('Z0,ffffffffffffffff,4')).toBe('OK'); // harmless: never hit
    expect(await c.request('z0,ffffffffffffffff,4')).toBe('OK');
    // Run-length encoded input: "0* " is four zeros.
    const body = 'm80* 000,4';
    c.raw(`$${body}#${checksum(Buffer.from(body)).toString(16).padStart(2, '0')}`);
    expect(await c.next()).toMatch(/^[0-9a-f]{8}$/);
    // Oversized: an error reply, and the connection still works.
    c.raw('$' + 'A'.repeat(100_000) + '#00');
    expect(await c.next()).toMatch(/^E\.packet longer than/);
    expect(await c.request('qC')).toBe('QC01');
    // A flood of bytes that are not the protocol: the server hangs up.
    c.raw(Buffer.alloc(3 << 20, 0x41));
    expect(await c.waitClosed(10_000)).toBe(true);
    expect(alive(replay)).toBe(true);
    // And GDB is served next.
    const out = await runGdb(replay.port, ['monitor replay-seek 0', 'maint flush register-cache', 'stepi', 'monitor when', 'reverse-stepi', 'monitor when'], { elf: 'corruption.elf' });
    expect(whens(out)).toEqual([1n, 0n]);
    expect(replay.errors()).toContain('too much data that is not the GDB remote protocol');
  });

  it('serves one client at a time: a second waits until the first leaves', async () => {
    const a = await RawClient.connect(replay.port);
    expect(await a.request('qC')).toBe('QC01');
    const b = await RawClient.connect(replay.port);
    b.send('qC');
    await expect(b.next(300)).rejects.toThrow(/no reply in time/);
    a.close();
    expect(await b.next(5000)).toBe('QC01');
    b.close();
  });
});

describe('gdbserver: long motions', () => {
  let live: Server;
  beforeAll(async () => { live = await startServer(join(EXAMPLES_DIR, 'bench.elf')); });
  afterAll(async () => { await live?.stop(); });

  it('Ctrl-C interrupts continue and reverse-continue; a client that disconnects mid-motion leaves the server ready', async () => {
    const c = await RawClient.connect(live.port);
    expect(await c.request('qSupported:swbreak+;hwbreak+')).toContain('ReverseContinue+');
    expect(await c.request('QStartNoAckMode')).toBe('OK');
    // Continue: the benchmark runs (and is recorded) live until interrupted.
    c.send('vCont;c');
    await new Promise((r) => setTimeout(r, 400));
    const sent = Date.now();
    c.raw('\x03');
    expect(await c.next(5000)).toMatch(/^T02thread:01;/);
    expect(Date.now() - sent).toBeLessThan(1000);
    const stopped = await when(c);
    expect(stopped).toBeGreaterThan(10_000_000n);
    // Reverse-continue with a read watchpoint scans every recorded segment: interrupt it; the position does not change.
    expect(await c.request('Z3,87000000,8')).toBe('OK');
    c.send('bc');
    await new Promise((r) => setTimeout(r, 30));
    c.raw('\x03');
    expect(await c.next(5000)).toMatch(/^T02thread:01;/);
    expect(await when(c)).toBe(stopped);
    expect(await c.request('z3,87000000,8')).toBe('OK');
    // Disconnect in the middle of a continue, then of a reverse-continue.
    c.send('vCont;c');
    await new Promise((r) => setTimeout(r, 100));
    c.close();
    const d = await RawClient.connect(live.port);
    const t0 = Date.now();
    expect(await d.request('qC', 5000)).toBe('QC01');
    expect(Date.now() - t0).toBeLessThan(2000);
    const later = await when(d);
    expect(later).toBeGreaterThan(stopped);
    expect(await d.request('Z3,87000000,8')).toBe('OK');
    d.send('bc');
    await new Promise((r) => setTimeout(r, 30));
    d.close();
    const e = await RawClient.connect(live.port);
    expect(await e.request('qC', 5000)).toBe('QC01');
    expect(await when(e)).toBe(later);
    // The watchpoint of the client that left is gone: reverse-continue goes straight to the start.
    expect(await e.request('bc', 20_000)).toMatch(/^T05replaylog:begin;/);
    expect(await when(e)).toBe(0n);
    e.close();
    expect(alive(live)).toBe(true);
  });
});

describe('gdbserver on a program: recording as GDB drives it', () => {
  it('records live, travels back over what ran, reports the exit, and the next client travels the whole run', async () => {
    const server = await startServer(join(EXAMPLES_DIR, 'corruption.elf'), ['--stdin', '/dev/null']);
    try {
      const first = await runGdb(server.port, [
        'break print_tenths', 'continue', 'delete', 'monitor when', 'watch calibration_offset', 'reverse-continue',
        'printf "PC %lx\\n", $pc', 'delete', 'continue',
      ], { elf: 'corruption.elf' });
      expect(first).toMatch(/Breakpoint 1, print_tenths \(/);
      expect(first).toMatch(/Old value = 127\s+New value = -15\s+0x[0-9a-f]+ in smooth_readings \(\)/);
      expect(first).toContain('[Inferior 1 (Remote target) exited with code 01]');
      expect(server.output()).toContain('SELF-CHECK FAILED');
      const second = await runGdb(server.port, [
        'monitor info replay', 'monitor when', 'reverse-stepi', 'monitor when', 'continue', 'monitor when',
      ], { elf: 'corruption.elf' });
      expect(second).toMatch(/Recording execution 'corruption\.elf': instruction count = \d+/);
      expect(second).toMatch(/length \d+ instructions, ends with exit \(status 1\)/);
      const [end, back, again] = whens(second);
      expect(back).toBe(end - 1n);
      expect(again).toBe(end);
      expect(second).toContain('the program exited here with status 1');
      expect(second).toContain('No more reverse-execution history.');
      // Guest output was printed once, when it ran live.
      expect(server.output().split('SELF-CHECK FAILED').length).toBe(2);
    } finally {
      await server.stop();
    }
  });
});
