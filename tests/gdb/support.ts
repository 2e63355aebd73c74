// Driving `hindsight gdbserver` from tests: start it on a free port, run
// gdb-multiarch scripts against it, talk to it over a raw socket.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, appendFileSync, openSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, connect, type Socket } from 'node:net';
import { isAbsolute, join } from 'node:path';
import { ROOT, EXAMPLES_DIR } from '../support/qemu';
import { Timeline } from '../../workers/replay/timeline';
import { parseRecording } from '../../workers/formats/recording';
import { encodePacket, PacketReader } from '../../workers/gdb/packet';

export const HINDSIGHT = join(ROOT, 'bin/hindsight.mjs');
export const WASM = readFileSync(join(ROOT, 'build/core.release.wasm'));
export { EXAMPLES_DIR };

/**
 * Builds tests/fixtures/fpregs.S (bare metal, rv64gc, lp64d) into `dir`; returns the ELF's path.
 * The toolchain must be installed: a missing one fails the test.
 */
export function buildFpregs(dir: string): string {
  const elf = join(dir, 'fpregs.elf');
  const r = spawnSync('riscv64-unknown-elf-gcc', ['-march=rv64gc', '-mabi=lp64d', '-nostdlib', '-nostartfiles', '-static', '-g',
    '-Wl,-T,bare.ld', '-Wl,--no-warn-rwx-segments', join(ROOT, 'tests/fixtures/fpregs.S'), '-o', elf], { cwd: EXAMPLES_DIR, encoding: 'utf8' });
  if (r.error) throw new Error(`cannot run riscv64-unknown-elf-gcc (is it installed?): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`building fpregs.S failed: ${r.stderr}`);
  return elf;
}

/** Records an example with the CLI (`hindsight record`), as a user would. */
export function recordExample(name: string, out: string): void {
  const r = spawnSync(process.execPath, [HINDSIGHT, 'record', `${name}.elf`, '-o', out], { cwd: EXAMPLES_DIR, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.error) throw r.error;
  if (r.status !== 0 && r.status !== 1) throw new Error(`hindsight record ${name} failed (${r.status}): ${r.stderr.toString()}`);
}

/** The same recording opened in this process, to compare GDB with the engine. */
export async function openTimeline(file: string): Promise<Timeline> {
  return Timeline.replay(WASM, parseRecording(readFileSync(file)));
}

export interface Server {
  port: number;
  proc: ChildProcess;
  output(): string;
  errors(): string;
  stop(): Promise<void>;
}

export async function startServer(file: string, extra: string[] = [], cwd = ROOT): Promise<Server> {
  const proc = spawn(process.execPath, [HINDSIGHT, 'gdbserver', file, '--port', '0', ...extra], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  proc.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  proc.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gdbserver did not start: ${err}`)), 20_000);
    const check = () => {
      const m = /target remote 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    };
    proc.stdout?.on('data', check);
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`gdbserver exited with ${code}: ${err}`)); });
  });
  return {
    port, proc,
    output: () => out,
    errors: () => err,
    stop: () => new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) { resolve(); return; }
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    }),
  };
}

/**
 * Runs gdb-multiarch in batch mode: connects to the server, runs `commands`
 * (each as an -ex, so that one failing does not stop the rest), returns
 * stdout and stderr merged. `elf`: an example's file name, or an absolute path.
 */
