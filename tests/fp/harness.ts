// Building and running the generated FP program on QEMU and on Hindsight,
// parsing its output, and locating and describing the first operations on
// which the two machines disagree.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generate, bitsF32, bitsF64, CHECKPOINT_EVERY, SELECT_SIZE, type GenOptions, type Operand, type Program, type StubInfo } from './generate';

export const ROOT = resolve(import.meta.dirname, '../..');
const GCC = 'riscv64-unknown-elf-gcc';
const GCC_FLAGS = ['-march=rv64gc', '-mabi=lp64d', '-nostdlib', '-nostartfiles', '-static', '-Wl,-Ttext=0x80000000', '-Wl,-n',
  '-Wl,--no-warn-rwx-segments', '-Wl,-e,_start'];

export interface Built {
  program: Program;
  elf: string;
  dir: string;
}

/** Generates and assembles a program; returns the ELF's path (in a fresh temporary directory). */
export function build(opts: GenOptions): Built {
  const program = generate(opts);
  const dir = mkdtempSync(join(tmpdir(), 'hindsight-fp-'));
  const src = join(dir, 'fp.s');
  const elf = join(dir, 'fp.elf');
  writeFileSync(src, program.asm);
  const r = spawnSync(GCC, [...GCC_FLAGS, src, '-o', elf], { encoding: 'utf8' });
  if (r.error) throw new Error(`cannot run ${GCC}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${GCC} failed:\n${r.stderr.slice(0, 4000)}`);
  return { program, elf, dir };
}

export function cleanup(b: Built): void {
  rmSync(b.dir, { recursive: true, force: true });
}

export interface RunOutput {
  stdout: string;
  stderr: string;
  status: number | null;
  signal: string | null;
  ms: number;
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<RunOutput> {
  return new Promise((resolvePromise, reject) => {
    const t0 = Date.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => reject(new Error(`cannot run ${cmd}: ${e.message}`)));
    child.on('close', (status, signal) => resolvePromise({
      stdout: Buffer.concat(out).toString('latin1'), stderr: Buffer.concat(err).toString('latin1'), status, signal,
      ms: Date.now() - t0,
    }));
  });
}

export function runQemu(elf: string, timeoutMs = 120_000): Promise<RunOutput> {
  return run('qemu-system-riscv64', ['-M', 'virt', '-bios', 'none', '-kernel', elf, '-display', 'none', '-monitor', 'none',
    // The program writes through semihosting (SYS_WRITE0); its console goes to stdout, QEMU's own messages to stderr.
    // Exact instruction counting: the program folds minstret deltas into its digests.
    '-icount', 'shift=0,sleep=off',
    '-serial', 'none', '-chardev', 'stdio,id=con', '-semihosting-config', 'enable=on,target=native,chardev=con'], timeoutMs);
}

export function runHindsight(elf: string, timeoutMs = 120_000): Promise<RunOutput> {
  return run(process.execPath, [join(ROOT, 'bin/hindsight.mjs'), 'run', elf], timeoutMs);
}

// ---------------------------------------------------------------------------
// Output.

export interface TraceRecord {
  index: number;
  id: number;
  name: string;
  a: bigint; b: bigint; c: bigint; x: bigint;
  fcsrIn: number;
  fsMask: number;
  f: bigint;
  xr: bigint;
  fcsrOut: number;
  fs: number;
  traps: number;
  cause: number;
  tval: bigint;
  /** Instructions retired by the stub, trap handler included (minstret). */
  insns: number;
  line: string;
}

export interface Parsed {
  header?: { seed: number; ops: number; stubs: number };
  /** Hashes after 4096, 8192, ... operations, in order. */
  checkpoints: string[];
  stubHashes: Map<number, string>;
  trace: TraceRecord[];
  ops?: number;
  hash?: string;
  end: boolean;
  fatal?: string;
  /** Lines that are none of the above (there should be none). */
  other: string[];
}

