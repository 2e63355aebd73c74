import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { wrap, type IDBPDatabase } from 'idb';
import { RecordingError, RecordingWriter, parseRecording, sha256Hex } from '../formats/recording';
import { crc32 } from '../formats/crc32';
import { RecordingNotFoundError, RecordingStore, StorageError, IMAGE_CHUNK_SIZE as C } from './index';
import { concatBytes, randomBytes, rng, spyOnWrites, testRecording, type TestRecording, type WriteSpy } from './test-support';

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

let factory: IDBFactory;
let store: RecordingStore;
let clock: number;

beforeEach(async () => {
  factory = new IDBFactory();
  clock = Date.UTC(2025, 5, 1);
  store = await RecordingStore.open('hindsight', factory, { now: () => new Date((clock += 1000)), storage: null });
});

afterEach(() => store.close());

/** Stores a test recording piece by piece, as a recorder would. */
async function record(rec: TestRecording, name = rec.meta.name): Promise<string> {
  const id = await store.create(
    { name, programName: rec.meta.name, programSha256: rec.meta.programSha256, createdAt: rec.meta.createdAt },
    rec.pieces[0],
  );
  for (let i = 1; i < rec.pieces.length; i++) await store.appendLog(id, rec.pieces[i], { length: rec.icounts[i] });
  return id;
}

/** Every key of every store, read through a separate connection. */
async function allKeys(): Promise<Record<string, IDBValidKey[]>> {
  const db = (await wrap(factory.open('hindsight'))) as IDBPDatabase;
  const out: Record<string, IDBValidKey[]> = {};
  for (const name of db.objectStoreNames) out[name] = await db.getAllKeys(name);
  db.close();
  return out;
}

/** Byte equality without element-by-element diffing of large arrays (slow); names the first difference. */
function expectBytes(actual: Uint8Array | undefined, expected: Uint8Array, what = 'bytes'): void {
  expect(actual, `${what}: missing`).toBeInstanceOf(Uint8Array);
  const a = actual as Uint8Array;
  expect(a.length, `${what}: length`).toBe(expected.length);
  const at = a.findIndex((b, i) => b !== expected[i]);
  expect(at, `${what}: first difference`).toBe(-1);
}

/** The recording id a key belongs to. */
const idOf = (key: IDBValidKey) => (Array.isArray(key) ? key[0] : key);

/** A copy of a complete chunk with its payload changed and its CRC made valid again. */
function rechunk(chunk: Uint8Array, change: (payload: Uint8Array) => void): Uint8Array {
  const out = chunk.slice();
  const length = new DataView(out.buffer).getUint32(4, true);
  change(out.subarray(8, 8 + length));
  new DataView(out.buffer).setUint32(8 + length, crc32(out.subarray(0, 8 + length)), true);
  return out;
}

// ---------------------------------------------------------------------------

