// Notes, breakpoints, watchpoints and the instant travel with a recording: saved
// in IndexedDB as they change, exported in the file's anno chunk, and found
// again where the file is opened (a teammate's browser, a reload).
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Timeline } from '../replay/timeline';
import { RecordingWriter, parseRecording, sha256Hex } from '../formats/recording';
import { concatBytes } from '../formats/bytes';
import { RecordingStore } from '../storage';
import { LiveInput } from './live-input';
import { Session } from './session';
import { SessionAnnotations, withAnnotations } from './annotations';

const ROOT = join(import.meta.dirname, '../..');
const wasm = readFileSync(join(ROOT, 'build/core.release.wasm'));
const corruption = new Uint8Array(readFileSync(join(ROOT, 'public/examples/corruption.elf')));
const openStore = () => RecordingStore.open('hindsight', new IDBFactory(), { storage: null });

async function recorded(store: RecordingStore) {
  const timeline = await Timeline.record(wasm, corruption, 'corruption.elf', { ramMiB: 32, commandLine: 'corruption.elf' }, new LiveInput(), 'browser');
  const session = await Session.open({ timeline, name: 'corruption.elf', programName: 'corruption.elf', sources: {}, store, storageProblem: null, input: new LiveInput() });
  await session.record({}, () => {});
  return session;
}

describe('annotations of a session', () => {
  it('are saved as they change, exported in the file, and restored where a teammate opens it', async () => {
    const mine = await openStore();
    const session = await recorded(mine);
    const id = session.status().recordingId!;
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    session.addBreakpoint('median_of');
    session.addWatchpoint('calibration_offset', 4, 'write');
    const bp = session.traps()[0];
    session.setTrapEnabled(bp.id, false);
    session.annotations.trapsChanged();
    await session.seek(12_345, {});
    expect(session.addNote('  the store that corrupts it  ')).toEqual([{ id: 1, icount: 12_345, text: 'the store that corrupts it' }]);
    session.addNote('earlier', 100, 200);
    await session.annotations.flush();
    const saved = await mine.getAnnotations(id);
    expect(saved.notes.map((n) => n.text)).toEqual(['earlier', 'the store that corrupts it']);
    expect(saved.traps.map((t) => [t.kind, t.label, t.enabled])).toEqual([['breakpoint', 'median_of', false], ['watchpoint', 'calibration_offset', true]]);
    expect(saved.position).toEqual({ icount: 12_345n, hart: 0 });

    const { bytes } = await session.exportFile();
    const file = parseRecording(bytes);
    expect(file.id).toBe(id);
    expect(file.annotations?.notes).toHaveLength(2);
    expect(file.end).toBeDefined();
    await session.close();

    // The teammate's browser: another store; the import keeps the id and the annotations, and the session opens with them.
    const theirs = await openStore();
    expect(await theirs.importFile(bytes)).toBe(id);
    const annotations = await theirs.getAnnotations(id);
    const timeline = await Timeline.replay(wasm, parseRecording(await theirs.exportFile(id)));
    const opened = await Session.open({ timeline, name: 'corruption', programName: 'corruption.elf', sources: {}, store: theirs, storageProblem: null, recordingId: id, annotations });
    await opened.prime(Number(annotations.position!.icount), undefined);
    expect(opened.view({}).icount).toBe(12_345);
    expect(opened.info().notes.map((n) => n.text)).toEqual(['earlier', 'the store that corrupts it']);
    const traps = opened.traps();
    expect(traps.map((t) => [t.kind, t.label, t.enabled, t.address])).toEqual(session.traps().map((t) => [t.kind, t.label, t.enabled, t.address]));
    // The restored watchpoint works: reverse-continue from the end finds the last write.
    await opened.seek(opened.status().length, {});
    const back = await opened.move('reverse-continue', {}, () => {});
    expect(back.result.reason).toBe('watchpoint');
    await opened.close();
  });

  it('refuses notes without text, too long, or unknown, and saves in order', async () => {
    const saves: number[] = [];
    let slow = Promise.resolve();
    const a = new SessionAnnotations({ traps: () => [], save: async (x) => { await slow; saves.push(x.notes.length); } });
    expect(() => a.add('   ', 1n)).toThrow(/needs some text/);
    expect(() => a.add('x'.repeat(4001), 1n)).toThrow(/at most 4000 characters/);
    expect(() => a.add('x', 5n, 2n)).toThrow(/must end after it starts/);
    expect(() => a.remove(9)).toThrow(/no note 9/);
    let release!: () => void;
    slow = new Promise((r) => { release = r; });
    a.add('one', 1n);
    a.add('two', 2n);
    a.edit(1, 'uno');
    release();
    await a.flush();
    expect(saves).toEqual([1, 2, 2]);
    expect(a.list()).toEqual([{ id: 1, icount: 1, text: 'uno' }, { id: 2, icount: 2, text: 'two' }]);
    // A failed save is reported, not thrown; the next one tries again.
    const failing = new SessionAnnotations({ traps: () => [], save: async () => { throw new Error('quota'); } });
    failing.add('x', 0n);
    await failing.flush();
    expect(failing.problem).toMatch(/not saved in this browser: quota/);
  });

  it('withAnnotations replaces the anno chunk before END, or removes it when there is nothing to keep', () => {
    const program = corruption.subarray(0, 64);
    const meta = { name: 'p', ramMiB: 16, commandLine: 'p', createdAt: '2026-01-01T00:00:00.000Z', recorder: 't', host: 'cli' as const, programSha256: sha256Hex(program) };
    const end = RecordingWriter.end({ icount: 10n, reason: 'exit', exitCode: 0, finalDigest: '00'.repeat(8) }, { eventCount: 0, outputBytes: 0 });
    const plain = concatBytes([RecordingWriter.start(meta, program), end]);
    const one = withAnnotations(plain, { notes: [{ id: 1, icount: 3n, text: 'a' }], traps: [] });
    expect(parseRecording(one).annotations?.notes[0].text).toBe('a');
    expect(parseRecording(one).end?.icount).toBe(10n);
    const two = withAnnotations(one, { notes: [{ id: 2, icount: 4n, text: 'b' }], traps: [] });
    expect(parseRecording(two).annotations?.notes.map((n) => n.text)).toEqual(['b']);
    expect(two.length).toBe(one.length);
    expect(Array.from(withAnnotations(two, { notes: [], traps: [] }))).toEqual(Array.from(plain));
    // A file that cannot be read is given back as it is.
    const junk = new Uint8Array([1, 2, 3]);
    expect(withAnnotations(junk, { notes: [], traps: [] })).toBe(junk);
  });
});
