// xv6-riscv boots on Hindsight's virt board (Sv39, PLIC, UART interrupts,
// virtio-blk), runs shell commands typed at its prompt, and the recording of
// that session replays exactly and travels backwards. One boot is recorded
// and shared by every scenario; QEMU boots the same build once as the
// reference for what the console shows.
import { describe, it, expect, beforeAll } from 'vitest';
import { spawn } from 'node:child_process';
import { buildXv6, qemuXv6Args, untilPrompt, PROMPT, type Xv6Build } from '../support/xv6';
import { Timeline } from '../../workers/replay/timeline';
import { BufferedInput } from '../../workers/engine/host-input';
import { loadCoreWasm } from '../../workers/cli/node-host';
import { RecordingWriter, parseRecording } from '../../workers/formats/recording';
import { concatBytes } from '../../workers/formats/bytes';
import { DebugInfo } from '../../workers/formats/dwarf';
import { parseElf } from '../../workers/formats/elf';

const COMMANDS = ['ls', 'echo hello > f', 'cat f', 'ls | wc', 'forktest', 'mkdir d', 'echo nested > d/n', 'cat d/n', 'ls d', 'wc README'];
/** Generous: the boot takes about 500 million instructions. */
const BOOT_BUDGET = 2_000_000_000n;
const COMMAND_BUDGET = 1_000_000_000n;


/** QEMU's console for the same session: each command typed once the prompt is there. */
function qemuSession(b: Xv6Build): Promise<string> {
  return new Promise((resolve, reject) => {
    // -snapshot: the cached fs.img stays as built (the session writes a file).
    const q = spawn('timeout', ['60', 'qemu-system-riscv64', ...qemuXv6Args(b), '-snapshot'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let sent = 0;
    let prompts = 0;
    q.stdout.on('data', (d: Buffer) => {
      out += d.toString('latin1');
      const seen = out.split(PROMPT).length - 1;
      if (seen > prompts && out.endsWith(PROMPT)) {
        prompts = seen;
        if (sent < COMMANDS.length) q.stdin.write(COMMANDS[sent++] + '\n');
        else q.kill();
      }
    });
    q.on('error', reject);
    q.on('close', () => (sent === COMMANDS.length ? resolve(out) : reject(new Error(`QEMU ended early: ${JSON.stringify(out)}`))));
  });
}

describe('xv6-riscv', () => {
  let build: Xv6Build;
  let recorded: Timeline;
  const console = { text: '' };
  let qemuText: Promise<string>;
  let bootIcount = 0n;

  beforeAll(async () => {
    build = buildXv6();
    qemuText = qemuSession(build);
    recorded = await Timeline.record(loadCoreWasm(), build.kernel, 'kernel',
      { ramMiB: 128, disk: build.fsImage, commandLine: 'kernel' }, new BufferedInput(new Uint8Array()), 'cli');
    recorded.onOutput((bytes) => { console.text += Buffer.from(bytes).toString('latin1'); });
    await untilPrompt(recorded, console, 0, BOOT_BUDGET);
    bootIcount = recorded.icount;
    for (const c of COMMANDS) {
      const from = console.text.length;
      recorded.sendUartInput(new TextEncoder().encode(c + '\n'));
      await untilPrompt(recorded, console, from, COMMAND_BUDGET);
    }
    recorded.stopRecording();
  }, 300_000);

  it('boots to the shell and runs commands, showing what QEMU shows', async () => {
    expect(console.text).toContain('xv6 kernel is booting');
    expect(console.text).toContain('init: starting sh');
    expect(console.text).toMatch(/\$ cat f\nhello\n\$ /);
    expect(console.text).toBe(await qemuText);
    expect(bootIcount).toBeGreaterThan(100_000_000n);
  }, 120_000);

  it('the session replays exactly from the recording file, disk image included', async () => {
    const file = concatBytes([
      RecordingWriter.start(recorded.meta, recorded.program, recorded.disk),
      RecordingWriter.events(recorded.events.slice()),
      RecordingWriter.end(recorded.ended!),
    ]);
    const parsed = parseRecording(file);
    expect(parsed.disk?.length).toBe(build.fsImage.length);
    const replay = await Timeline.replay(loadCoreWasm(), parsed);
    let text = '';
    replay.onOutput((bytes) => { text += Buffer.from(bytes).toString('latin1'); });
    const r = await replay.continue();
    expect(r.reason).toBe('end');
    expect(replay.icount).toBe(recorded.ended!.icount);
    expect(text).toBe(console.text);
  }, 300_000);

  it('travels back to the boot prompt: the file written later is not on the disk yet, and is again at the end', () => {
    const diskHas = (t: Timeline, needle: string) => Buffer.from(t.machine.diskContents()).includes(needle);
    const end = recorded.icount;
    expect(diskHas(recorded, 'hello\n')).toBe(true);
    recorded.seek(bootIcount);
    expect(diskHas(recorded, 'hello\n')).toBe(false);
    expect(recorded.machine.privilege).toBeLessThan(3);
    recorded.seek(end);
    expect(diskHas(recorded, 'hello\n')).toBe(true);
    // A reverse step from the end lands one instruction back, in the kernel or the shell.
    const back = recorded.reverseStepi();
    expect(back.icount).toBe(end - 1n);
  }, 120_000);

  it('from the shell prompt, reverse-continue to a breakpoint on virtio_disk_rw lands in kernel/virtio_disk.c', async () => {
    const end = recorded.icount;
    recorded.seek(bootIcount);
    const bp = recorded.addBreakpoint('virtio_disk_rw');
    const r = await recorded.reverseContinue();
    expect(r.reason).toBe('breakpoint');
    expect(r.icount).toBeLessThan(bootIcount);
    const debug = DebugInfo.fromElf(parseElf(build.kernel));
    const line = debug.lineAt(Number(recorded.pc));
    expect(line?.file).toMatch(/kernel\/virtio_disk\.c$/);
    expect(recorded.machine.symbols.format(Number(recorded.pc))).toBe('virtio_disk_rw');
    recorded.deleteTrap(bp.id);
    recorded.seek(end);
  }, 120_000);

  it('a watchpoint on the kernel tick counter hits on reverse-continue, in the timer interrupt path', async () => {
    const end = recorded.icount;
    const ticks = recorded.machine.symbols.lookup('ticks');
    expect(ticks).toBeDefined();
    recorded.addWatchpoint('ticks', 4, 'write');
    const r = await recorded.reverseContinue();
    expect(r.reason).toBe('watchpoint');
    expect(r.icount).toBeLessThan(end);
    expect(recorded.machine.symbols.format(Number(recorded.pc))).toMatch(/^clockintr/);
  }, 300_000);
});