describe('create, appendLog, exportFile', () => {
  it('exports exactly the concatenated pieces, which parseRecording reads back', async () => {
    const rec = testRecording(1, 5, true);
    const id = await record(rec);
    const file = await store.exportFile(id);
    expect(file).toEqual(concatBytes(rec.pieces));
    const parsed = parseRecording(file);
    expect(parsed.meta).toEqual(rec.meta);
    expect(parsed.program).toEqual(rec.program);
    expect(parsed.end?.icount).toBe(rec.icounts.at(-1));
    expect(parsed.truncation).toBeUndefined();
  });

  it('keeps the metadata in step with the stored pieces', async () => {
    const rec = testRecording(2, 3, true);
    const id = await store.create(
      { name: 'my run', programName: 'prog2.elf', programSha256: rec.meta.programSha256, createdAt: rec.meta.createdAt },
      rec.pieces[0],
    );
    const first = await store.get(id);
    expect(first).toEqual({
      id,
      name: 'my run',
      programName: 'prog2.elf',
      programSha256: rec.meta.programSha256,
      createdAt: rec.meta.createdAt,
      updatedAt: new Date(clock).toISOString(),
      length: '0',
      ended: null,
      pieces: 1,
      imageLength: null,
      sizes: { log: rec.pieces[0].length, image: 0, sources: 0, total: rec.pieces[0].length },
    });
    await store.appendLog(id, rec.pieces[1]);
    expect(await store.get(id)).toMatchObject({ length: '0', pieces: 2 });
    await store.appendLog(id, rec.pieces[2], { length: 1234n });
    expect(await store.get(id)).toMatchObject({ length: '1234', pieces: 3, ended: null });
    await store.setProgress(id, { length: 5000 });
    expect((await store.get(id))?.length).toBe('5000');
    await store.appendLog(id, rec.pieces[3]);
    await store.appendLog(id, rec.pieces[4], { length: '18446744073709551615', ended: { reason: 'exit', exitCode: 3 } });
    const info = await store.get(id);
    const log = rec.pieces.reduce((n, p) => n + p.length, 0);
    expect(info).toMatchObject({
      length: '18446744073709551615',
      ended: { reason: 'exit', exitCode: 3 },
      pieces: 5,
      sizes: { log, image: 0, sources: 0, total: log },
      updatedAt: new Date(clock).toISOString(),
    });
    expect((await store.exportFile(id)).length).toBe(log);
    await store.setProgress(id, { length: 7n, ended: null });
    expect(await store.get(id)).toMatchObject({ length: '7', ended: null });
  });

  it('stores a piece that is a view into a larger buffer as just its bytes', async () => {
    const rec = testRecording(3, 1);
    const id = await record(rec);
    const padded = new Uint8Array(rec.pieces[1].length + 100);
    padded.set(rec.pieces[1], 50);
    await store.appendLog(id, padded.subarray(50, 50 + rec.pieces[1].length));
    expect(await store.exportFile(id)).toEqual(concatBytes([...rec.pieces, rec.pieces[1]]));
    // A structured clone of a view copies its whole buffer: the stored row must hold only the piece.
    const db = (await wrap(factory.open('hindsight'))) as IDBPDatabase;
    const row = (await db.get('logChunks', [id, rec.pieces.length])) as { bytes: Uint8Array };
    db.close();
    expect(row.bytes.buffer.byteLength).toBe(rec.pieces[1].length);
  });

  it('commits each piece on its own: another connection sees every piece as soon as appendLog returns', async () => {
    const rec = testRecording(4, 4, true);
    const other = await RecordingStore.open('hindsight', factory, { storage: null });
    const id = await store.create(
      { name: 'n', programName: 'p', programSha256: rec.meta.programSha256, createdAt: rec.meta.createdAt },
      rec.pieces[0],
    );
    for (let i = 1; i < rec.pieces.length; i++) {
      await store.appendLog(id, rec.pieces[i], { length: rec.icounts[i] });
      expect(await other.exportFile(id)).toEqual(concatBytes(rec.pieces.slice(0, i + 1)));
      expect((await other.get(id))?.length).toBe(rec.icounts[i].toString());
    }
    other.close();
  });

  it('keeps concurrent appends in call order (each transaction sees the one before)', async () => {
    const rec = testRecording(9, 8, true);
    const id = await store.create(
      { name: 'n', programName: 'p', programSha256: rec.meta.programSha256, createdAt: rec.meta.createdAt },
      rec.pieces[0],
    );
    await Promise.all(rec.pieces.slice(1).map((piece, i) => store.appendLog(id, piece, { length: rec.icounts[i + 1] })));
    expect(await store.exportFile(id)).toEqual(concatBytes(rec.pieces));
    expect(await store.get(id)).toMatchObject({ pieces: rec.pieces.length, length: rec.icounts.at(-1)?.toString() });
  });

  it('notices a stored log with a piece missing instead of exporting a broken file', async () => {
    const rec = testRecording(15, 3);
    const id = await record(rec);
    const db = (await wrap(factory.open('hindsight'))) as IDBPDatabase;
    await db.delete('logChunks', [id, 1]);
    db.close();
    await expect(store.exportFile(id)).rejects.toThrow(/is damaged: 4 pieces of its file were saved but 3 are present/);
  });

  it('refuses a first piece that is not the start of a recording, or does not match programSha256', async () => {
    const rec = testRecording(5, 1);
    const info = { name: 'n', programName: 'p', programSha256: rec.meta.programSha256, createdAt: rec.meta.createdAt };
    await expect(store.create(info, rec.pieces[1])).rejects.toThrow(/not the start of a recording: RecordingError: not a Hindsight recording/);
    await expect(store.create(info, rec.pieces[0].subarray(0, rec.pieces[0].length - 1))).rejects.toThrow(/too short/);
    await expect(store.create({ ...info, programSha256: 'ab'.repeat(32) }, rec.pieces[0])).rejects.toThrow(/META says/);
    await expect(store.create({ ...info, programSha256: 'AB'.repeat(32) }, rec.pieces[0])).rejects.toThrow(/64 lowercase hex/);
    await expect(store.create({ ...info, name: ' ' }, rec.pieces[0])).rejects.toThrow(/non-empty/);
    await expect(store.create({ ...info, createdAt: 'yesterday' }, rec.pieces[0])).rejects.toThrow(/createdAt/);
    expect(await store.list()).toEqual([]);
    const id = await store.create({ ...info, createdAt: new Date(Date.UTC(2024, 1, 2)) }, rec.pieces[0]);
    expect((await store.get(id))?.createdAt).toBe('2024-02-02T00:00:00.000Z');
  });

  it('refuses pieces that are not whole, checksummed chunks, and changes nothing', async () => {
    const rec = testRecording(6, 2);
    const id = await record(rec);
    const before = await store.get(id);
    const evts = RecordingWriter.events([]);
    const broken = evts.slice();
    broken[broken.length - 1] ^= 1;
    await expect(store.appendLog(id, new Uint8Array(0))).rejects.toThrow(/empty/);
    await expect(store.appendLog(id, evts.subarray(0, 11))).rejects.toThrow(/not a complete chunk/);
    await expect(store.appendLog(id, concatBytes([evts, rec.pieces[1].subarray(0, 20)]))).rejects.toThrow(/cut off/);
    await expect(store.appendLog(id, broken)).rejects.toThrow(/fails its checksum/);
    await expect(store.appendLog(id, rec.pieces[0].subarray(16))).rejects.toThrow(/META chunk .* can only start/);
    await expect(store.appendLog(id, evts, { length: -1 })).rejects.toThrow(/length must be/);
    await expect(store.appendLog(id, evts, { length: '012' })).rejects.toThrow(RangeError);
    await expect(store.appendLog(id, evts, { length: 2n ** 64n })).rejects.toThrow(RangeError);
    await expect(store.appendLog(id, evts, { length: 1, ended: { reason: 'x', exitCode: 1.5 } })).rejects.toThrow(/exitCode/);
    expect(await store.get(id)).toEqual(before);
    expect(await store.exportFile(id)).toEqual(concatBytes(rec.pieces));
    // Several chunks in one piece are fine.
    await store.appendLog(id, concatBytes([evts, evts]));
    expect((await store.get(id))?.pieces).toBe(rec.pieces.length + 1);
  });

  it('reports an unknown id', async () => {
    const evts = RecordingWriter.events([]);
    await expect(store.appendLog('nope', evts)).rejects.toBeInstanceOf(RecordingNotFoundError);
    await expect(store.setProgress('nope', { length: 1 })).rejects.toThrow('no stored recording has the id "nope"');
    await expect(store.writeImage('nope', [], 0)).rejects.toBeInstanceOf(RecordingNotFoundError);
    await expect(store.putSources('nope', {})).rejects.toBeInstanceOf(RecordingNotFoundError);
    await expect(store.rename('nope', 'x')).rejects.toBeInstanceOf(RecordingNotFoundError);
    await expect(store.exportFile('nope')).rejects.toBeInstanceOf(RecordingNotFoundError);
    expect(await store.get('nope')).toBeUndefined();
    expect(await store.readImage('nope')).toBeUndefined();
    expect(await store.getSources('nope')).toBeUndefined();
    expect(await store.delete('nope')).toBe(false);
    expect(Object.values(await allKeys()).flat()).toEqual([]);
  });
});

