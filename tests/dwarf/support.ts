// The references the DWARF reader is checked against: binutils (objdump,
// addr2line) and GDB debugging the program under QEMU. The tools must be
// installed: a missing tool fails the tests, it does not skip them.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const EXAMPLES_DIR = join(ROOT, 'public/examples');

/** The example programs, from examples.json. */
export function exampleElfs(): string[] {
  const list = JSON.parse(readFileSync(join(EXAMPLES_DIR, 'examples.json'), 'utf8')) as { elf: string }[];
  return list.map((e) => e.elf);
}

/** Runs a tool to completion; throws (failing the test) if it is missing or fails. */
export function tool(cmd: string, args: string[], opts: { input?: string; cwd?: string } = {}): string {
  const r = spawnSync(cmd, args, { cwd: opts.cwd ?? EXAMPLES_DIR, input: opts.input ?? '', maxBuffer: 256 << 20, encoding: 'latin1' });
  if (r.error) throw new Error(`cannot run ${cmd} (is it installed?): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed with status ${r.status}: ${r.stderr}`);
  return r.stdout;
}

export interface ObjdumpRow {
  /** The full path from the most recent "CU: path:" or "path:" header. */
  path: string;
  /** The file name in the row itself. */
  name: string;
  /** undefined for an end-of-sequence row ("-"). */
  line: number | undefined;
  address: number;
  isStmt: boolean;
}

/** `objdump --dwarf=decodedline -w`, parsed: every row, with the path of its file. */
export function objdumpLines(elf: string): ObjdumpRow[] {
  const out = tool('riscv64-unknown-elf-objdump', ['--dwarf=decodedline', '-w', elf]);
  const rows: ObjdumpRow[] = [];
  let path = '';
  let started = false;
  for (const raw of out.split('\n')) {
    const line = raw.trimEnd();
    if (line.startsWith('Contents of the .debug_line section')) {
      started = true;
      continue;
    }
    if (!started || line === '' || line.startsWith('File name ')) continue;
    const header = /^(?:CU: )?(.*):$/.exec(line);
    if (header) {
      path = header[1];
      continue;
    }
    const t = line.split(/\s+/);
    // Addresses print as 0x…, except 0 (sequences of code the linker discarded).
    if (t.length < 3 || !/^(0x[0-9a-f]+|0)$/.test(t[2]) || !/^(\d+|-)$/.test(t[1])) {
      throw new Error(`unexpected objdump line: ${JSON.stringify(line)}`);
    }
    rows.push({
      path,
      name: t[0],
      line: t[1] === '-' ? undefined : Number(t[1]),
      address: Number(t[2]),
      isStmt: t[t.length - 1] === 'x',
    });
  }
  return rows;
}

/** Every instruction address in the executable sections, from `objdump -d`. */
export function instructionAddresses(elf: string): number[] {
  const out = tool('riscv64-unknown-elf-objdump', ['-d', elf]);
  const addrs: number[] = [];
  for (const line of out.split('\n')) {
    const m = /^\s+([0-9a-f]+):\t/.exec(line);
    if (m) addrs.push(parseInt(m[1], 16));
  }
  return addrs;
}

export interface Addr2Line {
  function: string;
  file: string;
  line: number | undefined;
}

/** `addr2line -f -e elf` for many addresses at once. */
export function addr2line(elf: string, addresses: number[]): Addr2Line[] {
  const out = tool('riscv64-unknown-elf-addr2line', ['-f', '-e', elf], {
    input: addresses.map((a) => '0x' + a.toString(16)).join('\n') + '\n',
  });
  const lines = out.split('\n');
  const result: Addr2Line[] = [];
  for (let i = 0; i < addresses.length; i++) {
    const fn = lines[2 * i];
    const loc = lines[2 * i + 1].replace(/ \(discriminator \d+\)$/, '');
    const m = /^(.*):(\d+|\?)$/.exec(loc);
    if (!m) throw new Error(`unexpected addr2line output: ${JSON.stringify(loc)}`);
    result.push({ function: fn, file: m[1], line: m[2] === '?' ? undefined : Number(m[2]) });
  }
  return result;
}

// ---------------------------------------------------------------------------
// GDB + QEMU
// ---------------------------------------------------------------------------

export interface GdbFrame {
  /** The address GDB shows (outer frames, and frame 0 when not at the start of a line). */
  pc?: number;
  function: string;
  file?: string;
  line?: number;
}

export interface GdbStop {
  /** What was asked for: a breakpoint spec or "stepi". */
  position: string;
  pc: number;
  bt: GdbFrame[];
  /** x0..x31 (x0 is 0). */
  registers: bigint[];
  /** Memory from sp upwards. */
  stack: Uint8Array;
  sp: number;
}

const REG_NAMES = [
  'zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 'fp', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5',
  'a6', 'a7', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6',
];

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export interface GdbStep {
  /** A `break` argument ("smooth_readings", "corruption.c:104", "*0x80000506"), or "stepi". */
  position: string;
  /** Let the breakpoint be hit this many times first (GDB's `ignore`). */
  ignore?: number;
}

/**
 * Runs `elf` under QEMU (halted, with a GDB server), and GDB through `steps`
 * in order: each breakpoint is set, run to, and deleted again; "stepi"
 * executes one instruction. After each stop: pc, `bt`, the registers and
 * `stackBytes` of memory from sp up.
 */
