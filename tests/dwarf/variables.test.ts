// Variables, types and expressions against GDB: a test program (built here at
// -O0 and -O2, as public/examples/build.sh builds the examples) and example
// programs run under QEMU with GDB attached; at each stop GDB's `info args`,
// `info locals` (in every frame up to main) and chosen `print`s are the
// reference. The same program is recorded and replayed by Hindsight to the
// same stop (same pc and registers: QEMU's icount equals ours), where the
// Inspector must print the same text.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseElf } from '../../workers/formats/elf';
import { DebugInfo } from '../../workers/formats/dwarf';
import { Variables } from '../../workers/formats/dwarf/variables';
import { Inspector, ExpressionError } from '../../workers/formats/dwarf/inspect';
import { SourceDebugger } from '../../workers/replay/source';
import { openTimeline, freePort, HINDSIGHT } from '../gdb/support';
import { EXAMPLES_DIR, ROOT } from './support';

const PROGRAM = join(ROOT, 'tests/dwarf/programs/vars.c');
const GLOBALS = ['nodes', 'grid', 'grid[1]', 'label', 'counter', 'ratio', 'scale', 'enabled', 'big', 'half', 'tiny', 'word', 'zeros', 'message',
  'total', 'perms', 'nodes[0].handler', '&nodes[1]', '*nodes[0].next', 'nodes[0].next->name', 'handler', 'sizeof(struct node)', 'sizeof nodes',
  'nodes[0].bits.level + 1', '(char)65', 'grid[1][2] * 10 - 3', 'nodes[0].values[1] / 3 == 6', '~half', '!enabled', '-tiny', '(long)&grid[1] - (long)grid',
  '(unsigned char)nodes[1].values[0]', 'MODE_FAST', '(enum mode)1', 'label[0]', '*label@3', 'no_such_thing', 'nodes.mode', 'counter->x', '1 +', '10 % 0', 'ratio * 2', 'scale + 1'];

interface Stop { spec: string; ignore?: number; prints: string[] }

function sourceLine(file: string, text: string): number {
  const lines = readFileSync(file, 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes(text));
  if (i < 0) throw new Error(`"${text}" is not in ${file}`);
  return i + 1;
}

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'hindsight-vars-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