describe('list, get, rename, delete', () => {
  it('lists newest first, with each recording’s metadata', async () => {
    const recs = [testRecording(10, 1), testRecording(3, 2, true), testRecording(20, 0)];
    const ids = [];
    for (const rec of recs) ids.push(await record(rec));
    const list = await store.list();
    // createdAt: seed 20 → Jan 21, seed 10 → Jan 11, seed 3 → Jan 4.
    expect(list.map((r) => r.id)).toEqual([ids[2], ids[0], ids[1]]);
    for (const info of list) expect(info).toEqual(await store.get(info.id));
    expect(list[2]).toMatchObject({ name: 'prog3.elf', programName: 'prog3.elf', length: recs[1].icounts.at(-1)?.toString() });
  });

  it('breaks createdAt ties by the latest update', async () => {
    const rec = testRecording(7, 0);
    const a = await record(rec, 'a');
    const b = await record(rec, 'b');
    expect((await store.list()).map((r) => r.name)).toEqual(['b', 'a']);
    await store.rename(a, 'a2');
    expect((await store.list()).map((r) => r.name)).toEqual(['a2', 'b']);
    expect(b).not.toBe(a);
  });

  it('renames', async () => {
    const id = await record(testRecording(8, 1));
    const before = await store.get(id);
    await store.rename(id, 'the bug, finally');
    const after = await store.get(id);
    expect(after).toEqual({ ...before, name: 'the bug, finally', updatedAt: new Date(clock).toISOString() });
    await expect(store.rename(id, '')).rejects.toThrow(RangeError);
    expect((await store.get(id))?.name).toBe('the bug, finally');
  });

  it('deletes every row of that recording in every store, and nothing else', async () => {
    const ids = [];
    for (const seed of [11, 12, 13]) {
      const id = await record(testRecording(seed, 3, true));
      await store.writeImage(id, [{ offset: 0, bytes: randomBytes(rng(seed), 3 * C + 5) }], 3 * C + 5);
      await store.putSources(id, { 'main.c': `int main() { return ${seed}; }`, 'util.h': '' });
      ids.push(id);
    }
    const before = await allKeys();
    const victim = ids[1];
    for (const keys of Object.values(before)) expect(keys.some((k) => idOf(k) === victim)).toBe(true);
    const survivors = await Promise.all([ids[0], ids[2]].map((id) => store.exportFile(id)));

    expect(await store.delete(victim)).toBe(true);

    const after = await allKeys();
    for (const [name, keys] of Object.entries(before)) {
      expect(after[name]).toEqual(keys.filter((k) => idOf(k) !== victim));
    }
    expect(await store.get(victim)).toBeUndefined();
    expect((await store.list()).map((r) => r.id).sort()).toEqual([ids[0], ids[2]].sort());
    expect(await Promise.all([ids[0], ids[2]].map((id) => store.exportFile(id)))).toEqual(survivors);
    expect(await store.delete(victim)).toBe(false);
  });

  it('delete does not reach rows of a recording whose id extends the deleted one', async () => {
    // Key ranges are [id] to [id, []]: "a" must not cover "ab".
    const rec = testRecording(14, 1);
    const id = await record(rec);
    const db = (await wrap(factory.open('hindsight'))) as IDBPDatabase;
    await db.put('logChunks', { recordingId: `${id}x`, seq: 0, bytes: new Uint8Array([1]) });
    await db.put('sources', { recordingId: `${id}x`, path: 'a', text: 'b' });
    db.close();
    await store.delete(id);
    const keys = await allKeys();
    expect(keys.logChunks).toEqual([[`${id}x`, 0]]);
    expect(keys.sources).toEqual([[`${id}x`, 'a']]);
  });
});