export function parse(stdout: string): Parsed {
  const p: Parsed = { checkpoints: [], stubHashes: new Map(), trace: [], end: false, other: [] };
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const w = line.split(' ');
    if (w[0] === 'C' && w.length === 3) {
      const n = parseInt(w[1], 16);
      if (n !== (p.checkpoints.length + 1) * CHECKPOINT_EVERY) p.other.push(line);
      else p.checkpoints.push(w[2]);
    } else if (w[0] === 'T' && w.length === 19 && w[10] === '->') {
      const h = (s: string) => BigInt(`0x${s}`);
      p.trace.push({
        index: parseInt(w[1], 16), id: parseInt(w[2], 16), name: w[3], a: h(w[4]), b: h(w[5]), c: h(w[6]), x: h(w[7]),
        fcsrIn: parseInt(w[8], 16), fsMask: parseInt(w[9], 16), f: h(w[11]), xr: h(w[12]), fcsrOut: parseInt(w[13], 16),
        fs: parseInt(w[14], 16), traps: parseInt(w[15], 16), cause: parseInt(w[16], 16), tval: h(w[17]), insns: parseInt(w[18], 16), line,
      });
    } else if (w[0] === 'S' && w.length === 3) {
      p.stubHashes.set(parseInt(w[1], 16), w[2]);
    } else if (w[0] === 'FPDIFF' && w.length === 7) {
      p.header = { seed: parseInt(w[2], 16), ops: parseInt(w[4], 16), stubs: parseInt(w[6], 16) };
    } else if (w[0] === 'OPS' && w.length === 2) {
      p.ops = parseInt(w[1], 16);
    } else if (w[0] === 'HASH' && w.length === 2) {
      p.hash = w[1];
    } else if (line === 'END') {
      p.end = true;
    } else if (w[0] === 'FATAL') {
      p.fatal = line;
    } else {
      p.other.push(line);
    }
  }
  return p;
}

/** Whether a run printed everything a complete run prints. */
export function complete(p: Parsed, program: Program): boolean {
  return p.end && p.ops === program.ops && p.hash !== undefined && p.stubHashes.size === program.stubs.length
    && p.checkpoints.length === Math.floor(program.ops / CHECKPOINT_EVERY) && p.other.length === 0 && !p.fatal;
}

export function sameDigests(a: Parsed, b: Parsed): boolean {
  if (a.hash !== b.hash || a.ops !== b.ops || a.checkpoints.length !== b.checkpoints.length) return false;
  if (a.checkpoints.some((c, i) => c !== b.checkpoints[i])) return false;
  if (a.stubHashes.size !== b.stubHashes.size) return false;
  for (const [id, h] of a.stubHashes) if (b.stubHashes.get(id) !== h) return false;
  return true;
}

/** The window of operations [from, to) that holds the first difference, judged by the checkpoints. */
export function firstDifferingWindow(ref: Parsed, other: Parsed, ops: number): [number, number] {
  const n = Math.min(ref.checkpoints.length, other.checkpoints.length);
  for (let i = 0; i < n; i++) {
    if (ref.checkpoints[i] !== other.checkpoints[i]) return [i * CHECKPOINT_EVERY, (i + 1) * CHECKPOINT_EVERY];
  }
  const from = n * CHECKPOINT_EVERY;
  return [from, Math.min(ops, from + CHECKPOINT_EVERY)];
}

/** Stubs whose per-stub digests differ (or are missing on one side). */
export function differingStubs(ref: Parsed, other: Parsed, program: Program): number[] {
  if (ref.stubHashes.size === 0 || other.stubHashes.size === 0) return [];
  return program.stubs.filter((s) => ref.stubHashes.get(s.id) !== other.stubHashes.get(s.id)).map((s) => s.id);
}

// ---------------------------------------------------------------------------
// Describing values and operations.

const RM_NAMES = ['rne', 'rtz', 'rdn', 'rup', 'rmm', 'rm5?', 'rm6?', 'rm7?'];
const FS_NAMES = ['Off', 'Initial', 'Clean', 'Dirty'];

export function flagsText(fflags: number): string {
  const names: [number, string][] = [[16, 'NV'], [8, 'DZ'], [4, 'OF'], [2, 'UF'], [1, 'NX']];
  const s = names.filter(([m]) => fflags & m).map(([, n]) => n);
  return s.length ? s.join('|') : '-';
}

export function fcsrText(fcsr: number): string {
  return `0x${fcsr.toString(16).padStart(2, '0')} (frm=${RM_NAMES[(fcsr >> 5) & 7]}, flags ${flagsText(fcsr & 31)})`;
}

function hex64(b: bigint): string {
  return `0x${BigInt.asUintN(64, b).toString(16).padStart(16, '0')}`;
}

function floatText(bits: bigint, width: 32 | 64): string {
  const expBits = width === 32 ? 8 : 11;
  const sig = width === 32 ? 23 : 52;
  const exp = Number((bits >> BigInt(sig)) & ((1n << BigInt(expBits)) - 1n));
  const frac = bits & ((1n << BigInt(sig)) - 1n);
  const neg = (bits >> BigInt(width - 1)) & 1n;
  const maxExp = (1 << expBits) - 1;
  if (exp === maxExp) {
    if (frac === 0n) return neg ? '-inf' : '+inf';
    const quiet = (frac >> BigInt(sig - 1)) & 1n;
    const payload = frac & ((1n << BigInt(sig - 1)) - 1n);
    const canonical = !neg && quiet && payload === 0n;
    return `${neg ? '-' : ''}${quiet ? 'qNaN' : 'sNaN'}${payload ? ` payload 0x${payload.toString(16)}` : ''}${canonical ? ' (canonical)' : ''}`;
  }
  const v = width === 32 ? bitsF32(bits) : bitsF64(bits);
  const text = Object.is(v, -0) ? '-0' : v.toPrecision(width === 32 ? 9 : 17).replace(/\.?0+(e|$)/, '$1');
  return exp === 0 && frac !== 0n ? `${text} subnormal` : text;
}

