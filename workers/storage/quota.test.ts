/**
 * Failed writes: the browser's storage fills up (QuotaExceededError) or
 * fails otherwise, at every write of every operation, in the three ways a
 * browser reports it (see test-support.ts). What is stored must always be a
 * valid recording whose metadata matches it, and other recordings must not
 * change.
 */

import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { wrap, type IDBPDatabase } from 'idb';
import { RecordingWriter, parseRecording, sha256Hex } from '../formats/recording';
import { RecordingStore, StorageError, StorageFullError, type RecordingInfo } from './index';
import { concatBytes, randomBytes, rng, spyOnWrites, testRecording, type FaultMode, type WriteSpy } from './test-support';

const MODES: FaultMode[] = ['throw', 'request', 'commit'];

let factory: IDBFactory;
let store: RecordingStore;
let spy: WriteSpy;

beforeEach(async () => {
  factory = new IDBFactory();
  store = await RecordingStore.open('hindsight', factory, { storage: null });
  spy = spyOnWrites();
});

afterEach(() => {
  spy.restore();
  store.close();
});

/** Every row of every store, byte fields replaced by their SHA-256 (comparing large arrays element by element is slow). */
async function snapshotAll(): Promise<Record<string, unknown[]>> {
  const db = (await wrap(factory.open('hindsight'))) as IDBPDatabase;
  const out: Record<string, unknown[]> = {};
  for (const name of db.objectStoreNames) {
    const rows = (await db.getAll(name)) as Record<string, unknown>[];
    out[name] = rows.map((row) =>
      Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v instanceof Uint8Array ? `${v.length} bytes, sha256 ${sha256Hex(v)}` : v])),
    );
  }
  db.close();
  return out;
}

/** Counts the writes `op` makes when nothing fails. */
async function writesOf(op: () => Promise<unknown>): Promise<number> {
  spy.clear();
  await op();
  return spy.writes.length;
}

/** The stored recording is a readable file whose metadata describes exactly what is stored. */
async function expectConsistent(id: string, pieces: Uint8Array[], info: RecordingInfo | undefined): Promise<void> {
  const file = await store.exportFile(id);
  expect(file).toEqual(concatBytes(pieces));
  const parsed = parseRecording(file);
  expect(parsed.truncation).toBeUndefined();
  expect(parsed.validLength).toBe(file.length);
  const stored = await store.get(id);
  expect(stored).toEqual(info);
  expect(stored?.pieces).toBe(pieces.length);
  expect(stored?.sizes.log).toBe(file.length);
}