describe('snapshot image', () => {
  let spy: WriteSpy;
  beforeEach(() => {
    spy = spyOnWrites();
  });
  afterEach(() => spy.restore());

  it('has none until one is written', async () => {
    const id = await record(testRecording(20, 1));
    expect(await store.readImage(id)).toBeUndefined();
    await store.writeImage(id, [], 0);
    expect(await store.readImage(id)).toEqual(new Uint8Array(0));
    expect(await store.get(id)).toMatchObject({ imageLength: 0, sizes: { image: 0 } });
  });

  it('rewrites only the chunks a write touches', async () => {
    const id = await record(testRecording(21, 1));
    const image = randomBytes(rng(21), 16 * C);
    spy.clear();
    await store.writeImage(id, [{ offset: 0, bytes: image }], image.length);
    expect(spy.count('imageChunks')).toBe(16);
    expect(spy.count('recordings')).toBe(1);

    const cases: [ranges: { offset: number; length: number }[], chunks: number][] = [
      [[{ offset: 70000, length: 10 }], 1], // inside chunk 1
      [[{ offset: 2 * C - 3, length: 6 }], 2], // straddles chunks 1 and 2
      [[{ offset: 5 * C, length: C }], 1], // exactly chunk 5
      [
        [
          { offset: 7 * C + 1, length: 1 },
          { offset: 7 * C + 100, length: 1 },
          { offset: 15 * C + C - 1, length: 1 },
        ],
        2,
      ], // two ranges in chunk 7, one at the very end
      [[{ offset: 3 * C + 5, length: 3 * C }], 4], // chunks 3 to 6
      [[{ offset: 9 * C, length: 0 }], 0], // an empty range
    ];
    const next = rng(1);
    for (const [ranges, chunks] of cases) {
      const writes = ranges.map(({ offset, length }) => ({ offset, bytes: randomBytes(next, length) }));
      spy.clear();
      await store.writeImage(id, writes, image.length);
      expect(spy.count('imageChunks'), JSON.stringify(ranges)).toBe(chunks);
      for (const { offset, bytes } of writes) image.set(bytes, offset);
      expectBytes(await store.readImage(id), image);
    }
  });

  it('reads back exactly what random writes made, through growth, shrinking and unaligned ranges', async () => {
    const id = await record(testRecording(22, 1));
    const next = rng(22);
    let model = new Uint8Array(0);
    const randomLength = () => {
      const r = next();
      // Mostly near chunk boundaries, sometimes anywhere up to 9 chunks.
      return r < 0.5 ? Math.max(0, Math.floor(next() * 9) * C + Math.floor(next() * 5) - 2) : Math.floor(next() * 9 * C);
    };
    for (let step = 0; step < 60; step++) {
      const length = next() < 0.35 ? randomLength() : model.length;
      const resized = new Uint8Array(length);
      resized.set(model.subarray(0, Math.min(length, model.length)));
      const ranges = [];
      const count = Math.floor(next() * 4);
      for (let r = 0; r < count && length > 0; r++) {
        const offset = Math.floor(next() * length);
        const size = Math.min(length - offset, next() < 0.2 ? Math.floor(next() * 3 * C) : Math.floor(next() * 300));
        ranges.push({ offset, bytes: randomBytes(next, size) });
      }
      for (const { offset, bytes } of ranges) resized.set(bytes, offset);
      const touched = new Set<number>();
      for (const { offset, bytes } of ranges) {
        for (let i = Math.floor(offset / C); i * C < offset + bytes.length; i++) touched.add(i);
      }
      spy.clear();
      await store.writeImage(id, ranges, length);
      const puts = spy.count('imageChunks');
      // Shrinking may also cut the chunk the new end falls in.
      const extra = length < model.length && length % C !== 0 && !touched.has(Math.floor(length / C)) ? 1 : 0;
      expect(puts - touched.size).toBeGreaterThanOrEqual(0);
      expect(puts - touched.size).toBeLessThanOrEqual(extra);
      model = resized;
      expectBytes(await store.readImage(id), model, `step ${step}`);
      expect((await store.get(id))?.sizes.image).toBe(length);
    }
    // Stored chunks never outlive the image.
    const keys = (await allKeys()).imageChunks as [string, number][];
    expect(keys.every(([, index]) => index < Math.ceil(model.length / C))).toBe(true);
  });

  it('a shorter rewrite and then growth read zeros where the old tail was', async () => {
    const id = await record(testRecording(23, 1));
    const full = new Uint8Array(3 * C).fill(0xaa);
    await store.writeImage(id, [{ offset: 0, bytes: full }], full.length);
    await store.writeImage(id, [{ offset: 0, bytes: new Uint8Array(10).fill(0xbb) }], C + 100);
    const shorter = new Uint8Array(C + 100).fill(0xaa);
    shorter.fill(0xbb, 0, 10);
    expectBytes(await store.readImage(id), shorter);
    expect((await allKeys()).imageChunks).toEqual([
      [id, 0],
      [id, 1],
    ]);
    await store.writeImage(id, [{ offset: 3 * C, bytes: new Uint8Array([1, 2]) }], 3 * C + 2);
    const grown = new Uint8Array(3 * C + 2);
    grown.set(shorter);
    grown.set([1, 2], 3 * C);
    expectBytes(await store.readImage(id), grown);
  });

  it('refuses ranges outside the image without writing anything', async () => {
    const id = await record(testRecording(24, 1));
    await store.writeImage(id, [{ offset: 0, bytes: new Uint8Array(10).fill(1) }], 10);
    await expect(store.writeImage(id, [{ offset: 5, bytes: new Uint8Array(6) }], 10)).rejects.toThrow(RangeError);
    expect(await store.readImage(id)).toEqual(new Uint8Array(10).fill(1));
  });
});

