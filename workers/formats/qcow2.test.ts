import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MemoryImageStore,
  Qcow2Error,
  Qcow2Image,
  Qcow2Writer,
  type ImageStore,
  type Qcow2CreateOptions,
  type SnapshotInput,
} from './qcow2';

// ---------------------------------------------------------------------------
// QEMU's tools are the reference. They are required: without them these tests
// fail (execFileSync throws ENOENT), they are never skipped.
// ---------------------------------------------------------------------------

function tool(name: 'qemu-img' | 'qemu-io', args: string[]): string {
  return execFileSync(name, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
}

let workDir = '';
beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'hindsight-qcow2-'));
});
afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

let fileCounter = 0;
function tempPath(ext: string): string {
  return join(workDir, `f${fileCounter++}.${ext}`);
}

function saveImage(bytes: Uint8Array): string {
  const path = tempPath('qcow2');
  writeFileSync(path, bytes);
  return path;
}

function sha(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** `qemu-img check`: exits non-zero on corruptions (2) or leaks (3), so success plus the message means clean. */
function expectQemuCheckClean(path: string): string {
  const out = tool('qemu-img', ['check', path]);
  expect(out).toContain('No errors were found on the image.');
  expect(out).not.toMatch(/^(ERROR|Leaked)|corruptions|leaked clusters/im);
  return out;
}

interface ListedSnapshot {
  id: string;
  tag: string;
  icount: string;
}

function qemuSnapshotList(path: string): ListedSnapshot[] {
  const lines = tool('qemu-img', ['snapshot', '-l', path]).split('\n');
  const head = lines.findIndex((l) => l.startsWith('ID'));
  if (head < 0) return [];
  expect(lines[head]).toMatch(/\bICOUNT\s*$/);
  return lines
    .slice(head + 1)
    .filter((l) => l.trim() !== '')
    .map((l) => {
      // ... VM CLOCK ICOUNT; a 19-digit icount overflows its column and touches the clock.
      const m = /^(\S+)\s+(\S+)\s.*\d\d:\d\d:\d\d\.\d\d\d\s*(\d*)\s*$/.exec(l);
      if (!m) throw new Error(`unexpected snapshot list line: ${l}`);
      return { id: m[1], tag: m[2], icount: m[3] };
    });
}

/** The raw disk of a snapshot (or the active image), as qemu-img extracts it. */
function qemuConvert(path: string, snapshotName?: string): Uint8Array {
  const out = tempPath('raw');
  const args = ['convert', ...(snapshotName === undefined ? [] : ['-l', `snapshot.name=${snapshotName}`]), '-O', 'raw', path, out];
  tool('qemu-img', args);
  const bytes = readFileSync(out);
  rmSync(out);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

// ---------------------------------------------------------------------------
// Deterministic pseudo-random snapshots and the disk contents they imply
// ---------------------------------------------------------------------------

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

function randomBytes(r: () => number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  const w = new Uint32Array(b.buffer, 0, n >>> 2);
  for (let i = 0; i < w.length; i++) w[i] = (r() * 2 ** 32) >>> 0;
  for (let i = w.length * 4; i < n; i++) b[i] = (r() * 256) | 0;
  return b;
}

interface Step {
  input: SnapshotInput;
  /** Non-zero guest clusters after this snapshot: the snapshot's whole disk. */
  disk: Map<number, Uint8Array>;
}

interface ScenarioOptions {
  diskSize: number;
  clusterBits: number;
  snapshots: number;
  changes: number;
  /** Clusters already holding data before the first snapshot's changes (default: none). */
  initial?: number;
  /** Index of the first snapshot (for names and icounts when appending). */
  first?: number;
  start?: Map<number, Uint8Array>;
}

/**
 * Snapshots whose changed clusters mix new clusters, rewrites of clusters
 * earlier snapshots hold (shared until rewritten), clusters that become zero
 * and zero writes to clusters that were already zero.
 */
function scenario(seed: number, o: ScenarioOptions): Step[] {
  const r = rng(seed);
  const cs = 2 ** o.clusterBits;
  const clusters = o.diskSize / cs;
  const disk = new Map(o.start ?? []);
  const steps: Step[] = [];
  const first = o.first ?? 0;
  for (let k = 0; k < o.snapshots; k++) {
    const changed = new Map<number, Uint8Array>();
    const target = o.changes + (k === 0 ? (o.initial ?? 0) : 0);
    const held = [...disk.keys()];
    while (changed.size < target) {
      const p = r();
      if (p < 0.15 && held.length > 0) {
        changed.set(held[(r() * held.length) | 0], new Uint8Array(cs)); // becomes zero
      } else if (p < 0.4 && held.length > 0) {
        changed.set(held[(r() * held.length) | 0], randomBytes(r, cs)); // rewritten
      } else if (p < 0.45) {
        const i = (r() * clusters) | 0;
        if (!disk.has(i)) changed.set(i, new Uint8Array(cs)); // zero over zero
      } else if (p < 0.5) {
        const b = new Uint8Array(cs); // one non-zero byte at the very end: not a zero cluster
        b[cs - 1] = 1 + ((r() * 255) | 0);
        changed.set((r() * clusters) | 0, b);
      } else {
        changed.set((r() * clusters) | 0, randomBytes(r, cs));
      }
    }
    for (const [i, b] of changed) {
      if (b.some((x) => x !== 0)) disk.set(i, b);
      else disk.delete(i);
    }
    const n = first + k;
    const vmSize = n === 2 ? 0 : 1000 + ((r() * 9000) | 0); // snapshot 2 has no VM state
    steps.push({
      input: {
        icount: n === 3 ? 0x7fff_ffff_ffff_fff0n : BigInt(n + 1) * 8_388_608n,
        dateSeconds: 1_700_000_000 + n,
        vmState: randomBytes(r, vmSize),
        changedClusters: changed,
      },
      disk: new Map(disk),
    });
  }
  return steps;
}

function rawDisk(disk: Map<number, Uint8Array>, diskSize: number, cs: number): Uint8Array {
  const b = new Uint8Array(diskSize);
  for (const [i, c] of disk) b.set(c, i * cs);
  return b;
}

function nameOf(s: SnapshotInput): string {
  return s.name ?? `icount-${s.icount}`;
}

function build(options: Qcow2CreateOptions, steps: Step[]): { store: MemoryImageStore; writer: Qcow2Writer } {
  const store = new MemoryImageStore();
  const writer = Qcow2Writer.create(store, options);
  for (const s of steps) writer.addSnapshot(s.input);
  return { store, writer };
}

/** Everything qemu-img and our reader can say about an image we wrote. */
function verifyImage(bytes: Uint8Array, steps: Step[], diskSize: number, cs: number, opts: { convertAll?: boolean } = {}): void {
  const path = saveImage(bytes);
  expectQemuCheckClean(path);

  const listed = qemuSnapshotList(path);
  expect(listed.map((l) => l.tag)).toEqual(steps.map((s) => nameOf(s.input)));
  expect(listed.map((l) => l.icount)).toEqual(steps.map((s) => s.input.icount.toString()));
  expect(listed.map((l) => l.id)).toEqual(steps.map((_, i) => String(i + 1)));

  const img = Qcow2Image.open(bytes);
  expect(img.diskSize).toBe(diskSize);
  expect(img.clusterSize).toBe(cs);
  const infos = img.snapshots();
  expect(infos.length).toBe(steps.length);
  steps.forEach((s, i) => {
    const info = infos[i];
    expect(info).toEqual({
      id: String(i + 1),
      name: nameOf(s.input),
      icount: s.input.icount,
      vmStateSize: s.input.vmState.length,
      dateSeconds: s.input.dateSeconds,
      diskSize,
    });
    const want = sha(rawDisk(s.disk, diskSize, cs));
    expect(sha(img.readDisk(info, 0, diskSize))).toBe(want);
    expect(img.readVmState(info)).toEqual(s.input.vmState);
    expect(img.allocatedClusters(info)).toEqual([...s.disk.keys()].sort((a, b) => a - b));
    if (opts.convertAll !== false || i === 0 || i === steps.length - 1) {
      expect(sha(qemuConvert(path, info.name))).toBe(want);
    }
  });
  // The active disk is the last snapshot's.
  const last = steps[steps.length - 1];
  expect(sha(img.readDisk('active', 0, diskSize))).toBe(sha(rawDisk(last.disk, diskSize, cs)));
  expect(sha(qemuConvert(path))).toBe(sha(rawDisk(last.disk, diskSize, cs)));
}

// Header fields, for tests that inspect or damage images.
function u32(b: Uint8Array, p: number): number {
  return new DataView(b.buffer, b.byteOffset, b.length).getUint32(p);
}
function u64(b: Uint8Array, p: number): number {
  return Number(new DataView(b.buffer, b.byteOffset, b.length).getBigUint64(p));
}
function setU32(b: Uint8Array, p: number, v: number): void {
  new DataView(b.buffer, b.byteOffset, b.length).setUint32(p, v >>> 0);
}
function setU64(b: Uint8Array, p: number, v: bigint | number): void {
  new DataView(b.buffer, b.byteOffset, b.length).setBigUint64(p, BigInt(v));
}
const OFFSET_MASK = 0x00ff_ffff_ffff_fe00n;
function entryOffset(b: Uint8Array, p: number): number {
  return Number(new DataView(b.buffer, b.byteOffset, b.length).getBigUint64(p) & OFFSET_MASK);
}

// ---------------------------------------------------------------------------

describe('qcow2: the reference tools', () => {
  it('qemu-img and qemu-io are installed (required, never skipped)', () => {
    expect(tool('qemu-img', ['--version'])).toMatch(/qemu-img version/);
    expect(tool('qemu-io', ['--version'])).toMatch(/qemu-io version/);
  });
});

describe('MemoryImageStore', () => {
  it('grows, reads copies, and reports merged dirty ranges', () => {
    const s = new MemoryImageStore();
    expect(s.size).toBe(0);
    s.write(100, new Uint8Array([1, 2, 3]));
    expect(s.size).toBe(103);
    expect(s.read(98, 5)).toEqual(new Uint8Array([0, 0, 1, 2, 3]));
    s.write(103, new Uint8Array([4]));
    s.write(10, new Uint8Array(5).fill(7));
    s.write(12, new Uint8Array(10).fill(8));
    s.write(200_000, new Uint8Array([9]));
    expect(s.size).toBe(200_001);
    expect(s.dirtyRanges()).toEqual([
      { offset: 10, length: 12 },
      { offset: 100, length: 4 },
      { offset: 200_000, length: 1 },
    ]);
    const copy = s.read(100, 2);
    copy[0] = 99;
    expect(s.read(100, 1)[0]).toBe(1);
    expect(() => s.read(200_000, 2)).toThrow(RangeError);
    s.clearDirty();
    expect(s.dirtyRanges()).toEqual([]);
    const t = new MemoryImageStore(s.bytes());
    expect(t.size).toBe(s.size);
    expect(t.dirtyRanges()).toEqual([]);
    expect(t.read(10, 3)).toEqual(new Uint8Array([7, 7, 8]));
  });
});

describe('Qcow2Writer: images qemu-img accepts', () => {
  it('4 KiB clusters, 32 MiB disk, 6 snapshots: check, snapshot -l, convert, our reader', () => {
    const options = { diskSize: 32 << 20, clusterBits: 12 } as const;
    const steps = scenario(1, { ...options, snapshots: 6, changes: 300, initial: 1500 });
    const { store, writer } = build(options, steps);
    expect(writer.snapshotCount).toBe(6);
    verifyImage(store.bytes(), steps, options.diskSize, 4096);
  });

  it('64 KiB clusters, 16 MiB disk, 4 snapshots', () => {
    const options = { diskSize: 16 << 20, clusterBits: 16 } as const;
    const steps = scenario(2, { ...options, snapshots: 4, changes: 40, initial: 60 });
    const { store } = build(options, steps);
    verifyImage(store.bytes(), steps, options.diskSize, 65536);
  });

  it('512-byte clusters: several refcount blocks, a growing refcount table, multi-cluster L1 tables', () => {
    // 16 MiB of 512-byte clusters needs a 4 KiB (8-cluster) L1 table; one refcount table
    // cluster covers 64 blocks of 256 clusters, 8 MiB of file, so the table must grow.
    const options = { diskSize: 16 << 20, clusterBits: 9 } as const;
    const steps = scenario(3, { ...options, snapshots: 3, changes: 3000, initial: 20000 });
    const { store } = build(options, steps);
    const b = store.bytes();
    expect(u32(b, 56)).toBeGreaterThan(1); // refcount_table_clusters
    expect(u32(b, 36)).toBe(512); // l1_size
    verifyImage(b, steps, options.diskSize, 512, { convertAll: false });
  });

  it('an image with no snapshots yet is valid and reads as zeros', () => {
    const store = new MemoryImageStore();
    Qcow2Writer.create(store, { diskSize: 8 << 20 });
    const path = saveImage(store.bytes());
    expectQemuCheckClean(path);
    expect(qemuSnapshotList(path)).toEqual([]);
    const img = Qcow2Image.open(store);
    expect(img.snapshots()).toEqual([]);
    expect(img.allocatedClusters('active')).toEqual([]);
    expect(img.readDisk('active', 0, 8 << 20).every((x) => x === 0)).toBe(true);
    expect(store.size).toBe(4 * 4096); // header, refcount table, L1 table, refcount block
  });

  it('appends snapshots to an image it wrote earlier (twice), keeping qemu-img check clean', () => {
    const options = { diskSize: 16 << 20, clusterBits: 12 } as const;
    const a = scenario(4, { ...options, snapshots: 3, changes: 200, initial: 800 });
    const { store } = build(options, a);
    const b = scenario(5, { ...options, snapshots: 2, changes: 200, first: 3, start: a[2].disk });
    const c = scenario(6, { ...options, snapshots: 2, changes: 150, first: 5, start: b[1].disk });

    const reopened = new MemoryImageStore(store.bytes());
    const w1 = Qcow2Writer.append(reopened);
    expect(w1.snapshotCount).toBe(3);
    for (const s of b) w1.addSnapshot(s.input);
    verifyImage(reopened.bytes(), [...a, ...b], options.diskSize, 4096, { convertAll: false });

    const again = new MemoryImageStore(reopened.bytes());
    const w2 = Qcow2Writer.append(again);
    for (const s of c) w2.addSnapshot(s.input);
    verifyImage(again.bytes(), [...a, ...b, ...c], options.diskSize, 4096);
  });

  it('appends to an image whose snapshot qemu-img deleted, and qemu-img can revert to ours', () => {
    const options = { diskSize: 8 << 20, clusterBits: 12 } as const;
    const steps = scenario(7, { ...options, snapshots: 4, changes: 100, initial: 400 });
    const { store } = build(options, steps);
    const path = saveImage(store.bytes());
    tool('qemu-img', ['snapshot', '-d', nameOf(steps[1].input), path]);
    expectQemuCheckClean(path);
    const kept = [steps[0], steps[2], steps[3]];
    const img = Qcow2Image.open(new Uint8Array(readFileSync(path)));
    expect(img.snapshots().map((s) => s.name)).toEqual(kept.map((s) => nameOf(s.input)));
    for (const [i, s] of kept.entries()) {
      expect(sha(img.readDisk(img.snapshots()[i], 0, options.diskSize))).toBe(sha(rawDisk(s.disk, options.diskSize, 4096)));
      expect(img.readVmState(img.snapshots()[i])).toEqual(s.input.vmState);
    }
    // qemu-img wrote this image; our writer carries on from it.
    const more = new MemoryImageStore(new Uint8Array(readFileSync(path)));
    const next = scenario(8, { ...options, snapshots: 1, changes: 100, first: 4, start: steps[3].disk });
    Qcow2Writer.append(more).addSnapshot(next[0].input);
    const path2 = saveImage(more.bytes());
    expectQemuCheckClean(path2);
    expect(qemuSnapshotList(path2).map((l) => l.id)).toEqual(['1', '3', '4', '5']);
    expect(sha(qemuConvert(path2, nameOf(next[0].input)))).toBe(sha(rawDisk(next[0].disk, options.diskSize, 4096)));

    // Reverting makes the first snapshot's disk (and its VM state area) active again.
    tool('qemu-img', ['snapshot', '-a', nameOf(steps[0].input), path2]);
    expectQemuCheckClean(path2);
    expect(sha(qemuConvert(path2))).toBe(sha(rawDisk(steps[0].disk, options.diskSize, 4096)));
    const reverted = Qcow2Image.open(new Uint8Array(readFileSync(path2)));
    expect(sha(reverted.readDisk('active', 0, options.diskSize))).toBe(sha(rawDisk(steps[0].disk, options.diskSize, 4096)));
  });

  it('writes incrementally: a snapshot dirties its clusters and a little metadata, and the dirty ranges are all that changed', () => {
    const options = { diskSize: 64 << 20, clusterBits: 12 } as const;
    const steps = scenario(9, { ...options, snapshots: 4, changes: 300, initial: 12000 });
    const { store, writer } = build(options, steps.slice(0, 3));
    for (const step of steps.slice(3)) {
      const before = store.bytes().slice();
      store.clearDirty();
      writer.addSnapshot(step.input);
      const ranges = store.dirtyRanges();
      const dirty = ranges.reduce((n, r) => n + r.length, 0);
      const data = [...step.input.changedClusters.values()].filter((c) => c.some((x) => x !== 0)).length * 4096;
      // Metadata: copied L2 tables (at most one per 2 MiB of disk), refcounts, two L1 tables,
      // VM state and its L2 table, the snapshot table entry, header fields.
      const metadata = dirty - data;
      expect(metadata).toBeLessThan((options.diskSize / (2 << 20)) * 4096 + 64 * 1024);
      expect(dirty).toBeLessThan(store.size / 20);
      // Persisting only the dirty ranges over the old file gives exactly the new file.
      const replay = new Uint8Array(store.size);
      replay.set(before);
      const now = store.bytes();
      for (const r of ranges) replay.set(now.subarray(r.offset, r.offset + r.length), r.offset);
      expect(sha(replay)).toBe(sha(now));
    }
    // A snapshot where nothing changed costs only its own metadata.
    store.clearDirty();
    writer.addSnapshot({ icount: 999_999_999n, vmState: new Uint8Array(3000).fill(5), changedClusters: new Map() });
    const dirty = store.dirtyRanges().reduce((n, r) => n + r.length, 0);
    expect(dirty).toBeLessThan(12 * 4096);
    verifyImage(store.bytes(), [...steps, { input: { icount: 999_999_999n, vmState: new Uint8Array(3000).fill(5), changedClusters: new Map(), dateSeconds: Qcow2Image.open(store).snapshots()[4].dateSeconds }, disk: steps[3].disk }], options.diskSize, 4096, { convertAll: false });
  });

  it('measures a 128 MiB disk: bytes per snapshot and time to add one with 500 changed 4 KiB clusters', () => {
    const diskSize = 128 << 20;
    const cs = 4096;
    const clusters = diskSize / cs;
    const r = rng(10);
    const disk = new Map<number, Uint8Array>();
    // The first snapshot: half the RAM holds data.
    const initial = new Map<number, Uint8Array>();
    while (initial.size < clusters / 2) initial.set((r() * clusters) | 0, randomBytes(r, cs));
    const store = new MemoryImageStore();
    const writer = Qcow2Writer.create(store, { diskSize, clusterBits: 12 });
    let t = performance.now();
    writer.addSnapshot({ icount: 1n << 23n, vmState: randomBytes(r, 4000), changedClusters: initial });
    const firstMs = performance.now() - t;
    const firstBytes = store.size;
    for (const [i, b] of initial) disk.set(i, b);
    const rounds = 20;
    const times: number[] = [];
    const growth: number[] = [];
    const dirty: number[] = [];
    const firstDisk = new Map(disk);
    let middle = { name: '', disk: new Map<number, Uint8Array>() };
    for (let k = 0; k < rounds; k++) {
      // 500 changed clusters: half rewrite pages that earlier snapshots share, half are new.
      const held = [...disk.keys()];
      const changed = new Map<number, Uint8Array>();
      while (changed.size < 250) changed.set(held[(r() * held.length) | 0], randomBytes(r, cs));
      while (changed.size < 500) changed.set((r() * clusters) | 0, randomBytes(r, cs));
      const size = store.size;
      store.clearDirty();
      t = performance.now();
      writer.addSnapshot({ icount: BigInt(k + 2) << 23n, vmState: randomBytes(r, 4000), changedClusters: changed });
      times.push(performance.now() - t);
      growth.push(store.size - size);
      dirty.push(store.dirtyRanges().reduce((n, x) => n + x.length, 0));
      for (const [i, b] of changed) disk.set(i, b);
      if (k === rounds / 2) middle = { name: `icount-${BigInt(k + 2) << 23n}`, disk: new Map(disk) };
    }
    const avg = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    const kib = (n: number): string => `${(n / 1024).toFixed(0)} KiB`;
    console.log(
      [
        `qcow2, 128 MiB disk, 4 KiB clusters, 4000-byte VM state per snapshot:`,
        `  first snapshot (${initial.size} clusters = 64 MiB of data): ${(firstBytes / 2 ** 20).toFixed(1)} MiB image, ${firstMs.toFixed(0)} ms`,
        `  each further snapshot with 500 changed clusters (2000 KiB of data): image grows ${kib(avg(growth))}, ${kib(avg(dirty))} written`,
        `  time to add one: median ${median(times).toFixed(1)} ms, mean ${avg(times).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms`,
        `  after ${writer.snapshotCount} snapshots: ${(store.size / 2 ** 20).toFixed(1)} MiB`,
      ].join('\n'),
    );
    expect(median(times)).toBeLessThan(250);
    expect(avg(dirty)).toBeLessThan(2000 * 1024 + 400 * 1024);
    const path = saveImage(store.bytes());
    expectQemuCheckClean(path);
    expect(sha(qemuConvert(path, 'icount-8388608'))).toBe(sha(rawDisk(firstDisk, diskSize, cs)));
    expect(sha(qemuConvert(path, middle.name))).toBe(sha(rawDisk(middle.disk, diskSize, cs)));
    const img = Qcow2Image.open(store);
    expect(sha(img.readDisk('active', 0, diskSize))).toBe(sha(rawDisk(disk, diskSize, cs)));
  });

  it('rejects bad arguments without changing the image', () => {
    const store = new MemoryImageStore();
    expect(() => Qcow2Writer.create(store, { diskSize: 1000 })).toThrow(RangeError);
    expect(() => Qcow2Writer.create(store, { diskSize: 4096, clusterBits: 17 as 16 })).toThrow(RangeError);
    const w = Qcow2Writer.create(store, { diskSize: 1 << 20 });
    expect(() => Qcow2Writer.create(store, { diskSize: 1 << 20 })).toThrow(/must be empty/);
    const before = store.bytes().slice();
    const ok = { icount: 5n, vmState: new Uint8Array(10), changedClusters: new Map<number, Uint8Array>() };
    expect(() => w.addSnapshot({ ...ok, changedClusters: new Map([[256, new Uint8Array(4096)]]) })).toThrow(/outside the disk/);
    expect(() => w.addSnapshot({ ...ok, changedClusters: new Map([[3, new Uint8Array(100)]]) })).toThrow(/exactly 4096 bytes/);
    expect(() => w.addSnapshot({ ...ok, icount: -1n })).toThrow(RangeError);
    expect(() => w.addSnapshot({ ...ok, icount: 2n ** 64n - 1n })).toThrow(RangeError);
    expect(() => w.addSnapshot({ ...ok, name: '' })).toThrow(RangeError);
    expect(store.bytes()).toEqual(before);
    w.addSnapshot(ok);
    expect(() => w.addSnapshot(ok)).toThrow(/already exists/);
    expect(Qcow2Image.open(store).snapshots().map((s) => s.name)).toEqual(['icount-5']);
  });
});

// ---------------------------------------------------------------------------
// Images made by qemu-img and qemu-io
// ---------------------------------------------------------------------------

type QemuOp = { kind: 'write'; pattern: number; offset: number; length: number } | { kind: 'zero' | 'discard'; offset: number; length: number } | { kind: 'snapshot'; name: string };

const K = 1024;
const M = 1024 * 1024;
const QEMU_OPS: QemuOp[] = [
  { kind: 'write', pattern: 0x5a, offset: 0, length: 64 * K },
  { kind: 'write', pattern: 0x11, offset: 1 * M, length: 4 * K },
  { kind: 'write', pattern: 0x22, offset: 64 * M - 8 * K, length: 8 * K },
  { kind: 'write', pattern: 0x23, offset: 5 * M + 512, length: 512 },
  { kind: 'snapshot', name: 'first' },
  { kind: 'write', pattern: 0x33, offset: 32 * K, length: 64 * K },
  { kind: 'zero', offset: 1 * M, length: 64 * K },
  { kind: 'write', pattern: 0x34, offset: 40 * M, length: 300 * K },
  { kind: 'snapshot', name: 'second' },
  { kind: 'discard', offset: 0, length: 64 * K },
  { kind: 'write', pattern: 0x44, offset: 10 * M, length: 100 * K },
  { kind: 'write', pattern: 0x45, offset: 40 * M + 128 * K, length: 4 * K },
  { kind: 'snapshot', name: 'third' },
  { kind: 'write', pattern: 0x55, offset: 63 * M, length: 1 * M },
];

/** Runs QEMU_OPS with qemu-io / qemu-img; returns the image and the expected disk per snapshot and for the active image. */
function qemuImage(createArgs: string[]): { path: string; expected: Map<string, Uint8Array> } {
  const path = tempPath('qcow2');
  tool('qemu-img', ['create', '-f', 'qcow2', ...createArgs, path, '64M']);
  const disk = new Uint8Array(64 * M);
  const expected = new Map<string, Uint8Array>();
  let pending: string[] = [];
  const runPending = (): void => {
    if (pending.length === 0) return;
    tool('qemu-io', [...pending.flatMap((c) => ['-c', c]), path]);
    pending = [];
  };
  for (const op of QEMU_OPS) {
    if (op.kind === 'snapshot') {
      runPending();
      tool('qemu-img', ['snapshot', '-c', op.name, path]);
      expected.set(op.name, disk.slice());
    } else if (op.kind === 'write') {
      pending.push(`write -P 0x${op.pattern.toString(16)} ${op.offset} ${op.length}`);
      disk.fill(op.pattern, op.offset, op.offset + op.length);
    } else {
      pending.push(`${op.kind === 'zero' ? 'write -z' : 'discard'} ${op.offset} ${op.length}`);
      disk.fill(0, op.offset, op.offset + op.length);
    }
  }
  runPending();
  expected.set('active', disk);
  return { path, expected };
}

function expectReadsLikeQemu(path: string, expected: Map<string, Uint8Array>, clusterSize: number, crossCheck = false): Qcow2Image {
  const img = Qcow2Image.open(new Uint8Array(readFileSync(path)));
  expect(img.clusterSize).toBe(clusterSize);
  expect(img.diskSize).toBe(64 * M);
  const names = img.snapshots().map((s) => s.name);
  expect(names).toEqual([...expected.keys()].filter((n) => n !== 'active'));
  for (const [name, want] of expected) {
    const which = name === 'active' ? 'active' : img.snapshots().find((s) => s.name === name)!;
    const got = img.readDisk(which, 0, img.diskSize);
    expect(sha(got)).toBe(sha(want));
    // The reference agrees with the model.
    if (crossCheck) expect(sha(qemuConvert(path, name === 'active' ? undefined : name))).toBe(sha(want));
    // Unlisted clusters read as zeros, so restoring only the listed ones is enough.
    const listed = new Set(img.allocatedClusters(which));
    for (let c = 0; c < img.diskSize / clusterSize; c++) {
      if (listed.has(c)) continue;
      const part = want.subarray(c * clusterSize, (c + 1) * clusterSize);
      if (part.some((x) => x !== 0)) throw new Error(`cluster ${c} of ${name} holds data but is not listed as allocated`);
    }
    expect(listed.size).toBeGreaterThan(0);
  }
  for (const s of img.snapshots()) {
    expect(s.vmStateSize).toBe(0);
    expect(img.readVmState(s)).toEqual(new Uint8Array(0));
    expect(s.diskSize).toBe(64 * M);
  }
  return img;
}

describe('Qcow2Image: images qemu-img made', () => {
  it('64 KiB clusters (the default), with snapshots, zero writes and discards', () => {
    const { path, expected } = qemuImage([]);
    const img = expectReadsLikeQemu(path, expected, 65536, true);
    const listed = qemuSnapshotList(path);
    expect(img.snapshots().map((s) => [s.id, s.name, String(s.icount ?? '')])).toEqual(listed.map((l) => [l.id, l.tag, l.icount]));
  });

  it('4 KiB clusters', () => {
    const { path, expected } = qemuImage(['-o', 'cluster_size=4096']);
    expectReadsLikeQemu(path, expected, 4096);
  });

  it('version 2 (compat=0.10) and lazy refcounts', () => {
    const v2 = qemuImage(['-o', 'compat=0.10,cluster_size=16384']);
    expect(expectReadsLikeQemu(v2.path, v2.expected, 16384).version).toBe(2);
    const lazy = qemuImage(['-o', 'lazy_refcounts=on']);
    expectReadsLikeQemu(lazy.path, lazy.expected, 65536);
  });

  it('skips header extensions it does not know: a bitmaps extension from qemu-img, and an invented one', () => {
    const { path, expected } = qemuImage(['-o', 'cluster_size=4096']);
    tool('qemu-img', ['bitmap', '--add', path, 'dirty0']);
    const info = tool('qemu-img', ['info', path]);
    expect(info).toContain('dirty0');
    expectReadsLikeQemu(path, expected, 4096);
    const bytes = new Uint8Array(readFileSync(path));
    expect(u32(bytes, u32(bytes, 100))).toBe(0x23852875); // the bitmaps extension comes first

    // Our own image with an unknown extension (and the feature name table) in front of the end marker.
    const options = { diskSize: 4 << 20, clusterBits: 12 } as const;
    const steps = scenario(11, { ...options, snapshots: 2, changes: 50 });
    const ours = build(options, steps).store.bytes().slice();
    let p = 112;
    setU32(ours, p, 0x12345678);
    setU32(ours, p + 4, 5);
    ours.set([1, 2, 3, 4, 5], p + 8);
    p += 16;
    setU32(ours, p, 0x6803f857);
    setU32(ours, p + 4, 48);
    ours[p + 8] = 0;
    ours[p + 9] = 0;
    ours.set(new TextEncoder().encode('dirty bit'), p + 10);
    const img = Qcow2Image.open(ours);
    expect(sha(img.readDisk(img.snapshots()[1], 0, options.diskSize))).toBe(sha(rawDisk(steps[1].disk, options.diskSize, 4096)));
    expectQemuCheckClean(saveImage(ours));
  });
});

// ---------------------------------------------------------------------------
// Malformed images
// ---------------------------------------------------------------------------

interface Layout {
  bytes: Uint8Array;
  cs: number;
  l1: number;
  rt: number;
  snapTable: number;
  /** First active L2 table and a data entry in it. */
  l2: number;
  l2Entry: number;
  block0: number;
  snapL1: number;
  dataCluster: number;
}

function baseImage(): Layout {
  const options = { diskSize: 4 << 20, clusterBits: 12 } as const;
  const steps = scenario(12, { ...options, snapshots: 2, changes: 60, initial: 100 });
  const b = build(options, steps).store.bytes().slice();
  const l1 = u64(b, 40);
  const l2 = entryOffset(b, l1);
  let l2Entry = l2;
  while (u64(b, l2Entry) === 0) l2Entry += 8;
  const snapTable = u64(b, 64);
  return {
    bytes: b,
    cs: 4096,
    l1,
    rt: u64(b, 48),
    snapTable,
    l2,
    l2Entry,
    block0: entryOffset(b, u64(b, 48)),
    snapL1: u64(b, snapTable),
    dataCluster: entryOffset(b, l2Entry),
  };
}

function expectRejected(bytes: Uint8Array, message: RegExp, offset?: number): Qcow2Error {
  let caught: unknown;
  try {
    Qcow2Image.open(bytes);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(Qcow2Error);
  const err = caught as Qcow2Error;
  expect(err.message).toMatch(/^qcow2: /);
  expect(err.message).toMatch(message);
  if (offset !== undefined) expect(err.offset).toBe(offset);
  return err;
}

type Mutation = (L: Layout, b: Uint8Array) => Uint8Array | void;
const MALFORMED: [string, Mutation, RegExp, ((L: Layout) => number)?][] = [
  ['bad magic', (_, b) => void (b[0] = 0x51 ^ 0xff), /bad magic 0xae4649fb .*not a qcow2 image/, () => 0],
  ['an empty file', () => new Uint8Array(0), /too short for a qcow2 header \(0 bytes\)/],
  ['a truncated header', (_, b) => b.slice(0, 90), /too short for a version 3 header/],
  ['version 4', (_, b) => setU32(b, 4, 4), /unsupported version 4/, () => 4],
  ['version 1', (_, b) => setU32(b, 4, 1), /unsupported version 1/, () => 4],
  ['extended L2 entries', (_, b) => setU64(b, 72, 16n), /unsupported incompatible features: bit 4 \(extended L2 entries\)/, () => 72],
  ['an unknown incompatible feature', (_, b) => setU64(b, 72, 1n << 40n), /unsupported incompatible features: bit 40$/, () => 72],
  ['the corrupt bit', (_, b) => setU64(b, 72, 2n), /bit 1 \(corrupt\)/],
  ['an external data file', (_, b) => setU64(b, 72, 4n), /bit 2 \(external data file\)/],
  ['encryption', (_, b) => setU32(b, 32, 2), /encrypted images are not supported \(crypt_method 2\)/, () => 32],
  ['a backing file', (_, b) => setU64(b, 8, 0x200), /backing files are not supported/, () => 8],
  ['cluster_bits 8', (_, b) => setU32(b, 20, 8), /cluster_bits 8 is out of range/, () => 20],
  ['cluster_bits 0xffffffff', (_, b) => setU32(b, 20, 0xffffffff), /cluster_bits 4294967295 is out of range/],
  ['an absurd disk size', (_, b) => setU64(b, 24, 1n << 60n), /disk size 0x1000000000000000 is absurd/, () => 24],
  ['a disk larger than the L1 table maps', (_, b) => setU64(b, 24, 1n << 40n), /active L1 table has 2 entries, too few .*needs 524288/, () => 36],
  ['an absurd l1_size', (_, b) => setU32(b, 36, 0x10000000), /l1_size 268435456 is absurd/, () => 36],
  ['an L1 table past the end of the file', (_, b) => setU32(b, 36, 100000), /active L1 table at 0x2000 \(800000 bytes\) runs past the end of the file/, () => 40],
  ['an unaligned L1 table', (_, b) => setU64(b, 40, 0x2008), /active L1 table offset 0x2008 is not cluster aligned/, () => 40],
  ['an L1 table on the header', (_, b) => setU64(b, 40, 0), /active L1 table is at offset 0, on top of the header/, () => 40],
  ['an absurd nb_snapshots', (_, b) => setU32(b, 60, 0x7fffffff), /nb_snapshots 2147483647 is absurd/, () => 60],
  ['a refcount table on the header', (_, b) => setU64(b, 48, 0), /refcount table is at offset 0, on top of the header/, () => 48],
  ['an absurd refcount table', (_, b) => setU32(b, 56, 0x100000), /refcount_table_clusters 1048576 is absurd/, () => 56],
  ['an empty refcount table', (_, b) => setU32(b, 56, 0), /refcount table is empty/, () => 56],
  ['a refcount block past the end of the file', (L, b) => setU64(b, L.rt + 8, 0x9000000), /refcount table entry at 0x1008 points to 0x9000000, beyond the end of the file/, (L) => L.rt + 8],
  ['a refcount table that points at itself', (L, b) => setU64(b, L.rt + 8, L.rt), /refcount table entry at 0x1008 points to 0x1000 overlaps the refcount table/, (L) => L.rt + 8],
  ['the L1 table overlapping the refcount table', (L, b) => setU64(b, 40, L.rt), /active L1 table at 0x1000 overlaps the refcount table|refcount table at 0x1000 overlaps the active L1 table/],
  ['an L1 entry past the end of the file', (L, b) => setU64(b, L.l1, 0x8000_0000_0900_0000n), /L1 table entry at 0x2000 points to 0x9000000, beyond the end of the file/, (L) => L.l1],
  ['an L1 entry that is not aligned', (L, b) => setU64(b, L.l1, BigInt(L.l2 + 0x200)), /L1 table entry at 0x2000 points to 0x[0-9a-f]+200, which is not cluster aligned/, (L) => L.l1],
  ['an L1 entry pointing at the L1 table (a loop)', (L, b) => setU64(b, L.l1, BigInt(L.l1)), /L1 table entry at 0x2000 points to 0x2000 overlaps the active L1 table/, (L) => L.l1],
  ['an L1 entry pointing at a refcount block', (L, b) => setU64(b, L.l1, BigInt(L.block0)), /L1 table entry at 0x2000 points to 0x[0-9a-f]+ overlaps a refcount block/],
  ['an L2 entry past the end of the file', (L, b) => setU64(b, L.l2Entry, 0x900_0000n), /^qcow2: L2 table entry at 0x[0-9a-f]+ points to 0x9000000, beyond the end of the file \(0x[0-9a-f]+ bytes\)$/, (L) => L.l2Entry],
  ['a compressed cluster', (L, b) => setU64(b, L.l2Entry, (1n << 62n) | 0x5000n), /L2 table entry at 0x[0-9a-f]+ describes a compressed cluster; compressed clusters are not supported/, (L) => L.l2Entry],
  ['an L2 entry pointing at the header', (L, b) => setU64(b, L.l2Entry, 1n << 63n), /points to offset 0, the header/, (L) => L.l2Entry],
  ['an L2 entry pointing at its own table (a loop)', (L, b) => setU64(b, L.l2Entry, BigInt(L.l2)), /L2 table entry at 0x[0-9a-f]+ points to 0x[0-9a-f]+, which holds an L2 table/, (L) => L.l2Entry],
  ['an L2 entry pointing at the refcount table', (L, b) => setU64(b, L.l2Entry, BigInt(L.rt)), /points to 0x1000, which holds the refcount table/],
  ['an L2 entry pointing at the snapshot table', (L, b) => setU64(b, L.l2Entry, BigInt(L.snapTable)), /which holds the snapshot table/],
  ['an unaligned L2 entry', (L, b) => setU64(b, L.l2Entry, BigInt(L.dataCluster + 0x400)), /which is not cluster aligned/],
  ['an L2 entry with reserved bits', (L, b) => setU64(b, L.l2Entry, BigInt(L.dataCluster) | 0x10n), /has reserved bits set/],
  ['a snapshot table past the end of the file', (L, b) => setU64(b, 64, BigInt(L.bytes.length)), /snapshot table entry 0 at 0x[0-9a-f]+ runs past the end of the file/],
  [
    'a snapshot table cut short',
    (L, b) => {
      const out = new Uint8Array(b.length + 100);
      out.set(b);
      out.set(b.subarray(L.snapTable, L.snapTable + 100), b.length);
      setU64(out, 64, b.length);
      return out;
    },
    /^qcow2: snapshot table entry 1 at 0x[0-9a-f]+ runs past the end of the file \(0x[0-9a-f]+ bytes\)$/,
  ],
  ['an unaligned snapshot table', (L, b) => setU64(b, 64, BigInt(L.snapTable + 8)), /snapshot table offset 0x[0-9a-f]+ is not cluster aligned/, () => 64],
  ['a snapshot table on the header', (_, b) => setU64(b, 64, 0), /snapshot table is at offset 0, on top of the header/, () => 64],
  ['a snapshot L1 table inside the snapshot table', (L, b) => setU64(b, L.snapTable, BigInt(L.snapTable)), /the snapshot table at 0x([0-9a-f]+) overlaps a snapshot's L1 table \(cluster at 0x\1\)/, () => 64],
  ['an absurd snapshot extra data size', (L, b) => setU32(b, L.snapTable + 36, 0x10000000), /snapshot table entry 0: extra data size 268435456 is absurd/, (L) => L.snapTable + 36],
  ['an absurd VM state size', (L, b) => setU64(b, L.snapTable + 40, 1n << 40n), /snapshot table entry 0: VM state size 1099511627776 is absurd/, (L) => L.snapTable + 40],
  ['a VM state larger than its L1 table maps', (L, b) => setU64(b, L.snapTable + 40, 3n << 20n), /its VM state \(3145728 bytes\) extends past what its L1 table \(3 entries\) maps/],
  ['an absurd snapshot L1 size', (L, b) => setU32(b, L.snapTable + 8, 0xffffffff), /snapshot table entry 0: L1 size 4294967295 is absurd/, (L) => L.snapTable + 8],
  ['a snapshot L1 table shared with the active one', (L, b) => setU64(b, L.snapTable, BigInt(L.l1)), /snapshot "1"'s L1 table at 0x2000 overlaps the active L1 table/],
  ['a snapshot L1 entry past the end', (L, b) => setU64(b, L.snapL1 + 8, 0x900_0000n), /L1 table entry at 0x[0-9a-f]+ points to 0x9000000, beyond the end/, (L) => L.snapL1 + 8],
  ['an absurd snapshot disk size', (L, b) => setU64(b, L.snapTable + 48, 1n << 62n), /snapshot table entry 0: disk size 0x4000000000000000 is absurd/],
  ['a header_length that is not a multiple of 8', (_, b) => setU32(b, 100, 108), /header_length 108 is invalid/, () => 100],
  ['a header_length past the first cluster', (_, b) => setU32(b, 100, 8192), /header_length 8192 is invalid/],
  ['a header extension running past the first cluster', (_, b) => (setU32(b, 112, 0x1234), setU32(b, 116, 5000)), /header extension at 0x70 \(type 0x1234, 5000 bytes\) runs past the end of the first cluster/, () => 0x70],
  ['a file cut in half', (L, b) => b.slice(0, L.bytes.length >> 1), /beyond the end of the file|runs past the end of the file/],
];

describe('Qcow2Image: rejects malformed images', () => {
  const L = baseImage();

  it('accepts the unmodified base image', () => {
    const img = Qcow2Image.open(L.bytes);
    expect(img.snapshots().length).toBe(2);
  });

  it.each(MALFORMED)('%s', (_name, mutate, message, offset) => {
    const b = L.bytes.slice();
    const out = mutate(L, b) ?? b;
    expectRejected(out instanceof Uint8Array ? out : b, message, offset?.(L));
  });

  it('refuses to append to an image whose refcounts do not match its tables', () => {
    const b = L.bytes.slice();
    // One refcount too many on the header cluster: a leak.
    new DataView(b.buffer).setUint16(L.block0, 2);
    expect(Qcow2Image.open(b).snapshots().length).toBe(2);
    expect(() => Qcow2Writer.append(new MemoryImageStore(b))).toThrow(/cannot append to this image: the refcount of the cluster at 0x0 is 2 but its tables reference it 1 times/);
    const dirty = L.bytes.slice();
    setU64(dirty, 72, 1n);
    expect(() => Qcow2Writer.append(new MemoryImageStore(dirty))).toThrow(/incompatible feature bits 0x1/);
  });
});

// ---------------------------------------------------------------------------
// Fuzzing: whatever the bytes, only Qcow2Error comes out, and what opens reads
// ---------------------------------------------------------------------------

function fuzzSeeds(): { name: string; bytes: Uint8Array }[] {
  const options = { diskSize: 2 << 20, clusterBits: 12 } as const;
  const ours = build(options, scenario(13, { ...options, snapshots: 3, changes: 40 })).store.bytes().slice();
  const small = { diskSize: 1 << 20, clusterBits: 9 } as const;
  const tiny = build(small, scenario(14, { ...small, snapshots: 3, changes: 60 })).store.bytes().slice();
  const path = tempPath('qcow2');
  tool('qemu-img', ['create', '-f', 'qcow2', '-o', 'cluster_size=4096', path, '4M']);
  tool('qemu-io', ['-c', 'write -P 0x5a 0 64k', '-c', 'write -z 1M 8k', path]);
  tool('qemu-img', ['snapshot', '-c', 'a', path]);
  tool('qemu-io', ['-c', 'write -P 0x6b 32k 64k', path]);
  tool('qemu-img', ['snapshot', '-c', 'b', path]);
  return [
    { name: 'ours (4 KiB clusters)', bytes: ours },
    { name: 'ours (512-byte clusters)', bytes: tiny },
    { name: 'qemu-img', bytes: new Uint8Array(readFileSync(path)) },
  ];
}

function mutate(r: () => number, seed: Uint8Array): Uint8Array {
  let b = seed.slice();
  const dv = (): DataView => new DataView(b.buffer, b.byteOffset, b.length);
  const pick = <T>(xs: T[]): T => xs[(r() * xs.length) | 0];
  const ops = 1 + ((r() * 6) | 0);
  for (let k = 0; k < ops; k++) {
    const p = r();
    // Mostly the metadata: the header, and 8-byte entries anywhere.
    const pos = r() < 0.3 ? (r() * 112) | 0 : ((r() * b.length) / 8) | 0;
    const at = r() < 0.3 ? pos : pos * 8;
    if (at + 8 > b.length) continue;
    if (p < 0.35) {
      b[at] ^= 1 << ((r() * 8) | 0);
    } else if (p < 0.55) {
      dv().setUint32(at & ~3, pick([0, 1, 0xffffffff, 0x80000000, b.length, 0x1000, 0x200, (r() * 2 ** 32) >>> 0]));
    } else if (p < 0.85) {
      const interesting = [0n, 1n, 2n ** 63n, 2n ** 62n, BigInt(b.length), BigInt(b.length - 8), BigInt(b.length & ~4095), 0x1000n, 0x2000n, BigInt(((r() * b.length) / 4096) | 0) * 4096n, (1n << 63n) | BigInt(((r() * b.length) / 4096) | 0) * 4096n, 0xffff_ffff_ffff_ffffn];
      dv().setBigUint64(at & ~7, pick(interesting));
    } else if (p < 0.95) {
      b[at] = (r() * 256) | 0;
    } else {
      b = b.slice(0, (r() * b.length) | 0);
    }
  }
  return b;
}

describe('Qcow2Image: fuzzing', () => {
  it('throws nothing but Qcow2Error on mutated images, and reads those it accepts', () => {
    const seeds = fuzzSeeds();
    const r = rng(20240601);
    const stats = new Map<string, { accepted: number; rejected: number; appended: number }>();
    const started = performance.now();
    const perSeed = 3000;
    for (const seed of seeds) {
      const st = { accepted: 0, rejected: 0, appended: 0 };
      stats.set(seed.name, st);
      for (let i = 0; i < perSeed; i++) {
        const bytes = mutate(r, seed.bytes);
        try {
          const img = Qcow2Image.open(bytes);
          const views: ('active' | ReturnType<Qcow2Image['snapshots']>[number])[] = ['active', ...img.snapshots()];
          for (const v of views) {
            const size = v === 'active' ? img.diskSize : v.diskSize;
            const n = Math.min(size, 128 << 10);
            img.readDisk(v, 0, n);
            if (size > n) img.readDisk(v, size - 4096, 4096);
            img.allocatedClusters(v);
            if (v !== 'active') img.readVmState(v);
          }
          st.accepted++;
        } catch (e) {
          if (!(e instanceof Qcow2Error) || /internal error/.test(e.message)) {
            throw new Error(`seed ${seed.name}, iteration ${i}: ${String(e)}\n${e instanceof Error ? e.stack : ''}`);
          }
          st.rejected++;
          continue;
        }
        // What the writer accepts, it must leave valid.
        try {
          const store: ImageStore = new MemoryImageStore(bytes);
          const w = Qcow2Writer.append(store);
          const c = new Map([[0, new Uint8Array(w.clusterSize).fill(0x77)]]);
          w.addSnapshot({ icount: 123_456_789n, name: `fuzz-${i}`, vmState: new Uint8Array(100).fill(1), changedClusters: c });
          const again = Qcow2Image.open(store);
          const snap = again.snapshots().find((s) => s.name === `fuzz-${i}`)!;
          if (sha(again.readDisk(snap, 0, w.clusterSize)) !== sha(c.get(0)!)) throw new Error(`append, iteration ${i}: the new snapshot reads back wrong`);
          st.appended++;
        } catch (e) {
          if (!(e instanceof Qcow2Error) || /internal error/.test(e.message)) {
            throw new Error(`append, seed ${seed.name}, iteration ${i}: ${String(e)}\n${e instanceof Error ? e.stack : ''}`);
          }
        }
      }
    }
    console.log(
      `qcow2 fuzz: ${seeds.length * perSeed} mutated images in ${((performance.now() - started) / 1000).toFixed(1)} s; ` +
        [...stats].map(([n, s]) => `${n}: ${s.rejected} rejected, ${s.accepted} accepted and read, ${s.appended} appended to`).join('; '),
    );
    for (const s of stats.values()) {
      expect(s.rejected).toBeGreaterThan(perSeed / 10);
      expect(s.accepted).toBeGreaterThan(0);
    }
  });
});