describe.each(MODES)('storage full (%s)', (mode) => {
  it('appendLog fails whole: the recording stays valid and exportable, another is untouched, and recording can go on', async () => {
    const a = testRecording(1, 6, true);
    const b = testRecording(2, 3);
    const idA = await store.create({ name: 'a', programName: 'a', programSha256: a.meta.programSha256, createdAt: a.meta.createdAt }, a.pieces[0]);
    const idB = await store.create({ name: 'b', programName: 'b', programSha256: b.meta.programSha256, createdAt: b.meta.createdAt }, b.pieces[0]);
    for (let i = 1; i < b.pieces.length; i++) await store.appendLog(idB, b.pieces[i], { length: b.icounts[i] });
    const bFile = await store.exportFile(idB);
    const bInfo = await store.get(idB);

    const perAppend = await writesOf(() => store.appendLog(idA, a.pieces[1], { length: a.icounts[1] }));
    expect(perAppend).toBe(2); // the piece and the metadata
    let stored = 2;
    for (let i = 2; i < a.pieces.length; i++) {
      for (let n = 1; n <= perAppend; n++) {
        const before = await store.get(idA);
        spy.failAt(n, mode);
        const failure = store.appendLog(idA, a.pieces[i], { length: a.icounts[i], ...(i === a.pieces.length - 1 ? { ended: { reason: 'exit' } } : {}) });
        await expect(failure).rejects.toBeInstanceOf(StorageFullError);
        await expect(failure).rejects.toThrow(
          `browser storage is full: the recording was stopped at icount ${a.icounts[stored - 1]} and keeps everything written before`,
        );
        expect(spy.fired).toBe(true);
        await expectConsistent(idA, a.pieces.slice(0, stored), before);
        expect(await store.exportFile(idB)).toEqual(bFile);
        expect(await store.get(idB)).toEqual(bInfo);
      }
      // Space again: the same piece goes in, right after the last stored one.
      await store.appendLog(idA, a.pieces[i], { length: a.icounts[i] });
      stored++;
    }
    const file = await store.exportFile(idA);
    expect(file).toEqual(concatBytes(a.pieces));
    expect(parseRecording(file).end).toBeDefined();
  });

  it('a recorder that stops at the first failure keeps a valid recording matching its metadata', async () => {
    const rec = testRecording(3, 12, true);
    const other = testRecording(4, 2, true);
    const otherId = await store.importFile(concatBytes(other.pieces));
    const otherBefore = await snapshotAll();
    const id = await store.create({ name: 'r', programName: 'r', programSha256: rec.meta.programSha256, createdAt: rec.meta.createdAt }, rec.pieces[0]);
    const next = rng(mode.length);
    spy.failAt(1 + Math.floor(next() * 15), mode);
    let appended = 1;
    let error: unknown;
    for (; appended < rec.pieces.length; appended++) {
      try {
        await store.appendLog(id, rec.pieces[appended], { length: rec.icounts[appended] });
      } catch (e) {
        error = e;
        break;
      }
    }
    expect(error).toBeInstanceOf(StorageFullError);
    expect((error as Error).message).toBe(
      `browser storage is full: the recording was stopped at icount ${rec.icounts[appended - 1]} and keeps everything written before`,
    );
    const info = await store.get(id);
    expect(info?.length).toBe(rec.icounts[appended - 1].toString());
    await expectConsistent(id, rec.pieces.slice(0, appended), info);
    const now = await snapshotAll();
    for (const [name, rows] of Object.entries(otherBefore)) {
      const mine = (row: unknown) => JSON.stringify(row).includes(otherId);
      expect(now[name].filter(mine)).toEqual(rows.filter(mine));
    }
  });

  it('setProgress fails without changing the metadata', async () => {
    const rec = testRecording(5, 2);
    const id = await store.importFile(concatBytes(rec.pieces));
    const before = await store.get(id);
    spy.failAt(1, mode);
    await expect(store.setProgress(id, { length: 99n, ended: { reason: 'exit' } })).rejects.toThrow(
      `browser storage is full: the recording was stopped at icount ${before?.length} and keeps everything written before`,
    );
    expect(await store.get(id)).toEqual(before);
  });

  it('create and importFile store nothing when any of their writes fails', async () => {
    const kept = testRecording(6, 2, true);
    await store.importFile(concatBytes(kept.pieces));
    const rec = testRecording(7, 5, true);
    const file = concatBytes(rec.pieces);
    const before = await snapshotAll();
    const importWrites = await writesOf(async () => store.delete(await store.importFile(file)));
    expect(importWrites).toBe(1 + rec.pieces.length);
    for (let n = 1; n <= importWrites; n++) {
      spy.failAt(n, mode);
      await expect(store.importFile(file)).rejects.toThrow('browser storage is full: the recording was not imported; nothing was stored');
      expect(await snapshotAll()).toEqual(before);
    }
    for (let n = 1; n <= 2; n++) {
      spy.failAt(n, mode);
      const creation = store.create({ name: 'c', programName: 'c', programSha256: rec.meta.programSha256, createdAt: rec.meta.createdAt }, rec.pieces[0]);
      await expect(creation).rejects.toBeInstanceOf(StorageFullError);
      await expect(creation).rejects.toThrow('browser storage is full: the recording could not be started; nothing was stored');
      expect(await snapshotAll()).toEqual(before);
    }
  });

  it('writeImage keeps the previous image whole when any chunk write fails', async () => {
    const rec = testRecording(8, 1);
    const id = await store.importFile(concatBytes(rec.pieces));
    const other = await store.importFile(concatBytes(testRecording(9, 1).pieces));
    const C = 65536;
    const image = randomBytes(rng(8), 5 * C + 3);
    await store.writeImage(id, [{ offset: 0, bytes: image }], image.length);
    await store.writeImage(other, [{ offset: 0, bytes: image.subarray(0, C) }], C);
    const before = await snapshotAll();
    const ranges = [
      { offset: 10, bytes: randomBytes(rng(1), 100) },
      { offset: 2 * C - 1, bytes: randomBytes(rng(2), 2 * C) },
      { offset: 5 * C, bytes: randomBytes(rng(3), 3) },
    ];
    const grown = 6 * C;
    // Count the writes on a copy of the situation: another recording with the same image.
    const probe = await store.importFile(concatBytes(testRecording(10, 1).pieces));
    await store.writeImage(probe, [{ offset: 0, bytes: image }], image.length);
    const writes = await writesOf(() => store.writeImage(probe, ranges, grown));
    expect(writes).toBe(6); // chunks 0, 1, 2, 3 and 5, and the metadata
    await store.delete(probe);
    for (let n = 1; n <= writes; n++) {
      spy.failAt(n, mode);
      await expect(store.writeImage(id, ranges, grown)).rejects.toThrow(
        'browser storage is full: the snapshot image was not updated and keeps its previous contents',
      );
      expect(await snapshotAll()).toEqual(before);
    }
    await store.writeImage(id, ranges, grown);
    const expected = new Uint8Array(grown);
    expected.set(image);
    for (const { offset, bytes } of ranges) expected.set(bytes, offset);
    expect(Buffer.compare(expected, (await store.readImage(id)) as Uint8Array)).toBe(0);
  });

  it('putSources keeps the previous sources when any write fails', async () => {
    const id = await store.importFile(concatBytes(testRecording(10, 1).pieces));
    await store.putSources(id, { 'old.c': 'old' });
    const before = await snapshotAll();
    const files = { 'a.c': 'a', 'b.c': 'b', 'c.c': 'c' };
    for (let n = 1; n <= 4; n++) {
      spy.failAt(n, mode);
      await expect(store.putSources(id, files)).rejects.toThrow('browser storage is full: the source files were not saved; the previous ones are kept');
      expect(await snapshotAll()).toEqual(before);
    }
    await store.putSources(id, files);
    expect(await store.getSources(id)).toEqual(files);
  });

  it('rename fails without change', async () => {
    const id = await store.importFile(concatBytes(testRecording(11, 1).pieces));
    const before = await store.get(id);
    spy.failAt(1, mode);
    await expect(store.rename(id, 'new')).rejects.toThrow('browser storage is full: the recording was not renamed');
    expect(await store.get(id)).toEqual(before);
  });
});

