import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { describe, it, expect } from 'vitest';
import { wrap, type IDBPDatabase } from 'idb';
import { MIGRATIONS, SCHEMA_VERSION, upgradeSchema, type HindsightDB, type Migration, type UpgradeTransaction } from './schema';
import { RecordingStore, StorageError } from './index';
import { concatBytes, testRecording } from './test-support';

/** Opens `name` at `version` with a plain connection, running `steps` on upgrade. */
async function openRaw(factory: IDBFactory, version?: number, steps?: readonly Migration[]): Promise<IDBPDatabase> {
  const request = factory.open('hindsight', version);
  if (steps) {
    request.addEventListener('upgradeneeded', (event) => {
      const tx = wrap(request.transaction as IDBTransaction) as unknown as UpgradeTransaction;
      tx.done.catch(() => {}); // a failed upgrade fails the open request
      upgradeSchema(wrap(request.result) as unknown as IDBPDatabase<HindsightDB>, event.oldVersion, event.newVersion ?? 0, tx, steps);
    });
  }
  return (await wrap(request)) as IDBPDatabase;
}

function describeSchema(db: IDBPDatabase) {
  const names = [...db.objectStoreNames];
  const tx = db.transaction(names);
  return {
    version: db.version,
    stores: Object.fromEntries(
      names.map((name) => {
        const store = tx.objectStore(name);
        return [name, { keyPath: store.keyPath, autoIncrement: store.autoIncrement, indexes: [...store.indexNames] }];
      }),
    ),
  };
}

const VERSION_1 = {
  version: 1,
  stores: {
    imageChunks: { keyPath: ['recordingId', 'index'], autoIncrement: false, indexes: [] },
    logChunks: { keyPath: ['recordingId', 'seq'], autoIncrement: false, indexes: [] },
    recordings: { keyPath: 'id', autoIncrement: false, indexes: [] },
    sources: { keyPath: ['recordingId', 'path'], autoIncrement: false, indexes: [] },
  },
};

describe('schema', () => {
  it('is version 1, one step per version', () => {
    expect(SCHEMA_VERSION).toBe(1);
    expect(MIGRATIONS.length).toBe(SCHEMA_VERSION);
  });

  it('is created from nothing on first open', async () => {
    const factory = new IDBFactory();
    expect(await factory.databases()).toEqual([]);
    const store = await RecordingStore.open(undefined, factory, { storage: null });
    expect(await store.list()).toEqual([]);
    store.close();
    expect(await factory.databases()).toEqual([{ name: 'hindsight', version: 1 }]);
    const db = await openRaw(factory);
    expect(describeSchema(db)).toEqual(VERSION_1);
    db.close();
  });

  it('reopens an existing database with its recordings, without upgrading again', async () => {
    const factory = new IDBFactory();
    const rec = testRecording(1, 3, true);
    const first = await RecordingStore.open('hindsight', factory, { storage: null });
    const id = await first.importFile(concatBytes(rec.pieces));
    await first.putSources(id, { 'a.c': 'a' });
    await first.writeImage(id, [{ offset: 0, bytes: new Uint8Array([1, 2, 3]) }], 3);
    const info = await first.get(id);
    first.close();

    const again = await RecordingStore.open('hindsight', factory, { storage: null });
    expect(await again.list()).toEqual([info]);
    expect(await again.exportFile(id)).toEqual(concatBytes(rec.pieces));
    expect(await again.getSources(id)).toEqual({ 'a.c': 'a' });
    expect(await again.readImage(id)).toEqual(new Uint8Array([1, 2, 3]));
    again.close();
    const db = await openRaw(factory);
    expect(describeSchema(db)).toEqual(VERSION_1);
    db.close();
  });

  it('keeps separate databases apart by name', async () => {
    const factory = new IDBFactory();
    const a = await RecordingStore.open('hindsight', factory, { storage: null });
    const b = await RecordingStore.open('hindsight-test', factory, { storage: null });
    await a.importFile(concatBytes(testRecording(2, 1).pieces));
    expect(await b.list()).toEqual([]);
    a.close();
    b.close();
  });

  it('upgrades step by step: a later step adds to version 1 and keeps its rows', async () => {
    const factory = new IDBFactory();
    const store = await RecordingStore.open('hindsight', factory, { storage: null });
    const id = await store.importFile(concatBytes(testRecording(3, 2).pieces));
    store.close();
    let ran: number[] = [];
    const v2: Migration = (_db, tx) => {
      ran.push(2);
      tx.objectStore('recordings').createIndex('createdAt' as never, 'createdAt');
    };
    const steps = [
      (...args: Parameters<Migration>) => {
        ran.push(1);
        MIGRATIONS[0](...args);
      },
      v2,
    ];
    const db = await openRaw(factory, 2, steps);
    expect(ran).toEqual([2]);
    const schema = describeSchema(db);
    expect(schema.version).toBe(2);
    expect(schema.stores.recordings.indexes).toEqual(['createdAt']);
    expect((await db.getAll('recordings')).map((r: { id: string }) => r.id)).toEqual([id]);
    db.close();

    // From nothing, every step runs in order.
    ran = [];
    const fresh = await openRaw(new IDBFactory(), 2, steps);
    expect(ran).toEqual([1, 2]);
    fresh.close();
  });

  it('refuses to skip a step it does not have', async () => {
    await expect(openRaw(new IDBFactory(), 3, MIGRATIONS)).rejects.toBeDefined();
    expect(() => upgradeSchema(undefined as never, 1, 2, undefined as never)).toThrow('no schema step from version 1 to 2');
  });

  it('refuses a database written by a newer version, leaving it as it is', async () => {
    const factory = new IDBFactory();
    const newer = await openRaw(factory, 2);
    newer.close();
    await expect(RecordingStore.open('hindsight', factory)).rejects.toThrow(
      'the saved recordings were written by a newer version of Hindsight (storage schema newer than version 1); reload to use it',
    );
    await expect(RecordingStore.open('hindsight', factory)).rejects.toBeInstanceOf(StorageError);
    expect(await factory.databases()).toEqual([{ name: 'hindsight', version: 2 }]);
  });

  it('steps aside for another tab that upgrades, then says why it stopped', async () => {
    const factory = new IDBFactory();
    const store = await RecordingStore.open('hindsight', factory, { storage: null });
    let blocked = false;
    const request = factory.open('hindsight', 2);
    request.addEventListener('blocked', () => (blocked = true));
    const other = (await wrap(request)) as IDBPDatabase;
    expect(blocked).toBe(false);
    other.close();
    await expect(store.list()).rejects.toThrow(
      'browser storage was closed because another tab opened a newer version of Hindsight; reload this page',
    );
  });

  it('reports a browser without IndexedDB', async () => {
    const saved = Object.getOwnPropertyDescriptor(globalThis, 'indexedDB');
    Reflect.deleteProperty(globalThis, 'indexedDB');
    try {
      await expect(RecordingStore.open()).rejects.toThrow(/offers no IndexedDB storage/);
    } finally {
      if (saved) Object.defineProperty(globalThis, 'indexedDB', saved);
    }
  });
});
