// Several harts, deterministically: a data race that loses updates, different
// under different schedule seeds and replayed exactly from each recording;
// inter-processor interrupts against QEMU; seeks that land on exactly the
// state of a run from reset; reverse-stepi on one hart.
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { Timeline } from '../../workers/replay/timeline';
import { Machine, type HartsConfig } from '../../workers/engine/machine';
import { BufferedInput } from '../../workers/engine/host-input';
import { RecordingWriter, parseRecording } from '../../workers/formats/recording';
import { concatBytes } from '../../workers/formats/bytes';
import { buildSmpProgram, raceSource, IPI_SOURCE } from '../support/smp-programs';
import { wasm, stateFingerprint } from '../replay/support';

const ITERATIONS = 20_000;
let race: Uint8Array;
let module: WebAssembly.Module;

beforeAll(async () => {
  race = readFileSync(buildSmpProgram('race', raceSource(2, ITERATIONS)));
  module = await WebAssembly.compile(wasm);
});

const harts = (count: number, seed = 0, quantum = 10_000): HartsConfig => ({ count, quantum, seed });

async function record(program: Uint8Array, config: HartsConfig): Promise<{ timeline: Timeline; output: string; file: Uint8Array }> {
  const timeline = await Timeline.record(module, program, 'race.elf', { ramMiB: 32, harts: config }, new BufferedInput(new Uint8Array()), 'cli');
  let output = '';
  timeline.onOutput((b) => { output += new TextDecoder().decode(b); });
  const r = await timeline.continue();
  expect(r.reason, r.message).toBe('exit');
  const file = concatBytes([RecordingWriter.start(timeline.meta, program), RecordingWriter.events(timeline.takeNewEvents()),
    RecordingWriter.end(timeline.ended!)]);
  return { timeline, output, file };
}

function counters(output: string): { counter: number; locked: number; cas: number } {
  const m = /counter (\d+) locked (\d+) cas (\d+)/.exec(output);
  expect(m, output).not.toBeNull();
  return { counter: Number(m![1]), locked: Number(m![2]), cas: Number(m![3]) };
}

describe('a data race between two harts', () => {
  it('loses updates to the unlocked counter, never to the atomic one or the LR/SC one', async () => {
    const { output } = await record(race, harts(2, 0, 997));
    const c = counters(output);
    expect(c.locked).toBe(2 * ITERATIONS);
    expect(c.cas).toBe(2 * ITERATIONS);
    expect(c.counter).toBeLessThan(2 * ITERATIONS);
    expect(c.counter).toBeGreaterThanOrEqual(ITERATIONS);
  });

  it('comes out differently under two schedule seeds, and each recording replays to its own result', async () => {
    const runs = [await record(race, harts(2, 1)), await record(race, harts(2, 2))];
    expect(counters(runs[0].output).counter).not.toBe(counters(runs[1].output).counter);
    for (const run of runs) {
      const parsed = parseRecording(run.file);
      expect(parsed.version).toBe(4);
      expect(parsed.meta.harts).toEqual(run.timeline.meta.harts);
      const replay = await Timeline.replay(module, parsed);
      let text = '';
      replay.onOutput((b) => { text += new TextDecoder().decode(b); });
      const r = await replay.continue(); // every digest is checked on the way
      expect(r.reason).toBe('exit');
      expect(text).toBe(run.output);
      expect(replay.finalDigest()).toBe(run.timeline.finalDigest());
    }
  });

  it('the same seed gives the same run', async () => {
    const a = await record(race, harts(2, 7));
    const b = await record(race, harts(2, 7));
    expect(a.output).toBe(b.output);
    expect(a.timeline.icount).toBe(b.timeline.icount);
  });

  it('a recording replayed with another schedule diverges, and says so', async () => {
    const { file } = await record(race, harts(2, 1));
    const parsed = parseRecording(file);
    const altered = { ...parsed, meta: { ...parsed.meta, harts: harts(2, 3) } };
    await expect(async () => { const t = await Timeline.replay(module, altered); await t.continue(); }).rejects.toThrow(/diverged/);
  });
});