describe('other storage failures', () => {
  it('are StorageErrors (not StorageFullErrors) naming the browser’s error, with the same all-or-nothing result', async () => {
    const rec = testRecording(20, 3);
    const id = await store.importFile(concatBytes(rec.pieces.slice(0, 2)));
    const before = await store.get(id);
    for (const mode of MODES) {
      spy.failAt(1, mode, 'UnknownError');
      const failure = store.appendLog(id, rec.pieces[2]);
      await expect(failure).rejects.toBeInstanceOf(StorageError);
      await expect(failure).rejects.not.toBeInstanceOf(StorageFullError);
      await expect(failure).rejects.toThrow(
        new RegExp(`^browser storage failed \\(UnknownError.*\\): the recording was stopped at icount ${before?.length} and keeps everything written before$`),
      );
      expect(await store.get(id)).toEqual(before);
    }
    spy.failAt(1, 'request', 'DataCloneError');
    await expect(store.rename(id, 'x')).rejects.toThrow(/^browser storage failed \(DataCloneError: simulated DataCloneError\): the recording was not renamed$/);
  });

  it('after the connection is closed', async () => {
    const id = await store.importFile(concatBytes(testRecording(21, 1).pieces));
    store.close();
    await expect(store.get(id)).rejects.toThrow('the recording store was closed');
    await expect(store.appendLog(id, RecordingWriter.events([]))).rejects.toBeInstanceOf(StorageError);
  });
});