export function valueText(kind: Operand | 'int' | 'csr' | 'mem', bits: bigint): string {
  const b = BigInt.asUintN(64, bits);
  switch (kind) {
    case 'S': {
      const low = b & 0xffffffffn;
      if (b >> 32n !== 0xffffffffn) return `${hex64(b)} (not NaN-boxed: reads as the canonical NaN; low half ${floatText(low, 32)})`;
      return `${hex64(b)} (single ${floatText(low, 32)})`;
    }
    case 'D': return `${hex64(b)} (double ${floatText(b, 64)})`;
    case 'X': case 'int': return `${hex64(b)} (${BigInt.asIntN(64, b)})`;
    case 'csr': return `${hex64(b)}`;
    case 'mem': return `${hex64(b)} (memory)`;
  }
}

/** The register image an operand slot gave the instruction (flw boxes whatever the slot's upper half held). */
export function operandBits(rec: TraceRecord, stub: StubInfo | undefined, slot: 'a' | 'b' | 'c' | 'x'): bigint {
  const v = rec[slot];
  return slot !== 'x' && stub?.flw.includes(slot) ? (v & 0xffffffffn) | 0xffffffff00000000n : v;
}

function resultLines(rec: TraceRecord, stub: StubInfo | undefined, diff: Set<string>): string[] {
  const lines: string[] = [];
  const fk = stub?.result.f;
  const xk = stub?.result.x;
  if (fk || diff.has('f')) lines.push(`f result ${valueText(fk ?? 'D', rec.f)}`);
  if (xk || diff.has('x')) lines.push(`x result ${valueText(xk ?? 'int', rec.xr)}`);
  lines.push(`fcsr ${fcsrText(rec.fcsrOut)}`);
  if (diff.has('fs') || rec.fsMask) lines.push(`mstatus.FS ${FS_NAMES[rec.fs & 3]}${rec.fs & 4 ? ' SD' : ''}`);
  if (rec.traps || diff.has('trap')) {
    lines.push(rec.traps ? `trap: ${rec.traps} trap(s), last mcause ${rec.cause}, mtval 0x${rec.tval.toString(16)}` : 'no trap');
  }
  if (diff.has('insns')) lines.push(`${rec.insns} instructions retired by the stub`);
  return lines;
}

function diffFields(q: TraceRecord, h: TraceRecord): Set<string> {
  const d = new Set<string>();
  if (q.f !== h.f) d.add('f');
  if (q.xr !== h.xr) d.add('x');
  if (q.fcsrOut !== h.fcsrOut) d.add('fcsr');
  if (q.fs !== h.fs) d.add('fs');
  if (q.traps !== h.traps || q.cause !== h.cause || q.tval !== h.tval) d.add('trap');
  if (q.insns !== h.insns) d.add('insns');
  return d;
}

/** A readable account of one operation on which QEMU (q) and Hindsight (h) disagree. */
export function describeDifference(q: TraceRecord, h: TraceRecord | undefined, program: Program): string {
  const stub = program.stubs[q.id];
  const lines = [`operation #${q.index} (stub ${q.id} ${q.name}: ${stub?.insn ?? '?'})`];
  const uses = stub?.uses ?? {};
  for (const slot of ['a', 'b', 'c', 'x'] as const) {
    const kind = uses[slot];
    if (kind) lines.push(`  ${slot} = ${valueText(kind, operandBits(q, stub, slot))}${slot !== 'x' && stub?.flw.includes(slot) ? ' (loaded with flw)' : ''}`);
  }
  lines.push(`  fcsr before ${fcsrText(q.fcsrIn)}, mstatus.FS before ${q.fsMask === 0x2000 ? 'Clean' : q.fsMask === 0x4000 ? 'Initial' : 'Dirty'}`);
  if (!h) {
    lines.push('  QEMU:      ' + resultLines(q, stub, new Set()).join('; '));
    lines.push('  Hindsight: (no trace line for this operation)');
    return lines.join('\n');
  }
  if (h.id !== q.id || h.a !== q.a || h.b !== q.b || h.c !== q.c || h.x !== q.x || h.fcsrIn !== q.fcsrIn) {
    lines.push(`  (the operations themselves differ: Hindsight ran: ${h.line})`);
  }
  const d = diffFields(q, h);
  lines.push(`  differs in: ${[...d].join(', ')}`);
  lines.push('  QEMU:      ' + resultLines(q, stub, d).join('; '));
  lines.push('  Hindsight: ' + resultLines(h, stub, d).join('; '));
  return lines.join('\n');
}

