// Seeking, stepping backwards and reverse-continue over recordings.
import { describe, it, expect } from 'vitest';
import { recordExample, openReplay, stateFingerprint, referenceAt, example } from './support';

/** A fixed-seed generator, so failures are reproducible. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32; };
}

describe('seek', () => {
  for (const name of ['hello', 'timer', 'corruption', 'traps']) {
    it(`${name}: seek(t) gives exactly the state of running from 0 to t, at random t`, async () => {
      const rec = await recordExample(name, '', { checkpointInterval: 1n << 13n });
      const t = await openReplay(rec.file, { checkpointInterval: 1n << 13n });
      await t.continue(); // first pass: snapshots and digests
      const length = t.length;
      const rand = random(name.length * 7919);
      const positions = [0n, 1n, length, length - 1n, ...Array.from({ length: 14 }, () => BigInt(Math.floor(rand() * Number(length))))];
      for (const pos of positions) {
        t.seek(pos);
        expect(t.icount).toBe(pos);
        const reference = await referenceAt(example(name), `${name}.elf`, pos);
        expect(stateFingerprint(t.machine), `state at icount ${pos}`).toBe(stateFingerprint(reference));
      }
    });
  }
});

describe('reverse stepping', () => {
  it('reverse-stepi n times after stepi n times returns through the same pcs', async () => {
    const rec = await recordExample('timer', '', { checkpointInterval: 1n << 12n });
    const t = await openReplay(rec.file, { checkpointInterval: 1n << 12n });
    t.seek(20_000n);
    const forward: bigint[] = [t.pc];
    for (let i = 0; i < 300; i++) forward.push(t.stepi().pc);
    const backward: bigint[] = [t.pc];
    for (let i = 0; i < 300; i++) backward.push(t.reverseStepi().pc);
    expect(backward.reverse()).toEqual(forward);
    expect(t.icount).toBe(20_000n);
  });

  it('reverse-stepi at icount 0 reports the start of the recording', async () => {
    const rec = await recordExample('hello');
    const t = await openReplay(rec.file);
    expect(t.reverseStepi().reason).toBe('start');
    expect(t.icount).toBe(0n);
    t.seek(3n);
    expect(t.reverseStepi(10n).reason).toBe('start');
  });

  it('stepping past the end reports the end (the program exit)', async () => {
    const rec = await recordExample('hello');
    const t = await openReplay(rec.file);
    t.seek(t.length - 2n);
    expect(t.stepi(5n).reason).toBe('exit');
    expect(t.icount).toBe(t.length);
  });
});

describe('reverse-continue', () => {
  it('finds the last hit of a breakpoint before the current position', async () => {
    const rec = await recordExample('hello', '', { checkpointInterval: 1n << 11n });
    const t = await openReplay(rec.file, { checkpointInterval: 1n << 11n });
    await t.continue();
    const end = t.icount;
    // Every time the program enters the semihosting call, from the start: the list to compare with.
    const bp = t.addBreakpoint('sys_semihost');
    t.seek(0n);
    const hits: bigint[] = [];
    for (;;) {
      const r = await t.continue();
      if (r.reason !== 'breakpoint') break;
      hits.push(r.icount);
    }
    expect(hits.length).toBeGreaterThan(3);
    t.seek(end);
    const r = await t.reverseContinue();
    expect(r.reason).toBe('breakpoint');
    expect(r.breakpointId).toBe(bp.id);
    expect(r.icount).toBe(hits[hits.length - 1]);
    // And again: the hit before that one.
    const r2 = await t.reverseContinue();
    expect(r2.icount).toBe(hits[hits.length - 2]);
    t.deleteTrap(bp.id);
    expect((await t.reverseContinue()).reason).toBe('start');
  });

  it('finds the store that corrupted calibration_offset in the corruption example', async () => {
    const rec = await recordExample('corruption', '', { checkpointInterval: 1n << 12n });
    const t = await openReplay(rec.file, { checkpointInterval: 1n << 12n });
    await t.continue();
    const wp = t.addWatchpoint('calibration_offset', 4, 'write');
    const r = await t.reverseContinue();
    expect(r.reason).toBe('watchpoint');
    expect(r.watchpointId).toBe(wp.id);
    const by = t.machine.symbols.symbolize(Number(r.watch!.pc));
    expect(by?.symbol.name).toBe('smooth_readings');
    expect(r.watch!.kind).toBe('write');
    expect(r.watch!.newValue).not.toBe(r.watch!.oldValue);
    // Landing just after the store: memory holds the new value.
    const bytes = t.machine.readMemory(BigInt(t.machine.symbols.lookup('calibration_offset')!.address), 4)!;
    expect(BigInt(new DataView(bytes.buffer, bytes.byteOffset).getInt32(0, true)) & 0xffffffffn).toBe(r.watch!.newValue & 0xffffffffn);
  });

  it('can be cancelled, leaving the position where it was', async () => {
    const rec = await recordExample('timer', '', { checkpointInterval: 1n << 10n });
    const t = await openReplay(rec.file, { checkpointInterval: 1n << 10n });
    await t.continue();
    const end = t.icount;
    t.addBreakpoint(0x80000000n); // hit only at the very start: a long scan
    const controller = new AbortController();
    const progress: number[] = [];
    const r = await t.reverseContinue({ signal: controller.signal, onProgress: (f) => { progress.push(f); if (progress.length === 3) controller.abort(); } });
    expect(r.reason).toBe('cancelled');
    expect(t.icount).toBe(end);
    expect(progress.length).toBe(3);
  });

  it('continue stops at the replay-break position', async () => {
    const rec = await recordExample('hello');
    const t = await openReplay(rec.file);
    t.replayBreak(4321n);
    const r = await t.continue();
    expect(r.reason).toBe('replay-break');
    expect(r.icount).toBe(4321n);
    t.deleteReplayBreak();
    expect((await t.continue()).reason).toBe('exit');
  });
});

describe('step over calls, both ways', () => {
  it('steps over a call to the next instruction, and back over it to the call', async () => {
    const rec = await recordExample('hello', '', { checkpointInterval: 1n << 11n });
    const t = await openReplay(rec.file, { checkpointInterval: 1n << 11n });
    // Find the first call made from main.
    const main = BigInt(t.machine.symbols.lookup('main')!.address);
    t.addBreakpoint(main);
    await t.continue();
    t.listTraps().forEach((x) => t.deleteTrap(x.id));
    let callAt = -1n;
    for (let i = 0; i < 200; i++) {
      const word = t.machine.readMemory(t.pc, 4)!;
      const bits = word.reduce((a, b, k) => a | (b << (8 * k)), 0) >>> 0;
      if ((bits & 0x7f) === 0x6f && ((bits >> 7) & 31) === 1) { callAt = t.icount; break; }
      t.stepi();
    }
    expect(callAt).toBeGreaterThan(0n);
    const pcCall = t.pc;
    const sp = t.machine.registers()[2];
    const over = await t.stepOver();
    expect(over.reason).toBe('step');
    expect(t.pc).toBe(pcCall + 4n);
    expect(t.machine.registers()[2]).toBe(sp);
    expect(t.icount - callAt).toBeGreaterThan(10n);
    const back = await t.reverseStepOver();
    expect(back.reason).toBe('step');
    expect(t.icount).toBe(callAt);
    expect(t.pc).toBe(pcCall);
    // In straight-line code both are one instruction.
    t.seek(callAt - 1n);
    const before = t.pc;
    await t.stepOver();
    expect(t.icount).toBe(callAt);
    await t.reverseStepOver();
    expect(t.pc).toBe(before);
  });
});

describe('first pass by seeking', () => {
  it('seeking far ahead on a fresh replay checks every digest on the way, like continue does', async () => {
    // Seeks leave snapshots between checkpoints; the memory digest must still see every page written.
    const rec = await recordExample('corruption', '', { checkpointInterval: 1n << 12n });
    const t = await openReplay(rec.file, { checkpointInterval: 1n << 12n });
    t.seek(t.length - 1n);
    expect(t.icount).toBe(t.length - 1n);
    t.seek(5n);
    t.seek(t.length);
    expect(t.icount).toBe(t.length);
  });
});
