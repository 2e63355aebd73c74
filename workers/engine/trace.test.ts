// `hindsight run --trace` lines: x-register changes where the lockstep test
// reads them, f-register and fcsr changes after the instruction.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BufferedInput } from './host-input';
import { Machine } from './machine';
import { formatTraceStep, traceRun } from './trace';
import { parseHindsightTrace } from '../../tests/support/qemu-trace';

const ROOT = join(import.meta.dirname, '../..');
let dir = '';
const lines: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hindsight-trace-'));
  const elf = join(dir, 'fpregs.elf');
  const r = spawnSync('riscv64-unknown-elf-gcc', ['-march=rv64gc', '-mabi=lp64d', '-nostdlib', '-nostartfiles', '-static',
    '-Wl,-T,bare.ld', '-Wl,--no-warn-rwx-segments', join(ROOT, 'tests/fixtures/fpregs.S'), '-o', elf],
  { cwd: join(ROOT, 'public/examples'), encoding: 'utf8' });
  if (r.error) throw r.error;
  expect(r.status, r.stderr).toBe(0);
  const machine = await Machine.create(readFileSync(join(ROOT, 'build/core.release.wasm')), new BufferedInput(new Uint8Array()), { ramMiB: 16 });
  machine.load(readFileSync(elf));
  const stop = traceRun(machine, 10_000n, (s) => lines.push(formatTraceStep(s)));
  expect(stop.reason).toBe('exit');
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const line = (instruction: string) => {
  const l = lines.find((x) => x.split(' ; ')[1]?.startsWith(instruction));
  if (!l) throw new Error(`no trace line for ${instruction}:\n${lines.join('\n')}`);
  return l;
};

describe('trace', () => {
  it('shows f-register changes after the instruction, as raw bits by ABI name', () => {
    expect(line('fld fa0,0(a0)')).toMatch(/ ; fld fa0,0\(a0\) ; fa0=3ff8000000000000$/);
    expect(line('flw fa2,16(a0)')).toMatch(/ ; fa2=ffffffff40400000$/);
    expect(line('fneg.d fs2,fa0')).toMatch(/ ; fs2=bff8000000000000$/);
    // An instruction that changes an x register only: the format is the one for x registers alone.
    expect(line('li t1,1')).toMatch(/^\d+ 0{8}8[0-9a-f]{7} [0-9a-f]{4,8} t1=0000000000000001 ; li t1,1$/);
  });

  it('shows fcsr (frm << 5 | fflags) when it changes, and the x registers as before', () => {
    expect(line('fsrmi zero,1')).toMatch(/ ; fsrmi zero,1 ; fcsr=20$/);
    expect(line('fdiv.d ft2,ft0,ft1')).toMatch(/ ; ft2=3fd5555555555555 fcsr=21$/);
    expect(line('fdiv.d ft4,ft0,ft3')).toMatch(/ ; ft4=7ff0000000000000 fcsr=29$/);
    // Turning the FPU on makes fcsr readable: that is not shown as a change.
    expect(line('csrs mstatus,t0')).toMatch(/ ; csrs mstatus,t0$/);
  });

  it('the lockstep parser still reads the x-register changes and nothing else', () => {
    const steps = parseHindsightTrace(lines.join('\n'));
    expect(steps).toHaveLength(lines.length);
    for (const s of steps) for (const r of s.changes.keys()) expect(r).toBeGreaterThan(0);
    const li = steps[lines.indexOf(line('li t1,1'))];
    expect([...li.changes]).toEqual([[6, 1n]]);
    expect(steps[lines.indexOf(line('fld fa0,0(a0)'))].changes.size).toBe(0);
  });
});
