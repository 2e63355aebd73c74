// The worker's session over a Timeline, in Node (fake IndexedDB): recording
// with saving as it goes, travelling in slices, the frontier marker of a
// stopped recording, console input, exports.
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Timeline } from '../replay/timeline';
import { setJitDefault } from '../engine/machine';
import { RecordingWriter, parseRecording } from '../formats/recording';
import { RecordingStore, StorageFullError } from '../storage';
import type { ProgressEvent } from '../engine-api';
import { LiveInput } from './live-input';
import { SLICE, Session, withSources } from './session';

const ROOT = join(import.meta.dirname, '../..');
const wasm = readFileSync(join(ROOT, 'build/core.release.wasm'));
const elf = (name: string) => new Uint8Array(readFileSync(join(ROOT, 'public/examples', `${name}.elf`)));

async function openStore(): Promise<RecordingStore> {
  return RecordingStore.open('hindsight', new IDBFactory(), { storage: null });
}

async function liveSession(name: string, store: RecordingStore | null, sources: Record<string, string> = {}) {
  const input = new LiveInput();
  const timeline = await Timeline.record(wasm, elf(name), `${name}.elf`, { ramMiB: 32, commandLine: `${name}.elf` }, input, 'browser');
  const session = await Session.open({ timeline, name: `${name}.elf`, programName: `${name}.elf`, sources, store, storageProblem: null, input });
  return { session, input, timeline };
}

async function replaySession(bytes: Uint8Array, store: RecordingStore | null = null, recordingId: string | null = null) {
  const parsed = parseRecording(bytes);
  const timeline = await Timeline.replay(wasm, parsed);
  const session = await Session.open({ timeline, name: 'replay', programName: parsed.meta.name, sources: parsed.sources ?? {}, store, storageProblem: null, recordingId });
  return session;
}

const concatAll = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
};

const consoleText = (events: { kind: string; text: string }[]) => events.filter((e) => e.kind === 'stdout').map((e) => e.text).join('');

