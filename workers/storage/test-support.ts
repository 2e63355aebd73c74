/**
 * Test support for the storage tests (Node, fake-indexeddb): counting the
 * writes the store makes, and making the Nth write fail the ways a browser
 * reports a full disk. Not used by the application.
 *
 * It patches the prototypes that `import 'fake-indexeddb/auto'` installs as
 * the global IDBObjectStore and IDBTransaction; `restore()` undoes it.
 */

import { concatBytes } from '../formats/bytes';
import { RecordingWriter, sha256Hex, type RecordingEvent, type RecordingMeta } from '../formats/recording';

export type FaultMode =
  /** put/add throws synchronously (as for a value the browser refuses outright). */
  | 'throw'
  /** The request fails with the error; the transaction aborts with it (its default action). */
  | 'request'
  /** Every request succeeds, then the transaction aborts with the error when it would commit (Chrome's quota check). */
  | 'commit';

export interface Write {
  op: 'put' | 'add';
  store: string;
}

export interface WriteSpy {
  /** Every put and add since the spy was installed (or last cleared). */
  readonly writes: Write[];
  /** Writes to one store. */
  count(store: string): number;
  clear(): void;
  /** The `n`th write from now (1-based) fails with a DOMException named `name`. */
  failAt(n: number, mode: FaultMode, name?: string): void;
  /** Whether the armed fault has fired. */
  readonly fired: boolean;
  restore(): void;
}

interface FakeRequestEntry {
  request: { readyState: string };
}

interface FakeTransaction {
  _state: string;
  _requests: FakeRequestEntry[];
  _abort(name: string | null): void;
  _start(): void;
  _execRequestAsync(job: { operation: () => unknown; source: unknown }): IDBRequest;
}

interface FakeObjectStore {
  name: string;
  transaction: FakeTransaction;
}

type WriteMethod = (this: FakeObjectStore, value: unknown, key?: IDBValidKey) => IDBRequest;

export function spyOnWrites(): WriteSpy {
  const storeProto = (globalThis as unknown as { IDBObjectStore: { prototype: Record<'put' | 'add', WriteMethod> } }).IDBObjectStore
    .prototype;
  const txProto = (globalThis as unknown as { IDBTransaction: { prototype: FakeTransaction } }).IDBTransaction.prototype;
  const originals = { put: storeProto.put, add: storeProto.add, start: txProto._start };
  const writes: Write[] = [];
  const doomed = new WeakMap<FakeTransaction, string>();
  let fault: { at: number; mode: FaultMode; name: string } | undefined;
  let fired = false;

  const patch = (op: 'put' | 'add'): WriteMethod =>
    function (this: FakeObjectStore, value, key) {
      writes.push({ op, store: this.name });
      if (!fault || writes.length !== fault.at) return originals[op].call(this, value, key);
      const { mode, name } = fault;
      fault = undefined;
      fired = true;
      const error = new DOMException(`simulated ${name}`, name);
      switch (mode) {
        case 'throw':
          throw error;
        case 'request':
          return this.transaction._execRequestAsync({
            operation: () => {
              throw error;
            },
            source: this,
          });
        case 'commit':
          doomed.set(this.transaction, name);
          return originals[op].call(this, value, key);
      }
    };

  storeProto.put = patch('put');
  storeProto.add = patch('add');
  txProto._start = function (this: FakeTransaction) {
    const name = doomed.get(this);
    if (name !== undefined && this._state !== 'finished' && this._requests.every((r) => r.request.readyState === 'done')) {
      doomed.delete(this);
      this._abort(name);
      return;
    }
    originals.start.call(this);
  };

  return {
    writes,
    count: (store) => writes.filter((w) => w.store === store).length,
    clear: () => {
      writes.length = 0;
      fault = undefined;
      fired = false;
    },
    failAt: (n, mode, name = 'QuotaExceededError') => {
      fault = { at: writes.length + n, mode, name };
      fired = false;
    },
    get fired() {
      return fired;
    },
    restore: () => {
      storeProto.put = originals.put;
      storeProto.add = originals.add;
      txProto._start = originals.start;
    },
  };
}

// ---------------------------------------------------------------------------
// Recordings to store
// ---------------------------------------------------------------------------

/** mulberry32: a small deterministic generator of numbers in [0, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

export function randomBytes(next: () => number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(next() * 256);
  return out;
}

export interface TestRecording {
  meta: RecordingMeta;
  program: Uint8Array;
  /** header + META + PROG, then one EVTS piece per batch, then END if `ended`. */
  pieces: Uint8Array[];
  /** The icount after each piece (for setProgress / appendLog). */
  icounts: bigint[];
}

/** A recording of `batches` EVTS pieces of a few events each, ended normally if `ended`. */
export function testRecording(seed: number, batches: number, ended = false, name = `prog${seed}.elf`): TestRecording {
  const next = rng(seed);
  const program = randomBytes(next, 200 + Math.floor(next() * 300));
  const meta: RecordingMeta = {
    name,
    ramMiB: 16,
    commandLine: name,
    createdAt: new Date(Date.UTC(2025, 0, 1 + (seed % 28), 12, 0, seed % 60)).toISOString(),
    recorder: 'hindsight test',
    host: 'browser',
    programSha256: sha256Hex(program),
  };
  const pieces = [RecordingWriter.start(meta, program)];
  const icounts = [0n];
  let icount = 0n;
  for (let b = 0; b < batches; b++) {
    const events: RecordingEvent[] = [];
    const n = 1 + Math.floor(next() * 4);
    for (let i = 0; i < n; i++) {
      icount += BigInt(1 + Math.floor(next() * 1000));
      events.push({ kind: 'output', icount, stream: 'stdout', bytes: randomBytes(next, Math.floor(next() * 40)) });
    }
    pieces.push(RecordingWriter.events(events));
    icount += 10n;
    icounts.push(icount);
  }
  if (ended) {
    icount += 5n;
    pieces.push(RecordingWriter.end({ icount, reason: 'exit', exitCode: 0, finalDigest: '00112233445566778899aabbccddeeff' }));
    icounts.push(icount);
  }
  return { meta, program, pieces, icounts };
}

export { concatBytes };