export async function runGdb(port: number, commands: string[], options: { elf?: string; timeoutMs?: number }): Promise<string> {
  const lines = [
    'set pagination off', 'set confirm off', 'set width 0',
    `directory ${EXAMPLES_DIR}`,
    ...(options.elf ? [`file ${isAbsolute(options.elf) ? options.elf : join(EXAMPLES_DIR, options.elf)}`] : []),
    `target remote 127.0.0.1:${port}`,
    ...commands,
  ];
  const args = ['-batch', '-nx', ...lines.flatMap((l) => ['-ex', l])];
  // stdout and stderr go to one file through one file description, so that their order is kept.
  const logFile = join(tmpdir(), `hindsight-gdb-${process.pid}-${outputCounter++}.txt`);
  const fd = openSync(logFile, 'w');
  try {
    await new Promise<void>((resolve, reject) => {
      const p = spawn('gdb-multiarch', args, { stdio: ['ignore', fd, fd] });
      const timer = setTimeout(() => { p.kill('SIGKILL'); reject(new Error(`gdb timed out; output so far:\n${readFileSync(logFile, 'utf8')}`)); }, options.timeoutMs ?? 30_000);
      p.once('error', (e) => { clearTimeout(timer); reject(e); });
      p.once('exit', () => { clearTimeout(timer); resolve(); });
    });
  } finally {
    closeSync(fd);
  }
  const out = readFileSync(logFile, 'utf8');
  rmSync(logFile, { force: true });
  if (process.env.GDB_TEST_LOG) appendFileSync(process.env.GDB_TEST_LOG, `=== ${commands.join(' | ')}\n${out}\n`);
  return out;
}

let outputCounter = 0;

/** Values printed by `printf "TAG %lx\n", expr` lines in GDB output, in order. */
export function tagged(output: string, tag: string): bigint[] {
  const re = new RegExp(`^${tag} ([0-9a-f]+)$`, 'gm');
  return [...output.matchAll(re)].map((m) => BigInt('0x' + m[1]));
}

/** Values printed by `monitor when`. */
export function whens(output: string): bigint[] {
  return [...output.matchAll(/^Current icount: (\d+)$/gm)].map((m) => BigInt(m[1]));
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = a && typeof a === 'object' ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** QEMU stopped at reset with its GDB stub on `port`, for forward-direction comparisons. */
export function startQemu(elf: string, port: number): ChildProcess {
  return spawn('qemu-system-riscv64', ['-M', 'virt', '-display', 'none', '-monitor', 'none', '-bios', 'none', '-kernel', elf,
    '-icount', 'shift=0,sleep=off', '-serial', 'null', '-semihosting', '-gdb', `tcp:127.0.0.1:${port}`, '-S'],
  { cwd: EXAMPLES_DIR, stdio: ['ignore', 'ignore', 'ignore'] });
}

export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nothing listens on port ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A hand-driven protocol client: sends what it is told, collects packets and acks. */
export class RawClient {
  private readonly reader = new PacketReader(1 << 20);
  private readonly packets: string[] = [];
  private waiters: (() => void)[] = [];
  acks = 0;
  nacks = 0;
  closed = false;
  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      for (const e of this.reader.push(d)) {
        if (e.kind === 'packet') this.packets.push(Buffer.from(e.data).toString('latin1'));
        else if (e.kind === 'ack') this.acks++;
        else if (e.kind === 'nack') this.nacks++;
      }
      this.wake();
    });
    socket.on('close', () => { this.closed = true; this.wake(); });
    socket.on('error', () => undefined);
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  private wake(): void { const w = this.waiters; this.waiters = []; for (const f of w) f(); }

  raw(bytes: Uint8Array | string): void {
    this.socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  }

  send(data: string): void { this.raw(encodePacket(data)); }

  /** The next packet that is not console output ('O...'), within the timeout. */
  async next(timeoutMs = 10_000, skipOutput = true): Promise<string> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      while (this.packets.length) {
        const p = this.packets.shift() as string;
        if (!(skipOutput && p.startsWith('O') && p !== 'OK')) return p;
      }
      if (this.closed) throw new Error('connection closed');
      const left = end - Date.now();
      if (left <= 0) throw new Error('no reply in time');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  async request(data: string, timeoutMs = 10_000): Promise<string> {
    this.send(data);
    return this.next(timeoutMs);
  }

  /** Resolves when the server has closed the connection (or after the timeout, with false). */
  async waitClosed(timeoutMs = 5000): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < end) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, end - Date.now()));
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
    return this.closed;
  }

  close(): void { this.socket.destroy(); }
}

export function hexText(s: string): string { return Buffer.from(s).toString('hex'); }
export function textOfHex(h: string): string { return Buffer.from(h, 'hex').toString(); }