export async function gdbSession(elf: string, steps: GdbStep[], stackBytes = 0x4000): Promise<GdbStop[]> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'hindsight-dwarf-gdb-'));
  const qemu = spawn(
    'qemu-system-riscv64',
    ['-M', 'virt', '-display', 'none', '-serial', 'none', '-monitor', 'none', '-bios', 'none', '-kernel', elf,
      '-semihosting', '-icount', 'shift=0', '-gdb', `tcp:127.0.0.1:${port}`, '-S'],
    { cwd: EXAMPLES_DIR, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let qemuError = '';
  qemu.stderr.on('data', (d: Buffer) => (qemuError += d.toString()));
  const qemuExit = new Promise<void>((done) => qemu.on('close', () => done()));
  const spawnError = new Promise<never>((_, reject) => qemu.on('error', (e) => reject(new Error(`cannot run qemu-system-riscv64: ${e.message}`))));
  try {
    const args = ['-nx', '-batch', '-ex', 'set pagination off', '-ex', 'set width 0', '-ex', 'set height 0',
      '-ex', 'set confirm off', '-ex', 'set print frame-arguments none', '-ex', `file ${elf}`,
      // QEMU may not be listening yet: GDB retries the connection for a while.
      '-ex', 'set tcp auto-retry on', '-ex', 'set tcp connect-timeout 20', '-ex', `target remote 127.0.0.1:${port}`];
    steps.forEach((step, i) => {
      const dump = join(dir, `stack${i}.bin`);
      if (step.position === 'stepi') {
        args.push('-ex', 'stepi');
      } else {
        args.push('-ex', `break ${step.position}`);
        if (step.ignore) args.push('-ex', `ignore $bpnum ${step.ignore}`);
        args.push('-ex', 'continue', '-ex', 'delete');
      }
      args.push(
        '-ex', `echo @@STOP ${i}\\n`, '-ex', 'printf "@@PC %#lx\\n", $pc', '-ex', 'bt',
        '-ex', 'echo @@REGS\\n', '-ex', 'info registers', '-ex', `dump binary memory ${dump} $sp $sp+${stackBytes}`,
        '-ex', 'echo @@END\\n',
      );
    });
    args.push('-ex', 'kill');
    const gdb = await Promise.race([runAsync('gdb-multiarch', args), spawnError]);
    try {
      return parseGdb(gdb, steps, dir);
    } catch (e) {
      throw new Error(`${e instanceof Error ? e.message : String(e)}\nQEMU said: ${qemuError}`);
    }
  } finally {
    qemu.kill('SIGKILL');
    await Promise.race([qemuExit, new Promise((done) => setTimeout(done, 5000))]);
    rmSync(dir, { recursive: true, force: true });
  }
}

function runAsync(cmd: string, args: string[]): Promise<string> {
  return new Promise((done, reject) => {
    const p = spawn(cmd, args, { cwd: EXAMPLES_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
    // Only stdout: GDB's complaints on stderr (missing library sources) would interleave with it.
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString('latin1')));
    p.stderr.on('data', (d: Buffer) => (err += d.toString('latin1')));
    const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('error', (e) => reject(new Error(`cannot run ${cmd} (is it installed?): ${e.message}`)));
    p.on('close', () => {
      clearTimeout(timer);
      done(`${out}\n@@STDERR\n${err}`);
    });
  });
}

function parseGdb(out: string, steps: GdbStep[], dir: string): GdbStop[] {
  const stops: GdbStop[] = [];
  const [stdout, stderr] = out.split('\n@@STDERR\n');
  const blocks = stdout.split(/^@@STOP /m).slice(1);
  for (const block of blocks) {
    const i = parseInt(block, 10);
    const pcMatch = /^@@PC (0x[0-9a-f]+)$/m.exec(block);
    if (!pcMatch) throw new Error(`GDB did not stop at step ${i} (${steps[i].position}):\n${block}\n${stderr}`);
    const [btPart, rest] = block.split('@@REGS');
    const bt: GdbFrame[] = [];
    for (const line of btPart.split('\n')) {
      if (!line.startsWith('#')) continue;
      // "#1  0x00000000800001f8 in main () at ./corruption.c:164" or "#0  smooth_readings () at ./corruption.c:98"
      const m = /^#\d+\s+(?:(0x[0-9a-f]+) in )?(\S+) \(.*?\)(?: at (.+):(\d+))?(?: from .*)?$/.exec(line);
      if (!m) throw new Error(`unexpected GDB frame line: ${JSON.stringify(line)}`);
      bt.push({
        ...(m[1] !== undefined ? { pc: Number(m[1]) } : {}),
        function: m[2],
        ...(m[3] !== undefined ? { file: m[3], line: Number(m[4]) } : {}),
      });
    }
    const registers: bigint[] = new Array(32).fill(0n);
    for (const line of rest.split('\n')) {
      const m = /^(\w+)\s+(0x[0-9a-f]+)/.exec(line);
      if (!m) continue;
      const n = REG_NAMES.indexOf(m[1] === 's0' ? 'fp' : m[1]);
      if (n >= 0) registers[n] = BigInt(m[2]);
    }
    const file = join(dir, `stack${i}.bin`);
    if (!existsSync(file)) throw new Error(`GDB did not dump the stack at step ${i}:\n${block}`);
    stops.push({
      position: steps[i].position,
      pc: Number(pcMatch[1]),
      bt,
      registers,
      stack: new Uint8Array(readFileSync(file)),
      sp: Number(registers[2]),
    });
  }
  if (stops.length !== steps.length) throw new Error(`GDB stopped ${stops.length} times, expected ${steps.length}:\n${stdout}\n${stderr}`);
  return stops;
}