describe('Session', () => {
  it('records the corruption example, saves it as it goes, and replays it to the same states', async () => {
    const store = await openStore();
    const { session } = await liveSession('corruption', store, { 'corruption.c': 'int main() {}' });
    const progress: ProgressEvent[] = [];
    const answer = await session.record({}, (e) => progress.push(e));
    expect(answer.result.reason).toBe('exit');
    expect(answer.result.exitCode).toBe(1);
    expect(answer.status.ended).toEqual({ reason: 'exit', exitCode: 1 });
    expect(answer.status.phase).toBe('fixed');
    const live = progress.flatMap((e) => (e.kind === 'console' ? e.events : []));
    expect(consoleText([...live, ...answer.console])).toContain('SELF-CHECK FAILED');
    expect(session.info().console).toEqual([...live, ...answer.console]);
    const id = answer.status.recordingId;
    expect(id).not.toBeNull();

    const { bytes } = await session.exportFile();
    const parsed = parseRecording(bytes);
    expect(parsed.end?.icount).toBe(BigInt(answer.status.length));
    expect(parsed.sources).toEqual({ 'corruption.c': 'int main() {}' });
    const stored = (await store.list())[0];
    expect(stored.length).toBe(String(answer.status.length));
    expect(stored.ended).toEqual({ reason: 'exit', exitCode: 1 });

    const replay = await replaySession(bytes);
    await replay.prime(0, undefined);
    for (const t of [0, 1, 5000, 14311, answer.status.length - 1, answer.status.length]) {
      const a = await session.seek(t, {});
      const b = await replay.seek(t, {});
      expect(b.view.registers).toEqual(a.view.registers);
      expect(b.view.pc).toBe(a.view.pc);
      expect(b.view.icount).toBe(t);
    }
  });

  it('finds the store that corrupts calibration_offset with a watchpoint and reverse-continue', async () => {
    const { session } = await liveSession('corruption', null);
    await session.record({}, () => {});
    session.addWatchpoint('calibration_offset', 4, 'write');
    const r = await session.move('reverse-continue', { memory: { at: 'calibration_offset', length: 64 } }, () => {});
    expect(r.result.reason).toBe('watchpoint');
    expect(r.result.watch?.pcLabel).toMatch(/^smooth_readings\+/);
    expect(r.view.memory?.symbol).toBe('calibration_offset');
    expect(r.view.memory?.targetSize).toBe(4);
  });

  it('stopping a long recording keeps exactly what was recorded, marked with where it stopped', async () => {
    const store = await openStore();
    const { session, timeline } = await liveSession('bench', store);
    let slices = 0;
    const answer = await session.record({}, (e) => {
      if (e.kind === 'progress' && ++slices === 3) session.stop();
    });
    expect(answer.result.reason).toBe('stopped');
    expect(answer.status.phase).toBe('live');
    const length = answer.status.length;
    expect(length).toBeGreaterThan(Number(SLICE));
    expect(timeline.icount).toBe(BigInt(length));
    const id = answer.status.recordingId as string;
    const stored = parseRecording(await store.exportFile(id));
    expect(stored.end).toBeUndefined();
    expect(stored.events.at(-1)?.icount).toBe(BigInt(length));
    expect((await store.get(id))?.length).toBe(String(length));
    // A replay of the stored file reaches exactly that far, with the same state there.
    const replay = await replaySession(await store.exportFile(id), store, id);
    await replay.prime(length, undefined);
    expect(replay.engineState()).toEqual(session.engineState());

    // Recording can go on from there, and the stored file grows.
    let more = 0;
    const again = await session.record({}, (e) => { if (e.kind === 'progress' && ++more === 2) session.stop(); });
    expect(again.status.length).toBeGreaterThan(length);
    const grown = parseRecording(await store.exportFile(id));
    expect(grown.events.at(-1)?.icount).toBe(BigInt(again.status.length));
  });

  it('a full disk stops the recording with a clear message; the recording is kept and can be exported', async () => {
    // A store that keeps the start of the file in memory and is full at the first piece appended to it
    // (the saver's first flush, a second into the run).
    const pieces: Uint8Array[] = [];
    const full = {
      create: async (_info: unknown, first: Uint8Array) => { pieces.push(first); return 'rec-1'; },
      putSources: async () => {},
      appendLog: async () => {
        throw new StorageFullError('browser storage is full: the recording was stopped at icount 123 and keeps everything written before');
      },
      exportFile: async () => concatAll(pieces),
    } as unknown as RecordingStore;
    // Interpreted, so that the run certainly outlasts that first second on any machine.
    setJitDefault(false);
    const { session } = await liveSession('bench', full).finally(() => setJitDefault(true));
    const answer = await session.record({}, () => {});
    expect(answer.result.reason).toBe('stopped');
    expect(answer.result.message).toMatch(/^browser storage is full/);
    expect(answer.status.storageProblem).toMatch(/^browser storage is full/);
    expect(answer.status.length).toBeGreaterThan(0);
    expect(answer.status.length).toBeLessThan(600_000_000);
    // Still a recording to travel in, and to export (made from memory, as far as it went).
    const back = await session.seek(1000, {});
    expect(back.view.icount).toBe(1000);
    const { bytes } = await session.exportFile();
    const parsed = parseRecording(bytes);
    expect(parsed.end).toBeUndefined();
    expect(parsed.events.some((e) => e.icount > 4_000_000n)).toBe(true);
    // What was stored is a valid recording, shorter.
    const stored = parseRecording(concatAll(pieces));
    expect(stored.truncation).toBeUndefined();
    expect(stored.events.length).toBeLessThan(parsed.events.length);
  });

  it('waits for console input while recording, and logs what it got', async () => {
    const { session } = await liveSession('echo', null);
    const seen: ProgressEvent[] = [];
    const recording = session.record({}, (e) => {
      seen.push(e);
      if (e.kind === 'progress' && e.status.phase === 'waiting-input' && seen.filter((x) => x.kind === 'progress' && x.status.phase === 'waiting-input').length === 1) {
        session.sendInput('hello there\n');
        session.endInput();
      }
    });
    const answer = await recording;
    expect(answer.result.reason).toBe('exit');
    const all = [...seen.flatMap((e) => (e.kind === 'console' ? e.events : [])), ...answer.console];
    expect(all.some((e) => e.kind === 'stdin' && e.text === 'hello there\n')).toBe(true);
    expect(all.some((e) => e.kind === 'eof')).toBe(true);
    expect(consoleText(all)).toContain('1: HELLO THERE');
  });

  it('continue in slices stops at the same breakpoint hits as the engine running straight through', async () => {
    const { session, timeline } = await liveSession('hello', null);
    await session.record({}, () => {});
    session.addBreakpoint('sys_semihost');
    await session.seek(0, {});
    const sliced: number[] = [];
    for (;;) {
      const r = await session.move('continue', {}, () => {});
      if (r.result.reason !== 'breakpoint') break;
      sliced.push(r.result.icount);
    }
    timeline.seek(0n);
    const straight: number[] = [];
    for (;;) {
      const r = await timeline.continue();
      if (r.reason !== 'breakpoint') break;
      straight.push(Number(r.icount));
    }
    expect(sliced.length).toBeGreaterThan(3);
    expect(sliced).toEqual(straight);
  });

  it('a breakpoint exactly at a slice boundary is still a hit', async () => {
    const store = null;
    const { session, timeline } = await liveSession('bench', store);
    await session.record({}, () => {});
    // Where the engine, running straight through, meets printf the second time.
    const bp = timeline.addBreakpoint('printf');
    timeline.seek(0n);
    await timeline.continue();
    const second = await timeline.continue();
    expect(second.reason).toBe('breakpoint');
    // Start one slice before it: the session's first slice ends right there.
    await session.seek(Number(second.icount - SLICE), {});
    const r = await session.move('continue', {}, () => {});
    expect(r.result.reason).toBe('breakpoint');
    expect(r.result.breakpointId).toBe(bp.id);
    expect(BigInt(r.result.icount)).toBe(second.icount);
  });

  it('step over runs over a call; reverse step over comes back to it', async () => {
    const { session } = await liveSession('corruption', null);
    await session.record({}, () => {});
    const main = session.resolve('main').address;
    session.addBreakpoint(main);
    await session.seek(0, {});
    const atMain = await session.move('continue', {}, () => {});
    expect(atMain.result.reason).toBe('breakpoint');
    // Step until the pc is at a call (jal ra, ...), then step over it.
    let view = atMain.view;
    for (let i = 0; i < 20 && !/^jal\s+(ra,)?\S/.test(view.instruction); i++) view = (await session.move('step', {}, () => {})).view;
    expect(view.instruction).toMatch(/^jal/);
    const before = view;
    const over = await session.move('step-over', {}, () => {});
    expect(over.result.reason).toBe('step');
    expect(BigInt(over.view.pc)).toBe(BigInt(before.pc) + 4n);
    expect(over.view.icount).toBeGreaterThan(before.icount + 1);
    const back = await session.move('reverse-step-over', {}, () => {});
    expect(back.view.icount).toBe(before.icount);
  });

  it('shows the reset ROM from memory and resolves symbols, registers and addresses', async () => {
    const { session } = await liveSession('hello', null);
    const view = session.view({ memory: { at: 'sp', length: 32 } });
    expect(view.icount).toBe(0);
    expect(view.pc).toBe('0x0000000000001000');
    expect(view.localListing?.addresses).toContain(0x1000);
    expect(session.resolve('main').label).toBe('main');
    expect(session.resolve('0x80000000').address).toBe(0x80000000);
    expect(() => session.resolve('no_such_symbol')).toThrow(/no symbol called "no_such_symbol"/);
    expect(session.info().listing.text).toContain('<main>:');
  });

  it('shows the FPU: f0..f31 as raw bits, fcsr once mstatus.FS is on; the same in a replay', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hindsight-fpu-'));
    try {
      const out = join(dir, 'fpregs.elf');
      const r = spawnSync('riscv64-unknown-elf-gcc', ['-march=rv64gc', '-mabi=lp64d', '-nostdlib', '-nostartfiles', '-static',
        '-Wl,-T,bare.ld', '-Wl,--no-warn-rwx-segments', join(ROOT, 'tests/fixtures/fpregs.S'), '-o', out],
      { cwd: join(ROOT, 'public/examples'), encoding: 'utf8' });
      if (r.error) throw r.error;
      expect(r.status, r.stderr).toBe(0);
      const input = new LiveInput();
      const timeline = await Timeline.record(wasm, new Uint8Array(readFileSync(out)), 'fpregs.elf', { ramMiB: 16, commandLine: 'fpregs.elf' }, input, 'browser');
      const session = await Session.open({ timeline, name: 'fpregs.elf', programName: 'fpregs.elf', sources: {}, store: null, storageProblem: null, input });
      const start = session.view({});
      expect(start.fpu.fcsr).toBeNull();
      expect(start.fpu.registers).toEqual(Array.from({ length: 32 }, () => '0x0000000000000000'));
      const end = await session.record({}, () => {});
      expect(end.result.reason).toBe('exit');
      const f = end.view.fpu;
      expect(f.registers).toHaveLength(32);
      expect(f.registers[10]).toBe('0x3ff8000000000000'); // fa0 = 1.5
      expect(f.registers[12]).toBe('0xffffffff40400000'); // fa2 = 3.0f, NaN-boxed
      expect(f.registers[4]).toBe('0x7ff0000000000000'); // ft4 = inf
      expect(f.fcsr).toBe('0x0000000000000029'); // rtz; DZ, NX
      expect(session.engineState().fpu).toEqual(f);
      const replay = await replaySession((await session.exportFile()).bytes);
      await replay.prime(end.status.length, undefined);
      expect(replay.engineState().fpu).toEqual(f);
      const middle = await replay.seek(8, {});
      expect(middle.view.fpu.fcsr).toBe('0x0000000000000000');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a replayed recording is verified only once replay has run through all of it; a tampered one stops with where it differs', async () => {
    const { session } = await liveSession('hello', null);
    await session.record({}, () => {});
    expect(session.status().verified).toBeUndefined();
    const { bytes } = await session.exportFile();
    const replay = await replaySession(bytes);
    expect(replay.status().verified).toBe(false);
    await replay.prime(0, undefined);
    expect(replay.status().verified).toBe(true);
    // The output changed in the file (checksums fixed by rewriting it): replay finds it.
    const parsed = parseRecording(bytes);
    const events = parsed.events.map((e) => (e.kind === 'output' ? { ...e, bytes: new TextEncoder().encode('Hello, forged!\n'.slice(0, e.bytes.length).padEnd(e.bytes.length, '!')) } : e));
    const forged = concatAll([RecordingWriter.start(parsed.meta, parsed.program), RecordingWriter.events(events), RecordingWriter.end(parsed.end!)]);
    const tampered = await replaySession(forged);
    await expect(tampered.prime(0, undefined)).rejects.toThrow(/replay diverged at icount \d+: stdout/);
    expect(tampered.status().verified).toBe(false);
  });

  it('adds a SRCS chunk before END when exporting', async () => {
    const { session } = await liveSession('hello', null);
    await session.record({}, () => {});
    const { bytes } = await session.exportFile();
    const parsed = parseRecording(bytes);
    expect(parsed.sources).toBeUndefined();
    const withSrc = parseRecording(withSources(bytes, { 'hello.c': 'x' }));
    expect(withSrc.sources).toEqual({ 'hello.c': 'x' });
    expect(withSrc.end).toEqual(parsed.end);
  });
});