/** Trace lines the differing stubs may add to a locating run (a stub adds about ops * slots / SELECT_SIZE). */
const TRACE_BUDGET = 200_000;
/** Differences described in full in the report, besides the first. */
const REPORTED = 12;

export function runSummary(name: string, r: RunOutput, p: Parsed): string {
  const tail = r.stdout.split('\n').filter((l) => l && !l.startsWith('C ') && !l.startsWith('S ') && !l.startsWith('T ')).slice(-4);
  return `${name}: exit status ${r.status}${r.signal ? ` (signal ${r.signal})` : ''}, ${r.ms} ms, ${p.checkpoints.length} checkpoints, `
    + `ops ${p.ops ?? '-'}, hash ${p.hash ?? '-'}${p.fatal ? `, ${p.fatal}` : ''}`
    + `${r.stderr ? `\n  stderr: ${r.stderr.trim().split('\n').slice(0, 5).join('\n  ')}` : ''}`
    + `${p.other.length ? `\n  unexpected output: ${p.other.slice(0, 3).join(' | ')}` : ''}`
    + `\n  last lines: ${tail.join(' | ')}`;
}

export interface Localised {
  /** The first operation that differs, described. */
  first?: string;
  /** The first differing operation of each differing stub (up to the traced ones). */
  perStub: string[];
  /** Raw trace lines of the first difference, for the record. */
  raw?: [string, string | undefined];
}

/** Compares two traces of the same program: the first difference overall and per stub. */
export function compareTraces(q: Parsed, h: Parsed, program: Program, window: [number, number]): Localised {
  const hByIndex = new Map<number, TraceRecord>();
  for (const rec of h.trace) hByIndex.set(rec.index, rec);
  const res: Localised = { perStub: [] };
  const seenStub = new Set<number>();
  for (const rec of q.trace) {
    const other = hByIndex.get(rec.index);
    if (other && other.line === rec.line) continue;
    // An operation beyond the point where Hindsight stopped printing is not a difference of its own.
    if (!other && rec.index >= window[1]) continue;
    if (!res.first) {
      res.first = describeDifference(rec, other, program);
      res.raw = [rec.line, other?.line];
    }
    if (!seenStub.has(rec.id)) {
      seenStub.add(rec.id);
      res.perStub.push(describeDifference(rec, other, program));
    }
  }
  return res;
}

/**
 * Re-runs both machines with tracing on the first differing checkpoint window and on the stubs whose
 * digests differ; returns a report of the first differing operation and of the first difference of
 * each differing stub.
 */
export async function locate(program: Program, qp: Parsed, hp: Parsed, summaries: string[]): Promise<string> {
  const window = firstDifferingWindow(qp, hp, program.ops);
  const diff = differingStubs(qp, hp, program);
  const traceStubs: number[] = [];
  let budget = TRACE_BUDGET;
  for (const id of diff) {
    const lines = Math.ceil((program.ops * program.stubs[id].slots) / SELECT_SIZE);
    if (lines > budget) continue;
    budget -= lines;
    traceStubs.push(id);
  }
  const t = build({ ...program.options, traceFrom: window[0], traceTo: window[1], traceStubs });
  try {
    const [q, h] = await Promise.all([runQemu(t.elf), runHindsight(t.elf)]);
    const qt = parse(q.stdout);
    const ht = parse(h.stdout);
    const loc = compareTraces(qt, ht, t.program, window);
    const lines = [
      `Hindsight disagrees with QEMU on the FP program (seed ${program.seed}, ${program.ops} operations, ${program.stubs.length} stubs${program.options.pmp ? ', PMP on' : ''}).`,
      ...summaries,
      `First differing checkpoint window: operations [${window[0]}, ${window[1]}).`,
      `Stubs whose digests differ (${diff.length} of ${program.stubs.length}; ${traceStubs.length} traced): ${diff.map((id) => program.stubs[id].name).join(' ') || '(no per-stub digests)'}`,
      '',
      `FIRST DIFFERENCE: ${loc.first ?? '(none found in the traces: the traces agree, the digests do not)'}`,
    ];
    if (loc.raw) lines.push(`  QEMU trace:      ${loc.raw[0]}`, `  Hindsight trace: ${loc.raw[1] ?? '(none)'}`);
    const more = loc.perStub.slice(1, REPORTED + 1);
    if (more.length) lines.push('', `First difference of other stubs (${more.length} of ${loc.perStub.length - 1}):`, ...more);
    return lines.join('\n');
  } finally {
    cleanup(t);
  }
}