function build(opt: string): string {
  copyFileSync(PROGRAM, join(dir, 'vars.c'));
  const out = join(dir, `vars-${opt}.elf`);
  const r = spawnSync('riscv64-unknown-elf-gcc', ['-mcmodel=medany', '-g', '-Wall', opt, '-ffile-prefix-map=' + dir + '=.',
    '--specs=picolibc.specs', '--oslib=semihost', '--crt0=semihost',
    '-Wl,--defsym=__flash=0x80000000,--defsym=__flash_size=0x200000', '-Wl,--defsym=__ram=0x80200000,--defsym=__ram_size=0x1000000',
    'vars.c', '-o', out], { cwd: dir, encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`gcc failed: ${r.error?.message ?? r.stderr}`);
  return out;
}

interface GdbStop { pc: bigint; regs: bigint[]; frames: number; blocks: Map<string, string[]> }

/** GDB under QEMU: at each stop, the registers, the frame count, and per frame `info args`/`info locals`, then the prints in frame 0. */
async function gdbStops(elf: string, stops: Stop[]): Promise<GdbStop[]> {
  const port = await freePort();
  const qemu = spawn('qemu-system-riscv64', ['-M', 'virt', '-display', 'none', '-serial', 'none', '-monitor', 'none', '-bios', 'none',
    '-kernel', elf, '-semihosting', '-icount', 'shift=0,sleep=off', '-gdb', `tcp:127.0.0.1:${port}`, '-S'], { stdio: 'ignore' });
  const log = join(dir, `gdb-${port}.txt`);
  try {
    const args = ['-nx', '-batch', '-ex', 'set pagination off', '-ex', 'set width 0', '-ex', 'set height 0', '-ex', 'set confirm off',
      '-ex', `file ${elf}`, '-ex', 'set tcp auto-retry on', '-ex', 'set tcp connect-timeout 20', '-ex', `target remote 127.0.0.1:${port}`];
    stops.forEach((s, i) => {
      args.push('-ex', `break ${s.spec}`);
      if (s.ignore) args.push('-ex', `ignore $bpnum ${s.ignore}`);
      args.push('-ex', 'continue', '-ex', 'delete', '-ex', `echo @@STOP ${i}\\n`, '-ex', 'info registers pc', '-ex', 'info registers general', '-ex', 'echo @@BT\\n', '-ex', 'bt');
      for (let f = 0; f < 4; f++) {
        args.push('-ex', `echo @@FRAME ${f}\\n`, '-ex', `frame ${f}`, '-ex', 'echo @@ARGS\\n', '-ex', 'info args', '-ex', 'echo @@LOCALS\\n', '-ex', 'info locals');
      }
      args.push('-ex', 'echo @@FRAME 999\\n', '-ex', 'frame 0');
      s.prints.forEach((p, k) => args.push('-ex', `echo @@PRINT ${k}\\n`, '-ex', `output ${p}`, '-ex', 'echo \\n'));
      args.push('-ex', 'echo @@END\\n');
    });
    args.push('-ex', 'kill');
    const fd = openSync(log, 'w');
    await new Promise<void>((done, reject) => {
      const g = spawn('gdb-multiarch', args, { stdio: ['ignore', fd, fd] });
      const timer = setTimeout(() => g.kill('SIGKILL'), 50_000);
      g.on('error', reject);
      g.on('close', () => { clearTimeout(timer); done(); });
    });
    closeSync(fd);
  } finally {
    qemu.kill('SIGKILL');
  }
  const text = readFileSync(log, 'utf8');
  const out: GdbStop[] = [];
  for (const block of text.split(/^@@STOP /m).slice(1)) {
    const body = block.split('@@END')[0];
    const pc = /^pc\s+(0x[0-9a-f]+)/m.exec(body);
    if (!pc) throw new Error(`GDB did not stop:\n${body}`);
    const regs: bigint[] = new Array(32).fill(0n);
    const names = ['zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 'fp', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7',
      's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6'];
    for (const m of body.matchAll(/^(\w+)\s+(0x[0-9a-f]+)/gm)) { const n = names.indexOf(m[1]); if (n >= 0) regs[n] = BigInt(m[2]); }
    const bt = body.split('@@BT\n')[1].split('@@FRAME')[0];
    const frames = bt.split('\n').filter((l) => l.startsWith('#')).length;
    const blocks = new Map<string, string[]>();
    for (const part of body.split(/^@@(?=FRAME|PRINT)/m).slice(1)) {
      const head = /^(FRAME|PRINT) (\d+)\n/.exec(part);
      if (!head) continue;
      const rest = part.slice(head[0].length);
      if (head[1] === 'FRAME') {
        const [, a, l] = rest.split(/^@@(?:ARGS|LOCALS)\n/m);
        blocks.set(`frame ${head[2]} args`, clean(a));
        blocks.set(`frame ${head[2]} locals`, clean(l));
      } else blocks.set(`print ${head[2]}`, clean(rest));
    }
    out.push({ pc: BigInt(pc[1]), regs, frames, blocks });
  }
  if (out.length !== stops.length) throw new Error(`GDB stopped ${out.length} times, expected ${stops.length}:\n${text}`);
  return out;
}

function clean(s: string | undefined): string[] {
  return (s ?? '').split('\n').map((l) => l.trimEnd()).filter((l) => l !== '');
}

/** The same stops on Hindsight, and our text for the same blocks. */
async function ourStops(elf: string, gdb: GdbStop[], prints: string[][]): Promise<Map<string, string[]>[]> {
  const hsr = join(dir, `${basename(elf, '.elf')}-${Math.random().toString(36).slice(2)}.hsr`);
  const r = spawnSync(process.execPath, [HINDSIGHT, 'record', elf, '-o', hsr], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.error) throw r.error;
  const t = await openTimeline(hsr);
  const image = parseElf(new Uint8Array(readFileSync(elf)));
  const src = new SourceDebugger(t, DebugInfo.fromElf(image));
  const ins = new Inspector(Variables.fromElf(image), (a, n) => t.machine.readMemory(a, n));
  const out: Map<string, string[]>[] = [];
  for (let i = 0; i < gdb.length; i++) {
    const g = gdb[i];
    const bp = t.addBreakpoint(g.pc);
    for (let n = 0; ; n++) {
      if (t.pc !== g.pc || !t.machine.registers().every((v, k) => k === 0 || v === g.regs[k])) {
        const m = await t.continue();
        if (m.reason !== 'breakpoint') throw new Error(`Hindsight did not reach GDB's stop ${i} (pc 0x${g.pc.toString(16)}): ${m.reason}`);
        continue;
      }
      break;
    }
    const { states } = src.frameStates(); // with GDB's breakpoint still there: it shows the inlined function it is in
    t.deleteTrap(bp.id);
    const blocks = new Map<string, string[]>();
    for (let f = 0; f < g.frames && f < 4; f++) {
      blocks.set(`frame ${f} args`, ins.args(states[f]));
      blocks.set(`frame ${f} locals`, ins.locals(states[f]));
    }
    prints[i].forEach((p, k) => {
      try { blocks.set(`print ${k}`, [ins.print(p, states[0])]); } catch (e) {
        if (!(e instanceof ExpressionError)) throw e;
        blocks.set(`print ${k}`, [e.message]);
      }
    });
    out.push(blocks);
  }
  return out;
}

/** Compares every block GDB printed (frames beyond GDB's bt and GDB's own limitations left out). */
function compare(name: string, stops: Stop[], gdb: GdbStop[], ours: Map<string, string[]>[]): { same: number; total: number } {
  let same = 0, total = 0;
  const failures: string[] = [];
  gdb.forEach((g, i) => {
    for (const [key, theirs] of g.blocks) {
      const f = /^frame (\d+)/.exec(key);
      if (f && (Number(f[1]) >= g.frames || Number(f[1]) >= 4)) continue;
      let mine = ours[i].get(key) ?? ['(nothing)'];
      // GDB lists a lexical block's symbols in the order of its hash table, which we do not reproduce: compare as sets.
      if (key.endsWith('locals') && JSON.stringify([...mine].sort()) === JSON.stringify([...theirs].sort())) mine = theirs;
      const label = key.startsWith('print') ? `print ${stops[i].prints[Number(key.split(' ')[1])]}` : key;
      total++;
      if (JSON.stringify(mine) === JSON.stringify(theirs)) same++;
      else failures.push(`${name} at ${stops[i].spec}${stops[i].ignore ? ` (ignore ${stops[i].ignore})` : ''}, ${label}:\n  gdb:       ${theirs.join('\n             ')}\n  hindsight: ${mine.join('\n             ')}`);
    }
  });
  if (process.env.VARS_DUMP) appendFileSync(process.env.VARS_DUMP, `== ${name}: ${same}/${total}\n${failures.join('\n')}\n`);
  expect(failures.join('\n'), `${name}: ${same}/${total} blocks agree`).toBe('');
  return { same, total };
}

async function differential(name: string, elf: string, stops: Stop[]): Promise<void> {
  const gdb = await gdbStops(elf, stops);
  const ours = await ourStops(elf, gdb, stops.map((s) => s.prints));
  compare(name, stops, gdb, ours);
}

function programStops(): Stop[] {
  const line = (text: string): string => `vars.c:${sourceLine(PROGRAM, text)}`;
  return [
    { spec: line('sink = total;'), prints: [...GLOBALS, 'n->name', '*n', 'n->values[2] + bias', 'total'] },
    { spec: line('steps += weight + initial;'), prints: ['p->name', 'initial', 'weight', '*p', 'p->next', 'depth * 2'] },
    { spec: line('sink = product;'), prints: ['product', 'x', 'factor', 'x * factor == product'] },
    { spec: line('steps += weight + initial;'), prints: ['p->name', 'initial', 'weight', 'p->values', 'head[1].values[2]'] },
    { spec: 'handler', prints: ['code', 'nodes[0].handler', '&nodes[0]', 'nodes->name'] },
    { spec: line('sink = (int)local.u;'), prints: ['local', 'b', 's + w', 'local.b[1]', '&local', '&b.tag'] },
  ];
}

describe('variables agree with GDB', () => {
  it('the test program at -O0', async () => {
    await differential('vars -O0', build('-O0'), programStops());
  }, 60_000);
  it('the test program at -O2', async () => {
    await differential('vars -O2', build('-O2'), programStops());
  }, 60_000);
  it('corruption.elf', async () => {
    const elf = join(EXAMPLES_DIR, 'corruption.elf');
    const c = join(EXAMPLES_DIR, 'corruption.c');
    await differential('corruption', elf, [
      { spec: `corruption.c:${sourceLine(c, 'smoothed[i] = ')}`, ignore: 2, prints: ['smoothed[0]', 'raw_samples[i]', 'i'] },
      { spec: 'compute_stats', prints: ['raw_samples', 'smoothed', 'calibration_offset', 'num_samples', 'sensor_state'] },
      { spec: 'print_tenths', prints: ['calibration_offset'] },
    ]);
  }, 60_000);
  it('bench.elf', async () => {
    await differential('bench', join(EXAMPLES_DIR, 'bench.elf'), [
      { spec: 'quicksort', ignore: 3, prints: ['a[lo]', 'hi - lo'] },
      { spec: 'crc32', prints: ['crc', 'n'] },
    ]);
  }, 60_000);
});