describe('sources', () => {
  it('round-trip, and a second put replaces the whole set', async () => {
    const id = await record(testRecording(30, 1));
    expect(await store.getSources(id)).toEqual({});
    // Object.fromEntries makes "__proto__" an own key, as JSON.parse would.
    const withProto: Record<string, string> = Object.fromEntries([
      ['src/main.c', '#include <stdio.h>\nint main(void) { puts("héllo, 世界 🐛"); }\n'],
      ['empty.s', ''],
      ['__proto__', 'not a prototype'],
      ['a b/ç.h', '\u0000\r\n'],
    ]);
    await store.putSources(id, withProto);
    const back = await store.getSources(id);
    expect(back).toEqual(withProto);
    expect(Object.keys(back ?? {}).sort()).toEqual(Object.keys(withProto).sort());
    const utf8 = Object.values(withProto).reduce((n, t) => n + new TextEncoder().encode(t).length, 0);
    expect((await store.get(id))?.sizes).toMatchObject({ sources: utf8 });

    await store.putSources(id, { 'other.c': 'x' });
    expect(await store.getSources(id)).toEqual({ 'other.c': 'x' });
    expect((await store.get(id))?.sizes.sources).toBe(1);
    await expect(store.putSources(id, { 'bad.c': 3 as unknown as string })).rejects.toThrow(RangeError);
    await expect(store.putSources(id, { '': 'x' })).rejects.toThrow(RangeError);
    expect(await store.getSources(id)).toEqual({ 'other.c': 'x' });
  });

  it('counts UTF-8 bytes of the texts in the sizes', async () => {
    const id = await record(testRecording(31, 1));
    await store.putSources(id, { a: 'é', b: '世', c: '🐛', d: 'x', e: '\ud800' });
    expect((await store.get(id))?.sizes.sources).toBe(2 + 3 + 4 + 1 + 3);
    const info = await store.get(id);
    expect(info?.sizes.total).toBe((info?.sizes.log ?? 0) + 13);
  });
});