describe('time travel with several harts', () => {
  it('seek(t) is exactly the state of running from reset to t, every hart included', async () => {
    const { timeline } = await record(race, harts(2, 5, 997));
    const end = timeline.icount;
    for (const t of [1n, 9_999n, end / 3n, end / 2n + 1n, end - 2n]) {
      timeline.seek(t);
      const fresh = await Machine.create(module, new BufferedInput(new Uint8Array()), { ramMiB: 32, commandLine: 'race.elf', harts: harts(2, 5, 997) });
      fresh.load(race);
      while (fresh.icount < t) fresh.run(t - fresh.icount);
      expect(stateFingerprint(timeline.machine), `at icount ${t}`).toBe(stateFingerprint(fresh));
      for (const h of [0, 1]) expect(timeline.machine.registers(h)).toEqual(fresh.registers(h));
    }
  });

  it('names the hart of every position, and reverse-stepi on one hart goes back to its previous instruction', async () => {
    const { timeline } = await record(race, harts(2, 0, 1000));
    const middle = timeline.icount / 2n;
    timeline.seek(middle);
    const here = timeline.hartAt(middle);
    const other = 1 - here;
    // Turns alternate: some instruction before this one was the other hart's.
    const pcBefore = timeline.machine.pcOf(other);
    const back = timeline.reverseStepiOnHart(other);
    expect(back.reason).toBe('step');
    expect(back.hart).toBe(other);
    expect(timeline.hartAt(back.icount)).toBe(other);
    expect(back.icount).toBeLessThan(middle);
    // Nothing the other hart retired lies between there and here.
    for (let t = back.icount + 1n; t < middle; t += 97n) expect(timeline.hartAt(t)).toBe(here);
    // Forward again on that hart: its pc is where it was.
    const fwd = timeline.stepiOnHart(other);
    expect(fwd.icount).toBe(back.icount + 1n);
    expect(timeline.machine.pcOf(other)).toBe(pcBefore);
    // The turns cover the run, in quanta of 1000.
    const turns = timeline.hartTurns(0n, 10_000n);
    expect(turns.length).toBe(10);
    expect(turns.map((t) => t.hart)).toEqual([0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
  });

  it('a breakpoint hits on any hart and says which', async () => {
    const { timeline } = await record(race, harts(2));
    timeline.seek(0n);
    timeline.addBreakpoint('park');
    const r = await timeline.continue();
    expect(r.reason).toBe('breakpoint');
    // Hart 1 finishes its loop and parks first (hart 0 waits for it, then prints).
    expect(r.hart).toBe(1);
    expect(timeline.machine.pcOf(1)).toBe(r.pc);
  });
});

describe('inter-processor interrupts', () => {
  it('hart 0 raises hart 1 through the CLINT, as on QEMU -smp 2', async () => {
    const path = buildSmpProgram('ipi', IPI_SOURCE);
    const q = spawnSync('timeout', ['10', 'qemu-system-riscv64', '-machine', 'virt', '-bios', 'none', '-kernel', path, '-smp', '2',
      '-m', '32M', '-nographic', '-monitor', 'none'], { encoding: 'latin1' });
    expect(q.stdout).toContain('answered');
    const { output } = await record(readFileSync(path), harts(2));
    expect(output).toBe(q.stdout.replace(/\r\n/g, '\n'));
    expect(output).toContain('answered, mcause 0x3 interrupt 1 msip after 0');
  });
});

describe('configuration', () => {
  it('refuses harts, quanta and seeds out of range, saying which', async () => {
    const make = (h: HartsConfig) => Machine.create(module, new BufferedInput(new Uint8Array()), { ramMiB: 32, harts: h });
    await expect(make(harts(9))).rejects.toThrow('the number of harts must be from 1 to 8, not 9');
    await expect(make(harts(2, 0, 0))).rejects.toThrow(/quantum/);
    await expect(make(harts(2, -1))).rejects.toThrow(/seed/);
    await expect(Machine.create(module, new BufferedInput(new Uint8Array()), { ramMiB: 32, harts: harts(2), boardRevision: 1 })).rejects.toThrow(/one hart/);
  });
});

describe('IPIs on the timeline', () => {
  it('are logged at the icount of the msip write, with sender and target', async () => {
    const { timeline } = await record(readFileSync(buildSmpProgram('ipi', IPI_SOURCE)), harts(2));
    const ipis = timeline.machine.schedule.ipis;
    expect(ipis.length).toBe(1);
    expect(ipis[0].from).toBe(0);
    expect(ipis[0].to).toBe(1);
    // Seeking back and forth again does not log it twice.
    timeline.seek(0n);
    await timeline.continue();
    expect(timeline.machine.schedule.ipis.length).toBe(1);
    // The write is the instruction before: the store to msip at that icount - 1 ran on hart 0.
    expect(timeline.hartAt(ipis[0].icount)).toBe(0);
  });
});
