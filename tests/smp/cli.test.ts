// The command line with several harts: run and record --smp, and debug's
// hart commands (info harts, hart N, stepi/reverse-stepi on one hart).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { runHindsight, tempDir } from '../support/qemu';
import { buildSmpProgram, raceSource } from '../support/smp-programs';

let dir: string;
let race: string;
beforeAll(() => { dir = tempDir('cli-smp'); race = buildSmpProgram('race', raceSource(2, 20_000)); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

describe('hindsight with several harts', () => {
  it('run --smp 2 runs both harts; a bad count is a usage error that says the range', () => {
    const r = runHindsight(['run', race, '--smp', '2', '--quantum', '997'], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.output).toMatch(/counter \d+ locked 40000 cas 40000/);
    const bad = runHindsight(['run', race, '--smp', '9'], { cwd: dir });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--smp must be between 1 and 8');
    expect(runHindsight(['run', race, '--schedule-seed', '3'], { cwd: dir }).stderr).toContain('--quantum and --schedule-seed need --smp N');
  });

  it('record --smp 2 --schedule-seed N replays its own run; debug shows and steps either hart', () => {
    const file = join(dir, 'race.hsr');
    const rec = runHindsight(['record', race, '-o', file, '--smp', '2', '--quantum', '1000', '--schedule-seed', '4'], { cwd: dir });
    expect(rec.status).toBe(0);
    const rep = runHindsight(['replay', file], { cwd: dir });
    expect(rep.status).toBe(0);
    expect(rep.output).toBe(rec.output);
    const script = ['seek 30000', 'info harts', 'hart 1', 'info registers', 'reverse-stepi', 'hart 0', 'reverse-stepi', 'hart 7', 'quit'].join('\n') + '\n';
    const d = runHindsight(['debug', file], { cwd: dir, stdin: script });
    expect(d.output).toMatch(/hart 0 {2}0x[0-9a-f]{16} <main\+0x[0-9a-f]+> {2}M/);
    expect(d.output).toMatch(/hart 1 {2}0x[0-9a-f]{16} </);
    expect(d.output).toMatch(/mhartid +0x0000000000000001/);
    // Each reverse-stepi lands on an instruction of the hart selected.
    const steps = [...d.output.matchAll(/^\[(\d+)\] hart (\d) /gm)].map((m) => ({ icount: Number(m[1]), hart: Number(m[2]) }));
    expect(steps.slice(-2).map((s) => s.hart)).toEqual([1, 0]);
    expect(steps.at(-1)!.icount).toBeLessThan(30000);
    expect(d.output + d.stderr).toContain('there is no hart 7: the machine has 2 (0 to 1)');
  });
});