describe('importFile', () => {
  it('stores a valid file as pieces; exporting gives the same bytes', async () => {
    const rec = testRecording(40, 6, true);
    const file = concatBytes(rec.pieces);
    const id = await store.importFile(file);
    expect(await store.exportFile(id)).toEqual(file);
    expect(await store.get(id)).toMatchObject({
      name: 'prog40.elf',
      programName: 'prog40.elf',
      programSha256: rec.meta.programSha256,
      createdAt: rec.meta.createdAt,
      length: rec.icounts.at(-1)?.toString(),
      ended: { reason: 'exit', exitCode: 0 },
      pieces: rec.pieces.length, // header+META+PROG, then one piece per chunk
      imageLength: null,
      sizes: { log: file.length, image: 0, sources: 0, total: file.length },
    });
    const stored = (await allKeys()).logChunks.filter((k) => idOf(k) === id);
    expect(stored.length).toBe(rec.pieces.length);
    const named = await store.importFile(concatBytes(testRecording(45, 2, true).pieces), 'from a teammate');
    expect((await store.get(named))?.name).toBe('from a teammate');
    // Appending continues after the imported pieces.
    const unended = concatBytes(testRecording(41, 2).pieces);
    const open = await store.importFile(unended);
    await store.appendLog(open, RecordingWriter.events([]));
    expect(parseRecording(await store.exportFile(open)).events.length).toBe(parseRecording(unended).events.length);
  });

  it('recognises a file imported before by its content (SHA-256) and stores it once', async () => {
    const file = concatBytes(testRecording(46, 4, true).pieces);
    const first = await store.importFileOnce(file, 'first');
    expect(first.existing).toBe(false);
    expect((await store.get(first.id))?.fileSha256).toBe(sha256Hex(file));
    const keysBefore = await allKeys();
    const again = await store.importFileOnce(file.slice(), 'second');
    expect(again).toEqual({ id: first.id, existing: true });
    expect(await allKeys()).toEqual(keysBefore);
    expect((await store.get(first.id))?.name).toBe('first');
    // At the same time: still one.
    const other = concatBytes(testRecording(47, 4, true).pieces);
    const both = await Promise.all([store.importFile(other), store.importFile(other.slice())]);
    expect(both[0]).toBe(both[1]);
    expect((await store.list()).filter((r) => r.fileSha256 === sha256Hex(other)).length).toBe(1);
    expect((await store.findByFileSha256(sha256Hex(other)))?.id).toBe(both[0]);
    // Another recording (another run: a different META) is a new recording.
    expect(await store.importFile(concatBytes(testRecording(48, 4, true).pieces))).not.toBe(first.id);
  });

  it('keys a recording by its content id: a copy holding more of the run replaces the stored one, a shorter one does not', async () => {
    const run = testRecording(50, 6, true);
    const short = concatBytes(run.pieces.slice(0, 3));
    const long = concatBytes(run.pieces);
    const id = parseRecording(long).id;
    expect(await store.importFileOnce(short, 'mine')).toEqual({ id, existing: false });
    await store.putSources(id, { 'a.c': 'int main;' });
    // The longer copy (a teammate's export of the whole run) takes the place of the shorter log, keeping the name and sources.
    expect(await store.importFileOnce(long, 'theirs')).toEqual({ id, existing: true });
    expect(Array.from(await store.exportFile(id))).toEqual(Array.from(long));
    expect((await store.get(id))?.name).toBe('mine');
    expect(await store.getSources(id)).toEqual({ 'a.c': 'int main;' });
    // The shorter copy again: the stored whole run stays; its annotations (if any) are taken.
    const noted = concatBytes([...run.pieces.slice(0, 3), RecordingWriter.annotations({ notes: [{ id: 1, icount: 7n, text: 'look here' }], traps: [] })]);
    expect(await store.importFileOnce(noted)).toEqual({ id, existing: true });
    expect(Array.from(await store.exportFile(id))).toEqual(Array.from(long));
    expect((await store.getAnnotations(id)).notes).toEqual([{ id: 1, icount: 7n, text: 'look here' }]);
    expect((await store.list()).filter((r) => r.id === id).length).toBe(1);
  });

  it('keeps annotations in the row, not in the log, and refuses bad ones', async () => {
    const run = testRecording(51, 2, true);
    const withAnno = concatBytes([...run.pieces.slice(0, 2), RecordingWriter.annotations({ notes: [], traps: [], position: { icount: 3n, hart: 0 } }), ...run.pieces.slice(2)]);
    const id = await store.importFile(withAnno);
    expect(Array.from(await store.exportFile(id))).toEqual(Array.from(concatBytes(run.pieces)));
    expect((await store.getAnnotations(id)).position).toEqual({ icount: 3n, hart: 0 });
    await store.setAnnotations(id, { notes: [{ id: 4, icount: 9n, end: 12n, text: 'range' }], traps: [] });
    expect(await store.getAnnotations(id)).toEqual({ notes: [{ id: 4, icount: 9n, end: 12n, text: 'range' }], traps: [] });
    await expect(store.setAnnotations(id, { notes: [{ id: 4, icount: 9n, end: 2n, text: 'x' }], traps: [] })).rejects.toThrow(/note 4 ends \(2\) before it starts/);
    await expect(store.setAnnotations('nope', { notes: [], traps: [] })).rejects.toThrow(/no stored recording/);
  });

  it('stores a cut-off file up to its last complete chunk', async () => {
    const rec = testRecording(42, 3);
    const file = concatBytes(rec.pieces);
    const cut = file.subarray(0, file.length - 5);
    const id = await store.importFile(cut);
    const valid = concatBytes(rec.pieces.slice(0, -1));
    expect(await store.exportFile(id)).toEqual(valid);
    expect(await store.get(id)).toMatchObject({ length: parseRecording(valid).events.at(-1)?.icount.toString(), ended: null });
  });

  it('keeps a SNAP chunk of the file in the file', async () => {
    const rec = testRecording(43, 2, true);
    const snap = RecordingWriter.snapshot(new Uint8Array([9, 8, 7]));
    const file = concatBytes([...rec.pieces.slice(0, -1), snap, rec.pieces.at(-1) as Uint8Array]);
    const id = await store.importFile(file);
    expect(await store.exportFile(id)).toEqual(file);
    expect(await store.readImage(id)).toBeUndefined();
  });

  it('refuses a damaged or mismatched file with the codec’s own error, storing nothing', async () => {
    const rec = testRecording(44, 3, true);
    const file = concatBytes(rec.pieces);
    const keysBefore = await allKeys();

    const corrupt = file.slice();
    corrupt[rec.pieces[0].length + rec.pieces[1].length + 20] ^= 0x40; // inside the second EVTS chunk
    const wrongVersion = file.slice();
    wrongVersion[8] = 9;
    const start = rec.pieces[0];
    const progAt = 16 + 12 + new DataView(start.buffer).getUint32(16 + 4, true);
    const otherProgram = rechunk(start.subarray(progAt), (payload) => (payload[0] ^= 1));
    const mismatched = concatBytes([start.subarray(0, progAt), otherProgram, ...rec.pieces.slice(1)]);

    for (const bad of [corrupt, wrongVersion, mismatched, new Uint8Array([1, 2, 3])]) {
      let expected: unknown;
      try {
        parseRecording(bad);
      } catch (e) {
        expected = e;
      }
      expect(expected).toBeInstanceOf(RecordingError);
      const refusal = store.importFile(bad);
      await expect(refusal).rejects.toBeInstanceOf(RecordingError);
      await expect(refusal).rejects.toThrow((expected as Error).message);
    }
    await expect(store.importFile(corrupt)).rejects.toThrow(/checksum mismatch/);
    await expect(store.importFile(wrongVersion)).rejects.toThrow(/version 9 is newer than this Hindsight understands/);
    await expect(store.importFile(mismatched)).rejects.toThrow(/does not match its recorded SHA-256/);
    expect(sha256Hex(rec.program)).toBe(rec.meta.programSha256);
    expect(await allKeys()).toEqual(keysBefore);
  });
});

