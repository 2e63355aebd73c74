// xv6-riscv on three harts (`--smp 3`, QEMUOPTS with CPUS=3; the kernel is the
// same build, NCPU is 8): every hart starts, the shell runs programs, the
// recording replays exactly, and a watchpoint on a kernel lock finds its last
// write going backwards, naming the hart that wrote it.
import { describe, it, expect, beforeAll } from 'vitest';
import { spawn } from 'node:child_process';
import { buildXv6, qemuXv6Args, untilPrompt, PROMPT, type Xv6Build } from '../support/xv6';
import { Timeline } from '../../workers/replay/timeline';
import { BufferedInput } from '../../workers/engine/host-input';
import { loadCoreWasm } from '../../workers/cli/node-host';
import { RecordingWriter, parseRecording } from '../../workers/formats/recording';
import { concatBytes } from '../../workers/formats/bytes';

const HARTS = 3;
/** The last runs two programs at once, one in the background: on three harts they run in parallel turns. */
const COMMANDS = ['ls', 'forktest', 'echo done', 'forktest &; forktest'];


/** QEMU -smp 3's output of `ls` (deterministic: the listing of the same image). */
function qemuLs(b: Xv6Build): Promise<string> {
  return new Promise((resolve, reject) => {
    const q = spawn('timeout', ['60', 'qemu-system-riscv64', ...qemuXv6Args(b, HARTS), '-snapshot'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let sent = false;
    q.stdout.on('data', (d: Buffer) => {
      out += d.toString('latin1');
      if (out.endsWith(PROMPT)) {
        if (!sent) { q.stdin.write('ls\n'); sent = true; } else q.kill();
      }
    });
    q.on('error', reject);
    q.on('close', () => resolve(out));
  });
}

describe('xv6-riscv on three harts', () => {
  let build: Xv6Build;
  let recorded: Timeline;
  const console = { text: '' };
  let qemuText: Promise<string>;

  beforeAll(async () => {
    build = buildXv6();
    qemuText = qemuLs(build);
    recorded = await Timeline.record(loadCoreWasm(), build.kernel, 'kernel',
      { ramMiB: 128, disk: build.fsImage, commandLine: 'kernel', harts: { count: HARTS, quantum: 10_000, seed: 0 } },
      new BufferedInput(new Uint8Array()), 'cli');
    recorded.onOutput((bytes) => { console.text += Buffer.from(bytes).toString('latin1'); });
    await untilPrompt(recorded, console, 0, 4_000_000_000n);
    for (const c of COMMANDS) {
      const from = console.text.length;
      recorded.sendUartInput(new TextEncoder().encode(c + '\n'));
      // The last runs two at once: their output and the prompt interleave, so it is waited for below.
      if (c !== COMMANDS[COMMANDS.length - 1]) await untilPrompt(recorded, console, from, 4_000_000_000n);
    }
    // Run on until both forktests have said so.
    const deadline = recorded.icount + 4_000_000_000n;
    // (The prompt of the foreground shell may land inside the background's "OK": count "fork test O".)
    while (console.text.split('fork test O').length - 1 < 3) {
      if (recorded.icount >= deadline) throw new Error(`the background forktest did not finish: ${JSON.stringify(console.text.slice(-300))}`);
      await recorded.continue({ limit: 20_000_000n });
    }
    recorded.stopRecording();
  }, 300_000);

  it('starts every hart and runs programs, listing the disk as QEMU -smp 3 does', async () => {
    expect(console.text).toContain('hart 1 starting');
    expect(console.text).toContain('hart 2 starting');
    expect(console.text).toContain('init: starting sh');
    expect(console.text).toContain('fork test OK');
    expect(console.text).toContain('$ echo done\ndone\n$ ');
    // forktest once, then twice at the same time (in the foreground and the background).
    expect(console.text.split('fork test O').length - 1).toBe(3);
    expect(console.text).toMatch(/\$ forktest &; forktest\nfork test\nfork test\n/);
    const listing = (text: string) => text.slice(text.indexOf('$ ls\n') === -1 ? text.indexOf('ls\n') : text.indexOf('$ ls\n')).split('\n')
      .filter((l) => /^\S+\s+\d+ \d+ \d+$/.test(l));
    const qemu = listing(await qemuText);
    expect(qemu.length).toBeGreaterThan(10);
    expect(listing(console.text)).toEqual(qemu);
    // The schedule gave every hart turns.
    const turns = recorded.hartTurns(0n, recorded.icount);
    expect(new Set(turns.map((t) => t.hart))).toEqual(new Set([0, 1, 2]));
  }, 120_000);

  it('the session replays exactly from the recording file', async () => {
    const file = concatBytes([
      RecordingWriter.start(recorded.meta, recorded.program, recorded.disk),
      RecordingWriter.events(recorded.events.slice()),
      RecordingWriter.end(recorded.ended!),
    ]);
    const parsed = parseRecording(file);
    expect(parsed.meta.harts).toEqual({ count: HARTS, quantum: 10_000, seed: 0 });
    const replay = await Timeline.replay(loadCoreWasm(), parsed);
    let text = '';
    replay.onOutput((bytes) => { text += Buffer.from(bytes).toString('latin1'); });
    const r = await replay.continue(); // every digest checked on the way, the end's too
    expect(r.reason).toBe('end');
    expect(replay.icount).toBe(recorded.ended!.icount);
    expect(text).toBe(console.text);
  }, 300_000);

  it("reverse-continue with a watchpoint on the allocator lock's locked field stops at its last write, naming the hart", async () => {
    const end = recorded.icount;
    const kmem = recorded.machine.symbols.lookup('kmem');
    expect(kmem).toBeDefined();
    // struct { struct spinlock lock; ... }: lock.locked is the first word.
    const wp = recorded.addWatchpoint('kmem', 4, 'write');
    const r = await recorded.reverseContinue();
    expect(r.reason).toBe('watchpoint');
    expect(r.icount).toBeLessThan(end);
    expect(r.hart).toBeGreaterThanOrEqual(0);
    expect(r.hart).toBeLessThan(HARTS);
    expect(recorded.hartAt(r.icount)).toBe(r.hart);
    expect(recorded.machine.symbols.format(Number(recorded.machine.pcOf(r.hart)))).toMatch(/^(acquire|release)/);
    recorded.deleteTrap(wp.id);
    recorded.seek(end);
  }, 120_000);
});