describe('exportFile with the image', () => {
  it('adds the image as the SNAP chunk, before END', async () => {
    const rec = testRecording(50, 2, true);
    const id = await record(rec);
    const image = randomBytes(rng(50), 2 * C + 77);
    await store.writeImage(id, [{ offset: 0, bytes: image }], image.length);
    const file = await store.exportFile(id, { includeImage: true });
    const parsed = parseRecording(file);
    expectBytes(parsed.snapshot, image);
    expect(parsed.end?.icount).toBe(rec.icounts.at(-1));
    expectBytes(file, concatBytes([...rec.pieces.slice(0, -1), RecordingWriter.snapshot(image), rec.pieces.at(-1) as Uint8Array]));
    expect(await store.exportFile(id)).toEqual(concatBytes(rec.pieces));
  });

  it('appends the SNAP chunk to a recording without END, and leaves a recording without image as it is', async () => {
    const rec = testRecording(51, 2);
    const id = await record(rec);
    expect(await store.exportFile(id, { includeImage: true })).toEqual(concatBytes(rec.pieces));
    await store.writeImage(id, [{ offset: 1, bytes: new Uint8Array([5]) }], 3);
    const file = await store.exportFile(id, { includeImage: true });
    expect(file).toEqual(concatBytes([...rec.pieces, RecordingWriter.snapshot(new Uint8Array([0, 5, 0]))]));
    expect(parseRecording(file).snapshot).toEqual(new Uint8Array([0, 5, 0]));
  });

  it('refuses to add a second snapshot to a file that has one', async () => {
    const rec = testRecording(52, 1);
    const id = await record(rec);
    await store.appendLog(id, RecordingWriter.snapshot(new Uint8Array([1])));
    await store.writeImage(id, [], 4);
    await expect(store.exportFile(id, { includeImage: true })).rejects.toThrow(/already holds a snapshot/);
    await expect(store.exportFile(id, { includeImage: true })).rejects.toBeInstanceOf(StorageError);
  });
});

describe('usage and persistence', () => {
  it('adds up the stored sizes, newest first, with the browser’s estimate when there is one', async () => {
    const a = await record(testRecording(60, 2));
    const b = await record(testRecording(61, 3));
    await store.writeImage(b, [], 1000);
    await store.putSources(a, { 'x.c': 'abc' });
    const usage = await store.usage();
    const sizes = await Promise.all([b, a].map(async (id) => (await store.get(id))?.sizes.total));
    expect(usage).toEqual({
      perRecording: [
        { id: b, bytes: sizes[0] },
        { id: a, bytes: sizes[1] },
      ],
      total: (sizes[0] ?? 0) + (sizes[1] ?? 0),
    });
    expect(usage.perRecording[1].bytes).toBe((await store.exportFile(a)).length + 3);

    const withStorage = await RecordingStore.open('hindsight', factory, {
      storage: { estimate: async () => ({ usage: 123, quota: 456 }), persist: async () => true },
    });
    expect((await withStorage.usage()).estimate).toEqual({ usage: 123, quota: 456 });
    expect(await withStorage.requestPersistence()).toBe(true);
    withStorage.close();

    const failing = await RecordingStore.open('hindsight', factory, {
      storage: {
        estimate: async () => {
          throw new Error('no');
        },
        persist: async () => {
          throw new Error('no');
        },
      },
    });
    expect((await failing.usage()).estimate).toBeUndefined();
    expect(await failing.requestPersistence()).toBe(false);
    failing.close();

    expect(await store.requestPersistence()).toBeUndefined();
  });
});
